//! # m2m-upstream-adapter — the published `m2m-protocol` 0.4.0 crate as a conformance testee
//!
//! This crate wraps upstream's **public API only** (lib name `m2m`) behind the suite's testee
//! protocol (spec chapter `testee`): JSON Lines requests `{"id","op","args"}` on stdin, one
//! response line each on stdout. It adds no behaviour of its own: every value in an `ok` answer
//! is something upstream computed, and every error is an upstream `M2MError` translated to a
//! suite class by the table in [`errors`]. Where upstream has no way to express an op, the
//! answer is `unsupported`.
//!
//! Ops and the upstream calls behind them:
//!
//! | op | upstream call |
//! |---|---|
//! | `wire.detect` | `m2m::codec::detect_algorithm` |
//! | `wire.compress` | `CodecEngine::compress(input, Algorithm)` |
//! | `wire.decompress` | `CodecEngine::decompress` (limits ignored: upstream has none) |
//! | `wire.varint.encode` / `.decode` | `m2m::codec::m2m::{write_varint, read_varint}` |
//! | `frame.encode` | `M2MCodec::encode` (binary) and `M2MCodec::encode_string` (text) |
//! | `frame.decode` | `M2MFrame::decode` (hex) / `M2MFrame::decode_string` (wire) |
//! | `frame.peek` | the same full decode, headers only (upstream has no header-only reader) |
//! | `stream.*` | `StreamingCodec` and `StreamingDecompressor` ([`streaming_ops`]) |
//! | `session.run` | `m2m::protocol::Session` driven step by step ([`session_ops`]) |
//! | `scan.*`, `hydra.*` | see [`scan_hydra_ops`] |
//! | `scan.ml`, `engine.secure_compress*` | see [`security_ops`] |
//! | `models.*`, `token.count`, `content.analyze` | see [`models_ops`] |
//! | `testee.bench` | any op above, timed with `Instant` ([`bench_ops`]) |

#![forbid(unsafe_code)]

use std::io::{BufRead, Write};

use serde_json::{json, Map, Value};

pub mod bench_ops;
pub mod errors;
pub mod models_ops;
pub mod ops;
pub mod scan_hydra_ops;
pub mod security_ops;
pub mod session_ops;
pub mod streaming_ops;
pub mod token_ops;

/// Version of the testee protocol spoken here.
pub const PROTOCOL_VERSION: u64 = 1;

/// Version of the upstream crate this adapter links (pinned with `=0.4.0` in Cargo.toml).
pub const UPSTREAM_VERSION: &str = "0.4.0";

/// One answer before it is serialized.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Success with a result value.
    Ok(Value),
    /// Failure with a suite error class and upstream's message.
    Error {
        /// Class from `spec/error-classes.yaml` (or [`errors::UNMAPPED`]).
        class: String,
        /// Upstream's Display text, or the adapter's own for `bad_args`.
        message: String,
    },
    /// Upstream cannot express the op or an argument value.
    Unsupported(String),
}

impl Reply {
    /// A protocol-level argument error.
    pub fn bad_args(message: impl Into<String>) -> Reply {
        Reply::Error {
            class: "bad_args".to_owned(),
            message: message.into(),
        }
    }

    /// An upstream error, classified through the error map.
    pub fn upstream(e: &m2m::M2MError) -> Reply {
        Reply::Error {
            class: errors::classify(e).to_owned(),
            message: e.to_string(),
        }
    }

    /// The reply as the value of a response line (without the id).
    pub fn to_json(&self) -> Value {
        match self {
            Reply::Ok(v) => json!({ "ok": v }),
            Reply::Error { class, message } => {
                json!({ "error": { "class": class, "message": message } })
            }
            Reply::Unsupported(reason) => json!({ "unsupported": reason }),
        }
    }
}

/// An op this adapter answers.
pub struct Op {
    /// Name from `spec/ops.yaml`.
    pub name: &'static str,
    /// Implementation.
    pub run: fn(&Map<String, Value>) -> Reply,
}

/// Every op the adapter implements, grouped by area: each area module exports its own `OPS`
/// slice. All other ops answer `unsupported`.
pub const AREAS: &[&[Op]] = &[
    ops::OPS,
    ops::crypto::OPS,
    token_ops::OPS,
    session_ops::OPS,
    streaming_ops::OPS,
    scan_hydra_ops::OPS,
    security_ops::OPS,
    models_ops::OPS,
    bench_ops::OPS,
];

/// Every op the adapter implements, in area order.
pub fn ops() -> impl Iterator<Item = &'static Op> {
    AREAS.iter().flat_map(|area| area.iter())
}

/// Run one op.
pub fn dispatch(op: &str, args: &Value) -> Reply {
    let Some(spec) = ops().find(|o| o.name == op) else {
        return Reply::Unsupported(format!(
            "op `{op}` has no counterpart in the m2m-protocol {UPSTREAM_VERSION} public API"
        ));
    };
    match args {
        Value::Object(map) => (spec.run)(map),
        _ => Reply::bad_args("args must be a JSON object"),
    }
}

/// The `hello` result.
pub fn hello() -> Value {
    json!({
        "name": "m2m-protocol",
        "version": UPSTREAM_VERSION,
        "protocol": PROTOCOL_VERSION,
        "ops": ops().map(|o| o.name).collect::<Vec<_>>(),
    })
}

/// Answer one request line with one response line (no newline).
pub fn handle_line(line: &str) -> String {
    let Ok(request) = serde_json::from_str::<Map<String, Value>>(line) else {
        return json!({"id": null, "error": {"class": "bad_args", "message": "request is not a JSON object"}})
            .to_string();
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(op) = request.get("op").and_then(Value::as_str) else {
        return json!({"id": id, "error": {"class": "bad_args", "message": "request has no string `op`"}})
            .to_string();
    };
    let empty = Value::Object(Map::new());
    let args = request.get("args").unwrap_or(&empty);
    let reply = if op == "hello" {
        Reply::Ok(hello())
    } else {
        dispatch(op, args)
    };
    let mut response = reply.to_json();
    response
        .as_object_mut()
        .expect("to_json returns an object")
        .insert("id".to_owned(), id);
    response.to_string()
}

/// Serve the testee protocol until end of input; blank lines are ignored.
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
