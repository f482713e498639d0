//! The Python example testee (examples/testee.py, standard library only) is an independent
//! second implementation of detection, passthrough, limits and varints: every case it
//! implements must pass, everything else must be `unsupported`, never a failure.

use std::collections::BTreeMap;

use m2m_conformance::judge::{Policy, Verdict};
use m2m_conformance::load_suite;
use m2m_conformance::run::{run_all, RunOptions};
use m2m_conformance::target::stdin::StdinTarget;
use m2m_conformance::target::{Target, TargetOptions};

#[test]
fn python_example_testee_passes_what_it_implements() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: python3 is not installed");
        return;
    }
    let root = m2m_conformance::default_root();
    let (_spec, suite) =
        load_suite(&root.join("spec"), &root.join("vectors")).expect("suite loads");
    let script = root.join("examples/testee.py");
    let mut target = StdinTarget::new(
        &format!("python3 '{}'", script.display()),
        TargetOptions::default(),
    );
    let info = target.hello().expect("hello");
    assert_eq!(info.name, "python-example");
    let opts = RunOptions {
        filters: vec![],
        policy: Policy { strict: true },
        known_failures: None,
    };
    let results = run_all(&suite.cases, &mut target, &info, &opts, |_| {});
    let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
    for r in &results {
        *counts.entry(r.verdict).or_default() += 1;
        assert!(
            matches!(r.verdict, Verdict::Pass | Verdict::Unsupported),
            "{}::{} → {:?}: {:?}\n{}",
            r.chapter,
            r.id,
            r.verdict,
            r.reason,
            r.diff.as_deref().unwrap_or("")
        );
    }
    // It must really implement something: all varint cases and most detection cases.
    let varint_pass = results
        .iter()
        .filter(|r| r.chapter == "varint" && r.verdict == Verdict::Pass)
        .count();
    assert_eq!(
        varint_pass,
        results.iter().filter(|r| r.chapter == "varint").count()
    );
    assert!(
        counts.get(&Verdict::Pass).copied().unwrap_or(0) >= 100,
        "{counts:?}"
    );
}
