//! The reference as an HTTP testee: `m2m-conformance serve-testee --http ADDR`.
//!
//! The I/O edge around [`m2m_reference::testee::handle_line`]: the same dispatcher as the stdin
//! testee and the in-process target, so the three paths test the same code.
//! [TESTEE-HTTP-001] [TESTEE-HTTP-002] [TESTEE-HTTP-005]

use std::io::Read;
use std::net::SocketAddr;

use tiny_http::{Header, Method, Response, Server};

/// Longest request body the server reads (256 MiB); a longer one gets a `bad_args` response.
pub const MAX_REQUEST_BYTES: u64 = 256 * 1024 * 1024;

/// A bound, not yet serving, HTTP testee.
pub struct HttpTestee {
    server: Server,
}

impl HttpTestee {
    /// Bind `addr` (`127.0.0.1:0` picks a free port).
    pub fn bind(addr: &str) -> Result<Self, String> {
        let server = Server::http(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        Ok(HttpTestee { server })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }

    /// Serve requests one at a time until the process ends.
    pub fn run(self) {
        for mut request in self.server.incoming_requests() {
            let method = request.method().clone();
            let url = request.url().to_owned();
            let (status, body) = answer(&method, &url, &mut request);
            let response = Response::from_string(body)
                .with_status_code(status)
                .with_header(json_header());
            // A client that went away is its own problem; keep serving.
            let _ = request.respond(response);
        }
    }
}

fn json_header() -> Header {
    Header::from_bytes(&b"content-type"[..], &b"application/json"[..])
        .unwrap_or_else(|()| unreachable!("static header is valid"))
}

fn answer(method: &Method, url: &str, request: &mut tiny_http::Request) -> (u16, String) {
    let path = url.split('?').next().unwrap_or(url);
    match (method, path) {
        (Method::Get, "/v1/hello") => (200, m2m_reference::testee::hello().to_string()),
        (Method::Post, "/v1/run") => {
            let mut body = Vec::new();
            let read = request
                .as_reader()
                .take(MAX_REQUEST_BYTES + 1)
                .read_to_end(&mut body);
            let line = match read {
                Ok(_) if body.len() as u64 <= MAX_REQUEST_BYTES => {
                    String::from_utf8_lossy(&body).into_owned()
                }
                _ => String::new(),
            };
            // An unreadable body answers `bad_args` with id null, like a bad stdin line.
            (200, m2m_reference::testee::handle_line(line.trim()))
        }
        (_, "/v1/hello" | "/v1/run") => (405, r#"{"error":"method not allowed"}"#.to_owned()),
        _ => (404, r#"{"error":"not found"}"#.to_owned()),
    }
}
