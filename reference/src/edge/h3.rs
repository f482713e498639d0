//! The HTTP/3 edge (feature `h3`): the same synchronous handler as the HTTP/1.1 edge
//! ([`super::http`]) behind QUIC (quinn) and HTTP/3 (h3), with TLS 1.3 from rustls on *ring*.
//! Spec chapter `h3` (`spec/16-h3.md`).
//!
//! - ALPN `h3` only; a self-signed development certificate made at start unless PEM files are
//!   given; its SHA-256 fingerprint is what a client pins. [H3-TLS-001] [H3-TLS-002]
//! - Each request is its own task: a slow request stream delays no other. [H3-STREAM-001]
//! - Bodies obey the HTTP/1.1 edge's [`Limits`]: 413 past `max_body` (from `content-length`
//!   before reading, or as soon as the data passes it), 408 past `body_timeout`.
//!   [H3-MAP-003]
//! - Responses keep their `content-type` and carry `content-length`. [H3-MAP-002]
//! - 0-RTT is offered; a request that is not safe (RFC 9110 §9.2.1) and arrives before the
//!   handshake is complete is answered 425 Too Early (RFC 8470) instead of being processed.
//!   [H3-0RTT-002]
//! - The idle timeout is advertised as `max_idle_timeout`; the client may migrate.
//!   [H3-IDLE-001] [H3-MIGRATE-001]
//! - At most [`Limits::max_connections`] connections are served at once; a handshake past it is
//!   refused with CONNECTION_REFUSED instead of being queued.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

use super::http::{Handler, Limits, Req, Resp};

/// The ALPN protocol id of HTTP/3. [H3-TLS-001]
pub const ALPN: &[u8] = b"h3";

/// Default idle timeout, upstream's (`QuicTransportConfig::default`). [H3-IDLE-001]
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The rustls crypto provider of every QUIC endpoint here: *ring* (aws-lc-rs would need cmake
/// and a long C build). rustls 0.23.48 deprecates the constructor because *ring* has no
/// post-quantum key exchange; X25519 and the NIST curves are what QUIC peers offer today.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server certificate chain and its key.
pub struct Identity {
    /// The chain, leaf first (DER).
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// A fresh self-signed certificate for `localhost`, `127.0.0.1` and `::1` (ECDSA P-256).
    /// [H3-TLS-002]
    pub fn self_signed() -> Result<Self, String> {
        let names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        let made = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
        Ok(Identity {
            chain: vec![made.cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()).into(),
        })
    }

    /// A chain and key from PEM files (the first private key of `key`, PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, String> {
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("{}: {e}", cert.display()))?;
        if chain.is_empty() {
            return Err(format!("{}: no certificate", cert.display()));
        }
        let key =
            PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
        Ok(Identity { chain, key })
    }

    /// The SHA-256 fingerprint of the leaf certificate's DER, lower-case hex. [H3-TLS-002]
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.chain[0])
    }
}

/// SHA-256 of a DER certificate, lower-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The quinn server configuration: TLS 1.3, ALPN `h3`, 0-RTT offered, `idle` advertised,
/// migration allowed. [H3-TLS-001] [H3-0RTT-001] [H3-IDLE-001] [H3-MIGRATE-001]
pub fn server_config(identity: Identity, idle: Duration) -> Result<quinn::ServerConfig, String> {
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    // QUIC allows 0 or 2^32-1 here (RFC 9001 §4.6.1): 0-RTT is offered.
    tls.max_early_data_size = u32::MAX;
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|e| format!("QUIC TLS config: {e}"))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(idle).map_err(|e| format!("idle timeout: {e}"))?,
    ));
    config.transport_config(Arc::new(transport));
    config.migration(true);
    Ok(config)
}

/// Bind a UDP socket for the endpoint (`127.0.0.1:0` picks a free port).
pub fn bind_udp(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    std::net::UdpSocket::bind(addr)
}

/// Serve HTTP/3 on `socket` with `handler` until the endpoint closes. Runs inside a tokio
/// runtime.
pub async fn serve(
    socket: std::net::UdpSocket,
    config: quinn::ServerConfig,
    limits: Limits,
    handler: Arc<Handler>,
) -> std::io::Result<()> {
    let endpoint = quinn::Endpoint::new(
        quinn::EndpointConfig::default(),
        Some(config),
        socket,
        Arc::new(quinn::TokioRuntime),
    )?;
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    while let Some(incoming) = endpoint.accept().await {
        // At most `max_connections` at once, as over HTTP/1.1; past it a new connection is
        // refused at once (CONNECTION_REFUSED) rather than queued, so a flood of handshakes
        // holds no memory. The slot is held until the connection's task ends.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            incoming.refuse();
            continue;
        };
        let handler = Arc::clone(&handler);
        tokio::spawn(async move {
            connection(incoming, limits, handler).await;
            drop(slot);
        });
    }
    Ok(())
}

/// Whether the TLS handshake of `conn` is complete (the client's Finished was received):
/// rustls exports keying material only then. [H3-0RTT-002]
fn handshake_complete(conn: &quinn::Connection) -> bool {
    let mut probe = [0u8; 1];
    conn.export_keying_material(&mut probe, b"m2m-ref h3 handshake probe", b"")
        .is_ok()
}

async fn connection(incoming: quinn::Incoming, limits: Limits, handler: Arc<Handler>) {
    let Ok(connecting) = incoming.accept() else {
        return;
    };
    // 0.5-RTT: requests that arrived as early data are read before the handshake completes.
    let conn = match connecting.into_0rtt() {
        Ok((conn, _established)) => conn,
        Err(connecting) => match connecting.await {
            Ok(conn) => conn,
            Err(_) => return,
        },
    };
    let quic = conn.clone();
    let Ok(mut h3) = h3::server::Connection::<_, Bytes>::new(h3_quinn::Connection::new(conn)).await
    else {
        return;
    };
    while let Ok(Some(resolver)) = h3.accept().await {
        let handler = Arc::clone(&handler);
        let quic = quic.clone();
        tokio::spawn(async move {
            let Ok((req, stream)) = resolver.resolve_request().await else {
                return;
            };
            let early = !handshake_complete(&quic);
            let _ = request(req, stream, early, limits, handler).await;
        });
    }
}

/// RFC 9110 §9.2.1 safe methods: the only ones served from early data. [H3-0RTT-002]
fn safe(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS | http::Method::TRACE
    )
}

type Stream = h3::server::RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>;

async fn request(
    req: http::Request<()>,
    mut stream: Stream,
    early: bool,
    limits: Limits,
    handler: Arc<Handler>,
) -> Result<(), h3::error::StreamError> {
    if early && !safe(req.method()) {
        // The body is read first (within the limits), as for any request: answering while the
        // client still sends it, then dropping the stream, stops the client's upload (STOP_SENDING
        // 0), and a client that fails on that never reads the 425 (seen in CI: `h3-0rtt-post`).
        let _ = read_body(&mut stream, &limits).await;
        // RFC 8470 §5.2: the client may retry once the handshake is complete.
        let resp = Resp::text(
            425,
            "request received in early data; retry after the handshake",
        );
        return send(&mut stream, resp).await;
    }
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body) {
        return too_large(&mut stream, &limits).await;
    }
    let collected = read_body(&mut stream, &limits).await;
    let body = match collected {
        Ok(Ok(Some(body))) => body,
        Ok(Ok(None)) => return too_large(&mut stream, &limits).await,
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            let resp = Resp::text(408, "request body not complete in time");
            stream.stop_sending(h3::error::Code::H3_REQUEST_CANCELLED);
            return send(&mut stream, resp).await;
        }
    };
    let method = req.method().as_str().to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let r = tokio::task::spawn_blocking(move || handler(Req { method, path, body })).await;
    let resp = r.unwrap_or_else(|_| Resp::text(500, "handler failed"));
    send(&mut stream, resp).await
}

/// Read the request body: `Ok(Ok(Some))` the whole body, `Ok(Ok(None))` when it passes
/// `limits.max_body` (nothing more is read), `Err` when it is not complete within
/// `limits.body_timeout`. [H3-MAP-003]
async fn read_body(
    stream: &mut Stream,
    limits: &Limits,
) -> Result<Result<Option<Bytes>, h3::error::StreamError>, tokio::time::error::Elapsed> {
    tokio::time::timeout(limits.body_timeout, async {
        let mut body = BytesMut::new();
        while let Some(mut chunk) = stream.recv_data().await? {
            if (body.len() + chunk.remaining()) as u64 > limits.max_body {
                return Ok(None);
            }
            while chunk.has_remaining() {
                let part = chunk.chunk();
                body.extend_from_slice(part);
                let n = part.len();
                chunk.advance(n);
            }
        }
        Ok::<_, h3::error::StreamError>(Some(body.freeze()))
    })
    .await
}

async fn too_large(stream: &mut Stream, limits: &Limits) -> Result<(), h3::error::StreamError> {
    // Nothing past the limit is read: the rest of the body is refused. [H3-MAP-003]
    stream.stop_sending(h3::error::Code::H3_REQUEST_CANCELLED);
    let text = format!("request body is larger than {} bytes", limits.max_body);
    send(stream, Resp::text(413, &text)).await
}

async fn send(stream: &mut Stream, r: Resp) -> Result<(), h3::error::StreamError> {
    let mut response = http::Response::builder()
        .status(r.status)
        .header(http::header::CONTENT_LENGTH, r.body.len());
    if let Some(ct) = r.content_type {
        response = response.header(http::header::CONTENT_TYPE, ct);
    }
    let response = response.body(()).unwrap_or_else(|_| {
        let mut fallback = http::Response::new(());
        *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    });
    stream.send_response(response).await?;
    if !r.body.is_empty() {
        stream.send_data(Bytes::from(r.body)).await?;
    }
    stream.finish().await
}

/// An HTTP/3 server on a loopback port in its own thread and runtime, stopped when dropped:
/// what the in-process `h3.scenario` op plays against.
pub struct Loopback {
    /// The UDP address it serves.
    pub addr: SocketAddr,
    /// Its certificate's SHA-256 fingerprint.
    pub fingerprint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Loopback {
    /// Start one on `127.0.0.1:0` with `handler` and the idle timeout `idle`.
    pub fn start(handler: Arc<Handler>, idle: Duration) -> Result<Self, String> {
        Self::start_with(handler, idle, Limits::default())
    }

    /// [`Loopback::start`] with other [`Limits`].
    pub fn start_with(
        handler: Arc<Handler>,
        idle: Duration,
        limits: Limits,
    ) -> Result<Self, String> {
        let identity = Identity::self_signed()?;
        let fingerprint = identity.fingerprint();
        let config = server_config(identity, idle)?;
        let socket = bind_udp(SocketAddr::from(([127, 0, 0, 1], 0))).map_err(|e| e.to_string())?;
        let addr = socket.local_addr().map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    _ = serve(socket, config, limits, handler) => {}
                    _ = stopped => {}
                }
            });
            runtime.shutdown_background();
        });
        Ok(Loopback {
            addr,
            fingerprint,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
