//! The runnable hub and agents on loopback: registration, discovery, send, request/response,
//! broadcast, and bad input that must leave connections and processes usable.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use m2m_molt::agent::{Agent, AgentConfig};
use m2m_molt::hub::{self, HubConfig};

async fn start_hub() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(hub::serve(l, HubConfig::default()));
    format!("ws://{addr}/ws")
}

async fn agent(hub: &str, caps: &[&str], echo: bool) -> Agent {
    Agent::start(AgentConfig {
        hub_url: hub.to_owned(),
        capabilities: caps.iter().map(|s| s.to_string()).collect(),
        echo,
        ..AgentConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn send_request_broadcast() {
    let hub = start_hub().await;
    let mut a = agent(&hub, &["echo"], true).await;
    let b = agent(&hub, &["chat"], false).await;
    assert_eq!(a.id().len(), 32);
    assert_eq!(a.address(), format!("127.0.0.1:{}", a.port()));

    let found = b
        .hub_request(json!({"action": "discover", "id": b.id()}))
        .await
        .unwrap();
    assert_eq!(found["count"], 1);
    assert_eq!(found["agents"][0]["id"], a.id());

    let cid = b
        .send(&a.id(), "chat", json!({"text": "hi"}))
        .await
        .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(5), a.events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ev.payload, json!({"text": "hi"}));
    assert_eq!(ev.from, Some(json!(b.id())));
    assert_eq!(ev.correlation_id, Some(json!(cid)));

    let r = b
        .request(&a.id(), "task", json!({"n": 1}), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(r["echo"]["n"], 1);

    let r = b
        .broadcast("note", json!("x"), vec!["echo".into()])
        .await
        .unwrap();
    assert_eq!(r.to_json()["delivered"], 1);
    assert_eq!(r.to_json()["failed"], 0);
}

async fn exchange(port: u16, input: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(input).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(500), s.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn bad_peer_input_gets_error_replies_and_the_agent_stays_up() {
    let hub = start_hub().await;
    let a = agent(&hub, &[], false).await;
    let mut input = b"garbage\n{\"type\":\"handshake\",\"key\":\"bad\"}\n".to_vec();
    input.extend_from_slice(&vec![b'x'; 1024 * 1024 + 1]);
    input.extend_from_slice(b"\n{\"type\":\"message\",\"data\":\"AAAA\"}\n{\"type\":\"ping\"}\n");
    let out = exchange(a.port(), &input).await;
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![
            json!({"error": "invalid_message"}),
            json!({"error": "invalid_message"}),
            json!({"error": "invalid_message"}),
            json!({"type": "pong"}),
        ]
    );
    // Still serving: a real message goes through.
    let b = agent(&hub, &[], false).await;
    b.send(&a.id(), "t", json!(1)).await.unwrap();
}
