//! A running testee that speaks the testee protocol over HTTP (`--target http:<url>`).
//!
//! `GET <url>/v1/hello` returns the `hello` result; `POST <url>/v1/run` takes one request object
//! and returns one response object (spec `90-testee.md` section 6). The harness cannot restart a
//! server it did not start, so a case that times out, loses its connection or gets garbage costs
//! that one case its verdict and the run goes on with the next request on a fresh connection.
//! [TESTEE-HTTP-001] [TESTEE-HTTP-002] [TESTEE-HTTP-003] [TESTEE-HTTP-004]

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    parse_hello, parse_response, request_line, Evidence, Outcome, SetupError, Target,
    TargetOptions, TesteeInfo,
};

/// See the module docs.
pub struct HttpTarget {
    base: String,
    opts: TargetOptions,
    agent: ureq::Agent,
}

/// Why one HTTP exchange did not produce a response body.
enum Failure {
    /// No answer within the timeout.
    Timeout,
    /// The connection could not be made or broke before a complete answer.
    Connection(String),
    /// An answer that is not a protocol response (status, size).
    Protocol(String),
}

impl HttpTarget {
    /// A target for the testee at `url` (`http://host:port`, optionally with a path prefix).
    pub fn new(url: &str, opts: TargetOptions) -> Result<Self, String> {
        let base = url.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(format!(
                "http:{url} (the URL must start with http:// or https://)"
            ));
        }
        Ok(HttpTarget {
            base,
            opts,
            agent: Self::agent(opts.timeout),
        })
    }

    fn agent(timeout: Duration) -> ureq::Agent {
        ureq::AgentBuilder::new()
            .timeout(timeout)
            .redirects(0)
            .build()
    }

    fn read_body(&self, response: ureq::Response) -> Result<String, Failure> {
        let cap = self.opts.max_response_bytes;
        let mut body = Vec::new();
        response
            .into_reader()
            .take(cap.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| io_failure(&e))?;
        if body.len() as u64 > cap {
            return Err(Failure::Protocol(format!(
                "response body is longer than {cap} bytes"
            )));
        }
        String::from_utf8(body).map_err(|_| Failure::Protocol("response body is not UTF-8".into()))
    }

    fn exchange(&self, request: ureq::Request, body: Option<&str>) -> Result<String, Failure> {
        let started = Instant::now();
        let sent = match body {
            Some(b) => request
                .set("content-type", "application/json")
                .send_string(b),
            None => request.call(),
        };
        match sent {
            Ok(response) if response.status() == 200 => self.read_body(response),
            Ok(response) => Err(Failure::Protocol(format!(
                "HTTP status {} (a testee answers every request with 200)",
                response.status()
            ))),
            Err(ureq::Error::Status(code, response)) => {
                let snippet: String = response
                    .into_string()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect();
                Err(Failure::Protocol(format!(
                    "HTTP status {code} (a testee answers every request with 200): {snippet}"
                )))
            }
            Err(ureq::Error::Transport(t)) => {
                if started.elapsed() >= self.opts.timeout
                    || t.to_string().to_lowercase().contains("timed out")
                {
                    Err(Failure::Timeout)
                } else {
                    Err(Failure::Connection(t.to_string()))
                }
            }
        }
    }
}

fn io_failure(e: &std::io::Error) -> Failure {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Failure::Timeout,
        _ => Failure::Connection(format!("reading the response failed: {e}")),
    }
}

impl Target for HttpTarget {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        let url = format!("{}/v1/hello", self.base);
        let body = self.exchange(self.agent.get(&url), None).map_err(|f| {
            SetupError::Start(match f {
                Failure::Timeout => format!("GET {url}: no answer in time"),
                Failure::Connection(e) | Failure::Protocol(e) => format!("GET {url}: {e}"),
            })
        })?;
        let value: Value = serde_json::from_str(&body)
            .map_err(|_| SetupError::Start(format!("GET {url}: the body is not JSON")))?;
        parse_hello(&format!("http:{}", self.base), &value).map_err(SetupError::Start)
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        let mut evidence = Evidence {
            request: request_line(id, op, args),
            ..Evidence::default()
        };
        let url = format!("{}/v1/run", self.base);
        let outcome = match self.exchange(self.agent.post(&url), Some(&evidence.request)) {
            Ok(body) => {
                let outcome = parse_response(id, body.trim_end());
                evidence.response = Some(body);
                outcome
            }
            Err(Failure::Timeout) => Outcome::Timeout(self.opts.timeout),
            Err(Failure::Connection(e)) => Outcome::Crash(format!("connection failed: {e}")),
            Err(Failure::Protocol(e)) => Outcome::Protocol(e),
        };
        if matches!(
            outcome,
            Outcome::Timeout(_) | Outcome::Crash(_) | Outcome::Protocol(_)
        ) {
            // Drop pooled connections so the next case starts on a fresh one.
            self.agent = Self::agent(self.opts.timeout);
        }
        (outcome, evidence)
    }
}
