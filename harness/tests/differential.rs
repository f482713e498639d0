//! The differential mode end to end: a deliberately diverging proxy testee, the reference
//! against itself, a known divergence, a crashing testee and setup errors. [BASIS-DIFF-001]
//! [BASIS-DIFF-003] [BASIS-DIFF-004] [BASIS-DIFF-005] [BASIS-DIFF-006]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_m2m-conformance")
}

fn proxy(extra: &str) -> String {
    format!(
        "stdin:python3 {}/tests/diverging_testee.py {} {extra}",
        env!("CARGO_MANIFEST_DIR"),
        bin()
    )
}

fn python() -> bool {
    Command::new("python3").arg("--version").output().is_ok()
}

/// A fresh folder for one test's reports, removed when the test ends.
fn temp(name: &str) -> common::Temp {
    common::temp(&format!("m2m-diff-{name}-"))
}

/// Run `differential` with the suite of this checkout, reports in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--root")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
        .arg("differential")
        .args(args)
        .arg("--report-dir")
        .arg(dir)
        .output()
        .expect("the harness runs")
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_corrupted_op_is_found_once_and_shrunk_to_the_boundary() {
    if !python() {
        eprintln!("python3 not found; skipped");
        return;
    }
    let dir = temp("corrupt");
    let b = proxy("--varint-threshold 1000");
    let out = run(
        &dir,
        &[
            "--a",
            "ref",
            "--b",
            &b,
            "--op",
            "wire.varint.encode",
            "--seed",
            "5",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = report(&dir);
    let divs = r["divergences"].as_array().unwrap();
    assert_eq!(divs.len(), 1, "{}", text(&out));
    let d = &divs[0];
    assert_eq!(d["op"], "wire.varint.encode");
    assert_eq!(d["args"], serde_json::json!({"value": 1000}), "{d}");
    assert_eq!(d["a"]["value"]["hex"], "e807");
    assert_eq!(d["b"]["value"]["hex"], "e80700");
    assert_eq!(d["known"], false);
    assert!(d["original_args"]["value"].as_u64().unwrap() >= 1000);
    assert!(d["occurrences"].as_u64().unwrap() > 1, "{d}");
    assert_eq!(r["seed"], 5);
    assert_eq!(r["cases_run"], 256);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## New divergences (1)"), "{md}");
    assert!(text(&out).contains("1 new divergence(s), 0 known"));
}

#[test]
fn the_reference_against_itself_agrees_on_every_op() {
    let dir = temp("self");
    let out = run(&dir, &["--a", "ref", "--b", "ref", "--cases", "64"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = report(&dir);
    assert_eq!(r["divergences"], serde_json::json!([]));
    assert!(r["ops"].as_array().unwrap().len() >= 10, "{r}");
    assert_eq!(r["cases_run"], 64 * r["ops"].as_array().unwrap().len());
    // A random seed is recorded.
    assert!(r["seed"].is_u64());
}

#[test]
fn a_listed_divergence_is_known_and_still_exits_1() {
    if !python() {
        eprintln!("python3 not found; skipped");
        return;
    }
    let dir = temp("known");
    let known = dir.join("known.yaml");
    std::fs::write(
        &known,
        "known:\n- by: UPSTREAM_VARINT_UP_TO_10_BYTES\n  op: wire.varint.encode\n  a: ok\n  b: ok\n  \
         reason: a test stands this flag in for a recorded divergence\n",
    )
    .unwrap();
    let b = proxy("--varint-threshold 1000");
    let known_arg = known.display().to_string();
    let args = [
        "--a",
        "ref",
        "--b",
        &b,
        "--op",
        "wire.varint.encode",
        "--seed",
        "5",
    ];
    let out = run(&dir, &[&args[..], &["--known", &known_arg]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = report(&dir);
    let d = &r["divergences"][0];
    assert_eq!(d["known"], true);
    assert_eq!(d["known_by"], "UPSTREAM_VARINT_UP_TO_10_BYTES");
    assert!(text(&out).contains("0 new divergence(s), 1 known"));
    // Swapped targets: the reference is b, the entry still matches.
    let out = run(
        &dir,
        &[
            "--a",
            &b,
            "--b",
            "ref",
            "--op",
            "wire.varint.encode",
            "--seed",
            "5",
            "--known",
            &known_arg,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(report(&dir)["divergences"][0]["known"], true);
    // An entry naming no DIV id or flag is refused.
    std::fs::write(
        &known,
        "known:\n- {by: MADE_UP, op: wire.varint.encode, a: ok, b: ok, reason: because}\n",
    )
    .unwrap();
    let out = run(&dir, &[&args[..], &["--known", &known_arg]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("MADE_UP"));
}

#[test]
fn a_crash_is_an_outcome_and_the_run_goes_on() {
    if !python() {
        eprintln!("python3 not found; skipped");
        return;
    }
    let dir = temp("crash");
    let b = proxy("--crash-on-value 0");
    let out = run(
        &dir,
        &[
            "--a",
            "ref",
            "--b",
            &b,
            "--op",
            "wire.varint.encode",
            "--seed",
            "9",
            "--cases",
            "300",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = report(&dir);
    assert_eq!(r["cases_run"], 300);
    let divs = r["divergences"].as_array().unwrap();
    assert_eq!(divs.len(), 1, "{r}");
    assert_eq!(divs[0]["b"]["kind"], "crash");
    assert_eq!(divs[0]["args"], serde_json::json!({"value": 0}));
}

#[test]
fn setup_errors_exit_2() {
    let dir = temp("setup");
    let out = run(&dir, &["--a", "ref", "--b", "nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unknown target"));
    let out = run(&dir, &["--a", "ref", "--b", "ref", "--op", "no.such.op"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = run(&dir, &["--a", "ref", "--b", "stdin:false"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!dir.join("report.json").exists());
}

#[test]
fn unsupported_answers_are_counted_per_side() {
    if !python() {
        eprintln!("python3 not found; skipped");
        return;
    }
    let dir = temp("unsupported");
    let b = proxy("--unsupported-above 1000");
    let args = ["--a", "ref", "--b", &b, "--op", "wire.varint.encode"];
    let out = run(
        &dir,
        &[&args[..], &["--seed", "5", "--cases", "64"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = report(&dir);
    let n = r["unsupported"]["wire.varint.encode"].as_u64().unwrap();
    assert!(n > 0 && n < 64, "{r}");
    let sides = &r["unsupported_by_side"]["wire.varint.encode"];
    assert_eq!(sides["a"], 0, "{r}");
    assert_eq!(sides["b"].as_u64(), Some(n), "{r}");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("## Cases not compared (1 op(s))"), "{md}");
    assert!(
        md.contains(&format!("| `wire.varint.encode` | {n} | 0 | {n} |")),
        "{md}"
    );
    assert!(text(&out).contains(&format!("answered unsupported: a 0, b {n}")));
}
