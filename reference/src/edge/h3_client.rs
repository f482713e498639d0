//! An HTTP/3 client (feature `h3`) that plays the suite against a server over QUIC: the
//! `http.run` steps one request at a time on one kept connection, and the transport scenarios
//! of `h3.scenario` (spec chapter `h3`, section 6). Used by the harness's `m2m-h3:` target and
//! by the reference's in-process `h3.scenario` op, so both play scenarios identically.
//!
//! The server's certificate is trusted by pinning SHA-256 fingerprints of the leaf certificate
//! (from a hex string or a PEM file), or, for loopback only, not checked at all. [H3-TLS-003]

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::{json, Value};

use super::h3::{fingerprint, provider, ALPN};
use crate::server::script;

/// How the client trusts the server's certificate. [H3-TLS-003]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Only leaf certificates with one of these SHA-256 fingerprints (lower-case hex).
    Pinned(Vec<String>),
    /// Any certificate (loopback development servers only; the caller checks the address).
    Any,
}

impl Trust {
    /// The fingerprints of every certificate in a PEM file.
    pub fn from_pem_file(path: &std::path::Path) -> Result<Trust, String> {
        use rustls::pki_types::pem::PemObject;
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("{}: no certificate", path.display()));
        }
        Ok(Trust::Pinned(
            certs.iter().map(|c| fingerprint(c)).collect(),
        ))
    }
}

/// Why a scenario did not produce a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioError {
    /// The arguments are malformed (`bad_args`).
    BadArgs(String),
    /// This client cannot judge the scenario against this server (`unsupported`).
    Unsupported(String),
    /// The connection or a request failed.
    Transport(String),
    /// No result within the time allowed.
    Timeout,
}

#[derive(Debug)]
struct Verifier {
    trust: Trust,
    provider: Arc<CryptoProvider>,
    /// The fingerprint of the last certificate refused, for the error message.
    refused: Mutex<Option<String>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.trust {
            Trust::Any => Ok(ServerCertVerified::assertion()),
            Trust::Pinned(list) => {
                let got = fingerprint(end_entity);
                if list.iter().any(|f| f.eq_ignore_ascii_case(&got)) {
                    Ok(ServerCertVerified::assertion())
                } else {
                    *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(got);
                    Err(rustls::Error::InvalidCertificate(
                        rustls::CertificateError::ApplicationVerificationFailure,
                    ))
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

type SendRequest = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;

/// One HTTP/3 connection: the QUIC connection and its request sender.
struct Conn {
    quic: quinn::Connection,
    send: SendRequest,
}

/// Settings of an [`H3Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How the certificate is trusted.
    pub trust: Trust,
    /// Longest time for one request or one scenario.
    pub timeout: Duration,
    /// The idle timeout the server is known to advertise, if the caller knows it: the
    /// idle-timeout scenario runs only when its assumption equals this. [H3-IDLE-001]
    pub server_idle_timeout: Option<Duration>,
}

/// A client for one server `https://HOST:PORT`, with its own tokio runtime.
pub struct H3Client {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    host: String,
    authority: String,
    crypto: Arc<quinn::crypto::rustls::QuicClientConfig>,
    /// The session store inside `crypto`.
    tickets: Arc<TicketStore>,
    verifier: Arc<Verifier>,
    opts: ClientOptions,
    endpoint: quinn::Endpoint,
    conn: Option<Conn>,
}

/// `https://HOST:PORT[/]` → (host, port). The port is required.
pub fn parse_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("`{url}`: an HTTP/3 URL starts with https://"))?;
    let rest = rest.trim_end_matches('/');
    if rest.contains('/') {
        return Err(format!("`{url}`: give https://HOST:PORT without a path"));
    }
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("`{url}`: the port is required (https://HOST:PORT)"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("`{url}`: bad port `{port}`"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("`{url}`: no host"));
    }
    Ok((host.to_owned(), port))
}

impl H3Client {
    /// A client for `url` (`https://HOST:PORT`). Nothing is sent yet.
    pub fn new(url: &str, opts: ClientOptions) -> Result<Self, String> {
        let (host, port) = parse_url(url)?;
        let addr = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("{host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host}: no address"))?;
        let verifier = Arc::new(Verifier {
            trust: opts.trust.clone(),
            provider: provider(),
            refused: Mutex::new(None),
        });
        let (crypto, tickets) = client_crypto(Arc::clone(&verifier))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let mut client = H3Client {
            endpoint: Self::endpoint_in(&runtime, addr)?,
            runtime,
            addr,
            authority: if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            },
            host,
            crypto,
            tickets,
            verifier,
            opts,
            conn: None,
        };
        client.endpoint.set_default_client_config(client.config());
        Ok(client)
    }

    fn endpoint_in(
        runtime: &tokio::runtime::Runtime,
        peer: SocketAddr,
    ) -> Result<quinn::Endpoint, String> {
        let _guard = runtime.enter();
        let local: SocketAddr = if peer.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        quinn::Endpoint::client(local).map_err(|e| format!("UDP socket: {e}"))
    }

    /// The quinn client config: no client-side idle timeout, so the server's governs.
    fn config(&self) -> quinn::ClientConfig {
        quinn_config(self.crypto.clone())
    }

    /// Connect with a full handshake and say `GET /health` with the kept connection; a
    /// certificate or ALPN problem is explained here. Answers `(status, body)`.
    pub fn hello(&mut self) -> Result<(u16, String), String> {
        self.send(script::Request {
            method: "GET",
            path: "/health",
            body: None,
        })
    }

    /// One request on the kept connection (reconnecting if it closed).
    pub fn send(&mut self, r: script::Request<'_>) -> Result<(u16, String), String> {
        let timeout = self.opts.timeout;
        let conn = self.conn.take().filter(|c| c.quic.close_reason().is_none());
        let endpoint = self.endpoint.clone();
        let (addr, host, authority) = (self.addr, self.host.clone(), self.authority.clone());
        let verifier = Arc::clone(&self.verifier);
        let (method, path, body) = (
            r.method.to_owned(),
            r.path.to_owned(),
            r.body.map(str::to_owned),
        );
        let result = self.runtime.block_on(async move {
            tokio::time::timeout(timeout, async move {
                let mut conn = match conn {
                    Some(c) => c,
                    None => connect(&endpoint, addr, &host, &verifier).await?,
                };
                let got =
                    request(&mut conn.send, &authority, &method, &path, body.as_deref()).await;
                got.map(|(s, b)| (s, b, conn))
            })
            .await
        });
        match result {
            Ok(Ok((status, body, conn))) => {
                self.conn = Some(conn);
                Ok((status, String::from_utf8_lossy(&body).into_owned()))
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("no answer within {:.1} s", timeout.as_secs_f64())),
        }
    }

    /// Play one `h3.scenario`. [H3-RUN-001]
    pub fn scenario(&mut self, args: &Value) -> Result<Value, ScenarioError> {
        let kind = args
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| ScenarioError::BadArgs("`kind` must be a string".into()))?;
        let mut budget = self.opts.timeout;
        if kind == "idle_timeout" {
            let ms = args
                .get("server_idle_timeout_ms")
                .and_then(Value::as_u64)
                .ok_or_else(|| {
                    ScenarioError::BadArgs("`server_idle_timeout_ms` must be an integer".into())
                })?;
            let assumed = Duration::from_millis(ms);
            if self.opts.server_idle_timeout != Some(assumed) {
                return Err(ScenarioError::Unsupported(format!(
                    "the scenario assumes a server idle timeout of {ms} ms; this target was told {}",
                    self.opts.server_idle_timeout.map_or_else(
                        || "nothing (give idle-timeout-ms=N)".to_owned(),
                        |d| format!("{} ms", d.as_millis())
                    )
                )));
            }
            // The wait itself is part of the scenario.
            budget = budget.max(assumed * 3 + Duration::from_secs(3));
        }
        // Each scenario on its own endpoint, sharing the TLS config (and so its tickets).
        let mut endpoint =
            Self::endpoint_in(&self.runtime, self.addr).map_err(ScenarioError::Transport)?;
        endpoint.set_default_client_config(self.config());
        let ctx = Ctx {
            endpoint,
            addr: self.addr,
            host: self.host.clone(),
            authority: self.authority.clone(),
            verifier: Arc::clone(&self.verifier),
            tickets: Arc::clone(&self.tickets),
        };
        let idle = self.opts.server_idle_timeout;
        let kind = kind.to_owned();
        let result = self.runtime.block_on(async move {
            let run = async {
                match kind.as_str() {
                    "zero_rtt_get" => ctx.zero_rtt(false).await,
                    "zero_rtt_post" => ctx.zero_rtt(true).await,
                    "response_headers" => ctx.headers().await,
                    "body_limit" => ctx.body_limit().await,
                    "migration" => ctx.migration().await,
                    "concurrent_streams" => ctx.concurrent().await,
                    "idle_timeout" => ctx.idle(idle.unwrap_or_default()).await,
                    other => Err(ScenarioError::BadArgs(format!("unknown kind `{other}`"))),
                }
            };
            let out = tokio::time::timeout(budget, run).await;
            ctx.endpoint.close(0u32.into(), b"done");
            out
        });
        result.unwrap_or(Err(ScenarioError::Timeout))
    }
}

/// Load generation for the HTTP/3 vs HTTP/1.1 benchmark (`reference/examples/h3_vs_h1.rs`,
/// reports/performance.md).
impl H3Client {
    /// Run `total` requests with at most `concurrency` in flight, each on its own request stream
    /// of the kept connection (connected and warmed by one `GET /health` first); request `i` is
    /// `reqs[i % reqs.len()]`, `(method, path, body)`. Answers each request's latency and the
    /// wall time of all. An answer other than 200, or none within the client's timeout, is an
    /// error.
    pub fn load(
        &mut self,
        reqs: &[(String, String, Option<String>)],
        total: usize,
        concurrency: usize,
    ) -> Result<(Vec<Duration>, Duration), String> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        if reqs.is_empty() {
            return Err("no requests".into());
        }
        self.hello()?;
        let send = self
            .conn
            .as_ref()
            .map(|c| c.send.clone())
            .ok_or("no connection")?;
        let (authority, timeout) = (self.authority.clone(), self.opts.timeout);
        let reqs = Arc::new(reqs.to_vec());
        let next = Arc::new(AtomicUsize::new(0));
        self.runtime.block_on(async move {
            let start = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..concurrency.max(1) {
                let (mut send, authority) = (send.clone(), authority.clone());
                let (reqs, next) = (Arc::clone(&reqs), Arc::clone(&next));
                tasks.push(tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            return Ok::<_, String>(latencies);
                        }
                        let (method, path, body) = &reqs[i % reqs.len()];
                        let t = Instant::now();
                        let one = request(&mut send, &authority, method, path, body.as_deref());
                        let (status, _) = tokio::time::timeout(timeout, one)
                            .await
                            .map_err(|_| format!("{method} {path}: no answer in time"))??;
                        if status != 200 {
                            return Err(format!("{method} {path}: status {status}"));
                        }
                        latencies.push(t.elapsed());
                    }
                }));
            }
            let mut all = Vec::with_capacity(total);
            for task in tasks {
                all.extend(task.await.map_err(|e| e.to_string())??);
            }
            Ok((all, start.elapsed()))
        })
    }

    /// Time one `GET /health` on a new connection, from `connect` to the complete answer (HTTP/3
    /// set-up included). With `resume` the connection resumes a session of this client and the
    /// request goes out as 0-RTT early data (when the client holds no ticket, a full handshake
    /// with two requests fetches one first, untimed); without, a client with an empty session
    /// store makes a full handshake. Answers the time and whether the server accepted the early
    /// data (false without `resume`).
    pub fn first_request(&mut self, resume: bool) -> Result<(Duration, bool), String> {
        let endpoint = self.endpoint.clone();
        let (addr, host, authority) = (self.addr, self.host.clone(), self.authority.clone());
        let verifier = Arc::clone(&self.verifier);
        let tickets = Arc::clone(&self.tickets);
        let config = if resume {
            self.config()
        } else {
            quinn_config(client_crypto(Arc::clone(&verifier))?.0)
        };
        let timeout = self.opts.timeout;
        let health = |status: u16| {
            if status == 200 {
                Ok(())
            } else {
                Err(format!("GET /health: status {status}"))
            }
        };
        let run = async move {
            for _ in 0..2 {
                let start = Instant::now();
                let connecting = endpoint
                    .connect_with(config.clone(), addr, &host)
                    .map_err(|e| format!("connect to {addr}: {e}"))?;
                if !resume {
                    let quic = connecting.await.map_err(|e| explain(e, &verifier))?;
                    let mut conn = h3_over(quic).await?;
                    let (status, _) =
                        request(&mut conn.send, &authority, "GET", "/health", None).await?;
                    let elapsed = start.elapsed();
                    conn.quic.close(0u32.into(), b"done");
                    health(status)?;
                    return Ok((elapsed, false));
                }
                match connecting.into_0rtt() {
                    Ok((quic, accepted)) => {
                        let mut conn = h3_over(quic).await?;
                        let (status, _) =
                            request(&mut conn.send, &authority, "GET", "/health", None).await?;
                        let elapsed = start.elapsed();
                        let accepted = accepted.await;
                        conn.quic.close(0u32.into(), b"done");
                        health(status)?;
                        return Ok((elapsed, accepted));
                    }
                    Err(connecting) => {
                        // No ticket yet: a full handshake leaves some; wait for one.
                        let before = tickets.received();
                        let quic = connecting.await.map_err(|e| explain(e, &verifier))?;
                        let mut conn = h3_over(quic).await?;
                        request(&mut conn.send, &authority, "GET", "/health", None).await?;
                        tickets.wait_beyond(before).await;
                        conn.quic.close(0u32.into(), b"done");
                    }
                }
            }
            Err("no session ticket after a full handshake".to_owned())
        };
        self.runtime
            .block_on(async move { tokio::time::timeout(timeout, run).await })
            .unwrap_or_else(|_| Err(format!("no answer within {:.1} s", timeout.as_secs_f64())))
    }
}

/// The client's TLS for QUIC: TLS 1.3 only, ALPN `h3`, early data on, certificates checked by
/// `verifier`; each call has its own, empty, session store, answered beside the config.
fn client_crypto(
    verifier: Arc<Verifier>,
) -> Result<
    (
        Arc<quinn::crypto::rustls::QuicClientConfig>,
        Arc<TicketStore>,
    ),
    String,
> {
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::clone(&verifier.provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.enable_early_data = true;
    let tickets = Arc::new(TicketStore::default());
    tls.resumption = rustls::client::Resumption::store(tickets.clone());
    Ok((
        Arc::new(
            quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| e.to_string())?,
        ),
        tickets,
    ))
}

/// Longest wait for the session ticket of a full handshake before resuming.
const TICKET_WAIT: Duration = Duration::from_secs(3);

/// The client's session store: rustls's in-memory cache, counting the TLS 1.3 tickets it
/// receives. The server sends its tickets after the handshake, in no fixed order with the
/// answers; a 0-RTT scenario waits until one has arrived instead of hoping that a second
/// request gave it time (on a loaded machine it did not always).
#[derive(Debug)]
struct TicketStore {
    inner: rustls::client::ClientSessionMemoryCache,
    received: std::sync::atomic::AtomicUsize,
}

impl Default for TicketStore {
    fn default() -> Self {
        TicketStore {
            // rustls's default size.
            inner: rustls::client::ClientSessionMemoryCache::new(256),
            received: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

impl TicketStore {
    /// Tickets received so far.
    fn received(&self) -> usize {
        self.received.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Wait until more than `before` tickets have arrived, at most [`TICKET_WAIT`]; answers
    /// whether they did.
    async fn wait_beyond(&self, before: usize) -> bool {
        let start = Instant::now();
        while self.received() <= before {
            if start.elapsed() >= TICKET_WAIT {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        true
    }
}

impl rustls::client::ClientSessionStore for TicketStore {
    fn set_kx_hint(
        &self,
        server_name: rustls::pki_types::ServerName<'static>,
        group: rustls::NamedGroup,
    ) {
        self.inner.set_kx_hint(server_name, group)
    }

    fn kx_hint(
        &self,
        server_name: &rustls::pki_types::ServerName<'_>,
    ) -> Option<rustls::NamedGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(
        &self,
        server_name: rustls::pki_types::ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(server_name, value)
    }

    fn tls12_session(
        &self,
        server_name: &rustls::pki_types::ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &rustls::pki_types::ServerName<'static>) {
        self.inner.remove_tls12_session(server_name)
    }

    fn insert_tls13_ticket(
        &self,
        server_name: rustls::pki_types::ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        self.inner.insert_tls13_ticket(server_name, value);
        self.received
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &rustls::pki_types::ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        self.inner.take_tls13_ticket(server_name)
    }
}

/// A quinn client config on `crypto`: no client-side idle timeout, so the server's governs.
fn quinn_config(crypto: Arc<quinn::crypto::rustls::QuicClientConfig>) -> quinn::ClientConfig {
    let mut config = quinn::ClientConfig::new(crypto);
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(None);
    config.transport_config(Arc::new(transport));
    config
}

impl Drop for H3Client {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            c.quic.close(0u32.into(), b"bye");
        }
    }
}

/// Connect with a full handshake and start HTTP/3 on the connection.
async fn connect(
    endpoint: &quinn::Endpoint,
    addr: SocketAddr,
    host: &str,
    verifier: &Verifier,
) -> Result<Conn, String> {
    let connecting = endpoint
        .connect(addr, host)
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    let quic = connecting.await.map_err(|e| explain(e, verifier))?;
    h3_over(quic).await
}

/// A connection error, with the fingerprint a pinned certificate did not match.
fn explain(e: quinn::ConnectionError, verifier: &Verifier) -> String {
    let refused = verifier
        .refused
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    match refused {
        Some(got) => format!(
            "the server's certificate (SHA-256 {got}) does not match the pinned fingerprint"
        ),
        None => format!("QUIC handshake: {e}"),
    }
}

async fn h3_over(quic: quinn::Connection) -> Result<Conn, String> {
    let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(quic.clone()))
        .await
        .map_err(|e| format!("HTTP/3 setup: {e}"))?;
    tokio::spawn(async move {
        let _ = std::future::poll_fn(|cx| driver.poll_close(cx)).await;
    });
    Ok(Conn { quic, send })
}

fn build(
    authority: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<http::Request<()>, String> {
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!("https://{authority}{path}"));
    if let Some(b) = body {
        req = req
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::CONTENT_LENGTH, b.len());
    }
    req.body(()).map_err(|e| format!("{method} {path}: {e}"))
}

/// One whole request: headers, body, then the response's status and body.
async fn request(
    send: &mut SendRequest,
    authority: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, Bytes), String> {
    let req = build(authority, method, path, body)?;
    let what = format!("{method} {path}");
    let mut stream = send
        .send_request(req)
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    let mut sent = Ok(());
    if let Some(b) = body {
        sent = stream.send_data(Bytes::copy_from_slice(b.as_bytes())).await;
    }
    if sent.is_ok() {
        sent = stream.finish().await;
    }
    match sent {
        Ok(()) => response(&mut stream, &what).await,
        // RFC 9114 §4.1.2: a server may answer before it has read the whole request and stop
        // the upload; the client must not discard that complete response. The failed send is
        // the outcome only when no response follows.
        Err(e) => response(&mut stream, &what)
            .await
            .map_err(|_| format!("{what}: {e}")),
    }
}

type ReqStream = h3::client::RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>;

async fn response(stream: &mut ReqStream, what: &str) -> Result<(u16, Bytes), String> {
    let resp = stream
        .recv_response()
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    let mut body = Vec::new();
    while let Some(mut chunk) = stream
        .recv_data()
        .await
        .map_err(|e| format!("{what}: {e}"))?
    {
        while chunk.has_remaining() {
            let part = chunk.chunk();
            body.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok((resp.status().as_u16(), Bytes::from(body)))
}

/// `{status, body}` with the body parsed as JSON (text if it is not), `/version` redacted.
fn answer((status, body): &(u16, Bytes)) -> Value {
    let text = String::from_utf8_lossy(body);
    let mut body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()))
    };
    if let Some(v) = body.get_mut("version") {
        *v = json!("*");
    }
    json!({ "status": status, "body": body })
}

/// The JSON a scenario compresses: upstream and the reference answer `/compress` with
/// `algorithm: none` identically (chapter http).
pub const COMPRESS_BODY: &str =
    r#"{"content":"{\"model\":\"gpt-4o\",\"messages\":[]}","algorithm":"none"}"#;

struct Ctx {
    endpoint: quinn::Endpoint,
    addr: SocketAddr,
    host: String,
    authority: String,
    verifier: Arc<Verifier>,
    tickets: Arc<TicketStore>,
}

fn transport(e: String) -> ScenarioError {
    ScenarioError::Transport(e)
}

impl Ctx {
    async fn connect(&self) -> Result<Conn, ScenarioError> {
        connect(&self.endpoint, self.addr, &self.host, &self.verifier)
            .await
            .map_err(transport)
    }

    async fn get_health(&self, conn: &mut Conn) -> Result<(u16, Bytes), ScenarioError> {
        request(&mut conn.send, &self.authority, "GET", "/health", None)
            .await
            .map_err(transport)
    }

    async fn post_compress(&self, conn: &mut Conn) -> Result<(u16, Bytes), ScenarioError> {
        let body = Some(COMPRESS_BODY);
        request(&mut conn.send, &self.authority, "POST", "/compress", body)
            .await
            .map_err(transport)
    }

    /// A full handshake (which leaves a session ticket), then a resumed connection whose
    /// request goes out as 0-RTT data before the handshake completes: `GET /health`, or with
    /// `post` a `POST /compress`. A POST answered 425 is retried once the handshake is
    /// complete (RFC 8470 §5.2). [H3-0RTT-001] [H3-0RTT-002]
    async fn zero_rtt(&self, post: bool) -> Result<Value, ScenarioError> {
        let before = self.tickets.received();
        let mut first = self.connect().await?;
        let first_get = self.get_health(&mut first).await?;
        // The ticket travels after the handshake: resume only once it is here.
        self.tickets.wait_beyond(before).await;
        first.quic.close(0u32.into(), b"done");
        let connecting = self
            .endpoint
            .connect(self.addr, &self.host)
            .map_err(|e| transport(e.to_string()))?;
        let (quic, accepted) = match connecting.into_0rtt() {
            Ok(pair) => pair,
            Err(connecting) => {
                let _ = connecting.await;
                return Ok(json!({ "first": answer(&first_get), "resumed_0rtt": false }));
            }
        };
        let mut conn = h3_over(quic).await.map_err(transport)?;
        let early = if post {
            self.post_compress(&mut conn).await?
        } else {
            self.get_health(&mut conn).await?
        };
        let accepted = accepted.await;
        let mut out = json!({ "first": answer(&first_get), "resumed_0rtt": accepted });
        if post {
            let first_status = early.0;
            let last = if first_status == 425 {
                self.post_compress(&mut conn).await?
            } else {
                early
            };
            out["early_post"] = answer(&last);
            // 425 or the final answer itself: never another refusal. [H3-0RTT-002]
            out["early_post_first_answer_allowed"] =
                json!(first_status == 425 || first_status == last.0);
        } else {
            out["early_get"] = answer(&early);
        }
        conn.quic.close(0u32.into(), b"done");
        Ok(out)
    }

    /// `content-type` of a JSON answer, a text answer and an empty 404. [H3-MAP-002]
    async fn headers(&self) -> Result<Value, ScenarioError> {
        let mut conn = self.connect().await?;
        let mut out = serde_json::Map::new();
        for (name, method, path, body) in [
            ("health", "GET", "/health", None),
            ("bad_json", "POST", "/compress", Some("{not json")),
            ("compress", "POST", "/compress", Some(COMPRESS_BODY)),
        ] {
            let req = build(&self.authority, method, path, body).map_err(transport)?;
            let what = format!("{method} {path}");
            let mut stream = conn
                .send
                .send_request(req)
                .await
                .map_err(|e| transport(format!("{what}: {e}")))?;
            if let Some(b) = body {
                stream
                    .send_data(Bytes::copy_from_slice(b.as_bytes()))
                    .await
                    .map_err(|e| transport(format!("{what}: {e}")))?;
            }
            stream
                .finish()
                .await
                .map_err(|e| transport(format!("{what}: {e}")))?;
            let resp = stream
                .recv_response()
                .await
                .map_err(|e| transport(format!("{what}: {e}")))?;
            let header = |h: http::header::HeaderName| {
                resp.headers()
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
            };
            out.insert(
                name.to_owned(),
                json!({
                    "status": resp.status().as_u16(),
                    "content_type": header(http::header::CONTENT_TYPE),
                }),
            );
            while let Ok(Some(_)) = stream.recv_data().await {}
        }
        conn.quic.close(0u32.into(), b"done");
        Ok(Value::Object(out))
    }

    /// A POST declaring a body one byte over 16 MiB, of which 1 KiB is sent: the server
    /// answers 413 without waiting for the rest (within 5 s). [H3-MAP-003]
    async fn body_limit(&self) -> Result<Value, ScenarioError> {
        let mut conn = self.connect().await?;
        let declared = crate::wire::limits::DEFAULT_LIMIT as u64 + 1;
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("https://{}/compress", self.authority))
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::CONTENT_LENGTH, declared)
            .body(())
            .map_err(|e| transport(e.to_string()))?;
        let mut stream = conn
            .send
            .send_request(req)
            .await
            .map_err(|e| transport(format!("POST /compress: {e}")))?;
        let _ = stream.send_data(Bytes::from(vec![b' '; 1024])).await;
        let status =
            match tokio::time::timeout(Duration::from_secs(5), stream.recv_response()).await {
                Ok(Ok(resp)) => json!(resp.status().as_u16()),
                Ok(Err(e)) => json!(format!("stream failed: {e}")),
                Err(_) => Value::Null,
            };
        conn.quic.close(0u32.into(), b"done");
        let mut again = self.connect().await?;
        let after = self.get_health(&mut again).await?;
        again.quic.close(0u32.into(), b"done");
        Ok(json!({ "status": status, "then_health": answer(&after) }))
    }

    /// A request, a new UDP socket for the client (new source port), a request on the same
    /// connection. [H3-MIGRATE-001]
    async fn migration(&self) -> Result<Value, ScenarioError> {
        let mut conn = self.connect().await?;
        let before = self.get_health(&mut conn).await?;
        let old = self
            .endpoint
            .local_addr()
            .map_err(|e| transport(e.to_string()))?;
        let bind: SocketAddr = if self.addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = std::net::UdpSocket::bind(bind).map_err(|e| transport(e.to_string()))?;
        self.endpoint
            .rebind(socket)
            .map_err(|e| transport(format!("rebind: {e}")))?;
        let new = self
            .endpoint
            .local_addr()
            .map_err(|e| transport(e.to_string()))?;
        let id = conn.quic.stable_id();
        let after = self.get_health(&mut conn).await?;
        let same = conn.quic.stable_id() == id && conn.quic.close_reason().is_none();
        conn.quic.close(0u32.into(), b"done");
        Ok(json!({
            "before": answer(&before),
            "rebound": old.port() != new.port(),
            "after": answer(&after),
            "same_connection": same,
        }))
    }

    /// Stream A sends a POST's headers and half its body and stalls; stream B's GET must
    /// complete meanwhile; then A completes. [H3-STREAM-001]
    async fn concurrent(&self) -> Result<Value, ScenarioError> {
        let mut conn = self.connect().await?;
        let req =
            build(&self.authority, "POST", "/compress", Some(COMPRESS_BODY)).map_err(transport)?;
        let mut a = conn
            .send
            .send_request(req)
            .await
            .map_err(|e| transport(format!("stream A: {e}")))?;
        let (head, tail) = COMPRESS_BODY.as_bytes().split_at(COMPRESS_BODY.len() / 2);
        a.send_data(Bytes::copy_from_slice(head))
            .await
            .map_err(|e| transport(format!("stream A: {e}")))?;
        let b = tokio::time::timeout(Duration::from_secs(5), self.get_health(&mut conn)).await;
        let b_while_a_stalled = b.is_ok();
        let b = match b {
            Ok(r) => r?,
            Err(_) => (0, Bytes::new()),
        };
        a.send_data(Bytes::copy_from_slice(tail))
            .await
            .map_err(|e| transport(format!("stream A: {e}")))?;
        a.finish()
            .await
            .map_err(|e| transport(format!("stream A: {e}")))?;
        let a = response(&mut a, "stream A").await.map_err(transport)?;
        conn.quic.close(0u32.into(), b"done");
        Ok(json!({
            "b": answer(&b),
            "b_completed_while_a_stalled": b_while_a_stalled,
            "a": answer(&a),
        }))
    }

    /// A connection left idle is closed by the idle timeout the server advertised: not
    /// before it, and within three times it (RFC 9000 §10.1 lets an endpoint wait for
    /// 3 PTO); a new connection then works. [H3-IDLE-001]
    async fn idle(&self, timeout: Duration) -> Result<Value, ScenarioError> {
        let mut conn = self.connect().await?;
        let before = self.get_health(&mut conn).await?;
        let idle_from = Instant::now();
        let limit = timeout * 3 + Duration::from_secs(1);
        let closed = tokio::time::timeout(limit, conn.quic.closed()).await;
        let waited = idle_from.elapsed();
        let (reason, in_bounds) = match closed {
            Ok(quinn::ConnectionError::TimedOut) => (
                "timed_out".to_owned(),
                waited + Duration::from_millis(50) >= timeout,
            ),
            Ok(other) => (format!("closed: {other}"), false),
            Err(_) => ("still open".to_owned(), false),
        };
        drop(conn);
        let mut again = self.connect().await?;
        let after = self.get_health(&mut again).await?;
        again.quic.close(0u32.into(), b"done");
        Ok(json!({
            "before": answer(&before),
            "idle_close": reason,
            "closed_after_timeout_not_before": in_bounds,
            "new_connection": answer(&after),
        }))
    }
}
