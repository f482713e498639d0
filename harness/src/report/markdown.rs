//! Markdown rendering of a report, failures first: the verdict line, the profiles, then every
//! case that counts against the run with its full evidence (request line, expected, actual,
//! diff, response, the tail of the testee's stderr), then the other non-pass cases one line
//! each, `unsupported` folded into a count per op, and the per-chapter and per-requirement
//! tables. Passing cases are counted, not listed.
//!
//! Rendered from the canonical report JSON (like [`super::html`]), so `certify` and
//! `m2m-conformance report md FILE.json` give the same text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::Report;
use crate::judge::Verdict;

/// Lines of the testee's stderr kept in a failure's evidence.
pub const STDERR_TAIL_LINES: usize = 20;

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn count(counts: &Value, v: Verdict) -> u64 {
    counts["verdicts"][v.name()].as_u64().unwrap_or(0)
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// `CERTIFIED`, `CERTIFIED for the ops it supports (N cases unsupported)` or `NOT CERTIFIED`.
pub fn verdict_line(r: &Report) -> String {
    line_for(r.certified, r.summary.get(Verdict::Unsupported) as u64)
}

/// [`verdict_line`] of a report JSON.
pub fn verdict_line_json(r: &Value) -> String {
    line_for(
        r["certified"].as_bool().unwrap_or(false),
        count(&r["summary"], Verdict::Unsupported),
    )
}

fn line_for(certified: bool, unsupported: u64) -> String {
    match (certified, unsupported) {
        (false, _) => "NOT CERTIFIED".to_owned(),
        (true, 0) => "CERTIFIED".to_owned(),
        (true, n) => format!("CERTIFIED for the ops it supports ({n} cases unsupported)"),
    }
}

/// The last `n` lines of `s`, with a note of how many were dropped.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.trim_end().lines().collect();
    if lines.len() <= n {
        return lines.join("\n");
    }
    format!(
        "[… {} earlier line(s) left out]\n{}",
        lines.len() - n,
        lines[lines.len() - n..].join("\n")
    )
}

/// A fenced block whose fence is longer than any backtick run inside.
fn fenced(out: &mut String, label: &str, lang: &str, body: &str) {
    let mut fence = String::from("```");
    while body.contains(fence.as_str()) {
        fence.push('`');
    }
    let _ = writeln!(
        out,
        "{label}:\n\n{fence}{lang}\n{}\n{fence}\n",
        body.trim_end()
    );
}

/// Table cell text: one line, `|` escaped, cut to `max` characters.
fn cell(s: &str, max: usize) -> String {
    super::console::one_line(s, max).replace('|', "\\|")
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The profiles section: claimed profiles with their status and counts, or the profiles this
/// run fully meets.
fn profiles(out: &mut String, r: &Value) {
    let all: Vec<&Value> = r["profiles"].as_array().into_iter().flatten().collect();
    if all.is_empty() {
        return;
    }
    let line = |p: &Value| {
        let mut s = format!(
            "`{}` **{}** ({}/{} cases met",
            text(p, "name"),
            if p["conformant"].as_bool().unwrap_or(false) {
                "CONFORMANT"
            } else {
                "NOT CONFORMANT"
            },
            p["met"],
            p["cases"]
        );
        let (cases, ran) = (
            p["cases"].as_u64().unwrap_or(0),
            p["ran"].as_u64().unwrap_or(0),
        );
        if ran < cases {
            let _ = write!(s, ", {} not run", cases - ran);
        }
        let other: Vec<String> = p["verdicts"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(v, _)| !matches!(v.as_str(), "pass" | "acceptable"))
            .map(|(v, n)| format!("{n} {v}"))
            .collect();
        if !other.is_empty() {
            let _ = write!(s, "; {}", other.join(", "));
        }
        s.push(')');
        s
    };
    let claimed: Vec<&&Value> = all
        .iter()
        .filter(|p| p["claimed"].as_bool().unwrap_or(false))
        .collect();
    if claimed.is_empty() {
        let met: Vec<String> = all
            .iter()
            .filter(|p| p["conformant"].as_bool().unwrap_or(false))
            .map(|p| format!("`{}`", text(p, "name")))
            .collect();
        let _ = writeln!(
            out,
            "No profile claimed (`--profile`). Profiles this run fully meets ({} of {}): {}\n",
            met.len(),
            all.len(),
            if met.is_empty() {
                "none".to_owned()
            } else {
                met.join(", ")
            }
        );
        return;
    }
    out.push_str("Claimed profiles:\n\n");
    for p in claimed {
        let _ = writeln!(out, "- {}", line(p));
        let breaking = strs(&p["breaking"]);
        if !breaking.is_empty() {
            let shown: Vec<String> = breaking.iter().take(10).map(|b| format!("`{b}`")).collect();
            let _ = writeln!(
                out,
                "  - broken by {}{}",
                shown.join(", "),
                if breaking.len() > 10 {
                    format!(" and {} more (listed below)", breaking.len() - 10)
                } else {
                    String::new()
                }
            );
        }
    }
    out.push('\n');
}

fn failure(out: &mut String, c: &Value, req_text: &BTreeMap<&str, &str>) {
    let verdict = text(c, "verdict");
    let _ = writeln!(
        out,
        "#### `{}::{}` — {}\n",
        text(c, "chapter"),
        text(c, "id"),
        verdict
    );
    let _ = writeln!(out, "- why: {}", c["reason"].as_str().unwrap_or("-"));
    let claimed = strs(&c["profiles"]);
    if !super::console::is_failure_name(verdict) && !claimed.is_empty() {
        let _ = writeln!(out, "- breaks claimed profile(s): {}", claimed.join(", "));
    }
    if let Some(j) = c["judged"].as_str() {
        let _ = writeln!(out, "- judged: {j} (rewritten by the known-failures list)");
    }
    let flags = strs(&c["flags"]);
    let _ = writeln!(
        out,
        "- op `{}`, result {}{}, file `vectors/{}`",
        text(c, "op"),
        text(c, "result"),
        if flags.is_empty() {
            String::new()
        } else {
            format!(", flags {}", flags.join(", "))
        },
        text(c, "file")
    );
    for req in strs(&c["reqs"]) {
        match req_text.get(req) {
            Some(t) if !t.is_empty() => {
                let _ = writeln!(out, "- {req}: {}", super::console::one_line(t, 240));
            }
            _ => {
                let _ = writeln!(out, "- {req}");
            }
        }
    }
    out.push('\n');
    let ev = &c["evidence"];
    if let Some(req) = ev["request"].as_str().filter(|s| !s.is_empty()) {
        fenced(out, "request", "json", req);
    }
    if !c["expected"].is_null() {
        fenced(out, "expected", "json", &pretty(&c["expected"]));
    }
    if !c["actual"].is_null() {
        fenced(out, "actual", "json", &pretty(&c["actual"]));
    }
    if let Some(d) = c["diff"].as_str() {
        fenced(out, "diff expected → actual", "diff", d);
    }
    if let Some(resp) = ev["response"].as_str() {
        fenced(out, "response line", "", resp);
    }
    if let Some(err) = ev["stderr"].as_str().filter(|s| !s.trim().is_empty()) {
        fenced(out, "stderr (tail)", "", &tail(err, STDERR_TAIL_LINES));
    }
}

/// Render a typed report.
pub fn render(r: &Report) -> String {
    let value = serde_json::to_value(r).unwrap_or(Value::Null);
    render_with_bench(&value, &crate::bench::markdown_section(r.bench.as_ref()))
}

/// Render a report JSON (`report md FILE.json`); its bench section, if any, as a one-column
/// side-by-side table.
pub fn render_json(r: &Value) -> String {
    let bench = if r.get("bench").is_some_and(Value::is_object) {
        format!(
            "## Bench profile\n\n{}\n",
            crate::bench::render_side_by_side(std::slice::from_ref(r))
        )
    } else {
        String::new()
    };
    render_with_bench(r, &bench)
}

fn render_with_bench(r: &Value, bench: &str) -> String {
    let mut out = String::new();
    let target = &r["target"];
    let summary = &r["summary"];
    let cases: Vec<&Value> = r["cases"].as_array().into_iter().flatten().collect();
    let failing: Vec<&Value> = {
        let order: BTreeMap<&str, usize> = r["chapters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, ch)| (text(ch, "chapter"), i))
            .collect();
        let mut f: Vec<&Value> = cases
            .iter()
            .copied()
            .filter(|c| super::console::counts_against_json(c))
            .collect();
        f.sort_by_key(|c| order.get(text(c, "chapter")).copied().unwrap_or(usize::MAX));
        f
    };
    let _ = writeln!(
        out,
        "# M2M conformance report — {} {}\n",
        text(target, "name"),
        text(target, "version")
    );
    let mut by_verdict: Vec<String> = Vec::new();
    for v in Verdict::ALL.iter().filter(|v| **v != Verdict::Pass) {
        let n = count(summary, *v);
        if n > 0 {
            by_verdict.push(format!("{n} {}", v.name()));
        }
    }
    let _ = writeln!(
        out,
        "**{}** — {} cases, {} failing; {} pass{}.\n",
        verdict_line_json(r),
        summary["total"],
        failing.len(),
        count(summary, Verdict::Pass),
        if by_verdict.is_empty() {
            String::new()
        } else {
            format!(", {}", by_verdict.join(", "))
        }
    );
    profiles(&mut out, r);

    let req_text: BTreeMap<&str, &str> = r["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| (text(q, "id"), text(q, "text")))
        .collect();
    let _ = writeln!(out, "## Failures ({})\n", failing.len());
    if failing.is_empty() {
        out.push_str("None.\n\n");
    }
    let mut chapter = "";
    for c in &failing {
        if text(c, "chapter") != chapter {
            chapter = text(c, "chapter");
            let n = failing
                .iter()
                .filter(|f| text(f, "chapter") == chapter)
                .count();
            let _ = writeln!(out, "### Chapter `{chapter}` ({n})\n");
        }
        failure(&mut out, c, &req_text);
    }

    let others: Vec<&Value> = cases
        .iter()
        .copied()
        .filter(|c| {
            !matches!(text(c, "verdict"), "pass" | "unsupported" | "acceptable")
                && !super::console::counts_against_json(c)
        })
        .collect();
    if !others.is_empty() {
        let _ = writeln!(
            out,
            "## Other cases that did not pass cleanly ({})\n\nThey do not fail the run; their \
             evidence is in report.json and report.html.\n\n| case | verdict | why |\n|---|---|---|",
            others.len()
        );
        for c in &others {
            let _ = writeln!(
                out,
                "| `{}::{}` | {} | {} |",
                text(c, "chapter"),
                text(c, "id"),
                text(c, "verdict"),
                cell(c["reason"].as_str().unwrap_or("-"), 200)
            );
        }
        out.push('\n');
    }

    // Acceptable, one row per reason (the flags that tolerate them).
    let mut acceptable: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in cases.iter().filter(|c| text(c, "verdict") == "acceptable") {
        acceptable
            .entry(c["reason"].as_str().unwrap_or("-"))
            .or_default()
            .push(format!("`{}::{}`", text(c, "chapter"), text(c, "id")));
    }
    if !acceptable.is_empty() {
        let _ = writeln!(
            out,
            "## Acceptable, by reason ({} cases)

| why | cases | e.g. |
|---|---:|---|",
            acceptable.values().map(Vec::len).sum::<usize>()
        );
        for (why, names) in &acceptable {
            let _ = writeln!(
                out,
                "| {} | {} | {}{} |",
                cell(why, 200),
                names.len(),
                names[..names.len().min(3)].join(", "),
                if names.len() > 3 { ", …" } else { "" }
            );
        }
        out.push('\n');
    }

    // Unsupported (outside claimed profiles), one row per op.
    let mut unsupported: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for c in cases
        .iter()
        .filter(|c| text(c, "verdict") == "unsupported" && !super::console::counts_against_json(c))
    {
        let e = unsupported
            .entry(text(c, "op"))
            .or_insert((0, c["reason"].as_str().unwrap_or("-")));
        e.0 += 1;
    }
    if !unsupported.is_empty() {
        let _ = writeln!(
            out,
            "## Unsupported, by op ({} cases)\n\n| op | cases | why (first case) |\n|---|---:|---|",
            unsupported.values().map(|(n, _)| n).sum::<usize>()
        );
        for (op, (n, why)) in &unsupported {
            let _ = writeln!(out, "| `{op}` | {n} | {} |", cell(why, 160));
        }
        out.push('\n');
    }

    out.push_str("## By chapter\n\n");
    out.push_str(&header("chapter"));
    for c in r["chapters"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "{}",
            row(&format!("`{}`", text(c, "chapter")), &c["counts"])
        );
    }
    let _ = writeln!(out, "{}\n", row("**all**", summary));

    let reqs: Vec<&Value> = r["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|q| {
            count(&q["counts"], Verdict::Pass) != q["counts"]["total"].as_u64().unwrap_or(0)
        })
        .collect();
    let total_reqs = r["requirements"].as_array().map_or(0, Vec::len);
    let _ = writeln!(
        out,
        "## Requirements not fully passed ({} of {} cited)\n",
        reqs.len(),
        total_reqs
    );
    if !reqs.is_empty() {
        out.push_str(
            "| requirement | level | text | cases | not passed |\n|---|---|---|---:|---|\n",
        );
        for q in reqs {
            let c = &q["counts"];
            let not: Vec<String> = Verdict::ALL
                .iter()
                .filter(|v| **v != Verdict::Pass && count(c, **v) > 0)
                .map(|v| format!("{} {}", count(c, *v), v.name()))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                text(q, "id"),
                text(q, "level"),
                cell(text(q, "text"), 200),
                c["total"],
                not.join(", ")
            );
        }
        out.push('\n');
    }
    out.push_str(bench);

    let opts = &r["options"];
    let filters = strs(&opts["filters"]);
    let claimed = strs(&opts["profiles"]);
    out.push_str("## Run\n\n");
    let _ = writeln!(
        out,
        "- suite: {} {} (vectors schema {}), hash `{}` ({}){}",
        text(r, "suite"),
        text(r, "suite_version"),
        r["vectors_schema_version"],
        r["suite_hash"].as_str().unwrap_or("unknown"),
        r["suite_source"].as_str().unwrap_or("unknown source"),
        r["suite_commit"]
            .as_str()
            .map(|c| format!(", commit `{c}`"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "- target: `{}` (testee protocol {})",
        text(target, "target"),
        target["protocol"]
    );
    let _ = writeln!(out, "- generated: {}", text(r, "generated_at"));
    let _ = writeln!(
        out,
        "- options: strict={}, timeout={} ms, jobs={}, filters={}, profiles={}, known failures={}",
        opts["strict"],
        opts["timeout_ms"],
        opts["jobs"],
        if filters.is_empty() {
            "none".to_owned()
        } else {
            filters.join(", ")
        },
        if claimed.is_empty() {
            "none".to_owned()
        } else {
            claimed.join(", ")
        },
        opts["known_failures"].as_str().unwrap_or("none")
    );
    let _ = writeln!(
        out,
        "- run took {:.2} s",
        r["elapsed_ms"].as_f64().unwrap_or(0.0) / 1000.0
    );
    out
}

fn row(label: &str, c: &Value) -> String {
    let mut s = format!("| {label} | {} |", c["total"]);
    for v in Verdict::ALL {
        let _ = write!(s, " {} |", count(c, v));
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
