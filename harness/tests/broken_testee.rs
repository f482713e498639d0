//! The harness survives a testee that crashes, hangs, prints garbage or mismatches ids: each
//! such case gets exactly its verdict, the testee is restarted, and every other case passes.
//! [TESTEE-RUN-001] [TESTEE-RUN-002] [TESTEE-RUN-003]

use std::collections::BTreeMap;
use std::time::Duration;

use m2m_conformance::judge::{Policy, Verdict};
use m2m_conformance::load_suite;
use m2m_conformance::run::run_case;
use m2m_conformance::target::stdin::StdinTarget;
use m2m_conformance::target::{Outcome, Target, TargetOptions};

fn script() -> String {
    format!("{}/tests/broken_testee.sh", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn crash_hang_garbage_and_mismatch_get_their_verdicts_and_the_rest_pass() {
    let root = m2m_conformance::default_root();
    let (_spec, suite) =
        load_suite(&root.join("spec"), &root.join("vectors")).expect("suite loads");
    // Twelve cases that do not probe `unsupported`; the broken ones are spread among them.
    let cases: Vec<_> = suite
        .cases
        .iter()
        .filter(|c| c.chapter != "testee")
        .take(12)
        .collect();
    assert!(
        cases.len() >= 8,
        "need at least 8 vectors, have {}",
        cases.len()
    );
    let crash = cases[1].id.clone();
    let hang = cases[3].id.clone();
    let garbage = cases[5].id.clone();
    let mismatch = cases[7].id.clone();
    let command = format!(
        "CRASH_ID='{crash}' HANG_ID='{hang}' GARBAGE_ID='{garbage}' MISMATCH_ID='{mismatch}' bash '{}' '{}'",
        script(),
        env!("CARGO_BIN_EXE_m2m-conformance")
    );
    let mut target = StdinTarget::new(
        &command,
        TargetOptions {
            timeout: Duration::from_millis(1500),
        },
    );
    let info = target.hello().expect("hello is forwarded to the reference");
    let mut verdicts = BTreeMap::new();
    for case in &cases {
        let r = run_case(case, &mut target, &info, Policy { strict: true });
        verdicts.insert(case.id.clone(), (r.verdict, r.reason.clone()));
    }
    target.shutdown();
    for (id, (verdict, reason)) in &verdicts {
        let want = if *id == crash {
            Verdict::Crash
        } else if *id == hang {
            Verdict::Timeout
        } else if *id == garbage || *id == mismatch {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        assert_eq!(*verdict, want, "case {id}: {reason:?}");
    }
    assert!(verdicts[&garbage]
        .1
        .as_deref()
        .unwrap_or("")
        .contains("protocol violation"));
    assert!(verdicts[&mismatch]
        .1
        .as_deref()
        .unwrap_or("")
        .contains("does not match"));
    // Started once, then restarted after the crash, the hang, the garbage and the mismatch.
    assert_eq!(target.starts, 5);
}

#[test]
fn a_testee_that_never_says_hello_is_a_setup_error() {
    let mut t = StdinTarget::new(
        "echo not-json; sleep 5",
        TargetOptions {
            timeout: Duration::from_millis(500),
        },
    );
    assert!(t.hello().is_err());
    let mut t = StdinTarget::new("exit 0", TargetOptions::default());
    assert!(t.hello().is_err());
    let mut t = StdinTarget::new(
        "sleep 5",
        TargetOptions {
            timeout: Duration::from_millis(300),
        },
    );
    assert!(t.hello().is_err());
}

#[test]
fn unknown_ops_are_unsupported_not_failures() {
    let mut t = StdinTarget::new(
        &format!("'{}' serve-testee", env!("CARGO_BIN_EXE_m2m-conformance")),
        TargetOptions::default(),
    );
    t.hello().expect("hello");
    let (o, _) = t.run("probe", "x.no-such-op", &serde_json::json!({}));
    assert!(matches!(o, Outcome::Unsupported(_)), "{o:?}");
}
