#!/usr/bin/env python3
"""Summarize `fuzz/run.sh` logs as the Markdown table of reports/fuzzing.md.

Usage: python3 fuzz/tools/stats.py LOGDIR   (reads LOGDIR/campaign-<target>.log)
Per target: seconds run, average execs/s (wall), CPU seconds and execs per CPU second (from
LOGDIR/campaign-<target>.log.time, written by fuzz/campaign.sh), total execs, final cov/ft, corpus before and after
cmin, crash/timeout/oom artifacts, and the committed corpus size on disk.
"""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parents[2]
logdir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/fuzzlogs")
print("| target | seconds | execs/s (wall) | CPU s | execs per CPU s | total execs | cov | ft | corpus after run | corpus after cmin (files / KiB) | crashes |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for log in sorted(logdir.glob("campaign-*.log")):
    t = log.stem[len("campaign-"):]
    s = log.read_text(errors="replace")
    def stat(name):
        m = re.search(r"stat::%s:\s+(\d+)" % name, s)
        return int(m.group(1)) if m else None
    execs, rate = stat("number_of_executed_units"), stat("average_exec_per_sec")
    fuzz_part = s.split("\nDone ", 1)[0]  # the merge (cmin) that follows prints its own lines
    done = [l for l in fuzz_part.splitlines() if re.match(r"#\d+\s+(DONE|NEW|REDUCE|pulse)", l)]
    last = done[-1] if done else ""
    cov = re.search(r"cov: (\d+)", last)
    ft = re.search(r"ft: (\d+)", last)
    corp = re.search(r"corp: (\d+)/", last)
    m = re.search(r"Done (\d+) runs in (\d+) second", s)
    secs = m.group(2) if m else "?"
    merged = re.search(r"MERGE-OUTER: (\d+) new files with (\d+) new features added; (\d+) new coverage edges", s)
    crashes = len(re.findall(r"Test unit written to .*/(crash|oom|timeout)-", s))
    d = root / "fuzz" / "corpus" / t
    files = [p for p in d.iterdir() if p.is_file()] if d.is_dir() else []
    kib = sum(p.stat().st_size for p in files) // 1024
    tf = log.with_name(log.name + ".time")
    cpu = None
    if tf.is_file():
        m = re.search(r"cpu_seconds: ([\d.]+) ([\d.]+)", tf.read_text())
        cpu = float(m.group(1)) + float(m.group(2)) if m else None
    per_cpu = f"{execs / cpu:,.0f}" if cpu and execs else "?"
    cpu_s = f"{cpu:.0f}" if cpu else "?"
    print(f"| `{t}` | {secs} | {rate} | {cpu_s} | {per_cpu} | {execs} | {cov.group(1) if cov else '?'} | "
          f"{ft.group(1) if ft else '?'} | {corp.group(1) if corp else '?'} | {len(files)} / {kib} | {crashes} |")
