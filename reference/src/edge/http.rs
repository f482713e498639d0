//! One HTTP/1.1 server stack for the reference's servers: tokio + hyper, each connection its
//! own task, so a slow client delays nobody else. [HTTP-LIMIT-001] [HTTP-LIMIT-002]
//!
//! - Headers (and, on a keep-alive connection, the wait for the next request) must arrive within
//!   [`Limits::header_timeout`], or the connection closes (hyper's header-read timer).
//! - A body must arrive whole within [`Limits::body_timeout`] (408 otherwise) and be at most
//!   [`Limits::max_body`] bytes: a longer `Content-Length` answers 413 before any of the body is
//!   read; a chunked body answers 413 as soon as it passes the limit. Either way the connection
//!   closes and nothing past the limit is buffered.
//! - At most [`Limits::max_connections`] connections are served at once; further ones wait in
//!   the listen backlog.
//!
//! The handler is plain synchronous code (the sans-IO cores): it runs on tokio's blocking pool.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Bounds of one server. [HTTP-LIMIT-001] [HTTP-LIMIT-002]
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time allowed for a request's headers, and for the next request on an idle connection.
    pub header_timeout: Duration,
    /// Time allowed for a whole request body.
    pub body_timeout: Duration,
    /// Largest request body, in bytes.
    pub max_body: u64,
    /// Most connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 10 s for headers and idle, 30 s for a body, 16 MiB bodies, 4,096 connections.
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_body: crate::wire::limits::DEFAULT_LIMIT as u64,
            max_connections: 4096,
        }
    }
}

/// A request as the handler sees it: method, path with query, whole body.
pub struct Req {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// The whole body.
    pub body: Bytes,
}

/// A response: status, content type (none for an empty body) and body.
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<&'static str>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Resp {
    /// A plain-text response.
    pub fn text(status: u16, text: &str) -> Self {
        Resp {
            status,
            content_type: Some("text/plain; charset=utf-8"),
            body: text.as_bytes().to_vec(),
        }
    }
}

/// The synchronous request handler of a server.
pub type Handler = dyn Fn(Req) -> Resp + Send + Sync;

/// Bind `addr` (`127.0.0.1:0` picks a free port) without serving yet.
pub fn bind(addr: &str) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// A multi-threaded tokio runtime for a server.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Serve `listener` with `handler` until the process ends (or the accept loop fails).
/// `tick`, if given, is called on the blocking pool every period (the session sweep).
pub fn serve(
    listener: std::net::TcpListener,
    limits: Limits,
    handler: Arc<Handler>,
    tick: Option<(Duration, Arc<dyn Fn() + Send + Sync>)>,
) -> std::io::Result<()> {
    runtime()?.block_on(serve_async(listener, limits, handler, tick))
}

/// [`serve`] inside a running tokio runtime.
pub async fn serve_async(
    listener: std::net::TcpListener,
    limits: Limits,
    handler: Arc<Handler>,
    tick: Option<(Duration, Arc<dyn Fn() + Send + Sync>)>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    if let Some((period, f)) = tick {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            every.tick().await;
            loop {
                every.tick().await;
                let f = Arc::clone(&f);
                let _ = tokio::task::spawn_blocking(move || f()).await;
            }
        });
    }
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return Ok(());
        };
        let (stream, _peer): (_, SocketAddr) = match listener.accept().await {
            Ok(s) => s,
            // Out of file descriptors or a connection reset before accept: keep serving.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = Arc::clone(&handler);
        tokio::spawn(async move {
            let service = service_fn(move |req| answer(req, limits, Arc::clone(&handler)));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

fn respond(r: Resp, close: bool) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(r.body)));
    *response.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(ct) = r.content_type {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if close {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

fn too_large(limits: &Limits) -> Response<Full<Bytes>> {
    let text = format!("request body is larger than {} bytes", limits.max_body);
    respond(Resp::text(413, &text), true)
}

async fn answer(
    req: Request<Incoming>,
    limits: Limits,
    handler: Arc<Handler>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body) {
        // Refused from the header alone: not a byte of the body is read. [HTTP-LIMIT-001]
        return Ok(too_large(&limits));
    }
    let method = req.method().as_str().to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let limit = usize::try_from(limits.max_body).unwrap_or(usize::MAX);
    let collected = tokio::time::timeout(
        limits.body_timeout,
        Limited::new(req.into_body(), limit).collect(),
    )
    .await;
    let body = match collected {
        Ok(Ok(c)) => c.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Ok(too_large(&limits))
        }
        // The client broke the body off: nobody to answer.
        Ok(Err(_)) => return Ok(respond(Resp::text(400, "request body unreadable"), true)),
        Err(_) => {
            return Ok(respond(
                Resp::text(408, "request body not complete in time"),
                true,
            ))
        }
    };
    let r = tokio::task::spawn_blocking(move || handler(Req { method, path, body })).await;
    Ok(match r {
        Ok(r) => respond(r, false),
        Err(_) => respond(Resp::text(500, "handler failed"), true),
    })
}
