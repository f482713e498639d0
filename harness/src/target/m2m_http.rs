//! The `m2m-http:<url>` target: a running server with the M2M HTTP API (spec chapter `http`,
//! `spec/13-http.md`), e.g. `m2m-ref server` or upstream's `m2m server`.
//!
//! It answers only the op `http.run`: each step of the scenario becomes one real HTTP request
//! to `<url><path>`, through the same interpreter the reference uses in-process
//! ([`m2m_reference::server::script`]). Every other op is `unsupported`. The server is shared
//! by all cases of a run, so scenarios never depend on state they did not create.

use std::time::Duration;

use m2m_reference::server::script;
use serde_json::Value;

use super::{request_line, Evidence, Outcome, SetupError, Target, TargetOptions, TesteeInfo};

/// A server reached over HTTP.
pub struct M2mHttpTarget {
    base: String,
    agent: ureq::Agent,
}

impl M2mHttpTarget {
    /// A target for the server at `base` (e.g. `http://127.0.0.1:3000`).
    pub fn new(base: &str, opts: TargetOptions) -> Self {
        M2mHttpTarget {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout(opts.timeout.min(Duration::from_secs(30)))
                .build(),
        }
    }

    fn send(&self, r: script::Request<'_>) -> Result<(u16, String), String> {
        let url = format!("{}{}", self.base, r.path);
        let req = self.agent.request(r.method, &url);
        let result = match r.body {
            Some(body) => req
                .set("Content-Type", "application/json")
                .send_string(body),
            None => req.call(),
        };
        match result {
            Ok(resp) => {
                let status = resp.status();
                Ok((status, resp.into_string().map_err(|e| e.to_string())?))
            }
            Err(ureq::Error::Status(status, resp)) => {
                Ok((status, resp.into_string().map_err(|e| e.to_string())?))
            }
            Err(e) => Err(format!("{} {url}: {e}", r.method)),
        }
    }
}

impl Target for M2mHttpTarget {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        let (status, body) = self
            .send(script::Request {
                method: "GET",
                path: "/health",
                body: None,
            })
            .map_err(SetupError::Start)?;
        let health: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if status != 200 {
            return Err(SetupError::Start(format!("GET /health answered {status}")));
        }
        Ok(TesteeInfo {
            target: format!("m2m-http:{}", self.base),
            name: format!("m2m-http {}", self.base),
            version: health["version"].as_str().unwrap_or("unknown").to_owned(),
            protocol: 1,
            ops: vec!["http.run".into()],
        })
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        let evidence = Evidence {
            request: request_line(id, op, args),
            ..Evidence::default()
        };
        if op != "http.run" {
            return (
                Outcome::Unsupported(format!("the m2m-http target only runs http.run, not {op}")),
                evidence,
            );
        }
        let Some(steps) = args.get("steps") else {
            return (
                Outcome::HarnessError("http.run case without steps".into()),
                evidence,
            );
        };
        let outcome = match script::run(steps, &mut |r| self.send(r)) {
            Ok(v) => Outcome::Ok(v),
            // The harness plays the script itself: a malformed step is the case's bad_args.
            Err(script::ScriptError::BadStep(e)) => Outcome::Error {
                class: "bad_args".into(),
                message: e,
            },
            Err(script::ScriptError::Transport(e)) => Outcome::Crash(e),
        };
        (outcome, evidence)
    }
}
