#!/usr/bin/env bash
# A throw-away PostgreSQL on loopback for the Molt hub store tests (Debian's `postgresql`).
#
#   bash .ci/postgres.sh run CMD [ARGS…]   start, run CMD with M2M_TEST_POSTGRES_URL set, stop
#   eval "$(bash .ci/postgres.sh start)"   start; prints `export M2M_TEST_POSTGRES_URL=…`
#   bash .ci/postgres.sh stop              stop what `start` started
#
# Installs the `postgresql` package when no initdb is found (as root, with apt-get), creates
# a cluster in a temporary folder, starts it on 127.0.0.1:$M2M_PG_PORT (default 55432) as a
# non-root user (`postgres` when run as root: the server refuses to run as root), creates the
# database `m2m_test` and prints its URL. Trust authentication, loopback only, fsync off.
set -euo pipefail

PORT=${M2M_PG_PORT:-55432}
DB=m2m_test
STATE=${TMPDIR:-/tmp}/m2m-postgres-$PORT.dir

find_bin() {
  local d
  for d in "${PGBIN:-}" /usr/lib/postgresql/*/bin; do
    [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    # `su` keeps this script's environment small; the command line is quoted for sh.
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

start() {
  local bin dir
  if ! bin=$(find_bin); then
    if [ "$(id -u)" != 0 ]; then
      echo "postgres.sh: no initdb found and not root: install Debian's postgresql" >&2
      return 1
    fi
    echo "postgres.sh: installing postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(find_bin)
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  if [ -f "$STATE" ] && [ -d "$(cat "$STATE")" ]; then
    echo "postgres.sh: a cluster from an earlier start is still recorded; stopping it" >&2
    stop
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/m2m-pg.XXXXXX")
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  echo "$dir" > "$STATE"
  echo "$bin" > "$dir/bin"
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2 \
    || { cat "$dir/server.log" >&2; return 1; }
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" >&2
  echo "export M2M_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PORT/$DB"
}

stop() {
  local dir
  [ -f "$STATE" ] || return 0
  dir=$(cat "$STATE")
  if [ -d "$dir" ]; then
    as_owner "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  fi
  rm -f "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  run)
    shift
    [ $# -gt 0 ] || { echo "usage: postgres.sh run CMD [ARGS…]" >&2; exit 2; }
    trap stop EXIT
    eval "$(start)"
    echo "postgres.sh: M2M_TEST_POSTGRES_URL=$M2M_TEST_POSTGRES_URL" >&2
    "$@"
    ;;
  *) echo "usage: postgres.sh start|stop|run CMD…" >&2; exit 2 ;;
esac
