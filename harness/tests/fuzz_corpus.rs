//! Replays every committed fuzz input (`fuzz/corpus/<target>/*` and `fuzz/regressions/<target>/*`)
//! through the same check functions the cargo-fuzz targets call, in-process, on the stable
//! toolchain. A panic (a crash of the reference or a broken invariant) fails the test and names
//! the file. See `fuzz/README.md`.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code, unreachable_pub)]
mod fuzz_checks;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let mut total = 0;
    let mut failures = Vec::new();
    for (target, check) in fuzz_checks::TARGETS {
        let dir = root().join("fuzz").join(kind).join(target);
        for file in inputs(&dir) {
            // A file may vanish while a fuzzer is running on the same corpus (it reduces inputs).
            let Ok(data) = std::fs::read(&file) else {
                continue;
            };
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| check(&data));
            let took = started.elapsed();
            total += 1;
            if outcome.is_err() {
                failures.push(format!("{target}: {} panicked", file.display()));
            } else if took > Duration::from_secs(5) {
                failures.push(format!("{target}: {} took {took:?}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
    total
}

#[test]
fn every_target_has_a_corpus() {
    for (target, _) in fuzz_checks::TARGETS {
        let dir = root().join("fuzz/corpus").join(target);
        assert!(!inputs(&dir).is_empty(), "fuzz/corpus/{target}/ is empty");
        assert!(
            root()
                .join("fuzz/fuzz_targets")
                .join(format!("{target}.rs"))
                .is_file(),
            "no fuzz target file for {target}"
        );
    }
}

#[test]
fn corpus_replays_without_panics() {
    let n = replay("corpus");
    assert!(n > 0);
    eprintln!("replayed {n} corpus inputs");
}

#[test]
fn regressions_replay_without_panics() {
    let n = replay("regressions");
    eprintln!("replayed {n} regression inputs");
}
