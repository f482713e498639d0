//! The certification verdict as a user meets it, through the `m2m-conformance` binary:
//! claimed profiles (BASIS-PROFILE-003), the embedded suite and where reports go
//! (BASIS-PROFILE-005), regressions in `report diff` (BASIS-PROFILE-006), and a console that
//! accounts for every failing case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_m2m-conformance")
}

fn proxy(extra: &str) -> String {
    format!(
        "stdin:python3 {}/tests/proxy_testee.py {} {extra}",
        env!("CARGO_MANIFEST_DIR"),
        bin()
    )
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("m2m-cert-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Run the harness in `dir` with the embedded suite (no root override), its cache in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env_remove("M2M_CONFORMANCE_ROOT")
        .env("M2M_CONFORMANCE_CACHE", dir.join("cache"))
        .output()
        .expect("the harness runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn python() -> bool {
    Command::new("python3").arg("--version").output().is_ok()
}

#[test]
fn a_claimed_profile_with_an_op_left_out_of_hello_is_not_met() {
    if !python() {
        eprintln!("SKIPPED: python3 is not installed");
        return;
    }
    let dir = temp("profile");
    let full = run(
        &dir,
        &[
            "certify",
            "--target",
            &proxy(""),
            "--profile",
            "selection",
            "--filter",
            "selection::",
            "--report-dir",
            "full",
        ],
    );
    let text = stdout(&full);
    assert_eq!(full.status.code(), Some(0), "{text}");
    assert!(
        text.contains("selection CONFORMANT (37/37 cases met)"),
        "{text}"
    );

    let cut = run(
        &dir,
        &[
            "certify",
            "--target",
            &proxy("--drop wire.select"),
            "--profile",
            "selection",
            "--filter",
            "selection::",
            "--report-dir",
            "cut",
        ],
    );
    let text = stdout(&cut);
    assert_eq!(cut.status.code(), Some(1), "{text}");
    assert!(text.contains("selection NOT CONFORMANT"), "{text}");
    assert!(text.contains("[breaks profile selection]"), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cut/report.json")).unwrap())
            .unwrap();
    let p = report["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "selection")
        .unwrap();
    assert_eq!(p["claimed"], true);
    assert_eq!(p["conformant"], false);
    assert!(!p["breaking"].as_array().unwrap().is_empty());
    assert_eq!(report["certified"], false);

    // Without the claim the same run certifies (unsupported is not a failure) ...
    let unclaimed = run(
        &dir,
        &[
            "certify",
            "--target",
            &proxy("--drop wire.select"),
            "--filter",
            "selection::",
            "--no-report",
        ],
    );
    assert_eq!(unclaimed.status.code(), Some(0), "{}", stdout(&unclaimed));
    // ... but `report diff` calls pass -> unsupported a regression.
    let diff = run(
        &dir,
        &["report", "diff", "full/report.json", "cut/report.json"],
    );
    assert_eq!(diff.status.code(), Some(1), "{}", stdout(&diff));
    assert!(
        stdout(&diff).contains("Profiles no longer met"),
        "{}",
        stdout(&diff)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unknown_profile_is_a_setup_error_listing_the_profiles() {
    let dir = temp("unknown-profile");
    let o = run(&dir, &["certify", "--profile", "nope", "--no-report"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no profile `nope`") && err.contains("core"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_console_accounts_for_every_failing_case_of_a_garbage_testee() {
    if !python() {
        eprintln!("SKIPPED: python3 is not installed");
        return;
    }
    let dir = temp("garbage");
    let o = run(
        &dir,
        &[
            "certify",
            "--target",
            &proxy("--garbage"),
            "--filter",
            "varint::varint-dec",
            "--no-report",
            "--max-failures-shown",
            "10",
        ],
    );
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let listed = text.lines().filter(|l| l.starts_with("    fail ")).count();
    let more: usize = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("…and ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .expect("an `…and N more` line");
    assert_eq!(listed, 10, "{text}");
    assert!(text.contains("18 failing case(s)"), "{text}");
    assert_eq!(listed + more, 18, "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_embedded_suite_runs_from_an_empty_folder_and_reports_land_there() {
    let dir = temp("embedded");
    let o = run(&dir, &["certify", "--filter", "varint::"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let reports: Vec<_> = std::fs::read_dir(dir.join("m2m-conformance-reports"))
        .unwrap()
        .collect();
    assert_eq!(reports.len(), 1, "one report folder named by the testee");
    let report_dir = reports[0].as_ref().unwrap().path();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["suite_source"], "embedded");
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let same = m2m_conformance::suite_data::SuiteRoot::from_dir(&checkout, "--root").unwrap();
    assert_eq!(
        report["suite_hash"],
        same.hash.as_str(),
        "the embedded suite is this checkout's"
    );
    // --root to a folder without a suite says what to do.
    let bad = run(&dir, &["--root", "/nonexistent-suite", "lint"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("needs spec/ and vectors/"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_target_kind_is_named_in_help_and_in_the_unknown_target_error() {
    let dir = temp("help");
    let help = stdout(&run(&dir, &["certify", "--help"]));
    let show = stdout(&run(&dir, &["show", "--help"]));
    let bad = run(&dir, &["certify", "--target", "ftp:x", "--no-report"]);
    let err = String::from_utf8_lossy(&bad.stderr).into_owned();
    assert_eq!(bad.status.code(), Some(2));
    for kind in [
        "ref",
        "stdin:",
        "http:",
        "m2m-http:",
        "m2m-h3:",
        "molt-hub:",
        "molt-peer:",
    ] {
        assert!(help.contains(kind), "certify --help lacks {kind}");
        assert!(show.contains(kind), "show --help lacks {kind}");
        assert!(
            err.contains(kind),
            "the unknown-target error lacks {kind}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
