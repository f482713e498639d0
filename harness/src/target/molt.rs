//! Network targets of the Molt chapter (spec `molt`, section 7):
//!
//! - `molt-hub:ws://HOST:PORT/ws` runs `molt.hub.run` scenarios against a live hub: the harness
//!   opens one WebSocket per scenario connection and sends the steps in order, waiting for each
//!   reply; `http` steps are plain `GET`s on the same host and port.
//! - `molt-peer:HOST:PORT[,tap=HOST:PORT]` runs `molt.peer.run` scenarios against a live agent's
//!   P2P listener, one TCP connection per scenario. The messages the agent delivers are read from
//!   its *event tap* (a TCP port that writes one JSON event per line, as `m2m-molt peer
//!   --tap-port` does); without a tap, scenarios that expect events cannot be judged.
//!
//! A live system has real time, real randomness and history, so outputs are normalised before
//! they are judged (and only then):
//!
//! - minted agent ids become `@1`, `@2`, … exactly as in the in-process run;
//! - listings (`discover`, `find`, `GET /agents`) keep only the agents minted by this scenario
//!   (rows of earlier scenarios stay in a live registry), and their `count` is recomputed;
//! - `stats` counts, `connections`, `activeConnections` and `/agents` `total` are taken relative
//!   to a baseline read just before the scenario;
//! - a `heartbeat` `timestamp`, a `/health` `timestamp`, an `uptime` and a listed `lastSeen`
//!   that lie within a second of the virtual clock's value (as tracked by the harness from the
//!   scenario's own steps) are replaced by that value;
//! - the informative `websocket` URL of a 404 body is replaced by the in-process default;
//! - the listener's `handshake_ack` keys (valid X25519 SPKI) are replaced by the keys the
//!   scenario's `server_keys` would give.
//!
//! Steps that cannot be reproduced live answer `unsupported`: `advance_ms` over 5 s (shorter
//! ones are slept) or with a sub-second part between 300 and 700 ms (a rounding boundary),
//! `cleanup`, and `open` from an `ip` other than `127.0.0.1`. Scenarios with `forwarded_for`
//! expect a hub that trusts `X-Forwarded-For` (`m2m-molt hub --trust-forwarded-for`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

use m2m_reference::molt::script::{HubFrame, HubStep};
use m2m_reference::molt::{crypto, hub::iso8601, script};

use super::{request_line, Evidence, Outcome, SetupError, Target, TesteeInfo};

/// Longest `advance_ms` step a live run sleeps through.
pub const MAX_LIVE_ADVANCE_MS: u64 = 5000;
const STEP_TIMEOUT: Duration = Duration::from_secs(5);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Parse `YYYY-MM-DDTHH:MM:SS.mmmZ` to milliseconds since the epoch.
fn parse_iso(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 24 || b[23] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss, ms) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    // Days from civil (H. Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms).ok()
}

fn unsupported(why: &str) -> Outcome {
    Outcome::Unsupported(why.to_owned())
}

// ------------------------------------------------------------------------------------------
// molt-hub
// ------------------------------------------------------------------------------------------

/// `molt-hub:ws://HOST:PORT/ws`.
pub struct MoltHubTarget {
    url: String,
    host_port: String,
}

impl MoltHubTarget {
    /// A target for the hub at `url`.
    pub fn new(url: &str) -> Result<Self, SetupError> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| SetupError::BadTarget(format!("molt-hub:{url} (only ws:// URLs)")))?;
        let host_port = rest.split('/').next().unwrap_or("").to_owned();
        Ok(MoltHubTarget {
            url: url.to_owned(),
            host_port,
        })
    }

    fn connect(&self, forwarded_for: Option<&str>) -> Result<WebSocket<TcpStream>, String> {
        let mut req = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| e.to_string())?;
        if let Some(f) = forwarded_for {
            req.headers_mut().insert(
                "x-forwarded-for",
                f.parse().map_err(|_| "bad X-Forwarded-For".to_owned())?,
            );
        }
        let addr = self
            .host_port
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or("no address")?;
        let stream =
            TcpStream::connect_timeout(&addr, STEP_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
        stream.set_read_timeout(Some(STEP_TIMEOUT)).ok();
        let (ws, _) = tungstenite::client(req, stream).map_err(|e| format!("handshake: {e}"))?;
        Ok(ws)
    }

    fn exchange(ws: &mut WebSocket<TcpStream>, text: &str) -> Result<Value, String> {
        ws.send(Message::Text(text.to_owned()))
            .map_err(|e| format!("send: {e}"))?;
        loop {
            match ws.read().map_err(|e| format!("read: {e}"))? {
                Message::Text(t) => {
                    return serde_json::from_str(&t).map_err(|e| format!("reply is not JSON: {e}"))
                }
                Message::Binary(b) => {
                    return serde_json::from_slice(&b)
                        .map_err(|e| format!("reply is not JSON: {e}"))
                }
                Message::Close(_) => return Err("hub closed the connection".into()),
                _ => {}
            }
        }
    }

    /// `GET target` → `(status, JSON body)`.
    fn http_get(&self, target: &str) -> Result<(u16, Value), String> {
        let mut s = TcpStream::connect(&self.host_port).map_err(|e| format!("connect: {e}"))?;
        s.set_read_timeout(Some(STEP_TIMEOUT)).ok();
        write!(
            s,
            "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.host_port
        )
        .map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP header end")?;
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("bad status line")?;
        let chunked = head.lines().any(|l| {
            l.to_ascii_lowercase().starts_with("transfer-encoding:")
                && l.to_ascii_lowercase().contains("chunked")
        });
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        };
        let v = serde_json::from_str(&body).map_err(|e| format!("body is not JSON: {e}"))?;
        Ok((status, v))
    }

    /// The hub's counts before a scenario. Read until two reads in a row agree on the agent
    /// counts, the active connections and `/agents`' total (at most 20 reads): a hub may still be
    /// processing the close of an earlier connection, later on a slower store (PostgreSQL), and
    /// a baseline taken in between would shift every count of the scenario by one.
    fn baseline(&self) -> Result<Value, String> {
        let read = || -> Result<Value, String> {
            let mut ws = self.connect(None)?;
            let stats = Self::exchange(&mut ws, r#"{"action":"stats"}"#)?;
            let (_, agents) = self.http_get("/agents?limit=1")?;
            let _ = ws.close(None);
            let _ = ws.flush();
            std::thread::sleep(Duration::from_millis(150));
            Ok(json!({"stats": stats, "total": agents["total"]}))
        };
        let key = |b: &Value| {
            (
                b["stats"]["agents"].clone(),
                b["stats"]["hub"]["activeConnections"].clone(),
                b["total"].clone(),
            )
        };
        let mut last = read()?;
        for _ in 0..19 {
            let next = read()?;
            if key(&next) == key(&last) {
                return Ok(next);
            }
            last = next;
        }
        Ok(last)
    }

    fn run_script(&self, args: &Value) -> Result<Value, Outcome> {
        let bad_args = |e: script::ScriptError| Outcome::Error {
            class: "bad_args".into(),
            message: e.0,
        };
        let script = match args {
            Value::Object(m) => script::parse_hub_script(m).map_err(bad_args)?,
            _ => {
                return Err(Outcome::Error {
                    class: "bad_args".into(),
                    message: "arguments must be an object".into(),
                })
            }
        };
        // Check first that every step can run live.
        for s in &script.steps {
            match s {
                HubStep::Cleanup => {
                    return Err(unsupported(
                        "a live hub cannot be made to run an ageing pass",
                    ))
                }
                HubStep::Advance(adv) if *adv > MAX_LIVE_ADVANCE_MS => {
                    return Err(unsupported("virtual time beyond 5 s"))
                }
                HubStep::Advance(adv) if (300..=700).contains(&(adv % 1000)) => {
                    return Err(unsupported("sub-second timing that a live run cannot hold"))
                }
                HubStep::Open { ip, .. } if ip != "127.0.0.1" => {
                    return Err(unsupported("connections come from 127.0.0.1"))
                }
                _ => {}
            }
        }
        let harness = |e: String| Outcome::HarnessError(e);
        // Rows of earlier scenarios must be at least a second older than ours.
        std::thread::sleep(Duration::from_millis(1100));
        let base = self.baseline().map_err(harness)?;
        let start_real = now_ms();
        let start_virtual = script.start_ms;
        let mut advanced = 0u64;
        let mut names = script::IdNames::default();
        let mut minted: Vec<String> = Vec::new();
        // Virtual time each minted row was last seen (register, heartbeat, status).
        let mut seen: Vec<u64> = Vec::new();
        let mut conns: Vec<(String, WebSocket<TcpStream>)> = Vec::new();
        let mut last: Option<String> = None;
        let mut outputs = Vec::new();
        let result = (|| -> Result<(), Outcome> {
            for s in &script.steps {
                let out = match s {
                    HubStep::Open {
                        name,
                        forwarded_for,
                        ..
                    } => {
                        let ws = self.connect(forwarded_for.as_deref()).map_err(harness)?;
                        conns.push((name.clone(), ws));
                        last = Some(name.clone());
                        Value::Null
                    }
                    HubStep::Send { conn, frame } => {
                        let name = match (conn, &last) {
                            (Some(n), _) | (None, Some(n)) => n.clone(),
                            (None, None) => {
                                conns
                                    .push(("default".into(), self.connect(None).map_err(harness)?));
                                last = Some("default".into());
                                "default".into()
                            }
                        };
                        let text = match frame {
                            HubFrame::Json(v) => names.to_ids(v).to_string(),
                            HubFrame::Text(t) => t.clone(),
                        };
                        let ws = conns
                            .iter_mut()
                            .find(|(n, _)| *n == name)
                            .map(|(_, w)| w)
                            .ok_or_else(|| harness(format!("connection `{name}` is not open")))?;
                        let mut reply = Self::exchange(ws, &text).map_err(harness)?;
                        let sent: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        if sent.get("action").and_then(Value::as_str) == Some("register") {
                            if let Some(id) = reply.get("id").and_then(Value::as_str) {
                                if reply["status"] == "ok" {
                                    names.mint(id);
                                    minted.push(id.to_owned());
                                }
                            }
                        }
                        let virt = start_virtual + advanced;
                        let real = start_real + advanced;
                        if let Some(ts) = reply.get("timestamp").and_then(Value::as_u64) {
                            if ts.abs_diff(now_ms()) < 2000 || ts.abs_diff(real) < 2000 {
                                reply["timestamp"] = json!(virt);
                            }
                        }
                        let act = sent.get("action").and_then(Value::as_str).unwrap_or("");
                        if matches!(act, "heartbeat" | "status") && reply["status"] == "ok" {
                            if let Some(id) = sent.get("id").and_then(Value::as_str) {
                                if let Some(i) = minted.iter().position(|m| m == id) {
                                    seen[i] = advanced;
                                }
                            }
                        }
                        if act == "register" && reply["status"] == "ok" {
                            seen.push(advanced);
                        }
                        normalise_lists(&mut reply, &minted);
                        normalise_last_seen(&mut reply, &minted, &seen, advanced);
                        if reply.get("hub").is_some() && reply.get("agents").is_some() {
                            normalise_stats(&mut reply, &base["stats"], advanced);
                        }
                        names.to_names(&reply)
                    }
                    HubStep::Close(name) => {
                        if let Some(i) = conns.iter().position(|(n, _)| n == name) {
                            let (_, mut ws) = conns.remove(i);
                            let _ = ws.close(None);
                            let _ = ws.flush();
                            // Drop the TCP connection now: a hub may wait for it after the close
                            // frame. The hub then handles the close asynchronously.
                            drop(ws);
                            std::thread::sleep(Duration::from_millis(300));
                        }
                        Value::Null
                    }
                    HubStep::Advance(ms) => {
                        std::thread::sleep(Duration::from_millis(*ms));
                        advanced += ms;
                        Value::Null
                    }
                    HubStep::Http(t) => {
                        let target = names_in_target(&names, &minted, t);
                        let (status, mut body) = self.http_get(&target).map_err(harness)?;
                        normalise_lists(&mut body, &minted);
                        normalise_last_seen(&mut body, &minted, &seen, advanced);
                        if let Some(total) = body.get("total").and_then(Value::as_u64) {
                            let b = base["total"].as_u64().unwrap_or(0);
                            body["total"] = json!(total.saturating_sub(b));
                        }
                        if let Some(ts) = body
                            .get("timestamp")
                            .and_then(Value::as_str)
                            .and_then(parse_iso)
                        {
                            if ts.abs_diff(now_ms()) < 2000 {
                                body["timestamp"] = json!(iso8601(start_virtual + advanced));
                            }
                        }
                        if status == 404 && body.get("websocket").is_some() {
                            body["websocket"] = json!("ws://127.0.0.1:3000/ws");
                        }
                        if body.get("hub").is_some() && body.get("agents").is_some() {
                            normalise_stats(&mut body, &base["stats"], advanced);
                        }
                        json!({"status": status, "body": names.to_names(&body)})
                    }
                    HubStep::Cleanup => Value::Null,
                };
                outputs.push(out);
            }
            Ok(())
        })();
        for (_, mut ws) in conns {
            let _ = ws.close(None);
            let _ = ws.flush();
        }
        std::thread::sleep(Duration::from_millis(200));
        result?;
        Ok(json!({ "outputs": outputs }))
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

fn names_in_target(names: &script::IdNames, minted: &[String], t: &str) -> String {
    let mut out = t.to_owned();
    for (i, id) in minted.iter().enumerate().rev() {
        out = out.replace(&format!("@{}", i + 1), id);
    }
    let _ = names;
    out
}

/// Keep only this scenario's agents in a listing and recompute its `count`.
fn normalise_lists(v: &mut Value, minted: &[String]) {
    let Some(Value::Array(agents)) = v.get_mut("agents") else {
        return;
    };
    agents.retain(|a| {
        a.get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| minted.iter().any(|m| m == id))
    });
    let n = agents.len();
    if v.get("count").is_some() {
        v["count"] = json!(n);
    }
}

/// A listed `lastSeen` within one second of the virtual value becomes the virtual value (live
/// clock jitter).
fn normalise_last_seen(v: &mut Value, minted: &[String], seen: &[u64], now: u64) {
    let Some(Value::Array(agents)) = v.get_mut("agents") else {
        return;
    };
    for a in agents {
        let Some(i) = a
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| minted.iter().position(|m| m == id))
        else {
            continue;
        };
        let (Some(real), Some(&at)) = (a.get("lastSeen").and_then(Value::as_u64), seen.get(i))
        else {
            continue;
        };
        let virt = (now.saturating_sub(at) + 500) / 1000;
        if real.abs_diff(virt) <= 1 {
            a["lastSeen"] = json!(virt);
        }
    }
}

fn sub(a: &Value, b: &Value) -> Value {
    json!(a
        .as_u64()
        .unwrap_or(0)
        .saturating_sub(b.as_u64().unwrap_or(0)))
}

/// Stats relative to the baseline; uptime as the virtual clock's when the real one agrees.
fn normalise_stats(v: &mut Value, base: &Value, advanced: u64) {
    if let Some(Value::Object(agents)) = v.get_mut("agents") {
        for k in ["total", "online", "idle", "offline"] {
            if let Some(x) = agents.get(k).cloned() {
                agents.insert(k.into(), sub(&x, &base["agents"][k]));
            }
        }
    }
    if let Some(Value::Object(hub)) = v.get_mut("hub") {
        for k in ["connections", "activeConnections"] {
            if let Some(x) = hub.get(k).cloned() {
                hub.insert(k.into(), sub(&x, &base["hub"][k]));
            }
        }
        if let Some(up) = hub.get("uptime").and_then(Value::as_u64) {
            let elapsed = up.saturating_sub(base["hub"]["uptime"].as_u64().unwrap_or(0));
            if elapsed.abs_diff(advanced / 1000) <= 1 {
                hub.insert("uptime".into(), json!(advanced / 1000));
            }
        }
    }
}

impl Target for MoltHubTarget {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        let base = self.baseline().map_err(SetupError::Start)?;
        Ok(TesteeInfo {
            target: format!("molt-hub:{}", self.url),
            name: format!("molt-hub {}", self.host_port),
            version: base["stats"]["hub"]["version"]
                .as_str()
                .unwrap_or("?")
                .to_owned(),
            protocol: 1,
            ops: vec!["molt.hub.run".into()],
        })
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        let evidence = Evidence {
            request: request_line(id, op, args),
            ..Evidence::default()
        };
        if op != "molt.hub.run" {
            return (unsupported("a hub target runs molt.hub.run only"), evidence);
        }
        let outcome = match self.run_script(args) {
            Ok(v) => Outcome::Ok(v),
            Err(o) => o,
        };
        (outcome, evidence)
    }
}

// ------------------------------------------------------------------------------------------
// molt-peer
// ------------------------------------------------------------------------------------------

/// `molt-peer:HOST:PORT[,tap=HOST:PORT]`.
pub struct MoltPeerTarget {
    addr: String,
    tap: Option<String>,
}

impl MoltPeerTarget {
    /// A target for the listener at `spec` (`HOST:PORT[,tap=HOST:PORT]`).
    pub fn new(spec: &str) -> Self {
        let mut parts = spec.split(',');
        let addr = parts.next().unwrap_or("").to_owned();
        let tap = parts
            .find_map(|p| p.strip_prefix("tap="))
            .map(str::to_owned);
        MoltPeerTarget { addr, tap }
    }

    fn read_lines(stream: &mut TcpStream, buf: &mut Vec<u8>, wait: Duration) -> Vec<Value> {
        stream.set_read_timeout(Some(wait)).ok();
        let mut chunk = [0u8; 8192];
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(_) => break,
            }
        }
        let mut out = Vec::new();
        while let Some(i) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            out.push(serde_json::from_str(&text).unwrap_or(Value::String(text)));
        }
        out
    }

    fn run_script(&self, args: &Map<String, Value>) -> Result<Value, Outcome> {
        let harness = |e: String| Outcome::HarnessError(e);
        if args.contains_key("max_line") {
            return Err(unsupported("the line cap of a live listener is its own"));
        }
        let keys: Vec<[u8; 32]> = args
            .get("server_keys")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|k| hex::decode(k.as_str()?).ok()?.try_into().ok())
                    .collect()
            })
            .unwrap_or_default();
        let Some(Value::Array(steps)) = args.get("steps") else {
            return Err(Outcome::Error {
                class: "bad_args".into(),
                message: "`steps` must be an array".into(),
            });
        };
        let mut tap = match &self.tap {
            Some(t) => Some(BufReader::new(
                TcpStream::connect(t).map_err(|e| harness(format!("tap: {e}")))?,
            )),
            None => None,
        };
        if let Some(t) = &mut tap {
            t.get_mut()
                .set_read_timeout(Some(Duration::from_millis(50)))
                .ok();
        }
        let mut stream =
            TcpStream::connect(&self.addr).map_err(|e| harness(format!("connect: {e}")))?;
        let mut buf = Vec::new();
        let mut sender = script::ScriptedSender::default();
        let mut acks = 0usize;
        let mut outputs = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            // Build the bytes exactly as the in-process script does (one parser of steps).
            let bytes = s
                .as_object()
                .ok_or_else(|| script::ScriptError(format!("step {i} is not an object")))
                .and_then(|step| sender.step_bytes(i, step))
                .map_err(|e| Outcome::Error {
                    class: "bad_args".into(),
                    message: e.0,
                })?;
            stream
                .write_all(&bytes)
                .map_err(|e| harness(format!("write: {e}")))?;
            let mut replies = Self::read_lines(&mut stream, &mut buf, Duration::from_millis(300));
            for r in &mut replies {
                if r.get("type").and_then(Value::as_str) == Some("handshake_ack") {
                    sender.on_reply(r);
                    let real = r.get("key").and_then(Value::as_str).unwrap_or("");
                    if crypto::parse_spki_b64(real).is_ok() {
                        if let Some(k) = keys.get(acks) {
                            r["key"] = json!(crypto::spki_b64(&crypto::public_key(k)));
                        }
                    }
                    acks += 1;
                } else if r.get("error").and_then(Value::as_str) == Some("invalid_message") {
                    // A failed handshake consumed a listener key too.
                    if s.get("handshake").is_some()
                        || s.get("line").is_some_and(|l| l["type"] == "handshake")
                    {
                        acks += 1;
                    }
                }
            }
            let mut events = Vec::new();
            if let Some(t) = &mut tap {
                let mut line = String::new();
                while t.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if let Ok(v) = serde_json::from_str::<Value>(line.trim()) {
                        events.push(v);
                    }
                    line.clear();
                }
            } else if replies.iter().any(|r| r["type"] == "ack") {
                return Err(unsupported(
                    "delivered messages are not observable without an event tap",
                ));
            }
            outputs.push(json!({"replies": replies, "events": events}));
        }
        Ok(json!({ "outputs": outputs }))
    }
}

impl Target for MoltPeerTarget {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        // A ping proves the listener is there.
        let mut s = TcpStream::connect(&self.addr)
            .map_err(|e| SetupError::Start(format!("{}: {e}", self.addr)))?;
        s.write_all(b"{\"type\":\"ping\"}\n")
            .map_err(|e| SetupError::Start(e.to_string()))?;
        let mut buf = Vec::new();
        let r = Self::read_lines(&mut s, &mut buf, Duration::from_secs(2));
        if r.first() != Some(&json!({"type": "pong"})) {
            return Err(SetupError::Start(format!("no pong from {}", self.addr)));
        }
        Ok(TesteeInfo {
            target: format!("molt-peer:{}", self.addr),
            name: format!("molt-peer {}", self.addr),
            version: "?".into(),
            protocol: 1,
            ops: vec!["molt.peer.run".into()],
        })
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        let evidence = Evidence {
            request: request_line(id, op, args),
            ..Evidence::default()
        };
        let outcome = match (op, args) {
            ("molt.peer.run", Value::Object(m)) => match self.run_script(m) {
                Ok(v) => Outcome::Ok(v),
                Err(o) => o,
            },
            _ => unsupported("a peer target runs molt.peer.run only"),
        };
        (outcome, evidence)
    }
}
