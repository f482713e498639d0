#!/usr/bin/env bash
# Regenerate every committed certification report and the matrix:
#   reports/reference/                  the reference, in-process (must be 100%)
#   reports/m2m-protocol-0.4.0/         upstream 0.4.0 through adapters/m2m-protocol-0.4 (stdin)
#   reports/m2m-protocol-0.4.0-server/  upstream 0.4.0's HTTP server API through m2m-http
#   reports/matrix.html                 requirement × implementation matrix of the three
# Usage: bash reports/regenerate.sh        (builds the adapter first: ~5 min the first time)
# Timestamps and durations change on every run; verdicts should not.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p m2m-conformance
cargo build --release -q --manifest-path adapters/m2m-protocol-0.4/Cargo.toml
harness=target/debug/m2m-conformance
adapter=adapters/m2m-protocol-0.4/target/release

"$harness" certify --report-dir reports/reference

"$harness" certify --target "stdin:$adapter/m2m-upstream-testee" \
  --report-dir reports/m2m-protocol-0.4.0

port=18791
"$adapter/m2m-upstream-server" --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
"$harness" certify --target "m2m-http:http://127.0.0.1:$port" --filter http:: \
  --known-failures reports/m2m-protocol-0.4.0-server/known-failures.yaml \
  --report-dir reports/m2m-protocol-0.4.0-server

"$harness" report matrix reports/reference/report.json reports/m2m-protocol-0.4.0/report.json \
  reports/m2m-protocol-0.4.0-server/report.json -o reports/matrix.html
