#!/usr/bin/env python3
"""Pair criterion results of the side-by-side bench and print reference/upstream ratios.

Reads every `<criterion dir>/**/new/benchmark.json` (for the full benchmark id) and the
`estimates.json` beside it (for the median), pairs ids `<format>/<op>/<size>/reference` with
`.../upstream` (and the raw Brotli ids `brotli-raw/<op>/<size>/brotli8` with `.../brotli7`), and
prints, per pair, both medians, the ratio first/second and whether the goal ratio <= 1.0 is met.
Where a raw Brotli benchmark exists for the same size, it also prints Brotli's share of each
side's time: frame encode / HMAC seal / AEAD seal use `compress-q5` (the frame payload's
parameters), frame decode / HMAC open / AEAD open use `decompress-q5`, the Brotli format uses
`compress-q11` / `decompress-q11`; the reference's share uses brotli 8 (its crate), upstream's
brotli 7.

    python3 reports/tools/perf_ratios.py adapters/m2m-protocol-0.4/target/criterion
    python3 reports/tools/perf_ratios.py DIR --markdown     # Markdown table
    python3 reports/tools/perf_ratios.py DIR --json         # JSON list

Standard library only.
"""

import argparse
import json
import os
import sys

PAIRS = (("reference", "upstream"), ("brotli8", "brotli7"))
GOAL = 1.0

# (format, op) -> raw brotli op whose time is a part of it
BROTLI_PART = {
    ("frame-binary", "encode"): "compress-q5",
    ("frame-text", "encode"): "compress-q5",
    ("frame-hmac", "seal"): "compress-q5",
    ("frame-aead", "seal"): "compress-q5",
    ("frame-binary", "decode"): "decompress-q5",
    ("frame-text", "decode"): "decompress-q5",
    ("frame-hmac", "open"): "decompress-q5",
    ("frame-aead", "open"): "decompress-q5",
    ("brotli", "encode"): "compress-q11",
    ("brotli", "decode"): "decompress-q11",
}

SIZE_ORDER = {"100b": 0, "2k": 1, "6k": 2, "64k": 3}


def load(root):
    """Full id -> median in ns, for every benchmark under `root`."""
    medians = {}
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            full_id = json.load(f)["full_id"]
        with open(os.path.join(dirpath, "estimates.json")) as f:
            medians[full_id] = json.load(f)["median"]["point_estimate"]
    return medians


def pairs(medians):
    rows = []
    for full_id, a_ns in medians.items():
        parts = full_id.split("/")
        if len(parts) != 4:
            continue
        fmt, op, size, name = parts
        for a, b in PAIRS:
            if name != a:
                continue
            b_ns = medians.get(f"{fmt}/{op}/{size}/{b}")
            if b_ns is None:
                continue
            row = {
                "id": f"{fmt}/{op}/{size}",
                "format": fmt,
                "op": op,
                "size": size,
                "a": a,
                "b": b,
                "a_ns": a_ns,
                "b_ns": b_ns,
                "ratio": a_ns / b_ns,
                "goal_met": (a_ns / b_ns <= GOAL) if a == "reference" else None,
                "brotli_share_reference": None,
                "brotli_share_upstream": None,
            }
            raw = BROTLI_PART.get((fmt, op))
            if raw and a == "reference":
                r8 = medians.get(f"brotli-raw/{raw}/{size}/brotli8")
                r7 = medians.get(f"brotli-raw/{raw}/{size}/brotli7")
                if r8 is not None:
                    row["brotli_share_reference"] = r8 / a_ns
                if r7 is not None:
                    row["brotli_share_upstream"] = r7 / b_ns
            rows.append(row)
    rows.sort(key=lambda r: (r["a"] != "reference", r["format"], r["op"],
                             SIZE_ORDER.get(r["size"], 9), r["size"]))
    return rows


def human(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def pct(x):
    return "" if x is None else f"{100 * x:.0f}%"


def goal(r):
    if r["goal_met"] is None:
        return "n/a"
    return "yes" if r["goal_met"] else "NO"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("criterion_dir", help="criterion output dir, e.g. adapters/m2m-protocol-0.4/target/criterion")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--json", action="store_true", help="print a JSON list")
    args = ap.parse_args()
    if not os.path.isdir(args.criterion_dir):
        sys.exit(f"no such directory: {args.criterion_dir}")
    rows = pairs(load(args.criterion_dir))
    if not rows:
        sys.exit("no benchmark pairs found (run `cargo bench -p m2m-side-by-side` first)")
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return
    header = ["benchmark", "pair", "median a", "median b", "ratio a/b", "goal <= 1.0",
              "brotli share (ref)", "brotli share (upstream)"]
    table = [[r["id"], f"{r['a']}/{r['b']}", human(r["a_ns"]), human(r["b_ns"]),
              f"{r['ratio']:.2f}", goal(r), pct(r["brotli_share_reference"]),
              pct(r["brotli_share_upstream"])] for r in rows]
    met = [r for r in rows if r["goal_met"] is not None]
    summary = f"{sum(r['goal_met'] for r in met)} of {len(met)} reference/upstream pairs meet ratio <= {GOAL}"
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for t in table:
            print("| " + " | ".join(t) + " |")
        print()
        print(summary + ".")
        return
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths)))
    print(summary)


if __name__ == "__main__":
    main()
