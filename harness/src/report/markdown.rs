//! Markdown rendering of a [`Report`].

use std::fmt::Write as _;

use super::{Counts, Report};
use crate::judge::Verdict;

fn row(label: &str, c: &Counts) -> String {
    let mut s = format!("| {label} | {} |", c.total);
    for v in Verdict::ALL {
        let _ = write!(s, " {} |", c.get(v));
    }
    s
}

fn header(first: &str) -> String {
    let mut s = format!("| {first} | total |");
    let mut sep = String::from("|---|---:|");
    for v in Verdict::ALL {
        let _ = write!(s, " {} |", v.name());
        sep.push_str("---:|");
    }
    format!("{s}\n{sep}\n")
}

/// `CERTIFIED`, `CERTIFIED for the ops it supports (N cases unsupported)` or `NOT CERTIFIED`.
pub fn verdict_line(r: &Report) -> String {
    let unsupported = r.summary.get(Verdict::Unsupported);
    match (r.certified, unsupported) {
        (false, _) => "NOT CERTIFIED".to_owned(),
        (true, 0) => "CERTIFIED".to_owned(),
        (true, n) => format!("CERTIFIED for the ops it supports ({n} cases unsupported)"),
    }
}

/// Render the report as Markdown: summary, per chapter, every non-pass case with its diff, and
/// per requirement.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# M2M conformance report — {} {}\n",
        r.target.name, r.target.version
    );
    let _ = writeln!(
        out,
        "- suite: {} {} (vectors schema {}){}",
        r.suite,
        r.suite_version,
        r.vectors_schema_version,
        r.suite_commit
            .as_deref()
            .map(|c| format!(", commit `{c}`"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "- target: `{}` (testee protocol {})",
        r.target.target, r.target.protocol
    );
    let _ = writeln!(out, "- generated: {}", r.generated_at);
    let _ = writeln!(
        out,
        "- options: strict={}, timeout={} ms, jobs={}, filters={}",
        r.options.strict,
        r.options.timeout_ms,
        r.options.jobs,
        if r.options.filters.is_empty() {
            "none".to_owned()
        } else {
            r.options.filters.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "- **result: {}** ({} cases, {} failing; run took {:.2} s)\n",
        verdict_line(r),
        r.summary.total,
        r.summary.failures(),
        r.elapsed_ms / 1000.0
    );
    out.push_str("## By chapter\n\n");
    out.push_str(&header("chapter"));
    for c in &r.chapters {
        let _ = writeln!(out, "{}", row(&format!("`{}`", c.chapter), &c.counts));
    }
    let _ = writeln!(out, "{}\n", row("**all**", &r.summary));

    let notable: Vec<_> = r
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .collect();
    out.push_str("## Cases that did not pass cleanly\n\n");
    if notable.is_empty() {
        out.push_str("None.\n\n");
    }
    for c in notable {
        let _ = writeln!(
            out,
            "### `{}::{}` — {}\n\n- reqs: {}\n- op: `{}`, result: {}{}\n- file: `{}`\n- why: {}\n",
            c.chapter,
            c.id,
            c.verdict.name(),
            c.reqs.join(", "),
            c.op,
            c.result,
            if c.flags.is_empty() {
                String::new()
            } else {
                format!(", flags: {}", c.flags.join(", "))
            },
            c.file,
            c.reason.as_deref().unwrap_or("-"),
        );
        if let Some(d) = &c.diff {
            let _ = writeln!(out, "```diff\n{}```\n", d);
        }
        if let Some(e) = &c.evidence {
            if !e.request.is_empty() {
                let _ = writeln!(out, "request:\n```\n{}\n```\n", e.request);
            }
            if let Some(resp) = &e.response {
                let _ = writeln!(out, "response:\n```\n{resp}\n```\n");
            }
            if let Some(err) = &e.stderr {
                let _ = writeln!(out, "stderr:\n```\n{}\n```\n", err.trim_end());
            }
        }
    }
    out.push_str(&crate::bench::markdown_section(r.bench.as_ref()));
    out.push_str("## By requirement\n\n");
    out.push_str(&header("requirement"));
    for q in &r.requirements {
        let _ = writeln!(
            out,
            "{}",
            row(&format!("{} ({})", q.id, q.level), &q.counts)
        );
    }
    out
}
