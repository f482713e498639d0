//! `testee.bench`: run another op many times and time it with an injected clock (spec chapter
//! `testee`, section 7, TESTEE-BENCH-*).
//!
//! The protocol code of this crate has no clock. The testee dispatcher is the crate's edge to
//! the outside world, and this is the one place that reads time: through the [`Clock`] trait,
//! given by the caller ([`super::dispatch_with_clock`]). [`MonotonicClock`] (on
//! `std::time::Instant`) is what `serve-testee` and the harness's in-process target use; unit
//! tests give a fake clock and get exact figures.

use serde_json::{json, Value};

use super::{Args, Op, Reply};

/// Name of the op in `spec/ops.yaml`.
pub const NAME: &str = "testee.bench";

/// Largest `iterations` (and `warmup`). [TESTEE-BENCH-003]
pub const MAX_ITERATIONS: u64 = 1_000_000;

/// Default of `max_ms`. [TESTEE-BENCH-003]
pub const DEFAULT_MAX_MS: u64 = 5_000;

/// Largest `max_ms`. [TESTEE-BENCH-003]
pub const MAX_MAX_MS: u64 = 60_000;

/// Most batches the timed runs are split into. [TESTEE-BENCH-006]
pub const MAX_BATCHES: u64 = 10;

/// A monotonic clock: nanoseconds since some fixed point, never decreasing.
/// [TESTEE-BENCH-005]
pub trait Clock {
    /// The current reading, in nanoseconds.
    fn now_ns(&self) -> u64;
}

/// The clock of the real world: `std::time::Instant`, counted from the first reading in this
/// process.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    fn now_ns(&self) -> u64 {
        static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let epoch = EPOCH.get_or_init(std::time::Instant::now);
        u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// The op as listed in `hello`; [`super::dispatch_with_clock`] runs it with the caller's clock,
/// a direct call of `run` uses a [`MonotonicClock`].
pub const OPS: &[Op] = &[Op {
    name: NAME,
    run: run_monotonic,
}];

fn run_monotonic(args: &Args) -> Reply {
    bench(args, &MonotonicClock)
}

/// The validated args of one bench request. [TESTEE-BENCH-003]
struct Plan<'a> {
    op: &'a str,
    args: &'a Value,
    iterations: u64,
    warmup: u64,
    max_ns: u64,
}

fn bounded(
    args: &Args,
    name: &str,
    default: Option<u64>,
    min: u64,
    max: u64,
) -> Result<u64, Reply> {
    let v = match (args.has(name), default) {
        (false, Some(d)) => return Ok(d),
        _ => args.u64(name)?,
    };
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(Reply::bad_args(format!(
            "`{name}` must be between {min} and {max}, got {v}"
        )))
    }
}

fn plan<'a>(args: &Args<'a>) -> Result<Plan<'a>, Reply> {
    let op = args.text("op")?;
    if op == NAME {
        return Err(Reply::bad_args("a bench cannot wrap `testee.bench`"));
    }
    let inner = match args.get("args") {
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(Reply::bad_args("`args` must be an object")),
        None => return Err(Reply::bad_args("missing `args`")),
    };
    Ok(Plan {
        op,
        args: inner,
        iterations: bounded(args, "iterations", None, 1, MAX_ITERATIONS)?,
        warmup: bounded(args, "warmup", Some(0), 0, MAX_ITERATIONS)?,
        max_ns: bounded(args, "max_ms", Some(DEFAULT_MAX_MS), 1, MAX_MAX_MS)? * 1_000_000,
    })
}

/// Sizes of the batches N runs are split into: B = min(N, 10) sizes differing by at most one,
/// the longer ones first. [TESTEE-BENCH-006]
pub fn batch_sizes(iterations: u64) -> Vec<u64> {
    let b = iterations.clamp(1, MAX_BATCHES);
    (0..b)
        .map(|i| iterations / b + u64::from(i < iterations % b))
        .collect()
}

/// Run a bench request: validate, run the wrapped op `warmup` times, then `iterations` times
/// in batches timed with `clock`, and answer the figures with the last run's outcome.
/// [TESTEE-BENCH-003] [TESTEE-BENCH-004] [TESTEE-BENCH-005] [TESTEE-BENCH-006]
/// [TESTEE-BENCH-007] [TESTEE-BENCH-008]
pub fn bench(args: &Args, clock: &dyn Clock) -> Reply {
    let p = match plan(args) {
        Ok(p) => p,
        Err(r) => return r,
    };
    // The op is looked up once, outside the timed runs; each run is the op on the parsed args.
    let Some(op) = super::ops().find(|o| o.name == p.op) else {
        return Reply::Unsupported(format!("op `{}` is not implemented by m2m-reference", p.op));
    };
    let Value::Object(map) = p.args else {
        return Reply::bad_args("`args` must be an object");
    };
    timed(&p, clock, &mut || (op.run)(&Args::new(map)))
}

/// The runs of a validated bench: warmup, then the timed batches, checking the time limit after
/// every run. [TESTEE-BENCH-005] [TESTEE-BENCH-006] [TESTEE-BENCH-008]
fn timed(p: &Plan, clock: &dyn Clock, run: &mut dyn FnMut() -> Reply) -> Reply {
    let started = clock.now_ns();
    let over = |now: u64| now.saturating_sub(started) > p.max_ns;
    let limit = || Reply::Error {
        class: "bench_time_limit".to_owned(),
        message: format!("stopped after more than {} ms", p.max_ns / 1_000_000),
    };
    // max(W, 1) untimed runs: the first also tells whether the op supports these args.
    let mut last = run();
    if let Reply::Unsupported(_) = last {
        return last;
    }
    if over(clock.now_ns()) {
        return limit();
    }
    for _ in 1..p.warmup {
        last = run();
        if over(clock.now_ns()) {
            return limit();
        }
    }
    let mut per_batch = Vec::new();
    let mut total_ns: u64 = 0;
    for size in batch_sizes(p.iterations) {
        // The clock is read after every run, so that one slow op (a bomb, a huge input) cannot
        // carry the bench past `max_ms` by more than that one run; the last reading ends the
        // batch. [TESTEE-BENCH-006] [TESTEE-BENCH-008]
        let t0 = clock.now_ns();
        let mut t1 = t0;
        for _ in 0..size {
            last = run();
            t1 = clock.now_ns();
            if over(t1) {
                return limit();
            }
        }
        let took = t1.saturating_sub(t0);
        total_ns = total_ns.saturating_add(took);
        per_batch.push(took as f64 / size as f64);
    }
    let mut sorted = per_batch.clone();
    sorted.sort_by(f64::total_cmp);
    let outcome = match last {
        Reply::Ok(v) => json!({ "ok": v }),
        Reply::Error { class, message } => {
            json!({ "error": { "class": class, "message": message } })
        }
        // An op that answers unsupported for some args only: the bench answers the same.
        unsupported @ Reply::Unsupported(_) => return unsupported,
    };
    Reply::Ok(json!({
        "iterations": p.iterations,
        "warmup": p.warmup,
        "batches": per_batch.len(),
        "total_ns": total_ns,
        "ns_per_op": total_ns as f64 / p.iterations as f64,
        "min_ns_per_op": sorted[0],
        "median_ns_per_op": sorted[(sorted.len() - 1) / 2],
        "outcome": outcome,
    }))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::testee::dispatch_with_clock;

    /// A clock that advances by `step` ns at every reading.
    struct FakeClock {
        now: Cell<u64>,
        step: u64,
    }

    impl Clock for FakeClock {
        fn now_ns(&self) -> u64 {
            let t = self.now.get();
            self.now.set(t + self.step);
            t
        }
    }

    fn fake(step: u64) -> FakeClock {
        FakeClock {
            now: Cell::new(0),
            step,
        }
    }

    fn bench_json(args: Value, clock: &dyn Clock) -> Reply {
        dispatch_with_clock(NAME, &args, clock)
    }

    #[test]
    fn batches_split_evenly() {
        assert_eq!(batch_sizes(1), vec![1]);
        assert_eq!(batch_sizes(7), vec![1; 7]);
        assert_eq!(batch_sizes(10), vec![1; 10]);
        assert_eq!(batch_sizes(23), vec![3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
        assert_eq!(batch_sizes(1_000_000).iter().sum::<u64>(), 1_000_000);
    }

    #[test]
    fn fake_clock_gives_exact_figures() {
        // A batch reads the clock before it and after each run: one step per run. 20 runs in 10
        // batches of 2.
        let clock = fake(1000);
        let args = json!({"op": "wire.varint.encode", "args": {"value": 300}, "iterations": 20, "warmup": 3});
        let Reply::Ok(v) = bench_json(args, &clock) else {
            panic!("bench failed")
        };
        assert_eq!(v["iterations"], 20);
        assert_eq!(v["warmup"], 3);
        assert_eq!(v["batches"], 10);
        assert_eq!(v["total_ns"], 20_000);
        assert_eq!(v["ns_per_op"], 1000.0);
        assert_eq!(v["min_ns_per_op"], 1000.0);
        assert_eq!(v["median_ns_per_op"], 1000.0);
        assert_eq!(v["outcome"], json!({"ok": {"hex": "ac02"}}));
    }

    #[test]
    fn outcome_equals_a_normal_request() {
        for (op, args) in [
            ("wire.varint.decode", json!({"hex": "ac02"})),
            ("wire.varint.decode", json!({"hex": "ff"})),
            ("wire.detect", json!({"wire": "#M2M|1|AAAA"})),
        ] {
            let normal = crate::testee::dispatch(op, &args);
            let want = match normal {
                Reply::Ok(v) => json!({ "ok": v }),
                Reply::Error { class, message } => {
                    json!({"error": {"class": class, "message": message}})
                }
                Reply::Unsupported(_) => panic!("{op} unsupported"),
            };
            let Reply::Ok(v) = bench_json(
                json!({"op": op, "args": args, "iterations": 3}),
                &MonotonicClock,
            ) else {
                panic!("bench of {op} failed")
            };
            assert_eq!(v["outcome"], want, "{op}");
            assert_eq!(v["batches"], 3);
        }
    }

    #[test]
    fn nested_bench_is_refused() {
        let inner = json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 1});
        let r = bench_json(
            json!({"op": NAME, "args": inner, "iterations": 1}),
            &fake(1),
        );
        assert!(
            matches!(r, Reply::Error { ref class, .. } if class == "bad_args"),
            "{r:?}"
        );
    }

    #[test]
    fn unknown_inner_op_is_unsupported() {
        let r = bench_json(
            json!({"op": "testee.unimplemented", "args": {}, "iterations": 5}),
            &fake(1),
        );
        assert!(matches!(r, Reply::Unsupported(_)), "{r:?}");
    }

    #[test]
    fn out_of_range_args_are_bad_args() {
        for args in [
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 0}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": MAX_ITERATIONS + 1}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": -1}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 1.5}),
            json!({"op": "wire.detect", "args": {"wire": "x"}}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 1, "warmup": MAX_ITERATIONS + 1}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 1, "max_ms": 0}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 1, "max_ms": MAX_MAX_MS + 1}),
            json!({"op": "wire.detect", "args": "x", "iterations": 1}),
            json!({"op": "wire.detect", "iterations": 1}),
            json!({"args": {}, "iterations": 1}),
            json!({"op": 7, "args": {}, "iterations": 1}),
        ] {
            let r = bench_json(args.clone(), &fake(1));
            assert!(
                matches!(r, Reply::Error { ref class, .. } if class == "bad_args"),
                "{args}: {r:?}"
            );
        }
    }

    #[test]
    fn time_limit_stops_the_bench() {
        // 1 ms per clock reading and max_ms 3: over the limit after the second batch.
        let r = bench_json(
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 100, "max_ms": 3}),
            &fake(1_000_000),
        );
        assert!(
            matches!(r, Reply::Error { ref class, .. } if class == "bench_time_limit"),
            "{r:?}"
        );
    }

    /// Issue 18 defect 6: the limit is checked after every run, not only after a batch. With
    /// 10 ms per clock reading, `max_ms` 25 and 1,000 iterations (batches of 100), the bench
    /// stops after the first timed run instead of finishing a batch of 100.
    #[test]
    fn time_limit_is_checked_after_every_run() {
        let args = json!({"op": "wire.detect", "args": {}, "iterations": 1000, "max_ms": 25});
        let Value::Object(map) = &args else {
            unreachable!()
        };
        let p = plan(&Args::new(map)).expect("valid plan");
        let mut runs = 0;
        let r = timed(&p, &fake(10_000_000), &mut || {
            runs += 1;
            Reply::Ok(Value::Null)
        });
        assert!(
            matches!(r, Reply::Error { ref class, .. } if class == "bench_time_limit"),
            "{r:?}"
        );
        assert_eq!(runs, 2, "one warmup run and one timed run");
    }

    #[test]
    fn inner_errors_are_timed_outcomes() {
        let Reply::Ok(v) = bench_json(
            json!({"op": "wire.varint.decode", "args": {"hex": "zz"}, "iterations": 2}),
            &fake(10),
        ) else {
            panic!("bench failed")
        };
        assert_eq!(v["outcome"]["error"]["class"], "bad_args");
        assert_eq!(v["total_ns"], 20);
        assert_eq!(v["ns_per_op"], 10.0);
    }
}
