#!/usr/bin/env python3
"""Compare the harness's verdicts (a report.json of `m2m-conformance certify`) with the Python
runner's (the --verdicts file of run_export.py): exit 0 when every case has the same verdict.

    python3 examples/export/compare.py REPORT_JSON VERDICTS_JSON
"""
import collections
import json
import sys


def verdicts(path):
    return {f"{c['chapter']}::{c['id']}": c["verdict"] for c in json.load(open(path, encoding="utf-8"))["cases"]}


harness, python = verdicts(sys.argv[1]), verdicts(sys.argv[2])
differ = sorted(k for k in harness.keys() | python.keys() if harness.get(k) != python.get(k))
for k in differ[:20]:
    print(f"DIFFERENT {k}: harness {harness.get(k)}, python {python.get(k)}", file=sys.stderr)
counts = ", ".join(f"{v} {n}" for v, n in sorted(collections.Counter(harness.values()).items()))
print(f"{len(harness)} cases ({counts}): {len(differ)} verdict(s) differ")
sys.exit(1 if differ or not harness else 0)
