//! The `m2m-http:<url>` target: a running server with the M2M HTTP API (spec chapter `http`,
//! `spec/13-http.md`), e.g. `m2m-ref server` or upstream's `m2m server`.
//!
//! It answers only the op `http.run`: each step of the scenario becomes one real HTTP request
//! to `<url><path>`, through the same interpreter the reference uses in-process
//! ([`m2m_reference::server::script`]). Every other op is `unsupported`. The server is shared
//! by all cases of a run, so scenarios never depend on state they did not create.
//!
//! A scenario may name the start-up flags it assumes (`server: {security, blocking, threshold,
//! model}`, spec chapter `security`, SEC-RUN-001); the target reads the server's `GET /status`
//! once and answers `unsupported` for scenarios whose settings differ from what the server
//! reports (SEC-RUN-002).

use std::time::Duration;

use m2m_reference::server::script;
use serde_json::Value;

use super::{request_line, Evidence, Outcome, SetupError, Target, TargetOptions, TesteeInfo};

/// A server reached over HTTP.
pub struct M2mHttpTarget {
    base: String,
    agent: ureq::Agent,
    /// The security settings the server reports in `/status`, read at `hello`.
    reported: Option<Settings>,
}

/// Effective security settings: scanning, the blocking threshold in use (`None` without
/// `--blocking`), and whether a model was given. [SEC-RUN-002]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    security: bool,
    blocking_threshold: Option<f64>,
    model: bool,
}

impl Settings {
    /// From `/status`'s capabilities.
    fn reported(status: &Value) -> Option<Settings> {
        let caps = status.get("capabilities")?;
        let sec = caps.get("security")?;
        let security = sec.get("threat_detection")?.as_bool()?;
        let blocking = sec.get("blocking_mode")?.as_bool()?;
        let threshold = sec.get("block_threshold")?.as_f64()?;
        Some(Settings {
            security,
            blocking_threshold: (security && blocking).then_some(f64::from(threshold as f32)),
            model: caps
                .pointer("/compression/ml_routing")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// From a scenario's `server` field (defaults: security on, no blocking, no model); the
    /// threshold is clamped into [0, 1] and compared as binary32.
    fn wanted(server: &Value) -> Settings {
        let flag = |k: &str, d: bool| server.get(k).and_then(Value::as_bool).unwrap_or(d);
        let security = flag("security", true);
        let threshold = server
            .get("threshold")
            .and_then(Value::as_f64)
            .unwrap_or(0.8)
            .clamp(0.0, 1.0);
        Settings {
            security,
            blocking_threshold: (security && flag("blocking", false))
                .then_some(f64::from(threshold as f32)),
            model: server.get("model").is_some_and(|m| !m.is_null()),
        }
    }
}

impl M2mHttpTarget {
    /// A target for the server at `base` (e.g. `http://127.0.0.1:3000`).
    pub fn new(base: &str, opts: TargetOptions) -> Self {
        M2mHttpTarget {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout(opts.timeout.min(Duration::from_secs(30)))
                .build(),
            reported: None,
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
        let (version, reported) = hello_over(&mut |r| self.send(r))?;
        self.reported = reported;
        Ok(TesteeInfo {
            target: format!("m2m-http:{}", self.base),
            name: format!("m2m-http {}", self.base),
            version,
            protocol: 1,
            ops: vec!["http.run".into()],
        })
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        let reported = self.reported.clone();
        run_http(id, op, args, reported.as_ref(), "m2m-http", &mut |r| {
            self.send(r)
        })
    }
}

/// `hello` of a server target over any transport: `GET /health` must answer 200 (its
/// `version` names the implementation's version), then `GET /status`'s security settings are
/// read. Shared by the `m2m-http:` and `m2m-h3:` targets. [SEC-RUN-002]
pub(crate) fn hello_over(
    send: &mut script::Send<'_>,
) -> Result<(String, Option<Settings>), SetupError> {
    let (status, body) = send(script::Request {
        method: "GET",
        path: "/health",
        body: None,
    })
    .map_err(SetupError::Start)?;
    let health: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if status != 200 {
        return Err(SetupError::Start(format!("GET /health answered {status}")));
    }
    let reported = send(script::Request {
        method: "GET",
        path: "/status",
        body: None,
    })
    .ok()
    .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
    .as_ref()
    .and_then(Settings::reported);
    let version = health["version"].as_str().unwrap_or("unknown").to_owned();
    Ok((version, reported))
}

/// One `http.run` case over any transport `send`: scenarios assuming other start-up flags than
/// the server `reported` are `unsupported`; every other op is `unsupported` on a server
/// target named `kind`. [HTTP-RUN-001] [SEC-RUN-002]
pub(crate) fn run_http(
    id: &str,
    op: &str,
    args: &Value,
    reported: Option<&Settings>,
    kind: &str,
    send: &mut script::Send<'_>,
) -> (Outcome, Evidence) {
    let evidence = Evidence {
        request: request_line(id, op, args),
        ..Evidence::default()
    };
    if op != "http.run" {
        return (
            Outcome::Unsupported(format!("the {kind} target only runs http.run, not {op}")),
            evidence,
        );
    }
    let Some(steps) = args.get("steps") else {
        return (
            Outcome::HarnessError("http.run case without steps".into()),
            evidence,
        );
    };
    if let Some(server) = args.get("server") {
        let wanted = Settings::wanted(server);
        match reported {
            Some(have) if *have == wanted => {}
            have => {
                return (
                    Outcome::Unsupported(format!(
                        "the scenario assumes a server started with {wanted:?}; this one reports {have:?} in /status"
                    )),
                    evidence,
                )
            }
        }
    }
    let outcome = match script::run(steps, send) {
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
