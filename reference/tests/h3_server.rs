//! `m2m-ref server --port 0 --h3` end to end: start the binary, read its port and certificate
//! fingerprint from the stderr line, and play every `http.run` vector of `vectors/http/` and
//! every `h3.scenario` vector of `vectors/h3/` over HTTP/3, as the harness's `m2m-h3:` target
//! does. [H3-API-001] [H3-TLS-002] [H3-RUN-001]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use m2m_reference::edge::h3_client::{ClientOptions, H3Client, Trust};
use m2m_reference::server::script;
use serde_json::Value;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start the server; answer its HTTP/3 URL and fingerprint from the documented stderr line
/// `m2m-ref server listening on https://ADDR (HTTP/3) certificate sha256 HEX`.
fn start(extra: &[&str]) -> (Running, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_m2m-ref"))
        .args(["server", "--port", "0", "--h3"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("m2m-ref server starts");
    let stderr = child.stderr.take().unwrap();
    let running = Running(child);
    let mut lines = BufReader::new(stderr).lines();
    let mut tcp = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("m2m-ref server listening on http://") {
            tcp = Some(rest.to_owned());
        }
        if let Some(rest) = line.strip_prefix("m2m-ref server listening on https://") {
            let (addr, fp) = rest
                .split_once(" (HTTP/3) certificate sha256 ")
                .expect("the documented line");
            assert_eq!(
                Some(addr),
                tcp.as_deref(),
                "same port number for TCP and UDP"
            );
            assert_eq!(fp.len(), 64);
            assert!(fp
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
            std::thread::spawn(move || for _ in lines {});
            return (running, format!("https://{addr}"), fp.to_owned());
        }
    }
    panic!("no HTTP/3 line on stderr");
}

fn vectors(dir: &str) -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let file: Value = serde_yaml::from_str(&text).unwrap();
        out.extend(file["cases"].as_array().unwrap().iter().cloned());
    }
    out
}

#[test]
fn http_and_h3_vectors_over_http3() {
    let (_server, url, fp) = start(&["--h3-idle-timeout", "0.25"]);
    let mut client = H3Client::new(
        &url,
        ClientOptions {
            trust: Trust::Pinned(vec![fp]),
            timeout: Duration::from_secs(10),
            server_idle_timeout: Some(Duration::from_millis(250)),
        },
    )
    .unwrap();
    let (status, _) = client.hello().expect("GET /health over HTTP/3");
    assert_eq!(status, 200);
    let mut played = 0;
    for case in vectors("http") {
        let Some(expected) = case["expect"].get("ok") else {
            continue;
        };
        let got = script::run(&case["input"]["steps"], &mut |r| client.send(r))
            .unwrap_or_else(|e| panic!("{}: {e:?}", case["id"]));
        assert_eq!(&got, expected, "case {}", case["id"]);
        played += 1;
    }
    assert!(played >= 50, "only {played} cases played");
    for case in vectors("h3") {
        let Some(expected) = case["expect"].get("ok") else {
            continue;
        };
        let got = client
            .scenario(&case["input"])
            .unwrap_or_else(|e| panic!("{}: {e:?}", case["id"]));
        assert_eq!(&got, expected, "case {}", case["id"]);
    }
}

#[test]
fn a_certificate_from_pem_files_is_served_and_pinned_by_file() {
    let dir = std::env::temp_dir().join(format!("m2m-ref-h3-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let made = pem_files(&dir);
    let (cert, key) = (made.0.to_str().unwrap(), made.1.to_str().unwrap());
    let (_server, url, fp) = start(&["--cert", cert, "--key", key]);
    let trust = Trust::from_pem_file(&made.0).unwrap();
    assert_eq!(trust, Trust::Pinned(vec![fp]));
    let mut client = H3Client::new(
        &url,
        ClientOptions {
            trust,
            timeout: Duration::from_secs(10),
            server_idle_timeout: None,
        },
    )
    .unwrap();
    assert_eq!(client.hello().unwrap().0, 200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A certificate and key as PEM files, made through the library's own self-signed identity.
fn pem_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use rustls::pki_types::pem::PemObject as _;
    let id = m2m_reference::edge::h3::Identity::self_signed().unwrap();
    let pem = |label: &str, der: &[u8]| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut s = format!("-----BEGIN {label}-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            s.push_str(std::str::from_utf8(chunk).unwrap());
            s.push('\n');
        }
        s.push_str(&format!("-----END {label}-----\n"));
        s
    };
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, pem("CERTIFICATE", &id.chain[0])).unwrap();
    std::fs::write(&key, pem("PRIVATE KEY", id.key.secret_der())).unwrap();
    // The files read back as what was written.
    let back = rustls::pki_types::CertificateDer::from_pem_file(&cert).unwrap();
    assert_eq!(back.as_ref(), id.chain[0].as_ref());
    (cert, key)
}
