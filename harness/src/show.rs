//! `m2m-conformance show ID`: one case as text (its requirements with their text, the exact
//! request line, the expectation) and, after a run, its outcome.

use std::fmt::Write as _;

use crate::result::CaseResult;
use crate::spec::Spec;
use crate::vectors::{Case, Suite};

/// The case named `id` (a bare id or `chapter::id`).
pub fn find<'a>(suite: &'a Suite, id: &str) -> Option<&'a Case> {
    let bare = id.rsplit_once("::").map_or(id, |(_, i)| i);
    suite.cases.iter().find(|c| c.id == bare)
}

/// Everything about a case before it runs.
pub fn describe(spec: &Spec, case: &Case) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "case:        {}", case.name());
    let _ = writeln!(out, "file:        vectors/{}", case.file);
    let _ = writeln!(out, "description: {}", case.description);
    for r in &case.reqs {
        let summary = spec.requirement(r).map_or("", |q| q.summary.as_str());
        let _ = writeln!(out, "requirement: {r} {summary}");
    }
    let flags = if case.flags.is_empty() {
        String::new()
    } else {
        format!(" (flags: {})", case.flags.join(", "))
    };
    let _ = writeln!(out, "result:      {}{flags}", case.result.name());
    if let Some(c) = &case.confirmed_by {
        let _ = writeln!(out, "confirmed:   {c}");
    }
    let _ = writeln!(
        out,
        "request:     {}",
        crate::target::request_line(&case.id, &case.op, &case.input)
    );
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let _ = writeln!(
        out,
        "expect:      {}",
        pretty(&crate::judge::expect_json(&case.expect))
    );
    if let Some(l) = &case.lenient {
        let _ = writeln!(
            out,
            "lenient:     {}",
            pretty(&crate::judge::expect_json(l))
        );
    }
    out
}

/// The outcome of a run of the case.
pub fn outcome(r: &CaseResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "verdict:     {} {}",
        r.verdict.name(),
        r.reason.as_deref().unwrap_or("")
    );
    if let Some(e) = &r.evidence {
        if let Some(resp) = &e.response {
            let _ = writeln!(out, "response:    {resp}");
        }
        if let Some(err) = &e.stderr {
            let _ = writeln!(out, "stderr:      {}", err.trim_end());
        }
    }
    if let Some(d) = &r.diff {
        out.push_str(d);
    }
    out
}
