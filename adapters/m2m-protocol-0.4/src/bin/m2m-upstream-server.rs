//! Upstream's HTTP server, exactly as `m2m server` of m2m-protocol 0.4.0 starts it
//! (`src/bin/m2m.rs` `cmd_server`: `ServerConfig`, `AppState::new`, `create_router`,
//! `axum::serve`), built from the published crate's public API so that it reuses this adapter's
//! compiled copy of the crate. Certify it with
//! `m2m-conformance certify --target m2m-http:http://127.0.0.1:PORT`.
//!
//! Usage: `m2m-upstream-server [-p/--port P] [--host H] [--bind-all] [--no-security]
//! [--blocking] [--threshold T] [--model PATH]`, with `m2m server`'s defaults and mapping (spec
//! chapter `security` §1): port 3000 on 127.0.0.1, security on; `--bind-all` overrides `--host`;
//! `--no-security` wins over `--blocking`; `--threshold` (default 0.8) is used only with
//! `--blocking`; `--model` is handed to the config (upstream's loader never fails).

use std::net::SocketAddr;
use std::sync::Arc;

use m2m::server::{create_router, AppState, ServerConfig};

fn usage(e: &str) -> std::process::ExitCode {
    eprintln!("m2m-upstream-server: {e}");
    std::process::ExitCode::from(2)
}

fn main() -> std::process::ExitCode {
    let mut port: u16 = 3000;
    let mut host = "127.0.0.1".to_owned();
    let mut bind_all = false;
    let mut security = true;
    let mut blocking = false;
    let mut threshold: f32 = 0.8;
    let mut model: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (a.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(what.to_owned())
        };
        match name.as_str() {
            "--port" | "-p" => match value("--port needs a number").map(|p| p.parse()) {
                Ok(Ok(p)) => port = p,
                _ => return usage("--port needs a number"),
            },
            "--host" => match value("--host needs a value") {
                Ok(h) => host = h,
                Err(e) => return usage(&e),
            },
            "--threshold" => match value("--threshold needs a number").map(|t| t.parse()) {
                Ok(Ok(t)) => threshold = t,
                _ => return usage("--threshold needs a number"),
            },
            "--model" => match value("--model needs a path") {
                Ok(m) => model = Some(m),
                Err(e) => return usage(&e),
            },
            "--bind-all" => bind_all = true,
            "--no-security" => security = false,
            "--blocking" => blocking = true,
            "-v" | "--verbose" => {}
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    // m2m.rs: the address is "{host}:{port}" parsed, or 0.0.0.0 with --bind-all.
    let addr: SocketAddr = if bind_all {
        ([0, 0, 0, 0], port).into()
    } else {
        match format!("{host}:{port}").parse() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("Error: {e}");
                return std::process::ExitCode::from(1);
            }
        }
    };
    let mut config = ServerConfig::default().with_addr(addr);
    if !security {
        config = config.without_security();
    } else if blocking {
        config = config.with_security_blocking(threshold);
    }
    if let Some(m) = &model {
        config = config.with_model(m);
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
