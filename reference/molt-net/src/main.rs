//! `m2m-molt` — the runnable Molt-to-Molt reference hub and agent.
//!
//! ```text
//! m2m-molt hub --listen 127.0.0.1:3000 [--store sqlite:PATH|postgres://…|memory] [--trust-forwarded-for]
//! m2m-molt agent --hub ws://127.0.0.1:3000/ws --port 4000 [--capabilities a,b] [--echo]
//! ```
//!
//! The agent reads commands from stdin, one per line, and writes one JSON line per result or
//! inbound message to stdout:
//!
//! ```text
//! discover [cap,cap] [status=S] [limit=N] [offset=N]     find CAP [LIMIT]
//! lookup ID (cached address)   agent ID (the hub's row)   stats   heartbeat
//! send ID TYPE PAYLOAD         senddirect HOST:PORT TYPE PAYLOAD
//! request ID TYPE PAYLOAD [timeout_ms]                   respond CORRELATION_ID PAYLOAD
//! broadcast TYPE PAYLOAD [cap,cap]                       status STATUS|- [METADATA]
//! disconnect (or quit)
//! ```
//!
//! PAYLOAD is JSON when it parses as JSON, else the text itself.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use m2m_molt::agent::{Agent, AgentConfig, AgentError, Discover, HubEvent};
use m2m_molt::hub::{self, HubConfig};
use m2m_molt::store::StoreSpec;
use m2m_reference::molt::hub::Limits;

#[derive(Parser)]
#[command(
    name = "m2m-molt",
    version,
    about = "Molt-to-Molt reference hub and agent"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a discovery hub (WebSocket /ws plus HTTP /, /health, /agents, /stats).
    Hub {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: String,
        /// Take the agent IP from X-Forwarded-For (only behind a trusted proxy).
        #[arg(long)]
        trust_forwarded_for: bool,
        /// Longest accepted WebSocket request, in bytes.
        #[arg(long, default_value_t = hub::DEFAULT_MAX_FRAME)]
        max_frame: usize,
        /// Where agent rows are kept: `sqlite:PATH` (default: `sqlite:m2m-molt-hub.sqlite3` in
        /// the working folder), `postgres://USER@HOST:PORT/DB` (shared by several hubs), or
        /// `memory` (nothing survives a restart).
        #[arg(long, default_value = "sqlite")]
        store: String,
        /// This hub's name in a shared store (default: the listen address).
        #[arg(long)]
        hub_name: Option<String>,
        /// Successful `register` requests allowed per WebSocket connection.
        #[arg(long, default_value_t = m2m_reference::molt::hub::DEFAULT_MAX_REGISTRATIONS_PER_CONN)]
        max_registrations_per_conn: u32,
        /// Largest stored capabilities + metadata of one agent, in bytes of JSON.
        #[arg(long, default_value_t = m2m_reference::molt::hub::DEFAULT_MAX_METADATA_BYTES)]
        max_metadata_bytes: usize,
        /// Seconds an offline agent row is kept after it was last seen (0: forever).
        #[arg(long, default_value_t = m2m_reference::molt::hub::DEFAULT_OFFLINE_RETENTION_MS / 1000)]
        offline_retention_secs: u64,
    },
    /// Bounded loopback load against a hub: register N agents, then discover for a while.
    Load {
        /// Hub WebSocket URL.
        #[arg(long, default_value = "ws://127.0.0.1:3000/ws")]
        hub: String,
        /// Number of agents.
        #[arg(long, default_value_t = 1000)]
        agents: usize,
        /// Seconds of discover traffic.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Milliseconds between two discovers of one agent.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// The hub's process id (for its memory use).
        #[arg(long)]
        hub_pid: Option<u32>,
    },
    /// Run only a P2P listener (no hub), for `molt-peer` certification: delivered messages are
    /// written as JSON lines to every client of the event tap port.
    Peer {
        /// TCP port for peers.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// TCP port of the event tap.
        #[arg(long, default_value_t = 0)]
        tap_port: u16,
        /// Address to bind both to.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
    },
    /// Run an agent: register at a hub, listen for peers, read commands from stdin.
    Agent {
        /// Hub WebSocket URL.
        #[arg(long, default_value = "ws://127.0.0.1:3000/ws")]
        hub: String,
        /// TCP port for peers (0: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Address to bind the peer listener to.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Comma-separated capabilities.
        #[arg(long, default_value = "")]
        capabilities: String,
        /// Metadata (JSON object).
        #[arg(long, default_value = "{}")]
        metadata: String,
        /// Answer every inbound message with `{echo: payload}` as `TYPE:response`.
        #[arg(long)]
        echo: bool,
        /// Heartbeat period in seconds.
        #[arg(long, default_value_t = 30)]
        heartbeat: u64,
        /// The `address` to register (`host:port`; only the port counts at the hub), for an
        /// agent behind NAT or a port forward. Default: BIND:PORT.
        #[arg(long)]
        address: Option<String>,
        /// Do not reconnect and re-register when the hub connection closes.
        #[arg(long)]
        no_reconnect: bool,
        /// Milliseconds before each reconnection attempt.
        #[arg(long, default_value_t = 5000)]
        reconnect_ms: u64,
        /// Seconds a looked-up address is cached.
        #[arg(long, default_value_t = 60)]
        cache_secs: u64,
    },
}

fn caps(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn payload(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))
}

fn print(v: Value) {
    println!("{v}");
}

/// Split off the first word.
fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.split_once(' ') {
        Some((w, rest)) => (w, rest.trim_start()),
        None => (s, ""),
    }
}

/// `key=value` options at the end of a `discover` line.
fn discover_query(rest: &str) -> Result<Discover, AgentError> {
    let mut q = Discover::default();
    for w in rest.split_whitespace() {
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| AgentError::Malformed(format!("`{w}`: not a number")))
        };
        match w.split_once('=') {
            Some(("status", v)) => q.status = Some(v.to_owned()),
            Some(("limit", v)) => q.limit = Some(num(v)?),
            Some(("offset", v)) => q.offset = Some(num(v)?),
            Some(("capabilities" | "caps", v)) => q.capabilities = caps(v),
            Some(_) => return Err(AgentError::Malformed(format!("unknown option `{w}`"))),
            None => q.capabilities = caps(w),
        }
    }
    Ok(q)
}

fn listing(rows: Vec<m2m_molt::agent::AgentInfo>) -> Value {
    json!({"count": rows.len(), "agents": rows.iter().map(|a| a.to_json()).collect::<Vec<_>>()})
}

/// One command line. [MOLT-SDK-001]
async fn command(agent: &Agent, line: &str) -> Result<Value, AgentError> {
    let (verb, rest) = word(line);
    match verb {
        "discover" => Ok(listing(agent.discover(&discover_query(rest)?).await?)),
        "find" => {
            let (cap, limit) = word(rest);
            let limit = limit.trim().parse::<u64>().ok();
            Ok(listing(agent.find(cap, limit).await?))
        }
        "lookup" => Ok(json!({"address": agent.lookup(rest.trim()).await?})),
        "agent" => Ok(agent.lookup_agent(rest.trim()).await?.to_json()),
        "stats" => agent.stats().await,
        "heartbeat" => Ok(json!({"timestamp": agent.heartbeat().await?})),
        "status" => {
            let (status, meta) = word(rest);
            let status = (!status.is_empty() && status != "-").then_some(status);
            let meta = (!meta.is_empty()).then(|| payload(meta));
            agent.update_status(status, meta).await?;
            Ok(json!({"status": status, "updated": true}))
        }
        "send" | "senddirect" => {
            let (to, rest) = word(rest);
            let (ty, p) = word(rest);
            let cid = if verb == "send" {
                agent.send(to, ty, payload(p)).await?
            } else {
                agent.send_direct(to, ty, payload(p)).await?
            };
            Ok(json!({"delivered": true, "correlationId": cid}))
        }
        "request" => {
            let (to, rest) = word(rest);
            let (ty, p) = word(rest);
            // A trailing whole number after a JSON payload is the timeout in milliseconds.
            let (p, wait) = match p.rsplit_once(' ') {
                Some((head, ms))
                    if ms.parse::<u64>().is_ok() && serde_json::from_str::<Value>(head).is_ok() =>
                {
                    (head, Duration::from_millis(ms.parse().unwrap_or(0)))
                }
                _ => (p, m2m_molt::agent::REQUEST_TIMEOUT),
            };
            let r = agent.request(to, ty, payload(p), wait).await?;
            Ok(json!({"response": r}))
        }
        "respond" => {
            let (cid, p) = word(rest);
            agent.respond_to(cid, payload(p)).await?;
            Ok(json!({"responded": true}))
        }
        "broadcast" => {
            let (ty, tail) = word(rest);
            // A trailing word without JSON punctuation is the capability list.
            let (p, c) = match tail.rsplit_once(' ') {
                Some((p, c))
                    if !c.starts_with(['{', '[', '"'])
                        && serde_json::from_str::<Value>(p).is_ok() =>
                {
                    (p, caps(c))
                }
                _ => (tail, Vec::new()),
            };
            Ok(agent.broadcast(ty, payload(p), c).await?.to_json())
        }
        _ => Err(AgentError::Malformed(format!("unknown command `{verb}`"))),
    }
}

async fn run_agent(cfg: AgentConfig) -> Result<(), String> {
    let mut agent = Agent::start(cfg).await.map_err(|e| e.to_string())?;
    print(
        json!({"event": "ready", "id": agent.id(), "address": agent.address(), "port": agent.port()}),
    );
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            ev = agent.events.recv() => match ev {
                Some(ev) => { let mut v = ev.to_json(); v["event"] = json!("message"); print(v); }
                None => return Ok(()),
            },
            ev = agent.hub_events.recv() => match ev {
                Some(HubEvent::Connected { id, address }) =>
                    print(json!({"event": "connected", "id": id, "address": address})),
                Some(HubEvent::Disconnected) => print(json!({"event": "disconnected"})),
                None => {}
            },
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => {
                    let line = line.trim();
                    if line.is_empty() { continue; }
                    if line == "quit" || line == "disconnect" {
                        let r = agent.disconnect().await;
                        print(json!({"command": "disconnect", "ok": r.is_ok()}));
                        return r.map_err(|e| e.to_string());
                    }
                    match command(&agent, line).await {
                        Ok(v) => print(json!({"command": line.split(' ').next(), "ok": v})),
                        Err(e) => print(json!({"command": line.split(' ').next(), "error": e.to_string()})),
                    }
                }
                // Without stdin (e.g. started in the background) the agent keeps serving.
                _ => stdin_open = false,
            },
        }
    }
}

async fn run_peer(bind: IpAddr, port: u16, tap_port: u16) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;
    let peers = TcpListener::bind((bind, port))
        .await
        .map_err(|e| e.to_string())?;
    let tap = TcpListener::bind((bind, tap_port))
        .await
        .map_err(|e| e.to_string())?;
    print(json!({"event": "ready",
                 "port": peers.local_addr().map_err(|e| e.to_string())?.port(),
                 "tap_port": tap.local_addr().map_err(|e| e.to_string())?.port()}));
    let clients: std::sync::Arc<tokio::sync::Mutex<Vec<tokio::net::TcpStream>>> =
        Default::default();
    let c2 = clients.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = tap.accept().await {
            c2.lock().await.push(s);
        }
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            let ev: m2m_reference::molt::p2p::MessageEvent = ev;
            let line = format!("{}\n", ev.to_json());
            let mut all = clients.lock().await;
            let mut keep = Vec::new();
            for mut c in all.drain(..) {
                if c.write_all(line.as_bytes()).await.is_ok() {
                    keep.push(c);
                }
            }
            *all = keep;
        }
    });
    loop {
        let (s, _) = peers.accept().await.map_err(|e| e.to_string())?;
        tokio::spawn(m2m_molt::agent::serve_peer(s, tx.clone()));
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The hub and the load generator serve many connections: one worker per core. An agent
    // or a peer listener needs one thread.
    let runtime = match cli.command {
        Command::Hub { .. } | Command::Load { .. } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    };
    match runtime {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => {
            eprintln!("m2m-molt: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Hub {
            listen,
            trust_forwarded_for,
            max_frame,
            store,
            hub_name,
            max_registrations_per_conn,
            max_metadata_bytes,
            offline_retention_secs,
        } => {
            let store: StoreSpec = match store.parse() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("m2m-molt: --store: {e}");
                    return ExitCode::from(2);
                }
            };
            match tokio::net::TcpListener::bind(&listen).await {
                Ok(l) => {
                    eprintln!(
                        "m2m-molt hub listening on http://{} (WebSocket /ws), store {store}",
                        l.local_addr().map_or(listen.clone(), |a| a.to_string())
                    );
                    hub::serve(
                        l,
                        HubConfig {
                            trust_forwarded_for,
                            max_frame,
                            ws_url: None,
                            store,
                            hub_name,
                            limits: Limits {
                                max_registrations_per_conn,
                                max_metadata_bytes,
                                offline_retention_ms: (offline_retention_secs > 0)
                                    .then(|| offline_retention_secs.saturating_mul(1000)),
                            },
                        },
                    )
                    .await
                    .map_err(|e| e.to_string())
                }
                Err(e) => Err(format!("cannot listen on {listen}: {e}")),
            }
        }
        Command::Load {
            hub,
            agents,
            seconds,
            interval_ms,
            hub_pid,
        } => {
            let report = m2m_molt::load::run(m2m_molt::load::LoadConfig {
                hub_url: hub,
                agents,
                seconds: seconds.min(600),
                connect_concurrency: 50,
                discover_interval: Duration::from_millis(interval_ms.max(1)),
                hub_pid,
            })
            .await;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            Ok(())
        }
        Command::Peer {
            port,
            tap_port,
            bind,
        } => run_peer(bind, port, tap_port).await,
        Command::Agent {
            hub,
            port,
            bind,
            capabilities,
            metadata,
            echo,
            heartbeat,
            address,
            no_reconnect,
            reconnect_ms,
            cache_secs,
        } => {
            let metadata = match serde_json::from_str(&metadata) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("--metadata is not JSON: {e}");
                    return ExitCode::from(2);
                }
            };
            run_agent(AgentConfig {
                hub_url: hub,
                port,
                bind,
                capabilities: caps(&capabilities),
                metadata,
                echo,
                heartbeat: Duration::from_secs(heartbeat.max(1)),
                address,
                auto_reconnect: !no_reconnect,
                reconnect_delay: Duration::from_millis(reconnect_ms),
                cache_ttl: Duration::from_secs(cache_secs),
            })
            .await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("m2m-molt: {e}");
            ExitCode::FAILURE
        }
    }
}
