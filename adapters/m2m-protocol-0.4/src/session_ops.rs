//! `session.run` on upstream's `m2m::protocol::Session` (spec `session`, SESSION-RUN-*).
//!
//! One scripted scenario per request. Each step maps to one public upstream call:
//!
//! | step | upstream call |
//! |---|---|
//! | `{recv: TEXT}`, type DATA | `Message::from_json`, then `Session::decompress` |
//! | `{recv: TEXT}`, other types | `Message::from_json`, then `Session::process_message` |
//! | `{call: hello}` | `Session::create_hello` |
//! | `{call: send, content}` | `Session::compress` |
//! | `{call: close}` | `Session::close` |
//! | `{advance: MS}` | nothing (see below) |
//!
//! Two normalisations, both forced by upstream's API and neither changing its decisions:
//! - upstream stamps messages with the wall clock; before serializing a message the adapter
//!   sets its public `timestamp` field to the scenario's virtual clock;
//! - upstream measures idle time with `std::time::Instant`, which cannot be moved: a scenario
//!   whose virtual clock advances by more than 300 s in total (upstream's only timer) answers
//!   `unsupported`. Shorter advances only move the virtual clock, which upstream never reads,
//!   so SHOULD timers are simply absent (the harness judges those cases `non-strict`).

use m2m::protocol::{Capabilities, Message, MessageType, Session};
use m2m::M2MError;
use serde_json::{json, Map, Value};

use crate::{errors, Op, Reply};

/// The session ops.
pub const OPS: &[Op] = &[Op {
    name: "session.run",
    run: session_run,
}];

/// Upstream's idle timeout (`SESSION_TIMEOUT_SECS`), in ms.
const UPSTREAM_IDLE_MS: u64 = 300_000;

fn session_run(args: &Map<String, Value>) -> Reply {
    match run(args) {
        Ok(v) => Reply::Ok(v),
        Err(r) => r,
    }
}

fn run(args: &Map<String, Value>) -> Result<Value, Reply> {
    let local: Capabilities = serde_json::from_value(
        args.get("local")
            .cloned()
            .ok_or_else(|| Reply::bad_args("missing `local`"))?,
    )
    .map_err(|e| Reply::bad_args(format!("`local` is not a capabilities object: {e}")))?;
    let id = args
        .get("session_id")
        .and_then(Value::as_str)
        .ok_or_else(|| Reply::bad_args("`session_id` must be a string"))?;
    let mut now = match args.get("clock_ms") {
        None => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| Reply::bad_args("`clock_ms` must be an unsigned integer"))?,
    };
    let steps = args
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| Reply::bad_args("`steps` must be an array"))?;
    let advanced: u64 = steps
        .iter()
        .filter_map(|s| s.get("advance").and_then(Value::as_u64))
        .sum();
    if advanced > UPSTREAM_IDLE_MS {
        return Err(Reply::Unsupported(
            "upstream measures idle time with std::time::Instant; a virtual clock cannot move it"
                .into(),
        ));
    }
    let mut session = Session::with_id(id, local);
    let mut results = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let step = step
            .as_object()
            .ok_or_else(|| Reply::bad_args(format!("step {i} is not an object")))?;
        let outcome = play(&mut session, step, &mut now)
            .map_err(|e| Reply::bad_args(format!("step {i}: {e}")))?;
        let mut result = Map::new();
        result.insert("state".into(), json!(format!("{:?}", session.state())));
        match outcome {
            Ok((messages, delivered)) => {
                let texts: Vec<String> = messages
                    .into_iter()
                    .map(|mut m| {
                        m.timestamp = now;
                        m.to_json().unwrap_or_default()
                    })
                    .collect();
                result.insert("out".into(), json!(texts));
                if let Some(d) = delivered {
                    result.insert("delivered".into(), json!(d));
                }
            }
            Err(class) => {
                result.insert("out".into(), json!([]));
                result.insert("error".into(), json!(class));
            }
        }
        results.push(Value::Object(result));
    }
    let negotiated = match (session.algorithm(), session.encoding()) {
        (Some(a), Some(e)) => json!({ "algorithm": a, "encoding": e }),
        _ => Value::Null,
    };
    let stats = session.stats();
    Ok(json!({
        "steps": results,
        "final": {
            "state": format!("{:?}", session.state()),
            "session_id": session.id(),
            "messages_sent": stats.messages_sent,
            "messages_received": stats.messages_received,
            "negotiated": negotiated,
        },
    }))
}

type StepOutcome = Result<(Vec<Message>, Option<String>), String>;

fn play(
    session: &mut Session,
    step: &Map<String, Value>,
    now: &mut u64,
) -> Result<StepOutcome, String> {
    if let Some(ms) = step.get("advance") {
        let ms = ms.as_u64().ok_or("`advance` must be an unsigned integer")?;
        *now = now.checked_add(ms).ok_or("clock overflow")?;
        return Ok(Ok((Vec::new(), None)));
    }
    if let Some(text) = step.get("recv") {
        let text = text.as_str().ok_or("`recv` must be a string")?;
        let message = match Message::from_json(text) {
            Ok(m) => m,
            Err(_) => return Ok(Err("malformed_message".into())),
        };
        if message.msg_type == MessageType::Data {
            return Ok(session
                .decompress(&message)
                .map(|text| (Vec::new(), Some(text)))
                .map_err(|e| classify(&e, false)));
        }
        let is_reject = message.msg_type == MessageType::Reject;
        return Ok(session
            .process_message(&message)
            .map(|reply| (reply.into_iter().collect(), None))
            .map_err(|e| classify(&e, is_reject)));
    }
    if let Some(call) = step.get("call") {
        return Ok(match call.as_str() {
            Some("hello") => Ok((vec![session.create_hello()], None)),
            Some("close") => Ok((vec![session.close()], None)),
            Some("send") => {
                let content = step
                    .get("content")
                    .and_then(Value::as_str)
                    .ok_or("`send` needs a string `content`")?;
                session
                    .compress(content)
                    .map(|m| (vec![m], None))
                    .map_err(|e| classify(&e, false))
            }
            _ => return Err("`call` must be hello, send or close".into()),
        });
    }
    Err("a step is {advance}, {recv} or {call}".into())
}

/// Session errors → suite classes; codec errors go through the shared error map.
fn classify(e: &M2MError, from_reject: bool) -> String {
    match e {
        M2MError::Protocol(_) => "invalid_state".into(),
        M2MError::NegotiationFailed(_) if from_reject => "rejected".into(),
        M2MError::NegotiationFailed(_) => "negotiation_failed".into(),
        M2MError::SessionNotEstablished => "session_not_established".into(),
        M2MError::SessionExpired => "session_expired".into(),
        M2MError::InvalidMessage(m)
            if m.ends_with("missing capabilities")
                || m == "ACCEPT missing session ID"
                || m == "Not a DATA message" =>
        {
            "invalid_message".into()
        }
        other => errors::classify(other).into(),
    }
}
