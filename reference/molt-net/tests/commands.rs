//! Every SDK method as an `m2m-molt agent` command: two agent processes on a hub process,
//! driven over stdin, answers read as JSON lines from stdout. [MOLT-SDK-001]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use common::HubProcess;

struct AgentProcess {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<Value>,
}

impl AgentProcess {
    fn start(hub: &str, args: &[&str]) -> (AgentProcess, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_m2m-molt"))
            .args(["agent", "--hub", hub])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("m2m-molt agent starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        let mut a = AgentProcess {
            child,
            stdin,
            lines,
        };
        let ready = a.next(|v| v["event"] == "ready");
        (a, ready)
    }

    /// The next output line that `pick` accepts (others are skipped).
    fn next(&mut self, pick: impl Fn(&Value) -> bool) -> Value {
        loop {
            let v = self
                .lines
                .recv_timeout(Duration::from_secs(15))
                .expect("an output line in time");
            if pick(&v) {
                return v;
            }
        }
    }

    /// Run one command; its result line (`ok` or `error`).
    fn run(&mut self, line: &str) -> Value {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let verb = line.split(' ').next().unwrap().to_owned();
        self.next(move |v| v["command"] == json!(verb))
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn every_sdk_method_is_a_command() {
    let hub = HubProcess::start(&["--store", "memory"]);
    let url = hub.url();
    // The override names another host (behind NAT) and the port the agent listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let override_arg = format!("198.51.100.1:{port}");
    let port_arg = port.to_string();
    let (mut a, ready_a) = AgentProcess::start(
        &url,
        &[
            "--capabilities",
            "alpha",
            "--address",
            &override_arg,
            "--port",
            &port_arg,
        ],
    );
    let (mut b, ready_b) = AgentProcess::start(
        &url,
        &[
            "--capabilities",
            "beta,echo",
            "--echo",
            "--metadata",
            r#"{"v":1}"#,
        ],
    );
    // The address override: only its port survives at the hub.
    assert_eq!(ready_a["address"], json!(format!("127.0.0.1:{port}")));
    let (id_a, id_b) = (
        ready_a["id"].as_str().unwrap(),
        ready_b["id"].as_str().unwrap(),
    );
    let b_addr = format!("127.0.0.1:{}", ready_b["port"]);

    let r = a.run("discover beta limit=5 offset=0");
    assert_eq!(r["ok"]["count"], 1, "{r}");
    assert_eq!(r["ok"]["agents"][0]["id"], id_b);
    assert_eq!(a.run("discover status=busy")["ok"]["count"], 0);
    assert_eq!(a.run("find beta")["ok"]["agents"][0]["id"], id_b);
    assert_eq!(
        a.run(&format!("lookup {id_b}"))["ok"]["address"],
        json!(b_addr)
    );
    assert_eq!(
        a.run(&format!("agent {id_b}"))["ok"]["metadata"],
        json!({"v": 1})
    );
    assert_eq!(a.run("stats")["ok"]["agents"]["total"], 2);
    assert!(a.run("heartbeat")["ok"]["timestamp"].as_u64().unwrap() > 0);

    let r = a.run(&format!("send {id_b} chat {{\"text\":\"hi\"}}"));
    assert_eq!(r["ok"]["delivered"], true, "{r}");
    let m = b.next(|v| v["event"] == "message" && v["type"] == "chat");
    assert_eq!(m["payload"], json!({"text": "hi"}));
    assert_eq!(m["from"], id_a);

    let r = a.run(&format!("senddirect {b_addr} ping [1,2]"));
    assert_eq!(r["ok"]["delivered"], true, "{r}");
    assert_eq!(b.next(|v| v["type"] == "ping")["payload"], json!([1, 2]));

    // b echoes every message: a request gets {echo: payload}.
    let r = a.run(&format!("request {id_b} task {{\"n\":7}} 5000"));
    assert_eq!(r["ok"]["response"]["echo"]["n"], 7, "{r}");

    let r = a.run("broadcast note \"x\" beta");
    assert_eq!(r["ok"]["delivered"], 1, "{r}");

    // b answers a request itself with `respond`.
    let (mut c, ready_c) = AgentProcess::start(&url, &[]);
    let id_c = ready_c["id"].as_str().unwrap().to_owned();
    writeln!(c.stdin, "request {id_a} question {{\"q\":1}} 10000").unwrap();
    c.stdin.flush().unwrap();
    let q = a.next(|v| v["event"] == "message" && v["type"] == "question");
    assert_eq!(q["from"], json!(id_c));
    let cid = q["correlationId"].as_str().unwrap().to_owned();
    assert_eq!(
        a.run(&format!("respond {cid} {{\"a\":2}}"))["ok"]["responded"],
        true
    );
    let r = c.next(|v| v["command"] == "request");
    assert_eq!(r["ok"]["response"], json!({"a": 2}), "{r}");

    let r = a.run("status busy {\"load\":3}");
    assert_eq!(r["ok"]["updated"], true, "{r}");
    let row = b.run(&format!("agent {id_a}"));
    assert_eq!(row["ok"]["status"], "busy");
    assert_eq!(row["ok"]["metadata"], json!({"load": 3}));

    let r = a.run(&format!("lookup {}", "0".repeat(32)));
    assert_eq!(r["error"], "Agent not found", "{r}");
    assert!(a.run("bogus")["error"]
        .as_str()
        .unwrap()
        .contains("unknown command"));

    let r = a.run("disconnect");
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(b.run(&format!("agent {id_a}"))["ok"]["status"], "offline");
}
