//! The agent: a hub client over WebSocket, a TCP listener for peers, and the sender side of
//! the P2P protocol. [MOLT-P2P-*] [MOLT-HUB-*]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
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

/// Agent options.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Hub WebSocket URL, e.g. `ws://127.0.0.1:3000/ws`.
    pub hub_url: String,
    /// TCP port to listen on for peers (0: any free port).
    pub port: u16,
    /// Address to bind the listener to.
    pub bind: IpAddr,
    /// Capabilities to register.
    pub capabilities: Vec<String>,
    /// Metadata to register.
    pub metadata: Value,
    /// Answer every inbound message that is not itself a response with `{echo: payload}`.
    pub echo: bool,
    /// Heartbeat period (the JavaScript default is 30 s).
    pub heartbeat: Duration,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            hub_url: "ws://127.0.0.1:3000/ws".into(),
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            capabilities: Vec::new(),
            metadata: json!({}),
            echo: false,
            heartbeat: Duration::from_secs(30),
        }
    }
}

type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>;

fn take(w: &Waiters, key: &str) -> Option<oneshot::Sender<Value>> {
    w.lock().unwrap_or_else(|p| p.into_inner()).remove(key)
}

fn put(w: &Waiters, key: String, tx: oneshot::Sender<Value>) {
    w.lock().unwrap_or_else(|p| p.into_inner()).insert(key, tx);
}

/// A WebSocket connection to a hub with request/reply matching by correlation id.
#[derive(Clone)]
pub struct HubClient {
    out: mpsc::UnboundedSender<String>,
    waiting: Waiters,
}

impl HubClient {
    /// Connect to `url`.
    pub async fn connect(url: &str) -> Result<HubClient, String> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .map_err(|e| format!("cannot connect to hub {url}: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut rx) = mpsc::unbounded_channel::<String>();
        let waiting: Waiters = Arc::default();
        tokio::spawn(async move {
            while let Some(text) = rx.recv().await {
                if sink.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
        });
        let w = waiting.clone();
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
        });
        Ok(HubClient { out, waiting })
    }

    /// Send a request (a correlation id is added) and wait for its reply.
    pub async fn request(&self, mut req: Value) -> Result<Value, String> {
        let cid = hex::encode(OsRandom::bytes::<8>());
        req["correlationId"] = json!(cid);
        let (tx, rx) = oneshot::channel();
        put(&self.waiting, cid.clone(), tx);
        self.out
            .send(req.to_string())
            .map_err(|_| "hub connection closed".to_owned())?;
        match timeout(HUB_TIMEOUT, rx).await {
            Ok(Ok(v)) => Ok(v),
            _ => {
                take(&self.waiting, &cid);
                Err("Request timeout".into())
            }
        }
    }
}

struct Inner {
    id: String,
    address: String,
    hub: HubClient,
    requests: Waiters,
}

/// A running agent. Inbound messages that are not answers to [`Agent::request`] arrive on
/// [`Agent::events`].
pub struct Agent {
    inner: Arc<Inner>,
    port: u16,
    /// Messages delivered by peers. [MOLT-P2P-010]
    pub events: mpsc::UnboundedReceiver<MessageEvent>,
}

impl Agent {
    /// Listen, connect to the hub, register, start heartbeats.
    pub async fn start(cfg: AgentConfig) -> Result<Agent, String> {
        let listener = TcpListener::bind(SocketAddr::new(cfg.bind, cfg.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", cfg.bind, cfg.port))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let hub = HubClient::connect(&cfg.hub_url).await?;
        let reply = hub
            .request(
                json!({"action": "register", "address": format!("{}:{port}", cfg.bind),
                            "capabilities": cfg.capabilities, "metadata": cfg.metadata}),
            )
            .await?;
        if reply["status"] != "ok" {
            return Err(format!("registration failed: {reply}"));
        }
        let id = reply["id"].as_str().unwrap_or_default().to_owned();
        let address = reply["address"].as_str().unwrap_or_default().to_owned();
        let inner = Arc::new(Inner {
            id: id.clone(),
            address,
            hub: hub.clone(),
            requests: Arc::default(),
        });
        let (raw_tx, mut raw_rx) = mpsc::unbounded_channel::<MessageEvent>();
        let (app_tx, events) = mpsc::unbounded_channel::<MessageEvent>();
        tokio::spawn(accept_loop(listener, raw_tx));
        // Dispatcher: responses to pending requests, echo, then the application.
        let d = inner.clone();
        let echo = cfg.echo;
        tokio::spawn(async move {
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
                if echo && !ty.ends_with(":response") {
                    let agent = Agent::handle(d.clone());
                    let ev2 = ev.clone();
                    tokio::spawn(async move {
                        let _ = agent.respond(&ev2, json!({"echo": ev2.payload})).await;
                    });
                }
                let _ = app_tx.send(ev);
            }
        });
        let hb = hub.clone();
        let period = cfg.heartbeat;
        tokio::spawn(async move {
            let mut iv = tokio::time::interval(period);
            iv.tick().await;
            loop {
                iv.tick().await;
                if hb
                    .request(json!({"action": "heartbeat", "id": id}))
                    .await
                    .is_err()
                {
                    // keep trying; the hub may come back
                }
            }
        });
        Ok(Agent {
            inner,
            port,
            events,
        })
    }

    fn handle(inner: Arc<Inner>) -> AgentHandle {
        AgentHandle { inner }
    }

    /// A cloneable handle for sending from other tasks.
    pub fn handle_clone(&self) -> AgentHandle {
        AgentHandle {
            inner: self.inner.clone(),
        }
    }

    /// The hub-minted id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The address the hub stored for this agent.
    pub fn address(&self) -> &str {
        &self.inner.address
    }

    /// The TCP port of the peer listener.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Sending operations, shared by [`Agent`] and its tasks.
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
                    Agent::handle(self.inner.clone()).$name($($arg),*).await
                }
            )*
        }
    };
}

forward! {
    hub_request(req: Value) -> Result<Value, String>;
    lookup(id: &str) -> Result<String, String>;
    send(to: &str, message_type: &str, payload: Value) -> Result<String, String>;
    request(to: &str, message_type: &str, payload: Value, wait: Duration) -> Result<Value, String>;
    respond(to: &MessageEvent, payload: Value) -> Result<(), String>;
    broadcast(message_type: &str, payload: Value, capabilities: Vec<String>) -> Result<Value, String>;
}

impl AgentHandle {
    /// Any hub request.
    pub async fn hub_request(&self, req: Value) -> Result<Value, String> {
        self.inner.hub.request(req).await
    }

    /// The stored address of an agent id.
    pub async fn lookup(&self, id: &str) -> Result<String, String> {
        let r = self
            .inner
            .hub
            .request(json!({"action": "lookup", "id": id}))
            .await?;
        if r["status"] != "ok" {
            return Err("Agent not found".into());
        }
        if r["agent"]["status"] == "offline" {
            return Err("Agent is offline".into());
        }
        r["agent"]["address"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "Agent has no address".into())
    }

    /// Send one message to an agent id; returns the correlation id. [MOLT-P2P-014]
    pub async fn send(
        &self,
        to: &str,
        message_type: &str,
        payload: Value,
    ) -> Result<String, String> {
        let addr = self.lookup(to).await?;
        let cid = hex::encode(OsRandom::bytes::<8>());
        send_direct(
            &addr,
            Some(&self.inner.id),
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
    ) -> Result<Value, String> {
        let addr = self.lookup(to).await?;
        let cid = hex::encode(OsRandom::bytes::<8>());
        if let Value::Object(m) = &mut payload {
            m.insert("correlationId".into(), json!(cid));
        }
        let (tx, rx) = oneshot::channel();
        let key = format!("{cid}|{message_type}:response");
        put(&self.inner.requests, key.clone(), tx);
        if let Err(e) = send_direct(
            &addr,
            Some(&self.inner.id),
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
                Err("Request timeout".into())
            }
        }
    }

    /// Answer a message: type `T:response`, its correlation id, to its claimed sender's
    /// stored address. [MOLT-P2P-016]
    pub async fn respond(&self, to: &MessageEvent, payload: Value) -> Result<(), String> {
        let from = to
            .from
            .as_ref()
            .and_then(Value::as_str)
            .ok_or("message has no from")?;
        let ty = match &to.message_type {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "undefined".into(),
        };
        let addr = self.lookup(from).await?;
        send_direct(
            &addr,
            Some(&self.inner.id),
            &format!("{ty}:response"),
            &payload,
            to.correlation_id.as_ref().and_then(Value::as_str),
        )
        .await
    }

    /// Send to every online agent having any of `capabilities` (all when empty); returns
    /// `{total, delivered, failed, errors}`.
    pub async fn broadcast(
        &self,
        message_type: &str,
        payload: Value,
        capabilities: Vec<String>,
    ) -> Result<Value, String> {
        let r = self
            .inner
            .hub
            .request(json!({"action": "discover", "id": self.inner.id, "capabilities": capabilities, "status": "online"}))
            .await?;
        let agents = r["agents"].as_array().cloned().unwrap_or_default();
        let mut tasks = Vec::new();
        for a in &agents {
            let addr = a["address"].as_str().unwrap_or_default().to_owned();
            let id = a["id"].clone();
            let me = self.inner.id.clone();
            let ty = message_type.to_owned();
            let p = payload.clone();
            tasks.push(tokio::spawn(async move {
                let cid = hex::encode(OsRandom::bytes::<8>());
                (id, send_direct(&addr, Some(&me), &ty, &p, Some(&cid)).await)
            }));
        }
        let (mut delivered, mut errors) = (0, Vec::new());
        for t in tasks {
            match t.await {
                Ok((_, Ok(()))) => delivered += 1,
                Ok((id, Err(e))) => errors.push(json!({"agent": id, "error": e})),
                Err(e) => errors.push(json!({"error": e.to_string()})),
            }
        }
        Ok(
            json!({"total": agents.len(), "delivered": delivered, "failed": errors.len(), "errors": errors}),
        )
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
) -> Result<(), String> {
    let mut client = PeerClient::new(
        OsRandom::bytes::<32>(),
        from.map(|f| json!(f)),
        json!(message_type),
        crypto::encode_payload(payload),
        correlation_id.map(|c| json!(c)),
        OsRandom::bytes::<12>(),
    );
    let exchange = async {
        let mut stream = TcpStream::connect(address)
            .await
            .map_err(|e| format!("connect {address}: {e}"))?;
        let _ = stream.set_nodelay(true);
        stream
            .write_all(p2p::to_line(&client.start()).as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut lines = LineBuffer::new(p2p::MAX_LINE_BYTES);
        let mut buf = vec![0u8; 8192];
        loop {
            let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed before ack".to_owned());
            }
            for item in lines.push(&buf[..n]) {
                let LineItem::Line(line) = item else {
                    return Err("over-long line from listener".into());
                };
                match client.on_line(&line) {
                    ClientStep::Send(f) => stream
                        .write_all(p2p::to_line(&f).as_bytes())
                        .await
                        .map_err(|e| e.to_string())?,
                    ClientStep::Delivered => return Ok(()),
                    ClientStep::Failed(e) => {
                        return Err(e.unwrap_or_else(|| "invalid frame from listener".into()))
                    }
                    ClientStep::Nothing => {}
                }
            }
        }
    };
    timeout(SEND_TIMEOUT, exchange)
        .await
        .map_err(|_| "Connection timeout".to_owned())?
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
