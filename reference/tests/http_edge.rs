//! The HTTP edges under attack (issue 18): `m2m-ref server` and `m2m-ref serve-testee --http`
//! serve connections concurrently, refuse oversize bodies with 413 without reading them, and
//! time out slow clients. [HTTP-LIMIT-001] [HTTP-LIMIT-002] [TESTEE-HTTP-005]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Start `m2m-ref ARGS` serving on a free port; wait until `probe` answers.
fn start(args: &[&str], probe: &str) -> (Running, String) {
    let port = free_port();
    let mut full: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    if args[0] == "server" {
        full.extend(["--port".into(), port.to_string()]);
    } else {
        full.extend(["--http".into(), format!("127.0.0.1:{port}")]);
    }
    let child = Command::new(env!("CARGO_BIN_EXE_m2m-ref"))
        .args(&full)
        .stderr(Stdio::null())
        .spawn()
        .expect("m2m-ref starts");
    let running = Running(child);
    let base = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while ureq::get(&format!("http://{base}{probe}")).call().is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    (running, base)
}

/// The head and the start of the body of one raw HTTP response on `stream`.
fn read_response(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build()
}

/// Issue 18 defect 2: a client trickling its body does not hold up other clients (the old
/// server read one request at a time, so `/health` waited for the slow body).
#[test]
fn a_slow_body_does_not_block_other_clients() {
    for (args, probe, path) in [
        (&["server"][..], "/health", "/compress"),
        (&["serve-testee"][..], "/v1/hello", "/v1/run"),
    ] {
        let (_server, base) = start(args, probe);
        let mut slow = TcpStream::connect(&base).expect("connect");
        write!(
            slow,
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{{\"content\":"
        )
        .expect("send head");
        // The slow body stays open; other clients are served meanwhile.
        for _ in 0..3 {
            let r = agent().get(&format!("http://{base}{probe}")).call();
            assert_eq!(r.map(|r| r.status()).ok(), Some(200), "{args:?}");
        }
        drop(slow);
    }
}

/// Issue 18 defect 3: a body over the limit is refused with 413 from its `Content-Length`,
/// without the server reading it (the old server buffered a 1 GiB body whole).
#[test]
fn an_oversize_body_is_refused_unread() {
    for (args, probe, path) in [
        (&["server"][..], "/health", "/compress"),
        (&["serve-testee"][..], "/v1/hello", "/v1/run"),
    ] {
        let (_server, base) = start(args, probe);
        let mut s = TcpStream::connect(&base).expect("connect");
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
        )
        .expect("send head");
        let head = read_response(&mut s);
        assert!(head.starts_with("HTTP/1.1 413"), "{args:?}: {head:?}");
    }
}

/// A chunked body that passes the limit is refused as soon as it does (16 MiB for the API).
#[test]
fn an_oversize_chunked_body_is_refused() {
    let (_server, base) = start(&["server"], "/health");
    let mut s = TcpStream::connect(&base).expect("connect");
    write!(
        s,
        "POST /decompress HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .expect("send head");
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..20 {
        let sent = write!(s, "{:x}\r\n", chunk.len())
            .and_then(|()| s.write_all(&chunk))
            .and_then(|()| s.write_all(b"\r\n"));
        if sent.is_err() {
            break; // the server answered and closed
        }
    }
    let head = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 413"), "{head:?}");
}

/// A body at the limit is still read and answered (400: not JSON), not refused.
#[test]
fn a_body_within_the_limit_is_answered() {
    let (_server, base) = start(&["server"], "/health");
    let body = "x".repeat(1 << 20);
    let r = agent()
        .post(&format!("http://{base}/decompress"))
        .set("Content-Type", "application/json")
        .send_string(&body);
    match r {
        Err(ureq::Error::Status(code, _)) => assert_eq!(code, 400),
        other => panic!("{:?}", other.map(|r| r.status())),
    }
}

/// Issue 18 defect 1 over HTTP: a body that is not UTF-8 answers `bad_args` (status 200), and
/// the server goes on. [TESTEE-HTTP-005] [TESTEE-MSG-006]
#[test]
fn the_http_testee_answers_a_non_utf8_body() {
    let (_server, base) = start(&["serve-testee"], "/v1/hello");
    let r = agent()
        .post(&format!("http://{base}/v1/run"))
        .send_bytes(b"{\"id\":\"a\",\"op\":\"wire.detect\",\"args\":{\"wire\":\"\xff\"}}")
        .expect("200");
    let v: serde_json::Value = serde_json::from_str(&r.into_string().expect("body")).expect("JSON");
    assert_eq!(v["id"], "a");
    assert_eq!(v["error"]["class"], "bad_args");
    let r = agent()
        .post(&format!("http://{base}/v1/run"))
        .send_string(r#"{"id":"b","op":"wire.detect","args":{"wire":"x"}}"#)
        .expect("200");
    let v: serde_json::Value = serde_json::from_str(&r.into_string().expect("body")).expect("JSON");
    assert_eq!(v["id"], "b");
    assert!(v.get("ok").is_some(), "{v}");
}

/// Issue 18 defect 1 on stdin: `m2m-ref serve-testee` answers a non-UTF-8 line and goes on.
#[test]
fn the_stdin_testee_answers_a_non_utf8_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_m2m-ref"))
        .arg("serve-testee")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"\xff\n{\"id\":\"a\",\"op\":\"wire.detect\",\"args\":{\"wire\":\"x\"}}\n")
        .expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("exits");
    assert!(out.status.success(), "{:?}", out.status);
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("bad_args"), "{}", lines[0]);
    assert!(
        lines[1].contains("\"id\":\"a\"") && lines[1].contains("\"ok\""),
        "{}",
        lines[1]
    );
}
