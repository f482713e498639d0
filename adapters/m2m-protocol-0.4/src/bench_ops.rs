//! `testee.bench` (spec chapter `testee`, section 7): run one of this adapter's ops many times
//! and time the upstream calls with `std::time::Instant`.
//!
//! What is timed is what a normal request for the op does between the parsed args object and
//! the result value (reading the args, the upstream call, building the result), as in the
//! reference: the op is looked up once, the wrapped op runs max(W, 1) times untimed and N times
//! timed in B = min(N, 10) batches, each batch timed as a whole. [TESTEE-BENCH-005]
//! [TESTEE-BENCH-006]

use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::{Op, Reply};

/// Name of the op in `spec/ops.yaml`.
pub const NAME: &str = "testee.bench";

const MAX_ITERATIONS: u64 = 1_000_000;
const DEFAULT_MAX_MS: u64 = 5_000;
const MAX_MAX_MS: u64 = 60_000;
const MAX_BATCHES: u64 = 10;

/// The bench op.
pub const OPS: &[Op] = &[Op {
    name: NAME,
    run: bench,
}];

fn bounded(
    args: &Map<String, Value>,
    name: &str,
    default: Option<u64>,
    min: u64,
    max: u64,
) -> Result<u64, Reply> {
    let v = match (args.get(name), default) {
        (None, Some(d)) => return Ok(d),
        (None, None) => return Err(Reply::bad_args(format!("missing `{name}`"))),
        (Some(v), _) => v
            .as_u64()
            .ok_or_else(|| Reply::bad_args(format!("`{name}` must be an unsigned integer")))?,
    };
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(Reply::bad_args(format!(
            "`{name}` must be between {min} and {max}, got {v}"
        )))
    }
}

/// Sizes of the batches: min(N, 10) sizes differing by at most one, the longer ones first.
fn batch_sizes(iterations: u64) -> Vec<u64> {
    let b = iterations.clamp(1, MAX_BATCHES);
    (0..b)
        .map(|i| iterations / b + u64::from(i < iterations % b))
        .collect()
}

fn bench(args: &Map<String, Value>) -> Reply {
    let name = match args.get("op") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Reply::bad_args("`op` must be a string"),
        None => return Reply::bad_args("missing `op`"),
    };
    if name == NAME {
        return Reply::bad_args("a bench cannot wrap `testee.bench`");
    }
    let inner = match args.get("args") {
        Some(Value::Object(m)) => m,
        Some(_) => return Reply::bad_args("`args` must be an object"),
        None => return Reply::bad_args("missing `args`"),
    };
    let plan = (|| {
        Ok::<_, Reply>((
            bounded(args, "iterations", None, 1, MAX_ITERATIONS)?,
            bounded(args, "warmup", Some(0), 0, MAX_ITERATIONS)?,
            bounded(args, "max_ms", Some(DEFAULT_MAX_MS), 1, MAX_MAX_MS)?,
        ))
    })();
    let (iterations, warmup, max_ms) = match plan {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(op) = crate::ops().find(|o| o.name == name) else {
        return Reply::Unsupported(format!(
            "op `{name}` has no counterpart in the m2m-protocol {} public API",
            crate::UPSTREAM_VERSION
        ));
    };
    let max_ns = u128::from(max_ms) * 1_000_000;
    let started = Instant::now();
    let over = || started.elapsed().as_nanos() > max_ns;
    let limit = || Reply::Error {
        class: "bench_time_limit".to_owned(),
        message: format!("stopped after more than {max_ms} ms"),
    };
    let mut last = (op.run)(inner);
    if let Reply::Unsupported(_) = last {
        return last;
    }
    if over() {
        return limit();
    }
    for _ in 1..warmup {
        last = (op.run)(inner);
        if over() {
            return limit();
        }
    }
    let mut per_batch = Vec::new();
    let mut total_ns: u128 = 0;
    for size in batch_sizes(iterations) {
        let t0 = Instant::now();
        for _ in 0..size {
            last = (op.run)(inner);
        }
        let took = t0.elapsed().as_nanos();
        total_ns += took;
        per_batch.push(took as f64 / size as f64);
        if over() {
            return limit();
        }
    }
    let mut sorted = per_batch.clone();
    sorted.sort_by(f64::total_cmp);
    let outcome = match last {
        Reply::Unsupported(_) => return last,
        other => other.to_json(),
    };
    Reply::Ok(json!({
        "iterations": iterations,
        "warmup": warmup,
        "batches": per_batch.len(),
        "total_ns": u64::try_from(total_ns).unwrap_or(u64::MAX),
        "ns_per_op": total_ns as f64 / iterations as f64,
        "min_ns_per_op": sorted[0],
        "median_ns_per_op": sorted[(sorted.len() - 1) / 2],
        "outcome": outcome,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: Value) -> Reply {
        crate::dispatch(NAME, &args)
    }

    #[test]
    fn batches() {
        assert_eq!(batch_sizes(23), vec![3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
        assert_eq!(batch_sizes(4), vec![1; 4]);
    }

    #[test]
    fn outcome_is_the_normal_answer() {
        let inner = json!({"value": 300});
        let normal = crate::dispatch("wire.varint.encode", &inner).to_json();
        let Reply::Ok(v) =
            run(json!({"op": "wire.varint.encode", "args": inner, "iterations": 12}))
        else {
            panic!("bench failed")
        };
        assert_eq!(v["outcome"], normal);
        assert_eq!(v["batches"], 10);
        assert_eq!(v["iterations"], 12);
    }

    #[test]
    fn refusals() {
        for bad in [
            json!({"op": NAME, "args": {}, "iterations": 1}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 0}),
            json!({"op": "wire.detect", "args": {"wire": "x"}}),
            json!({"op": "wire.detect", "args": [], "iterations": 1}),
            json!({"op": "wire.detect", "args": {"wire": "x"}, "iterations": 1, "max_ms": 0}),
        ] {
            assert!(
                matches!(run(bad.clone()), Reply::Error { ref class, .. } if class == "bad_args"),
                "{bad}"
            );
        }
        assert!(matches!(
            run(json!({"op": "testee.unimplemented", "args": {}, "iterations": 1})),
            Reply::Unsupported(_)
        ));
    }
}
