//! The HTTP API of an M2M server, sans-IO (spec chapter `http`, `spec/13-http.md`).
//!
//! [`Server::handle`] maps one request (method, path, JSON body text) and the current time to a
//! status and a JSON body. It owns the session table but no socket, thread or clock; session
//! ids come from a caller-supplied source. `m2m-ref server` puts it behind a real listener;
//! the `http.run` testee op drives it in-process through [`script`].
//!
//! The API is upstream `m2m server`'s (`/health`, `/status`, `/session`, `/session/{id}`,
//! `/compress`, `/compress/auto`, `/decompress`, `/message`) with the intended behaviour where
//! upstream 0.4.0's is broken (HTTP-DIV-*). `/scan`, blocking and the security capabilities are
//! the security chapter's ([`security`]).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::session::message::{Algorithm, DataPayload, Payload};
use crate::session::{Capabilities, Config, Message, MessageType, RejectionCode, Session};
use crate::wire::{self, Limits};

pub mod script;
pub mod security;

/// A response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    Empty,
    /// JSON text (`application/json`), written exactly as given.
    Json(String),
    /// Plain text (`text/plain`), e.g. a request-body rejection.
    Text(String),
}

/// One HTTP response: status and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Body,
}

impl Response {
    fn json(status: u16, body: Value) -> Self {
        Response::raw(status, body.to_string())
    }

    /// JSON text built by hand where binary32 fields must keep their shortest form (`0.8`), which
    /// a detour through `serde_json::Value` would widen. [SESSION-CAPS-002]
    fn raw(status: u16, text: String) -> Self {
        Response {
            status,
            body: Body::Json(text),
        }
    }

    fn empty(status: u16) -> Self {
        Response {
            status,
            body: Body::Empty,
        }
    }

    fn message(status: u16, m: &Message) -> Self {
        Response::raw(status, m.to_json())
    }

    fn reject(text: &str, now_ms: u64) -> Self {
        Response::message(400, &Message::reject(RejectionCode::Unknown, text, now_ms))
    }
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Agent id of the server's capabilities (upstream: a random UUID).
    pub agent_id: String,
    /// Version string reported by `/health` and `/status`.
    pub version: String,
}

/// Default idle time after which a stored session is dropped, in ms. [HTTP-SESSION-004]
pub const SESSION_IDLE_MS: u64 = 300_000;

struct Entry {
    session: Session,
    last_access: u64,
}

/// The server state: configuration, start time and the session table.
pub struct Server {
    config: ServerConfig,
    started_ms: u64,
    idle_ms: u64,
    sessions: BTreeMap<String, Entry>,
    security: security::Security,
}

impl Server {
    /// A server started at `now_ms`.
    pub fn new(config: ServerConfig, now_ms: u64) -> Self {
        Server {
            config,
            started_ms: now_ms,
            idle_ms: SESSION_IDLE_MS,
            sessions: BTreeMap::new(),
            security: security::Security::default(),
        }
    }

    /// The same server with other security settings (default: upstream's, security on).
    /// [SEC-CONF-001]
    pub fn with_security(mut self, security: security::Security) -> Self {
        self.security = security;
        self
    }

    /// The security settings.
    pub fn security(&self) -> &security::Security {
        &self.security
    }

    /// The same server with another session lifetime (default [`SESSION_IDLE_MS`]); tests and
    /// the robustness suite shorten it. [HTTP-SESSION-004]
    pub fn with_session_idle_ms(mut self, idle_ms: u64) -> Self {
        self.idle_ms = idle_ms;
        self
    }

    /// The session lifetime in ms: a session not accessed for longer is dropped.
    pub fn session_idle_ms(&self) -> u64 {
        self.idle_ms
    }

    fn expired(&self, e: &Entry, now_ms: u64) -> bool {
        now_ms.saturating_sub(e.last_access) > self.idle_ms
    }

    /// Drop every session idle for longer than the lifetime at `now_ms` (the core's clock) and
    /// return how many were dropped. The edge calls this periodically, so memory held by
    /// abandoned sessions is returned without any request touching them. [HTTP-SESSION-004]
    pub fn sweep(&mut self, now_ms: u64) -> usize {
        let idle_ms = self.idle_ms;
        let before = self.sessions.len();
        self.sessions
            .retain(|_, e| now_ms.saturating_sub(e.last_access) <= idle_ms);
        before - self.sessions.len()
    }

    /// Sessions alive at `now_ms`: stored and not expired. [HTTP-SESSION-005]
    pub fn live_sessions(&self, now_ms: u64) -> usize {
        self.sessions
            .values()
            .filter(|e| !self.expired(e, now_ms))
            .count()
    }

    /// Sessions stored, expired or not (what a sweep has not dropped yet).
    pub fn stored_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// The server's capabilities: the defaults with agent type `m2m-server`. [HTTP-STATUS-001]
    pub fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default_with_agent_id(&self.config.agent_id);
        caps.agent_type = "m2m-server".to_owned();
        self.security.apply(&mut caps);
        caps
    }

    fn session_config(&self, id: String) -> Config {
        Config {
            local: self.capabilities(),
            session_id: id,
            timers: false,
        }
    }

    fn lookup(&mut self, id: &str, now_ms: u64) -> Option<&mut Entry> {
        let expired = self
            .sessions
            .get(id)
            .is_some_and(|e| self.expired(e, now_ms));
        if expired {
            self.sessions.remove(id);
        }
        let entry = self.sessions.get_mut(id)?;
        entry.last_access = now_ms;
        Some(entry)
    }

    /// Answer one request. `body` is the request body text (JSON expected); `new_id` supplies a
    /// fresh session id when one is needed. Never panics. [HTTP-API-001]
    pub fn handle(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
        now_ms: u64,
        new_id: &mut dyn FnMut() -> String,
    ) -> Response {
        let path = path.split('?').next().unwrap_or(path);
        match (method, path) {
            ("GET", "/health") => {
                Response::json(200, json!({"status": "ok", "version": self.config.version}))
            }
            ("GET", "/status") => Response::raw(
                200,
                format!(
                    r#"{{"status":"ok","version":{},"uptime_secs":{},"active_sessions":{},"capabilities":{}}}"#,
                    json!(self.config.version),
                    now_ms.saturating_sub(self.started_ms) / 1000,
                    self.live_sessions(now_ms),
                    caps_text(&self.capabilities()),
                ),
            ),
            ("POST", "/session") => self.create_session(body, now_ms, new_id),
            ("POST", "/scan") => self.security.scan_route(body),
            ("POST", "/compress") => self
                .security
                .gate_compress(body, false)
                .unwrap_or_else(|| compress(body, false)),
            ("POST", "/compress/auto") => self
                .security
                .gate_compress(body, true)
                .unwrap_or_else(|| compress(body, true)),
            ("POST", "/decompress") => decompress(body),
            ("POST", "/message") => self.message(body, now_ms, new_id),
            ("GET", p) if p.starts_with("/session/") => self.get_session(&p[9..], now_ms),
            ("DELETE", p) if p.starts_with("/session/") => {
                self.sessions.remove(&p[9..]);
                Response::empty(204)
            }
            (_, p) if KNOWN.contains(&p) || p.starts_with("/session/") => Response::empty(405),
            _ => Response::empty(404),
        }
    }

    /// `POST /session {capabilities?}`: the server answers the client's capabilities as a HELLO;
    /// on success the session is stored `Established`. [HTTP-SESSION-001] [HTTP-DIV-002]
    fn create_session(
        &mut self,
        body: &str,
        now_ms: u64,
        new_id: &mut dyn FnMut() -> String,
    ) -> Response {
        let req: Value = match parse_body(body) {
            Ok(v) => v,
            Err(r) => return r,
        };
        let client = match req.get("capabilities") {
            None | Some(Value::Null) => Capabilities::default_with_agent_id("anonymous"),
            Some(c) => match serde_json::from_value::<Capabilities>(c.clone()) {
                Ok(c) => c,
                Err(e) => return extractor_error(422, e),
            },
        };
        let id = new_id();
        let mut session = Session::new(self.session_config(id.clone()), now_ms);
        let hello = Message::hello(&client, now_ms).to_json();
        match session.receive(&hello, now_ms) {
            Ok(out) if session.state() == crate::session::State::Established => {
                drop(out);
                self.sessions.insert(
                    id.clone(),
                    Entry {
                        session,
                        last_access: now_ms,
                    },
                );
                Response::raw(
                    201,
                    format!(
                        r#"{{"session_id":{},"capabilities":{}}}"#,
                        json!(id),
                        caps_text(&self.capabilities())
                    ),
                )
            }
            Ok(out) => {
                // A REJECT: report it as the body, nothing stored. [HTTP-SESSION-002]
                Response::raw(400, out.messages.into_iter().next().unwrap_or_default())
            }
            Err(e) => Response::json(400, json!({"error": e.to_string()})),
        }
    }

    /// `GET /session/{id}`: the session's statistics. [HTTP-SESSION-003]
    fn get_session(&mut self, id: &str, now_ms: u64) -> Response {
        match self.lookup(id, now_ms) {
            Some(entry) => {
                let s = &entry.session;
                Response::json(
                    200,
                    json!({
                        "session_id": s.id(),
                        "state": s.state().name(),
                        "messages_sent": s.stats().messages_sent,
                        "messages_received": s.stats().messages_received,
                        // A server session never compresses (DATA only flows in), so these stay 0
                        // and the ratio 1.0, as upstream's stats define them for that case.
                        "bytes_compressed": 0,
                        "bytes_saved": 0,
                        "compression_ratio": 1.0,
                    }),
                )
            }
            None => Response::json(404, json!({"error": "Session not found"})),
        }
    }

    /// `POST /message`. [HTTP-MSG-001] .. [HTTP-MSG-006]
    fn message(&mut self, body: &str, now_ms: u64, new_id: &mut dyn FnMut() -> String) -> Response {
        if let Err(r) = parse_body(body) {
            return r;
        }
        let message = match serde_json::from_str::<Message>(body) {
            Ok(m) => m,
            Err(e) => return extractor_error(422, e),
        };
        match message.kind {
            MessageType::Hello => {
                let id = new_id();
                let mut session = Session::new(self.session_config(id.clone()), now_ms);
                match session.receive(body, now_ms) {
                    Ok(out) => {
                        let established = session.state() == crate::session::State::Established;
                        if established {
                            self.sessions.insert(
                                id,
                                Entry {
                                    session,
                                    last_access: now_ms,
                                },
                            );
                        }
                        Response::raw(200, out.messages.into_iter().next().unwrap_or_default())
                    }
                    Err(e) => Response::reject(&e.to_string(), now_ms),
                }
            }
            MessageType::Data => {
                let Some(id) = message.session_id.clone() else {
                    return Response::reject("Missing session ID", now_ms);
                };
                let security = self.security;
                let Some(entry) = self.lookup(&id, now_ms) else {
                    return Response::message(
                        404,
                        &Message::reject(RejectionCode::Unknown, "Session not found", now_ms),
                    );
                };
                match entry.session.receive(body, now_ms) {
                    Ok(out) => {
                        let content = out.delivered.unwrap_or_default();
                        if let Some(refusal) = security.gate_message(&content, now_ms) {
                            return refusal; // [SEC-MSG-001]
                        }
                        let reply = Message {
                            kind: MessageType::Data,
                            session_id: Some(id),
                            payload: Some(Payload::Data(DataPayload {
                                algorithm: Algorithm::None,
                                content,
                                original_size: None,
                                security_status: None,
                            })),
                            timestamp: now_ms,
                        };
                        Response::message(200, &reply)
                    }
                    Err(e) => Response::reject(&e.to_string(), now_ms),
                }
            }
            MessageType::Ping => {
                let id = message.session_id.as_deref().unwrap_or("unknown");
                Response::message(200, &Message::control(MessageType::Pong, id, now_ms))
            }
            MessageType::Close => {
                if let Some(id) = &message.session_id {
                    self.sessions.remove(id);
                }
                Response::message(200, &message)
            }
            _ => Response::reject("Unsupported message type", now_ms),
        }
    }
}

const KNOWN: &[&str] = &[
    "/health",
    "/status",
    "/session",
    "/compress",
    "/compress/auto",
    "/decompress",
    "/scan",
    "/message",
];

fn caps_text(c: &Capabilities) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// A body that is not JSON: 400 with a text body, like axum's `Json` extractor. [HTTP-API-002]
fn parse_body(body: &str) -> Result<Value, Response> {
    serde_json::from_str::<Value>(body).map_err(|e| Response {
        status: 400,
        body: Body::Text(format!("Failed to parse the request body as JSON: {e}")),
    })
}

/// JSON of the wrong shape: 422 with a text body, like axum's `Json` extractor. [HTTP-API-002]
fn extractor_error(status: u16, e: impl std::fmt::Display) -> Response {
    Response {
        status,
        body: Body::Text(format!(
            "Failed to deserialize the JSON body into the target type: {e}"
        )),
    }
}

fn field<'a>(req: &'a Value, name: &str) -> Result<&'a str, Response> {
    match req.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(extractor_error(422, format!("`{name}` must be a string"))),
        None => Err(extractor_error(422, format!("missing field `{name}`"))),
    }
}

/// `POST /compress {content, algorithm?}` and `POST /compress/auto {content}`.
/// [HTTP-COMPRESS-001] [HTTP-COMPRESS-002] [HTTP-API-003]
fn compress(body: &str, auto: bool) -> Response {
    let run = || -> Result<Response, Response> {
        let req = parse_body(body)?;
        let content = field(&req, "content")?;
        let algorithm = match (auto, req.get("algorithm")) {
            (true, _) => auto_select(content),
            (false, None | Some(Value::Null)) => Algorithm::M2m,
            (false, Some(a)) => serde_json::from_value::<Algorithm>(a.clone())
                .map_err(|e| extractor_error(422, e))?,
        };
        match wire::compress(content, algorithm.wire()) {
            Ok(data) => {
                let (orig, comp) = (content.len(), data.len());
                let ratio = if comp == 0 {
                    0.0
                } else {
                    orig as f64 / comp as f64
                };
                Ok(Response::json(
                    200,
                    json!({"algorithm": algorithm, "compressed_bytes": comp, "data": data,
                           "original_bytes": orig, "ratio": ratio}),
                ))
            }
            Err(wire::WireError::Unsupported(what)) => Ok(Response::json(
                501,
                json!({"error": format!("not implemented by the reference: {what}")}),
            )),
            Err(e) => Ok(Response::json(400, json!({"error": e.to_string()}))),
        }
    };
    run().unwrap_or_else(|r| r)
}

/// The heuristic choice of `/compress/auto`, in order: under 100 bytes none; over 1024 bytes
/// brotli; JSON with a top-level `messages`, `model` or `choices` m2m; 4-gram repetition above
/// 0.3 brotli; other JSON m2m; else none. [HTTP-COMPRESS-002]
pub fn auto_select(content: &str) -> Algorithm {
    if content.len() < 100 {
        return Algorithm::None;
    }
    if content.len() > 1024 {
        return Algorithm::Brotli;
    }
    let parsed: Option<Value> = serde_json::from_str(content).ok();
    let llm = parsed.as_ref().is_some_and(|v| {
        ["messages", "model", "choices"]
            .iter()
            .any(|k| v.get(k).is_some())
    });
    if llm {
        return Algorithm::M2m;
    }
    if repetition(content) > 0.3 {
        return Algorithm::Brotli;
    }
    if parsed.is_some() {
        Algorithm::M2m
    } else {
        Algorithm::None
    }
}

/// `1 - unique 4-character windows / (characters - 3)`, computed in binary32 as upstream does.
fn repetition(content: &str) -> f32 {
    let chars: Vec<char> = content.chars().collect();
    let total = chars.len().saturating_sub(3);
    if total == 0 {
        return 0.0;
    }
    let unique: std::collections::BTreeSet<&[char]> = chars.windows(4).collect();
    1.0 - unique.len() as f32 / total as f32
}

/// `POST /decompress {data}`: detect and decode; unknown prefixes pass through. [HTTP-DECOMPRESS-001]
fn decompress(body: &str) -> Response {
    let run = || -> Result<Response, Response> {
        let req = parse_body(body)?;
        let data = field(&req, "data")?;
        Ok(match wire::decompress(data, &Limits::default()) {
            Ok(content) => Response::json(200, json!({"bytes": content.len(), "content": content})),
            Err(e) => Response::json(400, json!({"error": e.to_string()})),
        })
    };
    run().unwrap_or_else(|r| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        Server::new(
            ServerConfig {
                agent_id: "test".into(),
                version: "0".into(),
            },
            0,
        )
    }

    fn active(server: &mut Server, now_ms: u64) -> Value {
        let r = server.handle("GET", "/status", "", now_ms, &mut || unreachable!());
        let Body::Json(text) = r.body else {
            panic!("{r:?}")
        };
        serde_json::from_str::<Value>(&text).expect("status is JSON")["active_sessions"].clone()
    }

    /// Issue 18 defect 4: idle sessions expire on the core's clock, `/status` counts live
    /// sessions only, and a sweep drops the expired ones from memory.
    /// [HTTP-SESSION-004] [HTTP-SESSION-005]
    #[test]
    fn idle_sessions_expire_and_are_swept() {
        let mut s = server();
        let mut n = 0;
        let mut ids = || {
            n += 1;
            format!("s{n}")
        };
        for t in [0, 1000, 2000] {
            let r = s.handle("POST", "/session", "{}", t, &mut ids);
            assert_eq!(r.status, 201, "{r:?}");
        }
        assert_eq!(active(&mut s, 2000), 3);
        // Touch s3 late; s1 and s2 are idle past the lifetime at 302_500.
        assert_eq!(
            s.handle("GET", "/session/s3", "", 250_000, &mut ids).status,
            200
        );
        assert_eq!(active(&mut s, 302_500), 1);
        assert_eq!(s.stored_sessions(), 3, "nothing dropped before a sweep");
        assert_eq!(s.sweep(302_500), 2);
        assert_eq!(s.stored_sessions(), 1);
        assert_eq!(
            s.handle("GET", "/session/s1", "", 302_500, &mut ids).status,
            404
        );
        assert_eq!(s.sweep(550_001), 1);
        assert_eq!(active(&mut s, 550_001), 0);
    }

    #[test]
    fn the_lifetime_can_be_shortened() {
        let mut s = server().with_session_idle_ms(10);
        let r = s.handle("POST", "/session", "{}", 0, &mut || "a".into());
        assert_eq!(r.status, 201);
        assert_eq!(active(&mut s, 10), 1);
        assert_eq!(active(&mut s, 11), 0);
        assert_eq!(s.sweep(11), 1);
    }
}
