//! `m2m-molt` — the runnable Molt-to-Molt reference hub and agent.
//!
//! ```text
//! m2m-molt hub --listen 127.0.0.1:3000 [--trust-forwarded-for] [--max-frame BYTES]
//! m2m-molt agent --hub ws://127.0.0.1:3000/ws --port 4000 [--capabilities a,b] [--echo]
//! ```
//!
//! The agent reads commands from stdin, one per line, and writes one JSON line per result or
//! inbound message to stdout:
//!
//! ```text
//! discover [cap,cap]          find CAP              lookup ID        stats
//! send ID TYPE PAYLOAD        request ID TYPE PAYLOAD [timeout_ms]
//! broadcast TYPE PAYLOAD [cap,cap]                  status STATUS    quit
//! ```
//!
//! PAYLOAD is JSON when it parses as JSON, else the text itself.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use m2m_molt::agent::{Agent, AgentConfig};
use m2m_molt::hub::{self, HubConfig};

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

async fn command(agent: &Agent, line: &str) -> Result<Value, String> {
    let mut it = line.splitn(2, ' ');
    let verb = it.next().unwrap_or("");
    let rest = it.next().unwrap_or("").trim();
    let mut words = rest.splitn(3, ' ');
    match verb {
        "discover" => {
            agent
                .hub_request(
                    json!({"action": "discover", "id": agent.id(), "capabilities": caps(rest)}),
                )
                .await
        }
        "find" => {
            agent
                .hub_request(json!({"action": "find", "capability": rest}))
                .await
        }
        "lookup" => {
            agent
                .hub_request(json!({"action": "lookup", "id": rest}))
                .await
        }
        "stats" => agent.hub_request(json!({"action": "stats"})).await,
        "status" => {
            agent
                .hub_request(json!({"action": "status", "id": agent.id(), "status": rest}))
                .await
        }
        "send" => {
            let (to, ty, p) = (
                words.next().unwrap_or(""),
                words.next().unwrap_or(""),
                words.next().unwrap_or(""),
            );
            let cid = agent.send(to, ty, payload(p)).await?;
            Ok(json!({"delivered": true, "correlationId": cid}))
        }
        "request" => {
            let (to, ty, p) = (
                words.next().unwrap_or(""),
                words.next().unwrap_or(""),
                words.next().unwrap_or(""),
            );
            let r = agent
                .request(to, ty, payload(p), Duration::from_secs(30))
                .await?;
            Ok(json!({"response": r}))
        }
        "broadcast" => {
            let mut w = rest.splitn(2, ' ');
            let ty = w.next().unwrap_or("");
            let tail = w.next().unwrap_or("");
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
            agent.broadcast(ty, payload(p), c).await
        }
        _ => Err(format!("unknown command `{verb}`")),
    }
}

async fn run_agent(cfg: AgentConfig) -> Result<(), String> {
    let mut agent = Agent::start(cfg).await?;
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
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => {
                    let line = line.trim();
                    if line.is_empty() { continue; }
                    if line == "quit" {
                        let _ = agent.hub_request(json!({"action": "disconnect", "id": agent.id()})).await;
                        return Ok(());
                    }
                    match command(&agent, line).await {
                        Ok(v) => print(json!({"command": line.split(' ').next(), "ok": v})),
                        Err(e) => print(json!({"command": line.split(' ').next(), "error": e})),
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
        } => match tokio::net::TcpListener::bind(&listen).await {
            Ok(l) => {
                eprintln!(
                    "m2m-molt hub listening on http://{} (WebSocket /ws)",
                    l.local_addr().map_or(listen.clone(), |a| a.to_string())
                );
                hub::serve(
                    l,
                    HubConfig {
                        trust_forwarded_for,
                        max_frame,
                        ws_url: None,
                    },
                )
                .await
                .map_err(|e| e.to_string())
            }
            Err(e) => Err(format!("cannot listen on {listen}: {e}")),
        },
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
