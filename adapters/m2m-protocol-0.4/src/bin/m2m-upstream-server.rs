//! Upstream's HTTP server, exactly as `m2m server` of m2m-protocol 0.4.0 starts it
//! (`src/bin/m2m.rs` `cmd_server`: `ServerConfig`, `AppState::new`, `create_router`,
//! `axum::serve`), built from the published crate's public API so that it reuses this adapter's
//! compiled copy of the crate. Certify it with
//! `m2m-conformance certify --target m2m-http:http://127.0.0.1:PORT`.
//!
//! Usage: `m2m-upstream-server [-p/--port P] [--host H] [--bind-all] [--no-security]
//! [--blocking] [--threshold T] [--model PATH] [--quic [--quic-idle-timeout SECS]]`, with
//! `m2m server`'s defaults and mapping (spec chapter `security` §1): port 3000 on 127.0.0.1,
//! security on; `--bind-all` overrides `--host`; `--no-security` wins over `--blocking`;
//! `--threshold` (default 0.8) is used only with `--blocking`; `--model` is handed to the config
//! (upstream's loader never fails). Port 0 picks a free port.
//!
//! `--quic` (spec chapter `h3`) also serves the same router over HTTP/3 with upstream's own
//! `QuicTransport` (`QuicTransportConfig::development()` on UDP, same address and port number
//! as TCP), which `m2m server` cannot start. Certify it with
//! `m2m-conformance certify --target m2m-h3:https://127.0.0.1:PORT`. Upstream makes a new
//! self-signed certificate inside `CertConfig::load` and keeps no handle to it, so the adapter
//! calls that same `load()` of `CertConfig::development()` itself, hashes the certificate, and
//! hands the identical DER certificate and key to the transport as `CertConfig::Raw` (which upstream
//! wraps unchecked): the certificate is upstream's, and its fingerprint can be printed.
//! `--quic-idle-timeout SECS` (fractions allowed, 0.001 to 600) sets `with_idle_timeout`
//! (upstream's default 30 s).
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use m2m::server::{create_router, AppState, ServerConfig};
use m2m::transport::CertConfig;
use m2m::{QuicTransport, QuicTransportConfig, Transport};
use sha2::{Digest, Sha256};

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
    let mut quic = false;
    let mut idle: Option<Duration> = None;
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
            "--quic-idle-timeout" => {
                match value("--quic-idle-timeout needs seconds").map(|t| t.parse::<f64>()) {
                    Ok(Ok(t)) if (0.001..=600.0).contains(&t) => {
                        idle = Some(Duration::from_secs_f64(t));
                    }
                    _ => return usage("--quic-idle-timeout needs seconds"),
                }
            }
            "--quic" => quic = true,
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
    if idle.is_some() && !quic {
        return usage("--quic-idle-timeout needs --quic");
    }
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        // With port 0 the OS picks the TCP port; QUIC takes the same number on UDP.
        let addr = listener.local_addr()?;
        let tcp = axum::serve(listener, app.clone());
        if !quic {
            eprintln!("m2m-protocol 0.4.0 server listening on http://{addr}");
            return tcp.await;
        }
        let (transport, fingerprint) = quic_transport(addr, idle).map_err(std::io::Error::other)?;
        let mut h3 = transport.serve(app);
        // The first poll of upstream's serve future builds the quinn config and binds the UDP
        // endpoint before it waits for connections: still pending means listening.
        tokio::select! {
            biased;
            r = &mut h3 => return Err(std::io::Error::other(match r {
                Ok(()) => "QUIC endpoint closed".to_owned(),
                Err(e) => e.to_string(),
            })),
            _ = std::future::ready(()) => {}
        }
        eprintln!("m2m-protocol 0.4.0 server listening on http://{addr}");
        eprintln!(
            "m2m-protocol 0.4.0 server listening on https://{addr} (HTTP/3) certificate sha256 {fingerprint}"
        );
        tokio::select! {
            r = tcp => r,
            r = h3 => Err(std::io::Error::other(match r {
                Ok(()) => "QUIC endpoint closed".to_owned(),
                Err(e) => e.to_string(),
            })),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Upstream's development QUIC transport on `addr` (UDP), with upstream's self-signed
/// certificate made by `CertConfig::development().load()` and passed on as `CertConfig::Raw`,
/// and the SHA-256 of that certificate's DER (lower-case hex).
fn quic_transport(
    addr: SocketAddr,
    idle: Option<Duration>,
) -> Result<(QuicTransport, String), String> {
    let (certs, key) = CertConfig::development()
        .load()
        .map_err(|e| format!("certificate: {e}"))?;
    let cert_der: Vec<Vec<u8>> = certs.into_iter().map(|c| c.0).collect();
    let fingerprint = hex::encode(Sha256::digest(&cert_der[0]));
    let mut config = QuicTransportConfig::development().with_listen_addr(addr);
    config.tls.cert = CertConfig::Raw {
        cert_der,
        key_der: key.0,
    };
    if let Some(idle) = idle {
        config = config.with_idle_timeout(idle);
    }
    Ok((QuicTransport::new(config), fingerprint))
}
