#!/usr/bin/env python3
"""Time to first verdict: from a cold build to the first line `certify` prints.

    python3 reports/tools/cold_start.py --out FILE [--clone-of REPO] [--variant NAME=FLAGS]...

With --clone-of, the repository is cloned into a temporary folder and every variant builds into
its own empty target folder there (reports/performance.sh, step cold-start). Without it, the
variants build in the current checkout with its target folder, which must be empty for the
figure to mean a cold start (CI runs it first thing on its fresh clone). Each variant runs
`cargo run -p m2m-conformance FLAGS -- certify --filter varint`; the JSON written to FILE is
what reports/tools/performance_md.py shows. Standard library only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def measure(cwd, name, flags, target, reports):
    env = dict(os.environ, CARGO_TERM_COLOR="never")
    if target:
        env["CARGO_TARGET_DIR"] = target
    load = open("/proc/loadavg").read().split()[:3]
    start = time.monotonic()
    p = subprocess.Popen(
        ["cargo", "run", "-p", "m2m-conformance", *flags, "--", "certify", "--filter", "varint",
         "--report-dir", reports],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    seconds = time.monotonic() - start
    _, err = p.communicate()
    units = sum(1 for line in err.splitlines() if line.strip().startswith("Compiling "))
    return {"name": name, "flags": " ".join(flags), "seconds": round(seconds, 1),
            "units": units, "load": load, "first_line": first.strip(), "exit": p.returncode}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--clone-of")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=FLAGS, e.g. 'certification only=--no-default-features'")
    a = ap.parse_args()
    variants = [tuple(v.split("=", 1)) for v in a.variant] or [
        ("default", ""), ("certification only", "--no-default-features")]
    tmp = tempfile.mkdtemp(prefix="cold-start-")
    try:
        cwd = "."
        if a.clone_of:
            cwd = os.path.join(tmp, "clone")
            subprocess.run(["git", "clone", "-q", a.clone_of, cwd], check=True)
        out = []
        for i, (name, flags) in enumerate(variants):
            target = os.path.join(tmp, f"target-{i}") if a.clone_of else None
            out.append(measure(cwd, name, flags.split(), target, os.path.join(tmp, f"reports-{i}")))
            print(f"{name}: first verdict after {out[-1]['seconds']} s "
                  f"({out[-1]['units']} crates compiled)", file=sys.stderr)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            json.dump({"where": "a fresh clone" if a.clone_of else "CI's fresh clone",
                       "variants": out}, f, indent=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
