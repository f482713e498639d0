//! Targets: the implementations a run can drive. Every target answers the same small trait, so
//! the scheduler, judge and reports never know which one they drive.
//!
//! | spec string | target |
//! |---|---|
//! | `ref` | [`reference::ReferenceTarget`], the embedded reference, in-process |
//! | `stdin:<command>` | [`stdin::StdinTarget`], a testee process speaking JSON Lines |
//! | `http:<url>` | [`http::HttpTarget`], a running testee speaking the protocol over HTTP |
//! | `m2m-http:<url>` | [`m2m_http::M2mHttpTarget`], a running M2M HTTP server (op `http.run` only) |
//! | `m2m-h3:https://HOST:PORT,…` | [`h3`], the same server API over QUIC/HTTP/3 (`http.run`, `h3.scenario`; feature `h3`) |
//! | `molt-hub:ws://…/ws`, `molt-peer:HOST:PORT` | [`molt`], live Molt hubs and agents |

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

pub mod h3;
pub mod http;
pub mod m2m_http;
pub mod molt;
pub mod reference;
pub mod stdin;

/// What a testee said about itself in `hello`. [TESTEE-HELLO-001]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TesteeInfo {
    /// The target spec string it was started from (`ref`, `stdin:…`).
    pub target: String,
    /// Implementation name.
    pub name: String,
    /// Implementation version.
    pub version: String,
    /// Testee protocol version.
    pub protocol: u64,
    /// Ops it supports.
    pub ops: Vec<String>,
}

/// The raw outcome of sending one case to a target.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `{"ok": value}`.
    Ok(Value),
    /// `{"error": {"class", "message"}}`.
    Error {
        /// Error class.
        class: String,
        /// Free text.
        message: String,
    },
    /// `{"unsupported": reason}`.
    Unsupported(String),
    /// No answer in time; the testee was killed. [TESTEE-RUN-002]
    Timeout(Duration),
    /// The testee exited or closed its output. [TESTEE-RUN-001]
    Crash(String),
    /// The testee answered something that is not a valid response to this request.
    /// [TESTEE-MSG-002] [TESTEE-MSG-003]
    Protocol(String),
    /// The harness could not run the case.
    HarnessError(String),
}

/// What was exchanged for one case, kept as evidence in reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    /// The request line sent (or the in-process call, rendered the same way).
    pub request: String,
    /// The response line received, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// What the testee wrote to stderr while the case ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    /// The request was made but not rendered into `request` yet (in-process targets): the runner
    /// renders it only for a case whose verdict keeps evidence.
    #[serde(skip)]
    pub unrendered: bool,
}

/// Every kind of target string, one per line, as `--help` and the unknown-target message show
/// them.
pub const KINDS: &str = "\
  ref                         the reference, in-process (default; `reference` also works)
  stdin:<command>             a testee process speaking JSON Lines on stdin/stdout
  http:<url>                  a running testee speaking the protocol over HTTP
  m2m-http:<url>              an M2M server's own HTTP API (op http.run)
  m2m-h3:https://<host:port>[,cert-sha256=<hex>|,cert=<pem>|,insecure][,idle-timeout-ms=<n>]
                              the same API over QUIC/HTTP/3 (ops http.run, h3.scenario)
  molt-hub:ws://<host:port>/ws  a live Molt discovery hub (op molt.hub.run)
  molt-peer:<host:port>[,tap=<host:port>]  a live Molt agent (ops molt.peer.*)";

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Ok(v) => write!(f, "ok {v}"),
            Outcome::Error { class, message } => write!(f, "error {class}: {message}"),
            Outcome::Unsupported(why) => write!(f, "unsupported: {why}"),
            Outcome::Timeout(d) => write!(f, "no answer within {:.1} s", d.as_secs_f64()),
            Outcome::Crash(why) => write!(f, "the testee crashed: {why}"),
            Outcome::Protocol(why) => write!(f, "protocol violation: {why}"),
            Outcome::HarnessError(why) => write!(f, "harness error: {why}"),
        }
    }
}

/// An error that stops a run before it starts (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The target string is not understood.
    #[error("unknown target `{0}`; a target is one of:\n{KINDS}")]
    UnknownTarget(String),
    /// The target string has a known kind but a bad address.
    #[error("bad target: {0}")]
    BadTarget(String),
    /// The testee could not be started or did not complete `hello`.
    #[error("testee did not start: {0}")]
    Start(String),
}

/// One request of a stream of cases ([`Target::run_stream`]): `key` is the caller's, handed back
/// with the outcome.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller's key (the runner's case index).
    pub key: usize,
    /// Case id, sent as the request id.
    pub id: &'a str,
    /// Operation.
    pub op: &'a str,
    /// Arguments.
    pub args: &'a Value,
}

/// A system under test.
pub trait Target: Send {
    /// Start (if needed) and exchange `hello`.
    fn hello(&mut self) -> Result<TesteeInfo, SetupError>;
    /// Send one request and wait for its outcome.
    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence);
    /// Run every request `feed` gives until it gives `None`, handing each outcome to `done` with
    /// the time the target spent on it, in the order the requests were fed. A target may take
    /// further requests before earlier ones are answered (stdin testees pipeline up to
    /// [`TargetOptions::window`] requests, [TESTEE-MSG-007]); the default runs them one at a
    /// time with [`Target::run`].
    fn run_stream<'a>(
        &mut self,
        feed: &mut dyn FnMut() -> Option<Request<'a>>,
        done: &mut dyn FnMut(Request<'a>, Outcome, Evidence, Duration),
    ) {
        while let Some(req) = feed() {
            let started = std::time::Instant::now();
            let (outcome, evidence) = self.run(req.id, req.op, req.args);
            done(req, outcome, evidence, started.elapsed());
        }
    }
    /// Stop the testee, if any.
    fn shutdown(&mut self) {}
}

/// Options shared by process and network targets.
#[derive(Debug, Clone, Copy)]
pub struct TargetOptions {
    /// Per-case timeout. [TESTEE-RUN-002]
    pub timeout: Duration,
    /// Longest response (a stdin line or an HTTP body) read from a testee; a longer one is a
    /// protocol violation. [TESTEE-RUN-003]
    pub max_response_bytes: u64,
    /// Most requests written to a stdin testee before the oldest of them is answered (`certify
    /// --window`; 1: one at a time). [TESTEE-MSG-007]
    pub window: usize,
}

/// Default of [`TargetOptions::window`].
pub const DEFAULT_WINDOW: usize = 16;

/// Default of [`TargetOptions::max_response_bytes`]: 256 MiB.
pub const MAX_RESPONSE_BYTES: u64 = 256 * 1024 * 1024;

impl Default for TargetOptions {
    fn default() -> Self {
        TargetOptions {
            timeout: Duration::from_secs(10),
            max_response_bytes: MAX_RESPONSE_BYTES,
            window: DEFAULT_WINDOW,
        }
    }
}

/// Build a target from its spec string.
pub fn from_spec(spec: &str, opts: TargetOptions) -> Result<Box<dyn Target>, SetupError> {
    if spec == "ref" || spec == "reference" {
        Ok(Box::new(reference::ReferenceTarget))
    } else if let Some(cmd) = spec.strip_prefix("stdin:") {
        if cmd.trim().is_empty() {
            return Err(SetupError::UnknownTarget(spec.to_owned()));
        }
        Ok(Box::new(stdin::StdinTarget::new(cmd, opts)))
    } else if let Some(url) = spec.strip_prefix("http:") {
        let target = http::HttpTarget::new(url, opts).map_err(SetupError::BadTarget)?;
        Ok(Box::new(target))
    } else if let Some(url) = spec.strip_prefix("m2m-http:") {
        Ok(Box::new(m2m_http::M2mHttpTarget::new(url, opts)))
    } else if let Some(rest) = spec.strip_prefix("m2m-h3:") {
        h3::from_spec(rest, opts)
    } else if let Some(url) = spec.strip_prefix("molt-hub:") {
        Ok(Box::new(molt::MoltHubTarget::new(url)?))
    } else if let Some(addr) = spec.strip_prefix("molt-peer:") {
        Ok(Box::new(molt::MoltPeerTarget::new(addr)))
    } else {
        Err(SetupError::UnknownTarget(spec.to_owned()))
    }
}

/// How many instances of the target `spec` a run uses: `requested`, else the number of CPU cores
/// for the in-process reference and stdin testees (independent processes), else 1. HTTP and
/// network testees get one request at a time (TESTEE-HTTP-002), so they refuse more than one.
/// [TESTEE-RUN-004]
pub fn jobs(spec: &str, requested: Option<usize>) -> Result<usize, String> {
    let parallel = matches!(spec, "ref" | "reference") || spec.starts_with("stdin:");
    match requested {
        Some(0) => Err("--jobs must be at least 1".into()),
        Some(n) if n > 1 && !parallel => Err(format!(
            "--jobs {n}: only `ref` and `stdin:` targets run several instances at once"
        )),
        Some(n) => Ok(n),
        None if parallel => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
        None => Ok(1),
    }
}

/// Validate a `hello` result. [TESTEE-HELLO-001] [TESTEE-HELLO-002]
pub fn parse_hello(target: &str, v: &Value) -> Result<TesteeInfo, String> {
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("hello result lacks string `{k}`"))
    };
    let protocol = v
        .get("protocol")
        .and_then(Value::as_u64)
        .ok_or("hello result lacks integer `protocol`")?;
    if protocol != 1 {
        return Err(format!(
            "testee speaks protocol {protocol}, harness speaks 1"
        ));
    }
    let ops = v
        .get("ops")
        .and_then(Value::as_array)
        .ok_or("hello result lacks list `ops`")?
        .iter()
        .map(|o| o.as_str().map(str::to_owned).ok_or("`ops` must be strings"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TesteeInfo {
        target: target.to_owned(),
        name: text("name")?,
        version: text("version")?,
        protocol,
        ops,
    })
}

/// Render a request exactly as it goes on the wire. [TESTEE-MSG-001]
pub fn request_line(id: &str, op: &str, args: &Value) -> String {
    // Borrowed, so a multi-megabyte `args` is serialised once and never cloned.
    #[derive(Serialize)]
    struct Request<'a> {
        id: &'a str,
        op: &'a str,
        args: &'a Value,
    }
    serde_json::to_string(&Request { id, op, args }).unwrap_or_default()
}

/// The offending line as a message shows it: quoted, cut to 200 characters.
pub fn offending(line: &str) -> String {
    let cut: String = line.chars().take(200).collect();
    let more = line.chars().count().saturating_sub(200);
    if more > 0 {
        format!("{cut:?}…(+{more} characters)")
    } else {
        format!("{cut:?}")
    }
}

/// Parse one response line for request `id`. [TESTEE-MSG-002] [TESTEE-MSG-003]
pub fn parse_response(id: &str, line: &str) -> Outcome {
    let mut map = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Outcome::Protocol(format!(
                "response is JSON but not an object: {}",
                offending(line)
            ))
        }
        Err(e) => {
            return Outcome::Protocol(format!(
                "response is not a JSON object ({e}): {}",
                offending(line)
            ))
        }
    };
    match map.get("id") {
        Some(Value::String(got)) if got == id => {}
        Some(other) => {
            return Outcome::Protocol(format!("response id {other} does not match `{id}`"))
        }
        None => return Outcome::Protocol("response has no `id`".into()),
    }
    let keys: Vec<&str> = ["ok", "error", "unsupported"]
        .into_iter()
        .filter(|k| map.contains_key(*k))
        .collect();
    if keys.len() != 1 {
        return Outcome::Protocol(format!(
            "response must have exactly one of ok/error/unsupported, has {}: {}",
            if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(" and ")
            },
            offending(line)
        ));
    }
    if let Some(extra) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "id" | "ok" | "error" | "unsupported"))
    {
        return Outcome::Protocol(format!("response has the unknown key `{extra}`"));
    }
    match keys[0] {
        // Moved out, not cloned: an answer can be tens of MiB.
        "ok" => Outcome::Ok(map.remove("ok").unwrap_or_default()),
        "unsupported" => Outcome::Unsupported(match &map["unsupported"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        _ => error_outcome(&map["error"])
            .unwrap_or_else(|| Outcome::Protocol("`error` has no string `class`".into())),
    }
}

/// An `error` object `{"class": CLASS, "message": TEXT}` as an outcome; `None` without a string
/// `class` (a missing or non-string `message` reads as empty). [TESTEE-ERR-001]
pub fn error_outcome(err: &Value) -> Option<Outcome> {
    let class = err.get("class").and_then(Value::as_str)?;
    let message = err.get("message").and_then(Value::as_str).unwrap_or("");
    Some(Outcome::Error {
        class: class.to_owned(),
        message: message.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_shapes() {
        assert_eq!(
            parse_response("a", r#"{"id":"a","ok":{"x":1}}"#),
            Outcome::Ok(serde_json::json!({"x":1}))
        );
        assert!(matches!(
            parse_response("a", r#"{"id":"a","error":{"class":"crc_mismatch"}}"#),
            Outcome::Error { .. }
        ));
        assert!(matches!(
            parse_response("a", r#"{"id":"a","unsupported":"no"}"#),
            Outcome::Unsupported(_)
        ));
        for bad in [
            "not json",
            "[1]",
            r#"{"ok":{}}"#,
            r#"{"id":"b","ok":{}}"#,
            r#"{"id":"a"}"#,
            r#"{"id":"a","ok":{},"error":{"class":"x"}}"#,
            r#"{"id":"a","ok":{},"extra":1}"#,
            r#"{"id":"a","error":{"message":"no class"}}"#,
        ] {
            assert!(
                matches!(parse_response("a", bad), Outcome::Protocol(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_protocol_error_shows_the_offending_line() {
        // The offending line is shown, cut to 200 characters.
        let banner = "Welcome to my testee v1.2 (built with love)";
        let Outcome::Protocol(why) = parse_response("a", banner) else {
            panic!("a banner is a protocol violation")
        };
        assert!(why.contains(banner), "{why}");
        let long = "x".repeat(5000);
        let Outcome::Protocol(why) = parse_response("a", &long) else {
            panic!("garbage is a protocol violation")
        };
        assert!(
            why.contains(&"x".repeat(200)) && !why.contains(&"x".repeat(201)),
            "{why}"
        );
        assert!(why.contains("(+4800 characters)"), "{why}");
    }
}
