//! The agent SDK against the reference hub on loopback: one test per SDK method (connect,
//! disconnect, discover with filters and paging, find, lookup with its cache, send,
//! sendDirect, broadcast, request/respond with timeouts, updateStatus with metadata,
//! heartbeat, stats, auto-reconnect with re-registration, address override) and the typed
//! errors. [MOLT-SDK-001]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tokio::net::TcpListener;

use m2m_molt::agent::{Agent, AgentConfig, AgentError, Discover, HubEvent};
use m2m_molt::hub::{self, HubConfig};

const WAIT: Duration = Duration::from_secs(10);

async fn start_hub() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(hub::serve(l, HubConfig::default()));
    format!("ws://{addr}/ws")
}

fn cfg(hub: &str, caps: &[&str]) -> AgentConfig {
    AgentConfig {
        hub_url: hub.to_owned(),
        capabilities: caps.iter().map(|s| s.to_string()).collect(),
        ..AgentConfig::default()
    }
}

async fn agent(hub: &str, caps: &[&str]) -> Agent {
    Agent::start(cfg(hub, caps)).await.unwrap()
}

async fn next_message(a: &mut Agent) -> m2m_reference::molt::p2p::MessageEvent {
    tokio::time::timeout(WAIT, a.events.recv())
        .await
        .expect("a message in time")
        .expect("the agent is running")
}

#[tokio::test]
async fn connect_registers_and_reports_connected() {
    let hub = start_hub().await;
    let mut a = agent(&hub, &["x"]).await;
    assert_eq!(a.id().len(), 32);
    assert_eq!(a.address(), format!("127.0.0.1:{}", a.port()));
    assert_eq!(
        a.hub_events.recv().await,
        Some(HubEvent::Connected {
            id: a.id(),
            address: a.address()
        })
    );
    let bad = Agent::start(cfg("ws://127.0.0.1:1/ws", &[])).await;
    assert!(matches!(bad, Err(AgentError::HubConnect { .. })), "{bad:?}");
}

#[tokio::test]
async fn disconnect_sets_the_row_offline() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    let b = agent(&hub, &[]).await;
    let id = a.id();
    a.disconnect().await.unwrap();
    let row = b.lookup_agent(&id).await.unwrap();
    assert_eq!(row.status.as_deref(), Some("offline"));
    assert!(matches!(b.lookup(&id).await, Err(AgentError::Offline)));
}

#[tokio::test]
async fn discover_filters_and_pages() {
    let hub = start_hub().await;
    let me = agent(&hub, &[]).await;
    let mut others = Vec::new();
    for i in 0..5 {
        others.push(agent(&hub, if i % 2 == 0 { &["even"] } else { &["odd"] }).await);
    }
    let all = me.discover(&Discover::default()).await.unwrap();
    assert_eq!(all.len(), 5, "every other agent, not the caller");
    assert!(all.iter().all(|a| a.id != me.id()));
    let even = me
        .discover(&Discover {
            capabilities: vec!["even".into()],
            ..Discover::default()
        })
        .await
        .unwrap();
    assert_eq!(even.len(), 3);
    let page1 = me
        .discover(&Discover {
            limit: Some(2),
            ..Discover::default()
        })
        .await
        .unwrap();
    let page3 = me
        .discover(&Discover {
            limit: Some(2),
            offset: Some(4),
            ..Discover::default()
        })
        .await
        .unwrap();
    assert_eq!((page1.len(), page3.len()), (2, 1));
    others[0].update_status(Some("busy"), None).await.unwrap();
    let busy = me
        .discover(&Discover {
            status: Some("busy".into()),
            ..Discover::default()
        })
        .await
        .unwrap();
    assert_eq!(busy.len(), 1);
    assert_eq!(busy[0].id, others[0].id());
}

#[tokio::test]
async fn find_lists_online_agents_with_the_capability_caller_included() {
    let hub = start_hub().await;
    let me = agent(&hub, &["search"]).await;
    let _other = agent(&hub, &["search"]).await;
    let _third = agent(&hub, &["chat"]).await;
    let found = me.find("search", None).await.unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().any(|a| a.id == me.id()));
    assert_eq!(me.find("search", Some(1)).await.unwrap().len(), 1);
    assert!(me.find("none", None).await.unwrap().is_empty());
}

#[tokio::test]
async fn lookup_caches_addresses_for_the_configured_time() {
    let hub = start_hub().await;
    let me = agent(&hub, &[]).await;
    let peer = agent(&hub, &[]).await;
    let (peer_id, peer_addr) = (peer.id(), peer.address());
    assert_eq!(me.lookup(&peer_id).await.unwrap(), peer_addr);
    peer.disconnect().await.unwrap();
    // Within the lifetime the cached address is used (as agent.js does) ...
    assert_eq!(me.lookup(&peer_id).await.unwrap(), peer_addr);
    // ... and after it the hub is asked again.
    me.handle_clone().clear_cache();
    assert!(matches!(
        me.lookup(&peer_id).await,
        Err(AgentError::Offline)
    ));
    assert!(matches!(
        me.lookup(&"0".repeat(32)).await,
        Err(AgentError::NotFound)
    ));
    // A short lifetime expires by itself.
    let short = Agent::start(AgentConfig {
        cache_ttl: Duration::from_millis(1),
        ..cfg(&hub, &[])
    })
    .await
    .unwrap();
    let p2 = agent(&hub, &[]).await;
    let p2_id = p2.id();
    short.lookup(&p2_id).await.unwrap();
    p2.disconnect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(matches!(
        short.lookup(&p2_id).await,
        Err(AgentError::Offline)
    ));
}

#[tokio::test]
async fn send_delivers_through_the_hub_lookup() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    let mut b = agent(&hub, &[]).await;
    let cid = a
        .send(&b.id(), "chat", json!({"text": "hi"}))
        .await
        .unwrap();
    let ev = next_message(&mut b).await;
    assert_eq!(ev.payload, json!({"text": "hi"}));
    assert_eq!(ev.from, Some(json!(a.id())));
    assert_eq!(ev.correlation_id, Some(json!(cid)));
    assert_eq!(ev.message_type, Some(json!("chat")));
}

#[tokio::test]
async fn send_direct_needs_no_hub_row() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    let mut b = agent(&hub, &[]).await;
    let addr = format!("127.0.0.1:{}", b.port());
    a.send_direct(&addr, "ping", json!([1, 2])).await.unwrap();
    assert_eq!(next_message(&mut b).await.payload, json!([1, 2]));
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead: SocketAddr = closed.local_addr().unwrap();
    drop(closed);
    let r = a.send_direct(&dead.to_string(), "ping", json!(1)).await;
    assert!(matches!(r, Err(AgentError::Connect { .. })), "{r:?}");
}

#[tokio::test]
async fn broadcast_reaches_online_agents_with_the_capability() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    let mut b = agent(&hub, &["news"]).await;
    let mut c = agent(&hub, &["news"]).await;
    let _d = agent(&hub, &["other"]).await;
    let r = a
        .broadcast("note", json!("x"), vec!["news".into()])
        .await
        .unwrap();
    assert_eq!((r.total, r.delivered, r.errors.len()), (2, 2, 0));
    assert_eq!(next_message(&mut b).await.payload, json!("x"));
    assert_eq!(next_message(&mut c).await.payload, json!("x"));
    assert_eq!(r.to_json()["failed"], 0);
}

#[tokio::test]
async fn request_and_respond_round_trip_and_time_out() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    let mut b = agent(&hub, &[]).await;
    let b_id = b.id();
    let b_handle = b.handle_clone();
    let a_id = a.id();
    let responder = tokio::spawn(async move {
        let ev = next_message(&mut b).await;
        assert_eq!(ev.from, Some(json!(a_id)));
        b_handle
            .respond(&ev, json!({"sum": ev.payload["n"].as_i64().unwrap() + 1}))
            .await
            .unwrap();
        b
    });
    let r = a.request(&b_id, "task", json!({"n": 41}), WAIT).await;
    let _b = responder.await.unwrap();
    assert_eq!(r.unwrap(), json!({"sum": 42}));
    // Nobody answers this one.
    let r = a
        .request(&b_id, "task", json!({"n": 0}), Duration::from_millis(300))
        .await;
    assert!(matches!(r, Err(AgentError::Timeout)), "{r:?}");
}

#[tokio::test]
async fn respond_to_answers_a_remembered_message() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    let mut b = agent(&hub, &[]).await;
    let b_id = b.id();
    let b_handle = b.handle_clone();
    let t = tokio::spawn(async move {
        let ev = next_message(&mut b).await;
        let cid = ev.correlation_id.unwrap().as_str().unwrap().to_owned();
        b_handle.respond_to(&cid, json!("pong")).await.unwrap();
        assert!(matches!(
            b_handle.respond_to("nope", json!(1)).await,
            Err(AgentError::NotFound)
        ));
    });
    let r = a.request(&b_id, "ping", json!({}), WAIT).await.unwrap();
    t.await.unwrap();
    assert_eq!(r, json!("pong"));
}

#[tokio::test]
async fn update_status_replaces_status_and_merges_metadata() {
    let hub = start_hub().await;
    let a = Agent::start(AgentConfig {
        metadata: json!({"name": "a", "v": 1}),
        ..cfg(&hub, &[])
    })
    .await
    .unwrap();
    a.update_status(Some("busy"), Some(json!({"v": 2, "load": 0.5})))
        .await
        .unwrap();
    let row = a.lookup_agent(&a.id()).await.unwrap();
    assert_eq!(row.status.as_deref(), Some("busy"));
    assert_eq!(row.metadata, json!({"name": "a", "v": 2, "load": 0.5}));
    let r = a.update_status(Some("x".repeat(21).as_str()), None).await;
    assert!(matches!(r, Err(AgentError::InvalidArgument(_))), "{r:?}");
    // Metadata merged beyond the hub's limit: a typed hub error (MOLT-HUB-062).
    a.update_status(None, Some(json!({"big1": "b".repeat(40_000)})))
        .await
        .unwrap();
    let r = a
        .update_status(None, Some(json!({"big2": "b".repeat(40_000)})))
        .await;
    assert!(
        matches!(r, Err(AgentError::Hub(ref e)) if e == "metadata_too_large"),
        "{r:?}"
    );
}

#[tokio::test]
async fn heartbeat_revives_and_returns_the_hub_time() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    a.update_status(Some("busy"), None).await.unwrap();
    let t = a.heartbeat().await.unwrap();
    assert!(t > 1_700_000_000_000);
    let row = a.lookup_agent(&a.id()).await.unwrap();
    assert_eq!(row.status.as_deref(), Some("online"));
}

#[tokio::test]
async fn stats_counts_rows() {
    let hub = start_hub().await;
    let a = agent(&hub, &[]).await;
    let _b = agent(&hub, &[]).await;
    let s = a.stats().await.unwrap();
    assert_eq!(s["agents"]["total"], 2);
    assert_eq!(s["agents"]["online"], 2);
    assert_eq!(s["hub"]["activeConnections"], 2);
}

#[tokio::test]
async fn address_override_sends_its_port_to_the_hub() {
    let hub = start_hub().await;
    let a = Agent::start(AgentConfig {
        address: Some("203.0.113.7:4555".into()),
        ..cfg(&hub, &[])
    })
    .await
    .unwrap();
    // The hub keeps the observed IP and the port text (MOLT-HUB-012).
    assert_eq!(a.address(), "127.0.0.1:4555");
    let row = a.lookup_agent(&a.id()).await.unwrap();
    assert_eq!(row.address, "127.0.0.1:4555");
}

/// A hub in its own runtime on its own thread, so that stopping it closes every connection.
fn hub_thread(listener: std::net::TcpListener) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let l = TcpListener::from_std(listener).unwrap();
            tokio::select! {
                _ = hub::serve(l, HubConfig::default()) => {}
                _ = stopped => {}
            }
        });
        rt.shutdown_timeout(Duration::from_secs(1));
    });
    stop
}

#[tokio::test]
async fn reconnects_and_registers_again_after_the_hub_restarts() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let stop = hub_thread(l);
    let mut a = Agent::start(AgentConfig {
        reconnect_delay: Duration::from_millis(200),
        ..cfg(&format!("ws://{addr}/ws"), &["r"])
    })
    .await
    .unwrap();
    let first = a.id();
    assert!(matches!(
        a.hub_events.recv().await,
        Some(HubEvent::Connected { .. })
    ));
    stop.send(()).unwrap();
    let ev = tokio::time::timeout(WAIT, a.hub_events.recv())
        .await
        .unwrap();
    assert_eq!(ev, Some(HubEvent::Disconnected));
    assert!(matches!(a.stats().await, Err(AgentError::HubClosed)));
    // The hub comes back on the same port; the agent registers again with a new id.
    let mut l = None;
    for _ in 0..50 {
        match std::net::TcpListener::bind(addr) {
            Ok(x) => {
                l = Some(x);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let _stop2 = hub_thread(l.expect("the port is free again"));
    let ev = tokio::time::timeout(WAIT, a.hub_events.recv())
        .await
        .unwrap();
    let Some(HubEvent::Connected { id, .. }) = ev else {
        panic!("expected a new registration, got {ev:?}");
    };
    assert_ne!(id, first);
    assert_eq!(a.id(), id);
    assert_eq!(a.find("r", None).await.unwrap()[0].id, id);
}

#[tokio::test]
async fn no_reconnect_when_disabled() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let stop = hub_thread(l);
    let mut a = Agent::start(AgentConfig {
        auto_reconnect: false,
        reconnect_delay: Duration::from_millis(50),
        ..cfg(&format!("ws://{addr}/ws"), &[])
    })
    .await
    .unwrap();
    a.hub_events.recv().await;
    stop.send(()).unwrap();
    assert_eq!(
        tokio::time::timeout(WAIT, a.hub_events.recv())
            .await
            .unwrap(),
        Some(HubEvent::Disconnected)
    );
    assert!(matches!(a.heartbeat().await, Err(AgentError::HubClosed)));
}
