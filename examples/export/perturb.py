#!/usr/bin/env python3
"""A testee that misbehaves on purpose, for checking that two interpreters of the suite agree
on every verdict, not only on `pass` (harness/tests/export.rs).

    python3 examples/export/perturb.py [--hang N] COMMAND...

It starts COMMAND (a real testee), drops one op from its `hello`, and forwards each request;
then, chosen by a hash of the case id (so the choice does not depend on order, restarts or
parallel instances), it answers as COMMAND did or changes the answer: another value, an integer
written as a float, keys reordered, another error class, an error instead of success, success
instead of an error, `unsupported`, a line that is not JSON, a wrong id, an extra key, an exit
before answering (crash) or, for one id in N (default 1000), no answer at all (timeout).

A request line longer than 1 MiB is passed through as it is, and so is its answer: parsing and
writing 16 MiB of JSON in Python made such a case take seconds under load, and every timeout the
perturbed run pays for must be longer than the slowest answer.
"""
import json
import subprocess
import sys
import time
import zlib

DROPPED_OP = "wire.varint.encode"


def floats(v):
    """The first integer inside v written as a float (1 -> 1.0)."""
    if isinstance(v, bool):
        return v, False
    if isinstance(v, int):
        return float(v), True
    if isinstance(v, (list, dict)):
        items = list(v.items()) if isinstance(v, dict) else list(enumerate(v))
        out = dict(v) if isinstance(v, dict) else list(v)
        for k, x in items:
            y, done = floats(x)
            if done:
                out[k] = y
                return out, True
    return v, False


HANG = 1000
# Request lines longer than this are forwarded and answered unchanged.
PASS_THROUGH = 1 << 20


def perturb(req, resp):
    """The line to answer with, or None to exit, or a number of seconds to hang."""
    rid = req.get("id")
    h = zlib.crc32(str(rid).encode()) % 1000
    if zlib.crc32(str(rid).encode()) % HANG == 0:
        return 3600.0
    kind = h % 16
    if kind == 0 and "ok" in resp:
        resp["ok"] = {"perturbed": True}
    elif kind == 1 and "ok" in resp:
        resp["ok"] = floats(resp["ok"])[0]
    elif kind == 2:
        resp = dict(reversed(list(resp.items())))
        if isinstance(resp.get("ok"), dict):
            resp["ok"] = dict(reversed(list(resp["ok"].items())))
    elif kind == 3 and "error" in resp:
        resp["error"]["class"] = "perturbed_class"
    elif kind == 4 and "ok" in resp:
        resp = {"id": rid, "error": {"class": "bad_args", "message": "perturbed"}}
    elif kind == 5 and "error" in resp:
        resp = {"id": rid, "ok": {}}
    elif kind == 6:
        resp = {"id": rid, "unsupported": "perturbed"}
    elif kind == 7 and h % 3 == 0:
        return "this is not JSON"
    elif kind == 8 and h % 3 == 0:
        resp["id"] = f"{rid}-other"
    elif kind == 9 and h % 3 == 0:
        resp["note"] = "extra key"
    elif kind == 10 and h % 10 == 0:
        return None
    return json.dumps(resp, separators=(",", ":"), ensure_ascii=False)


def main():
    global HANG
    command = sys.argv[1:]
    if command[:1] == ["--hang"]:
        HANG, command = int(command[1]), command[2:]
    inner = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for raw in sys.stdin.buffer:
        inner.stdin.write(raw)
        inner.stdin.flush()
        answer = inner.stdout.readline()
        if not answer:
            return 1
        if len(raw) > PASS_THROUGH:
            sys.stdout.buffer.write(answer)
            sys.stdout.buffer.flush()
            continue
        req, resp = json.loads(raw), json.loads(answer)
        if req.get("op") == "hello":
            resp["ok"]["ops"] = [o for o in resp["ok"]["ops"] if o != DROPPED_OP]
            out = json.dumps(resp, separators=(",", ":"))
        else:
            out = perturb(req, resp)
        if out is None:
            inner.kill()
            return 3
        if isinstance(out, float):
            time.sleep(out)
        sys.stdout.buffer.write(out.encode("utf-8") + b"\n")
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
