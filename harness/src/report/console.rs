//! What `certify` prints: the per-chapter table, the claimed profiles, and every failing case
//! first, grouped by chapter with a one-line reason, up to a cap past which it says how many more
//! there are and where the full list is.

use std::fmt::Write as _;

use crate::judge::Verdict;
use crate::report::Report;

/// How many failing cases the console lists before "…and N more".
pub const DEFAULT_CAP: usize = 200;

/// Whether a case counts against this run: a failing verdict, or any verdict that breaks a
/// claimed profile (e.g. `unsupported` inside one). [BASIS-PROFILE-003]
pub fn counts_against(c: &crate::result::CaseResult) -> bool {
    c.verdict.is_failure() || (!c.profiles.is_empty() && !crate::profiles::meets(c.verdict))
}

/// [`counts_against`] on a case of the report JSON.
pub fn counts_against_json(c: &serde_json::Value) -> bool {
    let verdict = c["verdict"].as_str().unwrap_or("");
    let in_claimed = c["profiles"].as_array().is_some_and(|p| !p.is_empty());
    is_failure_name(verdict) || (in_claimed && !matches!(verdict, "pass" | "acceptable"))
}

/// Whether a verdict name is a failing verdict ([`Verdict::is_failure`]).
pub fn is_failure_name(verdict: &str) -> bool {
    Verdict::from_name(verdict).is_some_and(Verdict::is_failure)
}

/// The whole console summary. `full_list` names the file that lists every failure.
pub fn render(r: &Report, cap: usize, full_list: Option<&str>) -> String {
    let mut out = String::new();
    let cols: Vec<Verdict> = Verdict::ALL.to_vec();
    let _ = write!(out, "{:<14} {:>6}", "chapter", "total");
    for v in &cols {
        let _ = write!(out, " {:>8}", short(*v));
    }
    out.push('\n');
    let line = |out: &mut String, label: &str, c: &crate::report::Counts| {
        let _ = write!(out, "{:<14} {:>6}", label, c.total);
        for v in &cols {
            let _ = write!(out, " {:>8}", c.get(*v));
        }
        out.push('\n');
    };
    for ch in &r.chapters {
        line(&mut out, &ch.chapter, &ch.counts);
    }
    line(&mut out, "all", &r.summary);

    let order: std::collections::HashMap<&str, usize> = r
        .chapters
        .iter()
        .enumerate()
        .map(|(i, ch)| (ch.chapter.as_str(), i))
        .collect();
    let mut failing: Vec<_> = r.cases.iter().filter(|c| counts_against(c)).collect();
    failing.sort_by_key(|c| order.get(c.chapter.as_str()).copied().unwrap_or(usize::MAX));
    if !failing.is_empty() {
        let _ = writeln!(out, "\n{} failing case(s), by chapter:", failing.len());
        let mut shown = 0;
        let mut chapter = "";
        for c in &failing {
            if shown == cap {
                break;
            }
            if c.chapter != chapter {
                chapter = &c.chapter;
                let n = failing.iter().filter(|f| f.chapter == chapter).count();
                let _ = writeln!(out, "  {chapter} ({n}):");
            }
            let why = one_line(c.reason.as_deref().unwrap_or(""), 160);
            let claim = if c.verdict.is_failure() {
                String::new()
            } else {
                format!(" [breaks profile {}]", c.profiles.join(", "))
            };
            let _ = writeln!(out, "    {} {}{claim} — {why}", c.verdict.name(), c.id);
            shown += 1;
        }
        if failing.len() > shown {
            let _ = writeln!(
                out,
                "  …and {} more ({})",
                failing.len() - shown,
                full_list.map_or(
                    "raise --max-failures-shown to list them here".to_owned(),
                    |f| format!("every one, with its evidence, is in {f}")
                )
            );
        }
    }

    let claimed: Vec<_> = r.profiles.iter().filter(|p| p.claimed).collect();
    if !claimed.is_empty() {
        out.push_str("\nclaimed profiles:\n");
        for p in &claimed {
            let _ = writeln!(out, "  {}", p.line());
        }
    } else {
        let met: Vec<&str> = r
            .profiles
            .iter()
            .filter(|p| p.conformant)
            .map(|p| p.name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "\nprofiles fully met by this run: {}",
            if met.is_empty() {
                "none".to_owned()
            } else {
                met.join(", ")
            }
        );
    }
    let secs = r.elapsed_ms / 1000.0;
    let _ = writeln!(
        out,
        "{}: {} {} — {} cases in {:.2}s ({} cases/s, {} job{}), {} failing",
        crate::report::markdown::verdict_line(r),
        r.target.name,
        r.target.version,
        r.summary.total,
        secs,
        rate(r.summary.total as f64 / secs.max(1e-9)),
        r.options.jobs,
        if r.options.jobs == 1 { "" } else { "s" },
        failing.len()
    );
    out
}

/// A case rate for the summary line: whole numbers from 10 cases/s up, one decimal below, so
/// that a slow network target (a Molt hub certifies about 0.4 cases/s) does not read "0 cases/s".
fn rate(per_s: f64) -> String {
    if per_s < 10.0 {
        format!("{per_s:.1}")
    } else {
        format!("{per_s:.0}")
    }
}

/// `s` on one line, cut to `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let n = flat.chars().count();
    if n <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

/// Column heading of a verdict.
pub fn short(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Acceptable => "accept",
        Verdict::NonStrict => "nonstrct",
        Verdict::Unsupported => "unsupp",
        Verdict::KnownFailure => "known",
        Verdict::Skipped => "skipped",
        Verdict::Fail => "fail",
        Verdict::Timeout => "timeout",
        Verdict::Crash => "crash",
        Verdict::HarnessError => "harn-err",
    }
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn slow_rates_keep_a_decimal() {
        assert_eq!(rate(140.0 / 343.43), "0.4");
        assert_eq!(rate(64.0 / 43.77), "1.5");
        assert_eq!(rate(9.96), "10.0");
        assert_eq!(rate(10.0), "10");
        assert_eq!(rate(4726.4), "4726");
    }
}
