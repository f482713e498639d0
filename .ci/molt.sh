#!/usr/bin/env bash
# Molt network certification on loopback: `m2m-conformance certify` against the runnable
# reference (`m2m-molt`) as live network targets:
#   - molt-hub: `m2m-molt hub --trust-forwarded-for` (the scenarios set X-Forwarded-For) on each store (memory, sqlite, and postgres when
#     M2M_TEST_POSTGRES_URL is set, e.g. by `bash .ci/postgres.sh run bash .ci/molt.sh`);
#   - molt-peer: `m2m-molt peer` (a P2P listener with an event tap).
# Exits non-zero when any certification fails. Reports go to ${MOLT_REPORT_DIR:-$TMPDIR/...}.
#
#   bash .ci/molt.sh                 # builds the two binaries (debug) first
#   BIN_DIR=target/release bash .ci/molt.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN_DIR=${BIN_DIR:-$ROOT/target/debug}
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build -q -p m2m-molt -p m2m-conformance
fi
MOLT=$BIN_DIR/m2m-molt
CERT=$BIN_DIR/m2m-conformance
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/m2m-molt-ci.XXXXXX")
REPORTS=${MOLT_REPORT_DIR:-$SCRATCH/reports}
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${MOLT_REPORT_DIR:-}" ] || rm -rf "$SCRATCH"
}
trap cleanup EXIT

# The address a hub or peer prints on stderr / stdout once it listens.
wait_for() { # FILE PATTERN
  for _ in $(seq 200); do
    if grep -qE "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "molt.sh: nothing matching '$2' in $1:" >&2; cat "$1" >&2; return 1
}

failed=0
passed=0
skipped=0
NAMES=()
CERT_PIDS=()
# Start one certification in the background: the hubs and the peer are separate processes, and
# a hub certification spends nearly all its time waiting (about 1.5 s of settling per scenario
# plus the scenarios' own waits), so the certifications overlap instead of adding up.
certify() { # NAME TARGET FILTER
  local name=$1 target=$2 filter=$3
  echo "== certify $name ($target): started"
  ( if "$CERT" certify --target "$target" --filter "$filter" --report-dir "$REPORTS/$name" \
         > "$SCRATCH/$name.txt" 2>&1; then echo 0; else echo 1; fi > "$SCRATCH/$name.status" ) &
  NAMES+=("$name")
  CERT_PIDS+=($!)
}

hub() { # NAME STORE
  local name=$1 store=$2 log=$SCRATCH/hub-$1.log addr
  "$MOLT" hub --listen 127.0.0.1:0 --store "$store" --hub-name "ci-$name" --trust-forwarded-for 2>"$log" &
  PIDS+=($!)
  wait_for "$log" 'listening on http://'
  addr=$(sed -n 's|.*listening on http://\([^ ]*\).*|\1|p' "$log" | head -n 1)
  certify "molt-hub-$name" "molt-hub:ws://$addr/ws" molt-hub
}

# Each hub certification takes about 5.5 minutes, nearly all of it waiting; they run at the same
# time. MOLT_STORES chooses the stores (default: all three).
for store in ${MOLT_STORES:-memory sqlite postgres}; do
  case $store in
    memory) hub memory memory ;;
    sqlite) hub sqlite "sqlite:$SCRATCH/hub.sqlite3" ;;
    postgres)
      if [ -n "${M2M_TEST_POSTGRES_URL:-}" ]; then
        hub postgres "$M2M_TEST_POSTGRES_URL"
      else
        echo "== molt-hub on postgres: SKIPPED (M2M_TEST_POSTGRES_URL is not set)"
        skipped=$((skipped + 1))
      fi ;;
    *) echo "molt.sh: unknown store $store" >&2; exit 2 ;;
  esac
done

"$MOLT" peer --port 0 --tap-port 0 > "$SCRATCH/peer.out" 2>&1 &
PIDS+=($!)
wait_for "$SCRATCH/peer.out" '"event":"ready"'
read -r PP TP < <(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print(d["port"], d["tap_port"])' "$SCRATCH/peer.out")
certify molt-peer "molt-peer:127.0.0.1:$PP,tap=127.0.0.1:$TP" molt-peer

for pid in "${CERT_PIDS[@]}"; do wait "$pid" || true; done
# The summaries in a fixed order, whatever order the certifications finished in.
for name in "${NAMES[@]}"; do
  echo "== certify $name"
  if [ "$(cat "$SCRATCH/$name.status" 2>/dev/null)" = 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "molt.sh: certification of $name FAILED" >&2
  fi
  grep -v '^reports:' "$SCRATCH/$name.txt" | tail -n 15
done

echo "molt: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
