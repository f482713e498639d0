//! The hub's stores through the real binary: an SQLite file keeps every registration across a
//! restart (as offline) [MOLT-HUB-064]; re-registration churn with large metadata stays
//! bounded by the per-connection limits [MOLT-HUB-061] [MOLT-HUB-062]; a newer schema is
//! refused [MOLT-HUB-066].

mod common;

use serde_json::json;

use common::{register, rss_kib, stats, temp_dir, HubProcess};
use m2m_molt::agent::HubClient;

#[tokio::test]
async fn sqlite_keeps_fifty_registrations_across_a_restart() {
    let dir = temp_dir("restart");
    let store = format!("sqlite:{}", dir.join("hub.sqlite3").display());
    let hub = HubProcess::start(&["--store", &store]);
    let mut clients = Vec::new();
    let mut ids = Vec::new();
    for i in 0..50 {
        let c = HubClient::connect(&hub.url()).await.unwrap();
        ids.push(register(&c, json!([format!("cap{}", i % 5)])).await);
        clients.push(c);
    }
    let s = stats(&hub.url()).await;
    assert_eq!(s["agents"]["total"], 50);
    assert_eq!(s["agents"]["online"], 50);
    // A crash: no connection is closed cleanly.
    hub.kill();
    drop(clients);

    let hub = HubProcess::start(&["--store", &store]);
    let s = stats(&hub.url()).await;
    assert_eq!(s["agents"]["total"], 50, "{s}");
    assert_eq!(s["agents"]["offline"], 50, "{s}");
    assert_eq!(s["agents"]["online"], 0, "{s}");
    let c = HubClient::connect(&hub.url()).await.unwrap();
    for id in &ids {
        let r = c
            .request(json!({"action": "lookup", "id": id}))
            .await
            .unwrap();
        assert_eq!(r["agent"]["status"], "offline", "{r}");
        assert_eq!(r["agent"]["address"], "127.0.0.1:4000");
    }
    // A heartbeat revives a row from before the restart (MOLT-HUB-014).
    c.request(json!({"action": "heartbeat", "id": ids[0]}))
        .await
        .unwrap();
    let s = stats(&hub.url()).await;
    assert_eq!(s["agents"]["online"], 1);
    // New registrations continue the order.
    register(&c, json!(["cap0"])).await;
    assert_eq!(stats(&hub.url()).await["agents"]["total"], 51);
    drop(hub);
    let _ = std::fs::remove_dir_all(dir);
}

/// One socket re-registering with 60 KB of metadata: `M2M_MOLT_CHURN` times (default 300;
/// the figure in reports/performance-molt.md is 10,000 with the release binary).
async fn churn(store: &str) {
    let n: usize = std::env::var("M2M_MOLT_CHURN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let hub = HubProcess::start(&["--store", store]);
    let rss_start = rss_kib(hub.pid());
    let c = HubClient::connect(&hub.url()).await.unwrap();
    let meta = json!({"blob": "m".repeat(60_000)});
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..n {
        let r = c
            .request(json!({"action": "register", "address": "x:4000", "capabilities": ["c"], "metadata": meta}))
            .await
            .unwrap();
        match r["status"].as_str() {
            Some("ok") => ok += 1,
            _ => {
                assert_eq!(r["error"], "too_many_registrations", "{r}");
                refused += 1;
            }
        }
    }
    let rss_peak = rss_kib(hub.pid());
    assert_eq!(ok, 16.min(n));
    assert_eq!(refused, n - ok);
    let s = stats(&hub.url()).await;
    assert_eq!(s["agents"]["total"], ok);
    assert_eq!(s["hub"]["activeConnections"], ok);
    // Metadata beyond 64 KiB is refused even when the frame cap is raised.
    c.close();
    // After the socket closes no id of it counts as active (MOLT-HUB-040).
    let mut active = json!(null);
    for _ in 0..100 {
        active = stats(&hub.url()).await["hub"]["activeConnections"].clone();
        if active == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(active, 0);
    let rss_end = rss_kib(hub.pid());
    eprintln!(
        "churn store={store} registrations={n} accepted={ok} rss_kib start={rss_start} peak={rss_peak} end={rss_end}"
    );
    assert!(
        rss_peak < 200 * 1024,
        "hub RSS {rss_peak} KiB after {n} re-registrations"
    );
}

#[tokio::test]
async fn reregistration_churn_is_bounded_in_memory() {
    churn("memory").await;
}

#[tokio::test]
async fn reregistration_churn_is_bounded_on_sqlite() {
    let dir = temp_dir("churn");
    churn(&format!("sqlite:{}", dir.join("hub.sqlite3").display())).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn metadata_beyond_the_limit_is_refused() {
    let hub = HubProcess::start(&[
        "--store",
        "memory",
        "--max-frame",
        "1000000",
        "--max-metadata-bytes",
        "1000",
    ]);
    let c = HubClient::connect(&hub.url()).await.unwrap();
    let r = c
        .request(json!({"action": "register", "metadata": {"b": "x".repeat(2000)}}))
        .await
        .unwrap();
    assert_eq!(r["error"], "metadata_too_large");
    let id = register(&c, json!([])).await;
    for _ in 0..3 {
        c.request(json!({"action": "status", "id": id, "metadata": {"more": "y".repeat(300)}}))
            .await
            .unwrap();
    }
    // Merging arrays grows metadata; the merge that would pass the limit is refused.
    let mut last = json!(null);
    for _ in 0..10 {
        last = c
            .request(json!({"action": "status", "id": id, "metadata": ["z".repeat(300)]}))
            .await
            .unwrap();
    }
    assert_eq!(last["error"], "metadata_too_large", "{last}");
    let row = c
        .request(json!({"action": "lookup", "id": id}))
        .await
        .unwrap();
    assert!(row["agent"]["metadata"].to_string().len() <= 1000);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = temp_dir("schema");
    let path = dir.join("hub.sqlite3");
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch("PRAGMA user_version = 99;").unwrap();
    }
    let spec = format!("sqlite:{}", path.display()).parse().unwrap();
    let e = m2m_molt::store::open(&spec, "h").err().expect("refused");
    assert!(e.to_string().contains("schema version 99"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
