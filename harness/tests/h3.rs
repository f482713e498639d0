//! The `m2m-h3:` target end to end, through the `m2m-conformance` binary: the reference's
//! HTTP/1.1 + HTTP/3 server (the `m2m-ref server --h3` stack, started in-process on a free
//! port) certified over HTTP/3 with every `http` case and every `h3` scenario; and the ways it
//! must fail cleanly: a wrong fingerprint, a closed port, a peer that answers garbage, a server
//! that never answers a request. [H3-API-001] [H3-TLS-003] [H3-RUN-001] [H3-RUN-002]
#![cfg(feature = "h3")]

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use m2m_reference::edge::api::{ApiServer, Options};
use m2m_reference::edge::h3::{Identity, Loopback};
use m2m_reference::edge::http::{Req, Resp};
use serde_json::Value;

mod common;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_m2m-conformance")
}

/// A fresh folder for one test's reports, removed when the test ends.
fn temp(name: &str) -> common::Temp {
    common::temp(&format!("m2m-h3-{name}-"))
}

/// `m2m-ref server --port 0 --h3 --h3-idle-timeout 0.25`, in-process: its port and fingerprint.
fn start_reference() -> (u16, String) {
    let mut server = ApiServer::bind(Options::new("127.0.0.1:0")).expect("binds");
    let identity = Identity::self_signed().expect("a certificate");
    let fingerprint = identity.fingerprint();
    server
        .enable_h3(identity, Duration::from_millis(250))
        .expect("binds UDP");
    let port = server.local_addr().expect("bound").port();
    std::thread::spawn(move || server.run());
    (port, fingerprint)
}

fn certify(dir: &std::path::Path, target: &str, extra: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new(bin())
        .args(["certify", "--target", target, "--report-dir"])
        .arg(dir)
        .args(extra)
        .env(
            "M2M_CONFORMANCE_ROOT",
            concat!(env!("CARGO_MANIFEST_DIR"), "/.."),
        )
        .output()
        .expect("the harness runs");
    (out, started.elapsed())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn verdicts(dir: &std::path::Path) -> Vec<(String, String)> {
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                format!(
                    "{}::{}",
                    c["chapter"].as_str().unwrap_or(""),
                    c["id"].as_str().unwrap_or("")
                ),
                c["verdict"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_http_case_and_every_h3_scenario_pass_over_http3() {
    let (port, fp) = start_reference();
    let dir = temp("all");
    let target = format!("m2m-h3:https://127.0.0.1:{port},cert-sha256={fp},idle-timeout-ms=250");
    let (out, _) = certify(&dir, &target, &["--filter", "http::", "--filter", "h3::"]);
    let all = verdicts(&dir);
    let failed: Vec<_> = all.iter().filter(|(_, v)| v != "pass").collect();
    assert!(failed.is_empty(), "{failed:?}\n{}", text(&out));
    let http = all.iter().filter(|(n, _)| n.starts_with("http::")).count();
    let h3 = all.iter().filter(|(n, _)| n.starts_with("h3::")).count();
    assert!(http >= 55, "only {http} http cases ran");
    assert_eq!(h3, 10, "h3 scenarios");
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn without_the_idle_timeout_option_the_idle_scenario_is_unsupported() {
    let (port, fp) = start_reference();
    let dir = temp("noidle");
    let target = format!("m2m-h3:https://127.0.0.1:{port},cert-sha256={fp}");
    let (out, _) = certify(&dir, &target, &["--filter", "h3::h3-idle"]);
    let all = verdicts(&dir);
    assert_eq!(
        all,
        [("h3::h3-idle-timeout".to_owned(), "unsupported".to_owned())],
        "{}",
        text(&out)
    );
}

#[test]
fn a_wrong_fingerprint_is_a_setup_error() {
    let (port, fp) = start_reference();
    let wrong = "0".repeat(64);
    let (out, took) = certify(
        &temp("wrongfp"),
        &format!("m2m-h3:https://127.0.0.1:{port},cert-sha256={wrong}"),
        &["--filter", "http::http-health"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains("does not match the pinned fingerprint") && msg.contains(&fp),
        "{msg}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn bad_target_options_are_setup_errors() {
    for (target, says) in [
        ("m2m-h3:https://192.0.2.1:4433", "say how to trust"),
        ("m2m-h3:https://192.0.2.1:4433,insecure", "loopback"),
        ("m2m-h3:http://127.0.0.1:4433,insecure", "https://"),
    ] {
        let (out, _) = certify(&temp("badopt"), target, &["--filter", "http::http-health"]);
        assert_eq!(out.status.code(), Some(2), "{target}: {}", text(&out));
        assert!(text(&out).contains(says), "{target}: {}", text(&out));
    }
}

/// A UDP port nobody serves, and a peer that answers every datagram with garbage: `hello`
/// fails with a setup error within the per-case timeout, no hang, no panic.
#[test]
fn a_closed_port_and_a_garbage_peer_fail_hello_in_time() {
    let closed = UdpSocket::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let garbage = UdpSocket::bind("127.0.0.1:0").unwrap();
    let garbage_port = garbage.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = garbage.recv_from(&mut buf) {
            let junk: Vec<u8> = buf[..n].iter().map(|b| b.wrapping_mul(31) ^ 0x5a).collect();
            let _ = garbage.send_to(&junk, from);
        }
    });
    for port in [closed_port, garbage_port] {
        let (out, took) = certify(
            &temp("dead"),
            &format!("m2m-h3:https://127.0.0.1:{port},insecure"),
            &["--filter", "http::http-health", "--timeout", "1"],
        );
        assert_eq!(out.status.code(), Some(2), "port {port}: {}", text(&out));
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
        assert!(took < Duration::from_secs(15), "port {port}: took {took:?}");
    }
}

/// Garbage datagrams sent to a serving reference change nothing: it still certifies.
#[test]
fn the_reference_survives_garbage_udp() {
    let (port, fp) = start_reference();
    let junk = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to: SocketAddr = ([127, 0, 0, 1], port).into();
    for i in 0..2000u32 {
        let len = 1 + (i as usize * 7919) % 1400;
        let bytes: Vec<u8> = (0..len).map(|j| (i as usize * 31 + j * 17) as u8).collect();
        let _ = junk.send_to(&bytes, to);
    }
    let dir = temp("survive");
    let target = format!("m2m-h3:https://127.0.0.1:{port},cert-sha256={fp}");
    let (out, _) = certify(
        &dir,
        &target,
        &[
            "--filter",
            "http::http-health",
            "--filter",
            "h3::h3-migration",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(verdicts(&dir).len(), 2);
}

/// A server that completes the handshake and `/health` but never answers anything else:
/// each case times out, its verdict is recorded, and the run goes on to the next case.
#[test]
fn a_server_that_never_answers_costs_each_case_its_timeout() {
    let handler = Arc::new(|req: Req| {
        if req.path == "/health" {
            return Resp {
                status: 200,
                content_type: Some("application/json"),
                body: br#"{"status":"ok","version":"stuck"}"#.to_vec(),
            };
        }
        std::thread::sleep(Duration::from_secs(3600));
        Resp::text(500, "unreachable")
    });
    let server = Loopback::start(handler, Duration::from_secs(30)).expect("starts");
    let dir = temp("stuck");
    let target = format!(
        "m2m-h3:https://{},cert-sha256={}",
        server.addr, server.fingerprint
    );
    let (out, took) = certify(
        &dir,
        &target,
        &[
            "--filter",
            "http::http-compress-none",
            "--filter",
            "http::http-status",
            "--filter",
            "h3::h3-concurrent-streams",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = verdicts(&dir);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(all.iter().all(|(_, v)| v == "timeout"), "{all:?}");
    assert!(took < Duration::from_secs(40), "took {took:?}");
}
