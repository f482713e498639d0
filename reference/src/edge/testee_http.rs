//! The reference as an HTTP testee (`serve-testee --http ADDR`, in `m2m-ref` and
//! `m2m-conformance`): `GET /v1/hello` and `POST /v1/run` around
//! [`crate::testee::handle_line`], the same dispatcher as the stdin testee and the harness's
//! in-process target. Served by [`super::http`]: concurrent connections, timeouts, and bodies
//! over [`crate::testee::MAX_REQUEST_BYTES`] refused with 413 without being read.
//! [TESTEE-HTTP-001] [TESTEE-HTTP-002] [TESTEE-HTTP-005]

use std::sync::Arc;
use std::time::Duration;

use super::http::{self, Limits, Req, Resp};

/// The bounds of the testee server: requests up to 256 MiB, 120 s to send one.
pub fn limits() -> Limits {
    Limits {
        body_timeout: Duration::from_secs(120),
        max_body: crate::testee::MAX_REQUEST_BYTES as u64,
        ..Limits::default()
    }
}

/// A bound, not yet serving, HTTP testee.
pub struct HttpTestee {
    listener: std::net::TcpListener,
}

impl HttpTestee {
    /// Bind `addr` (`127.0.0.1:0` picks a free port).
    pub fn bind(addr: &str) -> Result<Self, String> {
        let listener = http::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        Ok(HttpTestee { listener })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serve until the process ends.
    pub fn run(self) -> std::io::Result<()> {
        http::serve(self.listener, limits(), Arc::new(answer), None)
    }
}

fn json(status: u16, body: String) -> Resp {
    Resp {
        status,
        content_type: Some("application/json"),
        body: body.into_bytes(),
    }
}

/// One request of the testee protocol over HTTP. [TESTEE-HTTP-002] [TESTEE-HTTP-005]
pub fn answer(req: Req) -> Resp {
    let path = req.path.split('?').next().unwrap_or(&req.path);
    match (req.method.as_str(), path) {
        ("GET", "/v1/hello") => json(200, crate::testee::hello().to_string()),
        ("POST", "/v1/run") => {
            // A body that is not a request (not UTF-8, not JSON) answers `bad_args`, status
            // 200, like a bad stdin line (TESTEE-MSG-006).
            let body = req.body.trim_ascii();
            json(200, crate::testee::handle_bytes(body))
        }
        (_, "/v1/hello" | "/v1/run") => json(405, r#"{"error":"method not allowed"}"#.into()),
        _ => json(404, r#"{"error":"not found"}"#.into()),
    }
}
