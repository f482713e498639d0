//! `certify --bench` (spec/90-testee.md section 7, TESTEE-BENCH-*): the reference profiled
//! in-process and over stdin gives complete, judged rows; a testee that cheats in `testee.bench`
//! gets `invalid` rows; a testee without `testee.bench` is not profiled and still certifies.
//! No timing thresholds: figures vary from machine to machine.

use std::path::Path;
use std::process::Command;

use m2m_conformance::bench::{self, Entry, Profile, Status};
use m2m_conformance::judge::{Policy, Verdict};
use m2m_conformance::load_suite;
use m2m_conformance::target::reference::ReferenceTarget;
use m2m_conformance::target::{Evidence, Outcome, SetupError, Target, TesteeInfo};
use m2m_conformance::vectors::Suite;
use serde_json::Value;

/// A tiny profile: three ops of different chapters, one of them an error case, small N.
const TINY: &[(&str, u64)] = &[
    ("varint-encode-16383", 7),
    ("frame-enc-req-flag-user", 3),
    ("varint-truncated-8080", 2),
];

fn suite() -> Suite {
    let root = m2m_conformance::default_root();
    load_suite(&root.join("spec"), &root.join("vectors"))
        .expect("suite loads")
        .1
}

fn tiny() -> Profile {
    Profile {
        description: "test".into(),
        max_ms: None,
        entries: TINY
            .iter()
            .map(|(case, n)| Entry {
                case: (*case).into(),
                iterations: *n,
                warmup: None,
            })
            .collect(),
    }
}

fn write_tiny(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("description: tiny test profile\nmax_ms: 20000\nentries:\n");
    for (case, n) in TINY {
        text.push_str(&format!("  - {{case: {case}, iterations: {n}}}\n"));
    }
    let path = dir.join("tiny.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_tiny_profile_names_real_cases_of_both_polarities() {
    let suite = suite();
    for (case, _) in TINY {
        assert!(suite.cases.iter().any(|c| c.id == *case), "{case}");
    }
    let error_case = suite
        .cases
        .iter()
        .find(|c| c.id == "varint-truncated-8080")
        .unwrap();
    assert!(matches!(
        error_case.expect,
        m2m_conformance::vectors::Expect::Error(_)
    ));
}

#[test]
fn default_profile_loads_and_covers_every_area() {
    let root = m2m_conformance::default_root();
    let suite = suite();
    let (_, p) = bench::load_profile(&root, Path::new(bench::DEFAULT_PROFILE), &suite)
        .expect("default profile is valid");
    assert!((20..=40).contains(&p.entries.len()), "{}", p.entries.len());
    let ops: std::collections::BTreeSet<&str> = p
        .entries
        .iter()
        .map(|e| {
            suite
                .cases
                .iter()
                .find(|c| c.id == e.case)
                .unwrap()
                .op
                .as_str()
        })
        .collect();
    for op in [
        "frame.encode",
        "frame.decode",
        "frame.peek",
        "token.encode",
        "token.decode",
        "wire.compress",
        "wire.decompress",
        "crypto.hmac.sign",
        "crypto.aead.seal",
        "crypto.aead.open",
        "frame.seal",
        "frame.open",
        "scan.text",
        "hydra.classify",
        "session.run",
    ] {
        assert!(ops.contains(op), "profile lacks {op}");
    }
}

#[test]
fn bad_profiles_are_refused() {
    let suite = suite();
    let dir = tempfile::tempdir().unwrap();
    for (text, needle) in [
        (
            "description: x\nentries:\n  - {case: no-such-case, iterations: 1}\n",
            "not a vector case",
        ),
        (
            "description: x\nentries:\n  - {case: varint-encode-0, iterations: 0}\n",
            "iterations 0",
        ),
        (
            "description: x\nentries:\n  - {case: varint-encode-0, iterations: 1}\n  - {case: varint-encode-0, iterations: 2}\n",
            "listed twice",
        ),
        (
            "description: x\nentries:\n  - {case: testee-bench-nested, iterations: 1}\n",
            "itself a bench case",
        ),
        ("description: x\nentries: []\n", "no entries"),
        (
            "description: x\nentries:\n  - {case: varint-encode-0, iterations: 1, extra: 1}\n",
            "unknown field",
        ),
    ] {
        let path = dir.path().join("p.yaml");
        std::fs::write(&path, text).unwrap();
        let errs = Profile::load(&path, &suite).expect_err(text);
        assert!(errs.iter().any(|e| e.contains(needle)), "{errs:?}");
    }
}

fn check_ok_rows(section: &Value) {
    assert_eq!(section["testee_benches"], true);
    let rows = section["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), TINY.len());
    assert_eq!(section["counts"]["ok"], TINY.len());
    for (row, (case, n)) in rows.iter().zip(TINY) {
        assert_eq!(row["case"], *case);
        assert_eq!(row["status"], "ok", "{row}");
        assert_eq!(row["verdict"], "pass", "{row}");
        assert_eq!(row["iterations"], *n);
        assert!(row["input_bytes"].as_u64().unwrap() > 2);
        let total = row["total_ns"].as_u64().expect("total_ns");
        let mean = row["ns_per_op"].as_f64().expect("ns_per_op");
        assert!((mean - total as f64 / *n as f64).abs() < 1e-6 * mean.max(1.0));
        let (min, median) = (
            row["min_ns_per_op"].as_f64().unwrap(),
            row["median_ns_per_op"].as_f64().unwrap(),
        );
        assert!(min <= median, "{row}");
        assert!(row.get("reason").is_none(), "{row}");
    }
}

#[test]
fn reference_in_process_is_profiled() {
    let suite = suite();
    let mut target = ReferenceTarget;
    let info = target.hello().unwrap();
    let mut seen = 0;
    let section = bench::run(
        &tiny(),
        "tiny",
        &suite,
        &mut target,
        &info,
        Policy::default(),
        |_| seen += 1,
    );
    assert_eq!(seen, TINY.len());
    check_ok_rows(&serde_json::to_value(&section).unwrap());
}

/// The reference with one lie: every `testee.bench` answer carries a doctored outcome.
struct Cheat {
    inner: ReferenceTarget,
    lie: fn(&mut Value),
}

impl Target for Cheat {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        let mut info = self.inner.hello()?;
        info.name = "cheat".into();
        Ok(info)
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        let (mut outcome, evidence) = self.inner.run(id, op, args);
        if op == bench::OP {
            if let Outcome::Ok(v) = &mut outcome {
                (self.lie)(v);
            }
        }
        (outcome, evidence)
    }
}

#[test]
fn a_testee_that_cheats_in_bench_is_invalid() {
    let suite = suite();
    let lies: [fn(&mut Value); 4] = [
        // A no-op: nothing computed.
        |v| v["outcome"] = serde_json::json!({"ok": {}}),
        // A wrong value.
        |v| {
            if let Some(ok) = v["outcome"].get_mut("ok") {
                ok["hex"] = "00".into();
            } else {
                v["outcome"] = serde_json::json!({"ok": {"value": 1, "consumed": 1}});
            }
        },
        // Fewer runs than asked.
        |v| v["iterations"] = 1.into(),
        // A mean that is not total / N.
        |v| v["ns_per_op"] = 0.5.into(),
    ];
    for lie in lies {
        let mut target = Cheat {
            inner: ReferenceTarget,
            lie,
        };
        let info = target.hello().unwrap();
        let section = bench::run(
            &tiny(),
            "tiny",
            &suite,
            &mut target,
            &info,
            Policy::default(),
            |_| {},
        );
        for row in &section.rows {
            assert_eq!(row.status, Status::Invalid, "{row:?}");
            assert!(row.reason.is_some());
            assert_ne!(row.verdict, Some(Verdict::Pass));
        }
        assert_eq!(section.counts.invalid, TINY.len());
        // An invalid row shows no figure as valid in the report tables.
        let md = bench::markdown_section(Some(&section));
        assert!(md.contains("invalid"), "{md}");
    }
}

fn certify(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_m2m-conformance"))
        .arg("--root")
        .arg(m2m_conformance::default_root())
        .args(args)
        .output()
        .expect("harness runs")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn certify_bench_in_process_and_over_stdin_and_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_tiny(dir.path());
    let stdin_target = format!(
        "stdin:'{}' serve-testee",
        env!("CARGO_BIN_EXE_m2m-conformance")
    );
    let mut jsons = Vec::new();
    for (name, target) in [("ref", "ref"), ("stdin", stdin_target.as_str())] {
        let out_dir = dir.path().join(name);
        let out = certify(&[
            "certify",
            "--target",
            target,
            "--filter",
            "varint::",
            "--bench",
            profile.to_str().unwrap(),
            "--report-dir",
            out_dir.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("bench ("), "{stdout}");
        let report = read_json(&out_dir.join("report.json"));
        check_ok_rows(&report["bench"]);
        assert_eq!(report["certified"], true);
        let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
        assert!(md.contains("## Bench profile"), "{md}");
        assert!(md.contains("`varint-encode-16383`"));
        let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
        assert!(html.contains("id=\"bench\""));
        jsons.push(out_dir.join("report.json"));
    }
    let table = dir.path().join("side.md");
    let out = certify(&[
        "report",
        "bench",
        jsons[0].to_str().unwrap(),
        jsons[1].to_str().unwrap(),
        "-o",
        table.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&table).unwrap();
    for (case, _) in TINY {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{case}`")))
            .unwrap_or_else(|| panic!("no row for {case} in\n{text}"));
        // case, op, input, 1 ns/op, 2 ns/op, 2 × : six cells, all filled.
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 8, "{line}");
        assert!(cells[6].parse::<f64>().is_ok(), "ratio in {line}");
    }
    // Without --bench there is no bench section at all.
    let plain = dir.path().join("plain");
    let out = certify(&[
        "certify",
        "--filter",
        "varint::",
        "--report-dir",
        plain.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(read_json(&plain.join("report.json")).get("bench").is_none());
}

#[test]
fn a_testee_without_bench_is_not_profiled_and_still_certifies() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: python3 is not installed");
        return;
    }
    let root = m2m_conformance::default_root();
    let dir = tempfile::tempdir().unwrap();
    let profile = write_tiny(dir.path());
    let target = format!(
        "stdin:python3 '{}'",
        root.join("examples/testee.py").display()
    );
    let out_dir = dir.path().join("py");
    let out = certify(&[
        "certify",
        "--target",
        &target,
        "--filter",
        "varint::",
        "--bench",
        profile.to_str().unwrap(),
        "--report-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = read_json(&out_dir.join("report.json"));
    assert_eq!(report["certified"], true);
    let section = &report["bench"];
    assert_eq!(section["testee_benches"], false);
    assert_eq!(section["counts"]["unsupported"], TINY.len());
    for row in section["rows"].as_array().unwrap() {
        assert_eq!(row["status"], "unsupported");
        assert!(row.get("ns_per_op").is_none());
    }
}

#[test]
fn a_bench_that_fails_changes_no_verdict() {
    // A profile whose max_ms is 1 with many iterations makes the reference stop with
    // bench_time_limit (or finish, on a very fast machine): either way the run certifies.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slow.yaml");
    std::fs::write(
        &path,
        "description: slow\nmax_ms: 1\nentries:\n  - {case: brotli-encode-fox-112k, iterations: 1000, warmup: 0}\n",
    )
    .unwrap();
    let out_dir = dir.path().join("r");
    let out = certify(&[
        "certify",
        "--filter",
        "varint::",
        "--bench",
        path.to_str().unwrap(),
        "--report-dir",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let report = read_json(&out_dir.join("report.json"));
    assert_eq!(report["certified"], true);
    let row = &report["bench"]["rows"][0];
    assert_eq!(row["status"], "error", "{row}");
    assert!(row["reason"].as_str().unwrap().contains("bench_time_limit"));
}
