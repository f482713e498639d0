//! The hub server: axum routes in front of one registry thread that owns the sans-IO
//! [`Hub`] and its row store (memory, SQLite or PostgreSQL; see [`crate::store`]). The
//! WebSocket and HTTP tasks send it jobs and await the replies; it also runs the ageing pass.
//! [MOLT-HUB-*]
//!
//! The registry thread is the only owner of the rows, so it is the one serialization point:
//! it answers frames with [`Hub::reply_frame`], whose `discover` answer is a page of
//! reference-counted, already serialized rows (cached per row, see the design notes of
//! `m2m_reference::molt::hub`). The connection task writes the reply text from it
//! ([`Reply::to_text`]) after the registry has moved on to the next job, so the bytes of a
//! large listing are assembled on the runtime's worker threads, in parallel with the
//! registry. [MOLT-HUB-020]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use m2m_reference::molt::hub::{HttpReply, Hub, Limits, Reply};

use crate::store::{self, StoreSpec};
use crate::{now_ms, OsRandom};

/// Default cap on one WebSocket request frame, in bytes. [MOLT-HUB-008]
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;

/// Hub options.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Take the observed IP from `X-Forwarded-For` (only behind a trusted proxy).
    /// [MOLT-HUB-011] [MOLT-SEC-010]
    pub trust_forwarded_for: bool,
    /// Longest accepted request frame. [MOLT-HUB-008]
    pub max_frame: usize,
    /// URL advertised in `GET /` and 404 bodies; defaults to `ws://<listen address>/ws`.
    pub ws_url: Option<String>,
    /// Where rows are kept. [MOLT-HUB-063]
    pub store: StoreSpec,
    /// This hub's name in a shared store (rows it registered are set offline when a hub of
    /// the same name starts); defaults to the listen address. [MOLT-HUB-064]
    pub hub_name: Option<String>,
    /// Retention policy and per-connection limits. [MOLT-HUB-060] … [MOLT-HUB-062]
    pub limits: Limits,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            trust_forwarded_for: false,
            max_frame: DEFAULT_MAX_FRAME,
            ws_url: None,
            store: StoreSpec::Memory,
            hub_name: None,
            limits: Limits::default(),
        }
    }
}

/// A hub that could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listener failed.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] m2m_reference::molt::hub::StoreError),
}

/// Work for the registry thread.
enum Job {
    Open(u64, String, Option<String>),
    Frame(u64, String, oneshot::Sender<Reply>),
    Close(u64),
    Http(String, oneshot::Sender<HttpReply>),
}

struct Shared {
    jobs: std_mpsc::Sender<Job>,
    next_conn: AtomicU64,
    config: HubConfig,
}

type AppState = Arc<Shared>;

impl Shared {
    fn send(&self, job: Job) {
        // The registry thread lives as long as the process serves.
        let _ = self.jobs.send(job);
    }
}

/// The registry thread: owns the hub and its store, answers jobs in arrival order and runs
/// the ageing passes (due every 30 s from start; checked at least every second).
/// [MOLT-HUB-030]
fn registry(mut hub: Hub, jobs: std_mpsc::Receiver<Job>) {
    let mut ids = OsRandom;
    loop {
        let job = match jobs.recv_timeout(Duration::from_secs(1)) {
            Ok(job) => Some(job),
            Err(std_mpsc::RecvTimeoutError::Timeout) => None,
            Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let now = now_ms();
        if let Err(e) = hub.advance_to(now) {
            eprintln!("m2m-molt hub: ageing pass: {e}");
        }
        match job {
            None => {}
            Some(Job::Open(conn, ip, fwd)) => hub.open(conn, &ip, fwd.as_deref()),
            Some(Job::Frame(conn, text, reply)) => {
                let _ = reply.send(hub.reply_frame(conn, &text, now, &mut ids));
            }
            Some(Job::Close(conn)) => {
                if let Err(e) = hub.close(conn) {
                    eprintln!("m2m-molt hub: close: {e}");
                }
            }
            Some(Job::Http(target, reply)) => {
                let _ = reply.send(hub.http(&target, now));
            }
        }
    }
}

/// Serve a hub on `listener` until the task is dropped. Opening the store (and migrating its
/// schema) happens first; a failure there is returned before anything is served.
pub async fn serve(listener: TcpListener, config: HubConfig) -> Result<(), ServeError> {
    let local = listener.local_addr()?;
    let hub_name = config.hub_name.clone().unwrap_or_else(|| local.to_string());
    let ws_url = config
        .ws_url
        .clone()
        .unwrap_or_else(|| format!("ws://{local}/ws"));
    let (jobs, rx) = std_mpsc::channel::<Job>();
    let (ready_tx, ready_rx) = oneshot::channel::<Result<(), ServeError>>();
    let spec = config.store.clone();
    let limits = config.limits;
    std::thread::Builder::new()
        .name("molt-registry".into())
        .spawn(move || {
            let rows = match store::open(&spec, &hub_name) {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.into()));
                    return;
                }
            };
            let mut hub = Hub::with_rows(now_ms(), rows, limits);
            hub.ws_url = ws_url;
            let _ = ready_tx.send(Ok(()));
            registry(hub, rx);
        })?;
    ready_rx
        .await
        .map_err(|_| std::io::Error::other("the registry thread stopped"))??;
    let state: AppState = Arc::new(Shared {
        jobs,
        next_conn: AtomicU64::new(1),
        config,
    });
    let app = Router::new()
        .route("/ws", get(ws_route))
        .fallback(http_route)
        .with_state(state);
    // Small request/reply frames: do not let Nagle's algorithm hold replies back.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .tcp_nodelay(true)
    .await?;
    Ok(())
}

fn json_response(reply: HttpReply) -> Response {
    let body = if reply.pretty {
        serde_json::to_string_pretty(&reply.body).unwrap_or_default()
    } else {
        reply.body.to_string()
    };
    let mut resp = (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// Every non-WebSocket request: routed on the path only. [MOLT-HUB-050]
async fn http_route(State(state): State<AppState>, uri: Uri) -> Response {
    let target = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let (tx, rx) = oneshot::channel();
    state.send(Job::Http(target, tx));
    match rx.await {
        Ok(reply) => json_response(reply),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn ws_route(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        // A plain GET /ws is an ordinary HTTP request (404, as the JavaScript hub answers).
        return http_route(State(state), uri).await;
    };
    let forwarded = if state.config.trust_forwarded_for {
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    } else {
        None
    };
    let ip = peer.ip().to_string();
    // Accept somewhat more than the cap at the WebSocket layer, so that an over-long frame gets
    // the documented reply instead of a closed connection.
    let ws = ws.max_message_size(state.config.max_frame.saturating_mul(16).max(1 << 20));
    ws.on_upgrade(move |socket| connection(socket, state, ip, forwarded))
}

async fn connection(mut socket: WebSocket, state: AppState, ip: String, forwarded: Option<String>) {
    let conn = state.next_conn.fetch_add(1, Ordering::Relaxed);
    state.send(Job::Open(conn, ip, forwarded));
    while let Some(Ok(msg)) = socket.recv().await {
        let text = match msg {
            Message::Text(t) => t,
            Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            Message::Close(_) => break,
            _ => continue,
        };
        let reply = if text.len() > state.config.max_frame {
            Reply::Json(json!({"status": "error", "error": "frame_too_large"}))
        } else {
            let (tx, rx) = oneshot::channel();
            state.send(Job::Frame(conn, text, tx));
            match rx.await {
                Ok(v) => v,
                Err(_) => break,
            }
        };
        if socket.send(Message::Text(reply.to_text())).await.is_err() {
            break;
        }
    }
    state.send(Job::Close(conn));
}
