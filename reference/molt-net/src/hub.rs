//! The hub server: axum routes over one shared [`Hub`]. [MOLT-HUB-*]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use m2m_reference::molt::hub::{HttpReply, Hub};

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
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            trust_forwarded_for: false,
            max_frame: DEFAULT_MAX_FRAME,
            ws_url: None,
        }
    }
}

struct Shared {
    hub: Mutex<Hub>,
    next_conn: AtomicU64,
    config: HubConfig,
}

type AppState = Arc<Shared>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Hub> {
    // A panic while holding the lock cannot leave the registry half-updated in a way that
    // matters more than stopping the hub would; keep serving.
    s.hub.lock().unwrap_or_else(|p| p.into_inner())
}

/// Serve a hub on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, config: HubConfig) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let mut hub = Hub::new(now_ms());
    hub.ws_url = config
        .ws_url
        .clone()
        .unwrap_or_else(|| format!("ws://{local}/ws"));
    let state: AppState = Arc::new(Shared {
        hub: Mutex::new(hub),
        next_conn: AtomicU64::new(1),
        config,
    });
    // Ageing passes: due every 30 s from start; checked every second. [MOLT-HUB-030]
    let ticker = state.clone();
    tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_secs(1));
        loop {
            iv.tick().await;
            lock(&ticker).advance_to(now_ms());
        }
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
    .await
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
    let reply = lock(&state).http(&target, now_ms());
    json_response(reply)
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
    lock(&state).open(conn, &ip, forwarded.as_deref());
    let mut ids = OsRandom;
    while let Some(Ok(msg)) = socket.recv().await {
        let text = match msg {
            Message::Text(t) => t,
            Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            Message::Close(_) => break,
            _ => continue,
        };
        let reply: Value = if text.len() > state.config.max_frame {
            json!({"status": "error", "error": "frame_too_large"})
        } else {
            let now = now_ms();
            let mut hub = lock(&state);
            hub.advance_to(now);
            hub.handle_frame(conn, &text, now, &mut ids)
        };
        if socket.send(Message::Text(reply.to_string())).await.is_err() {
            break;
        }
    }
    lock(&state).close(conn);
}
