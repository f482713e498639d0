//! The agent SDK: a hub client over WebSocket, a TCP listener for peers, and the sender side
//! of the P2P protocol, with the behaviour of the JavaScript SDK (`agent.js`): discover with
//! filters and paging, find, lookup with a 60 s address cache, send, sendDirect, broadcast,
//! request/respond with timeouts, status updates with metadata, heartbeats, automatic
//! reconnection with re-registration after 5 s, and an address override. Every failure is an
//! [`AgentError`]. [MOLT-P2P-*] [MOLT-HUB-*] [MOLT-SDK-*]
//!
//! ```no_run
//! # async fn demo() -> Result<(), m2m_molt::agent::AgentError> {
//! use m2m_molt::agent::{Agent, AgentConfig, Discover};
//! use serde_json::json;
//! let mut me = Agent::start(AgentConfig {
//!     hub_url: "ws://127.0.0.1:3000/ws".into(),
//!     capabilities: vec!["chat".into()],
//!     ..AgentConfig::default()
//! })
//! .await?;
//! let peers = me.discover(&Discover { capabilities: vec!["echo".into()], ..Discover::default() }).await?;
//! if let Some(p) = peers.first() {
//!     let answer = me.request(&p.id, "task", json!({"n": 1}), std::time::Duration::from_secs(5)).await?;
//!     println!("{answer}");
//! }
//! if let Some(msg) = me.events.recv().await {
//!     me.respond(&msg, json!({"ok": true})).await?;
//! }
//! me.disconnect().await?;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

use m2m_reference::molt::crypto;
use m2m_reference::molt::p2p::{
    self, ClientStep, LineBuffer, LineItem, MessageEvent, PeerClient, PeerServer,
};

use crate::OsRandom;

/// How long a hub request waits for its reply (the JavaScript value).
pub const HUB_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a sender waits for the listener (the JavaScript value). [MOLT-P2P-015]
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// A listener closes a connection idle this long (the JavaScript value). [MOLT-P2P-015]
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default wait of [`Agent::request`] (the JavaScript value).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Delay before reconnecting after the hub connection closed (the JavaScript value).
pub const RECONNECT_DELAY: Duration = Duration::from_secs(5);
/// Age after which a cached address is looked up again (the JavaScript value).
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// Every way an SDK call can fail.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The peer listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The hub's WebSocket could not be opened.
    #[error("cannot connect to hub {url}: {reason}")]
    HubConnect {
        /// The hub URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The hub connection is closed (and not yet reconnected).
    #[error("hub connection closed")]
    HubClosed,
    /// No reply from the hub, or no response from a peer, in time (`Request timeout`).
    #[error("Request timeout")]
    Timeout,
    /// The hub refused the registration.
    #[error("Registration failed: {0}")]
    Registration(String),
    /// The hub answered `{"status":"error","error":E}`.
    #[error("hub error: {0}")]
    Hub(String),
    /// `lookup` found no row (`Agent not found`).
    #[error("Agent not found")]
    NotFound,
    /// `lookup` found an `offline` row (`Agent is offline`).
    #[error("Agent is offline")]
    Offline,
    /// A hub reply lacked a member the SDK needs.
    #[error("malformed hub reply: {0}")]
    Malformed(String),
    /// A peer address is not `host:port`, or the connection to it failed.
    #[error("connect {addr}: {reason}")]
    Connect {
        /// The peer address.
        addr: String,
        /// What failed.
        reason: String,
    },
    /// The listener did not finish the exchange in time (`Connection timeout`).
    #[error("Connection timeout")]
    ConnectTimeout,
    /// The listener answered with an error or closed early.
    #[error("peer: {0}")]
    Peer(String),
    /// A message to respond to names no sender.
    #[error("message has no from")]
    NoSender,
    /// An argument the hub would reject without a correlation id (so that the call would only
    /// time out, MOLT-HUB-006), refused before sending.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Agent options (the JavaScript constructor options).
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Hub WebSocket URL, e.g. `ws://127.0.0.1:3000/ws`.
    pub hub_url: String,
    /// TCP port to listen on for peers (0: any free port).
    pub port: u16,
    /// Address to bind the listener to.
    pub bind: IpAddr,
    /// The `address` sent in `register` (`host:port`, for an agent behind NAT or a port
    /// forward); default `BIND:PORT`. The hub keeps only the port text. [MOLT-HUB-012]
    pub address: Option<String>,
    /// Capabilities to register.
    pub capabilities: Vec<String>,
    /// Metadata to register.
    pub metadata: Value,
    /// Answer every inbound message that is not itself a response with `{echo: payload}`.
    pub echo: bool,
    /// Heartbeat period (the JavaScript default is 30 s).
    pub heartbeat: Duration,
    /// Reconnect and re-register when the hub connection closes.
    pub auto_reconnect: bool,
    /// Delay before each reconnection attempt.
    pub reconnect_delay: Duration,
    /// Lifetime of a cached address.
    pub cache_ttl: Duration,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            hub_url: "ws://127.0.0.1:3000/ws".into(),
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            address: None,
            capabilities: Vec::new(),
            metadata: json!({}),
            echo: false,
            heartbeat: Duration::from_secs(30),
            auto_reconnect: true,
            reconnect_delay: RECONNECT_DELAY,
            cache_ttl: CACHE_TTL,
        }
    }
}

/// Filters and paging of [`Agent::discover`] (all optional). [MOLT-HUB-020] … [MOLT-HUB-023]
#[derive(Debug, Clone, Default)]
pub struct Discover {
    /// Keep agents having ANY of these.
    pub capabilities: Vec<String>,
    /// Keep agents with exactly this status.
    pub status: Option<String>,
    /// Page size (hub default 100, at most 500).
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// One agent as listed by the hub.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentInfo {
    /// Hub-minted id.
    pub id: String,
    /// Stored `host:port`.
    pub address: String,
    /// As registered.
    pub capabilities: Value,
    /// As registered and merged.
    pub metadata: Value,
    /// Status (absent in `find` rows).
    pub status: Option<String>,
    /// Seconds since last seen (`discover` rows only).
    pub last_seen: Option<u64>,
}

impl AgentInfo {
    fn from_json(v: &Value) -> Result<AgentInfo, AgentError> {
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| AgentError::Malformed(format!("agent without `{k}`")))
        };
        Ok(AgentInfo {
            id: text("id")?,
            address: text("address")?,
            capabilities: v.get("capabilities").cloned().unwrap_or(Value::Null),
            metadata: v.get("metadata").cloned().unwrap_or(Value::Null),
            status: v.get("status").and_then(Value::as_str).map(str::to_owned),
            last_seen: v.get("lastSeen").and_then(Value::as_u64),
        })
    }

    /// JSON form (as the hub lists it).
    pub fn to_json(&self) -> Value {
        let mut v = json!({"id": self.id, "address": self.address,
                           "capabilities": self.capabilities, "metadata": self.metadata});
        if let Some(s) = &self.status {
            v["status"] = json!(s);
        }
        if let Some(l) = self.last_seen {
            v["lastSeen"] = json!(l);
        }
        v
    }
}

/// The outcome of [`Agent::broadcast`]: `{total, delivered, failed, errors}`.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastReport {
    /// Agents the hub listed.
    pub total: usize,
    /// Deliveries acknowledged.
    pub delivered: usize,
    /// `(agent id, error)` of each failed delivery.
    pub errors: Vec<(String, String)>,
}

impl BroadcastReport {
    /// JSON form, as the JavaScript SDK resolves it.
    pub fn to_json(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|(a, e)| json!({"agent": a, "error": e}))
            .collect();
        json!({"total": self.total, "delivered": self.delivered,
               "failed": self.errors.len(), "errors": errors})
    }
}

/// Connection state changes, on [`Agent::hub_events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEvent {
    /// Registered (at start and after every reconnection, each time with a new id).
    Connected {
        /// The new id.
        id: String,
        /// The address the hub stored.
        address: String,
    },
    /// The hub connection closed.
    Disconnected,
}

type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn take(w: &Waiters, key: &str) -> Option<oneshot::Sender<Value>> {
    guard(w).remove(key)
}

fn put(w: &Waiters, key: String, tx: oneshot::Sender<Value>) {
    guard(w).insert(key, tx);
}

fn correlation_id() -> String {
    hex::encode(OsRandom::bytes::<8>())
}

/// A WebSocket connection to a hub with request/reply matching by correlation id.
#[derive(Clone)]
pub struct HubClient {
    out: mpsc::UnboundedSender<Message>,
    waiting: Waiters,
    closed: Arc<tokio::sync::Notify>,
    is_closed: Arc<AtomicBool>,
}

impl HubClient {
    /// Connect to `url`.
    pub async fn connect(url: &str) -> Result<HubClient, AgentError> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .map_err(|e| AgentError::HubConnect {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut rx) = mpsc::unbounded_channel::<Message>();
        let waiting: Waiters = Arc::default();
        let closed = Arc::new(tokio::sync::Notify::new());
        let is_closed = Arc::new(AtomicBool::new(false));
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                let close = matches!(m, Message::Close(_));
                if sink.send(m).await.is_err() || close {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let w = waiting.clone();
        let (c, ic) = (closed.clone(), is_closed.clone());
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(reply) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                // Replies without a known correlation id are dropped, as the JS client does.
                if let Some(cid) = reply.get("correlationId").and_then(Value::as_str) {
                    if let Some(tx) = take(&w, cid) {
                        let _ = tx.send(reply);
                    }
                }
            }
            ic.store(true, Ordering::SeqCst);
            // Pending requests fail at once instead of waiting for their timeout.
            guard(&w).clear();
            c.notify_waiters();
            c.notify_one();
        });
        Ok(HubClient {
            out,
            waiting,
            closed,
            is_closed,
        })
    }

    /// Send a request (a correlation id is added) and wait for its reply (any status).
    pub async fn request(&self, mut req: Value) -> Result<Value, AgentError> {
        if self.is_closed() {
            return Err(AgentError::HubClosed);
        }
        let cid = correlation_id();
        req["correlationId"] = json!(cid);
        let (tx, rx) = oneshot::channel();
        put(&self.waiting, cid.clone(), tx);
        self.out
            .send(Message::Text(req.to_string()))
            .map_err(|_| AgentError::HubClosed)?;
        match timeout(HUB_TIMEOUT, rx).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(_)) => Err(AgentError::HubClosed),
            Err(_) => {
                take(&self.waiting, &cid);
                Err(AgentError::Timeout)
            }
        }
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.is_closed.load(Ordering::SeqCst)
    }

    /// Wait until the connection closes.
    pub async fn closed(&self) {
        while !self.is_closed() {
            let notified = self.closed.notified();
            if self.is_closed() {
                break;
            }
            let _ = timeout(Duration::from_millis(200), notified).await;
        }
    }

    /// Close the connection.
    pub fn close(&self) {
        let _ = self.out.send(Message::Close(None));
    }
}

/// An error reply's `error` text, or the reply itself.
fn check(reply: Value) -> Result<Value, AgentError> {
    if reply["status"] == "ok" {
        Ok(reply)
    } else {
        Err(AgentError::Hub(match reply.get("error") {
            Some(Value::String(s)) => s.clone(),
            _ => reply.to_string(),
        }))
    }
}

struct Session {
    id: String,
    address: String,
    hub: HubClient,
}

struct Inner {
    cfg: AgentConfig,
    port: u16,
    session: Mutex<Session>,
    requests: Waiters,
    cache: Mutex<HashMap<String, (String, Instant)>>,
    stopping: AtomicBool,
    recent: Mutex<Vec<MessageEvent>>,
    hub_events: mpsc::UnboundedSender<HubEvent>,
}

impl Inner {
    fn hub(&self) -> HubClient {
        guard(&self.session).hub.clone()
    }

    fn id(&self) -> String {
        guard(&self.session).id.clone()
    }

    fn remember(&self, rows: &[AgentInfo]) {
        let now = Instant::now();
        let mut c = guard(&self.cache);
        for r in rows {
            if r.status.as_deref() == Some("offline") {
                c.remove(&r.id);
            } else {
                c.insert(r.id.clone(), (r.address.clone(), now));
            }
        }
    }
}

/// Open the hub connection and register; returns the session. [MOLT-HUB-010]
async fn register(cfg: &AgentConfig, port: u16) -> Result<Session, AgentError> {
    let hub = HubClient::connect(&cfg.hub_url).await?;
    let address = cfg
        .address
        .clone()
        .unwrap_or_else(|| format!("{}:{port}", cfg.bind));
    let reply = hub
        .request(json!({"action": "register", "address": address,
                        "capabilities": cfg.capabilities, "metadata": cfg.metadata}))
        .await?;
    if reply["status"] != "ok" {
        hub.close();
        return Err(AgentError::Registration(
            reply["error"]
                .as_str()
                .unwrap_or("Registration failed")
                .to_owned(),
        ));
    }
    let text = |k: &str| {
        reply[k]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| AgentError::Malformed(format!("register reply without `{k}`")))
    };
    Ok(Session {
        id: text("id")?,
        address: text("address")?,
        hub,
    })
}

/// A running agent. Inbound messages that are not answers to [`Agent::request`] arrive on
/// [`Agent::events`]; registrations and disconnections on [`Agent::hub_events`].
pub struct Agent {
    inner: Arc<Inner>,
    tasks: Vec<JoinHandle<()>>,
    /// Messages delivered by peers. [MOLT-P2P-010]
    pub events: mpsc::UnboundedReceiver<MessageEvent>,
    /// Connection state changes.
    pub hub_events: mpsc::UnboundedReceiver<HubEvent>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("id", &self.id())
            .field("address", &self.address())
            .field("port", &self.port())
            .finish_non_exhaustive()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        for t in &self.tasks {
            t.abort();
        }
        self.inner.hub().close();
    }
}

impl Agent {
    /// `connect()`: listen, connect to the hub, register, start heartbeats and the
    /// reconnection watch.
    pub async fn start(cfg: AgentConfig) -> Result<Agent, AgentError> {
        let addr = SocketAddr::new(cfg.bind, cfg.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| AgentError::Listen { addr, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| AgentError::Listen { addr, source })?
            .port();
        let session = register(&cfg, port).await?;
        let (hub_tx, hub_events) = mpsc::unbounded_channel();
        let _ = hub_tx.send(HubEvent::Connected {
            id: session.id.clone(),
            address: session.address.clone(),
        });
        let inner = Arc::new(Inner {
            cfg,
            port,
            session: Mutex::new(session),
            requests: Arc::default(),
            cache: Mutex::default(),
            stopping: AtomicBool::new(false),
            recent: Mutex::default(),
            hub_events: hub_tx,
        });
        let (raw_tx, mut raw_rx) = mpsc::unbounded_channel::<MessageEvent>();
        let (app_tx, events) = mpsc::unbounded_channel::<MessageEvent>();
        let mut tasks = vec![tokio::spawn(accept_loop(listener, raw_tx))];
        // Dispatcher: responses to pending requests, echo, then the application.
        let d = inner.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(ev) = raw_rx.recv().await {
                let ty = ev
                    .message_type
                    .as_ref()
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if let (true, Some(cid)) = (
                    ty.ends_with(":response"),
                    ev.correlation_id.as_ref().and_then(Value::as_str),
                ) {
                    if let Some(tx) = take(&d.requests, &format!("{cid}|{ty}")) {
                        let _ = tx.send(ev.payload.clone());
                        continue;
                    }
                }
                if d.cfg.echo && !ty.ends_with(":response") {
                    let agent = AgentHandle { inner: d.clone() };
                    let ev2 = ev.clone();
                    tokio::spawn(async move {
                        let _ = agent.respond(&ev2, json!({"echo": ev2.payload})).await;
                    });
                }
                {
                    let mut recent = guard(&d.recent);
                    if recent.len() >= 64 {
                        recent.remove(0);
                    }
                    recent.push(ev.clone());
                }
                let _ = app_tx.send(ev);
            }
        }));
        // Heartbeat: runs whatever the connection state, as the JavaScript timer does.
        let hb = inner.clone();
        tasks.push(tokio::spawn(async move {
            let mut iv = tokio::time::interval(hb.cfg.heartbeat);
            iv.tick().await;
            loop {
                iv.tick().await;
                let _ = AgentHandle { inner: hb.clone() }.heartbeat().await;
            }
        }));
        // Reconnection: after the hub connection closes, wait, connect, register again.
        let rc = inner.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let hub = rc.hub();
                hub.closed().await;
                if rc.stopping.load(Ordering::SeqCst) {
                    return;
                }
                let _ = rc.hub_events.send(HubEvent::Disconnected);
                if !rc.cfg.auto_reconnect {
                    return;
                }
                loop {
                    tokio::time::sleep(rc.cfg.reconnect_delay).await;
                    if rc.stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Ok(s) = register(&rc.cfg, rc.port).await {
                        let ev = HubEvent::Connected {
                            id: s.id.clone(),
                            address: s.address.clone(),
                        };
                        *guard(&rc.session) = s;
                        let _ = rc.hub_events.send(ev);
                        break;
                    }
                }
            }
        }));
        Ok(Agent {
            inner,
            tasks,
            events,
            hub_events,
        })
    }

    /// `disconnect()`: stop reconnecting and heartbeats, send `disconnect`, close the hub
    /// connection and the peer listener.
    pub async fn disconnect(mut self) -> Result<(), AgentError> {
        self.inner.stopping.store(true, Ordering::SeqCst);
        for t in self.tasks.drain(..) {
            t.abort();
        }
        let hub = self.inner.hub();
        let id = self.inner.id();
        let r = if hub.is_closed() {
            Ok(())
        } else {
            hub.request(json!({"action": "disconnect", "id": id}))
                .await
                .and_then(check)
                .map(|_| ())
        };
        hub.close();
        r
    }

    /// A cloneable handle for sending from other tasks.
    pub fn handle_clone(&self) -> AgentHandle {
        AgentHandle {
            inner: self.inner.clone(),
        }
    }

    /// The hub-minted id of the current registration.
    pub fn id(&self) -> String {
        self.inner.id()
    }

    /// The address the hub stored for the current registration.
    pub fn address(&self) -> String {
        guard(&self.inner.session).address.clone()
    }

    /// The TCP port of the peer listener.
    pub fn port(&self) -> u16 {
        self.inner.port
    }
}

/// SDK operations, shared by [`Agent`] and its tasks.
#[derive(Clone)]
pub struct AgentHandle {
    inner: Arc<Inner>,
}

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl Agent {
            $(
                #[doc = concat!("See [`AgentHandle::", stringify!($name), "`].")]
                pub async fn $name(&self, $($arg: $ty),*) -> $ret {
                    self.handle_clone().$name($($arg),*).await
                }
            )*
        }
    };
}

forward! {
    hub_request(req: Value) -> Result<Value, AgentError>;
    discover(query: &Discover) -> Result<Vec<AgentInfo>, AgentError>;
    find(capability: &str, limit: Option<u64>) -> Result<Vec<AgentInfo>, AgentError>;
    lookup_agent(id: &str) -> Result<AgentInfo, AgentError>;
    lookup(id: &str) -> Result<String, AgentError>;
    send(to: &str, message_type: &str, payload: Value) -> Result<String, AgentError>;
    send_direct(address: &str, message_type: &str, payload: Value) -> Result<String, AgentError>;
    request(to: &str, message_type: &str, payload: Value, wait: Duration) -> Result<Value, AgentError>;
    respond(to: &MessageEvent, payload: Value) -> Result<(), AgentError>;
    respond_to(correlation_id: &str, payload: Value) -> Result<(), AgentError>;
    broadcast(message_type: &str, payload: Value, capabilities: Vec<String>) -> Result<BroadcastReport, AgentError>;
    update_status(status: Option<&str>, metadata: Option<Value>) -> Result<(), AgentError>;
    heartbeat() -> Result<u64, AgentError>;
    stats() -> Result<Value, AgentError>;
}

impl AgentHandle {
    /// Any hub request; the reply whatever its status.
    pub async fn hub_request(&self, req: Value) -> Result<Value, AgentError> {
        self.inner.hub().request(req).await
    }

    /// `discover`: agents other than this one, not offline, filtered and paged; fills the
    /// address cache. (The JavaScript SDK drops `limit` and `offset`; this one sends them.)
    pub async fn discover(&self, q: &Discover) -> Result<Vec<AgentInfo>, AgentError> {
        let mut req = json!({"action": "discover", "id": self.inner.id(),
                             "capabilities": q.capabilities});
        if let Some(s) = &q.status {
            req["status"] = json!(s);
        }
        if let Some(l) = q.limit {
            req["limit"] = json!(l);
        }
        if let Some(o) = q.offset {
            req["offset"] = json!(o);
        }
        self.listing(req).await
    }

    /// `find`: online agents with a capability, this one included; fills the cache.
    pub async fn find(
        &self,
        capability: &str,
        limit: Option<u64>,
    ) -> Result<Vec<AgentInfo>, AgentError> {
        let mut req = json!({"action": "find", "capability": capability});
        if let Some(l) = limit {
            req["limit"] = json!(l);
        }
        self.listing(req).await
    }

    async fn listing(&self, req: Value) -> Result<Vec<AgentInfo>, AgentError> {
        let r = check(self.hub_request(req).await?)?;
        let rows = r["agents"]
            .as_array()
            .ok_or_else(|| AgentError::Malformed("listing without `agents`".into()))?
            .iter()
            .map(AgentInfo::from_json)
            .collect::<Result<Vec<_>, _>>()?;
        self.inner.remember(&rows);
        Ok(rows)
    }

    /// `lookup` at the hub (never cached): the row, offline ones included; fills the cache.
    pub async fn lookup_agent(&self, id: &str) -> Result<AgentInfo, AgentError> {
        let r = self
            .hub_request(json!({"action": "lookup", "id": id}))
            .await?;
        if r["status"] != "ok" {
            return Err(AgentError::NotFound);
        }
        let a = AgentInfo::from_json(&r["agent"])?;
        self.inner.remember(std::slice::from_ref(&a));
        Ok(a)
    }

    /// The address of an agent id: from the cache when looked up less than the cache
    /// lifetime ago, else from the hub (`Agent not found`, `Agent is offline`).
    pub async fn lookup(&self, id: &str) -> Result<String, AgentError> {
        let ttl = self.inner.cfg.cache_ttl;
        if let Some((addr, at)) = guard(&self.inner.cache).get(id) {
            if at.elapsed() < ttl {
                return Ok(addr.clone());
            }
        }
        let a = self.lookup_agent(id).await?;
        if a.status.as_deref() == Some("offline") {
            guard(&self.inner.cache).remove(id);
            return Err(AgentError::Offline);
        }
        Ok(a.address)
    }

    /// Forget every cached address.
    pub fn clear_cache(&self) {
        guard(&self.inner.cache).clear();
    }

    /// Send one message to an agent id; returns the correlation id. [MOLT-P2P-014]
    pub async fn send(
        &self,
        to: &str,
        message_type: &str,
        payload: Value,
    ) -> Result<String, AgentError> {
        let addr = self.lookup(to).await?;
        self.send_direct(&addr, message_type, payload).await
    }

    /// Send one message to `host:port` without asking the hub; returns the correlation id.
    /// [MOLT-P2P-014]
    pub async fn send_direct(
        &self,
        address: &str,
        message_type: &str,
        payload: Value,
    ) -> Result<String, AgentError> {
        let cid = correlation_id();
        send_direct(
            address,
            Some(&self.inner.id()),
            message_type,
            &payload,
            Some(&cid),
        )
        .await?;
        Ok(cid)
    }

    /// Send a request and wait for the `TYPE:response` with the same correlation id. As the
    /// JavaScript client does, an object payload also carries the correlation id.
    /// [MOLT-P2P-016]
    pub async fn request(
        &self,
        to: &str,
        message_type: &str,
        mut payload: Value,
        wait: Duration,
    ) -> Result<Value, AgentError> {
        let addr = self.lookup(to).await?;
        let cid = correlation_id();
        if let Value::Object(m) = &mut payload {
            m.insert("correlationId".into(), json!(cid));
        }
        let (tx, rx) = oneshot::channel();
        let key = format!("{cid}|{message_type}:response");
        put(&self.inner.requests, key.clone(), tx);
        if let Err(e) = send_direct(
            &addr,
            Some(&self.inner.id()),
            message_type,
            &payload,
            Some(&cid),
        )
        .await
        {
            take(&self.inner.requests, &key);
            return Err(e);
        }
        match timeout(wait, rx).await {
            Ok(Ok(v)) => Ok(v),
            _ => {
                take(&self.inner.requests, &key);
                Err(AgentError::Timeout)
            }
        }
    }

    /// Answer a message: type `T:response`, its correlation id, to its claimed sender's
    /// stored address. [MOLT-P2P-016]
    pub async fn respond(&self, to: &MessageEvent, payload: Value) -> Result<(), AgentError> {
        let from = to
            .from
            .as_ref()
            .and_then(Value::as_str)
            .ok_or(AgentError::NoSender)?;
        let ty = match &to.message_type {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "undefined".into(),
        };
        let addr = self.lookup(from).await?;
        send_direct(
            &addr,
            Some(&self.inner.id()),
            &format!("{ty}:response"),
            &payload,
            to.correlation_id.as_ref().and_then(Value::as_str),
        )
        .await
    }

    /// Answer the most recent of the last 64 inbound messages that carried `correlation_id`
    /// (for the command line, which cannot hold a message).
    pub async fn respond_to(&self, correlation_id: &str, payload: Value) -> Result<(), AgentError> {
        let ev = guard(&self.inner.recent)
            .iter()
            .rev()
            .find(|e| e.correlation_id.as_ref().and_then(Value::as_str) == Some(correlation_id))
            .cloned()
            .ok_or(AgentError::NotFound)?;
        self.respond(&ev, payload).await
    }

    /// Send to every online agent having any of `capabilities` (all when empty; at most the
    /// first 100, as the JavaScript SDK); individual failures are reported, not raised.
    pub async fn broadcast(
        &self,
        message_type: &str,
        payload: Value,
        capabilities: Vec<String>,
    ) -> Result<BroadcastReport, AgentError> {
        let agents = self
            .discover(&Discover {
                capabilities,
                status: Some("online".into()),
                ..Discover::default()
            })
            .await?;
        let me = self.inner.id();
        let mut tasks = Vec::new();
        for a in &agents {
            let (addr, id, me) = (a.address.clone(), a.id.clone(), me.clone());
            let (ty, p) = (message_type.to_owned(), payload.clone());
            tasks.push(tokio::spawn(async move {
                let cid = correlation_id();
                (id, send_direct(&addr, Some(&me), &ty, &p, Some(&cid)).await)
            }));
        }
        let (mut delivered, mut errors) = (0, Vec::new());
        for t in tasks {
            match t.await {
                Ok((_, Ok(()))) => delivered += 1,
                Ok((id, Err(e))) => errors.push((id, e.to_string())),
                Err(e) => errors.push((String::new(), e.to_string())),
            }
        }
        Ok(BroadcastReport {
            total: agents.len(),
            delivered,
            errors,
        })
    }

    /// `updateStatus(status, metadata)`: the `status` action; metadata is merged by the hub.
    /// [MOLT-HUB-027] [MOLT-HUB-028]
    pub async fn update_status(
        &self,
        status: Option<&str>,
        metadata: Option<Value>,
    ) -> Result<(), AgentError> {
        let mut req = json!({"action": "status", "id": self.inner.id()});
        if let Some(s) = status.filter(|s| s.chars().count() > 20 || s.contains('\0')) {
            return Err(AgentError::InvalidArgument(format!(
                "status `{s}`: at most 20 characters, no U+0000 (MOLT-HUB-027)"
            )));
        }
        if let Some(s) = status {
            req["status"] = json!(s);
        }
        if let Some(m) = metadata {
            req["metadata"] = m;
        }
        check(self.hub_request(req).await?).map(|_| ())
    }

    /// One heartbeat now; returns the hub's time. [MOLT-HUB-014]
    pub async fn heartbeat(&self) -> Result<u64, AgentError> {
        let r = check(
            self.hub_request(json!({"action": "heartbeat", "id": self.inner.id()}))
                .await?,
        )?;
        r["timestamp"]
            .as_u64()
            .ok_or_else(|| AgentError::Malformed("heartbeat without `timestamp`".into()))
    }

    /// `getStats()`: the hub's `stats` reply. [MOLT-HUB-040]
    pub async fn stats(&self) -> Result<Value, AgentError> {
        check(self.hub_request(json!({"action": "stats"})).await?)
    }
}

/// Deliver one message over a fresh connection to `address` (`host:port`): handshake, one
/// message, wait for the ack. [MOLT-P2P-014]
pub async fn send_direct(
    address: &str,
    from: Option<&str>,
    message_type: &str,
    payload: &Value,
    correlation_id: Option<&str>,
) -> Result<(), AgentError> {
    let mut client = PeerClient::new(
        OsRandom::bytes::<32>(),
        from.map(|f| json!(f)),
        json!(message_type),
        crypto::encode_payload(payload),
        correlation_id.map(|c| json!(c)),
        OsRandom::bytes::<12>(),
    );
    let connect_err = |e: std::io::Error| AgentError::Connect {
        addr: address.to_owned(),
        reason: e.to_string(),
    };
    let exchange = async {
        let mut stream = TcpStream::connect(address).await.map_err(connect_err)?;
        let _ = stream.set_nodelay(true);
        stream
            .write_all(p2p::to_line(&client.start()).as_bytes())
            .await
            .map_err(connect_err)?;
        let mut lines = LineBuffer::new(p2p::MAX_LINE_BYTES);
        let mut buf = vec![0u8; 8192];
        loop {
            let n = stream.read(&mut buf).await.map_err(connect_err)?;
            if n == 0 {
                return Err(AgentError::Peer("connection closed before ack".into()));
            }
            for item in lines.push(&buf[..n]) {
                let LineItem::Line(line) = item else {
                    return Err(AgentError::Peer("over-long line from listener".into()));
                };
                match client.on_line(&line) {
                    ClientStep::Send(f) => stream
                        .write_all(p2p::to_line(&f).as_bytes())
                        .await
                        .map_err(connect_err)?,
                    ClientStep::Delivered => return Ok(()),
                    ClientStep::Failed(e) => {
                        return Err(AgentError::Peer(
                            e.unwrap_or_else(|| "invalid frame from listener".into()),
                        ))
                    }
                    ClientStep::Nothing => {}
                }
            }
        }
    };
    timeout(SEND_TIMEOUT, exchange)
        .await
        .map_err(|_| AgentError::ConnectTimeout)?
}

async fn accept_loop(listener: TcpListener, events: mpsc::UnboundedSender<MessageEvent>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve_peer(stream, events.clone()));
    }
}

/// One inbound P2P connection, driven by [`PeerServer`]. Bad input gets the documented error
/// reply; the connection stays open until the peer closes it or it is idle for 30 s.
/// [MOLT-P2P-004] [MOLT-P2P-011] [MOLT-P2P-015]
pub async fn serve_peer(mut stream: TcpStream, events: mpsc::UnboundedSender<MessageEvent>) {
    let mut server = PeerServer::default();
    let mut keys = OsRandom;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match timeout(IDLE_TIMEOUT, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => n,
        };
        let out = server.receive(&buf[..n], &mut keys);
        for ev in out.events {
            let _ = events.send(ev);
        }
        for r in out.replies {
            if stream.write_all(p2p::to_line(&r).as_bytes()).await.is_err() {
                return;
            }
        }
    }
    let _ = stream.shutdown().await;
}
