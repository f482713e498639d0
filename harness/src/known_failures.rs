//! Known-failure lists: let a testee's CI pass on its known gaps and fail on any change.
//!
//! A YAML file lists case ids, each with a reason (and optionally the verdict expected):
//!
//! ```yaml
//! known_failures:
//!   - id: frame-dec-trailing-1
//!     reason: we ignore bytes after the payload (issue 12)
//!     verdict: fail            # optional: fail, non-strict, timeout, crash, harness-error
//! ```
//!
//! The list is strict: a listed case that fails as expected gets `known-failure`; a listed case
//! that passes, is acceptable or is unsupported is a `fail` ("remove the entry"); a listed case
//! that fails with another verdict than the one named stays a failure; an id that is not in the
//! suite stops the run as a setup error. Unlisted failures fail as usual.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::judge::Verdict;
use crate::run::CaseResult;
use crate::vectors::Suite;
use crate::yaml;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    known_failures: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    reason: String,
    #[serde(default)]
    verdict: Option<String>,
}

/// One expected failure.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Why the case fails.
    pub reason: String,
    /// The failing verdict expected, if pinned.
    pub verdict: Option<Verdict>,
}

/// A loaded, validated known-failures list.
#[derive(Debug, Clone, Default)]
pub struct KnownFailures {
    entries: BTreeMap<String, Entry>,
}

impl KnownFailures {
    /// Parse and validate a list against the suite.
    pub fn parse(text: &str, suite: &Suite) -> Result<KnownFailures, Vec<String>> {
        let file: File = yaml::from_str(text).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let mut entries = BTreeMap::new();
        for raw in file.known_failures {
            // Accept `chapter::id` as well as the bare id.
            let id = raw
                .id
                .rsplit_once("::")
                .map_or(raw.id.as_str(), |(_, id)| id)
                .to_owned();
            if !suite.cases.iter().any(|c| c.id == id) {
                errors.push(format!("`{}`: no such case in the suite", raw.id));
            }
            if raw.reason.trim().is_empty() {
                errors.push(format!("`{}`: a reason is required", raw.id));
            }
            let verdict = match raw.verdict.as_deref() {
                None => None,
                Some(name) => match Verdict::from_name(name) {
                    Some(v) if v.is_failure() || v == Verdict::NonStrict => Some(v),
                    _ => {
                        errors.push(format!(
                            "`{}`: verdict `{name}` is not a failing verdict",
                            raw.id
                        ));
                        None
                    }
                },
            };
            let entry = Entry {
                reason: raw.reason,
                verdict,
            };
            if entries.insert(id, entry).is_some() {
                errors.push(format!("`{}` is listed twice", raw.id));
            }
        }
        if errors.is_empty() {
            Ok(KnownFailures { entries })
        } else {
            Err(errors)
        }
    }

    /// Load a list from a file.
    pub fn load(path: &Path, suite: &Suite) -> Result<KnownFailures, Vec<String>> {
        let text =
            std::fs::read_to_string(path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
        Self::parse(&text, suite).map_err(|errs| {
            errs.into_iter()
                .map(|e| format!("{}: {e}", path.display()))
                .collect()
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rewrite the verdict of a judged case according to the list.
    pub fn apply(&self, r: &mut CaseResult) {
        let Some(entry) = self.entries.get(&r.id) else {
            return;
        };
        let was = r.verdict;
        let detail = r.reason.clone().unwrap_or_default();
        let failing = was.is_failure() || was == Verdict::NonStrict;
        if !failing {
            r.verdict = Verdict::Fail;
            r.reason = Some(format!(
                "listed as a known failure ({}) but the verdict is {}: remove the entry",
                entry.reason,
                was.name()
            ));
        } else if entry.verdict.is_some_and(|v| v != was) {
            r.reason = Some(format!(
                "listed as a known {} ({}) but the verdict is {}: {detail}",
                entry.verdict.map_or("", Verdict::name),
                entry.reason,
                was.name()
            ));
        } else {
            r.verdict = Verdict::KnownFailure;
            r.reason = Some(format!(
                "known failure: {} (was {}: {detail})",
                entry.reason,
                was.name()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Level;
    use crate::vectors::{Case, Expect, Result_};

    fn suite() -> Suite {
        let case = |id: &str| Case {
            id: id.into(),
            chapter: "c".into(),
            file: "f.yaml".into(),
            reqs: vec!["X-Y-001".into()],
            description: "d".into(),
            op: "wire.detect".into(),
            input: serde_json::json!({}),
            expect: Expect::Unsupported,
            lenient: None,
            result: Result_::Valid,
            flags: vec![],
            confirmed_by: None,
            level: Level::Must,
            tolerance: None,
        };
        Suite {
            dir: ".".into(),
            cases: vec![case("a"), case("b"), case("c")],
            flags: BTreeMap::new(),
        }
    }

    fn result(id: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            id: id.into(),
            chapter: "c".into(),
            file: "f.yaml".into(),
            reqs: vec![],
            op: "wire.detect".into(),
            result: "valid",
            flags: vec![],
            verdict,
            reason: Some("why".into()),
            duration_ms: 0.0,
            expected: None,
            actual: None,
            diff: None,
            evidence: None,
        }
    }

    #[test]
    fn strict_semantics() {
        let kf = KnownFailures::parse(
            "known_failures:\n  - {id: a, reason: gap}\n  - {id: 'c::b', reason: hang, verdict: timeout}\n",
            &suite(),
        )
        .unwrap();
        assert_eq!(kf.len(), 2);
        let mut r = result("a", Verdict::Fail);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::KnownFailure);
        let mut r = result("a", Verdict::Pass);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::Fail, "an unexpected pass fails");
        let mut r = result("b", Verdict::Crash);
        kf.apply(&mut r);
        assert_eq!(
            r.verdict,
            Verdict::Crash,
            "another failing verdict stays a failure"
        );
        let mut r = result("b", Verdict::Timeout);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::KnownFailure);
        let mut r = result("c", Verdict::Fail);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::Fail, "unlisted failures stay failures");
    }

    #[test]
    fn bad_lists_are_rejected() {
        let s = suite();
        assert!(KnownFailures::parse("known_failures:\n  - {id: zz, reason: x}\n", &s).is_err());
        assert!(KnownFailures::parse("known_failures:\n  - {id: a, reason: ''}\n", &s).is_err());
        assert!(KnownFailures::parse(
            "known_failures:\n  - {id: a, reason: x, verdict: pass}\n",
            &s
        )
        .is_err());
        assert!(KnownFailures::parse(
            "known_failures:\n  - {id: a, reason: x}\n  - {id: a, reason: y}\n",
            &s
        )
        .is_err());
        assert!(KnownFailures::parse("known_failures:\n  - {id: a, why: x}\n", &s).is_err());
    }
}
