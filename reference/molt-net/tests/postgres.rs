//! Hubs on PostgreSQL: two hub processes on one database see each other's agents (discover,
//! lookup, find, stats, /agents) [MOLT-HUB-064]; a restarted hub keeps every registration
//! and sets only its own rows offline. Needs `M2M_TEST_POSTGRES_URL` (see `.ci/postgres.sh`);
//! without it every trial is reported `ignored`, never passed.

mod common;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::json;

use common::{register, stats, HubProcess};
use m2m_molt::agent::HubClient;

const ENV: &str = "M2M_TEST_POSTGRES_URL";

/// A fresh schema-less database per trial is not needed: each trial uses its own capability
/// names and counts deltas, so trials may share one database.
fn url() -> Option<String> {
    std::env::var(ENV).ok().filter(|u| !u.is_empty())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn check(ok: bool, what: impl Into<String>) -> Result<(), Failed> {
    if ok {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

fn two_hubs_see_each_others_agents(url: &str) -> Result<(), Failed> {
    rt().block_on(async {
        let tag = format!("two-hubs-{}", m2m_molt::now_ms());
        let a = HubProcess::start(&["--store", url, "--hub-name", "hub-a"]);
        let b = HubProcess::start(&["--store", url, "--hub-name", "hub-b"]);
        let before = stats(&b.url()).await["agents"]["total"]
            .as_u64()
            .unwrap_or(0);
        let ca = HubClient::connect(&a.url()).await?;
        let cb = HubClient::connect(&b.url()).await?;
        let id_a = register(&ca, json!([tag])).await;
        let id_b = register(&cb, json!([tag])).await;
        // Lookup across hubs.
        let r = cb.request(json!({"action": "lookup", "id": id_a})).await?;
        check(
            r["agent"]["status"] == "online",
            format!("lookup at b: {r}"),
        )?;
        let r = ca.request(json!({"action": "lookup", "id": id_b})).await?;
        check(r["agent"]["id"] == json!(id_b), format!("lookup at a: {r}"))?;
        // Discover and find across hubs.
        let r = cb
            .request(json!({"action": "discover", "id": id_b, "capabilities": [tag]}))
            .await?;
        check(
            r["agents"].as_array().map(Vec::len) == Some(1) && r["agents"][0]["id"] == json!(id_a),
            format!("discover at b: {r}"),
        )?;
        let r = ca
            .request(json!({"action": "find", "capability": tag}))
            .await?;
        check(r["count"] == 2, format!("find at a: {r}"))?;
        // Stats count every hub's rows.
        let after = stats(&a.url()).await["agents"]["total"]
            .as_u64()
            .unwrap_or(0);
        check(after == before + 2, format!("total {before} -> {after}"))?;
        // A status change made through one hub is seen through the other.
        ca.request(json!({"action": "status", "id": id_a, "status": "busy"}))
            .await?;
        let r = cb.request(json!({"action": "lookup", "id": id_a})).await?;
        check(
            r["agent"]["status"] == "busy",
            format!("status via a, seen at b: {r}"),
        )?;
        // Hub a restarts: its row is kept, offline; hub b's row stays online.
        a.kill();
        let a2 = HubProcess::start(&["--store", url, "--hub-name", "hub-a"]);
        let c2 = HubClient::connect(&a2.url()).await?;
        let r = c2.request(json!({"action": "lookup", "id": id_a})).await?;
        check(
            r["agent"]["status"] == "offline",
            format!("a's row after restart: {r}"),
        )?;
        let r = c2.request(json!({"action": "lookup", "id": id_b})).await?;
        check(
            r["agent"]["status"] == "online",
            format!("b's row after a's restart: {r}"),
        )?;
        drop(b);
        Ok(())
    })
}

fn schema_is_created_once_by_hubs_starting_together(url: &str) -> Result<(), Failed> {
    // Several hubs racing on the migration: each starts and serves.
    let hubs: Vec<_> = (0..3)
        .map(|i| {
            let url = url.to_owned();
            std::thread::spawn(move || {
                HubProcess::start(&["--store", &url, "--hub-name", &format!("race-{i}")])
            })
        })
        .collect();
    let hubs: Vec<HubProcess> = hubs.into_iter().map(|h| h.join().unwrap()).collect();
    rt().block_on(async {
        for h in &hubs {
            let s = stats(&h.url()).await;
            check(s["status"] == "ok", format!("{s}"))?;
        }
        Ok(())
    })
}

fn main() {
    let args = Arguments::from_args();
    let url = url();
    if url.is_none() {
        eprintln!("{ENV} is not set: the PostgreSQL store trials are reported ignored (skipped)");
    }
    let u = url.clone().unwrap_or_default();
    let u2 = u.clone();
    let trials = vec![
        Trial::test("postgres::two_hubs_see_each_others_agents", move || {
            two_hubs_see_each_others_agents(&u)
        })
        .with_ignored_flag(url.is_none()),
        Trial::test(
            "postgres::schema_is_created_once_by_hubs_starting_together",
            move || schema_is_created_once_by_hubs_starting_together(&u2),
        )
        .with_ignored_flag(url.is_none()),
    ];
    libtest_mimic::run(&args, trials).exit();
}
