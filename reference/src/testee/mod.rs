//! The testee-protocol dispatcher (spec chapter `testee`, `spec/90-testee.md`).
//!
//! This module is the ONE place where an op name and its JSON args become a call into the
//! reference. The harness's in-process target calls [`dispatch`]; `m2m-conformance
//! serve-testee` and `m2m-ref serve-testee` run [`serve`] over stdin/stdout. Both paths therefore
//! test the same code.

use std::io::{BufRead, Write};

use serde_json::{json, Map, Value};

use crate::ErrorClass;

mod args;
mod bench_ops;
mod frame_ops;
mod http_ops;
mod hydra_ops;
mod models_ops;
mod molt_ops;
mod scan_ops;
mod secure_ops;
mod security_ops;
mod session_ops;
mod token_ops;
mod wire_ops;

pub use args::Args;
pub use bench_ops::{Clock, MonotonicClock};

/// Version of the testee protocol this module speaks. [TESTEE-HELLO-002]
pub const PROTOCOL_VERSION: u64 = 1;

/// The answer to one request, before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The op succeeded with this result. [TESTEE-MSG-002]
    Ok(Value),
    /// The op failed with an error class and a free-text message. [TESTEE-ERR-001]
    Error {
        /// Class from `spec/error-classes.yaml`.
        class: String,
        /// Human-readable detail; never compared.
        message: String,
    },
    /// The op is not implemented by this testee. [TESTEE-OPS-002]
    Unsupported(String),
}

impl Reply {
    /// A failed op from any error that has a class.
    pub fn from_error<E: ErrorClass + std::fmt::Display>(e: &E) -> Reply {
        if e.class() == "unsupported" {
            return Reply::Unsupported(e.to_string());
        }
        Reply::Error {
            class: e.class().to_owned(),
            message: e.to_string(),
        }
    }

    /// A `bad_args` error. [TESTEE-ERR-003]
    pub fn bad_args(message: impl Into<String>) -> Reply {
        Reply::Error {
            class: "bad_args".to_owned(),
            message: message.into(),
        }
    }
}

/// An op the reference implements.
pub struct Op {
    /// Name from `spec/ops.yaml`, e.g. `wire.decompress`.
    pub name: &'static str,
    /// The implementation.
    pub run: fn(&Args) -> Reply,
}

/// Every op the reference implements, grouped by spec chapter: each area module exports its
/// own `OPS` slice, and adding an area is one line here.
pub const AREAS: &[&[Op]] = &[
    wire_ops::OPS,
    frame_ops::OPS,
    token_ops::OPS,
    secure_ops::OPS,
    session_ops::OPS,
    http_ops::OPS,
    scan_ops::OPS,
    security_ops::OPS,
    models_ops::OPS,
    hydra_ops::OPS,
    molt_ops::OPS,
    bench_ops::OPS,
];

/// Every op the reference implements, in area order.
pub fn ops() -> impl Iterator<Item = &'static Op> {
    AREAS.iter().flat_map(|area| area.iter())
}

/// Run one op. Unknown ops answer [`Reply::Unsupported`]; args that are not a JSON object
/// answer `bad_args`. Never panics on any input. [TESTEE-OPS-002] [TESTEE-ERR-003]
pub fn dispatch(op: &str, args: &Value) -> Reply {
    dispatch_with_clock(op, args, &MonotonicClock)
}

/// [`dispatch`] with the clock that `testee.bench` reads (the only op that reads time): tests
/// give a fake one. [TESTEE-BENCH-005]
pub fn dispatch_with_clock(op: &str, args: &Value, clock: &dyn Clock) -> Reply {
    if op == bench_ops::NAME {
        return match args {
            Value::Object(map) => bench_ops::bench(&Args::new(map), clock),
            _ => Reply::bad_args("args must be a JSON object"),
        };
    }
    let Some(spec) = ops().find(|o| o.name == op) else {
        return Reply::Unsupported(format!("op `{op}` is not implemented by m2m-reference"));
    };
    match args {
        Value::Object(map) => (spec.run)(&Args::new(map)),
        _ => Reply::bad_args("args must be a JSON object"),
    }
}

/// The `hello` result of the reference: name, version, protocol version and ops.
/// [TESTEE-HELLO-001] [TESTEE-HELLO-002]
pub fn hello() -> Value {
    json!({
        "name": "m2m-reference",
        "version": crate::VERSION,
        "protocol": PROTOCOL_VERSION,
        "ops": ops().map(|o| o.name).collect::<Vec<_>>(),
    })
}

/// Answer one request line with one response line (without the newline).
/// A line that is not a request object gets an error response with id `null`.
/// [TESTEE-MSG-001] [TESTEE-MSG-002] [TESTEE-MSG-003] [TESTEE-MSG-006]
pub fn handle_line(line: &str) -> String {
    let parsed: Result<Map<String, Value>, _> = serde_json::from_str(line);
    let Ok(request) = parsed else {
        return json!({"id": null, "error": {"class": "bad_args", "message": "request is not a JSON object"}}).to_string();
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(op) = request.get("op").and_then(Value::as_str) else {
        return json!({"id": id, "error": {"class": "bad_args", "message": "request has no string `op`"}}).to_string();
    };
    let empty = Value::Object(Map::new());
    let args = request.get("args").unwrap_or(&empty);
    let reply = if op == "hello" {
        Reply::Ok(hello())
    } else {
        dispatch(op, args)
    };
    let response = match reply {
        Reply::Ok(v) => json!({"id": id, "ok": v}),
        Reply::Error { class, message } => {
            json!({"id": id, "error": {"class": class, "message": message}})
        }
        Reply::Unsupported(reason) => json!({"id": id, "unsupported": reason}),
    };
    response.to_string()
}

/// Serve the testee protocol: one response line per request line, in order, flushed after each,
/// until end of input. Blank lines are ignored. [TESTEE-MSG-001]
pub fn serve(input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(output, "{}", handle_line(&line))?;
        output.flush()?;
    }
    Ok(())
}

/// [`serve`] on this process's stdin and stdout: what `m2m-ref serve-testee` and
/// `m2m-conformance serve-testee` run.
pub fn serve_stdio() -> std::io::Result<()> {
    serve(std::io::stdin().lock(), std::io::stdout().lock())
}
