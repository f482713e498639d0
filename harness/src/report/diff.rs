//! `m2m-conformance report diff OLD.json NEW.json`: what changed between two runs, as Markdown
//! for a pull request. Cases are matched by `chapter::id`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::judge::Verdict;

/// The cases of a report by `chapter::id` → (verdict, reason).
fn cases(report: &Value) -> BTreeMap<String, (String, String)> {
    report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                format!(
                    "{}::{}",
                    c["chapter"].as_str().unwrap_or(""),
                    c["id"].as_str().unwrap_or("")
                ),
                (
                    c["verdict"].as_str().unwrap_or("").to_owned(),
                    c["reason"].as_str().unwrap_or("").to_owned(),
                ),
            )
        })
        .collect()
}

fn failing(verdict: &str) -> bool {
    Verdict::from_name(verdict).is_some_and(Verdict::is_failure)
}

/// A verdict that meets a profile: pass or acceptable.
fn met(verdict: &str) -> bool {
    Verdict::from_name(verdict).is_some_and(crate::profiles::meets)
}

/// Whether going from `old` to `new` is a regression: a failure appeared, or a case that met
/// its requirements no longer does (pass → unsupported, pass → known-failure, pass →
/// skipped, pass → non-strict …): a testee cannot hide a regression by ceasing to answer or by
/// listing it. [BASIS-PROFILE-006]
fn regressed(old: &str, new: &str) -> bool {
    (!failing(old) && failing(new)) || (met(old) && !met(new))
}

/// The claimed-or-not profile statuses of a report: name → conformant.
fn profiles(report: &Value) -> BTreeMap<String, bool> {
    report["profiles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["conformant"].as_bool()?)))
        .collect()
}

/// What changed between two reports.
#[derive(Debug, Default, PartialEq)]
pub struct Diff {
    /// Failing before, not failing now: (case, old verdict, new verdict).
    pub fixed: Vec<(String, String, String)>,
    /// A regression ([`regressed`]): (case, old verdict, new verdict, reason).
    pub broken: Vec<(String, String, String, String)>,
    /// Profiles conformant before and not now.
    pub profiles_lost: Vec<String>,
    /// Profiles not conformant before and conformant now.
    pub profiles_gained: Vec<String>,
    /// Another verdict change that is neither: (case, old, new).
    pub changed: Vec<(String, String, String)>,
    /// Only in the new report: (case, verdict).
    pub new: Vec<(String, String)>,
    /// Only in the old report: (case, verdict).
    pub removed: Vec<(String, String)>,
}

/// Compare two reports.
pub fn diff(old: &Value, new: &Value) -> Diff {
    let (a, b) = (cases(old), cases(new));
    let same_suite = same_suite(old, new);
    let mut d = Diff::default();
    for (id, (va, _)) in &a {
        match b.get(id) {
            // Same suite, and a case that met its requirements was not run: a narrower
            // `--filter` must not hide a regression. [BASIS-PROFILE-006]
            None if same_suite && met(va) => d.broken.push((
                id.clone(),
                va.clone(),
                "not run".to_owned(),
                "the new run has the same suite but did not run this case (--filter?)".to_owned(),
            )),
            None => d.removed.push((id.clone(), va.clone())),
            Some((vb, reason)) if va != vb => {
                if regressed(va, vb) {
                    d.broken
                        .push((id.clone(), va.clone(), vb.clone(), reason.clone()))
                } else if failing(va) && !failing(vb) {
                    d.fixed.push((id.clone(), va.clone(), vb.clone()))
                } else {
                    d.changed.push((id.clone(), va.clone(), vb.clone()))
                }
            }
            Some(_) => {}
        }
    }
    for (id, (vb, _)) in &b {
        if !a.contains_key(id) {
            d.new.push((id.clone(), vb.clone()));
        }
    }
    let (pa, pb) = (profiles(old), profiles(new));
    for (name, was) in &pa {
        match (was, pb.get(name)) {
            (true, Some(false) | None) => d.profiles_lost.push(name.clone()),
            (false, Some(true)) => d.profiles_gained.push(name.clone()),
            _ => {}
        }
    }
    d
}

impl Diff {
    /// Whether anything regressed (the exit code of `report diff`).
    pub fn regressed(&self) -> bool {
        !self.broken.is_empty() || !self.profiles_lost.is_empty()
    }
}

/// Whether both reports ran the same suite data (equal, present `suite_hash`).
fn same_suite(old: &Value, new: &Value) -> bool {
    matches!((old["suite_hash"].as_str(), new["suite_hash"].as_str()),
        (Some(x), Some(y)) if !x.is_empty() && x == y)
}

fn name(r: &Value) -> String {
    let hash = r["suite_hash"].as_str().unwrap_or("?");
    format!(
        "{} {} (suite {} {})",
        r["target"]["name"].as_str().unwrap_or("?"),
        r["target"]["version"].as_str().unwrap_or("?"),
        r["suite_version"].as_str().unwrap_or("?"),
        hash.get(..19).unwrap_or(hash),
    )
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Render the diff as Markdown.
pub fn render(old: &Value, new: &Value) -> String {
    let d = diff(old, new);
    let mut out = String::new();
    let _ = writeln!(out, "## Conformance diff\n");
    let _ = writeln!(out, "- old: {}", name(old));
    let _ = writeln!(out, "- new: {}", name(new));
    if !same_suite(old, new) {
        let _ = writeln!(
            out,
            "- the two runs ran different suite data (suite_hash): cases may have been added, \
             removed or changed"
        );
    }
    let _ = writeln!(
        out,
        "- {} fixed, {} broken, {} other verdict changes, {} new, {} removed\n",
        d.fixed.len(),
        d.broken.len(),
        d.changed.len(),
        d.new.len(),
        d.removed.len()
    );
    for (title, names) in [
        ("Profiles no longer met", &d.profiles_lost),
        ("Profiles now met", &d.profiles_gained),
    ] {
        if !names.is_empty() {
            let _ = writeln!(out, "### {title}\n");
            for n in names {
                let _ = writeln!(out, "- `{n}`");
            }
            out.push('\n');
        }
    }
    if !d.broken.is_empty() {
        let _ = writeln!(
            out,
            "### Broken\n\n| case | was | now | reason |\n|---|---|---|---|"
        );
        for (id, a, b, why) in &d.broken {
            let _ = writeln!(out, "| `{id}` | {a} | **{b}** | {} |", md(why));
        }
        out.push('\n');
    }
    for (title, rows) in [("Fixed", &d.fixed), ("Other verdict changes", &d.changed)] {
        if !rows.is_empty() {
            let _ = writeln!(out, "### {title}\n\n| case | was | now |\n|---|---|---|");
            for (id, a, b) in rows {
                let _ = writeln!(out, "| `{id}` | {a} | {b} |");
            }
            out.push('\n');
        }
    }
    for (title, rows) in [("New cases", &d.new), ("Removed cases", &d.removed)] {
        if !rows.is_empty() {
            let _ = writeln!(out, "### {title}\n\n| case | verdict |\n|---|---|");
            for (id, v) in rows {
                let _ = writeln!(out, "| `{id}` | {v} |");
            }
            out.push('\n');
        }
    }
    if d == Diff::default() {
        out.push_str("No verdict changed.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(cases: &[(&str, &str)]) -> Value {
        json!({
            "target": {"name": "t", "version": "1"},
            "suite_version": "0.1.0",
            "cases": cases.iter().map(|(id, v)| json!({"chapter": "c", "id": id, "verdict": v, "reason": "r"})).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn classifies_every_change() {
        let old = report(&[
            ("fixed", "fail"),
            ("broken", "pass"),
            ("same", "pass"),
            ("soft", "pass"),
            ("gone", "pass"),
            ("hidden", "pass"),
            ("listed", "pass"),
            ("ok-to-skip", "unsupported"),
        ]);
        let new = report(&[
            ("fixed", "pass"),
            ("broken", "crash"),
            ("same", "pass"),
            ("soft", "acceptable"),
            ("added", "fail"),
            ("hidden", "unsupported"),
            ("listed", "known-failure"),
            ("ok-to-skip", "pass"),
        ]);
        let d = diff(&old, &new);
        assert_eq!(
            d.fixed,
            vec![("c::fixed".into(), "fail".into(), "pass".into())]
        );
        let broken: Vec<&str> = d.broken.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(broken, ["c::broken", "c::hidden", "c::listed"]);
        assert_eq!(
            d.changed,
            vec![
                ("c::ok-to-skip".into(), "unsupported".into(), "pass".into()),
                ("c::soft".into(), "pass".into(), "acceptable".into()),
            ]
        );
        assert_eq!(d.new, vec![("c::added".into(), "fail".into())]);
        assert_eq!(d.removed, vec![("c::gone".into(), "pass".into())]);
        let text = render(&old, &new);
        assert!(text.contains("1 fixed, 3 broken, 2 other verdict changes, 1 new, 1 removed"));
        assert!(d.regressed());
        assert!(text.contains("| `c::broken` | pass | **crash** | r |"));
        assert_eq!(
            render(&old, &old).lines().last(),
            Some("No verdict changed.")
        );
    }

    #[test]
    fn a_lost_profile_is_a_regression() {
        let mut old = report(&[("a", "pass")]);
        old["profiles"] = json!([{"name": "core", "conformant": true}]);
        let mut new = old.clone();
        new["profiles"] = json!([{"name": "core", "conformant": false}]);
        let d = diff(&old, &new);
        assert_eq!(d.profiles_lost, ["core"]);
        assert!(d.regressed());
        assert!(render(&old, &new).contains("### Profiles no longer met"));
        assert!(!diff(&new, &old).regressed());
        // A profile that was met and is missing from the new report is lost too.
        new["profiles"] = json!([]);
        assert_eq!(diff(&old, &new).profiles_lost, ["core"]);
    }

    #[test]
    fn a_passing_case_left_out_of_a_run_of_the_same_suite_is_a_regression() {
        let mut old = report(&[
            ("kept", "pass"),
            ("dropped", "pass"),
            ("was-failing", "fail"),
        ]);
        let mut new = report(&[("kept", "pass")]);
        old["suite_hash"] = json!("sha256:aa");
        new["suite_hash"] = json!("sha256:aa");
        let d = diff(&old, &new);
        assert_eq!(d.broken.len(), 1, "{d:?}");
        assert_eq!(d.broken[0].0, "c::dropped");
        assert_eq!(d.broken[0].2, "not run");
        assert_eq!(d.removed, vec![("c::was-failing".into(), "fail".into())]);
        assert!(d.regressed());
        assert!(!render(&old, &new).contains("different suite data"));
        // Another suite may have removed the case: reported, not a regression.
        new["suite_hash"] = json!("sha256:bb");
        let d = diff(&old, &new);
        assert!(!d.regressed(), "{d:?}");
        assert_eq!(d.removed.len(), 2);
        assert!(render(&old, &new).contains("different suite data"));
    }
}
