//! `m2m-ref server` end to end: start the binary on a free port and play every `http.run`
//! vector of `vectors/http/` over real HTTP, as the harness's `m2m-http:` target does.
//! [HTTP-API-001] [HTTP-RUN-001] [HTTP-RUN-002]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use m2m_reference::server::script;
use serde_json::Value;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn send(agent: &ureq::Agent, base: &str, r: script::Request<'_>) -> Result<(u16, String), String> {
    let req = agent.request(r.method, &format!("{base}{}", r.path));
    let res = match r.body {
        Some(b) => req.set("Content-Type", "application/json").send_string(b),
        None => req.call(),
    };
    match res {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => {
            let status = resp.status();
            Ok((status, resp.into_string().map_err(|e| e.to_string())?))
        }
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn http_vectors_over_real_http() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Running(
        Command::new(env!("CARGO_BIN_EXE_m2m-ref"))
            .args(["server", "--port", &port.to_string()])
            .stderr(Stdio::null())
            .spawn()
            .expect("m2m-ref server starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let deadline = Instant::now() + Duration::from_secs(10);
    while agent.get(&format!("{base}/health")).call().is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/http");
    let mut played = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let file: Value = serde_yaml::from_str(&text).unwrap();
        for case in file["cases"].as_array().unwrap() {
            let Some(expected) = case["expect"].get("ok") else {
                continue;
            };
            let got = script::run(&case["input"]["steps"], &mut |r| send(&agent, &base, r))
                .unwrap_or_else(|e| panic!("{}: {e:?}", case["id"]));
            assert_eq!(&got, expected, "case {}", case["id"]);
            played += 1;
        }
    }
    assert!(played >= 50, "only {played} cases played");
}
