//! The Molt discovery hub as a sans-IO registry: agent rows, the WebSocket request/reply
//! actions, the online → idle → offline ageing pass, and the HTTP endpoints. Time is passed in
//! as milliseconds since the Unix epoch; agent ids come from an [`IdSource`]. [MOLT-HUB-*]
//!
//! The reply shapes and the quirks that a client can observe (error strings, which fields are
//! echoed, filters, limits, ordering) follow the JavaScript hub, as the spec chapter `molt`
//! states them; where the spec asks for better behaviour it says so.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

/// The protocol version a hub reports. [MOLT-HUB-040]
pub const VERSION: &str = "2.0.0";
/// Default and maximum page size of `discover` and `/agents`. [MOLT-HUB-021]
pub const DEFAULT_LIMIT: u64 = 100;
/// Maximum page size of every listing. [MOLT-HUB-021]
pub const MAX_LIMIT: u64 = 500;
/// Default page size of `find`. [MOLT-HUB-025]
pub const FIND_DEFAULT_LIMIT: u64 = 10;
/// Period of the ageing pass, from hub start. [MOLT-HUB-030]
pub const CLEANUP_PERIOD_MS: u64 = 30_000;
/// An `online` row not seen for longer than this becomes `idle`. [MOLT-HUB-031]
pub const IDLE_AFTER_MS: u64 = 120_000;
/// An `idle` row not seen for longer than this becomes `offline`. [MOLT-HUB-031]
pub const OFFLINE_AFTER_MS: u64 = 300_000;
/// Column limits of the stored address and status (characters). [MOLT-HUB-012] [MOLT-HUB-027]
pub const ADDRESS_MAX_CHARS: usize = 50;
/// See [`ADDRESS_MAX_CHARS`].
pub const STATUS_MAX_CHARS: usize = 20;

/// Where agent ids come from: each must be 32 lower-case hex digits (128 random bits in a
/// live hub). [MOLT-HUB-010]
pub trait IdSource {
    /// The next fresh id.
    fn next_id(&mut self) -> String;
}

/// A deterministic [`IdSource`] (SplitMix64 over a seed) for tests and scripted runs.
#[derive(Debug, Clone)]
pub struct SeededIds {
    state: u64,
}

impl SeededIds {
    /// Ids derived from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededIds { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl IdSource for SeededIds {
    fn next_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// Whether a text is a well-formed agent id. [MOLT-HUB-010]
pub fn is_agent_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A WebSocket connection handle chosen by the caller.
pub type ConnId = u64;

/// One registered agent (a row; rows are never deleted).
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// Hub-minted id.
    pub id: String,
    /// Observed IP plus the port text the agent sent.
    pub address: String,
    /// As sent (any JSON; normally an array of strings).
    pub capabilities: Value,
    /// As sent, shallow-merged by `status`.
    pub metadata: Value,
    /// `online`, `idle`, `offline` or any custom text up to 20 characters.
    pub status: String,
    /// Last register / heartbeat / status time.
    pub last_seen_ms: u64,
    seq: u64,
}

#[derive(Debug, Clone)]
struct Conn {
    remote_ip: String,
    agent_id: Option<String>,
}

/// A reply to an HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// Whether the body is sent pretty-printed (2 spaces) rather than compact.
    pub pretty: bool,
}

/// The failure path of a request that the JavaScript hub answers with the generic
/// `invalid_json` reply (without correlation id). [MOLT-HUB-006]
#[derive(Debug)]
struct Fault;

/// The registry. [MOLT-HUB-001]
#[derive(Debug, Clone)]
pub struct Hub {
    agents: Vec<Agent>,
    index: HashMap<String, usize>,
    conns: HashMap<ConnId, Conn>,
    clients: BTreeMap<String, ()>,
    connections_total: u64,
    start_ms: u64,
    next_cleanup_ms: u64,
    seq: u64,
    /// The WebSocket URL advertised in `GET /` and 404 bodies.
    pub ws_url: String,
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// A JSON value as the text a SQL parameter carries (how the JS `pg` driver sends it).
fn sql_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// JSONB `?`: an array holding the string, an object with that key, or that string itself.
/// [MOLT-HUB-022]
pub fn jsonb_has(v: &Value, key: &str) -> bool {
    match v {
        Value::Array(a) => a.iter().any(|e| e.as_str() == Some(key)),
        Value::Object(o) => o.contains_key(key),
        Value::String(s) => s == key,
        _ => false,
    }
}

/// JSONB `||`: two objects merge shallowly (right wins); otherwise both sides become arrays
/// (a non-array is wrapped) and are concatenated. [MOLT-HUB-028]
pub fn jsonb_concat(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut m = x.clone();
            for (k, v) in y {
                m.insert(k.clone(), v.clone());
            }
            Value::Object(m)
        }
        _ => {
            let mut out = match a {
                Value::Array(x) => x.clone(),
                other => vec![other.clone()],
            };
            match b {
                Value::Array(y) => out.extend(y.iter().cloned()),
                other => out.push(other.clone()),
            }
            Value::Array(out)
        }
    }
}

/// A page size or offset as the JS hub reads it: a non-negative integer, a numeric string,
/// `true` (= 1 for limits); anything else fails. Returns the number and the value to echo.
fn page_number(v: &Value, bool_ok: bool) -> Result<u64, Fault> {
    match v {
        Value::Number(n) => n.as_u64().ok_or(Fault),
        Value::String(s) => s.trim().parse::<u64>().map_err(|_| Fault),
        Value::Bool(true) if bool_ok => Ok(1),
        _ => Err(Fault),
    }
}

impl Hub {
    /// An empty hub started at `start_ms`. [MOLT-HUB-001]
    pub fn new(start_ms: u64) -> Self {
        Hub {
            agents: Vec::new(),
            index: HashMap::new(),
            conns: HashMap::new(),
            clients: BTreeMap::new(),
            connections_total: 0,
            start_ms,
            next_cleanup_ms: start_ms + CLEANUP_PERIOD_MS,
            seq: 0,
            ws_url: "ws://127.0.0.1:3000/ws".into(),
        }
    }

    /// All rows, in registration order.
    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    /// A row by id.
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.index.get(id).map(|&i| &self.agents[i])
    }

    fn agent_mut(&mut self, id: &str) -> Option<&mut Agent> {
        self.index
            .get(id)
            .copied()
            .map(move |i| &mut self.agents[i])
    }

    /// A WebSocket connection opened from `peer_ip` (a `::ffff:` IPv4-mapped prefix is
    /// removed), or, when the upgrade request carried a non-empty `X-Forwarded-For`, from the
    /// first entry of that header. [MOLT-HUB-011]
    pub fn open(&mut self, conn: ConnId, peer_ip: &str, forwarded_for: Option<&str>) {
        self.connections_total += 1;
        let remote_ip = match forwarded_for.filter(|f| !f.is_empty()) {
            Some(f) => f.split(',').next().unwrap_or("").trim().to_owned(),
            None if peer_ip.is_empty() => "unknown".to_owned(),
            None => peer_ip.replacen("::ffff:", "", 1),
        };
        self.conns.insert(
            conn,
            Conn {
                remote_ip,
                agent_id: None,
            },
        );
    }

    /// The connection closed: the last agent registered on it becomes `offline`.
    /// [MOLT-HUB-032]
    pub fn close(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.remove(&conn) {
            if let Some(id) = c.agent_id {
                self.clients.remove(&id);
                if let Some(a) = self.agent_mut(&id) {
                    a.status = "offline".into();
                }
            }
        }
    }

    /// Run every ageing pass due at or before `now_ms` (one each 30 s from start), each at
    /// its own scheduled time. [MOLT-HUB-030]
    pub fn advance_to(&mut self, now_ms: u64) {
        while self.next_cleanup_ms <= now_ms {
            let at = self.next_cleanup_ms;
            self.cleanup(at);
            self.next_cleanup_ms += CLEANUP_PERIOD_MS;
        }
    }

    /// One ageing pass at `now_ms`: `online` rows last seen more than 2 min ago become `idle`,
    /// then `idle` rows last seen more than 5 min ago become `offline`. [MOLT-HUB-031]
    pub fn cleanup(&mut self, now_ms: u64) {
        for a in &mut self.agents {
            if a.status == "online" && a.last_seen_ms + IDLE_AFTER_MS < now_ms {
                a.status = "idle".into();
            }
        }
        for a in &mut self.agents {
            if a.status == "idle" && a.last_seen_ms + OFFLINE_AFTER_MS < now_ms {
                a.status = "offline".into();
            }
        }
    }

    /// Handle one WebSocket text frame from `conn` at `now_ms`; returns the one reply frame.
    /// [MOLT-HUB-002] … [MOLT-HUB-007]
    pub fn handle_frame(
        &mut self,
        conn: ConnId,
        text: &str,
        now_ms: u64,
        ids: &mut dyn IdSource,
    ) -> Value {
        let invalid = || json!({"status": "error", "error": "invalid_json"});
        let Ok(request) = serde_json::from_str::<Value>(text) else {
            return invalid();
        };
        if request.is_null() {
            return invalid();
        }
        let empty = Map::new();
        let req = request.as_object().unwrap_or(&empty);
        let action = req.get("action").and_then(Value::as_str).unwrap_or("");
        let result = match action {
            "register" => self.register(conn, req, now_ms, ids),
            "heartbeat" => Ok(self.heartbeat(req, now_ms)),
            "discover" => self.discover(req, now_ms),
            "find" => self.find(req),
            "lookup" => Ok(self.lookup(req)),
            "status" => self.status(req, now_ms),
            "disconnect" => self.disconnect(req),
            "stats" => Ok(self.stats(now_ms)),
            _ => Ok(json!({"status": "error", "error": "unknown_action"})),
        };
        let Ok(mut reply) = result else {
            return invalid();
        };
        if truthy(req.get("correlationId")) {
            reply["correlationId"] = req["correlationId"].clone();
        }
        reply
    }

    /// `register` → `{status, id, address}`. [MOLT-HUB-010] [MOLT-HUB-012] [MOLT-HUB-013]
    fn register(
        &mut self,
        conn: ConnId,
        req: &Map<String, Value>,
        now_ms: u64,
        ids: &mut dyn IdSource,
    ) -> Result<Value, Fault> {
        let remote_ip = self
            .conns
            .get(&conn)
            .map_or_else(|| "unknown".to_owned(), |c| c.remote_ip.clone());
        let mut address = remote_ip.clone();
        let given = req.get("address");
        if truthy(given) {
            let Some(Value::String(s)) = given else {
                return Err(Fault);
            };
            if let Some(port) = s.split(':').nth(1).filter(|p| !p.is_empty()) {
                address = format!("{remote_ip}:{port}");
            }
        }
        let capabilities = req.get("capabilities").cloned().unwrap_or(json!([]));
        let metadata = req.get("metadata").cloned().unwrap_or(json!({}));
        if address.chars().count() > ADDRESS_MAX_CHARS
            || address.contains('\0')
            || has_nul(&capabilities)
            || has_nul(&metadata)
        {
            return Err(Fault);
        }
        let id = ids.next_id();
        self.seq += 1;
        self.index.insert(id.clone(), self.agents.len());
        self.agents.push(Agent {
            id: id.clone(),
            address: address.clone(),
            capabilities,
            metadata,
            status: "online".into(),
            last_seen_ms: now_ms,
            seq: self.seq,
        });
        if let Some(c) = self.conns.get_mut(&conn) {
            c.agent_id = Some(id.clone());
        }
        self.clients.insert(id.clone(), ());
        Ok(json!({"status": "ok", "id": id, "address": address}))
    }

    /// `heartbeat` → `{status, timestamp}`; revives any named row. [MOLT-HUB-014]
    fn heartbeat(&mut self, req: &Map<String, Value>, now_ms: u64) -> Value {
        if let Some(id) = req.get("id").filter(|v| !v.is_null()).map(sql_text) {
            if let Some(a) = self.agent_mut(&id) {
                a.status = "online".into();
                a.last_seen_ms = now_ms;
            }
        }
        json!({"status": "ok", "timestamp": now_ms})
    }

    fn page(
        req: &Map<String, Value>,
        name: &str,
        default: u64,
        limit: bool,
    ) -> Result<(u64, Value), Fault> {
        let v = req.get(name);
        if !truthy(v) {
            return Ok((default, json!(default)));
        }
        let v = v.expect("truthy");
        let n = page_number(v, limit)?;
        if limit {
            let n = n.min(MAX_LIMIT);
            Ok((n, json!(n)))
        } else {
            Ok((n, v.clone()))
        }
    }

    fn seconds_ago(&self, a: &Agent, now_ms: u64) -> u64 {
        now_ms.saturating_sub(a.last_seen_ms).saturating_add(500) / 1000
    }

    fn listing_row(&self, a: &Agent, now_ms: u64) -> Value {
        json!({
            "id": a.id, "address": a.address, "capabilities": a.capabilities,
            "metadata": a.metadata, "status": a.status, "lastSeen": self.seconds_ago(a, now_ms),
        })
    }

    /// `discover` → `{status, count, limit, offset, agents}`. [MOLT-HUB-020] … [MOLT-HUB-024]
    fn discover(&self, req: &Map<String, Value>, now_ms: u64) -> Result<Value, Fault> {
        let (limit, limit_v) = Self::page(req, "limit", DEFAULT_LIMIT, true)?;
        let (offset, offset_v) = Self::page(req, "offset", 0, false)?;
        let exclude = req.get("id").filter(|v| truthy(Some(v))).map(sql_text);
        let caps: Option<Vec<String>> = match req.get("capabilities") {
            Some(Value::Array(a)) if !a.is_empty() => {
                // Nested arrays become a multi-dimensional SQL array, whose elements all count.
                fn leaves(v: &[Value], out: &mut Vec<String>) {
                    for e in v {
                        match e {
                            Value::Null => {}
                            Value::Array(inner) => leaves(inner, out),
                            other => out.push(sql_text(other)),
                        }
                    }
                }
                let mut out = Vec::new();
                leaves(a, &mut out);
                Some(out)
            }
            Some(Value::String(s)) if !s.is_empty() => return Err(Fault),
            _ => None,
        };
        let status = req.get("status").filter(|v| truthy(Some(v))).map(sql_text);
        let mut rows: Vec<&Agent> = self
            .agents
            .iter()
            .filter(|a| a.status != "offline")
            .filter(|a| exclude.as_deref() != Some(a.id.as_str()))
            .filter(|a| {
                caps.as_ref()
                    .is_none_or(|c| c.iter().any(|k| jsonb_has(&a.capabilities, k)))
            })
            .filter(|a| status.as_deref().is_none_or(|s| a.status == s))
            .collect();
        // Seconds since last seen ascending; ties: most recent first, then newest row first.
        rows.sort_by(|x, y| {
            self.seconds_ago(x, now_ms)
                .cmp(&self.seconds_ago(y, now_ms))
                .then(y.last_seen_ms.cmp(&x.last_seen_ms))
                .then(y.seq.cmp(&x.seq))
        });
        let agents: Vec<Value> = rows
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|a| self.listing_row(a, now_ms))
            .collect();
        Ok(
            json!({"status": "ok", "count": agents.len(), "limit": limit_v, "offset": offset_v, "agents": agents}),
        )
    }

    /// `find` → `{status, count, agents}`: online rows having the capability, caller
    /// included, most recently seen first. [MOLT-HUB-025]
    fn find(&self, req: &Map<String, Value>) -> Result<Value, Fault> {
        let (limit, _) = Self::page(req, "limit", FIND_DEFAULT_LIMIT, true)?;
        let (offset, _) = Self::page(req, "offset", 0, false)?;
        let capability = req.get("capability").filter(|v| !v.is_null()).map(sql_text);
        let mut rows: Vec<&Agent> = match &capability {
            None => Vec::new(),
            Some(c) => self
                .agents
                .iter()
                .filter(|a| a.status == "online" && jsonb_has(&a.capabilities, c))
                .collect(),
        };
        rows.sort_by(|x, y| y.last_seen_ms.cmp(&x.last_seen_ms).then(y.seq.cmp(&x.seq)));
        let agents: Vec<Value> = rows
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|a| json!({"id": a.id, "address": a.address, "capabilities": a.capabilities, "metadata": a.metadata}))
            .collect();
        Ok(json!({"status": "ok", "count": agents.len(), "agents": agents}))
    }

    /// `lookup` → `{status, agent}` or `agent_not_found`; offline rows are returned.
    /// [MOLT-HUB-026]
    fn lookup(&self, req: &Map<String, Value>) -> Value {
        let found = req
            .get("id")
            .filter(|v| !v.is_null())
            .map(sql_text)
            .and_then(|id| self.agent(&id));
        match found {
            Some(a) => json!({"status": "ok", "agent": {
                "id": a.id, "address": a.address, "capabilities": a.capabilities,
                "metadata": a.metadata, "status": a.status}}),
            None => json!({"status": "error", "error": "agent_not_found"}),
        }
    }

    /// `status` → `{status}`: refreshes last-seen, replaces the status, merges metadata.
    /// [MOLT-HUB-027] [MOLT-HUB-028]
    fn status(&mut self, req: &Map<String, Value>, now_ms: u64) -> Result<Value, Fault> {
        let status = req.get("status").filter(|v| truthy(Some(v))).map(sql_text);
        let metadata = req.get("metadata").filter(|v| truthy(Some(v))).cloned();
        if metadata.as_ref().is_some_and(has_nul) {
            return Err(Fault);
        }
        // The parameter is checked against the column type whether or not a row matches.
        if status
            .as_ref()
            .is_some_and(|s| s.chars().count() > STATUS_MAX_CHARS || s.contains('\0'))
        {
            return Err(Fault);
        }
        let id = req.get("id").filter(|v| !v.is_null()).map(sql_text);
        if let Some(a) = id.as_deref().and_then(|id| self.agent_mut(id)) {
            if let Some(s) = &status {
                a.status = s.clone();
            }
            if let Some(m) = &metadata {
                a.metadata = jsonb_concat(&a.metadata, m);
            }
            a.last_seen_ms = now_ms;
        }
        Ok(json!({"status": "ok"}))
    }

    /// `disconnect` → `{status}`: the row becomes `offline`; the socket stays open.
    /// [MOLT-HUB-029]
    fn disconnect(&mut self, req: &Map<String, Value>) -> Result<Value, Fault> {
        let raw = req.get("id");
        if let Some(id) = raw.filter(|v| !v.is_null()).map(sql_text) {
            if let Some(a) = self.agent_mut(&id) {
                a.status = "offline".into();
            }
            self.clients.remove(&id);
        }
        // The JS hub logs `id.slice(0, 8)`, which throws for numbers, booleans and objects
        // after the update: the row changed, the reply is the generic failure.
        match raw {
            Some(Value::Number(_) | Value::Bool(_) | Value::Object(_)) => Err(Fault),
            _ => Ok(json!({"status": "ok"})),
        }
    }

    fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |s: &str| self.agents.iter().filter(|a| a.status == s).count();
        (self.agents.len(), n("online"), n("idle"), n("offline"))
    }

    /// `stats` → `{status, agents{total, online, idle, offline}, hub{version, uptime,
    /// connections, activeConnections}}`. [MOLT-HUB-040]
    pub fn stats(&self, now_ms: u64) -> Value {
        let (total, online, idle, offline) = self.counts();
        json!({
            "status": "ok",
            "agents": {"total": total, "online": online, "idle": idle, "offline": offline},
            "hub": {
                "version": VERSION,
                "uptime": now_ms.saturating_sub(self.start_ms) / 1000,
                "connections": self.connections_total,
                "activeConnections": self.clients.len(),
            }
        })
    }

    /// Answer an HTTP request for `target` (path and optional query); the method is ignored.
    /// [MOLT-HUB-050] … [MOLT-HUB-054]
    pub fn http(&self, target: &str, now_ms: u64) -> HttpReply {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query = parse_query(query);
        match path {
            "/" | "/info" => HttpReply {
                status: 200,
                body: self.info(now_ms),
                pretty: true,
            },
            "/health" => HttpReply {
                status: 200,
                body: json!({"status": "healthy", "timestamp": iso8601(now_ms), "version": VERSION}),
                pretty: false,
            },
            "/agents" => match self.http_agents(&query, now_ms) {
                Ok(body) => HttpReply {
                    status: 200,
                    body,
                    pretty: true,
                },
                Err(msg) => HttpReply {
                    status: 500,
                    body: json!({ "error": msg }),
                    pretty: false,
                },
            },
            "/stats" => HttpReply {
                status: 200,
                body: self.stats(now_ms),
                pretty: true,
            },
            _ => HttpReply {
                status: 404,
                body: json!({"error": "Not found", "endpoints": ["/", "/health", "/agents", "/stats"], "websocket": self.ws_url}),
                pretty: false,
            },
        }
    }

    fn info(&self, now_ms: u64) -> Value {
        let (total, online, idle, _) = self.counts();
        json!({
            "protocol": {
                "name": "M2M - Molt To Molt",
                "version": VERSION,
                "description": "Agent discovery hub; agents exchange messages peer to peer, end-to-end encrypted",
                "encryption": "X25519 + AES-256-GCM",
                "websocket": self.ws_url,
            },
            "hub": {"status": "running", "uptime": now_ms.saturating_sub(self.start_ms) / 1000,
                    "activeConnections": self.clients.len()},
            "agents": {"online": online, "idle": idle, "total": total},
            "api": {
                "http": ["GET /", "GET /health", "GET /agents?capability=&status=&limit=&offset=", "GET /stats"],
                "websocket": ["register", "heartbeat", "discover", "find", "lookup", "status", "disconnect", "stats"],
            }
        })
    }

    /// `GET /agents`. [MOLT-HUB-052]
    fn http_agents(
        &self,
        query: &BTreeMap<String, Vec<String>>,
        now_ms: u64,
    ) -> Result<Value, String> {
        // A repeated parameter is read as its values joined by commas (what parseInt sees).
        let first = |k: &str| query.get(k).map(|v| v.join(","));
        let limit = match first("limit")
            .and_then(|s| js_parse_int(&s))
            .filter(|&n| n != 0)
        {
            None => DEFAULT_LIMIT as i64,
            Some(n) => n.min(MAX_LIMIT as i64),
        };
        let offset = first("offset").and_then(|s| js_parse_int(&s)).unwrap_or(0);
        if limit < 0 {
            return Err("LIMIT must not be negative".into());
        }
        if offset < 0 {
            return Err("OFFSET must not be negative".into());
        }
        // One value filters; a repeated parameter becomes an array literal that matches nothing.
        let filter = |k: &str| -> Option<Option<String>> {
            match query.get(k) {
                None => None,
                Some(v) if v.len() == 1 && v[0].is_empty() => None,
                Some(v) if v.len() == 1 => Some(Some(v[0].clone())),
                Some(_) => Some(None),
            }
        };
        let capability = filter("capability");
        let status = filter("status");
        let mut rows: Vec<&Agent> = self
            .agents
            .iter()
            .filter(|a| a.status != "offline")
            .filter(|a| match &capability {
                None => true,
                Some(None) => false,
                Some(Some(c)) => jsonb_has(&a.capabilities, c),
            })
            .filter(|a| match &status {
                None => true,
                Some(None) => false,
                Some(Some(s)) => &a.status == s,
            })
            .collect();
        rows.sort_by(|x, y| y.last_seen_ms.cmp(&x.last_seen_ms).then(y.seq.cmp(&x.seq)));
        let total = self.agents.iter().filter(|a| a.status != "offline").count();
        let agents: Vec<Value> = rows
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|a| self.listing_row(a, now_ms))
            .collect();
        Ok(
            json!({"count": agents.len(), "total": total, "limit": limit, "offset": offset, "agents": agents}),
        )
    }
}

/// JavaScript `parseInt(s, 10)`: optional leading whitespace and sign, then the longest run
/// of digits; `None` where JS gives NaN.
pub fn js_parse_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let n: i64 = digits.parse().unwrap_or(i64::MAX);
    Some(if neg { -n } else { n })
}

/// Split a URL query into decoded `key → values` (`+` is a space, `%XX` escapes decoded).
pub fn parse_query(q: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.entry(percent_decode(k))
            .or_default()
            .push(percent_decode(v));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hexval = |c: u8| (c as char).to_digit(16);
                match (hexval(bytes[i + 1]), hexval(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the Unix epoch (as JS `toISOString`).
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let mut y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    if m <= 2 {
        y += 1;
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parse_int_like_js() {
        assert_eq!(js_parse_int(" 12abc"), Some(12));
        assert_eq!(js_parse_int("-3"), Some(-3));
        assert_eq!(js_parse_int("abc"), None);
        assert_eq!(percent_decode("a%20b+c%zz"), "a b c%zz");
    }
}
