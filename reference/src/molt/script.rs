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

/// Run a hub script. `args`: `{start_ms?, seed?, steps: [step]}`; steps are documented in
/// `spec/30-molt.md` (section "Scripted runs"). Returns `{outputs: [..]}`. [MOLT-SCRIPT-001]
pub fn run_hub(args: &Map<String, Value>) -> Result<Value, ScriptError> {
    let start = u64_field(args, "start_ms")?.unwrap_or(DEFAULT_START_MS);
    let seed = u64_field(args, "seed")?.unwrap_or(1);
    let Some(Value::Array(steps)) = args.get("steps") else {
        return err("`steps` must be an array");
    };
    let mut ids = SeededIds::new(seed);
    let mut hub = Hub::new(start);
    let mut now = start;
    let mut names = IdNames::default();
    let mut conns: HashMap<String, ConnId> = HashMap::new();
    let mut last_conn: Option<String> = None;
    let mut outputs = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let Some(step) = step.as_object() else {
            return err(format!("step {i} is not an object"));
        };
        hub.advance_to(now).map_err(store)?;
        let out = if let Some(name) = step.get("open") {
            let name = name
                .as_str()
                .ok_or_else(|| ScriptError(format!("step {i}: `open` must be a string")))?;
            let ip = step
                .get("ip")
                .and_then(Value::as_str)
                .unwrap_or("127.0.0.1");
            let fwd = step.get("forwarded_for").and_then(Value::as_str);
            let id = conns.len() as ConnId + 1;
            if conns.insert(name.to_owned(), id).is_some() {
                return err(format!("step {i}: connection `{name}` already open"));
            }
            hub.open(id, ip, fwd);
            last_conn = Some(name.to_owned());
            Value::Null
        } else if step.contains_key("send") || step.contains_key("text") {
            let name = match step.get("conn") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => return err(format!("step {i}: `conn` must be a string")),
                None => match &last_conn {
                    Some(c) => c.clone(),
                    None => {
                        let id = conns.len() as ConnId + 1;
                        conns.insert("default".into(), id);
                        hub.open(id, "127.0.0.1", None);
                        last_conn = Some("default".into());
                        "default".into()
                    }
                },
            };
            let Some(&conn) = conns.get(&name) else {
                return err(format!("step {i}: connection `{name}` is not open"));
            };
            let text = match (step.get("send"), step.get("text")) {
                (Some(v), None) => names.to_ids(v).to_string(),
                (None, Some(Value::String(t))) => t.clone(),
                _ => {
                    return err(format!(
                        "step {i}: exactly one of `send` (JSON) or `text` (string)"
                    ))
                }
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
        } else if let Some(name) = step.get("close") {
            let name = name
                .as_str()
                .ok_or_else(|| ScriptError(format!("step {i}: `close` must be a string")))?;
            let Some(conn) = conns.remove(name) else {
                return err(format!("step {i}: connection `{name}` is not open"));
            };
            hub.close(conn).map_err(store)?;
            Value::Null
        } else if let Some(ms) = u64_field(step, "advance_ms")? {
            now += ms;
            hub.advance_to(now).map_err(store)?;
            Value::Null
        } else if step.contains_key("cleanup") {
            hub.cleanup(now).map_err(store)?;
            Value::Null
        } else if let Some(target) = step.get("http") {
            let target = target
                .as_str()
                .ok_or_else(|| ScriptError(format!("step {i}: `http` must be a string")))?;
            let reply = hub.http(&names_in_text(&names, target), now);
            json!({"status": reply.status, "body": names.to_names(&reply.body)})
        } else {
            return err(format!("step {i}: unknown step kind"));
        };
        outputs.push(out);
    }
    Ok(json!({ "outputs": outputs }))
}

/// Replace `@N` names inside a URL target by ids.
fn names_in_text(names: &IdNames, text: &str) -> String {
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
    // The scripted sender's private key of its last handshake and the session key it derived.
    let mut client_secret: Option<[u8; 32]> = None;
    let mut session: Option<[u8; 32]> = None;
    let mut outputs = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let Some(step) = step.as_object() else {
            return err(format!("step {i} is not an object"));
        };
        // A raw step may name the private key of the handshake it carries, so that the session
        // is derived from the listener's answer.
        if let Some(p) = step.get("client_private_hex") {
            client_secret = Some(hex32(p, "client_private_hex")?);
        }
        let bytes: Vec<u8> = if let Some(v) = step.get("send") {
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
                    client_secret = Some(secret);
                    Value::String(crypto::spki_b64(&crypto::public_key(&secret)))
                }
                (None, Some(k)) => {
                    client_secret = None;
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
                None => session.ok_or_else(|| {
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
        };
        let out = server.receive(&bytes, &mut keys);
        for r in &out.replies {
            if r.get("type").and_then(Value::as_str) == Some("handshake_ack") {
                if let (Some(secret), Some(k)) =
                    (client_secret, r.get("key").and_then(Value::as_str))
                {
                    session = crypto::derive(&secret, k).ok();
                }
            }
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
