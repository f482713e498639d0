#!/usr/bin/env bash
# The JSON export, checked by outsiders (called by .ci/run; runs alone from a checkout too):
#   1. `export --format json` writes the expanded suite (size and time printed);
#   2. PyPI `jsonschema` validates every chapter file against schema.json, and the export holds
#      exactly the cases of `list vectors` (the cases `certify` runs);
#   3. the stdlib-only Python runner (examples/export/run_export.py), reading only the export,
#      certifies testees and must give the harness's verdict for every case: the example testee,
#      and the reference behind a proxy that misbehaves on purpose (examples/export/perturb.py:
#      wrong values, wrong classes, garbage lines, crashes, hangs, a dropped op), so that every
#      verdict kind is compared, not only `pass`.
# Needs: python3 (pip for jsonschema), a built target/debug/m2m-conformance (or $M2M_CONFORMANCE).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${M2M_CONFORMANCE:-target/debug/m2m-conformance}"
[ -x "$bin" ] || cargo build -q -p m2m-conformance
python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install -q jsonschema
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

start=$(date +%s%N)
"$bin" export --format json --out "$scratch/export" | tail -1
echo "export: $(du -sm "$scratch/export" | cut -f1) MiB in $(( ($(date +%s%N) - start) / 1000000 )) ms"

"$bin" list vectors >"$scratch/list.txt"
python3 examples/export/validate.py "$scratch/export" --list "$scratch/list.txt" | tail -2

compare() { # name, testee command, timeout
  local out="$scratch/$1"
  # Both exit 1 when the testee fails cases (the perturbed one does); the comparison decides.
  "$bin" certify --target "stdin:$2" --timeout "$3" --report-dir "$out" >"$out.console" || [ $? -eq 1 ]
  python3 examples/export/run_export.py --export "$scratch/export" --testee "$2" --timeout "$3" \
    --verdicts "$out.verdicts.json" >"$out.runner" || [ $? -eq 1 ]
  echo -n "$1: "
  python3 examples/export/compare.py "$out/report.json" "$out.verdicts.json"
}
compare example "python3 examples/testee.py" 10
compare perturbed-reference "python3 examples/export/perturb.py --hang 1000 $bin serve-testee" 5
