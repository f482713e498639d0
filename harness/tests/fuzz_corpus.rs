//! Replays every committed fuzz input (`fuzz/corpus/<target>/*` and `fuzz/regressions/<target>/*`)
//! through the same check functions the cargo-fuzz targets call, in-process, on the stable
//! toolchain. A panic (a crash of the reference or a broken invariant) fails the test and names
//! the file. See `fuzz/README.md`.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code, unreachable_pub)]
mod fuzz_checks;

use m2m_reference::ErrorClass as _;
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

/// Replay every input of one kind (`corpus` or `regressions`) through the real checks; fails
/// the test on any failing input.
fn replay(kind: &str) -> usize {
    let (n, failures) = replay_dir(&root().join("fuzz").join(kind), fuzz_checks::TARGETS);
    assert!(
        failures.is_empty(),
        "{} failing inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
    n
}

/// Replay every input under `dir/<target>/` through its check, the targets spread over the
/// available cores; prints the count and time per target. Returns the number of inputs and one
/// line per input that panicked (a crash or a broken invariant) or took over 5 s.
fn replay_dir(dir: &Path, targets: &[(&str, fuzz_checks::Check)]) -> (usize, Vec<String>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    let next = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((target, check)) = targets.get(next.fetch_add(1, Ordering::Relaxed))
                {
                    let kind = dir.file_name().unwrap_or_default().to_string_lossy();
                    let dir = dir.join(target);
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
    (total.into_inner(), failures)
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

/// Every bug ever found keeps its input under `fuzz/regressions/<target>/`; a replay of an
/// empty folder would pass without checking anything, so it is refused, as is a folder that
/// names no target (its inputs would never be replayed).
#[test]
fn regressions_replay_without_panics() {
    let dir = root().join("fuzz/regressions");
    for entry in std::fs::read_dir(&dir)
        .expect("fuzz/regressions/ exists")
        .flatten()
    {
        if entry.path().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                fuzz_checks::TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/regressions/{name}/ names no fuzz target"
            );
        }
    }
    let n = replay("regressions");
    assert!(
        n > 0,
        "fuzz/regressions/ holds no input: the replay would check nothing"
    );
    eprintln!("replayed {n} regression inputs");
}

/// The replay itself fails on an input that breaks an invariant: a check that panics on one
/// input is reported with that input's file, and the other inputs still run.
#[test]
fn replay_reports_an_input_that_breaks_an_invariant() {
    fn no_zero_byte(data: &[u8]) {
        assert!(!data.contains(&0), "invariant broken: a zero byte");
    }
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("planted");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join("good-1"), b"abc").unwrap();
    std::fs::write(t.join("bad"), b"a\0c").unwrap();
    std::fs::write(t.join("good-2"), b"xyz").unwrap();
    let (n, failures) = replay_dir(dir.path(), &[("planted", no_zero_byte)]);
    assert_eq!(n, 3, "every input runs, the failing one included");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("bad"), "{failures:?}");
    // The real regression inputs go through the real checks: the M3 abort found in upstream
    // decodes to a typed error in the reference.
    let m3 = root().join("fuzz/regressions/legacy/05101994bf5481c98201d7bb0e1135d0c2a21302");
    let data = std::fs::read(m3).expect("the M3 regression input is committed");
    assert!(matches!(
        m2m_reference::legacy::m3::decode(&data),
        Err(ref e) if e.class() == "truncated"
    ));
}
