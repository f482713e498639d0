//! The HTML report of a real run says what the JSON report says: a broken testee (one garbage
//! answer, one crash) is run on a slice of the suite, the report is rendered, and the DOM text
//! is checked against the JSON — parsed with an HTML5 parser, and, when Chromium is installed,
//! as Chromium renders it (`--dump-dom`). CI installs Chromium and sets
//! `M2M_REQUIRE_CHROMIUM=1`, so there the browser check cannot be skipped.

use std::process::Command;
use std::time::Duration;

use m2m_conformance::judge::Policy;
use m2m_conformance::load_suite;
use m2m_conformance::report::{html, Report, ReportOptions};
use m2m_conformance::run::{run_all, RunOptions};
use m2m_conformance::target::stdin::StdinTarget;
use m2m_conformance::target::{Target, TargetOptions};
use scraper::{Html, Selector};
use serde_json::Value;

struct Run {
    json: Value,
    html: String,
    garbage: String,
    crash: String,
}

fn run() -> Run {
    let root = m2m_conformance::default_root();
    let (spec, suite) = load_suite(&root.join("spec"), &root.join("vectors")).expect("suite");
    let cases: Vec<_> = suite
        .cases
        .iter()
        .filter(|c| c.chapter == "varint")
        .cloned()
        .collect();
    let garbage = cases[2].id.clone();
    let crash = cases[5].id.clone();
    let command = format!(
        "GARBAGE_ID='{garbage}' CRASH_ID='{crash}' exec bash '{}/tests/broken_testee.sh' '{}'",
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_m2m-conformance")
    );
    let opts = TargetOptions {
        timeout: Duration::from_secs(5),
        ..TargetOptions::default()
    };
    let mut target = StdinTarget::new(&command, opts);
    let info = target.hello().expect("hello");
    let mut results = run_all(&cases, &mut target, &info, &RunOptions::default(), |_| {});
    // Claim the `core` profile (varint is one of its chapters).
    let claimed = vec!["core".to_owned()];
    let profiles = m2m_conformance::profiles::Profiles::load(&spec).expect("profiles");
    for (r, case) in results.iter_mut().zip(&cases) {
        assert_eq!(r.id, case.id);
        r.profiles = profiles.claimed_containing(&claimed, case);
    }
    let judged = m2m_conformance::profiles::evaluate(&profiles, &claimed, &suite.cases, &results);
    let suite_root =
        m2m_conformance::suite_data::SuiteRoot::from_dir(&root, "--root").expect("suite");
    let report = Report::new(
        &spec,
        &suite_root,
        info,
        ReportOptions {
            filters: vec![],
            strict: Policy::default().strict,
            timeout_ms: 5000,
            known_failures: None,
            jobs: 1,
            profiles: claimed,
        },
        results,
        judged,
    );
    let json = serde_json::to_value(&report).expect("json");
    let html = html::render(&json);
    Run {
        json,
        html,
        garbage,
        crash,
    }
}

fn texts(doc: &Html, css: &str) -> Vec<String> {
    let sel = Selector::parse(css).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// Every DOM assertion, on a parsed document (from the HTML text or from Chromium's DOM).
fn check_dom(doc: &Html, run: &Run) {
    let j = &run.json;
    assert_eq!(texts(doc, "#verdict"), vec!["NOT CERTIFIED"]);
    assert!(texts(doc, "#title")[0].starts_with("m2m-reference"));
    // The totals row: total, then one cell per verdict, in Verdict::ALL order.
    let total = texts(doc, "#total th, #total td");
    assert_eq!(total[1], j["summary"]["total"].to_string());
    for (i, v) in m2m_conformance::judge::Verdict::ALL.iter().enumerate() {
        assert_eq!(
            total[2 + i],
            j["summary"]["verdicts"][v.name()].to_string(),
            "{}",
            v.name()
        );
    }
    assert_eq!(j["summary"]["verdicts"]["fail"], 1);
    assert_eq!(j["summary"]["verdicts"]["crash"], 1);
    // One row per chapter that ran.
    assert_eq!(texts(doc, "#chapters tr[data-chapter]").len(), 1);
    // Per-case evidence: the garbage case shows its verdict, reason and the raw exchange.
    let garbage = texts(doc, &format!("#case-{} summary", run.garbage));
    assert!(
        garbage[0].contains("fail") && garbage[0].contains("protocol violation"),
        "{garbage:?}"
    );
    let body = texts(doc, &format!("#case-{} pre", run.garbage)).join("\n");
    assert!(body.contains("garbage, not JSON"), "{body}");
    assert!(
        body.contains(&format!("\"id\":\"{}\"", run.garbage)),
        "{body}"
    );
    let crash = texts(doc, &format!("#case-{} summary", run.crash));
    assert!(crash[0].starts_with("crash"), "{crash:?}");
    // Every case is on the page, and the filter boxes name the verdicts present.
    assert_eq!(
        texts(doc, "details.case").len() as u64,
        j["summary"]["total"].as_u64().unwrap()
    );
    let boxes = texts(doc, ".filters label").join(" ");
    assert!(
        boxes.contains("pass (") && boxes.contains("crash (1)"),
        "{boxes}"
    );
    // The page opens filtered to the non-passing cases: passing ones are hidden, the others
    // shown, the `pass` box unchecked and every other box checked; a control shows all.
    let pass = j["summary"]["verdicts"]["pass"].as_u64().unwrap();
    assert!(pass > 0);
    assert_eq!(
        texts(doc, "details.case[hidden]").len() as u64,
        pass,
        "passing cases start hidden"
    );
    assert_eq!(
        texts(doc, "details.case:not([hidden])").len() as u64,
        j["summary"]["total"].as_u64().unwrap() - pass
    );
    assert_eq!(
        texts(doc, "details.case:not([hidden])")[0..2]
            .iter()
            .filter(|t| t.starts_with("fail") || t.starts_with("crash"))
            .count(),
        2,
        "the failing cases come first"
    );
    let sel = Selector::parse(".filters input").unwrap();
    for input in doc.select(&sel) {
        let v = input.value();
        assert_eq!(
            v.attr("checked").is_some(),
            v.attr("value") != Some("pass"),
            "{:?}",
            v.attr("value")
        );
    }
    assert_eq!(texts(doc, "#show-all"), vec!["show all"]);
    // Each requirement's text beside its id.
    for q in j["requirements"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        let row = texts(doc, &format!("#requirements tr[data-req=\"{id}\"]"));
        if q["counts"]["verdicts"]["pass"] == q["counts"]["total"] {
            assert!(row.is_empty(), "{id} passed fully, not listed");
        } else {
            let text = q["text"].as_str().unwrap();
            assert!(!text.is_empty(), "{id} has a text");
            assert!(row[0].contains(text), "{id}: {row:?}");
        }
    }
    // The claimed profile and its status, with counts from the JSON.
    let core = j["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "core")
        .unwrap();
    assert_eq!(core["claimed"], true);
    assert_eq!(core["conformant"], false);
    let row = texts(doc, "#profiles tr[data-profile=\"core\"] td");
    assert_eq!(row[2], "claimed");
    assert_eq!(row[3], "NOT CONFORMANT");
    assert_eq!(row[4], format!("{} / {}", core["met"], core["cases"]));
    assert_eq!(
        texts(doc, "#profiles tr[data-profile]").len(),
        j["profiles"].as_array().unwrap().len()
    );
}

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_owned)
}

#[test]
fn html_report_says_what_the_json_says() {
    let run = run();
    assert!(!run.html.contains("http://") && !run.html.contains("https://"));
    check_dom(&Html::parse_document(&run.html), &run);

    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("M2M_REQUIRE_CHROMIUM").is_none(),
            "M2M_REQUIRE_CHROMIUM is set but no chromium is installed"
        );
        eprintln!("note: chromium not found; the rendered-DOM check was skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("report.html");
    std::fs::write(&page, &run.html).expect("write");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    check_dom(&Html::parse_document(&dom), &run);

    // Opened as `report.html#all`, the page's script runs the "show all" control: no case stays
    // hidden and the count says so.
    let out = Command::new(chromium().unwrap())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            &format!("file://{}#all", page.display()),
        ])
        .output()
        .expect("chromium runs");
    let doc = Html::parse_document(&String::from_utf8_lossy(&out.stdout));
    assert!(texts(&doc, "details.case[hidden]").is_empty());
    assert_eq!(
        texts(&doc, "details.case").len() as u64,
        run.json["summary"]["total"].as_u64().unwrap()
    );
    assert_eq!(
        texts(&doc, "#shown-count"),
        vec![run.json["summary"]["total"].to_string()]
    );
}

#[test]
fn matrix_combines_reports() {
    let run = run();
    let mut other = run.json.clone();
    other["target"]["name"] = "other".into();
    let page = html::render_matrix(&[run.json.clone(), other]);
    let doc = Html::parse_document(&page);
    let heads = texts(&doc, "#matrix th");
    assert_eq!(heads[1..], ["m2m-reference 0.1.0", "other 0.1.0"]);
    // A varint requirement cited by the garbage case is `fail` for both.
    let garbage_reqs: Vec<String> = run.json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == run.garbage.as_str())
        .unwrap()["reqs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    let rows = texts(&doc, "#matrix tr");
    let row = rows
        .iter()
        .find(|r| r.starts_with(&garbage_reqs[0]))
        .expect("row");
    assert!(row.ends_with("failfail"), "{row}");
    // Each implementation's profiles.
    let core = texts(&doc, "#matrix-profiles tr[data-profile=\"core\"] td");
    let expected = format!(
        "NOT ({}/{}) (claimed)",
        run.json["profiles"][0]["met"], run.json["profiles"][0]["cases"]
    );
    assert_eq!(run.json["profiles"][0]["name"], "core");
    assert_eq!(core[1..], [expected.clone(), expected]);
}
