//! The Molt hub's `discover` fast path ([`Hub::reply_frame`]: cached row texts, a bounded heap,
//! the reply written from a [`DiscoverPage`]) against the straightforward computation kept as
//! [`Hub::handle_frame`] (a JSON tree per row, every row sorted): the reply bytes must be the
//! same for every registry and every request. [MOLT-HUB-020] … [MOLT-HUB-024]
//! [MOLT-HUB-063]

use m2m_reference::molt::hub::{
    Agent, Hub, Limits, ListingCache, MemoryRows, Reply, Rows, SeededIds, StoreError,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Text with the characters JSON escapes, non-ASCII and the hub's filter words.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["c0", "c1", "c2", "c3", "load", "online", "idle", "busy"])
            .prop_map(str::to_owned),
        1 => "[a-c\"\\\\/\u{1}\u{7f}é€😀 ]{0,6}",
    ]
}

/// Any JSON value, small.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        prop::num::f64::NORMAL.prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Stored capabilities: mostly arrays of capability names, sometimes any JSON.
fn capabilities() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::collection::vec(text(), 0..4).prop_map(|v| json!(v)),
        1 => text().prop_map(Value::String),
        1 => prop::collection::btree_map(text(), json_value(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        1 => json_value(),
    ]
}

fn status() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["online", "online", "idle", "offline", "busy", "x\"y"])
        .prop_map(str::to_owned)
}

const BASE_MS: u64 = 1_767_225_600_000;

/// A registry: rows with distinct, gapped `seq`s and last-seen times on a coarse grid (many
/// ties in seconds, some exact ties).
fn registry() -> impl Strategy<Value = Vec<Agent>> {
    prop::collection::vec(
        (
            1u64..4,
            "[0-9a-f]{32}|[a-z]{0,3}",
            text(),
            capabilities(),
            json_value(),
            status(),
            0u64..40,
            0u64..3,
        ),
        0..60,
    )
    .prop_map(|rows| {
        let mut seq = 0;
        rows.into_iter()
            .enumerate()
            .map(|(i, (gap, id, address, caps, meta, status, grid, fine))| {
                seq += gap;
                Agent {
                    id: format!("{id}{i}"),
                    address,
                    capabilities: caps,
                    metadata: meta,
                    status,
                    last_seen_ms: BASE_MS + grid * 400 + fine * 7,
                    seq,
                }
            })
            .collect()
    })
}

/// A `discover` request: every field absent, falsy, well-formed or odd.
fn discover_request(ids: Vec<String>) -> impl Strategy<Value = String> {
    let limit = prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(json!(false))),
        Just(Some(json!(true))),
        Just(Some(json!(0))),
        (1u64..12).prop_map(|n| Some(json!(n))),
        Just(Some(json!(600))),
        Just(Some(json!(" 4"))),
        Just(Some(json!("x"))),
        Just(Some(json!(-1))),
        Just(Some(json!(1.5))),
    ];
    let offset = prop_oneof![
        Just(None),
        Just(Some(json!(0))),
        (1u64..20).prop_map(|n| Some(json!(n))),
        Just(Some(json!("3"))),
        Just(Some(json!("abc"))),
        Just(Some(json!(-2))),
        Just(Some(json!(2.0))),
        Just(Some(json!(u64::MAX))),
        Just(Some(json!(""))),
    ];
    let id = prop_oneof![
        Just(None),
        prop::sample::select(if ids.is_empty() {
            vec![String::new()]
        } else {
            ids
        })
        .prop_map(|s| Some(json!(s))),
        text().prop_map(|s| Some(json!(s))),
        Just(Some(json!(7))),
        Just(Some(json!(true))),
    ];
    let caps = prop_oneof![
        2 => Just(None),
        1 => Just(Some(json!([]))),
        1 => prop::collection::vec(text(), 1..3).prop_map(|v| Some(json!(v))),
        1 => Just(Some(json!(["c1", null, ["c2", ["load"]], 1, true, {"c3": 1}]))),
        1 => Just(Some(json!("c1"))),
        1 => Just(Some(json!(""))),
        1 => Just(Some(json!(5))),
        1 => Just(Some(json!({"c1": true}))),
    ];
    let status = prop_oneof![
        3 => Just(None),
        1 => status().prop_map(|s| Some(json!(s))),
        1 => Just(Some(json!(""))),
        1 => Just(Some(json!(1))),
        1 => Just(Some(json!(true))),
    ];
    let correlation = prop_oneof![
        2 => Just(None),
        1 => json_value().prop_map(Some),
        1 => Just(Some(json!({"agents": []}))),
    ];
    (limit, offset, id, caps, status, correlation).prop_map(|(l, o, i, c, s, k)| {
        let mut m = Map::new();
        m.insert("action".into(), json!("discover"));
        for (name, v) in [
            ("limit", l),
            ("offset", o),
            ("id", i),
            ("capabilities", c),
            ("status", s),
            ("correlationId", k),
        ] {
            if let Some(v) = v {
                m.insert(name.into(), v);
            }
        }
        Value::Object(m).to_string()
    })
}

/// Answer `frame` both ways on one hub (`discover` changes nothing) and compare the bytes.
fn same_reply(hub: &mut Hub, frame: &str, now_ms: u64) -> Result<(), TestCaseError> {
    let mut ids = SeededIds::new(9);
    let fast = hub.reply_frame(1, frame, now_ms, &mut ids);
    let tree = hub.handle_frame(1, frame, now_ms, &mut ids);
    prop_assert_eq!(fast.to_text(), tree.to_string(), "request {}", frame);
    if tree["status"] == "ok" {
        prop_assert!(matches!(fast, Reply::Discover(_)), "fast path not taken");
    }
    prop_assert_eq!(fast.into_value(), tree);
    Ok(())
}

fn registry_and_requests() -> impl Strategy<Value = (Vec<Agent>, Vec<(String, u64)>)> {
    registry().prop_flat_map(|rows| {
        let ids: Vec<String> = rows.iter().map(|a| a.id.clone()).collect();
        // Some requests come before the latest last-seen time (a clock stepped back).
        let requests = prop::collection::vec((discover_request(ids), 0u64..40_000), 1..12)
            .prop_map(|v| {
                v.into_iter()
                    .map(|(r, t)| (r, BASE_MS + t))
                    .collect::<Vec<_>>()
            });
        (Just(rows), requests)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random registries and requests: the page equals the tree, byte for byte.
    #[test]
    fn molt_discover_page_equals_tree((rows, requests) in registry_and_requests()) {
        let mut store = MemoryRows::default();
        for a in rows {
            store.insert_with_seq(a);
        }
        let mut hub = Hub::with_rows(BASE_MS, Box::new(store), Limits::default());
        hub.open(1, "127.0.0.1", None);
        for (frame, now) in &requests {
            same_reply(&mut hub, frame, *now)?;
            // A second time: now from the filled caches.
            same_reply(&mut hub, frame, *now)?;
        }
    }

    /// The same over a store that caches nothing (as PostgreSQL): every text made afresh.
    #[test]
    fn molt_discover_page_equals_tree_uncached((rows, requests) in registry_and_requests()) {
        let mut store = Uncached(MemoryRows::default());
        for a in rows {
            store.0.insert_with_seq(a);
        }
        let mut hub = Hub::with_rows(BASE_MS, Box::new(store), Limits::default());
        hub.open(1, "127.0.0.1", None);
        for (frame, now) in &requests {
            same_reply(&mut hub, frame, *now)?;
        }
    }

    /// Registrations, heartbeats, status merges, disconnects, closes and ageing passes between
    /// discovers: every cached text follows its row's changes.
    #[test]
    fn molt_discover_page_follows_changes(steps in prop::collection::vec(step(), 1..60)) {
        let mut hub = Hub::with_rows(
            BASE_MS,
            Box::<MemoryRows>::default(),
            Limits { offline_retention_ms: Some(600_000), ..Limits::default() },
        );
        let mut ids = SeededIds::new(5);
        let mut now = BASE_MS;
        let mut known: Vec<String> = Vec::new();
        for c in 1..=3 {
            hub.open(c, "127.0.0.1", None);
        }
        for s in steps {
            match s {
                Step::Register(conn, caps, meta) => {
                    let f = json!({"action": "register", "address": "x:1", "capabilities": caps, "metadata": meta});
                    let r = hub.reply_frame(conn, &f.to_string(), now, &mut ids).into_value();
                    if let Some(id) = r["id"].as_str() {
                        known.push(id.to_owned());
                    }
                }
                Step::Heartbeat(i) => {
                    let id = pick(&known, i);
                    hub.reply_frame(1, &json!({"action": "heartbeat", "id": id}).to_string(), now, &mut ids);
                }
                Step::Status(i, status, meta) => {
                    let id = pick(&known, i);
                    let f = json!({"action": "status", "id": id, "status": status, "metadata": meta});
                    hub.reply_frame(1, &f.to_string(), now, &mut ids);
                }
                Step::Disconnect(i) => {
                    let id = pick(&known, i);
                    hub.reply_frame(1, &json!({"action": "disconnect", "id": id}).to_string(), now, &mut ids);
                }
                Step::Close(conn) => {
                    hub.close(conn).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    hub.open(conn, "127.0.0.1", None);
                }
                Step::Advance(ms) => {
                    now += ms;
                    hub.advance_to(now).map_err(|e| TestCaseError::fail(e.to_string()))?;
                }
                Step::Discover(limit, offset, cap, exclude) => {
                    let mut f = json!({"action": "discover", "limit": limit, "offset": offset});
                    if let Some(c) = cap {
                        f["capabilities"] = json!([c]);
                    }
                    if let Some(i) = exclude {
                        f["id"] = json!(pick(&known, i));
                    }
                    same_reply(&mut hub, &f.to_string(), now)?;
                }
            }
        }
        // Every row once more, after all changes.
        same_reply(&mut hub, r#"{"action":"discover","limit":500}"#, now)?;
    }
}

#[derive(Debug, Clone)]
enum Step {
    Register(u64, Value, Value),
    Heartbeat(usize),
    Status(usize, Option<String>, Option<Value>),
    Disconnect(usize),
    Close(u64),
    Advance(u64),
    Discover(u64, u64, Option<String>, Option<usize>),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u64..=3, capabilities(), json_value()).prop_map(|(c, k, m)| Step::Register(c, k, m)),
        2 => any::<usize>().prop_map(Step::Heartbeat),
        2 => (any::<usize>(), prop::option::of(status()), prop::option::of(json_value()))
            .prop_map(|(i, s, m)| Step::Status(i, s, m)),
        1 => any::<usize>().prop_map(Step::Disconnect),
        1 => (1u64..=3).prop_map(Step::Close),
        2 => prop_oneof![0u64..1_500, 1_000u64..200_000].prop_map(Step::Advance),
        3 => (0u64..8, 0u64..4, prop::option::of(text()), prop::option::of(any::<usize>()))
            .prop_map(|(l, o, c, x)| Step::Discover(l, o, c, x)),
    ]
}

fn pick(known: &[String], i: usize) -> String {
    if known.is_empty() {
        "0".repeat(32)
    } else {
        known[i % known.len()].clone()
    }
}

/// A store without a listing cache (the default `scan_listed`, as the PostgreSQL store).
struct Uncached(MemoryRows);

impl Rows for Uncached {
    fn insert(&mut self, agent: Agent) -> Result<Agent, StoreError> {
        self.0.insert(agent)
    }
    fn get(&mut self, id: &str) -> Result<Option<Agent>, StoreError> {
        self.0.get(id)
    }
    fn update(&mut self, agent: &Agent) -> Result<(), StoreError> {
        self.0.update(agent)
    }
    fn remove(&mut self, ids: &[String]) -> Result<(), StoreError> {
        self.0.remove(ids)
    }
    fn scan(&mut self, visit: &mut dyn FnMut(&Agent)) -> Result<(), StoreError> {
        self.0.scan(visit)
    }
}

fn agent(seq: u64, status: &str) -> Agent {
    Agent {
        id: format!("{seq:032x}"),
        address: "127.0.0.1:1".into(),
        capabilities: json!(["c"]),
        metadata: json!({"n": seq}),
        status: status.into(),
        last_seen_ms: BASE_MS,
        seq,
    }
}

/// The cache is one text per row: filled by a listing, emptied by a change of status or
/// metadata (not by a heartbeat's time), gone with a deleted row. [MOLT-HUB-060]
#[test]
fn molt_listing_cache_is_bounded_by_the_rows() {
    let mut rows = MemoryRows::default();
    for s in 1..=10 {
        rows.insert_with_seq(agent(s, "online"));
    }
    let fill = |rows: &mut MemoryRows| {
        let mut texts = Vec::new();
        rows.scan_listed(&mut |a, c: &ListingCache| texts.push(c.text(a)))
            .unwrap();
        texts
    };
    let first = fill(&mut rows);
    assert_eq!(rows.cached_listings(), 10);
    // Time only: the text stays.
    let mut a = agent(1, "online");
    a.last_seen_ms += 5_000;
    rows.update(&a).unwrap();
    assert_eq!(rows.cached_listings(), 10);
    // Status and metadata: the text goes, and the next one shows the change.
    a.status = "busy".into();
    rows.update(&a).unwrap();
    let mut b = agent(2, "online");
    b.metadata = json!({"n": 99});
    rows.update(&b).unwrap();
    assert_eq!(rows.cached_listings(), 8);
    let second = fill(&mut rows);
    assert_ne!(first[0], second[0]);
    assert_ne!(first[1], second[1]);
    assert_eq!(first[2], second[2]);
    // Deleted rows take their texts with them.
    let gone: Vec<String> = (1..=6).map(|s| format!("{s:032x}")).collect();
    rows.remove(&gone).unwrap();
    assert_eq!(rows.cached_listings(), 4);
}
