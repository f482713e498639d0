#!/usr/bin/env bash
# Regenerate every committed certification report and the matrix:
#   reports/reference/                  the reference, in-process (must be 100%)
#   reports/m2m-protocol-0.4.0/         upstream 0.4.0 through adapters/m2m-protocol-0.4 (stdin)
#   reports/m2m-protocol-0.4.0-server/  upstream 0.4.0's HTTP server API through m2m-http (security on)
#   reports/m2m-protocol-0.4.0-server-no-security/, -server-model/  the same with --no-security, --model
#   reports/m2m-protocol-0.4.0-h3/      the same router over HTTP/3 through upstream's QuicTransport (--quic)
#   reports/matrix.html                 requirement × implementation matrix: the reference,
#                                       upstream's library (stdin), its server over HTTP/1.1 and over HTTP/3
#   reports/differential/               differential run of the reference against upstream 0.4.0
#                                       (seed 1, 200 cases per op; its hand triage is kept)
# Usage: bash reports/regenerate.sh        (builds the adapter first: ~5 min the first time)
# Timestamps and durations change on every run; verdicts should not.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p m2m-conformance
cargo build --release -q --manifest-path adapters/m2m-protocol-0.4/Cargo.toml
harness=target/debug/m2m-conformance
adapter=adapters/m2m-protocol-0.4/target/release

"$harness" certify --report-dir reports/reference

# Upstream fails cases (its report says which), so exit 1 is expected here; only 2 (setup) fails.
"$harness" certify --target "stdin:$adapter/m2m-upstream-testee" \
  --report-dir reports/m2m-protocol-0.4.0 || test $? -eq 1

# Differential: exit 1 means divergences were found (they are the point), so only 2 fails here.
triage=$(sed -n '/^## Triage (written by hand/,$p' reports/differential/report.md 2>/dev/null || true)
"$harness" differential --a ref --b "stdin:$adapter/m2m-upstream-testee" --cases 200 --seed 1 \
  --report-dir reports/differential || test $? -eq 1
if [ -n "$triage" ]; then printf '%s\n' "$triage" >> reports/differential/report.md; fi

# Upstream's HTTP server three ways: security on (the default), --no-security, and --model (the
# security scenarios with its Hydra classifier loaded); each with its own known-failure list.
port=18791
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
start() { # port args...
  local p=$1; shift
  "$adapter/m2m-upstream-server" --port "$p" "$@" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$p/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "upstream server on port $p did not start" >&2; return 1
}
start $port
start $((port+1)) --no-security
start $((port+2)) --model models/hydra-tiny.safetensors
"$harness" certify --target "m2m-http:http://127.0.0.1:$port" -f http:: -f security::secsrv \
  --known-failures reports/m2m-protocol-0.4.0-server/known-failures.yaml \
  --report-dir reports/m2m-protocol-0.4.0-server
"$harness" certify --target "m2m-http:http://127.0.0.1:$((port+1))" -f http:: -f security::secsrv \
  --known-failures reports/m2m-protocol-0.4.0-server-no-security/known-failures.yaml \
  --report-dir reports/m2m-protocol-0.4.0-server-no-security
"$harness" certify --target "m2m-http:http://127.0.0.1:$((port+2))" -f security::secsrv \
  --report-dir reports/m2m-protocol-0.4.0-server-model

# The same router over HTTP/3, served by upstream's own QuicTransport (--quic: TCP and UDP on one
# port number), with a 250 ms idle timeout (QuicTransportConfig::with_idle_timeout) so that the
# idle-timeout scenario runs; the certificate is pinned by the fingerprint the server prints.
h3log=$(mktemp)
"$adapter/m2m-upstream-server" --port $((port+3)) --quic --quic-idle-timeout 0.25 2>"$h3log" &
pids+=($!)
for _ in $(seq 100); do grep -q 'certificate sha256' "$h3log" && break; sleep 0.1; done
h3line=$(grep 'certificate sha256' "$h3log")
h3addr=$(sed -n 's|.*listening on https://\([^ ]*\) (HTTP/3).*|\1|p' <<<"$h3line")
"$harness" certify --target "m2m-h3:https://$h3addr,cert-sha256=${h3line##* },idle-timeout-ms=250" \
  -f http:: -f h3:: --known-failures reports/m2m-protocol-0.4.0-h3/known-failures.yaml \
  --report-dir reports/m2m-protocol-0.4.0-h3
rm -f "$h3log"

"$harness" report matrix reports/reference/report.json reports/m2m-protocol-0.4.0/report.json \
  reports/m2m-protocol-0.4.0-server/report.json reports/m2m-protocol-0.4.0-h3/report.json \
  -o reports/matrix.html
