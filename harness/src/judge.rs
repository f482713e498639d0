//! Turning an [`Outcome`] and a case's expectation into a [`Verdict`] (table in
//! `vectors/README.md`).

use serde::Serialize;
use serde_json::{json, Value};

use crate::spec::Level;
use crate::target::Outcome;
use crate::vectors::{Case, Expect, Result_};

/// The verdict of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The outcome equals `expect`.
    Pass,
    /// An `acceptable` case answered with the tolerated alternative.
    Acceptable,
    /// A failed case whose requirements are all SHOULD or MAY.
    NonStrict,
    /// The testee does not support the op.
    Unsupported,
    /// A failure the run's known-failures list expects (with its reason).
    KnownFailure,
    /// Not run: the run's known-failures list says to skip it (with its reason).
    Skipped,
    /// Anything else that is wrong.
    Fail,
    /// No answer in time.
    Timeout,
    /// The testee exited or closed its output.
    Crash,
    /// The harness could not run the case.
    HarnessError,
}

impl Verdict {
    /// Every verdict, in report column order.
    pub const ALL: [Verdict; 10] = [
        Verdict::Pass,
        Verdict::Acceptable,
        Verdict::NonStrict,
        Verdict::Unsupported,
        Verdict::KnownFailure,
        Verdict::Skipped,
        Verdict::Fail,
        Verdict::Timeout,
        Verdict::Crash,
        Verdict::HarnessError,
    ];

    /// Kebab-case name, as in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Acceptable => "acceptable",
            Verdict::NonStrict => "non-strict",
            Verdict::Unsupported => "unsupported",
            Verdict::KnownFailure => "known-failure",
            Verdict::Skipped => "skipped",
            Verdict::Fail => "fail",
            Verdict::Timeout => "timeout",
            Verdict::Crash => "crash",
            Verdict::HarnessError => "harness-error",
        }
    }

    /// The verdict with this name.
    pub fn from_name(name: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Whether this verdict makes certification fail (exit code 1).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Verdict::Fail | Verdict::Timeout | Verdict::Crash | Verdict::HarnessError
        )
    }
}

/// Judging policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Tolerate nothing: `acceptable` and `non-strict` become `fail`.
    pub strict: bool,
}

/// An outcome rendered as the JSON a vector's `expect` would hold, for diffs and reports.
pub fn outcome_json(o: &Outcome) -> Value {
    match o {
        Outcome::Ok(v) => json!({ "ok": v }),
        Outcome::Error { class, message } => json!({ "error": class, "message": message }),
        Outcome::Unsupported(r) => json!({ "unsupported": r }),
        Outcome::Timeout(d) => json!({ "timeout_ms": d.as_millis() as u64 }),
        Outcome::Crash(d) => json!({ "crash": d }),
        Outcome::Protocol(d) => json!({ "protocol_violation": d }),
        Outcome::HarnessError(d) => json!({ "harness_error": d }),
    }
}

/// An expectation rendered as JSON.
pub fn expect_json(e: &Expect) -> Value {
    match e {
        Expect::Ok(v) => json!({ "ok": v }),
        Expect::Error(c) => json!({ "error": c }),
        Expect::Unsupported => json!({ "unsupported": true }),
    }
}

fn matches(case: &Case, expect: &Expect, outcome: &Outcome) -> bool {
    match (expect, outcome) {
        (Expect::Ok(want), Outcome::Ok(got)) => match &case.tolerance {
            Some(t) => t.equal(want, got),
            None => want == got,
        },
        (Expect::Error(want), Outcome::Error { class, .. }) => want == class,
        (Expect::Unsupported, Outcome::Unsupported(_)) => true,
        _ => false,
    }
}

/// Judge one outcome. The second value explains a non-pass verdict in one line.
pub fn judge(case: &Case, outcome: &Outcome, policy: Policy) -> (Verdict, Option<String>) {
    match outcome {
        Outcome::Timeout(d) => {
            return (
                Verdict::Timeout,
                Some(format!("no answer within {:.1} s", d.as_secs_f64())),
            )
        }
        Outcome::Crash(d) => return (Verdict::Crash, Some(d.clone())),
        Outcome::HarnessError(d) => return (Verdict::HarnessError, Some(d.clone())),
        Outcome::Protocol(d) => {
            return (
                Verdict::Fail,
                Some(format!("testee protocol violation: {d}")),
            )
        }
        Outcome::Unsupported(r) if case.expect != Expect::Unsupported => {
            return (Verdict::Unsupported, Some(r.clone()))
        }
        _ => {}
    }
    if matches(case, &case.expect, outcome) {
        return (Verdict::Pass, None);
    }
    if case.result == Result_::Acceptable {
        let tolerated = case
            .lenient
            .as_ref()
            .is_none_or(|l| matches(case, l, outcome));
        if tolerated {
            let why = format!("tolerated by flags {}", case.flags.join(", "));
            return if policy.strict {
                (Verdict::Fail, Some(format!("{why}, but --strict")))
            } else {
                (Verdict::Acceptable, Some(why))
            };
        }
    }
    let why = match (&case.expect, outcome) {
        (Expect::Error(want), Outcome::Error { class, .. }) => {
            format!("expected error class `{want}`, got `{class}`")
        }
        (Expect::Error(want), Outcome::Ok(_)) => {
            format!("expected error class `{want}`, but the op succeeded")
        }
        (Expect::Ok(_), Outcome::Error { class, message }) => {
            format!("expected success, got error `{class}`: {message}")
        }
        (Expect::Ok(_), Outcome::Ok(_)) => "result differs from the expected value".into(),
        _ => "outcome differs from the expectation".into(),
    };
    if case.level != Level::Must && !policy.strict {
        (Verdict::NonStrict, Some(why))
    } else {
        (Verdict::Fail, Some(why))
    }
}

/// Longest string kept verbatim in diffs and evidence.
const MAX_STRING: usize = 1024;

/// Shorten long strings inside a JSON value so reports stay readable.
pub fn abbreviate(v: &Value) -> Value {
    match v {
        Value::String(s) if s.len() > MAX_STRING => {
            let cut = (0..=MAX_STRING)
                .rev()
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(0);
            Value::String(format!("{}…(+{} bytes)", &s[..cut], s.len() - cut))
        }
        Value::Array(items) => Value::Array(items.iter().map(abbreviate).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), abbreviate(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A unified diff of expected vs actual, both pretty-printed.
pub fn diff(expected: &Value, actual: &Value) -> String {
    let e = serde_json::to_string_pretty(&abbreviate(expected)).unwrap_or_default() + "\n";
    let a = serde_json::to_string_pretty(&abbreviate(actual)).unwrap_or_default() + "\n";
    similar::TextDiff::from_lines(&e, &a)
        .unified_diff()
        .header("expected", "actual")
        .to_string()
}
