//! Ops of the http chapter: `http.run` (spec `http`, `spec/13-http.md`): a scenario of HTTP
//! requests played against a fresh in-process [`crate::server::Server`].

use serde_json::Value;

use super::{Args, Op, Reply};
use crate::server::security::Security;
use crate::server::{script, Body, Server, ServerConfig};

/// The ops of this area.
pub const OPS: &[Op] = &[Op {
    name: "http.run",
    run: http_run,
}];

/// Start of the virtual clock of an in-process run (any value works: scenarios redact times).
const CLOCK_MS: u64 = 1_700_000_000_000;

/// The start-up a scenario assumes: `server: {security?, blocking?, threshold?, model?}`, as
/// `m2m-ref server`'s flags would set it. A model is loaded (and must load). [SEC-RUN-001]
pub fn server_settings(server: Option<&Value>) -> Result<Security, Reply> {
    let mut s = Security::default();
    let Some(server) = server else {
        return Ok(s);
    };
    let m = server
        .as_object()
        .ok_or_else(|| Reply::bad_args("`server` must be an object"))?;
    for (k, v) in m {
        match (k.as_str(), v) {
            ("security", Value::Bool(b)) => s.enabled = *b,
            ("blocking", Value::Bool(b)) => s.blocking = *b,
            ("threshold", v) if v.is_number() => s.threshold = v.as_f64().unwrap_or(0.8) as f32,
            ("model", Value::String(path)) => {
                super::hydra_ops::load_model(path)?;
                s.model = true;
            }
            _ => return Err(Reply::bad_args(format!("bad `server` field `{k}`"))),
        }
    }
    Ok(s)
}

/// `http.run {steps, server?}` → `{steps: [{status, body}]}`. [HTTP-RUN-001] [HTTP-RUN-002]
/// [SEC-RUN-001]
pub fn http_run(args: &Args) -> Reply {
    let Some(steps) = args.raw("steps") else {
        return Reply::bad_args("missing `steps`");
    };
    let security = match server_settings(args.raw("server")) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut server = Server::new(
        ServerConfig {
            agent_id: "m2m-ref-server".into(),
            version: crate::VERSION.into(),
        },
        CLOCK_MS,
    )
    .with_security(security);
    let mut counter = 0u64;
    let mut new_id = move || {
        counter += 1;
        let mut bytes = [0u8; 16];
        bytes[8..].copy_from_slice(&counter.to_be_bytes());
        crate::session::session_id_from_random(bytes)
    };
    let mut send = |r: script::Request<'_>| {
        let resp = server.handle(
            r.method,
            r.path,
            r.body.unwrap_or(""),
            CLOCK_MS,
            &mut new_id,
        );
        let text = match resp.body {
            Body::Empty => String::new(),
            Body::Json(s) | Body::Text(s) => s,
        };
        Ok((resp.status, text))
    };
    match script::run(steps, &mut send) {
        Ok(v) => Reply::Ok(v),
        Err(script::ScriptError::BadStep(e)) => Reply::bad_args(e),
        Err(script::ScriptError::Transport(e)) => Reply::bad_args(e),
    }
}
