//! `m2m-ref server`: the HTTP API of spec chapter `http` on a socket. The sans-IO
//! [`crate::server::Server`] answers every request under a lock; this edge reads the clock,
//! draws session ids from the OS, and sweeps expired sessions every [`SWEEP_EVERY`].
//! [HTTP-API-001] [HTTP-SESSION-004] [HTTP-LIMIT-001] [HTTP-LIMIT-002]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::http::{self, Limits, Req, Resp};
use crate::server::security::Security;
use crate::server::{Body, Server, ServerConfig};

/// How often the edge sweeps expired sessions out of memory. [HTTP-SESSION-004]
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Settings of `m2m-ref server`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind, e.g. `127.0.0.1:3000`.
    pub addr: String,
    /// Session lifetime in ms (default [`crate::server::SESSION_IDLE_MS`]).
    pub session_idle_ms: u64,
    /// Connection and body bounds.
    pub limits: Limits,
    /// Sweep period.
    pub sweep_every: Duration,
    /// Called after a sweep that freed sessions, outside the lock: the binary hands the freed
    /// heap back to the system here (glibc keeps it in the arenas of the threads that freed it,
    /// so RSS would otherwise stay at the wave's peak). [HTTP-SESSION-004]
    pub after_sweep: Option<fn()>,
    /// Security settings (`--no-security`, `--blocking`, `--threshold`, `--model`; default
    /// security on). [SEC-CONF-001]
    pub security: Security,
}

impl Options {
    /// The defaults on `addr`.
    pub fn new(addr: &str) -> Self {
        Options {
            addr: addr.to_owned(),
            session_idle_ms: crate::server::SESSION_IDLE_MS,
            limits: Limits::default(),
            sweep_every: SWEEP_EVERY,
            after_sweep: None,
            security: Security::default(),
        }
    }
}

/// A bound server, not yet serving.
pub struct ApiServer {
    listener: std::net::TcpListener,
    opts: Options,
    core: Arc<Mutex<Server>>,
    /// HTTP/3 on the same port number over UDP (`--h3`), if enabled.
    #[cfg(feature = "h3")]
    h3: Option<(std::net::UdpSocket, quinn::ServerConfig)>,
}

impl ApiServer {
    /// Bind and build the core: the agent id is `m2m-ref-` and a random session id.
    pub fn bind(opts: Options) -> Result<Self, String> {
        let listener =
            http::bind(&opts.addr).map_err(|e| format!("cannot listen on {}: {e}", opts.addr))?;
        let core = core(&opts)?;
        Ok(ApiServer {
            listener,
            opts,
            core,
            #[cfg(feature = "h3")]
            h3: None,
        })
    }

    /// Also serve HTTP/3 on UDP, on the port the TCP listener got, with `identity` and the idle
    /// timeout `idle`; same core, same limits. [H3-API-001]
    #[cfg(feature = "h3")]
    pub fn enable_h3(
        &mut self,
        identity: super::h3::Identity,
        idle: Duration,
    ) -> Result<(), String> {
        let addr = self
            .listener
            .local_addr()
            .map_err(|e| format!("no local address: {e}"))?;
        let socket =
            super::h3::bind_udp(addr).map_err(|e| format!("cannot listen on udp {addr}: {e}"))?;
        self.h3 = Some((socket, super::h3::server_config(identity, idle)?));
        Ok(())
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serve until the process ends.
    pub fn run(self) -> std::io::Result<()> {
        let handler = handler(Arc::clone(&self.core));
        let core = Arc::clone(&self.core);
        let after_sweep = self.opts.after_sweep;
        let sweep = Arc::new(move || {
            let freed = core
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .sweep(super::now_ms());
            if let (true, Some(hook)) = (freed > 0, after_sweep) {
                hook();
            }
        });
        let limits = self.opts.limits;
        let tick: Option<(Duration, Arc<dyn Fn() + Send + Sync>)> =
            Some((self.opts.sweep_every, sweep));
        http::runtime()?.block_on(async move {
            #[cfg(feature = "h3")]
            if let Some((socket, config)) = self.h3 {
                let handler = Arc::clone(&handler);
                tokio::spawn(super::h3::serve(socket, config, limits, handler));
            }
            http::serve_async(self.listener, limits, handler, tick).await
        })
    }
}

/// A fresh core for `opts`: the agent id is `m2m-ref-` and a random session id.
pub fn core(opts: &Options) -> Result<Arc<Mutex<Server>>, String> {
    let agent = super::session_id().map_err(|e| format!("no OS randomness: {e}"))?;
    let core = Server::new(
        ServerConfig {
            agent_id: format!("m2m-ref-{agent}"),
            version: crate::VERSION.into(),
        },
        super::now_ms(),
    )
    .with_session_idle_ms(opts.session_idle_ms)
    .with_security(opts.security);
    Ok(Arc::new(Mutex::new(core)))
}

/// The request handler of a core, shared by the HTTP/1.1 and HTTP/3 edges.
pub fn handler(core: Arc<Mutex<Server>>) -> Arc<http::Handler> {
    Arc::new(move |req: Req| handle(&core, req))
}

fn handle(core: &Mutex<Server>, req: Req) -> Resp {
    let Ok(body) = std::str::from_utf8(&req.body) else {
        return Resp::text(400, "Failed to parse the request body as JSON: not UTF-8");
    };
    // Drawn before the lock, used only if the request creates a session.
    let id = match super::session_id() {
        Ok(id) => id,
        Err(e) => return Resp::text(503, &format!("no OS randomness: {e}")),
    };
    let mut fresh = Some(id);
    let mut new_id = || fresh.take().unwrap_or_default();
    let resp = {
        let mut s = core.lock().unwrap_or_else(|p| p.into_inner());
        s.handle(&req.method, &req.path, body, super::now_ms(), &mut new_id)
    };
    let (content_type, body) = match resp.body {
        Body::Empty => (None, Vec::new()),
        Body::Text(t) => (Some("text/plain; charset=utf-8"), t.into_bytes()),
        Body::Json(t) => (Some("application/json"), t.into_bytes()),
    };
    Resp {
        status: resp.status,
        content_type,
        body,
    }
}
