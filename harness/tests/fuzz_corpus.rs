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

/// Replay every input of one kind (`corpus` or `regressions`), the targets spread over the
/// available cores; prints the count and time per target.
fn replay(kind: &str) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    let next = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((target, check)) =
                    fuzz_checks::TARGETS.get(next.fetch_add(1, Ordering::Relaxed))
                {
                    let dir = root().join("fuzz").join(kind).join(target);
                    let began = Instant::now();
                    let mut count = 0;
                    for file in inputs(&dir) {
                        // A file may vanish while a fuzzer is running on the same corpus.
                        let Ok(data) = std::fs::read(&file) else {
                            continue;
                        };
                        let started = Instant::now();
                        let outcome = std::panic::catch_unwind(|| check(&data));
                        let took = started.elapsed();
                        count += 1;
                        let failure = if outcome.is_err() {
                            Some(format!("{target}: {} panicked", file.display()))
                        } else if took > Duration::from_secs(5) {
                            Some(format!("{target}: {} took {took:?}", file.display()))
                        } else {
                            None
                        };
                        if let Some(f) = failure {
                            failures.lock().unwrap_or_else(|p| p.into_inner()).push(f);
                        }
                    }
                    total.fetch_add(count, Ordering::Relaxed);
                    if count > 0 {
                        eprintln!("{kind}/{target}: {count} inputs in {:.2?}", began.elapsed());
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    assert!(
        failures.is_empty(),
        "{} failing inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
    total.into_inner()
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
