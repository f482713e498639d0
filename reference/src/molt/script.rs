//! Scripted runs of the hub and of a peer listener: a list of steps in, one output per step
//! out. These are the bodies of the testee ops `molt.hub.run` and `molt.peer.run`, so that a
//! whole scenario is one conformance case. [MOLT-SCRIPT-001] [MOLT-SCRIPT-002]

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::crypto::{self, ListSecrets};
use super::hub::{ConnId, Hub, IdSource, SeededIds};
use super::p2p::{self, ClientStep, PeerClient, PeerServer};

/// Default virtual start time of a hub script: 2026-01-01T00:00:00Z.
pub const DEFAULT_START_MS: u64 = 1_767_225_600_000;

/// A script step that cannot be run (malformed script, not a protocol outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError(pub String);

fn store(e: super::hub::StoreError) -> ScriptError {
    ScriptError(e.to_string())
}

fn err<T>(msg: impl Into<String>) -> Result<T, ScriptError> {
    Err(ScriptError(msg.into()))
}

/// Replaces minted agent ids by their names (`@1`, `@2`, … in minting order) in replies, and
/// names by ids in requests. [MOLT-SCRIPT-001]
#[derive(Debug, Default, Clone)]
pub struct IdNames {
    to_name: HashMap<String, String>,
    to_id: HashMap<String, String>,
}

impl IdNames {
    /// Record a freshly minted id; returns its name.
    pub fn mint(&mut self, id: &str) -> String {
        if let Some(n) = self.to_name.get(id) {
            return n.clone();
        }
        let name = format!("@{}", self.to_name.len() + 1);
        self.to_name.insert(id.to_owned(), name.clone());
        self.to_id.insert(name.clone(), id.to_owned());
        name
    }

    fn map(v: &Value, table: &HashMap<String, String>) -> Value {
        match v {
            Value::String(s) => Value::String(table.get(s).cloned().unwrap_or_else(|| s.clone())),
            Value::Array(a) => Value::Array(a.iter().map(|e| Self::map(e, table)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, e)| (k.clone(), Self::map(e, table)))
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }

    /// Names → ids, everywhere in a value.
    pub fn to_ids(&self, v: &Value) -> Value {
        Self::map(v, &self.to_id)
    }

    /// Ids → names, everywhere in a value.
    pub fn to_names(&self, v: &Value) -> Value {
        Self::map(v, &self.to_name)
    }
}

struct MintWatch<'a> {
    inner: &'a mut dyn IdSource,
    minted: Vec<String>,
}

impl IdSource for MintWatch<'_> {
    fn next_id(&mut self) -> String {
        let id = self.inner.next_id();
        self.minted.push(id.clone());
        id
    }
}

fn u64_field(step: &Map<String, Value>, name: &str) -> Result<Option<u64>, ScriptError> {
    match step.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| ScriptError(format!("`{name}` must be an unsigned integer"))),
    }
}

/// One frame a hub script sends.
#[derive(Debug, Clone, PartialEq)]
pub enum HubFrame {
    /// `send`: a JSON value, sent compact after names are replaced by ids.
    Json(Value),
    /// `text`: a raw text frame.
    Text(String),
}

/// One step of a `molt.hub.run` script (spec/30-molt.md, section 7). [MOLT-SCRIPT-001]
#[derive(Debug, Clone, PartialEq)]
pub enum HubStep {
    /// `{open: NAME, ip?, forwarded_for?}`.
    Open {
        /// Connection name.
        name: String,
        /// Source IP (default `127.0.0.1`).
        ip: String,
        /// `X-Forwarded-For` of the upgrade request.
        forwarded_for: Option<String>,
    },
    /// `{send: VALUE | text: STRING, conn?}`.
    Send {
        /// Connection name (default: the last opened, or a fresh `default`).
        conn: Option<String>,
        /// What to send.
        frame: HubFrame,
    },
    /// `{close: NAME}`.
    Close(String),
    /// `{advance_ms: N}`.
    Advance(u64),
    /// `{cleanup: true}`.
    Cleanup,
    /// `{http: TARGET}`.
    Http(String),
}

/// A parsed `molt.hub.run` script: the one parser of hub scripts, shared by the in-process
/// reference and the harness's live `molt-hub` target. [MOLT-SCRIPT-001]
#[derive(Debug, Clone, PartialEq)]
pub struct HubScript {
    /// Virtual start time.
    pub start_ms: u64,
    /// Seed of the minted ids.
    pub seed: u64,
    /// The steps.
    pub steps: Vec<HubStep>,
}

fn str_field(step: &Map<String, Value>, i: usize, name: &str) -> Result<String, ScriptError> {
    step.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ScriptError(format!("step {i}: `{name}` must be a string")))
}

/// Parse `{start_ms?, seed?, steps}`; a malformed script is a [`ScriptError`] (`bad_args`).
pub fn parse_hub_script(args: &Map<String, Value>) -> Result<HubScript, ScriptError> {
    let start_ms = u64_field(args, "start_ms")?.unwrap_or(DEFAULT_START_MS);
    let seed = u64_field(args, "seed")?.unwrap_or(1);
    let Some(Value::Array(raw)) = args.get("steps") else {
        return err("`steps` must be an array");
    };
    let mut steps = Vec::with_capacity(raw.len());
    for (i, step) in raw.iter().enumerate() {
        let Some(step) = step.as_object() else {
            return err(format!("step {i} is not an object"));
        };
        steps.push(if step.contains_key("open") {
            HubStep::Open {
                name: str_field(step, i, "open")?,
                ip: step
                    .get("ip")
                    .and_then(Value::as_str)
                    .unwrap_or("127.0.0.1")
                    .to_owned(),
                forwarded_for: step
                    .get("forwarded_for")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }
        } else if step.contains_key("send") || step.contains_key("text") {
            let conn = match step.get("conn") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return err(format!("step {i}: `conn` must be a string")),
            };
            let frame = match (step.get("send"), step.get("text")) {
                (Some(v), None) => HubFrame::Json(v.clone()),
                (None, Some(Value::String(t))) => HubFrame::Text(t.clone()),
                _ => {
                    return err(format!(
                        "step {i}: exactly one of `send` (JSON) or `text` (string)"
                    ))
                }
            };
            HubStep::Send { conn, frame }
        } else if step.contains_key("close") {
            HubStep::Close(str_field(step, i, "close")?)
        } else if let Some(ms) = u64_field(step, "advance_ms")? {
            HubStep::Advance(ms)
        } else if step.contains_key("cleanup") {
            HubStep::Cleanup
        } else if step.contains_key("http") {
            HubStep::Http(str_field(step, i, "http")?)
        } else {
            return err(format!("step {i}: unknown step kind"));
        });
    }
    Ok(HubScript {
        start_ms,
        seed,
        steps,
    })
}

/// Run a hub script. `args`: `{start_ms?, seed?, steps: [step]}`; steps are documented in
/// `spec/30-molt.md` (section "Scripted runs"). Returns `{outputs: [..]}`. [MOLT-SCRIPT-001]
pub fn run_hub(args: &Map<String, Value>) -> Result<Value, ScriptError> {
    let script = parse_hub_script(args)?;
    let start = script.start_ms;
    let mut ids = SeededIds::new(script.seed);
    let mut hub = Hub::new(start);
    let mut now = start;
    let mut names = IdNames::default();
    let mut conns: HashMap<String, ConnId> = HashMap::new();
    let mut last_conn: Option<String> = None;
    let mut outputs = Vec::with_capacity(script.steps.len());
    let mut next_conn: ConnId = 0;
    for (i, step) in script.steps.iter().enumerate() {
        hub.advance_to(now).map_err(store)?;
        let out = match step {
            HubStep::Open {
                name,
                ip,
                forwarded_for,
            } => {
                next_conn += 1;
                if conns.insert(name.clone(), next_conn).is_some() {
                    return err(format!("step {i}: connection `{name}` already open"));
                }
                hub.open(next_conn, ip, forwarded_for.as_deref());
                last_conn = Some(name.clone());
                Value::Null
            }
            HubStep::Send { conn, frame } => {
                let name = match (conn, &last_conn) {
                    (Some(c), _) | (None, Some(c)) => c.clone(),
                    (None, None) => {
                        next_conn += 1;
                        conns.insert("default".into(), next_conn);
                        hub.open(next_conn, "127.0.0.1", None);
                        last_conn = Some("default".into());
                        "default".into()
                    }
                };
                let Some(&conn) = conns.get(&name) else {
                    return err(format!("step {i}: connection `{name}` is not open"));
                };
                let text = match frame {
                    HubFrame::Json(v) => names.to_ids(v).to_string(),
                    HubFrame::Text(t) => t.clone(),
                };
                let mut watch = MintWatch {
                    inner: &mut ids,
                    minted: Vec::new(),
                };
                let reply = hub.handle_frame(conn, &text, now, &mut watch);
                for id in &watch.minted {
                    names.mint(id);
                }
                names.to_names(&reply)
            }
            HubStep::Close(name) => {
                let Some(conn) = conns.remove(name) else {
                    return err(format!("step {i}: connection `{name}` is not open"));
                };
                hub.close(conn).map_err(store)?;
                Value::Null
            }
            HubStep::Advance(ms) => {
                now += ms;
                hub.advance_to(now).map_err(store)?;
                Value::Null
            }
            HubStep::Cleanup => {
                hub.cleanup(now).map_err(store)?;
                Value::Null
            }
            HubStep::Http(target) => {
                let reply = hub.http(&names_in_text(&names, target), now);
                json!({"status": reply.status, "body": names.to_names(&reply.body)})
            }
        };
        outputs.push(out);
    }
    Ok(json!({ "outputs": outputs }))
}

/// Replace `@N` names inside a URL target by ids.
pub fn names_in_text(names: &IdNames, text: &str) -> String {
    let mut out = text.to_owned();
    let mut pairs: Vec<(&String, &String)> = names.to_id.iter().collect();
    // Longest names first so `@12` is not read as `@1` followed by `2`.
    pairs.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    for (name, id) in pairs {
        out = out.replace(name.as_str(), id);
    }
    out
}

fn hex32(v: &Value, what: &str) -> Result<[u8; 32], ScriptError> {
    let s = v
        .as_str()
        .ok_or_else(|| ScriptError(format!("`{what}` must be a hex string")))?;
    let b = hex::decode(s).map_err(|e| ScriptError(format!("`{what}`: {e}")))?;
    b.try_into()
        .map_err(|_| ScriptError(format!("`{what}` must be 32 bytes")))
}

/// The connecting sender of a `molt.peer.run` script: turns each step into the bytes it sends
/// and follows the session key. The one parser of peer steps, shared by the in-process
/// reference and the harness's live `molt-peer` target. [MOLT-SCRIPT-002]
#[derive(Debug, Default, Clone)]
pub struct ScriptedSender {
    /// The private key of the last handshake sent.
    client_secret: Option<[u8; 32]>,
    /// The session key derived from the listener's last `handshake_ack`.
    session: Option<[u8; 32]>,
}

impl ScriptedSender {
    /// The bytes of step `i` (spec/30-molt.md, section 7); a malformed step is an error.
    pub fn step_bytes(
        &mut self,
        i: usize,
        step: &Map<String, Value>,
    ) -> Result<Vec<u8>, ScriptError> {
        // A raw step may name the private key of the handshake it carries, so that the session
        // is derived from the listener's answer.
        if let Some(p) = step.get("client_private_hex") {
            self.client_secret = Some(hex32(p, "client_private_hex")?);
        }
        Ok(if let Some(v) = step.get("send") {
            v.as_str()
                .ok_or_else(|| ScriptError(format!("step {i}: `send` must be a string")))?
                .as_bytes()
                .to_vec()
        } else if let Some(v) = step.get("send_hex") {
            let s = v
                .as_str()
                .ok_or_else(|| ScriptError(format!("step {i}: `send_hex` must be a string")))?;
            hex::decode(s).map_err(|e| ScriptError(format!("step {i}: {e}")))?
        } else if let Some(v) = step.get("line") {
            p2p::to_line(v).into_bytes()
        } else if let Some(Value::Object(h)) = step.get("handshake") {
            let key = match (h.get("private_hex"), h.get("key")) {
                (Some(p), None) => {
                    let secret = hex32(p, "private_hex")?;
                    self.client_secret = Some(secret);
                    Value::String(crypto::spki_b64(&crypto::public_key(&secret)))
                }
                (None, Some(k)) => {
                    self.client_secret = None;
                    k.clone()
                }
                _ => {
                    return err(format!(
                        "step {i}: handshake needs exactly one of `private_hex` or `key`"
                    ))
                }
            };
            let mut m = Map::new();
            m.insert("type".into(), json!("handshake"));
            m.insert("key".into(), key);
            if let Some(f) = h.get("from") {
                m.insert("from".into(), f.clone());
            }
            p2p::to_line(&Value::Object(m)).into_bytes()
        } else if let Some(Value::Object(m)) = step.get("message") {
            let key = match m.get("key_hex") {
                Some(k) => hex32(k, "key_hex")?,
                None => self.session.ok_or_else(|| {
                    ScriptError(format!("step {i}: no session key for `message`"))
                })?,
            };
            let nonce: [u8; 12] = hex::decode(
                m.get("nonce_hex")
                    .and_then(Value::as_str)
                    .unwrap_or("000000000000000000000000"),
            )
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| ScriptError(format!("step {i}: `nonce_hex` must be 12 bytes of hex")))?;
            let plaintext = match (m.get("plaintext"), m.get("payload")) {
                (Some(Value::String(t)), None) => t.as_bytes().to_vec(),
                (None, Some(p)) => crypto::encode_payload(p),
                _ => {
                    return err(format!(
                        "step {i}: message needs exactly one of `plaintext` (string) or `payload`"
                    ))
                }
            };
            let data = crypto::seal(&key, &nonce, &plaintext);
            p2p::to_line(&p2p::message_frame(
                m.get("messageType"),
                &data,
                m.get("correlationId"),
            ))
            .into_bytes()
        } else {
            return err(format!("step {i}: unknown step kind"));
        })
    }

    /// Follow a listener reply: a `handshake_ack` after a handshake whose private key is
    /// known sets the session key.
    pub fn on_reply(&mut self, reply: &Value) {
        if reply.get("type").and_then(Value::as_str) == Some("handshake_ack") {
            if let (Some(secret), Some(k)) =
                (self.client_secret, reply.get("key").and_then(Value::as_str))
            {
                self.session = crypto::derive(&secret, k).ok();
            }
        }
    }
}

/// Run a peer-listener script: the script plays the connecting sender. `args`:
/// `{server_keys?: [hex], max_line?, steps: [step]}`. Returns `{outputs: [{replies, events}]}`.
/// [MOLT-SCRIPT-002]
pub fn run_peer(args: &Map<String, Value>) -> Result<Value, ScriptError> {
    let keys: Vec<[u8; 32]> = match args.get("server_keys") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|k| hex32(k, "server_keys[]"))
            .collect::<Result<_, _>>()?,
        Some(_) => return err("`server_keys` must be an array"),
    };
    let mut keys = ListSecrets::new(keys);
    let max_line = u64_field(args, "max_line")?.map_or(p2p::MAX_LINE_BYTES, |n| n as usize);
    let Some(Value::Array(steps)) = args.get("steps") else {
        return err("`steps` must be an array");
    };
    let mut server = PeerServer::new(max_line);
    let mut sender = ScriptedSender::default();
    let mut outputs = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let Some(step) = step.as_object() else {
            return err(format!("step {i} is not an object"));
        };
        let bytes = sender.step_bytes(i, step)?;
        let out = server.receive(&bytes, &mut keys);
        for r in &out.replies {
            sender.on_reply(r);
        }
        outputs.push(json!({
            "replies": out.replies,
            "events": out.events.iter().map(p2p::MessageEvent::to_json).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({ "outputs": outputs }))
}

/// Run a sender against scripted listener lines. `args`: `{private_hex, from?, messageType |
/// respond_to: {type, correlationId}, plaintext | payload, nonce_hex, correlationId?,
/// replies: [text]}`. Returns `{frames, outcome, error?}`. [MOLT-SCRIPT-002] [MOLT-P2P-014]
/// [MOLT-P2P-016]
pub fn run_sender(args: &Map<String, Value>) -> Result<Value, ScriptError> {
    let secret = hex32(
        args.get("private_hex").unwrap_or(&Value::Null),
        "private_hex",
    )?;
    let nonce: [u8; 12] = args
        .get("nonce_hex")
        .and_then(Value::as_str)
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ScriptError("`nonce_hex` must be 12 bytes of hex".into()))?;
    let plaintext = match (args.get("plaintext"), args.get("payload")) {
        (Some(Value::String(t)), None) => t.as_bytes().to_vec(),
        (None, Some(p)) => crypto::encode_payload(p),
        _ => return err("exactly one of `plaintext` (string) or `payload` is required"),
    };
    let (message_type, correlation_id) = match (args.get("messageType"), args.get("respond_to")) {
        (Some(t), None) => (t.clone(), args.get("correlationId").cloned()),
        (None, Some(Value::Object(r))) => {
            let t = r.get("type").map_or_else(
                || "undefined".to_owned(),
                |t| match t {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            );
            (
                Value::String(format!("{t}:response")),
                r.get("correlationId").cloned(),
            )
        }
        _ => return err("exactly one of `messageType` or `respond_to` (object) is required"),
    };
    let Some(Value::Array(replies)) = args.get("replies") else {
        return err("`replies` must be an array of strings");
    };
    let mut client = PeerClient::new(
        secret,
        args.get("from").cloned(),
        message_type,
        plaintext,
        correlation_id,
        nonce,
    );
    let mut frames = vec![client.start()];
    let mut outcome = json!({"outcome": "pending"});
    for r in replies {
        let line = r
            .as_str()
            .ok_or_else(|| ScriptError("`replies` must be strings".into()))?;
        match client.on_line(line) {
            ClientStep::Send(f) => frames.push(f),
            ClientStep::Delivered => {
                outcome = json!({"outcome": "delivered"});
                break;
            }
            ClientStep::Failed(e) => {
                outcome = json!({"outcome": "failed"});
                if let Some(e) = e {
                    outcome["error"] = json!(e);
                }
                break;
            }
            ClientStep::Nothing => {}
        }
    }
    outcome["frames"] = Value::Array(frames);
    Ok(outcome)
}
