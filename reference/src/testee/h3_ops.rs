//! Ops of the h3 chapter: `h3.scenario` (spec `h3`, `spec/16-h3.md`, section 6). In-process,
//! the reference starts its own HTTP/3 server on a loopback port (a fresh core of
//! `m2m-ref server`) and plays the scenario against it with the same client the harness's
//! `m2m-h3:` target uses. Without the `h3` feature the op is absent (`unsupported`).

use super::Op;
#[cfg(feature = "h3")]
use super::{Args, Reply};

/// The ops of this area.
#[cfg(feature = "h3")]
pub const OPS: &[Op] = &[Op {
    name: "h3.scenario",
    run: h3_scenario,
}];

/// The ops of this area: none without the `h3` feature.
#[cfg(not(feature = "h3"))]
pub const OPS: &[Op] = &[];

/// `h3.scenario {kind, server_idle_timeout_ms?}` → the scenario's result. [H3-RUN-001]
#[cfg(feature = "h3")]
pub fn h3_scenario(args: &Args) -> Reply {
    use std::time::Duration;

    use crate::edge::api;
    use crate::edge::h3::{Loopback, DEFAULT_IDLE_TIMEOUT};
    use crate::edge::h3_client::{ClientOptions, H3Client, ScenarioError, Trust};

    let idle = match args.raw("server_idle_timeout_ms") {
        None => DEFAULT_IDLE_TIMEOUT,
        Some(v) => match v.as_u64() {
            Some(ms) if (1..=600_000).contains(&ms) => Duration::from_millis(ms),
            _ => return Reply::bad_args("`server_idle_timeout_ms` must be 1..=600000"),
        },
    };
    let core = match api::core(&api::Options::new("127.0.0.1:0")) {
        Ok(c) => c,
        Err(e) => return Reply::Unsupported(format!("no loopback server: {e}")),
    };
    let server = match Loopback::start(api::handler(core), idle) {
        Ok(s) => s,
        Err(e) => return Reply::Unsupported(format!("no loopback server: {e}")),
    };
    let opts = ClientOptions {
        trust: Trust::Pinned(vec![server.fingerprint.clone()]),
        timeout: Duration::from_secs(10),
        server_idle_timeout: Some(idle),
    };
    let mut client = match H3Client::new(&format!("https://{}", server.addr), opts) {
        Ok(c) => c,
        Err(e) => return Reply::Unsupported(format!("no HTTP/3 client: {e}")),
    };
    let result = client.scenario(&serde_json::Value::Object(args.map().clone()));
    drop(client);
    drop(server);
    match result {
        Ok(v) => Reply::Ok(v),
        Err(ScenarioError::BadArgs(e)) => Reply::bad_args(e),
        Err(ScenarioError::Unsupported(e)) => Reply::Unsupported(e),
        Err(ScenarioError::Transport(e)) => Reply::Error {
            class: "rejected".into(),
            message: format!("HTTP/3 transport failed: {e}"),
        },
        Err(ScenarioError::Timeout) => Reply::Error {
            class: "rejected".into(),
            message: "no result within the scenario's time".into(),
        },
    }
}
