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
}

impl ApiServer {
    /// Bind and build the core: the agent id is `m2m-ref-` and a random session id.
    pub fn bind(opts: Options) -> Result<Self, String> {
        let listener =
            http::bind(&opts.addr).map_err(|e| format!("cannot listen on {}: {e}", opts.addr))?;
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
        Ok(ApiServer {
            listener,
            opts,
            core: Arc::new(Mutex::new(core)),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serve until the process ends.
    pub fn run(self) -> std::io::Result<()> {
        let core = Arc::clone(&self.core);
        let handler = Arc::new(move |req: Req| handle(&core, req));
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
        http::serve(
            self.listener,
            self.opts.limits,
            handler,
            Some((self.opts.sweep_every, sweep)),
        )
    }
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
