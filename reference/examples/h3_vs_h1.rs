//! HTTP/3 against HTTP/1.1 on loopback, for two servers that speak both on one port number: the
//! reference (`m2m-ref server --port 0 --h3`) and upstream 0.4.0's router behind its own
//! `QuicTransport` (`adapters/m2m-protocol-0.4` `m2m-upstream-server --port 0 --quic`), each
//! with its default settings (security on). Writes the section "HTTP/3 vs HTTP/1.1" of
//! reports/performance.md (`bash reports/performance.sh h3` runs it).
//!
//! ```sh
//! cargo run -p m2m-reference --features h3 --example h3_vs_h1 -- \
//!   --ref target/debug/m2m-ref \
//!   --upstream adapters/m2m-protocol-0.4/target/release/m2m-upstream-server \
//!   [--rounds 8] [--first 30] [--scale 1] [--out target/perf/h3.md]
//! # or, release builds, into reports/performance.md:
//! bash reports/performance.sh h3
//! ```
//!
//! - **Load**: requests alternate `GET /health` and `POST /compress` of a ~2 KB chat JSON, at
//!   1, 16 and 64 in flight. HTTP/3: one QUIC connection, one request stream per request
//!   ([`H3Client::load`]); HTTP/1.1: one kept-alive TCP connection per request in flight (a
//!   minimal client on tokio, as HTTP/1.1 has no multiplexing). Both clients run on a tokio
//!   runtime with one worker thread; connections are open and warmed before the clock starts.
//!   Each round runs every (concurrency, server, protocol) once, the four server/protocol runs
//!   in an order that rotates every round (interleaved A/B), `200 × scale` requests at 1,
//!   `800 × scale` at 16 and `1600 × scale` at 64.
//! - **First request**: `GET /health` on a new connection, from connect to the complete answer:
//!   HTTP/1.1 on a new TCP connection, HTTP/3 with a full handshake (a client without ticket),
//!   HTTP/3 resumed with the request as 0-RTT early data ([`H3Client::first_request`]).
//!
//! Throughput is the median over rounds (with min–max); latencies are percentiles of all the
//! requests of all rounds.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use m2m_reference::edge::h3_client::{ClientOptions, H3Client, Trust};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

const CONCURRENCY: [usize; 3] = [1, 16, 64];

type Req = (String, String, Option<String>);

/// A server process, killed on drop.
struct Server {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `bin args…` and wait for its line `… listening on https://ADDR (HTTP/3) …`.
fn start(name: &'static str, bin: &str, args: &[&str]) -> Server {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let line = match lines.next() {
            Some(Ok(l)) => l,
            _ => panic!("{bin} ended before it said where it listens"),
        };
        if let Some(rest) = line.split("listening on https://").nth(1) {
            if line.contains("(HTTP/3)") {
                let addr = rest.split_whitespace().next().unwrap_or("");
                break addr.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
            }
        }
    };
    // Keep draining its stderr so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { name, child, addr }
}

/// The ~2 KB chat document POST /compress carries (as `content`).
fn chat() -> String {
    let mut messages = vec![json!({"role": "system", "content":
        "You are a concise assistant for a logistics company. Answer in plain English, cite the \
         order number when there is one, and never invent tracking data."})];
    for i in 0..6 {
        messages.push(json!({"role": "user", "content": format!(
            "Order {}: the parcel left the Rotterdam hub two days ago but the tracking page still \
             shows 'label created'. Can you tell me where it is and when it will arrive?", 48_120 + i)}));
        messages.push(json!({"role": "assistant", "content": format!(
            "Order {}: the carrier scanned it at the Antwerp depot this morning; delivery is \
             planned for tomorrow between 9:00 and 13:00.", 48_120 + i)}));
    }
    json!({"model": "gpt-4o", "temperature": 0.2, "max_tokens": 256, "messages": messages})
        .to_string()
}

/// Percentile `q` (0..=1) of sorted samples, nearest rank.
fn pct(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

// ---- a minimal HTTP/1.1 client (keep-alive, content-length or chunked answers) ----

type H1Conn = tokio::io::BufReader<tokio::net::TcpStream>;

async fn h1_connect(addr: SocketAddr) -> Result<H1Conn, String> {
    let s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = s.set_nodelay(true);
    Ok(tokio::io::BufReader::new(s))
}

async fn h1_request(conn: &mut H1Conn, addr: SocketAddr, r: &Req) -> Result<u16, String> {
    let (method, path, body) = r;
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\n");
    if let Some(b) = body {
        head.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            b.len()
        ));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    if let Some(b) = body {
        out.extend_from_slice(b.as_bytes());
    }
    let io = |e: std::io::Error| format!("{method} {path}: {e}");
    conn.get_mut().write_all(&out).await.map_err(io)?;
    let mut line = String::new();
    conn.read_line(&mut line).await.map_err(io)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {path}: bad status line {line:?}"))?;
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        conn.read_line(&mut line).await.map_err(io)?;
        let h = line.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = v.trim().parse().map_err(|_| format!("bad length {v}"))?;
            } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
    }
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).await.map_err(io)?;
            let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| format!("bad chunk size {line:?}"))?;
            let mut chunk = vec![0; n + 2];
            conn.read_exact(&mut chunk).await.map_err(io)?;
            if n == 0 {
                break;
            }
        }
    } else {
        let mut b = vec![0; length];
        conn.read_exact(&mut b).await.map_err(io)?;
    }
    Ok(status)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// HTTP/1.1 load: `concurrency` connections, each warmed by one `GET /health`.
fn h1_load(
    rt: &tokio::runtime::Runtime,
    addr: SocketAddr,
    reqs: &[Req],
    total: usize,
    concurrency: usize,
) -> Result<(Vec<Duration>, Duration), String> {
    let reqs = Arc::new(reqs.to_vec());
    rt.block_on(async move {
        let health: Req = ("GET".into(), "/health".into(), None);
        let mut conns = Vec::new();
        for _ in 0..concurrency {
            let mut c = h1_connect(addr).await?;
            h1_request(&mut c, addr, &health).await?;
            conns.push(c);
        }
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for mut c in conns {
            let (reqs, next) = (Arc::clone(&reqs), Arc::clone(&next));
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok::<_, String>(lat);
                    }
                    let r = &reqs[i % reqs.len()];
                    let t = Instant::now();
                    let status = h1_request(&mut c, addr, r).await?;
                    if status != 200 {
                        return Err(format!("{} {}: status {status}", r.0, r.1));
                    }
                    lat.push(t.elapsed());
                }
            }));
        }
        let mut all = Vec::with_capacity(total);
        for t in tasks {
            all.extend(t.await.map_err(|e| e.to_string())??);
        }
        Ok((all, start.elapsed()))
    })
}

/// `GET /health` on a new TCP connection, from connect to the answer.
fn h1_first(rt: &tokio::runtime::Runtime, addr: SocketAddr) -> Result<Duration, String> {
    rt.block_on(async move {
        let start = Instant::now();
        let mut c = h1_connect(addr).await?;
        let status = h1_request(&mut c, addr, &("GET".into(), "/health".into(), None)).await?;
        let t = start.elapsed();
        if status != 200 {
            return Err(format!("GET /health: status {status}"));
        }
        Ok(t)
    })
}

fn h3_client(s: &Server) -> H3Client {
    H3Client::new(
        &format!("https://{}", s.addr),
        ClientOptions {
            trust: Trust::Any,
            timeout: Duration::from_secs(30),
            server_idle_timeout: None,
        },
    )
    .expect("h3 client")
}

/// What a binary's path says about its build.
fn profile(bin: &str) -> &'static str {
    if bin.contains("/debug/") {
        "dev profile: dependencies at opt-level 2, the workspace crates at 1"
    } else if bin.contains("/release/") {
        "release"
    } else {
        "build unknown"
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

struct Args {
    reference: String,
    upstream: String,
    rounds: usize,
    first: usize,
    scale: usize,
    out: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        reference: "target/debug/m2m-ref".into(),
        upstream: "adapters/m2m-protocol-0.4/target/release/m2m-upstream-server".into(),
        rounds: 8,
        first: 30,
        scale: 1,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--ref" => a.reference = v(),
            "--upstream" => a.upstream = v(),
            "--rounds" => a.rounds = v().parse().expect("--rounds N"),
            "--first" => a.first = v().parse().expect("--first N"),
            "--scale" => a.scale = v().parse().expect("--scale K"),
            "--out" => a.out = Some(v()),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn main() {
    let a = args();
    let load_before = loadavg();
    let servers = [
        start(
            "reference",
            &a.reference,
            &["server", "--port", "0", "--h3"],
        ),
        start("upstream 0.4.0", &a.upstream, &["--port", "0", "--quic"]),
    ];
    let body = json!({ "content": chat() }).to_string();
    let reqs: Vec<Req> = vec![
        ("GET".into(), "/health".into(), None),
        ("POST".into(), "/compress".into(), Some(body.clone())),
    ];
    let rt = runtime();
    let mut h3: Vec<H3Client> = servers.iter().map(h3_client).collect();
    let started = Instant::now();

    // (server, protocol 0 = HTTP/1.1 / 1 = HTTP/3, concurrency index) → samples, throughputs
    let mut lat = vec![vec![vec![Vec::new(); CONCURRENCY.len()]; 2]; servers.len()];
    let mut tput = vec![vec![vec![Vec::new(); CONCURRENCY.len()]; 2]; servers.len()];
    let runs: Vec<(usize, usize)> = (0..servers.len()).flat_map(|s| [(s, 0), (s, 1)]).collect();
    for round in 0..a.rounds {
        for (ci, &c) in CONCURRENCY.iter().enumerate() {
            let total = [200, 800, 1600][ci] * a.scale;
            for k in 0..runs.len() {
                let (s, p) = runs[(k + round) % runs.len()];
                let got = if p == 0 {
                    h1_load(&rt, servers[s].addr, &reqs, total, c)
                } else {
                    h3[s].load(&reqs, total, c)
                };
                let (l, wall) = got.unwrap_or_else(|e| panic!("{}: {e}", servers[s].name));
                tput[s][p][ci].push(total as f64 / wall.as_secs_f64());
                lat[s][p][ci].extend(l);
            }
        }
        eprintln!("round {} of {} done", round + 1, a.rounds);
    }

    // First request: HTTP/1.1 new connection, HTTP/3 cold, HTTP/3 0-RTT.
    let mut resumers: Vec<H3Client> = servers.iter().map(h3_client).collect();
    let mut first = vec![vec![Vec::new(); 3]; servers.len()];
    let mut accepted = vec![0usize; servers.len()];
    for round in 0..a.first {
        for k in 0..servers.len() * 3 {
            let idx = (k + round) % (servers.len() * 3);
            let (s, kind) = (idx / 3, idx % 3);
            let t = match kind {
                0 => h1_first(&rt, servers[s].addr),
                1 => h3[s].first_request(false).map(|(t, _)| t),
                _ => resumers[s].first_request(true).map(|(t, ok)| {
                    accepted[s] += ok as usize;
                    t
                }),
            };
            first[s][kind].push(t.unwrap_or_else(|e| panic!("{}: {e}", servers[s].name)));
        }
    }
    let elapsed = started.elapsed();
    let load_after = loadavg();

    let mut md = String::new();
    md.push_str("## HTTP/3 vs HTTP/1.1\n\n");
    md.push_str(&format!(
        "The reference (`m2m-ref server --h3`, {}) and upstream 0.4.0's router behind its own \
         `QuicTransport` (`m2m-upstream-server --quic`, {}), each serving HTTP/1.1 on TCP and HTTP/3 on UDP \
         on one loopback port, default settings (security on). Client and servers share the \
         machine ({} cores). Load averages (`/proc/loadavg`, 1/5/15 min): {load_before} before, \
         {load_after} after; the machine was loaded by other work, so absolute figures are \
         noisy and only the ratios measured in the same rounds mean much. {} rounds, {} \
         first-request rounds, {:.0} s in all; this client: {}.\n\n",
        profile(&a.reference),
        profile(&a.upstream),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        a.rounds,
        a.first,
        elapsed.as_secs_f64(),
        if cfg!(debug_assertions) {
            "dev profile"
        } else {
            "release"
        }
    ));
    md.push_str(&format!(
        "Requests alternate `GET /health` and `POST /compress` (a {}-byte chat document, {} \
         bytes of request body). HTTP/3: one QUIC connection, one request stream per request; \
         HTTP/1.1: one kept-alive connection per request in flight. Connections are opened \
         and warmed before timing; the four server/protocol runs of a round go in an order \
         that rotates each round.\n\n",
        chat().len(),
        body.len()
    ));
    let argv: Vec<String> = std::env::args().collect();
    md.push_str(&format!(
        "Command (from the repository root): `{}`; `bash reports/performance.sh h3` runs it on \
         release builds and rewrites this section.\n\n",
        argv.join(" ")
    ));
    md.push_str("### Load: throughput (requests/s) and latency\n\n");
    md.push_str("| server | in flight | HTTP/1.1 req/s (min–max) | HTTP/3 req/s (min–max) | HTTP/3 ÷ HTTP/1.1 | HTTP/1.1 p50 / p99 ms | HTTP/3 p50 / p99 ms |\n");
    md.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for (s, server) in servers.iter().enumerate() {
        for (ci, &c) in CONCURRENCY.iter().enumerate() {
            let mut cells = Vec::new();
            let mut meds = Vec::new();
            for by_protocol in &tput[s] {
                let t = &by_protocol[ci];
                let (lo, hi) = t
                    .iter()
                    .fold((f64::MAX, 0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
                let m = median(t.clone());
                meds.push(m);
                cells.push(format!("{m:.0} ({lo:.0}–{hi:.0})"));
            }
            let mut pl = Vec::new();
            for by_protocol in &lat[s] {
                let mut l = by_protocol[ci].clone();
                l.sort();
                pl.push(format!("{} / {}", ms(pct(&l, 0.5)), ms(pct(&l, 0.99))));
            }
            md.push_str(&format!(
                "| {} | {c} | {} | {} | {:.2} | {} | {} |\n",
                server.name,
                cells[0],
                cells[1],
                meds[1] / meds[0],
                pl[0],
                pl[1]
            ));
        }
    }
    md.push_str(&format!(
        "\n### First request on a new connection (`GET /health`, {} samples each)\n\n",
        a.first
    ));
    md.push_str("| server | HTTP/1.1, new TCP connection: median / p99 ms | HTTP/3, full handshake | HTTP/3, resumed with 0-RTT | 0-RTT accepted |\n");
    md.push_str("|---|---:|---:|---:|---:|\n");
    for (s, server) in servers.iter().enumerate() {
        let cell = |k: usize| {
            let mut v = first[s][k].clone();
            v.sort();
            format!("{} / {}", ms(pct(&v, 0.5)), ms(pct(&v, 0.99)))
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} of {} |\n",
            server.name,
            cell(0),
            cell(1),
            cell(2),
            accepted[s],
            a.first
        ));
    }
    md.push_str(
        "\nWith this few samples p99 is close to the maximum. Loopback has almost no round-trip \
         time, so what 0-RTT saves here is the handshake's computation and one loopback round \
         trip, not network latency. Upstream accepts the early data but serves requests only \
         once the handshake is complete (spec/16-h3.md H3-DIV-004: it awaits the handshake of \
         each connection before it accepts requests on it), so its resumed first request is \
         not expected to gain that round trip.\n",
    );
    print!("{md}");
    if let Some(path) = &a.out {
        std::fs::write(path, &md).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    drop(servers);
}
