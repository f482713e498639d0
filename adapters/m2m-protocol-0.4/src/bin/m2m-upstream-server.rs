//! Upstream's HTTP server, exactly as `m2m server` of m2m-protocol 0.4.0 starts it
//! (`src/bin/m2m.rs` `cmd_server`: `ServerConfig`, `AppState::new`, `create_router`,
//! `axum::serve`), built from the published crate's public API so that it reuses this adapter's
//! compiled copy of the crate. Certify it with
//! `m2m-conformance certify --target m2m-http:http://127.0.0.1:PORT`.
//!
//! Usage: `m2m-upstream-server [--port P] [--no-security]` (default port 3000, security on as
//! upstream's default; the http chapter's vectors use benign content, so either works).

use std::net::SocketAddr;
use std::sync::Arc;

use m2m::server::{create_router, AppState, ServerConfig};

fn main() -> std::process::ExitCode {
    let mut port: u16 = 3000;
    let mut security = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" | "-p" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!("--port needs a number");
                    return std::process::ExitCode::from(2);
                }
            },
            "--no-security" => security = false,
            other => {
                eprintln!("unknown argument {other}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut config = ServerConfig::default().with_addr(addr);
    if !security {
        config = config.without_security();
    }
    let app = create_router(Arc::new(AppState::new(config)));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!("m2m-protocol 0.4.0 server listening on http://{addr}");
        axum::serve(listener, app).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
