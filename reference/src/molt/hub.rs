//! The Molt discovery hub as a sans-IO registry: agent rows, the WebSocket request/reply
//! actions, the online → idle → offline ageing pass, and the HTTP endpoints. Time is passed in
//! as milliseconds since the Unix epoch; agent ids come from an [`IdSource`]. [MOLT-HUB-*]
//!
//! The reply shapes and the quirks that a client can observe (error strings, which fields are
//! echoed, filters, limits, ordering) follow the JavaScript hub, as the spec chapter `molt`
//! states them; where the spec asks for better behaviour it says so.
//!
//! ## The `discover` fast path
//!
//! A live hub answers `discover` through [`Hub::reply_frame`], which never builds a JSON tree
//! per listed row. Three parts:
//!
//! * **Rows serialized once.** [`RowText`] is a row's listing object as compact JSON, split
//!   around the one field that moves with the clock (`lastSeen`). A store that sees every
//!   change to its rows ([`MemoryRows`], and the SQLite store through its in-memory copy)
//!   keeps one [`ListingCache`] per row; the text is made on the first `discover` that lists
//!   the row and dropped when the row's status or metadata changes (a heartbeat that only
//!   moves `last_seen` keeps it). The cache lives in the row's own entry, so it is bounded by
//!   the row store and goes away with a deleted row. A store that cannot see changes made
//!   elsewhere (PostgreSQL, shared by several hubs) hands a fresh, empty cache to each visit.
//! * **A partial sort.** One pass over the rows keeps the `offset + limit` first rows of the
//!   listing order in a bounded max-heap (it holds at most that many rows, and never more
//!   than the store's rows); only those are ordered.
//! * **Assembly outside the registry.** The registry answers with a [`DiscoverPage`]: the
//!   reference-counted texts of the listed rows with their `lastSeen` numbers, and the echoed
//!   limit, offset and correlation id. The caller (the connection task of the runnable hub)
//!   writes the reply text with [`Reply::to_text`] without holding the registry; the
//!   registry's own work per `discover` is the filter pass and the heap.
//!
//! The reply bytes are exactly those of the straightforward computation, which stays as
//! [`Hub::handle_frame`] (a tree per row, every row sorted) and serves as the oracle of the
//! property tests that compare both over random registries and queries.

use std::cell::OnceCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use serde_json::{json, Map, Value};

/// The protocol version a hub reports. [MOLT-HUB-040]
pub const VERSION: &str = "2.0.0";
/// Default and maximum page size of `discover` and `/agents`. [MOLT-HUB-021]
pub const DEFAULT_LIMIT: u64 = 100;
/// Maximum page size of every listing. [MOLT-HUB-021]
pub const MAX_LIMIT: u64 = 500;
/// Default page size of `find`. [MOLT-HUB-025]
pub const FIND_DEFAULT_LIMIT: u64 = 10;
/// Period of the ageing pass, from hub start. [MOLT-HUB-030]
pub const CLEANUP_PERIOD_MS: u64 = 30_000;
/// An `online` row not seen for longer than this becomes `idle`. [MOLT-HUB-031]
pub const IDLE_AFTER_MS: u64 = 120_000;
/// An `idle` row not seen for longer than this becomes `offline`. [MOLT-HUB-031]
pub const OFFLINE_AFTER_MS: u64 = 300_000;
/// Column limits of the stored address and status (characters). [MOLT-HUB-012] [MOLT-HUB-027]
pub const ADDRESS_MAX_CHARS: usize = 50;
/// See [`ADDRESS_MAX_CHARS`].
pub const STATUS_MAX_CHARS: usize = 20;
/// Default number of successful `register` requests one connection may make. [MOLT-HUB-061]
pub const DEFAULT_MAX_REGISTRATIONS_PER_CONN: u32 = 16;
/// Default cap on the stored capabilities plus metadata of one row (bytes of compact JSON).
/// [MOLT-HUB-062]
pub const DEFAULT_MAX_METADATA_BYTES: usize = 64 * 1024;
/// Default time an `offline` row is kept after it was last seen: 7 days. [MOLT-HUB-060]
pub const DEFAULT_OFFLINE_RETENTION_MS: u64 = 7 * 24 * 3600 * 1000;

/// Retention policy and per-connection limits of a hub. [MOLT-HUB-060] … [MOLT-HUB-062]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Successful registrations allowed per connection; further ones are answered
    /// `too_many_registrations`. [MOLT-HUB-061]
    pub max_registrations_per_conn: u32,
    /// Largest stored `capabilities` + `metadata` (compact JSON bytes); a `register` or a
    /// `status` merge beyond it is answered `metadata_too_large`. [MOLT-HUB-062]
    pub max_metadata_bytes: usize,
    /// An `offline` row last seen longer ago than this is deleted by the ageing pass;
    /// `None` keeps rows forever. [MOLT-HUB-060]
    pub offline_retention_ms: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_registrations_per_conn: DEFAULT_MAX_REGISTRATIONS_PER_CONN,
            max_metadata_bytes: DEFAULT_MAX_METADATA_BYTES,
            offline_retention_ms: Some(DEFAULT_OFFLINE_RETENTION_MS),
        }
    }
}

/// A failure of the row store behind a hub (an I/O edge: a database error). The hub answers
/// the request as it answers a storage rejection (MOLT-HUB-006). [MOLT-HUB-063]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("agent store: {0}")]
pub struct StoreError(pub String);

/// Where a hub keeps its rows. The hub decides every outcome; a store only keeps, finds and
/// lists rows, so the semantics are the same over every store: [`MemoryRows`] here, SQLite
/// and PostgreSQL in the runnable hub (crate `m2m-molt`). [MOLT-HUB-063]
pub trait Rows: Send {
    /// Store a new row; the store assigns [`Agent::seq`] (registration order, unique across
    /// every hub sharing the store) and returns the row as stored.
    fn insert(&mut self, agent: Agent) -> Result<Agent, StoreError>;
    /// The row with this id.
    fn get(&mut self, id: &str) -> Result<Option<Agent>, StoreError>;
    /// Write back the mutable fields (status, metadata, last seen) of an existing row.
    fn update(&mut self, agent: &Agent) -> Result<(), StoreError>;
    /// Delete rows by id.
    fn remove(&mut self, ids: &[String]) -> Result<(), StoreError>;
    /// Visit every row, in any order.
    fn scan(&mut self, visit: &mut dyn FnMut(&Agent)) -> Result<(), StoreError>;
    /// Visit every row with its listing cache, in any order. A store that sees every change to
    /// its rows keeps one [`ListingCache`] per row and empties it when the row's status or
    /// metadata changes; the default hands a fresh cache to each visit (nothing is kept).
    /// [MOLT-HUB-020] [MOLT-HUB-063]
    fn scan_listed(
        &mut self,
        visit: &mut dyn FnMut(&Agent, &ListingCache),
    ) -> Result<(), StoreError> {
        self.scan(&mut |a| visit(a, &ListingCache::default()))
    }
}

/// A row of a `discover` listing, `{address, capabilities, id, lastSeen, metadata, status}`, as
/// compact JSON in the key order the hub's JSON objects serialize in, split around the
/// `lastSeen` number: `head` ends with `"lastSeen":`, `tail` starts with the comma after it.
/// [MOLT-HUB-024]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowText {
    head: Box<str>,
    tail: Box<str>,
}

/// Append the compact JSON of `v`.
fn push_json<T: serde::Serialize + ?Sized>(out: &mut String, v: &T) {
    // Serializing a string or a JSON tree cannot fail.
    out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
}

impl RowText {
    /// The listing text of `a` (every field but `lastSeen`, which the page adds).
    pub fn new(a: &Agent) -> Self {
        let mut head = String::from("{\"address\":");
        push_json(&mut head, &a.address);
        head.push_str(",\"capabilities\":");
        push_json(&mut head, &a.capabilities);
        head.push_str(",\"id\":");
        push_json(&mut head, &a.id);
        head.push_str(",\"lastSeen\":");
        let mut tail = String::from(",\"metadata\":");
        push_json(&mut tail, &a.metadata);
        tail.push_str(",\"status\":");
        push_json(&mut tail, &a.status);
        tail.push('}');
        RowText {
            head: head.into(),
            tail: tail.into(),
        }
    }

    /// Bytes of the text without the `lastSeen` number.
    pub fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Never true (a row's text is an object); for symmetry with [`RowText::len`].
    pub fn is_empty(&self) -> bool {
        false
    }

    fn write(&self, last_seen_s: u64, out: &mut String) {
        out.push_str(&self.head);
        let _ = write!(out, "{last_seen_s}");
        out.push_str(&self.tail);
    }
}

/// The cached [`RowText`] of one stored row: made on first use, emptied by
/// [`ListingCache::clear`] when the row's status or metadata changes. [MOLT-HUB-020]
#[derive(Debug, Clone, Default)]
pub struct ListingCache(OnceCell<Arc<RowText>>);

impl ListingCache {
    /// The text of `agent` (the row this cache belongs to), made now unless cached.
    pub fn text(&self, agent: &Agent) -> Arc<RowText> {
        Arc::clone(self.0.get_or_init(|| Arc::new(RowText::new(agent))))
    }

    /// Forget the text (the row changed).
    pub fn clear(&mut self) {
        self.0 = OnceCell::new();
    }

    /// Whether a text is cached.
    pub fn is_filled(&self) -> bool {
        self.0.get().is_some()
    }
}

/// Whether `serde_json` objects serialize their keys sorted (its default map; the feature
/// `preserve_order` keeps insertion order instead). [`RowText`] and [`DiscoverPage`] write the
/// sorted order; without it, [`Hub::reply_frame`] answers `discover` with the tree.
fn map_keys_sorted() -> bool {
    static SORTED: OnceLock<bool> = OnceLock::new();
    *SORTED.get_or_init(|| {
        let m = json!({"b": 0, "a": 0});
        m.as_object()
            .and_then(|o| o.keys().next())
            .is_some_and(|k| k == "a")
    })
}

/// A `discover` answer as the registry hands it out: the listed rows' shared texts with their
/// `lastSeen` numbers, in listing order, and the echoed fields. [`Reply::to_text`] writes the
/// reply. [MOLT-HUB-020] [MOLT-HUB-021] [MOLT-HUB-024]
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverPage {
    /// The listed rows and their seconds since last seen.
    pub rows: Vec<(Arc<RowText>, u64)>,
    /// The limit used.
    pub limit: u64,
    /// The offset as sent (or 0).
    pub offset: Value,
    /// The request's truthy `correlationId`, echoed.
    pub correlation_id: Option<Value>,
}

impl DiscoverPage {
    fn write(&self, out: &mut String) {
        out.push_str("{\"agents\":[");
        for (i, (text, last_seen_s)) in self.rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            text.write(*last_seen_s, out);
        }
        out.push(']');
        if let Some(c) = &self.correlation_id {
            out.push_str(",\"correlationId\":");
            push_json(out, c);
        }
        let _ = write!(
            out,
            ",\"count\":{},\"limit\":{},\"offset\":",
            self.rows.len(),
            self.limit
        );
        push_json(out, &self.offset);
        out.push_str(",\"status\":\"ok\"}");
    }
}

/// One reply frame to a WebSocket request. [MOLT-HUB-002]
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A reply as a JSON tree.
    Json(Value),
    /// A `discover` answer made of cached row texts.
    Discover(DiscoverPage),
}

impl Reply {
    /// The frame's text (compact JSON), byte for byte what the tree of the same reply
    /// serializes to.
    pub fn to_text(&self) -> String {
        match self {
            Reply::Json(v) => v.to_string(),
            Reply::Discover(p) => {
                let rows: usize = p.rows.iter().map(|(t, _)| t.len() + 21).sum();
                let mut out = String::with_capacity(rows + 96);
                p.write(&mut out);
                out
            }
        }
    }

    /// The frame as a JSON tree (a page is parsed back from its text; `null` only if its
    /// nesting passes the JSON parser's depth limit).
    pub fn into_value(self) -> Value {
        match self {
            Reply::Json(v) => v,
            page @ Reply::Discover(_) => {
                serde_json::from_str(&page.to_text()).unwrap_or(Value::Null)
            }
        }
    }
}

/// A row's place in the `discover` order: seconds since last seen ascending, then most
/// recently seen first, then newest row first (every row's `seq` differs, so the order is
/// total and equals the tree path's stable sort). [MOLT-HUB-024]
type ListingKey = (u64, Reverse<u64>, Reverse<u64>);

/// A row kept by the partial sort of `discover`; ordered by its key only.
struct Candidate {
    key: ListingKey,
    text: Arc<RowText>,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Rows in memory (a store for tests and scripted runs; nothing survives the process). Each
/// row carries its [`ListingCache`].
#[derive(Debug, Default, Clone)]
pub struct MemoryRows {
    rows: BTreeMap<u64, Entry>,
    index: HashMap<String, u64>,
    seq: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    agent: Agent,
    listing: ListingCache,
}

impl Entry {
    fn new(agent: Agent) -> Self {
        Entry {
            agent,
            listing: ListingCache::default(),
        }
    }
}

impl MemoryRows {
    /// Keep a row whose [`Agent::seq`] another store assigned (a cache in front of a file).
    pub fn insert_with_seq(&mut self, agent: Agent) {
        self.seq = self.seq.max(agent.seq);
        if let Some(old) = self.index.insert(agent.id.clone(), agent.seq) {
            self.rows.remove(&old);
        }
        self.rows.insert(agent.seq, Entry::new(agent));
    }

    /// How many rows hold a cached listing text (at most the number of rows).
    pub fn cached_listings(&self) -> usize {
        self.rows.values().filter(|e| e.listing.is_filled()).count()
    }
}

impl Rows for MemoryRows {
    fn insert(&mut self, mut agent: Agent) -> Result<Agent, StoreError> {
        self.seq += 1;
        agent.seq = self.seq;
        self.index.insert(agent.id.clone(), agent.seq);
        self.rows.insert(agent.seq, Entry::new(agent.clone()));
        Ok(agent)
    }

    fn get(&mut self, id: &str) -> Result<Option<Agent>, StoreError> {
        Ok(self
            .index
            .get(id)
            .and_then(|s| self.rows.get(s))
            .map(|e| e.agent.clone()))
    }

    fn update(&mut self, agent: &Agent) -> Result<(), StoreError> {
        if let Some(e) = self.index.get(&agent.id).and_then(|s| self.rows.get_mut(s)) {
            // The listing text holds status and metadata (not the time last seen).
            if e.agent.status != agent.status || e.agent.metadata != agent.metadata {
                e.agent.status.clone_from(&agent.status);
                e.agent.metadata.clone_from(&agent.metadata);
                e.listing.clear();
            }
            e.agent.last_seen_ms = agent.last_seen_ms;
        }
        Ok(())
    }

    fn remove(&mut self, ids: &[String]) -> Result<(), StoreError> {
        for id in ids {
            if let Some(s) = self.index.remove(id) {
                self.rows.remove(&s);
            }
        }
        Ok(())
    }

    fn scan(&mut self, visit: &mut dyn FnMut(&Agent)) -> Result<(), StoreError> {
        self.rows.values().for_each(|e| visit(&e.agent));
        Ok(())
    }

    fn scan_listed(
        &mut self,
        visit: &mut dyn FnMut(&Agent, &ListingCache),
    ) -> Result<(), StoreError> {
        self.rows.values().for_each(|e| visit(&e.agent, &e.listing));
        Ok(())
    }
}

/// Where agent ids come from: each must be 32 lower-case hex digits (128 random bits in a
/// live hub). [MOLT-HUB-010]
pub trait IdSource {
    /// The next fresh id.
    fn next_id(&mut self) -> String;
}

/// A deterministic [`IdSource`] (SplitMix64 over a seed) for tests and scripted runs.
#[derive(Debug, Clone)]
pub struct SeededIds {
    state: u64,
}

impl SeededIds {
    /// Ids derived from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededIds { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl IdSource for SeededIds {
    fn next_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// Whether a text is a well-formed agent id. [MOLT-HUB-010]
pub fn is_agent_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A WebSocket connection handle chosen by the caller.
pub type ConnId = u64;

/// One registered agent (a row; only the retention policy deletes rows). [MOLT-HUB-060]
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// Hub-minted id.
    pub id: String,
    /// Observed IP plus the port text the agent sent.
    pub address: String,
    /// As sent (any JSON; normally an array of strings).
    pub capabilities: Value,
    /// As sent, shallow-merged by `status`.
    pub metadata: Value,
    /// `online`, `idle`, `offline` or any custom text up to 20 characters.
    pub status: String,
    /// Last register / heartbeat / status time.
    pub last_seen_ms: u64,
    /// Registration order, assigned by the store (ties in listings: newest first).
    pub seq: u64,
}

#[derive(Debug, Clone)]
struct Conn {
    remote_ip: String,
    agent_id: Option<String>,
    /// Every id registered on this connection (at most the per-connection limit).
    registered: Vec<String>,
}

/// A reply to an HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// Whether the body is sent pretty-printed (2 spaces) rather than compact.
    pub pretty: bool,
}

/// The failure path of a request that the JavaScript hub answers with the generic
/// `invalid_json` reply (without correlation id). [MOLT-HUB-006]
#[derive(Debug)]
struct Fault;

/// The registry. [MOLT-HUB-001]
pub struct Hub {
    rows: Box<dyn Rows>,
    limits: Limits,
    conns: HashMap<ConnId, Conn>,
    clients: BTreeMap<String, ()>,
    connections_total: u64,
    start_ms: u64,
    next_cleanup_ms: u64,
    /// The WebSocket URL advertised in `GET /` and 404 bodies.
    pub ws_url: String,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("limits", &self.limits)
            .field("connections", &self.conns.len())
            .field("connections_total", &self.connections_total)
            .finish_non_exhaustive()
    }
}

impl From<StoreError> for Fault {
    fn from(_: StoreError) -> Fault {
        Fault
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// A JSON value as the text a SQL parameter carries (how the JS `pg` driver sends it).
fn sql_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Bytes of a value's compact JSON text. [MOLT-HUB-062]
fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// JSONB `?`: an array holding the string, an object with that key, or that string itself.
/// [MOLT-HUB-022]
pub fn jsonb_has(v: &Value, key: &str) -> bool {
    match v {
        Value::Array(a) => a.iter().any(|e| e.as_str() == Some(key)),
        Value::Object(o) => o.contains_key(key),
        Value::String(s) => s == key,
        _ => false,
    }
}

/// JSONB `||`: two objects merge shallowly (right wins); otherwise both sides become arrays
/// (a non-array is wrapped) and are concatenated. [MOLT-HUB-028]
pub fn jsonb_concat(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut m = x.clone();
            for (k, v) in y {
                m.insert(k.clone(), v.clone());
            }
            Value::Object(m)
        }
        _ => {
            let mut out = match a {
                Value::Array(x) => x.clone(),
                other => vec![other.clone()],
            };
            match b {
                Value::Array(y) => out.extend(y.iter().cloned()),
                other => out.push(other.clone()),
            }
            Value::Array(out)
        }
    }
}

/// A page size or offset as the JS hub reads it: a non-negative integer, a numeric string,
/// `true` (= 1 for limits); anything else fails. Returns the number and the value to echo.
fn page_number(v: &Value, bool_ok: bool) -> Result<u64, Fault> {
    match v {
        Value::Number(n) => n.as_u64().ok_or(Fault),
        Value::String(s) => s.trim().parse::<u64>().map_err(|_| Fault),
        Value::Bool(true) if bool_ok => Ok(1),
        _ => Err(Fault),
    }
}

/// A parsed `discover` request. [MOLT-HUB-020] … [MOLT-HUB-023]
struct DiscoverQuery {
    limit: u64,
    limit_v: Value,
    offset: u64,
    offset_v: Value,
    exclude: Option<String>,
    caps: Option<Vec<String>>,
    status: Option<String>,
}

impl DiscoverQuery {
    /// Whether the row is listed (before paging).
    fn keeps(&self, a: &Agent) -> bool {
        a.status != "offline"
            && self.exclude.as_deref() != Some(a.id.as_str())
            && self
                .caps
                .as_ref()
                .is_none_or(|c| c.iter().any(|k| jsonb_has(&a.capabilities, k)))
            && self.status.as_deref().is_none_or(|s| a.status == s)
    }
}

impl Hub {
    /// An empty in-memory hub started at `start_ms`, with the default limits. [MOLT-HUB-001]
    pub fn new(start_ms: u64) -> Self {
        Hub::with_rows(start_ms, Box::<MemoryRows>::default(), Limits::default())
    }

    /// A hub over a row store, started at `start_ms`. [MOLT-HUB-063]
    pub fn with_rows(start_ms: u64, rows: Box<dyn Rows>, limits: Limits) -> Self {
        Hub {
            rows,
            limits,
            conns: HashMap::new(),
            clients: BTreeMap::new(),
            connections_total: 0,
            start_ms,
            next_cleanup_ms: start_ms + CLEANUP_PERIOD_MS,
            ws_url: "ws://127.0.0.1:3000/ws".into(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Every row, in registration order.
    pub fn agents(&mut self) -> Result<Vec<Agent>, StoreError> {
        let mut all = Vec::new();
        self.rows.scan(&mut |a| all.push(a.clone()))?;
        all.sort_by_key(|a| a.seq);
        Ok(all)
    }

    /// A row by id.
    pub fn agent(&mut self, id: &str) -> Result<Option<Agent>, StoreError> {
        self.rows.get(id)
    }

    /// Rows that `keep` selects (cloned), in any order.
    fn select(&mut self, keep: &dyn Fn(&Agent) -> bool) -> Result<Vec<Agent>, StoreError> {
        let mut out = Vec::new();
        self.rows.scan(&mut |a| {
            if keep(a) {
                out.push(a.clone());
            }
        })?;
        Ok(out)
    }

    /// Change the row `id` (when it exists) and write it back.
    fn modify(&mut self, id: &str, change: impl FnOnce(&mut Agent)) -> Result<(), StoreError> {
        if let Some(mut a) = self.rows.get(id)? {
            change(&mut a);
            self.rows.update(&a)?;
        }
        Ok(())
    }

    /// A WebSocket connection opened from `peer_ip` (a `::ffff:` IPv4-mapped prefix is
    /// removed), or, when the upgrade request carried a non-empty `X-Forwarded-For`, from the
    /// first entry of that header. [MOLT-HUB-011]
    pub fn open(&mut self, conn: ConnId, peer_ip: &str, forwarded_for: Option<&str>) {
        self.connections_total += 1;
        let remote_ip = match forwarded_for.filter(|f| !f.is_empty()) {
            Some(f) => f.split(',').next().unwrap_or("").trim().to_owned(),
            None if peer_ip.is_empty() => "unknown".to_owned(),
            None => peer_ip.replacen("::ffff:", "", 1),
        };
        self.conns.insert(
            conn,
            Conn {
                remote_ip,
                agent_id: None,
                registered: Vec::new(),
            },
        );
    }

    /// The connection closed: the last agent registered on it becomes `offline`, and no id
    /// registered on it counts as active any more. [MOLT-HUB-032] [MOLT-HUB-040]
    pub fn close(&mut self, conn: ConnId) -> Result<(), StoreError> {
        if let Some(c) = self.conns.remove(&conn) {
            for id in &c.registered {
                self.clients.remove(id);
            }
            if let Some(id) = c.agent_id {
                self.modify(&id, |a| a.status = "offline".into())?;
            }
        }
        Ok(())
    }

    /// Run every ageing pass due at or before `now_ms` (one each 30 s from start), each at
    /// its own scheduled time. A hub that was stopped longer than a period runs the passes it
    /// missed one after another. [MOLT-HUB-030]
    pub fn advance_to(&mut self, now_ms: u64) -> Result<(), StoreError> {
        while self.next_cleanup_ms <= now_ms {
            let at = self.next_cleanup_ms;
            self.next_cleanup_ms += CLEANUP_PERIOD_MS;
            self.cleanup(at)?;
        }
        Ok(())
    }

    /// One ageing pass at `now_ms`: `online` rows last seen more than 2 min ago become `idle`,
    /// then `idle` rows last seen more than 5 min ago become `offline` [MOLT-HUB-031]; then
    /// `offline` rows older than the retention period are deleted [MOLT-HUB-060].
    pub fn cleanup(&mut self, now_ms: u64) -> Result<(), StoreError> {
        let retention = self.limits.offline_retention_ms;
        let mut changed = Vec::new();
        let mut expired = Vec::new();
        self.rows.scan(&mut |a| {
            let mut status = a.status.as_str();
            if status == "online" && a.last_seen_ms + IDLE_AFTER_MS < now_ms {
                status = "idle";
            }
            if status == "idle" && a.last_seen_ms + OFFLINE_AFTER_MS < now_ms {
                status = "offline";
            }
            if status == "offline"
                && retention.is_some_and(|r| a.last_seen_ms.saturating_add(r) < now_ms)
            {
                expired.push(a.id.clone());
            } else if status != a.status {
                let mut b = a.clone();
                b.status = status.to_owned();
                changed.push(b);
            }
        })?;
        for a in &changed {
            self.rows.update(a)?;
        }
        if !expired.is_empty() {
            self.rows.remove(&expired)?;
        }
        Ok(())
    }

    /// Handle one WebSocket text frame from `conn` at `now_ms`; returns the one reply frame as
    /// a JSON tree. This is the straightforward computation (a tree per listed row, every
    /// matching row sorted), kept as the oracle of [`Hub::reply_frame`]. [MOLT-HUB-002] …
    /// [MOLT-HUB-007]
    pub fn handle_frame(
        &mut self,
        conn: ConnId,
        text: &str,
        now_ms: u64,
        ids: &mut dyn IdSource,
    ) -> Value {
        self.frame(conn, text, now_ms, ids, false).into_value()
    }

    /// Handle one WebSocket text frame from `conn` at `now_ms`, as a live hub does: the same
    /// reply as [`Hub::handle_frame`] (the same bytes once written with [`Reply::to_text`]),
    /// with `discover` answered by a [`DiscoverPage`] of cached row texts (see the module
    /// documentation). [MOLT-HUB-002] … [MOLT-HUB-007] [MOLT-HUB-020]
    pub fn reply_frame(
        &mut self,
        conn: ConnId,
        text: &str,
        now_ms: u64,
        ids: &mut dyn IdSource,
    ) -> Reply {
        self.frame(conn, text, now_ms, ids, map_keys_sorted())
    }

    fn frame(
        &mut self,
        conn: ConnId,
        text: &str,
        now_ms: u64,
        ids: &mut dyn IdSource,
        page: bool,
    ) -> Reply {
        let invalid = || Reply::Json(json!({"status": "error", "error": "invalid_json"}));
        let Ok(request) = serde_json::from_str::<Value>(text) else {
            return invalid();
        };
        if request.is_null() {
            return invalid();
        }
        let empty = Map::new();
        let req = request.as_object().unwrap_or(&empty);
        let action = req.get("action").and_then(Value::as_str).unwrap_or("");
        let result = match action {
            "discover" if page => self.discover_page(req, now_ms).map(Reply::Discover),
            "discover" => self.discover(req, now_ms).map(Reply::Json),
            other => match other {
                "register" => self.register(conn, req, now_ms, ids),
                "heartbeat" => self.heartbeat(req, now_ms),
                "find" => self.find(req),
                "lookup" => self.lookup(req),
                "status" => self.status(req, now_ms),
                "disconnect" => self.disconnect(req),
                "stats" => self.stats(now_ms).map_err(Fault::from),
                _ => Ok(json!({"status": "error", "error": "unknown_action"})),
            }
            .map(Reply::Json),
        };
        let Ok(mut reply) = result else {
            return invalid();
        };
        if truthy(req.get("correlationId")) {
            let id = req["correlationId"].clone();
            match &mut reply {
                Reply::Json(v) => v["correlationId"] = id,
                Reply::Discover(p) => p.correlation_id = Some(id),
            }
        }
        reply
    }

    /// `register` → `{status, id, address}`. [MOLT-HUB-010] [MOLT-HUB-012] [MOLT-HUB-013]
    fn register(
        &mut self,
        conn: ConnId,
        req: &Map<String, Value>,
        now_ms: u64,
        ids: &mut dyn IdSource,
    ) -> Result<Value, Fault> {
        let remote_ip = self
            .conns
            .get(&conn)
            .map_or_else(|| "unknown".to_owned(), |c| c.remote_ip.clone());
        let mut address = remote_ip.clone();
        let given = req.get("address");
        if truthy(given) {
            let Some(Value::String(s)) = given else {
                return Err(Fault);
            };
            if let Some(port) = s.split(':').nth(1).filter(|p| !p.is_empty()) {
                address = format!("{remote_ip}:{port}");
            }
        }
        let capabilities = req.get("capabilities").cloned().unwrap_or(json!([]));
        let metadata = req.get("metadata").cloned().unwrap_or(json!({}));
        if address.chars().count() > ADDRESS_MAX_CHARS
            || address.contains('\0')
            || has_nul(&capabilities)
            || has_nul(&metadata)
        {
            return Err(Fault);
        }
        let registered = self.conns.get(&conn).map_or(0, |c| c.registered.len());
        if registered >= self.limits.max_registrations_per_conn as usize {
            return Ok(json!({"status": "error", "error": "too_many_registrations"}));
        }
        if json_len(&capabilities) + json_len(&metadata) > self.limits.max_metadata_bytes {
            return Ok(json!({"status": "error", "error": "metadata_too_large"}));
        }
        let id = ids.next_id();
        self.rows.insert(Agent {
            id: id.clone(),
            address: address.clone(),
            capabilities,
            metadata,
            status: "online".into(),
            last_seen_ms: now_ms,
            seq: 0,
        })?;
        if let Some(c) = self.conns.get_mut(&conn) {
            c.agent_id = Some(id.clone());
            c.registered.push(id.clone());
        }
        self.clients.insert(id.clone(), ());
        Ok(json!({"status": "ok", "id": id, "address": address}))
    }

    /// `heartbeat` → `{status, timestamp}`; revives any named row. [MOLT-HUB-014]
    fn heartbeat(&mut self, req: &Map<String, Value>, now_ms: u64) -> Result<Value, Fault> {
        if let Some(id) = req.get("id").filter(|v| !v.is_null()).map(sql_text) {
            self.modify(&id, |a| {
                a.status = "online".into();
                a.last_seen_ms = now_ms;
            })?;
        }
        Ok(json!({"status": "ok", "timestamp": now_ms}))
    }

    fn page(
        req: &Map<String, Value>,
        name: &str,
        default: u64,
        limit: bool,
    ) -> Result<(u64, Value), Fault> {
        let v = req.get(name);
        if !truthy(v) {
            return Ok((default, json!(default)));
        }
        let v = v.expect("truthy");
        let n = page_number(v, limit)?;
        if limit {
            let n = n.min(MAX_LIMIT);
            Ok((n, json!(n)))
        } else {
            Ok((n, v.clone()))
        }
    }

    fn seconds_ago(&self, a: &Agent, now_ms: u64) -> u64 {
        Self::seconds_since(a, now_ms)
    }

    /// Whole seconds since `a` was last seen, rounded. [MOLT-HUB-024]
    fn seconds_since(a: &Agent, now_ms: u64) -> u64 {
        now_ms.saturating_sub(a.last_seen_ms).saturating_add(500) / 1000
    }

    fn listing_row(&self, a: &Agent, now_ms: u64) -> Value {
        json!({
            "id": a.id, "address": a.address, "capabilities": a.capabilities,
            "metadata": a.metadata, "status": a.status, "lastSeen": self.seconds_ago(a, now_ms),
        })
    }

    /// The page and filters of a `discover` request. [MOLT-HUB-020] … [MOLT-HUB-023]
    fn discover_query(req: &Map<String, Value>) -> Result<DiscoverQuery, Fault> {
        let (limit, limit_v) = Self::page(req, "limit", DEFAULT_LIMIT, true)?;
        let (offset, offset_v) = Self::page(req, "offset", 0, false)?;
        let exclude = req.get("id").filter(|v| truthy(Some(v))).map(sql_text);
        let caps: Option<Vec<String>> = match req.get("capabilities") {
            Some(Value::Array(a)) if !a.is_empty() => {
                // Nested arrays become a multi-dimensional SQL array, whose elements all count.
                fn leaves(v: &[Value], out: &mut Vec<String>) {
                    for e in v {
                        match e {
                            Value::Null => {}
                            Value::Array(inner) => leaves(inner, out),
                            other => out.push(sql_text(other)),
                        }
                    }
                }
                let mut out = Vec::new();
                leaves(a, &mut out);
                Some(out)
            }
            Some(Value::String(s)) if !s.is_empty() => return Err(Fault),
            _ => None,
        };
        let status = req.get("status").filter(|v| truthy(Some(v))).map(sql_text);
        Ok(DiscoverQuery {
            limit,
            limit_v,
            offset,
            offset_v,
            exclude,
            caps,
            status,
        })
    }

    /// `discover` → `{status, count, limit, offset, agents}`, as a tree (the oracle of
    /// [`Hub::discover_page`]). [MOLT-HUB-020] … [MOLT-HUB-024]
    fn discover(&mut self, req: &Map<String, Value>, now_ms: u64) -> Result<Value, Fault> {
        let q = Self::discover_query(req)?;
        let mut rows = self.select(&|a| q.keeps(a))?;
        // Seconds since last seen ascending; ties: most recent first, then newest row first.
        rows.sort_by(|x, y| {
            self.seconds_ago(x, now_ms)
                .cmp(&self.seconds_ago(y, now_ms))
                .then(y.last_seen_ms.cmp(&x.last_seen_ms))
                .then(y.seq.cmp(&x.seq))
        });
        let agents: Vec<Value> = rows
            .iter()
            .skip(q.offset as usize)
            .take(q.limit as usize)
            .map(|a| self.listing_row(a, now_ms))
            .collect();
        Ok(
            json!({"status": "ok", "count": agents.len(), "limit": q.limit_v, "offset": q.offset_v, "agents": agents}),
        )
    }

    /// `discover` as a [`DiscoverPage`]: one pass over the rows keeps the first
    /// `offset + limit` of the listing order in a bounded max-heap, with the rows' cached
    /// texts. [MOLT-HUB-020] … [MOLT-HUB-024]
    fn discover_page(
        &mut self,
        req: &Map<String, Value>,
        now_ms: u64,
    ) -> Result<DiscoverPage, Fault> {
        let q = Self::discover_query(req)?;
        let offset = usize::try_from(q.offset).unwrap_or(usize::MAX);
        let keep = offset.saturating_add(usize::try_from(q.limit).unwrap_or(usize::MAX));
        let mut heap: BinaryHeap<Candidate> = BinaryHeap::new();
        self.rows.scan_listed(&mut |a, listing| {
            if keep == 0 || !q.keeps(a) {
                return;
            }
            let key = (
                Self::seconds_since(a, now_ms),
                Reverse(a.last_seen_ms),
                Reverse(a.seq),
            );
            if heap.len() < keep {
                heap.push(Candidate {
                    key,
                    text: listing.text(a),
                });
            } else if let Some(mut last) = heap.peek_mut() {
                if key < last.key {
                    *last = Candidate {
                        key,
                        text: listing.text(a),
                    };
                }
            }
        })?;
        let rows = heap
            .into_sorted_vec()
            .into_iter()
            .skip(offset)
            .map(|c| (c.text, c.key.0))
            .collect();
        Ok(DiscoverPage {
            rows,
            limit: q.limit,
            offset: q.offset_v,
            correlation_id: None,
        })
    }

    /// `find` → `{status, count, agents}`: online rows having the capability, caller
    /// included, most recently seen first. [MOLT-HUB-025]
    fn find(&mut self, req: &Map<String, Value>) -> Result<Value, Fault> {
        let (limit, _) = Self::page(req, "limit", FIND_DEFAULT_LIMIT, true)?;
        let (offset, _) = Self::page(req, "offset", 0, false)?;
        let capability = req.get("capability").filter(|v| !v.is_null()).map(sql_text);
        let mut rows = match &capability {
            None => Vec::new(),
            Some(c) => self.select(&|a| a.status == "online" && jsonb_has(&a.capabilities, c))?,
        };
        rows.sort_by(|x, y| y.last_seen_ms.cmp(&x.last_seen_ms).then(y.seq.cmp(&x.seq)));
        let agents: Vec<Value> = rows
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|a| json!({"id": a.id, "address": a.address, "capabilities": a.capabilities, "metadata": a.metadata}))
            .collect();
        Ok(json!({"status": "ok", "count": agents.len(), "agents": agents}))
    }

    /// `lookup` → `{status, agent}` or `agent_not_found`; offline rows are returned.
    /// [MOLT-HUB-026]
    fn lookup(&mut self, req: &Map<String, Value>) -> Result<Value, Fault> {
        let found = match req.get("id").filter(|v| !v.is_null()).map(sql_text) {
            Some(id) => self.rows.get(&id)?,
            None => None,
        };
        Ok(match found {
            Some(a) => json!({"status": "ok", "agent": {
                "id": a.id, "address": a.address, "capabilities": a.capabilities,
                "metadata": a.metadata, "status": a.status}}),
            None => json!({"status": "error", "error": "agent_not_found"}),
        })
    }

    /// `status` → `{status}`: refreshes last-seen, replaces the status, merges metadata.
    /// [MOLT-HUB-027] [MOLT-HUB-028]
    fn status(&mut self, req: &Map<String, Value>, now_ms: u64) -> Result<Value, Fault> {
        let status = req.get("status").filter(|v| truthy(Some(v))).map(sql_text);
        let metadata = req.get("metadata").filter(|v| truthy(Some(v))).cloned();
        if metadata.as_ref().is_some_and(has_nul) {
            return Err(Fault);
        }
        // The parameter is checked against the column type whether or not a row matches.
        if status
            .as_ref()
            .is_some_and(|s| s.chars().count() > STATUS_MAX_CHARS || s.contains('\0'))
        {
            return Err(Fault);
        }
        let id = req.get("id").filter(|v| !v.is_null()).map(sql_text);
        if let Some(mut a) = match id {
            Some(id) => self.rows.get(&id)?,
            None => None,
        } {
            if let Some(m) = &metadata {
                let merged = jsonb_concat(&a.metadata, m);
                if json_len(&a.capabilities) + json_len(&merged) > self.limits.max_metadata_bytes {
                    return Ok(json!({"status": "error", "error": "metadata_too_large"}));
                }
                a.metadata = merged;
            }
            if let Some(s) = &status {
                a.status = s.clone();
            }
            a.last_seen_ms = now_ms;
            self.rows.update(&a)?;
        }
        Ok(json!({"status": "ok"}))
    }

    /// `disconnect` → `{status}`: the row becomes `offline`; the socket stays open.
    /// [MOLT-HUB-029]
    fn disconnect(&mut self, req: &Map<String, Value>) -> Result<Value, Fault> {
        let raw = req.get("id");
        if let Some(id) = raw.filter(|v| !v.is_null()).map(sql_text) {
            self.modify(&id, |a| a.status = "offline".into())?;
            self.clients.remove(&id);
        }
        // The JS hub logs `id.slice(0, 8)`, which throws for numbers, booleans and objects
        // after the update: the row changed, the reply is the generic failure.
        match raw {
            Some(Value::Number(_) | Value::Bool(_) | Value::Object(_)) => Err(Fault),
            _ => Ok(json!({"status": "ok"})),
        }
    }

    fn counts(&mut self) -> Result<(usize, usize, usize, usize), StoreError> {
        let mut c = (0, 0, 0, 0);
        self.rows.scan(&mut |a| {
            c.0 += 1;
            match a.status.as_str() {
                "online" => c.1 += 1,
                "idle" => c.2 += 1,
                "offline" => c.3 += 1,
                _ => {}
            }
        })?;
        Ok(c)
    }

    /// `stats` → `{status, agents{total, online, idle, offline}, hub{version, uptime,
    /// connections, activeConnections}}`. Over a shared store the agent counts cover every
    /// hub; the `hub` numbers are this process's. [MOLT-HUB-040] [MOLT-HUB-064]
    pub fn stats(&mut self, now_ms: u64) -> Result<Value, StoreError> {
        let (total, online, idle, offline) = self.counts()?;
        Ok(json!({
            "status": "ok",
            "agents": {"total": total, "online": online, "idle": idle, "offline": offline},
            "hub": {
                "version": VERSION,
                "uptime": now_ms.saturating_sub(self.start_ms) / 1000,
                "connections": self.connections_total,
                "activeConnections": self.clients.len(),
            }
        }))
    }

    /// Answer an HTTP request for `target` (path and optional query); the method is ignored.
    /// [MOLT-HUB-050] … [MOLT-HUB-054]
    pub fn http(&mut self, target: &str, now_ms: u64) -> HttpReply {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query = parse_query(query);
        let store_failed = |e: StoreError| HttpReply {
            status: 500,
            body: json!({ "error": e.to_string() }),
            pretty: false,
        };
        match path {
            "/" | "/info" => match self.info(now_ms) {
                Ok(body) => HttpReply {
                    status: 200,
                    body,
                    pretty: true,
                },
                Err(e) => store_failed(e),
            },
            "/health" => HttpReply {
                status: 200,
                body: json!({"status": "healthy", "timestamp": iso8601(now_ms), "version": VERSION}),
                pretty: false,
            },
            "/agents" => match self.http_agents(&query, now_ms) {
                Ok(body) => HttpReply {
                    status: 200,
                    body,
                    pretty: true,
                },
                Err(msg) => HttpReply {
                    status: 500,
                    body: json!({ "error": msg }),
                    pretty: false,
                },
            },
            "/stats" => match self.stats(now_ms) {
                Ok(body) => HttpReply {
                    status: 200,
                    body,
                    pretty: true,
                },
                Err(e) => store_failed(e),
            },
            _ => HttpReply {
                status: 404,
                body: json!({"error": "Not found", "endpoints": ["/", "/health", "/agents", "/stats"], "websocket": self.ws_url}),
                pretty: false,
            },
        }
    }

    fn info(&mut self, now_ms: u64) -> Result<Value, StoreError> {
        let (total, online, idle, _) = self.counts()?;
        Ok(json!({
            "protocol": {
                "name": "M2M - Molt To Molt",
                "version": VERSION,
                "description": "Agent discovery hub; agents exchange messages peer to peer, end-to-end encrypted",
                "encryption": "X25519 + AES-256-GCM",
                "websocket": self.ws_url,
            },
            "hub": {"status": "running", "uptime": now_ms.saturating_sub(self.start_ms) / 1000,
                    "activeConnections": self.clients.len()},
            "agents": {"online": online, "idle": idle, "total": total},
            "api": {
                "http": ["GET /", "GET /health", "GET /agents?capability=&status=&limit=&offset=", "GET /stats"],
                "websocket": ["register", "heartbeat", "discover", "find", "lookup", "status", "disconnect", "stats"],
            }
        }))
    }

    /// `GET /agents`. [MOLT-HUB-052]
    fn http_agents(
        &mut self,
        query: &BTreeMap<String, Vec<String>>,
        now_ms: u64,
    ) -> Result<Value, String> {
        // A repeated parameter is read as its values joined by commas (what parseInt sees).
        let first = |k: &str| query.get(k).map(|v| v.join(","));
        let limit = match first("limit")
            .and_then(|s| js_parse_int(&s))
            .filter(|&n| n != 0)
        {
            None => DEFAULT_LIMIT as i64,
            Some(n) => n.min(MAX_LIMIT as i64),
        };
        let offset = first("offset").and_then(|s| js_parse_int(&s)).unwrap_or(0);
        if limit < 0 {
            return Err("LIMIT must not be negative".into());
        }
        if offset < 0 {
            return Err("OFFSET must not be negative".into());
        }
        // One value filters; a repeated parameter becomes an array literal that matches nothing.
        let filter = |k: &str| -> Option<Option<String>> {
            match query.get(k) {
                None => None,
                Some(v) if v.len() == 1 && v[0].is_empty() => None,
                Some(v) if v.len() == 1 => Some(Some(v[0].clone())),
                Some(_) => Some(None),
            }
        };
        let capability = filter("capability");
        let status = filter("status");
        let mut total = 0usize;
        let mut rows = Vec::new();
        self.rows
            .scan(&mut |a| {
                if a.status == "offline" {
                    return;
                }
                total += 1;
                let cap_ok = match &capability {
                    None => true,
                    Some(None) => false,
                    Some(Some(c)) => jsonb_has(&a.capabilities, c),
                };
                let status_ok = match &status {
                    None => true,
                    Some(None) => false,
                    Some(Some(s)) => &a.status == s,
                };
                if cap_ok && status_ok {
                    rows.push(a.clone());
                }
            })
            .map_err(|e| e.to_string())?;
        rows.sort_by(|x, y| y.last_seen_ms.cmp(&x.last_seen_ms).then(y.seq.cmp(&x.seq)));
        let agents: Vec<Value> = rows
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|a| self.listing_row(a, now_ms))
            .collect();
        Ok(
            json!({"count": agents.len(), "total": total, "limit": limit, "offset": offset, "agents": agents}),
        )
    }
}

/// JavaScript `parseInt(s, 10)`: optional leading whitespace and sign, then the longest run
/// of digits; `None` where JS gives NaN.
pub fn js_parse_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let n: i64 = digits.parse().unwrap_or(i64::MAX);
    Some(if neg { -n } else { n })
}

/// Split a URL query into decoded `key → values` (`+` is a space, `%XX` escapes decoded).
pub fn parse_query(q: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.entry(percent_decode(k))
            .or_default()
            .push(percent_decode(v));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hexval = |c: u8| (c as char).to_digit(16);
                match (hexval(bytes[i + 1]), hexval(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the Unix epoch (as JS `toISOString`).
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let mut y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    if m <= 2 {
        y += 1;
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parse_int_like_js() {
        assert_eq!(js_parse_int(" 12abc"), Some(12));
        assert_eq!(js_parse_int("-3"), Some(-3));
        assert_eq!(js_parse_int("abc"), None);
        assert_eq!(percent_decode("a%20b+c%zz"), "a b c%zz");
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    fn reg(hub: &mut Hub, conn: ConnId, ids: &mut SeededIds) -> Value {
        hub.handle_frame(conn, r#"{"action":"register","address":"x:1"}"#, 1000, ids)
    }

    #[test]
    fn close_forgets_every_id_of_the_connection() {
        let mut hub = Hub::new(0);
        let mut ids = SeededIds::new(1);
        hub.open(1, "127.0.0.1", None);
        reg(&mut hub, 1, &mut ids);
        reg(&mut hub, 1, &mut ids);
        assert_eq!(hub.stats(1000).unwrap()["hub"]["activeConnections"], 2);
        hub.close(1).unwrap();
        assert_eq!(hub.stats(1000).unwrap()["hub"]["activeConnections"], 0);
        assert_eq!(hub.stats(1000).unwrap()["agents"]["offline"], 1);
    }

    #[test]
    fn registrations_per_connection_are_limited() {
        let mut hub = Hub::with_rows(
            0,
            Box::<MemoryRows>::default(),
            Limits {
                max_registrations_per_conn: 2,
                ..Limits::default()
            },
        );
        let mut ids = SeededIds::new(1);
        hub.open(1, "127.0.0.1", None);
        assert_eq!(reg(&mut hub, 1, &mut ids)["status"], "ok");
        assert_eq!(reg(&mut hub, 1, &mut ids)["status"], "ok");
        assert_eq!(
            reg(&mut hub, 1, &mut ids)["error"],
            "too_many_registrations"
        );
        assert_eq!(hub.stats(1000).unwrap()["agents"]["total"], 2);
    }

    #[test]
    fn retention_deletes_old_offline_rows_only() {
        let mut hub = Hub::new(0);
        let mut ids = SeededIds::new(1);
        hub.open(1, "127.0.0.1", None);
        hub.open(2, "127.0.0.1", None);
        reg(&mut hub, 1, &mut ids);
        reg(&mut hub, 2, &mut ids);
        hub.close(1).unwrap();
        // The second row is revived before the period ends; the first stays offline.
        hub.handle_frame(
            2,
            r#"{"action":"status","id":"x","status":"busy"}"#,
            2000,
            &mut ids,
        );
        let id2 = hub.agents().unwrap()[1].id.clone();
        let hb = format!(r#"{{"action":"heartbeat","id":"{id2}"}}"#);
        hub.handle_frame(2, &hb, DEFAULT_OFFLINE_RETENTION_MS, &mut ids);
        hub.advance_to(DEFAULT_OFFLINE_RETENTION_MS + 60_000)
            .unwrap();
        let left = hub.agents().unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, id2);
    }
}
