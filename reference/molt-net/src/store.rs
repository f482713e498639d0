//! Row stores for the hub: memory, SQLite (embedded, the default) and PostgreSQL (shared by
//! several hub processes). Each one only keeps, finds and lists rows behind the
//! [`Rows`] interface; every protocol decision stays in the sans-IO registry
//! [`m2m_reference::molt::hub::Hub`]. [MOLT-HUB-063] … [MOLT-HUB-066]

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde_json::Value;

use m2m_reference::molt::hub::{Agent, ListingCache, MemoryRows, Rows, StoreError};

/// The SQLite file a hub uses when `--store sqlite` names no path (in the working folder).
/// [MOLT-HUB-065]
pub const DEFAULT_SQLITE_FILE: &str = "m2m-molt-hub.sqlite3";

/// Schema version this build creates and migrates to. [MOLT-HUB-066]
pub const SCHEMA_VERSION: i64 = 1;

/// Which store a hub keeps its rows in (`--store`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// `memory`: nothing survives the process (tests).
    Memory,
    /// `sqlite:PATH` (or `sqlite` for [`DEFAULT_SQLITE_FILE`]): one hub process per file.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`: any number of hub processes on one database.
    Postgres(String),
}

impl Default for StoreSpec {
    fn default() -> Self {
        StoreSpec::Sqlite(PathBuf::from(DEFAULT_SQLITE_FILE))
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Memory => f.write_str("memory"),
            StoreSpec::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            // The URL may carry a password: show the scheme only.
            StoreSpec::Postgres(_) => f.write_str("postgres://…"),
        }
    }
}

impl FromStr for StoreSpec {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, StoreError> {
        if s == "memory" {
            Ok(StoreSpec::Memory)
        } else if s == "sqlite" {
            Ok(StoreSpec::default())
        } else if let Some(p) = s.strip_prefix("sqlite:") {
            if p.is_empty() {
                return Err(StoreError("`sqlite:` needs a file path".into()));
            }
            Ok(StoreSpec::Sqlite(PathBuf::from(p)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(StoreSpec::Postgres(s.to_owned()))
        } else {
            Err(StoreError(format!(
                "unknown store `{s}` (memory, sqlite:PATH or postgres://…)"
            )))
        }
    }
}

/// Open (create and migrate) the store. Rows this hub left `online` or `idle` when it last
/// stopped become `offline` [MOLT-HUB-064]: with SQLite every row (one hub per file), with
/// PostgreSQL the rows registered through a hub of the same `hub_name`.
pub fn open(spec: &StoreSpec, hub_name: &str) -> Result<Box<dyn Rows>, StoreError> {
    match spec {
        StoreSpec::Memory => Ok(Box::<MemoryRows>::default()),
        StoreSpec::Sqlite(path) => Ok(Box::new(SqliteRows::open(path, hub_name)?)),
        StoreSpec::Postgres(url) => Ok(Box::new(PgRows::open(url, hub_name)?)),
    }
}

fn json_text(v: &Value) -> String {
    v.to_string()
}

fn parse_json(s: &str) -> Result<Value, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError(format!("stored JSON: {e}")))
}

// ---------------------------------------------------------------------------------------------
// SQLite

/// Rows in an SQLite file, with every row also held in memory (the file is written through
/// on each change and read once at start), together with its cached `discover` listing text
/// ([`ListingCache`]). One hub process per file. [MOLT-HUB-063] [MOLT-HUB-065]
pub struct SqliteRows {
    db: rusqlite::Connection,
    cache: MemoryRows,
    hub_name: String,
}

fn sq(e: rusqlite::Error) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

impl SqliteRows {
    /// Open or create the file at `path`.
    pub fn open(path: &std::path::Path, hub_name: &str) -> Result<Self, StoreError> {
        let db = rusqlite::Connection::open(path).map_err(sq)?;
        db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .map_err(sq)?;
        Self::migrate(&db)?;
        // [MOLT-HUB-064] a restarted hub has no open connection: every row is offline.
        db.execute(
            "UPDATE molt_agents SET status = 'offline' WHERE status <> 'offline'",
            [],
        )
        .map_err(sq)?;
        let mut cache = MemoryRows::default();
        {
            let mut stmt = db
                .prepare(
                    "SELECT seq, id, address, capabilities, metadata, status, last_seen_ms \
                     FROM molt_agents ORDER BY seq",
                )
                .map_err(sq)?;
            let mut rows = stmt.query([]).map_err(sq)?;
            while let Some(r) = rows.next().map_err(sq)? {
                let caps: String = r.get(3).map_err(sq)?;
                let meta: String = r.get(4).map_err(sq)?;
                cache.insert_with_seq(Agent {
                    seq: r.get::<_, i64>(0).map_err(sq)? as u64,
                    id: r.get(1).map_err(sq)?,
                    address: r.get(2).map_err(sq)?,
                    capabilities: parse_json(&caps)?,
                    metadata: parse_json(&meta)?,
                    status: r.get(5).map_err(sq)?,
                    last_seen_ms: r.get::<_, i64>(6).map_err(sq)? as u64,
                });
            }
        }
        Ok(SqliteRows {
            db,
            cache,
            hub_name: hub_name.to_owned(),
        })
    }

    /// Create the schema or migrate it to [`SCHEMA_VERSION`]. [MOLT-HUB-066]
    fn migrate(db: &rusqlite::Connection) -> Result<(), StoreError> {
        let version: i64 = db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sq)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError(format!(
                "the database has schema version {version}; this hub knows up to {SCHEMA_VERSION}"
            )));
        }
        if version < 1 {
            db.execute_batch(
                "BEGIN;
                 CREATE TABLE IF NOT EXISTS molt_agents (
                     seq INTEGER PRIMARY KEY AUTOINCREMENT,
                     id TEXT NOT NULL UNIQUE,
                     address TEXT NOT NULL,
                     capabilities TEXT NOT NULL,
                     metadata TEXT NOT NULL,
                     status TEXT NOT NULL,
                     last_seen_ms INTEGER NOT NULL,
                     hub TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS molt_agents_status ON molt_agents (status);
                 PRAGMA user_version = 1;
                 COMMIT;",
            )
            .map_err(sq)?;
        }
        Ok(())
    }
}

impl Rows for SqliteRows {
    fn insert(&mut self, mut agent: Agent) -> Result<Agent, StoreError> {
        self.db
            .execute(
                "INSERT INTO molt_agents (id, address, capabilities, metadata, status, last_seen_ms, hub) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    agent.id,
                    agent.address,
                    json_text(&agent.capabilities),
                    json_text(&agent.metadata),
                    agent.status,
                    agent.last_seen_ms as i64,
                    self.hub_name
                ],
            )
            .map_err(sq)?;
        agent.seq = self.db.last_insert_rowid() as u64;
        self.cache.insert_with_seq(agent.clone());
        Ok(agent)
    }

    fn get(&mut self, id: &str) -> Result<Option<Agent>, StoreError> {
        self.cache.get(id)
    }

    fn update(&mut self, agent: &Agent) -> Result<(), StoreError> {
        self.db
            .execute(
                "UPDATE molt_agents SET status = ?2, metadata = ?3, last_seen_ms = ?4 WHERE id = ?1",
                rusqlite::params![
                    agent.id,
                    agent.status,
                    json_text(&agent.metadata),
                    agent.last_seen_ms as i64
                ],
            )
            .map_err(sq)?;
        self.cache.update(agent)
    }

    fn remove(&mut self, ids: &[String]) -> Result<(), StoreError> {
        let tx = self.db.transaction().map_err(sq)?;
        for id in ids {
            tx.execute("DELETE FROM molt_agents WHERE id = ?1", [id])
                .map_err(sq)?;
        }
        tx.commit().map_err(sq)?;
        self.cache.remove(ids)
    }

    fn scan(&mut self, visit: &mut dyn FnMut(&Agent)) -> Result<(), StoreError> {
        self.cache.scan(visit)
    }

    fn scan_listed(
        &mut self,
        visit: &mut dyn FnMut(&Agent, &ListingCache),
    ) -> Result<(), StoreError> {
        self.cache.scan_listed(visit)
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// Rows in a PostgreSQL database, read on every request, so that every hub on the database
/// sees every other hub's agents at once. Nothing is cached: another hub may change any row,
/// so `discover` serializes the rows it lists afresh (the default
/// [`Rows::scan_listed`]). [MOLT-HUB-064]
pub struct PgRows {
    url: String,
    db: postgres::Client,
    hub_name: String,
}

fn pg(e: postgres::Error) -> StoreError {
    StoreError(format!("postgres: {e}"))
}

/// An arbitrary constant key for the advisory lock that serialises migrations of hubs
/// starting together.
const MIGRATION_LOCK: i64 = 0x4d6f_6c74_4875_6201;

const PG_COLUMNS: &str = "seq, id, address, capabilities, metadata, status, last_seen_ms";

fn pg_row(r: &postgres::Row) -> Result<Agent, StoreError> {
    Ok(Agent {
        seq: r.try_get::<_, i64>(0).map_err(pg)? as u64,
        id: r.try_get(1).map_err(pg)?,
        address: r.try_get(2).map_err(pg)?,
        capabilities: parse_json(r.try_get(3).map_err(pg)?)?,
        metadata: parse_json(r.try_get(4).map_err(pg)?)?,
        status: r.try_get(5).map_err(pg)?,
        last_seen_ms: r.try_get::<_, i64>(6).map_err(pg)? as u64,
    })
}

impl PgRows {
    /// Connect, create or migrate the schema, and set this hub's earlier rows offline.
    pub fn open(url: &str, hub_name: &str) -> Result<Self, StoreError> {
        let mut db = postgres::Client::connect(url, postgres::NoTls).map_err(pg)?;
        Self::migrate(&mut db)?;
        db.execute(
            "UPDATE molt_agents SET status = 'offline' WHERE hub = $1 AND status <> 'offline'",
            &[&hub_name],
        )
        .map_err(pg)?;
        Ok(PgRows {
            url: url.to_owned(),
            db,
            hub_name: hub_name.to_owned(),
        })
    }

    /// Create the schema or migrate it to [`SCHEMA_VERSION`], under an advisory lock.
    /// [MOLT-HUB-066]
    fn migrate(db: &mut postgres::Client) -> Result<(), StoreError> {
        db.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .map_err(pg)?;
        let result = (|| {
            db.batch_execute("CREATE TABLE IF NOT EXISTS molt_schema (version BIGINT NOT NULL)")
                .map_err(pg)?;
            let version: i64 = db
                .query_opt("SELECT max(version) FROM molt_schema", &[])
                .map_err(pg)?
                .and_then(|r| r.get::<_, Option<i64>>(0))
                .unwrap_or(0);
            if version > SCHEMA_VERSION {
                return Err(StoreError(format!(
                    "the database has schema version {version}; this hub knows up to {SCHEMA_VERSION}"
                )));
            }
            if version < 1 {
                db.batch_execute(
                    "BEGIN;
                     CREATE TABLE IF NOT EXISTS molt_agents (
                         seq BIGSERIAL PRIMARY KEY,
                         id TEXT NOT NULL UNIQUE,
                         address TEXT NOT NULL,
                         capabilities TEXT NOT NULL,
                         metadata TEXT NOT NULL,
                         status TEXT NOT NULL,
                         last_seen_ms BIGINT NOT NULL,
                         hub TEXT NOT NULL
                     );
                     CREATE INDEX IF NOT EXISTS molt_agents_status ON molt_agents (status);
                     INSERT INTO molt_schema (version) VALUES (1);
                     COMMIT;",
                )
                .map_err(pg)?;
            }
            Ok(())
        })();
        let _ = db.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
        result
    }

    /// The client, reconnected first if the server closed the connection.
    fn client(&mut self) -> Result<&mut postgres::Client, StoreError> {
        if self.db.is_closed() {
            self.db = postgres::Client::connect(&self.url, postgres::NoTls).map_err(pg)?;
        }
        Ok(&mut self.db)
    }
}

impl Rows for PgRows {
    fn insert(&mut self, mut agent: Agent) -> Result<Agent, StoreError> {
        let hub = self.hub_name.clone();
        let row = self
            .client()?
            .query_one(
                "INSERT INTO molt_agents (id, address, capabilities, metadata, status, last_seen_ms, hub) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
                &[
                    &agent.id,
                    &agent.address,
                    &json_text(&agent.capabilities),
                    &json_text(&agent.metadata),
                    &agent.status,
                    &(agent.last_seen_ms as i64),
                    &hub,
                ],
            )
            .map_err(pg)?;
        agent.seq = row.try_get::<_, i64>(0).map_err(pg)? as u64;
        Ok(agent)
    }

    fn get(&mut self, id: &str) -> Result<Option<Agent>, StoreError> {
        let q = format!("SELECT {PG_COLUMNS} FROM molt_agents WHERE id = $1");
        match self.client()?.query_opt(&q, &[&id]).map_err(pg)? {
            Some(r) => pg_row(&r).map(Some),
            None => Ok(None),
        }
    }

    fn update(&mut self, agent: &Agent) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "UPDATE molt_agents SET status = $2, metadata = $3, last_seen_ms = $4 WHERE id = $1",
                &[
                    &agent.id,
                    &agent.status,
                    &json_text(&agent.metadata),
                    &(agent.last_seen_ms as i64),
                ],
            )
            .map_err(pg)?;
        Ok(())
    }

    fn remove(&mut self, ids: &[String]) -> Result<(), StoreError> {
        self.client()?
            .execute("DELETE FROM molt_agents WHERE id = ANY($1)", &[&ids])
            .map_err(pg)?;
        Ok(())
    }

    fn scan(&mut self, visit: &mut dyn FnMut(&Agent)) -> Result<(), StoreError> {
        let q = format!("SELECT {PG_COLUMNS} FROM molt_agents");
        for r in self.client()?.query(&q, &[]).map_err(pg)? {
            visit(&pg_row(&r)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use m2m_reference::molt::hub::{Hub, Limits, SeededIds};
    use serde_json::json;

    /// Over the SQLite store (its in-memory copy keeps the listing texts), before and after a
    /// restart, the `discover` fast path answers the bytes of the tree computation while rows
    /// register, change status and metadata, disconnect and age. [MOLT-HUB-020]
    /// [MOLT-HUB-063]
    #[test]
    fn sqlite_discover_page_equals_tree() {
        let dir = std::env::temp_dir().join(format!("m2m-molt-page-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hub.sqlite3");
        let _ = std::fs::remove_file(&path);
        let t0 = 1_767_225_600_000u64;
        let mut ids = SeededIds::new(3);
        let queries = [
            json!({"action": "discover"}),
            json!({"action": "discover", "limit": 7, "offset": 3, "correlationId": "q"}),
            json!({"action": "discover", "capabilities": ["cap1", "cap4"], "limit": "5"}),
            json!({"action": "discover", "status": "busy", "offset": "1"}),
            json!({"action": "discover", "limit": 500, "offset": 40}),
        ];
        let check = |hub: &mut Hub, now: u64, ids: &mut SeededIds| {
            for q in &queries {
                let text = q.to_string();
                let fast = hub.reply_frame(1, &text, now, ids).to_text();
                let tree = hub.handle_frame(1, &text, now, ids).to_string();
                assert_eq!(fast, tree, "{text}");
            }
        };
        let mut agents = Vec::new();
        {
            let rows = SqliteRows::open(&path, "a").unwrap();
            let mut hub = Hub::with_rows(t0, Box::new(rows), Limits::default());
            for c in 0..60u64 {
                hub.open(c, "127.0.0.1", None);
                let reg = json!({"action": "register", "address": "x:9",
                    "capabilities": [format!("cap{}", c % 5)], "metadata": {"n": c, "s": "é\"\\"}});
                let r = hub.reply_frame(c, &reg.to_string(), t0 + c * 300, &mut ids);
                agents.push(r.into_value()["id"].as_str().unwrap().to_owned());
            }
            let mut now = t0 + 60 * 300;
            check(&mut hub, now, &mut ids);
            for (i, id) in agents.iter().enumerate() {
                now += 137;
                let f = match i % 4 {
                    0 => json!({"action": "heartbeat", "id": id}),
                    1 => {
                        json!({"action": "status", "id": id, "status": "busy", "metadata": {"k": i}})
                    }
                    2 => json!({"action": "disconnect", "id": id}),
                    _ => json!({"action": "status", "id": id, "metadata": [i]}),
                };
                hub.reply_frame(0, &f.to_string(), now, &mut ids);
                if i % 10 == 0 {
                    check(&mut hub, now, &mut ids);
                }
            }
            hub.close(7).unwrap();
            check(&mut hub, now, &mut ids);
            // Ageing: online rows go idle, idle ones offline.
            now += 200_000;
            hub.advance_to(now).unwrap();
            check(&mut hub, now, &mut ids);
            now += 400_000;
            hub.advance_to(now).unwrap();
            check(&mut hub, now, &mut ids);
        }
        // A restart reads the file: every row offline, revived by heartbeats.
        let rows = SqliteRows::open(&path, "a").unwrap();
        let mut hub = Hub::with_rows(t0, Box::new(rows), Limits::default());
        hub.open(1, "127.0.0.1", None);
        let now = t0 + 1_000_000;
        for id in agents.iter().step_by(3) {
            let f = json!({"action": "heartbeat", "id": id});
            hub.reply_frame(1, &f.to_string(), now, &mut ids);
        }
        check(&mut hub, now + 2_500, &mut ids);
        drop(hub);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn store_specs_parse() {
        assert_eq!("memory".parse::<StoreSpec>(), Ok(StoreSpec::Memory));
        assert_eq!("sqlite".parse::<StoreSpec>(), Ok(StoreSpec::default()));
        assert_eq!(
            "sqlite:/tmp/x.db".parse::<StoreSpec>(),
            Ok(StoreSpec::Sqlite("/tmp/x.db".into()))
        );
        assert!(matches!(
            "postgres://u@127.0.0.1:55432/db".parse::<StoreSpec>(),
            Ok(StoreSpec::Postgres(_))
        ));
        assert!("sqlite:".parse::<StoreSpec>().is_err());
        assert!("redis://x".parse::<StoreSpec>().is_err());
        assert_eq!(
            StoreSpec::Postgres("postgres://u:secret@h/db".into()).to_string(),
            "postgres://…"
        );
    }
}
