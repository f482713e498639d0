//! A bounded loopback load run against a hub: register N agents (one WebSocket each), then
//! for a fixed time issue `discover` requests from all of them, and report latency
//! percentiles, errors and, when the hub's process id is known, its resident memory.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::agent::HubClient;

/// Load options.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Hub WebSocket URL.
    pub hub_url: String,
    /// Number of agents (WebSocket connections, one registration each).
    pub agents: usize,
    /// Length of the discover phase.
    pub seconds: u64,
    /// Concurrent registrations in flight.
    pub connect_concurrency: usize,
    /// Pause between two discovers of one agent.
    pub discover_interval: Duration,
    /// Process id of the hub, to read its resident memory from /proc.
    pub hub_pid: Option<u32>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(mut v: Vec<f64>) -> Value {
    v.sort_by(|a, b| a.total_cmp(b));
    json!({
        "count": v.len(),
        "p50_ms": percentile(&v, 50.0), "p95_ms": percentile(&v, 95.0),
        "p99_ms": percentile(&v, 99.0), "max_ms": v.last().copied().unwrap_or(0.0),
    })
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Run the load and return the report object.
pub async fn run(cfg: LoadConfig) -> Value {
    let rss_before = cfg.hub_pid.and_then(rss_kib);
    // Phase 1: connect and register.
    let sem = Arc::new(tokio::sync::Semaphore::new(cfg.connect_concurrency.max(1)));
    let mut tasks = Vec::new();
    let t0 = Instant::now();
    for i in 0..cfg.agents {
        let url = cfg.hub_url.clone();
        let sem = sem.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.ok()?;
            let client = HubClient::connect(&url).await.ok()?;
            let start = Instant::now();
            let r = client
                .request(
                    json!({"action": "register", "address": format!("127.0.0.1:{}", 20000 + i),
                                "capabilities": [format!("cap{}", i % 10), "load"]}),
                )
                .await
                .ok()?;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let id = r["id"].as_str()?.to_owned();
            Some((client, id, ms))
        }));
    }
    let mut agents = Vec::new();
    let mut reg_ms = Vec::new();
    for t in tasks {
        if let Ok(Some((c, id, ms))) = t.await {
            agents.push((c, id));
            reg_ms.push(ms);
        }
    }
    let register_wall = t0.elapsed().as_secs_f64();
    let lost = cfg.agents - agents.len();
    // Check that the hub knows every registration.
    let stats = match agents.first() {
        Some((c, _)) => c
            .request(json!({"action": "stats"}))
            .await
            .unwrap_or(Value::Null),
        None => Value::Null,
    };
    let rss_registered = cfg.hub_pid.and_then(rss_kib);

    // Phase 2: discovers from every agent until the deadline.
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for (i, (client, id)) in agents.iter().enumerate() {
        let (client, id) = (client.clone(), id.clone());
        let stop = stop.clone();
        let errors = errors.clone();
        let interval = cfg.discover_interval;
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            // Spread the first requests over one interval.
            tokio::time::sleep(interval.mul_f64((i % 100) as f64 / 100.0)).await;
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let req = json!({"action": "discover", "id": id, "capabilities": [format!("cap{}", i % 10)], "limit": 100});
                match client.request(req).await {
                    Ok(r) if r["status"] == "ok" => lat.push(start.elapsed().as_secs_f64() * 1000.0),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(interval).await;
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(cfg.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut disc_ms = Vec::new();
    for w in workers {
        if let Ok(l) = w.await {
            disc_ms.extend(l);
        }
    }
    let rss_after = cfg.hub_pid.and_then(rss_kib);
    let discovers = disc_ms.len();
    json!({
        "hub": cfg.hub_url, "agents_requested": cfg.agents, "agents_registered": agents.len(),
        "lost_registrations": lost, "register_wall_s": register_wall,
        "register": summary(reg_ms),
        "hub_stats_after_register": stats["agents"],
        "discover_seconds": cfg.seconds, "discover": summary(disc_ms),
        "discover_per_s": discovers as f64 / cfg.seconds.max(1) as f64,
        "discover_errors": errors.load(Ordering::Relaxed),
        "hub_rss_kib": {"before": rss_before, "after_register": rss_registered, "after_discover": rss_after},
    })
}
