//! Self-contained HTML reports: one file, inline CSS and a few lines of inline script, no
//! network fetches. Rendered from the canonical report JSON, so `certify` (which writes
//! `report.html` next to `report.json`) and `m2m-conformance report html FILE.json` give the
//! same page, and `report matrix` combines several reports into a requirement × implementation
//! matrix.
//!
//! Every number on the page is read from the JSON; the test `harness/tests/html_report.rs`
//! renders a real run and checks the DOM text against the JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::judge::Verdict;

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn count(counts: &Value, verdict: Verdict) -> u64 {
    counts
        .get("verdicts")
        .and_then(|v| v.get(verdict.name()))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Cases in `counts` whose verdict fails certification.
fn failing(counts: &Value) -> u64 {
    Verdict::ALL
        .iter()
        .filter(|v| v.is_failure())
        .map(|v| count(counts, *v))
        .sum()
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header .meta{opacity:.8;font-size:13px}
main{padding:18px 28px;max-width:1400px}
.badge{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;font-size:13px;margin-left:8px}
.ok{background:#2e7d32;color:#fff}.bad{background:#c62828;color:#fff}
table{border-collapse:collapse;background:#fff;margin:10px 0 22px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{border:1px solid #e0e3e8;padding:4px 9px;text-align:right;white-space:nowrap}
th{background:#eef0f4;font-weight:600}
td.name,th.name{text-align:left;white-space:normal}
td.z{color:#b9bec8}
td.v-pass{background:#e8f5e9}td.v-acceptable,td.v-non-strict{background:#fff8e1}
td.v-unsupported,td.v-skipped{background:#eceff1}td.v-known-failure{background:#f3e5f5}
td.v-fail,td.v-timeout,td.v-crash,td.v-harness-error{background:#ffebee;font-weight:600}
details{background:#fff;border:1px solid #e0e3e8;border-radius:4px;margin:4px 0;padding:4px 10px}
details summary{cursor:pointer}
details pre{background:#f6f7f9;padding:8px;overflow:auto;max-height:360px;font-size:12px}
.tag{font:600 11px/1 monospace;padding:2px 6px;border-radius:3px;margin-right:6px}
.tag.pass{background:#c8e6c9}.tag.acceptable,.tag.non-strict{background:#ffecb3}
.tag.unsupported,.tag.skipped{background:#cfd8dc}.tag.known-failure{background:#e1bee7}
.tag.fail,.tag.timeout,.tag.crash,.tag.harness-error{background:#ffcdd2}
.filters label{margin-right:12px}
.profile-ok{color:#2e7d32;font-weight:600}.profile-bad{color:#c62828;font-weight:600}
td.text{text-align:left;white-space:normal;max-width:640px;font-size:13px}
.muted{color:#6b7280}
"#;

const SCRIPT: &str = r#"
function m2mFilter(){
  var shown={};
  document.querySelectorAll('.filters input[type=checkbox]').forEach(function(b){shown[b.value]=b.checked;});
  var n=0;
  document.querySelectorAll('details.case').forEach(function(d){
    var on=!!shown[d.getAttribute('data-verdict')];
    d.hidden=!on; if(on){n++;}
  });
  var c=document.getElementById('shown-count'); if(c){c.textContent=n;}
}
document.querySelectorAll('.filters input[type=checkbox]').forEach(function(b){b.addEventListener('change',m2mFilter);});
function m2mShowAll(){
  document.querySelectorAll('.filters input[type=checkbox]').forEach(function(b){b.checked=true;});
  m2mFilter();
}
var all=document.getElementById('show-all');
if(all){all.addEventListener('click',m2mShowAll);}
if(location.hash==='#all'){m2mShowAll();}
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}<script>{SCRIPT}</script></body></html>\n",
        esc(title)
    )
}

fn verdict_cells(out: &mut String, counts: &Value) {
    for v in Verdict::ALL {
        let n = count(counts, v);
        let class = if n == 0 {
            "z".to_owned()
        } else {
            format!("v-{}", v.name())
        };
        let _ = write!(
            out,
            "<td class=\"{class}\" data-verdict=\"{}\">{n}</td>",
            v.name()
        );
    }
}

fn verdict_header(out: &mut String, first: &str) {
    let _ = write!(out, "<tr><th class=\"name\">{first}</th><th>total</th>");
    for v in Verdict::ALL {
        let _ = write!(out, "<th>{}</th>", v.name());
    }
    out.push_str("</tr>");
}

fn pre(label: &str, body: &str) -> String {
    format!("<p class=\"muted\">{label}</p><pre>{}</pre>", esc(body))
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Render one report (the canonical JSON) as a self-contained HTML page.
pub fn render(report: &Value) -> String {
    let target = &report["target"];
    let name = format!("{} {}", text(target, "name"), text(target, "version"));
    let certified = report["certified"].as_bool().unwrap_or(false);
    let summary = &report["summary"];
    // `sha256:` and the first 12 hex digits.
    let hash: String = report["suite_hash"]
        .as_str()
        .unwrap_or("unknown")
        .chars()
        .take(19)
        .collect();
    let mut b = String::new();
    let _ = write!(
        b,
        "<header><h1 id=\"title\">{} <span class=\"badge {}\" id=\"verdict\">{}</span></h1>\
         <div class=\"meta\">target <code>{}</code> · suite {} {} · commit {} · vectors schema {} · \
         generated {} · strict {} · known failures {} · suite hash {} ({})</div></header><main>",
        esc(&name),
        if certified { "ok" } else { "bad" },
        if certified { "CERTIFIED" } else { "NOT CERTIFIED" },
        esc(text(target, "target")),
        esc(text(report, "suite")),
        esc(text(report, "suite_version")),
        esc(&text(report, "suite_commit").chars().take(12).collect::<String>()),
        report["vectors_schema_version"],
        esc(text(report, "generated_at")),
        report["options"]["strict"],
        esc(report["options"]["known_failures"].as_str().unwrap_or("none")),
        esc(&hash),
        esc(report["suite_source"].as_str().unwrap_or("unknown source")),
    );
    b.push_str(&profiles_section(report));
    // Cases: those counting against the run first, then the other non-pass ones, then the
    // passing ones; the page opens filtered to the non-passing ones.
    let cases: Vec<&Value> = report["cases"].as_array().into_iter().flatten().collect();
    let non_pass = cases
        .iter()
        .filter(|c| text(c, "verdict") != "pass")
        .count();
    let _ = write!(
        b,
        "<h2>Cases</h2><div class=\"filters\" id=\"filters\">showing <span id=\"shown-count\">{non_pass}</span> of {} · ",
        cases.len()
    );
    for v in Verdict::ALL {
        let n = cases
            .iter()
            .filter(|c| text(c, "verdict") == v.name())
            .count();
        if n > 0 {
            let _ = write!(
                b,
                "<label><input type=\"checkbox\" value=\"{0}\"{1}> {0} ({n})</label>",
                v.name(),
                if v == Verdict::Pass { "" } else { " checked" }
            );
        }
    }
    b.push_str(
        "<button type=\"button\" id=\"show-all\" title=\"or open this page as report.html#all\">show all</button></div><div id=\"cases\">",
    );
    let chapter_order: BTreeMap<&str, usize> = report["chapters"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, ch)| (text(ch, "chapter"), i))
        .collect();
    let mut ordered = cases.clone();
    ordered.sort_by_key(|c| {
        let group = if super::console::counts_against_json(c) {
            0
        } else if text(c, "verdict") != "pass" {
            1
        } else {
            2
        };
        let chapter = chapter_order
            .get(text(c, "chapter"))
            .copied()
            .unwrap_or(usize::MAX);
        (group, chapter)
    });
    for c in ordered {
        case_details(&mut b, c);
    }
    b.push_str("</div>");
    // Chapter × verdict.
    b.push_str("<h2>Chapters</h2><table id=\"chapters\">");
    verdict_header(&mut b, "chapter");
    for ch in report["chapters"].as_array().into_iter().flatten() {
        let counts = &ch["counts"];
        let _ = write!(
            b,
            "<tr data-chapter=\"{}\"><td class=\"name\">{}</td><td>{}</td>",
            esc(text(ch, "chapter")),
            esc(text(ch, "title")),
            counts["total"]
        );
        verdict_cells(&mut b, counts);
        b.push_str("</tr>");
    }
    let _ = write!(
        b,
        "<tr id=\"total\"><th class=\"name\">all</th><th>{}</th>",
        summary["total"]
    );
    verdict_cells(&mut b, summary);
    b.push_str("</tr></table>");
    // Requirements that did not fully pass.
    let reqs: Vec<&Value> = report["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            count(&r["counts"], Verdict::Pass) != r["counts"]["total"].as_u64().unwrap_or(0)
        })
        .collect();
    let _ = write!(
        b,
        "<h2>Requirements not fully passed ({})</h2><table id=\"requirements\">",
        reqs.len()
    );
    verdict_header(&mut b, "requirement</th><th class=\"name\">text");
    for r in reqs {
        let _ = write!(
            b,
            "<tr data-req=\"{id}\"><td class=\"name\">{id} <span class=\"muted\">{}</span></td>\
             <td class=\"text\">{}</td><td>{}</td>",
            esc(text(r, "level")),
            esc(text(r, "text")),
            r["counts"]["total"],
            id = esc(text(r, "id")),
        );
        verdict_cells(&mut b, &r["counts"]);
        b.push_str("</tr>");
    }
    b.push_str("</table>");
    b.push_str(&crate::bench::html_section(report));
    b.push_str("</main>");
    page(&format!("{name} — m2m-conformance report"), &b)
}

/// The profiles: claimed ones with CONFORMANT / NOT CONFORMANT and counts, and every other
/// profile with whether this run fully meets it.
fn profiles_section(report: &Value) -> String {
    let all: Vec<&Value> = report["profiles"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if all.is_empty() {
        return String::new();
    }
    let claimed = all.iter().any(|p| p["claimed"].as_bool().unwrap_or(false));
    let mut b = format!(
        "<h2>Profiles</h2><p class=\"muted\">{}</p><table id=\"profiles\"><tr><th class=\"name\">profile</th>\
         <th class=\"name\">title</th><th class=\"name\">claimed</th><th class=\"name\">status</th>\
         <th>met / cases</th><th>not run</th><th class=\"name\">not met</th></tr>",
        if claimed {
            "Claimed with --profile: every case of a claimed profile must run and pass (or be acceptable)."
        } else {
            "No profile claimed; the status says whether this run fully meets each."
        }
    );
    for p in all {
        let ok = p["conformant"].as_bool().unwrap_or(false);
        let is_claimed = p["claimed"].as_bool().unwrap_or(false);
        let status = match (is_claimed, ok) {
            (_, true) => "CONFORMANT",
            (true, false) => "NOT CONFORMANT",
            (false, false) => "not met",
        };
        let cases = p["cases"].as_u64().unwrap_or(0);
        let ran = p["ran"].as_u64().unwrap_or(0);
        let not_met: Vec<String> = p["verdicts"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(v, _)| !matches!(v.as_str(), "pass" | "acceptable"))
            .map(|(v, n)| format!("{n} {v}"))
            .collect();
        let _ = write!(
            b,
            "<tr data-profile=\"{name}\"{cls}><td class=\"name\"><code>{name}</code></td><td class=\"name\">{}</td>\
             <td class=\"name\">{}</td><td class=\"name {}\">{status}</td><td>{} / {cases}</td><td>{}</td><td class=\"name\">{}</td></tr>",
            esc(text(p, "title")),
            if is_claimed { "claimed" } else { "" },
            if ok { "profile-ok" } else if is_claimed { "profile-bad" } else { "muted" },
            p["met"],
            cases - ran.min(cases),
            esc(&not_met.join(", ")),
            name = esc(text(p, "name")),
            cls = if is_claimed { " class=\"claimed\"" } else { "" },
        );
    }
    b.push_str("</table>");
    b
}

fn case_details(b: &mut String, c: &Value) {
    let verdict = text(c, "verdict");
    let reqs: Vec<&str> = c["reqs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let _ = write!(
        b,
        "<details class=\"case\" data-verdict=\"{v}\" id=\"case-{id}\"{hidden}><summary>\
         <span class=\"tag {v}\">{v}</span><code>{ch}::{id}</code> <span class=\"muted\">{reqs}</span>{profile} {reason}</summary>",
        v = esc(verdict),
        hidden = if verdict == "pass" { " hidden" } else { "" },
        profile = match c["profiles"].as_array() {
            Some(p) if !p.is_empty() && !super::console::is_failure_name(verdict) && !matches!(verdict, "pass" | "acceptable") => format!(
                " <strong>breaks claimed profile {}</strong>",
                esc(&p.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
            ),
            _ => String::new(),
        },
        id = esc(text(c, "id")),
        ch = esc(text(c, "chapter")),
        reqs = esc(&reqs.join(" ")),
        reason = esc(c["reason"].as_str().unwrap_or("")),
    );
    let _ = write!(
        b,
        "<p>op <code>{}</code> · result <code>{}</code> · file <code>vectors/{}</code>{}</p>",
        esc(text(c, "op")),
        esc(text(c, "result")),
        esc(text(c, "file")),
        match c["flags"].as_array() {
            Some(f) if !f.is_empty() => format!(
                " · flags <code>{}</code>",
                esc(&f
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "))
            ),
            _ => String::new(),
        }
    );
    if let Some(d) = c["diff"].as_str() {
        b.push_str(&pre("diff expected → actual", d));
    } else {
        if !c["expected"].is_null() {
            b.push_str(&pre("expected", &pretty(&c["expected"])));
        }
        if !c["actual"].is_null() {
            b.push_str(&pre("actual", &pretty(&c["actual"])));
        }
    }
    let ev = &c["evidence"];
    for (key, label) in [
        ("request", "request"),
        ("response", "response"),
        ("stderr", "stderr"),
    ] {
        if let Some(s) = ev[key].as_str() {
            b.push_str(&pre(label, s));
        }
    }
    if verdict == "pass" {
        b.push_str("<p class=\"muted\">passed: the outcome equals the expectation</p>");
    }
    b.push_str("</details>");
}

/// The cell of one requirement in one report: `pass`, `fail`, … or absent.
fn requirement_status(r: &Value) -> &'static str {
    let counts = &r["counts"];
    let total = counts["total"].as_u64().unwrap_or(0);
    if failing(counts) > 0 {
        "fail"
    } else if count(counts, Verdict::Pass) == total {
        "pass"
    } else if count(counts, Verdict::Unsupported) + count(counts, Verdict::Skipped) == total {
        "unsupported"
    } else if count(counts, Verdict::KnownFailure) > 0 {
        "known-failure"
    } else if count(counts, Verdict::NonStrict) > 0 {
        "non-strict"
    } else {
        "acceptable"
    }
}

/// Profile × implementation: `CONFORMANT` or `NOT (met/cases)`, `claimed` when the run
/// claimed it, `–` for a report without profiles.
fn matrix_profiles(reports: &[Value], names: &[String]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    let mut cells: BTreeMap<(String, usize), &Value> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for p in r["profiles"].as_array().into_iter().flatten() {
            let name = text(p, "name").to_owned();
            if !order.contains(&name) {
                order.push(name.clone());
            }
            titles.insert(name.clone(), text(p, "title").to_owned());
            cells.insert((name, i), p);
        }
    }
    if order.is_empty() {
        return String::new();
    }
    let mut b = String::from(
        "<h2>Profiles</h2><table id=\"matrix-profiles\"><tr><th class=\"name\">profile</th>",
    );
    for n in names {
        let _ = write!(b, "<th>{}</th>", esc(n));
    }
    b.push_str("</tr>");
    for name in &order {
        let _ = write!(
            b,
            "<tr data-profile=\"{n}\"><td class=\"name\"><code>{n}</code> <span class=\"muted\">{}</span></td>",
            esc(titles.get(name).map_or("", String::as_str)),
            n = esc(name)
        );
        for i in 0..reports.len() {
            match cells.get(&(name.clone(), i)) {
                Some(p) => {
                    let ok = p["conformant"].as_bool().unwrap_or(false);
                    let claimed = if p["claimed"].as_bool().unwrap_or(false) {
                        " (claimed)"
                    } else {
                        ""
                    };
                    if ok {
                        let _ = write!(b, "<td class=\"v-pass\">CONFORMANT{claimed}</td>");
                    } else {
                        let _ = write!(
                            b,
                            "<td class=\"v-fail\">NOT ({}/{}){claimed}</td>",
                            p["met"], p["cases"]
                        );
                    }
                }
                None => b.push_str("<td class=\"z\">–</td>"),
            }
        }
        b.push_str("</tr>");
    }
    b.push_str("</table>");
    b
}

/// Render several reports as one requirement × implementation matrix (plus a chapter table).
pub fn render_matrix(reports: &[Value]) -> String {
    let names: Vec<String> = reports
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                text(&r["target"], "name"),
                text(&r["target"], "version")
            )
        })
        .collect();
    let mut b = String::new();
    let _ = write!(
        b,
        "<header><h1 id=\"title\">Conformance matrix</h1><div class=\"meta\">{} implementations · \
         each cell: the worst verdict among the cases citing the requirement</div></header><main>",
        reports.len()
    );
    b.push_str(&matrix_profiles(reports, &names));
    // Chapter summary: pass / total per implementation.
    let mut chapters: BTreeMap<String, Vec<Option<&Value>>> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for ch in r["chapters"].as_array().into_iter().flatten() {
            chapters
                .entry(text(ch, "chapter").to_owned())
                .or_insert_with(|| vec![None; reports.len()])[i] = Some(&ch["counts"]);
        }
    }
    b.push_str("<h2>Chapters (pass / total)</h2><table id=\"matrix-chapters\"><tr><th class=\"name\">chapter</th>");
    for n in &names {
        let _ = write!(b, "<th>{}</th>", esc(n));
    }
    b.push_str("</tr>");
    for (ch, cells) in &chapters {
        let _ = write!(b, "<tr><td class=\"name\">{}</td>", esc(ch));
        for cell in cells {
            match cell {
                Some(c) => {
                    let total = c["total"].as_u64().unwrap_or(0);
                    let pass = count(c, Verdict::Pass);
                    let class = if failing(c) > 0 {
                        "v-fail"
                    } else if pass == total {
                        "v-pass"
                    } else {
                        "v-acceptable"
                    };
                    let _ = write!(b, "<td class=\"{class}\">{pass} / {total}</td>");
                }
                None => b.push_str("<td class=\"z\">–</td>"),
            }
        }
        b.push_str("</tr>");
    }
    b.push_str("</table>");
    // Requirement × implementation.
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut cells: BTreeMap<(String, usize), &'static str> = BTreeMap::new();
    let mut levels: BTreeMap<String, String> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for req in r["requirements"].as_array().into_iter().flatten() {
            let id = text(req, "id").to_owned();
            levels.insert(id.clone(), text(req, "level").to_owned());
            cells.insert((id.clone(), i), requirement_status(req));
            ids.insert(id);
        }
    }
    let _ = write!(
        b,
        "<h2>Requirements ({})</h2><table id=\"matrix\"><tr><th class=\"name\">requirement</th>",
        ids.len()
    );
    for n in &names {
        let _ = write!(b, "<th>{}</th>", esc(n));
    }
    b.push_str("</tr>");
    for id in &ids {
        let _ = write!(
            b,
            "<tr><td class=\"name\">{} <span class=\"muted\">{}</span></td>",
            esc(id),
            esc(levels.get(id).map_or("", String::as_str))
        );
        for i in 0..reports.len() {
            match cells.get(&(id.clone(), i)) {
                Some(s) => {
                    let _ = write!(b, "<td class=\"v-{s}\">{s}</td>");
                }
                None => b.push_str("<td class=\"z\">not run</td>"),
            }
        }
        b.push_str("</tr>");
    }
    b.push_str("</table></main>");
    page("m2m-conformance matrix", &b)
}
