//! A hub process (`m2m-molt hub`) for the store tests, and raw hub clients.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use m2m_molt::agent::HubClient;

/// A running `m2m-molt hub` child process, killed on drop.
pub struct HubProcess {
    pub child: Child,
    pub addr: String,
}

impl HubProcess {
    /// Start `m2m-molt hub --listen 127.0.0.1:0 ARGS…` and wait for its address.
    pub fn start(args: &[&str]) -> HubProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_m2m-molt"))
            .args(["hub", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("m2m-molt starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let first = lines
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("the hub printed nothing ({:?})", child.try_wait()));
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in `{first}`"))
            .to_owned();
        // Keep draining stderr so that the hub never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        HubProcess { child, addr }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stop it the hard way (as a crash or `kill -9` would).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident set size of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub async fn register(c: &HubClient, caps: Value) -> String {
    let r = c
        .request(json!({"action": "register", "address": "127.0.0.1:4000", "capabilities": caps}))
        .await
        .unwrap();
    assert_eq!(r["status"], "ok", "{r}");
    r["id"].as_str().unwrap().to_owned()
}

pub async fn stats(url: &str) -> Value {
    let c = HubClient::connect(url).await.unwrap();
    let s = c.request(json!({"action": "stats"})).await.unwrap();
    c.close();
    s
}

pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "m2m-molt-{tag}-{}-{}",
        std::process::id(),
        m2m_molt::now_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
