#!/usr/bin/env bash
# CI steps of the security path (spec chapters security and models; owner: the `security`
# helper's work, issue 19). Run from .ci/run after the upstream adapter is built and
# target/debug/m2m-conformance exists:
#   1. the generators are up to date with their recorded upstream answers;
#   2. upstream m2m-protocol 0.4.0's server (adapter m2m-upstream-server) certified over m2m-http
#      with security on (the default) and with --no-security, chapters http and security,
#      against the committed known-failure lists, and with --model (the security scenarios);
#   3. the reference's server (m2m-ref server) started the same two ways, certified the same way
#      (it must pass everything: no known-failure list).
# Loopback ports $SECURITY_PORT_BASE .. +4 (default 18791); every server is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
adapter=adapters/m2m-protocol-0.4/target/release
conformance=target/debug/m2m-conformance
scratch=${SCRATCH:-$(mktemp -d)}
mkdir -p "$scratch"
pids=()
b=${SECURITY_PORT_BASE:-18791}
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

python3 vectors/tools/gen_security_vectors.py --check
python3 vectors/tools/gen_models_vectors.py --check

start() { # port command...
  local port=$1; shift
  "$@" >"$scratch/server-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server on $port did not start" >&2; return 1
}

start $((b+0)) "$adapter/m2m-upstream-server" --port $((b+0))
start $((b+1)) "$adapter/m2m-upstream-server" --port $((b+1)) --no-security
start $((b+2)) target/debug/m2m-ref server --port $((b+2))
start $((b+3)) target/debug/m2m-ref server --port $((b+3)) --no-security
start $((b+4)) "$adapter/m2m-upstream-server" --port $((b+4)) --model models/hydra-tiny.safetensors

"$conformance" certify --root . --target m2m-http:http://127.0.0.1:$((b+0)) -f http:: -f security::secsrv \
  --known-failures reports/m2m-protocol-0.4.0-server/known-failures.yaml --report-dir "$scratch/upstream-server"
"$conformance" certify --root . --target m2m-http:http://127.0.0.1:$((b+1)) -f http:: -f security::secsrv \
  --known-failures reports/m2m-protocol-0.4.0-server-no-security/known-failures.yaml \
  --report-dir "$scratch/upstream-server-no-security"
"$conformance" certify --root . --strict --target m2m-http:http://127.0.0.1:$((b+2)) -f http:: -f security::secsrv \
  --report-dir "$scratch/ref-server"
"$conformance" certify --root . --strict --target m2m-http:http://127.0.0.1:$((b+3)) -f http:: -f security::secsrv \
  --report-dir "$scratch/ref-server-no-security"
"$conformance" certify --root . --target m2m-http:http://127.0.0.1:$((b+4)) -f security::secsrv \
  --report-dir "$scratch/upstream-server-model"
