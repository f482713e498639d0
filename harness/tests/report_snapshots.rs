//! Snapshot tests of every rendered report (console summary, report.md, junit.xml and the HTML
//! page's visible text) for a fixed report holding every verdict: pass, acceptable, non-strict,
//! unsupported, known-failure, skipped, fail, timeout, crash, harness-error, and an
//! `unsupported` case inside a claimed profile. Timestamps, durations, the suite hash and the
//! commit are fixed, so the snapshots (tests/snapshots/) are deterministic. Update them with
//! `INSTA_UPDATE=always cargo test -p m2m-conformance --test report_snapshots` (or
//! `cargo insta review`) and read the diff before committing; CI (`CI=true`) never writes them.
//!
//! Next to the snapshots, the JUnit XML is read back with quick-xml and its shape checked: root
//! counts are the suites' sums, each count equals the elements it counts, and every
//! `<failure>`/`<error>` carries the request line, expected, actual and the stderr tail.

use std::collections::BTreeMap;
use std::path::PathBuf;

use m2m_conformance::judge::Verdict;
use m2m_conformance::profiles::ProfileResult;
use m2m_conformance::report::{console, html, junit, markdown, Report, ReportOptions};
use m2m_conformance::run::CaseResult;
use m2m_conformance::spec::{Chapter, Level, Requirement, Spec};
use m2m_conformance::suite_data::SuiteRoot;
use m2m_conformance::target::{Evidence, TesteeInfo};
use quick_xml::events::Event;
use scraper::{ElementRef, Html};
use serde_json::json;

fn requirement(id: &str, chapter: &str, level: Level, summary: &str) -> Requirement {
    Requirement {
        id: id.to_owned(),
        chapter: chapter.to_owned(),
        level,
        harness: false,
        summary: summary.to_owned(),
    }
}

struct Case {
    id: &'static str,
    chapter: &'static str,
    op: &'static str,
    verdict: Verdict,
    reason: Option<&'static str>,
    profiles: &'static [&'static str],
    stderr: Option<String>,
}

fn case(c: Case) -> CaseResult {
    let noteworthy = c.verdict != Verdict::Pass;
    let request = format!(
        r#"{{"id":"{}","op":"{}","args":{{"hex":"ac02"}}}}"#,
        c.id, c.op
    );
    CaseResult {
        id: c.id.to_owned(),
        chapter: c.chapter.to_owned(),
        file: format!("{}/{}.yaml", c.chapter, c.chapter),
        reqs: vec![if c.chapter == "varint" {
            "VARINT-DECODE-001".to_owned()
        } else {
            "FRAME-HEADER-002".to_owned()
        }],
        op: c.op.to_owned(),
        result: "valid",
        flags: if c.verdict == Verdict::Acceptable {
            vec!["UPSTREAM_LONG_VARINTS".to_owned()]
        } else {
            vec![]
        },
        verdict: c.verdict,
        profiles: c.profiles.iter().map(|p| (*p).to_owned()).collect(),
        judged: (c.verdict == Verdict::KnownFailure).then_some(Verdict::Fail),
        reason: c.reason.map(str::to_owned),
        duration_ms: 1.25,
        expected: noteworthy.then(|| json!({"ok": {"value": 300}})),
        actual: match c.verdict {
            Verdict::Fail
            | Verdict::Acceptable
            | Verdict::NonStrict
            | Verdict::KnownFailure
            | Verdict::HarnessError => Some(json!({"ok": {"value": 44}})),
            Verdict::Unsupported => Some(json!({"unsupported": "not listed in hello"})),
            _ => None,
        },
        diff: (c.verdict == Verdict::Fail).then(|| {
            "--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n {\n-  \"value\": 300\n+  \"value\": 44\n }\n"
                .to_owned()
        }),
        evidence: noteworthy.then(|| Evidence {
            request,
            response: match c.verdict {
                Verdict::Timeout | Verdict::Crash => None,
                _ => Some(format!(r#"{{"id":"{}","ok":{{"value":44}}}}"#, c.id)),
            },
            stderr: c.stderr,
            unrendered: false,
        }),
    }
}

/// The fixed report.
fn report() -> Report {
    let spec = Spec {
        dir: PathBuf::from("/nonexistent/spec"),
        chapters: vec![
            Chapter {
                key: "varint".into(),
                title: "Varints".into(),
                path: "spec/03-varint.md".into(),
            },
            Chapter {
                key: "frame".into(),
                title: "The frame".into(),
                path: "spec/05-frame.md".into(),
            },
        ],
        requirements: vec![
            requirement(
                "VARINT-DECODE-001",
                "varint",
                Level::Must,
                "A decoder MUST read little-endian base-128 groups.",
            ),
            requirement(
                "FRAME-HEADER-002",
                "frame",
                Level::Should,
                "A frame header SHOULD name its schema | in one byte.",
            ),
        ],
        error_classes: BTreeMap::new(),
        ops: vec![],
    };
    let crash_stderr: String = (1..=30)
        .map(|i| format!("stderr line {i}\n"))
        .chain(["thread 'main' panicked at src/frame.rs:12:5\n".to_owned()])
        .collect();
    let mk = |id, chapter, op, verdict, reason| Case {
        id,
        chapter,
        op,
        verdict,
        reason,
        profiles: &[],
        stderr: None,
    };
    let cases = vec![
        case(Case {
            profiles: &["core"],
            ..mk("v-pass", "varint", "varint.decode", Verdict::Pass, None)
        }),
        case(Case {
            profiles: &["core"],
            ..mk(
                "v-acceptable",
                "varint",
                "varint.decode",
                Verdict::Acceptable,
                Some("tolerated by flags UPSTREAM_LONG_VARINTS"),
            )
        }),
        case(mk(
            "v-non-strict",
            "varint",
            "varint.decode",
            Verdict::NonStrict,
            Some("SHOULD-level case: expected error, got ok"),
        )),
        case(Case {
            stderr: Some("decoding ac02\nwarning: value truncated\n".into()),
            ..mk(
                "v-fail",
                "varint",
                "varint.decode",
                Verdict::Fail,
                Some("wrong value"),
            )
        }),
        case(mk(
            "v-timeout",
            "varint",
            "varint.decode",
            Verdict::Timeout,
            Some("no answer within 5s"),
        )),
        case(mk(
            "f-unsupported",
            "frame",
            "frame.seal",
            Verdict::Unsupported,
            Some("op `frame.seal` not listed in hello"),
        )),
        case(Case {
            profiles: &["core"],
            ..mk(
                "f-unsupported-in-profile",
                "frame",
                "frame.decode",
                Verdict::Unsupported,
                Some("op `frame.decode` not listed in hello"),
            )
        }),
        case(mk(
            "f-known-failure",
            "frame",
            "frame.encode",
            Verdict::KnownFailure,
            Some("known failure: upstream#12 wraps the length byte"),
        )),
        case(mk(
            "f-skipped",
            "frame",
            "frame.encode",
            Verdict::Skipped,
            Some("needs a live hub"),
        )),
        case(Case {
            stderr: Some(crash_stderr),
            ..mk(
                "f-crash",
                "frame",
                "frame.decode",
                Verdict::Crash,
                Some("the testee exited (signal 6) while answering"),
            )
        }),
        case(mk(
            "f-harness-error",
            "frame",
            "frame.decode",
            Verdict::HarnessError,
            Some("the case's input could not be rendered: <bad & \"quoted\">"),
        )),
    ];
    let profiles = vec![
        ProfileResult {
            name: "core".into(),
            title: "Core wire formats and frame".into(),
            claimed: true,
            conformant: false,
            cases: 4,
            ran: 3,
            met: 2,
            verdicts: [("pass", 1), ("acceptable", 1), ("unsupported", 1)]
                .into_iter()
                .map(|(v, n)| (v.to_owned(), n))
                .collect(),
            breaking: vec![
                "frame::f-unsupported-in-profile".into(),
                "frame::f-missing (not run)".into(),
            ],
        },
        ProfileResult {
            name: "legacy".into(),
            title: "Legacy MAY formats".into(),
            claimed: false,
            conformant: true,
            cases: 3,
            ran: 3,
            met: 3,
            verdicts: [("pass".to_owned(), 3)].into_iter().collect(),
            breaking: vec![],
        },
    ];
    let suite = SuiteRoot {
        dir: PathBuf::from("/nonexistent"),
        hash: "sha256:0123456789abcdef".into(),
        source: "embedded".into(),
    };
    let mut r = Report::new(
        &spec,
        &suite,
        TesteeInfo {
            target: "stdin:./testee".into(),
            name: "fixture-testee".into(),
            version: "1.2.3".into(),
            protocol: 1,
            ops: vec!["varint.decode".into(), "frame.encode".into()],
        },
        ReportOptions {
            filters: vec![],
            strict: false,
            timeout_ms: 5000,
            known_failures: Some("known-failures.yaml".into()),
            jobs: 2,
            profiles: vec!["core".into()],
        },
        cases,
        profiles,
    );
    r.generated_at = "2026-01-02T03:04:05Z".into();
    r.suite_commit = Some("0000000000000000000000000000000000000000".into());
    r.elapsed_ms = 1500.0;
    // Independent of the crate's version and the vector schema in force.
    r.suite_version = "0.0.0-fixture";
    r.vectors_schema_version = 1;
    r
}

/// The text a reader sees: no head, style or script, no `hidden` subtree; one line per block.
fn visible_text(html: &str) -> String {
    fn walk(el: ElementRef, out: &mut String) {
        let name = el.value().name();
        if matches!(name, "head" | "style" | "script") || el.value().attr("hidden").is_some() {
            return;
        }
        let block = matches!(
            name,
            "h1" | "h2" | "p" | "div" | "tr" | "summary" | "pre" | "table" | "header" | "details"
        );
        for child in el.children() {
            if let Some(e) = ElementRef::wrap(child) {
                walk(e, out);
            } else if let Some(t) = child.value().as_text() {
                out.push_str(t);
            }
        }
        if matches!(name, "td" | "th") {
            out.push_str(" | ");
        } else if name == "input" {
            out.push_str(if el.value().attr("checked").is_some() {
                "[x]"
            } else {
                "[ ]"
            });
        } else if block {
            out.push('\n');
        }
    }
    let doc = Html::parse_document(html);
    let mut out = String::new();
    walk(doc.root_element(), &mut out);
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn console_summary() {
    let r = report();
    insta::assert_snapshot!("console", console::render(&r, 200, Some("out/report.md")));
    insta::assert_snapshot!(
        "console_capped",
        console::render(&r, 3, Some("out/report.md"))
    );
}

#[test]
fn markdown_report() {
    let r = report();
    let md = markdown::render(&r);
    // Failures first: the verdict line, the profiles, then the failures before any table.
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[2].starts_with("**NOT CERTIFIED**"), "{}", lines[2]);
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("{needle} missing"))
    };
    assert!(at("Claimed profiles:") < at("## Failures (5)"));
    assert!(at("## Failures (5)") < at("## By chapter"));
    assert!(at("#### `frame::f-unsupported-in-profile`") < at("## Unsupported, by op"));
    // Passing cases are only counted.
    assert!(!md.contains("v-pass"));
    // The re-render from the JSON is the same text.
    assert_eq!(
        markdown::render_json(&serde_json::to_value(&r).unwrap()),
        md
    );
    insta::assert_snapshot!("report_md", md);
}

#[test]
fn junit_report() {
    let xml = junit::render(&report()).unwrap();
    insta::assert_snapshot!("junit_xml", xml);
}

#[test]
fn html_visible_text() {
    let page = html::render(&serde_json::to_value(report()).unwrap());
    insta::assert_snapshot!("report_html_text", visible_text(&page));
}

#[derive(Debug, Default, PartialEq)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn attr_counts(e: &quick_xml::events::BytesStart) -> Counts {
    let get = |k: &str| -> usize {
        e.try_get_attribute(k)
            .unwrap()
            .unwrap_or_else(|| panic!("attribute {k}"))
            .unescape_value()
            .unwrap()
            .parse()
            .unwrap()
    };
    Counts {
        tests: get("tests"),
        failures: get("failures"),
        errors: get("errors"),
        skipped: get("skipped"),
    }
}

/// Read junit.xml back and check its shape and evidence.
#[test]
fn junit_shape() {
    let xml = junit::render(&report()).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut root: Option<Counts> = None;
    let mut suite_declared: Vec<Counts> = Vec::new();
    let mut suite_seen: Vec<Counts> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut case_children: Vec<String> = Vec::new();
    let mut bodies: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut case_name = String::new();
    loop {
        let ev = reader.read_event().expect("well-formed XML");
        let opens = matches!(ev, Event::Start(_));
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                match name.as_str() {
                    "testsuites" => root = Some(attr_counts(&e)),
                    "testsuite" => {
                        assert_eq!(stack.last().map(String::as_str), Some("testsuites"));
                        suite_declared.push(attr_counts(&e));
                        suite_seen.push(Counts::default());
                    }
                    "testcase" => {
                        assert_eq!(stack.last().map(String::as_str), Some("testsuite"));
                        suite_seen.last_mut().unwrap().tests += 1;
                        case_children.clear();
                        case_name = e
                            .try_get_attribute("name")
                            .unwrap()
                            .unwrap()
                            .unescape_value()
                            .unwrap()
                            .into_owned();
                    }
                    "failure" | "error" | "skipped" | "system-out" | "system-err" => {
                        assert_eq!(stack.last().map(String::as_str), Some("testcase"));
                        let seen = suite_seen.last_mut().unwrap();
                        match name.as_str() {
                            "failure" => seen.failures += 1,
                            "error" => seen.errors += 1,
                            "skipped" => seen.skipped += 1,
                            _ => {}
                        }
                        if name != "system-out" && name != "system-err" {
                            assert!(
                                case_children.is_empty(),
                                "{case_name}: one result element per case"
                            );
                            assert!(e.try_get_attribute("message").unwrap().is_some());
                        }
                        case_children.push(name.clone());
                    }
                    other => panic!("unexpected element {other}"),
                }
                if opens {
                    stack.push(name);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last() {
                    if matches!(top.as_str(), "failure" | "error" | "system-err") {
                        bodies
                            .entry((case_name.clone(), top.clone()))
                            .or_default()
                            .push_str(&t.unescape().unwrap());
                    }
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            _ => {}
        }
    }
    let root = root.expect("testsuites");
    assert_eq!(suite_declared, suite_seen, "suite counts match their cases");
    let sum = suite_seen.iter().fold(Counts::default(), |a, s| Counts {
        tests: a.tests + s.tests,
        failures: a.failures + s.failures,
        errors: a.errors + s.errors,
        skipped: a.skipped + s.skipped,
    });
    assert_eq!(root, sum, "root counts are the suites' sums");
    // timeout, crash, harness-error → error; fail and the unsupported case inside the claimed
    // profile → failure; unsupported, known-failure, skipped outside → skipped.
    assert_eq!(
        root,
        Counts {
            tests: 11,
            failures: 2,
            errors: 3,
            skipped: 3
        }
    );
    let fail = &bodies[&("v-fail".to_owned(), "failure".to_owned())];
    for needle in [
        r#"request: {"id":"v-fail","op":"varint.decode""#,
        "expected:\n{\n  \"ok\"",
        "actual:\n{",
        "\"value\": 44",
        "diff expected → actual:",
    ] {
        assert!(fail.contains(needle), "{needle} in {fail}");
    }
    assert!(bodies[&("v-fail".to_owned(), "system-err".to_owned())]
        .contains("warning: value truncated"));
    let crash = &bodies[&("f-crash".to_owned(), "system-err".to_owned())];
    assert!(crash.contains("panicked at src/frame.rs") && !crash.contains("stderr line 5\n"));
    assert!(bodies.contains_key(&("f-unsupported-in-profile".to_owned(), "failure".to_owned())));
    assert!(
        bodies[&("f-harness-error".to_owned(), "error".to_owned())].contains("<bad & \"quoted\">")
    );
}
