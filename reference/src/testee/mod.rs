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
mod h3_ops;
mod http_ops;
mod hydra_ops;
mod models_ops;
mod molt_ops;
mod scan_ops;
mod secure_ops;
mod security_ops;
mod session_ops;
mod streaming_ops;
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
    streaming_ops::OPS,
    http_ops::OPS,
    h3_ops::OPS,
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
    response(line).to_string()
}

/// The response object to one request line (see [`handle_line`]).
fn response(line: &str) -> Value {
    let parsed: Result<Map<String, Value>, _> = serde_json::from_str(line);
    let Ok(request) = parsed else {
        return json!({"id": null, "error": {"class": "bad_args", "message": "request is not a JSON object"}});
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(op) = request.get("op").and_then(Value::as_str) else {
        return json!({"id": id, "error": {"class": "bad_args", "message": "request has no string `op`"}});
    };
    let empty = Value::Object(Map::new());
    let args = request.get("args").unwrap_or(&empty);
    let reply = if op == "hello" {
        Reply::Ok(hello())
    } else {
        dispatch(op, args)
    };
    match reply {
        Reply::Ok(v) => json!({"id": id, "ok": v}),
        Reply::Error { class, message } => {
            json!({"id": id, "error": {"class": class, "message": message}})
        }
        Reply::Unsupported(reason) => json!({"id": id, "unsupported": reason}),
    }
}

/// Longest request line [`serve`] reads (256 MiB, the response cap of TESTEE-HTTP-003). A longer
/// line is discarded as it arrives, never buffered whole, and answered as a line that is not a
/// request (TESTEE-MSG-006).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024 * 1024;

/// The answer to a request line that cannot be read as a request: `bad_args`, with the line's
/// `id` when one can be read and `null` otherwise. [TESTEE-MSG-006]
fn unreadable(id: Value, why: &str) -> Value {
    json!({"id": id, "error": {"class": "bad_args", "message": why}})
}

/// Answer one raw request line (without its line feed). A line that is not UTF-8 is not a
/// request: it answers `bad_args` and runs nothing, echoing the `id` when the line (read
/// leniently) has one. [TESTEE-MSG-001] [TESTEE-MSG-006]
pub fn handle_bytes(line: &[u8]) -> String {
    response_bytes(line).to_string()
}

/// The response object to one raw request line (see [`handle_bytes`]).
fn response_bytes(line: &[u8]) -> Value {
    match std::str::from_utf8(line) {
        Ok(text) => response(text),
        Err(_) => {
            let lossy = String::from_utf8_lossy(line);
            let id = serde_json::from_str::<Map<String, Value>>(&lossy)
                .ok()
                .and_then(|m| m.get("id").cloned())
                .unwrap_or(Value::Null);
            unreadable(id, "request line is not valid UTF-8")
        }
    }
}

/// Read one line of at most `max` bytes into `buf` (line feed and a final carriage return
/// removed). `Ok(None)` at end of input; `Ok(Some(false))` when the line was longer than `max`:
/// its bytes were discarded as they arrived and `buf` is empty.
fn read_line_capped(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut fits = true;
    let mut any = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (part, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if fits && buf.len() + part.len() <= max {
            buf.extend_from_slice(part);
        } else if fits {
            fits = false;
            *buf = Vec::new();
        }
        let used = done.unwrap_or(chunk.len());
        input.consume(used);
        if done.is_some() {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(fits))
}

/// Serve the testee protocol: one response line per request line, in order, flushed after each,
/// until end of input. Blank lines are ignored. A line that is not UTF-8, not a request, or
/// longer than [`MAX_REQUEST_BYTES`] answers `bad_args` and serving goes on.
/// [TESTEE-MSG-001] [TESTEE-MSG-006]
pub fn serve(input: impl BufRead, output: impl Write) -> std::io::Result<()> {
    serve_capped(input, output, MAX_REQUEST_BYTES)
}

/// [`serve`] with another line cap (tests use a small one).
pub fn serve_capped(
    mut input: impl BufRead,
    output: impl Write,
    max_line: usize,
) -> std::io::Result<()> {
    // Each response is serialised straight into the output buffer, which a large answer (16 MiB
    // of text) bypasses: no response is ever built whole in memory.
    let mut output = std::io::BufWriter::with_capacity(1 << 16, output);
    let mut line = Vec::new();
    while let Some(fits) = read_line_capped(&mut input, &mut line, max_line)? {
        let answer = if !fits {
            unreadable(Value::Null, "request line is longer than the testee reads")
        } else if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            response_bytes(&line)
        };
        serde_json::to_writer(&mut output, &answer)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

/// [`serve`] on this process's stdin and stdout: what `m2m-ref serve-testee` and
/// `m2m-conformance serve-testee` run.
pub fn serve_stdio() -> std::io::Result<()> {
    serve(std::io::stdin().lock(), std::io::stdout().lock())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(input: &[u8], cap: usize) -> Vec<Value> {
        let mut out = Vec::new();
        if cap == MAX_REQUEST_BYTES {
            serve(input, &mut out).expect("serving a byte slice cannot fail");
        } else {
            serve_capped(input, &mut out, cap).expect("serving a byte slice cannot fail");
        }
        String::from_utf8(out)
            .expect("responses are UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each response is JSON"))
            .collect()
    }

    /// Issue 18 defect 1: a line that is not UTF-8 is answered and serving goes on.
    /// [TESTEE-MSG-006]
    #[test]
    fn invalid_utf8_lines_are_answered_and_serving_goes_on() {
        let mut input = b"\xff\n".to_vec();
        input.extend_from_slice(b"{\"id\":\"b\",\"op\":\"wire.detect\",\"args\":{\"wire\":\"x");
        input.push(0xfe);
        input.extend_from_slice(
            b"\"}}\n{\"id\":\"a\",\"op\":\"wire.detect\",\"args\":{\"wire\":\"x\"}}\n",
        );
        let answers = served(&input, MAX_REQUEST_BYTES);
        assert_eq!(answers.len(), 3, "{answers:?}");
        assert_eq!(answers[0]["id"], Value::Null);
        assert_eq!(answers[0]["error"]["class"], "bad_args");
        assert_eq!(
            answers[1]["id"], "b",
            "the id of a non-UTF-8 line is echoed"
        );
        assert_eq!(answers[1]["error"]["class"], "bad_args");
        assert_eq!(answers[2]["id"], "a");
        assert!(answers[2].get("ok").is_some(), "{:?}", answers[2]);
    }

    /// A line over the cap is discarded, answered `bad_args`, and the next line is served.
    #[test]
    fn overlong_lines_are_discarded_and_answered() {
        let mut input = vec![b'{'; 5000];
        input.extend_from_slice(b"\n\n{\"id\":\"a\",\"op\":\"hello\"}\r\n");
        let answers = served(&input, 100);
        assert_eq!(answers.len(), 2, "{answers:?}");
        assert_eq!(answers[0]["error"]["class"], "bad_args");
        assert_eq!(answers[1]["id"], "a");
    }

    /// Input that checks, at every read, that every request it has handed over in full is
    /// already answered on the output: nothing is held back while the testee reads on.
    struct Checked {
        input: std::io::Cursor<Vec<u8>>,
        output: std::rc::Rc<std::cell::RefCell<Vec<u8>>>,
        requests_read: usize,
    }

    impl std::io::Read for Checked {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let answered = self.output.borrow().iter().filter(|b| **b == b'\n').count();
            assert_eq!(
                answered, self.requests_read,
                "an answer was not flushed before reading on"
            );
            let n = self.input.read(&mut buf[..1])?;
            self.requests_read += usize::from(n == 1 && buf[0] == b'\n');
            Ok(n)
        }
    }

    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Answers larger than the output buffer are written whole, in order, and every answer is
    /// flushed before the next request is read. [TESTEE-MSG-001] [TESTEE-MSG-007]
    #[test]
    fn large_answers_are_whole_and_every_answer_is_flushed_before_reading_on() {
        let big = "é\"x".repeat(100_000);
        let mut input = Vec::new();
        for (id, wire) in [("a", "small"), ("b", big.as_str()), ("c", "tail")] {
            let request = json!({"id": id, "op": "wire.decompress", "args": {"wire": wire}});
            input.extend_from_slice(request.to_string().as_bytes());
            input.push(b'\n');
        }
        let output = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let checked = Checked {
            input: std::io::Cursor::new(input),
            output: output.clone(),
            requests_read: 0,
        };
        serve(
            std::io::BufReader::with_capacity(1, checked),
            Shared(output.clone()),
        )
        .expect("serving in memory cannot fail");
        let text = String::from_utf8(output.borrow().clone()).expect("answers are UTF-8");
        let answers: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(answers.len(), 3);
        for (answer, (id, wire)) in answers
            .iter()
            .zip([("a", "small"), ("b", &big), ("c", "tail")])
        {
            assert_eq!(answer["id"], id);
            assert_eq!(answer["ok"]["text"], wire, "answer {id}");
        }
    }
}
