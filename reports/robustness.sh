#!/usr/bin/env bash
# Robustness suite (issue 18): attack the reference CLI and testee, its HTTP servers
# (`m2m-ref server`, `serve-testee --http` of m2m-ref and m2m-conformance), its HTTP/3 server
# (`m2m-ref server --h3`: a UDP flood while the http and h3 chapters play), the Molt hub
# (`m2m-molt hub`) and the harness (against crashing, hanging, garbage, wrong-id, flooding and
# closed-stdout testees); measure peak memory and time; assert the thresholds of the issue's
# "Done when" list; write reports/robustness.md.
#
# Usage:
#   reports/robustness.sh            # full run (about 5 minutes on 2 cores), writes robustness.md
#   reports/robustness.sh --short    # CI: smaller counts (a couple of minutes), same attacks
#   reports/robustness.sh --only http,hub --out /tmp/r.md   # some areas, another report
#
# Exit status 0 when every attack held, 1 otherwise. Bounded and loopback only: servers listen on
# 127.0.0.1 ports 20100-20199, every load loop has a fixed duration or count, and every process
# the suite starts is killed at its end. Needs bash, python3 (standard library only) and cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p m2m-reference -p m2m-conformance -p m2m-molt
exec python3 reports/robustness.py "$@"
