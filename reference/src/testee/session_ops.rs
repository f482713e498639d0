//! Ops of the session chapter: `session.run` (spec `session`, `spec/12-session.md` §8; shape in
//! `spec/ops.yaml`). A whole scripted scenario is one request: the testee builds one endpoint,
//! plays the steps against it on a virtual clock and reports what each step produced.

use serde_json::{json, Map, Value};

use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::session::{Call, Capabilities, Config, Output, Session, SessionError};
use crate::ErrorClass;

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[Op {
    name: "session.run",
    run: session_run,
}];

/// `session.run {local, session_id, clock_ms?, timers?, steps}` → `{steps, final}`.
/// [SESSION-RUN-001] [SESSION-RUN-002]
pub fn session_run(args: &Args) -> Reply {
    run(|| {
        let local: Capabilities = serde_json::from_value(required(args, "local")?.clone())
            .map_err(|e| Reply::bad_args(format!("`local` is not a capabilities object: {e}")))?;
        let session_id = args.text("session_id")?.to_owned();
        let mut now = if args.has("clock_ms") {
            args.u64("clock_ms")?
        } else {
            0
        };
        let timers = match args.raw("timers") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Reply::bad_args("`timers` must be a boolean")),
        };
        let Value::Array(steps) = required(args, "steps")? else {
            return Err(Reply::bad_args("`steps` must be an array"));
        };
        let mut session = Session::new(
            Config {
                local,
                session_id,
                timers,
            },
            now,
        );
        let mut results = Vec::with_capacity(steps.len());
        for (i, step) in steps.iter().enumerate() {
            let step = step
                .as_object()
                .ok_or_else(|| Reply::bad_args(format!("step {i} is not an object")))?;
            let outcome = play(&mut session, step, &mut now)
                .map_err(|e| Reply::bad_args(format!("step {i}: {e}")))?;
            results.push(step_result(&session, outcome));
        }
        let negotiated = session.negotiated().map_or(
            Value::Null,
            |n| json!({ "algorithm": n.algorithm, "encoding": n.encoding }),
        );
        let stats = session.stats();
        Ok(json!({
            "steps": results,
            "final": {
                "state": session.state().name(),
                "session_id": session.id(),
                "messages_sent": stats.messages_sent,
                "messages_received": stats.messages_received,
                "negotiated": negotiated,
            },
        }))
    })
}

fn required<'a>(args: &Args<'a>, name: &str) -> Result<&'a Value, Reply> {
    args.raw(name)
        .ok_or_else(|| Reply::bad_args(format!("missing `{name}`")))
}

/// Play one step; the outer error is a malformed step (`bad_args`), the inner one the
/// session's answer.
fn play(
    session: &mut Session,
    step: &Map<String, Value>,
    now: &mut u64,
) -> Result<Result<Output, SessionError>, String> {
    if let Some(ms) = step.get("advance") {
        let ms = ms.as_u64().ok_or("`advance` must be an unsigned integer")?;
        *now = now.checked_add(ms).ok_or("clock overflow")?;
        return Ok(Ok(session.advance(*now)));
    }
    if let Some(text) = step.get("recv") {
        let text = text.as_str().ok_or("`recv` must be a string")?;
        return Ok(session.receive(text, *now));
    }
    if let Some(call) = step.get("call") {
        let call = match call.as_str() {
            Some("hello") => Call::Hello,
            Some("close") => Call::Close,
            Some("send") => Call::Send(
                step.get("content")
                    .and_then(Value::as_str)
                    .ok_or("`send` needs a string `content`")?,
            ),
            _ => return Err("`call` must be hello, send or close".to_owned()),
        };
        return Ok(session.call(call, *now));
    }
    Err("a step is {advance}, {recv} or {call}".to_owned())
}

fn step_result(session: &Session, outcome: Result<Output, SessionError>) -> Value {
    let mut result = Map::new();
    result.insert("state".into(), json!(session.state().name()));
    match outcome {
        Ok(out) => {
            result.insert("out".into(), json!(out.messages));
            if let Some(text) = out.delivered {
                result.insert("delivered".into(), json!(text));
            }
        }
        Err(e) => {
            result.insert("out".into(), json!([]));
            result.insert("error".into(), json!(e.class()));
        }
    }
    Value::Object(result)
}
