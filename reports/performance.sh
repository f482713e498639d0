#!/usr/bin/env bash
# Regenerate reports/performance.md: every figure in it comes from one run of this script.
#
#   bash reports/performance.sh              # all steps, about 25 minutes on 2 cores
#   bash reports/performance.sh STEP ...     # only these steps, then the Markdown again
#
# Steps (raw results go to target/perf/, which the last step reads):
#   machine       CPU, memory, load, toolchain
#   throughput    certify the full suite: reference in-process and over stdin (pipelined and
#                 --window 1), upstream over stdin, with 1 and 2 jobs, 5 runs each, with the
#                 load average before each run (release builds), and the machine's page-fault
#                 cost and SHA-256 speed before and after the runs
#   cargo-test    wall time of a warm `cargo test --workspace` (after a build), 3 runs
#   side-by-side  the same benchmarks against the reference and upstream 0.4.0
#                 (adapters/m2m-protocol-0.4/bench): byte-identity tests first, then the
#                 interleaved A/B run whose per-round ratios judge issue 22's goals; criterion's
#                 medians too with M2M_PERF_CRITERION=1 (about 9 more minutes)
#   cold-start    time to first verdict: a fresh clone, an empty target folder, then
#                 `cargo run -p m2m-conformance -- certify --filter varint` until its first
#                 output line, with default features and with --no-default-features
#   reference     criterion: `cargo bench -p m2m-reference` (codecs, scanner, session,
#                 token_native, hydra) and Hydra's on-CPU time (example hydra_cpu)
#   profile       certify --bench: the testees time the bench profile themselves
#   molt          Molt hub load: 1,000 agents, discover at 200/s and at 1,000/s, 30 s each
#                 (release m2m-molt, memory store)
#   h3            HTTP/3 vs HTTP/1.1 on loopback, reference and upstream 0.4.0 (m2m-ref server
#                 --h3, m2m-upstream-server --quic): load at 1/16/64 in flight, interleaved
#                 rounds, and the first request with and without 0-RTT (example h3_vs_h1)
#   markdown      write reports/performance.md from target/perf/
#
# The machine should be otherwise idle: criterion and the load test measure wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
perf=$root/target/perf
mkdir -p "$perf"
adapter_dir=adapters/m2m-protocol-0.4
adapter=$adapter_dir/target/release

steps=("$@")
if [ ${#steps[@]} -eq 0 ]; then
  steps=(machine throughput cargo-test side-by-side reference profile molt h3 cold-start markdown)
elif [[ " ${steps[*]} " != *" markdown "* ]]; then
  steps+=(markdown)
fi

log() { printf '== %s: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

build_release() {
  cargo build --release -q -p m2m-conformance -p m2m-reference
  cargo build --release -q --manifest-path "$adapter_dir/Cargo.toml"
}

step_machine() {
  log machine
  python3 - "$perf/machine.json" <<'EOF'
import json, os, platform, subprocess, sys
def sh(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
json.dump({
    "cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(int(mem) / 1048576, 1),
    "kernel": platform.release(), "rustc": sh("rustc", "-V"), "cargo": sh("cargo", "-V"),
    "loadavg_at_start": open("/proc/loadavg").read().split()[:3],
    "date": sh("date", "-u", "+%Y-%m-%d %H:%M UTC"),
    "commit": sh("git", "rev-parse", "--short", "HEAD"),
}, open(sys.argv[1], "w"), indent=1)
EOF
}

# The machine's speed at this moment, for figures from different days: what touching fresh
# memory costs per 4 KiB page (the large cases write and read tens of MiB of it, and on a
# virtual machine this cost varies) and SHA-256 throughput (plain CPU speed).
calibrate() {
  python3 - "$1" <<'EOF'
import hashlib, json, mmap, statistics, sys, time
PAGES = 65536  # 256 MiB
def touch_us():
    m = mmap.mmap(-1, PAGES * 4096)
    t = time.perf_counter()
    for off in range(0, PAGES * 4096, 4096):
        m[off] = 1
    first = time.perf_counter() - t
    t = time.perf_counter()
    for off in range(0, PAGES * 4096, 4096):
        m[off] = 2
    again = time.perf_counter() - t  # the loop alone: the pages are mapped now
    m.close()
    return max(first - again, 0.0) * 1e6 / PAGES
def sha_mbps():
    data = bytes(64 << 20)
    t = time.perf_counter()
    hashlib.sha256(data).digest()
    return (64 << 20) / (time.perf_counter() - t) / 1e6
json.dump({"fault_us_per_page": round(statistics.median(touch_us() for _ in range(3)), 2),
           "sha256_mb_s": round(statistics.median(sha_mbps() for _ in range(3)))},
          open(sys.argv[1], "w"))
EOF
}

step_throughput() {
  log "throughput (release build)"
  build_release
  local out=$perf/throughput
  rm -rf "$out"
  mkdir -p "$out"
  calibrate "$out/calibration-before.json"
  local name spec window
  # ref-stdin-w1: the same testee with --window 1 (no pipelining, TESTEE-MSG-007).
  for name in ref-inprocess ref-stdin ref-stdin-w1 upstream-stdin; do
    window=16
    case $name in
      ref-inprocess) spec=ref ;;
      ref-stdin) spec="stdin:target/release/m2m-ref serve-testee" ;;
      ref-stdin-w1) spec="stdin:target/release/m2m-ref serve-testee" window=1 ;;
      upstream-stdin) spec="stdin:$adapter/m2m-upstream-testee" ;;
    esac
    for jobs in 1 2; do
      for run in 1 2 3 4 5; do
        log "throughput $name jobs=$jobs run $run"
        local dir=$out/$name-j$jobs-r$run
        mkdir -p "$dir"
        cut -d' ' -f1-3 /proc/loadavg >"$dir/loadavg"
        # Upstream fails cases by design (its known failures): only the timing matters here.
        target/release/m2m-conformance certify --target "$spec" --jobs "$jobs" \
          --window "$window" --report-dir "$dir" >/dev/null || true
        # Keep only what the Markdown needs: report.json and the load before the run.
        find "$dir" -type f ! -name report.json ! -name loadavg -delete
      done
    done
  done
  calibrate "$out/calibration-after.json"
}

step_cargo_test() {
  log "cargo test --workspace (build, then 3 timed warm runs)"
  cargo test --workspace --no-run -q
  : >"$perf/cargo-test.txt"
  for run in 1 2 3; do
    local start end
    start=$(date +%s.%N)
    # Quiet tests, but cargo's `Running` lines name each binary for the report.
    cargo test --workspace -- --quiet >"$perf/cargo-test-run$run.log" 2>&1
    end=$(date +%s.%N)
    echo "$start $end" >>"$perf/cargo-test.txt"
  done
}

step_side_by_side() {
  log "side-by-side: byte identity, then criterion"
  cargo test --release -q --manifest-path "$adapter_dir/Cargo.toml" -p m2m-side-by-side \
    >"$perf/side-by-side-tests.log" 2>&1
  rm -f "$perf/side-by-side.json"
  if [ "${M2M_PERF_CRITERION:-0}" = 1 ]; then
    # Criterion's medians (about 9 minutes), shown beside the interleaved ratios.
    rm -rf "$adapter_dir/target/criterion"
    cargo bench -q --manifest-path "$adapter_dir/Cargo.toml" -p m2m-side-by-side \
      >"$perf/side-by-side-bench.log" 2>&1
    python3 reports/tools/perf_ratios.py "$adapter_dir/target/criterion" --json \
      >"$perf/side-by-side.json"
  fi
  log "side-by-side: interleaved A/B (load drift cancels out)"
  cargo run --release -q --manifest-path "$adapter_dir/Cargo.toml" -p m2m-side-by-side \
    --example interleaved >"$perf/side-by-side-interleaved.txt"
}

step_reference() {
  log "criterion: cargo bench -p m2m-reference"
  rm -rf target/criterion
  cargo bench -q -p m2m-reference >"$perf/reference-bench.log" 2>&1
  python3 - target/criterion "$perf/reference-bench.json" <<'EOF'
import json, os, sys
rows = []
for d, _, files in os.walk(sys.argv[1]):
    if os.path.basename(d) == "new" and "benchmark.json" in files:
        b = json.load(open(os.path.join(d, "benchmark.json")))
        e = json.load(open(os.path.join(d, "estimates.json")))
        m = e["median"]
        tp = b.get("throughput") or {}
        rows.append({"id": b["full_id"], "median_ns": m["point_estimate"],
                     "low_ns": m["confidence_interval"]["lower_bound"],
                     "high_ns": m["confidence_interval"]["upper_bound"],
                     "bytes": tp.get("Bytes")})
json.dump(sorted(rows, key=lambda r: r["id"]), open(sys.argv[2], "w"), indent=1)
EOF
  log "hydra on-CPU time"
  cargo run --release -q -p m2m-reference --example hydra_cpu >"$perf/hydra-cpu.txt"
}

step_profile() {
  log "certify --bench (reference in-process, reference over stdin, upstream over stdin)"
  build_release
  local out=$perf/profile
  rm -rf "$out"
  mkdir -p "$out"
  target/release/m2m-conformance certify --target ref --jobs 1 --bench \
    --report-dir "$out/ref-inprocess" >/dev/null
  target/release/m2m-conformance certify --target "stdin:target/release/m2m-ref serve-testee" \
    --jobs 1 --bench --report-dir "$out/ref-stdin" >/dev/null
  target/release/m2m-conformance certify --target "stdin:$adapter/m2m-upstream-testee" \
    --jobs 1 --bench --report-dir "$out/upstream-stdin" >/dev/null || true
  target/release/m2m-conformance report bench "$out/ref-inprocess/report.json" \
    "$out/upstream-stdin/report.json" -o "$perf/profile.md" >/dev/null
}

# One load run against a fresh hub: molt_run INTERVAL_MS PORT OUT.json (the load generator's
# report plus the load averages before and after).
molt_run() {
  local interval=$1 port=$2 out=$3
  target/release/m2m-molt hub --store memory --listen "127.0.0.1:$port" >/dev/null 2>&1 &
  local hub=$!
  sleep 1
  local before after
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  (
    ulimit -n 20000 2>/dev/null || true
    target/release/m2m-molt load --hub "ws://127.0.0.1:$port/ws" --agents 1000 --seconds 30 \
      --interval-ms "$interval" --hub-pid "$hub"
  ) >"$out.tmp" || true
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  kill "$hub" 2>/dev/null || true
  wait "$hub" 2>/dev/null || true
  python3 - "$out.tmp" "$out" "$interval" "$before" "$after" <<'EOF'
import json, sys
src, dst, interval, before, after = sys.argv[1:]
m = json.load(open(src))
m["interval_ms"] = int(interval)
m["loadavg"] = {"before": before, "after": after}
json.dump(m, open(dst, "w"), indent=1)
EOF
  rm -f "$out.tmp"
}

step_molt() {
  log "molt hub load (1,000 agents, 30 s at 200 and at 1,000 discovers/s)"
  cargo build --release -q -p m2m-molt
  # Each agent discovers every 5 s (200/s in all), then every 1 s (1,000/s; issue 22). The
  # ports are below Linux's ephemeral range (32768-60999), where a client socket of the load
  # generator's previous run may still hold the port in TIME-WAIT.
  molt_run 5000 29154 "$perf/molt-load.json"
  molt_run 1000 29155 "$perf/molt-load-1000.json"
}

step_h3() {
  log "HTTP/3 vs HTTP/1.1 (reference and upstream, loopback)"
  build_release
  cargo build --release -q -p m2m-reference --features h3 --example h3_vs_h1
  target/release/examples/h3_vs_h1 --ref target/release/m2m-ref \
    --upstream "$adapter/m2m-upstream-server" --rounds 10 --scale 3 --first 50 \
    --out "$perf/h3.md" >/dev/null
}

step_cold_start() {
  log "cold start: fresh clone, empty target folder, to the first line of certify"
  python3 reports/tools/cold_start.py --clone-of "$root" --out "$perf/cold-start.json"
}

step_markdown() {
  log "writing reports/performance.md"
  python3 reports/tools/performance_md.py "$perf" reports/performance.md
}

# Each step records when and on which code it ran; the Markdown cites it in the step's section.
stamp() {
  mkdir -p "$perf/stamps"
  local dirty=""
  git diff --quiet HEAD -- . 2>/dev/null || dirty=" + uncommitted changes"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$dirty" >"$perf/stamps/$1"
}

for s in "${steps[@]}"; do
  [ "$s" = markdown ] || stamp "$s"
  case $s in
    machine) step_machine ;;
    throughput) step_throughput ;;
    cargo-test) step_cargo_test ;;
    side-by-side) step_side_by_side ;;
    reference) step_reference ;;
    profile) step_profile ;;
    molt) step_molt ;;
    h3) step_h3 ;;
    cold-start) step_cold_start ;;
    markdown) step_markdown ;;
    *)
      echo "unknown step: $s" >&2
      exit 2
      ;;
  esac
done
