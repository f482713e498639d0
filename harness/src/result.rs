//! The judged result of one case: what the scheduler ([`crate::run`]) produces, the
//! known-failure list ([`crate::known_failures`]) rewrites and the reports render. A module of
//! its own so that neither of those two depends on the other.

use serde::Serialize;
use serde_json::Value;

use crate::judge::Verdict;
use crate::target::Evidence;

/// The judged result of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Chapter key.
    pub chapter: String,
    /// Vector file.
    pub file: String,
    /// Requirement ids.
    pub reqs: Vec<String>,
    /// Op.
    pub op: String,
    /// valid / invalid / acceptable.
    pub result: &'static str,
    /// Flags of the case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// The claimed profiles (`--profile`) this case belongs to; a case whose verdict is not
    /// pass or acceptable breaks each of them. [BASIS-PROFILE-003]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// The judge's verdict, when a known-failures list rewrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged: Option<Verdict>,
    /// Why, for non-pass verdicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Wall time of the exchange.
    pub duration_ms: f64,
    /// Expected outcome (non-pass only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// Actual outcome (non-pass only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    /// Unified diff expected → actual (non-pass only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// What went over the wire (non-pass only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}
