#!/usr/bin/env python3
"""A second, independent interpreter of the M2M conformance suite, in plain Python (standard
library only). It reads nothing but a JSON export (`m2m-conformance export --format json --out
DIR`), drives a testee over the stdin protocol of spec/90-testee.md and judges every case as
spec/90-testee.md section 5 says:

    python3 examples/export/run_export.py --export DIR --testee "python3 examples/testee.py" \
        --verdicts verdicts.json

Exit 0 when no case fails, times out or crashes; 1 otherwise; 2 when the testee does not start.
"""
import argparse
import json
import os
import pathlib
import queue
import signal
import subprocess
import sys
import threading

FAILURES = ("fail", "timeout", "crash")


def parse_int(s):
    """Integers as the harness (Rust serde_json) reads them: beyond 64 bits, and -0, are floats."""
    n = int(s)
    if s.startswith("-") and n == 0:
        return -0.0
    return n if -(2**63) <= n < 2**64 else float(s)


def bad_constant(name):
    raise ValueError(f"{name} is not JSON")


def loads(text):
    return json.loads(text, parse_int=parse_int, parse_constant=bad_constant)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same(want, got):
    """JSON equality: key order never matters; 1 and 1.0 differ, as do true and 1."""
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(same(want[k], got[k]) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(same(w, g) for w, g in zip(want, got))
    return type(want) is type(got) and want == got


def close(want, got, tol):
    """Equality where numbers may differ by tol["abs"] + tol["rel"] * |want|."""
    if is_num(want) and is_num(got):
        return abs(float(got) - float(want)) <= tol["abs"] + tol["rel"] * abs(float(want))
    if isinstance(want, dict) and isinstance(got, dict):
        return len(want) == len(got) and all(k in got and close(want[k], got[k], tol) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(close(w, g, tol) for w, g in zip(want, got))
    return same(want, got)


class Testee:
    """One testee process speaking JSON Lines; restarted after a crash, timeout or bad line."""

    def __init__(self, command, timeout, suite_version):
        self.command, self.timeout, self.suite_version = command, timeout, suite_version
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.command, shell=True, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        args = {"protocol": 1, "suite": "m2m-conformance", "suite_version": self.suite_version}
        kind, hello = self.call("hello", "hello", args)
        ok = kind == "ok" and isinstance(hello, dict) and type(hello.get("protocol")) is int and hello["protocol"] == 1
        ok = ok and all(isinstance(hello.get(k), str) for k in ("name", "version"))
        if not (ok and isinstance(hello.get("ops"), list) and all(isinstance(o, str) for o in hello["ops"])):
            self.kill()
            raise RuntimeError(f"hello failed: {kind} {hello!r}"[:300])
        return hello

    @staticmethod
    def _read(stream, lines):
        for raw in iter(stream.readline, b""):
            lines.put(raw.rstrip(b"\r\n").decode("utf-8", "replace"))
        lines.put(None)

    def call(self, case_id, op, args):
        """One exchange: ("ok", value) | ("error", class) | ("unsupported", reason) |
        ("protocol" | "timeout" | "crash", why). Restarts the testee after the last three."""
        if self.proc is None:
            try:
                self.start()
            except RuntimeError as e:
                return "crash", f"restart failed: {e}"
        line = json.dumps({"id": case_id, "op": op, "args": args}, ensure_ascii=False, separators=(",", ":"))
        try:
            self.proc.stdin.write(line.encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except OSError as e:
            outcome = ("crash", f"writing the request failed: {e}")
        else:
            try:
                answer = self.lines.get(timeout=self.timeout)
            except queue.Empty:
                outcome = ("timeout", f"no answer within {self.timeout} s")
            else:
                outcome = parse_response(case_id, answer) if answer is not None \
                    else ("crash", "the testee closed its output before answering")
        if outcome[0] in ("protocol", "timeout", "crash"):
            self.kill()
        return outcome

    def kill(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
            self.proc = None

    def shutdown(self):
        if self.proc is not None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=1)
                self.proc = None
            except subprocess.TimeoutExpired:
                self.kill()


def parse_response(case_id, line):
    try:
        r = loads(line)
    except ValueError:
        return "protocol", f"response is not JSON: {line[:200]}"
    if not isinstance(r, dict) or r.get("id") != case_id or not isinstance(r.get("id"), str):
        return "protocol", f"not a response to {case_id}: {line[:200]}"
    keys = [k for k in ("ok", "error", "unsupported") if k in r]
    if len(keys) != 1 or set(r) - {"id", "ok", "error", "unsupported"}:
        return "protocol", f"needs exactly one of ok/error/unsupported and nothing else: {line[:200]}"
    if keys[0] == "error":
        err = r["error"]
        if not isinstance(err, dict) or not isinstance(err.get("class"), str):
            return "protocol", "`error` has no string `class`"
        return "error", err["class"]
    return keys[0], r[keys[0]]


def matches(case, expect, outcome):
    kind, value = outcome
    if "ok" in expect:
        tol = case.get("tolerance")
        return kind == "ok" and (close(expect["ok"], value, tol) if tol else same(expect["ok"], value))
    if "error" in expect:
        return kind == "error" and value == expect["error"]
    return kind == "unsupported"


def judge(case, outcome, strict=False):
    """The verdict of one case (spec/90-testee.md section 5) and a one-line reason."""
    kind, value = outcome
    if kind in ("timeout", "crash"):
        return kind, value
    if kind == "protocol":
        return "fail", f"testee protocol violation: {value}"
    if kind == "unsupported" and "unsupported" not in case["expect"]:
        return "unsupported", str(value)
    if matches(case, case["expect"], outcome):
        return "pass", None
    if case["result"] == "acceptable" and ("lenient" not in case or matches(case, case["lenient"], outcome)):
        return ("fail" if strict else "acceptable"), f"tolerated by flags {', '.join(case['flags'])}"
    why = f"expected {json.dumps(case['expect'])[:100]}, got {kind} {json.dumps(value)[:100]}"
    return ("non-strict" if case["level"] != "MUST" and not strict else "fail"), why


def main():
    ap = argparse.ArgumentParser(description="Certify a stdin testee against a JSON export.")
    ap.add_argument("--export", required=True, type=pathlib.Path, help="folder written by `export`")
    ap.add_argument("--testee", required=True, help="shell command starting the testee")
    ap.add_argument("--verdicts", type=pathlib.Path, help="write per-case verdicts (JSON) here")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    ap.add_argument("--strict", action="store_true", help="acceptable and non-strict count as fail")
    a = ap.parse_args()

    files = sorted(p for p in a.export.glob("*.json") if p.name != "schema.json")
    chapters = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    testee = Testee(a.testee, a.timeout, chapters[0]["suite_version"])
    try:
        hello = testee.start()
    except RuntimeError as e:
        print(f"error: the testee did not start: {e}", file=sys.stderr)
        return 2
    results, counts = [], {}
    for chapter in chapters:
        for case in chapter["cases"]:
            if "unsupported" not in case["expect"] and case["op"] not in hello["ops"]:
                outcome = ("unsupported", f"op `{case['op']}` not listed in hello")
            else:
                outcome = testee.call(case["id"], case["op"], case["args"])
            verdict, reason = judge(case, outcome, a.strict)
            counts[verdict] = counts.get(verdict, 0) + 1
            results.append({"chapter": chapter["chapter"], "id": case["id"], "verdict": verdict, "reason": reason})
            if verdict in FAILURES:
                print(f"{verdict:8} {chapter['chapter']}::{case['id']}: {reason}"[:300])
    testee.shutdown()
    if a.verdicts:
        a.verdicts.write_text(json.dumps({
            "testee": {k: hello[k] for k in ("name", "version")},
            "suite_version": chapters[0]["suite_version"], "suite_hash": chapters[0]["suite_hash"],
            "counts": counts, "cases": results}, indent=1) + "\n", encoding="utf-8")
    print(f"{hello['name']} {hello['version']}: {len(results)} cases, "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 1 if any(counts.get(v) for v in FAILURES) else 0


if __name__ == "__main__":
    sys.exit(main())
