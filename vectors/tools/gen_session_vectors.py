#!/usr/bin/env python3
"""Generate the session scenario vectors (chapter session, spec/12-session.md).

Deterministic, Python 3 standard library plus PyYAML. Every expected value is computed here by a
second, independent model of the chapter (class `Endpoint` below), not by the Rust reference:

* message JSON is written with `json.dumps(..., separators=(",", ":"))` from dicts built in the
  key order of SESSION-MSG-001 / SESSION-CAPS-001;
* payload parsing follows the untagged order of SESSION-MSG-005 (`payload_kind`);
* DATA contents reuse goldens that upstream m2m-protocol 0.4.0 produced: the M2M v1 frames of
  `vectors/frame/encode-request.yaml` and the Brotli strings of `vectors/brotli/encode.yaml`.

Every scenario is also replayed against upstream's `Session` through the adapter; scenarios on
which upstream differs cite only SHOULD requirements (`UPSTREAM_DIFFERS` below lists them, and
they are marked `confirmed_by: second-computation`, as is every scenario in which virtual time
passes, since the adapter cannot move upstream's clock; all others `upstream-0.4.0`).

Usage (from the repository root):

    python3 vectors/tools/gen_session_vectors.py           # write vectors/session/*.yaml
    python3 vectors/tools/gen_session_vectors.py --check   # fail if the files on disk differ
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "vectors" / "session"
T0 = 1_700_000_000_000
SID = "sess-responder-1"

ALGOS = ["none", "m2m", "tokennative", "brotli"]
ENCS = ["Cl100kBase", "O200kBase", "LlamaBpe", "Heuristic"]
TYPES = ["HELLO", "ACCEPT", "REJECT", "DATA", "PING", "PONG", "CLOSE"]
CODES = ["VERSION_MISMATCH", "NO_COMMON_ALGORITHM", "SECURITY_POLICY", "RATE_LIMITED", "UNKNOWN"]


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# DATA goldens (upstream 0.4.0 output, committed in other chapters)
# --------------------------------------------------------------------------------------------

def load_goldens():
    m2m, brotli = {}, {}
    for case in yaml.safe_load((ROOT / "vectors/frame/encode-request.yaml").read_text())["cases"]:
        if case["op"] == "frame.encode" and "ok" in case["expect"] and isinstance(case["input"]["json"], str):
            m2m[case["input"]["json"]] = case["expect"]["ok"]["wire"]
    for case in yaml.safe_load((ROOT / "vectors/brotli/encode.yaml").read_text())["cases"]:
        if case["op"] == "wire.compress" and case["input"]["algorithm"] == "brotli" and isinstance(case["input"]["input"], str):
            brotli[case["input"]["input"]] = case["expect"]["ok"]["wire"]
    return m2m, brotli


M2M, BROTLI = load_goldens()
JSON_HI = '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}'
assert JSON_HI in M2M and "Hello" in BROTLI
BAD_CONTENT = {"#M2M[v3.0]|DATA:%%%": "invalid_base64", "#M2M|1|%%%": "invalid_base64"}


def encode(algorithm: str, content: str):
    """(wire, None) or (None, error class), from goldens only."""
    if algorithm == "none":
        return content, None
    if algorithm == "m2m":
        try:
            json.loads(content)
        except ValueError:
            return None, "invalid_json"
        return M2M[content], None
    if algorithm == "brotli":
        return BROTLI[content], None
    raise KeyError(algorithm)


def decode(content: str):
    if content in BAD_CONTENT:
        return None, BAD_CONTENT[content]
    for table in (M2M, BROTLI):
        for text, wire in table.items():
            if wire == content:
                return text, None
    if content.startswith(("#M2M|1|", "#M2M[v3.0]|", "#TK|")):
        raise KeyError(content)
    return content, None


# --------------------------------------------------------------------------------------------
# Capabilities and messages
# --------------------------------------------------------------------------------------------

def caps(agent="peer", version="3.0", algorithms=None, encodings=None, preferred="Cl100kBase",
         streaming=True, ml_routing=False, threat=False, model_version=None, blocking=False,
         threshold=0.8, extensions=None, max_payload=0, omit=()):
    c = {
        "version": version,
        "agent_id": agent,
        "agent_type": "m2m-rust",
        "compression": {
            "algorithms": ["m2m", "tokennative", "brotli", "none"] if algorithms is None else algorithms,
            "max_payload": max_payload,
            "streaming": streaming,
            "ml_routing": ml_routing,
            "encodings": ["Cl100kBase", "O200kBase"] if encodings is None else encodings,
            "preferred_encoding": preferred,
        },
        "security": {
            "threat_detection": threat,
            "model_version": model_version,
            "blocking_mode": blocking,
            "block_threshold": threshold,
        },
        "extensions": {} if extensions is None else extensions,
    }
    for path in omit:
        obj = c
        *head, last = path.split(".")
        for k in head:
            obj = obj[k]
        del obj[last]
    return c


LOCAL = caps(agent="local-agent")


def msg(kind, sid=None, payload=None, ts=T0, raw_extra=None, omit=()):
    m = {"type": kind}
    if sid is not None:
        m["session_id"] = sid
    if payload is not None:
        m["payload"] = payload
    m["timestamp"] = ts
    for k in omit:
        m.pop(k, None)
    if raw_extra:
        m.update(raw_extra)
    return dumps(m)


def hello(c=None, **kw):
    return msg("HELLO", payload=caps() if c is None else c, **kw)


def accept(sid="sess-server-9", c=None, **kw):
    return msg("ACCEPT", sid=sid, payload=caps(agent="server") if c is None else c, **kw)


def reject(code="VERSION_MISMATCH", text="nope", **kw):
    return msg("REJECT", payload={"code": code, "message": text}, **kw)


def data(content, algorithm="m2m", sid=SID, **kw):
    return msg("DATA", sid=sid, payload={"algorithm": algorithm, "content": content}, **kw)


def ctl(kind, sid=SID, **kw):
    return msg(kind, sid=sid, payload={}, **kw)


# ---- parsing (SESSION-MSG-*, SESSION-CAPS-*)

def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fits_caps(p):
    if not isinstance(p, dict):
        return False
    for k in ("version", "agent_id", "agent_type"):
        if not isinstance(p.get(k), str):
            return False
    c, s = p.get("compression"), p.get("security")
    if not isinstance(c, dict) or not isinstance(s, dict):
        return False
    if not isinstance(c.get("algorithms"), list) or any(a not in ALGOS for a in c["algorithms"]):
        return False
    if not is_uint(c.get("max_payload")):
        return False
    if not isinstance(c.get("streaming"), bool) or not isinstance(c.get("ml_routing"), bool):
        return False
    if "encodings" in c and (not isinstance(c["encodings"], list) or any(e not in ENCS for e in c["encodings"])):
        return False
    if "preferred_encoding" in c and c["preferred_encoding"] not in ENCS:
        return False
    if not isinstance(s.get("threat_detection"), bool) or not isinstance(s.get("blocking_mode"), bool):
        return False
    if not is_num(s.get("block_threshold")):
        return False
    if s.get("model_version") is not None and not isinstance(s["model_version"], str):
        return False
    if "extensions" in p and (not isinstance(p["extensions"], dict)
                              or any(not isinstance(v, str) for v in p["extensions"].values())):
        return False
    return True


def normalize_caps(p):
    """The capabilities as a reader holds them, written back in canonical order."""
    c, s = p["compression"], p["security"]
    t = s["block_threshold"]
    return {
        "version": p["version"], "agent_id": p["agent_id"], "agent_type": p["agent_type"],
        "compression": {
            "algorithms": c["algorithms"], "max_payload": c["max_payload"],
            "streaming": c["streaming"], "ml_routing": c["ml_routing"],
            "encodings": c.get("encodings", []),
            "preferred_encoding": c.get("preferred_encoding", "Cl100kBase"),
        },
        "security": {
            "threat_detection": s["threat_detection"], "model_version": s.get("model_version"),
            "blocking_mode": s["blocking_mode"], "block_threshold": float(t),
        },
        "extensions": dict(sorted(p.get("extensions", {}).items())),
    }


def payload_kind(p):
    """SESSION-MSG-005: capabilities → rejection → data → empty; None if nothing fits."""
    if p is None:
        return ("none", None)
    if fits_caps(p):
        return ("caps", normalize_caps(p))
    if isinstance(p, dict) and p.get("code") in CODES and isinstance(p.get("message"), str):
        return ("rejection", p)
    if (isinstance(p, dict) and p.get("algorithm") in ALGOS and isinstance(p.get("content"), str)
            and (p.get("original_size") is None or is_uint(p.get("original_size")))
            and "security_status" not in p):
        return ("data", p)
    if isinstance(p, dict) or p == []:
        return ("empty", None)
    raise ValueError("payload fits no shape")


def parse(text):
    try:
        m = json.loads(text)
    except ValueError:
        return None
    if not isinstance(m, dict) or m.get("type") not in TYPES or not is_uint(m.get("timestamp")):
        return None
    sid = m.get("session_id")
    if sid is not None and not isinstance(sid, str):
        return None
    try:
        kind, payload = payload_kind(m.get("payload"))
    except ValueError:
        return None
    return {"type": m["type"], "session_id": sid, "kind": kind, "payload": payload}


# --------------------------------------------------------------------------------------------
# The endpoint model (SESSION-SM-*, -NEG-*, -TIMER-*)
# --------------------------------------------------------------------------------------------

def major(v):
    return v.split(".")[0]


def negotiate(local, peer):
    if major(local["version"]) != major(peer["version"]):
        return None
    mine, theirs = local["compression"], peer["compression"]
    common = [a for a in mine["algorithms"] if a in theirs["algorithms"]]
    if not common:
        return None
    if mine["preferred_encoding"] in theirs["encodings"]:
        enc = mine["preferred_encoding"]
    else:
        enc = next((e for e in mine["encodings"] if e in theirs["encodings"]), "Cl100kBase")
    return {"algorithm": common[0], "encoding": enc}


class Refused(Exception):
    def __init__(self, cls):
        super().__init__(cls)
        self.cls = cls


class Endpoint:
    def __init__(self, local, sid, now, timers):
        self.local, self.id, self.timers = normalize_caps(local), sid, timers
        self.state, self.neg = "Initial", None
        self.sent = self.recv = 0
        self.last = self.hello_at = self.closing_at = now
        self.last_ping, self.outstanding, self.missed = None, None, 0

    def out(self, kind, sid, payload, ts):
        m = {"type": kind}
        if sid is not None:
            m["session_id"] = sid
        m["payload"] = payload
        m["timestamp"] = ts
        return dumps(m)

    def deadline(self):
        if not self.timers:
            return None
        if self.state == "HelloSent":
            return self.hello_at + 30_000
        if self.state == "Closing":
            return self.closing_at + 5_000
        if self.state == "Established":
            if self.outstanding is not None:
                return self.outstanding + 10_000
            return max(self.last, self.last_ping or 0) + 60_000
        return None

    def advance(self, now):
        msgs = []
        while (d := self.deadline()) is not None and d <= now:
            if self.state in ("HelloSent", "Closing"):
                self.state = "Closed"
            elif self.outstanding is not None:
                self.outstanding = None
                self.missed += 1
                if self.missed >= 3:
                    msgs.append(self.close(d))
            else:
                self.sent += 1
                self.last_ping = self.outstanding = d
                msgs.append(self.out("PING", self.id, {}, d))
        return msgs

    def close(self, now):
        self.state, self.closing_at = "Closing", now
        self.sent += 1
        return self.out("CLOSE", self.id, {}, now)

    def check_data(self, now):
        if self.state != "Established":
            raise Refused("session_not_established")
        if now - self.last > 300_000:
            raise Refused("session_expired")
        return self.neg["algorithm"] if self.neg else "m2m"

    def call(self, what, content, now):
        if what == "hello":
            if self.state != "Initial":
                raise Refused("invalid_state")
            self.state, self.hello_at, self.last = "HelloSent", now, now
            self.sent += 1
            return [self.out("HELLO", None, self.local, now)], None
        if what == "send":
            algo = self.check_data(now)
            wire, err = encode(algo, content)
            if err:
                raise Refused(err)
            self.sent += 1
            self.last = now
            return [self.out("DATA", self.id, {"algorithm": algo, "content": wire}, now)], None
        return [self.close(now)], None

    def receive(self, text, now):
        m = parse(text)
        if m is None:
            raise Refused("malformed_message")
        t = m["type"]
        if t == "DATA":
            self.check_data(now)
            if m["kind"] != "data":
                raise Refused("invalid_message")
            self.recv += 1
            self.last = now
            text_out, err = decode(m["payload"]["content"])
            if err:
                raise Refused(err)
            return [], text_out
        self.last = now
        if t == "HELLO":
            if self.state != "Initial":
                raise Refused("invalid_state")
            if m["kind"] != "caps":
                raise Refused("invalid_message")
            self.recv += 1
            peer = m["payload"]
            if major(peer["version"]) != major(self.local["version"]):
                p = {"code": "VERSION_MISMATCH",
                     "message": f"Version {peer['version']} not compatible with {self.local['version']}"}
                return [self.out("REJECT", None, p, now)], None
            n = negotiate(self.local, peer)
            if n is None:
                p = {"code": "NO_COMMON_ALGORITHM", "message": "No common compression algorithm"}
                return [self.out("REJECT", None, p, now)], None
            self.neg, self.state = n, "Established"
            self.sent += 1
            return [self.out("ACCEPT", self.id, self.local, now)], None
        if t == "ACCEPT":
            if self.state != "HelloSent":
                raise Refused("invalid_state")
            if m["kind"] != "caps" or m["session_id"] is None:
                raise Refused("invalid_message")
            self.recv += 1
            self.id = m["session_id"]
            n = negotiate(self.local, m["payload"])
            if n is None:
                raise Refused("negotiation_failed")
            self.neg, self.state = n, "Established"
            return [], None
        self.recv += 1
        if t == "REJECT":
            self.state = "Closed"
            raise Refused("rejected")
        if t == "PING":
            self.sent += 1
            return [self.out("PONG", self.id, {}, now)], None
        if t == "PONG":
            self.outstanding, self.missed = None, 0
            return [], None
        self.state = "Closed"  # CLOSE
        return [], None


def expected(local, sid, clock, timers, steps):
    ep = Endpoint(local, sid, clock, timers)
    now, results = clock, []
    for step in steps:
        res = {"state": None, "out": []}
        try:
            if "advance" in step:
                now += step["advance"]
                res["out"] = ep.advance(now)
            elif "recv" in step:
                msgs, delivered = ep.receive(step["recv"], now)
                res["out"] = msgs
                if delivered is not None:
                    res["delivered"] = delivered
            else:
                res["out"], _ = ep.call(step["call"], step.get("content"), now)
        except Refused as r:
            res["out"], res["error"] = [], r.cls
        res["state"] = ep.state
        results.append(res)
    return {
        "steps": results,
        "final": {"state": ep.state, "session_id": ep.id, "messages_sent": ep.sent,
                  "messages_received": ep.recv, "negotiated": ep.neg},
    }


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

SCENARIOS = []
FILES = {
    "handshake": "HELLO / ACCEPT / REJECT handshake, responder and initiator side",
    "negotiation": "version rules, algorithm and encoding negotiation",
    "messages": "message JSON: envelope, payload parsing quirks, malformed messages",
    "transitions": "DATA, PING, PONG, CLOSE and REJECT in every state; invalid transitions; counters",
    "timers": "idle expiry (MUST) and the SHOULD timers on a virtual clock",
}
# Scenarios on which upstream 0.4.0 answers differently; each cites only SHOULD requirements.
UPSTREAM_DIFFERS = set()


def sc(file, id, desc, reqs, steps, local=None, sid=SID, timers=None, near_miss=False,
       upstream_differs=False):
    assert file in FILES
    SCENARIOS.append(dict(file=file, id=id, desc=desc, reqs=reqs, steps=steps,
                          local=LOCAL if local is None else local, sid=sid, timers=timers,
                          near_miss=near_miss))
    if upstream_differs:
        UPSTREAM_DIFFERS.add(id)


R = lambda text: {"recv": text}  # noqa: E731
HELLO = {"call": "hello"}
CLOSE = {"call": "close"}
SEND = lambda content: {"call": "send", "content": content}  # noqa: E731
ADV = lambda ms: {"advance": ms}  # noqa: E731

# Steps that bring an endpoint into each state.
TO_STATE = {
    "Initial": [],
    "HelloSent": [HELLO],
    "Established": [R(hello())],
    "Closing": [R(hello()), CLOSE],
    "Closed": [R(hello()), R(ctl("CLOSE"))],
}
STATES = list(TO_STATE)


def build():
    # ---------------- handshake: responder
    f = "handshake"
    sc(f, "sess-hs-resp-accept", "a HELLO with default capabilities is accepted; ACCEPT carries the responder's own full capabilities",
       ["SESSION-SM-004", "SESSION-MSG-007", "SESSION-NEG-006", "SESSION-ID-001"], [R(hello())])
    sc(f, "sess-hs-resp-minimal-hello", "the smallest HELLO a responder accepts (no encodings, model_version, extensions)",
       ["SESSION-CAPS-002", "SESSION-SM-004"],
       [R(hello(caps(omit=("compression.encodings", "compression.preferred_encoding", "security.model_version", "extensions"), algorithms=["m2m"])))])
    sc(f, "sess-hs-resp-accept-then-data", "after ACCEPT the responder decodes a DATA frame",
       ["SESSION-SM-004", "SESSION-DATA-004"], [R(hello()), R(data(M2M[JSON_HI]))])
    sc(f, "sess-hs-resp-hello-ignores-session-id", "a HELLO carrying a session id is accepted with the responder's own id",
       ["SESSION-SM-008", "SESSION-ID-001"], [R(hello(sid="client-chosen"))])
    sc(f, "sess-hs-resp-hello-no-payload", "a HELLO without payload fails with invalid_message and is not counted",
       ["SESSION-SM-004", "SESSION-MSG-006"], [R(msg("HELLO"))], near_miss=True)
    sc(f, "sess-hs-resp-hello-null-payload", "a HELLO with payload null fails with invalid_message",
       ["SESSION-SM-004", "SESSION-MSG-003"], [R(msg("HELLO", raw_extra={"payload": None}))], near_miss=True)
    sc(f, "sess-hs-resp-hello-empty-payload", "a HELLO with payload {} is read as empty and fails with invalid_message",
       ["SESSION-MSG-006"], [R(msg("HELLO", payload={}))], near_miss=True)
    sc(f, "sess-hs-resp-hello-twice", "a second HELLO in Established fails with invalid_state",
       ["SESSION-SM-004"], [R(hello()), R(hello())], near_miss=True)
    sc(f, "sess-hs-resp-hello-after-version-reject", "after a VERSION_MISMATCH REJECT the responder is still Initial and accepts a good HELLO",
       ["SESSION-SM-004", "SESSION-REJECT-001"], [R(hello(caps(version="4.0"))), R(hello())])
    sc(f, "sess-hs-resp-hello-after-algo-reject", "after a NO_COMMON_ALGORITHM REJECT the responder is still Initial and accepts a good HELLO",
       ["SESSION-SM-004", "SESSION-REJECT-001"], [R(hello(caps(algorithms=[]))), R(hello())])
    sc(f, "sess-hs-resp-reject-counts", "REJECTs are not counted as sent; each HELLO with capabilities is counted as received",
       ["SESSION-STATS-001", "SESSION-SM-004"], [R(hello(caps(version="2.0"))), R(hello(caps(algorithms=[]))), R(msg("HELLO"))])
    # ---------------- handshake: initiator
    sc(f, "sess-hs-init-hello", "the local call hello sends HELLO with the local capabilities and no session id",
       ["SESSION-SM-003", "SESSION-MSG-007"], [HELLO])
    sc(f, "sess-hs-init-accept", "an ACCEPT establishes the session and its id is adopted",
       ["SESSION-SM-005", "SESSION-ID-002"], [HELLO, R(accept())])
    sc(f, "sess-hs-init-accept-then-send", "after ACCEPT the initiator sends DATA with the adopted session id",
       ["SESSION-ID-002", "SESSION-DATA-003"], [HELLO, R(accept()), SEND(JSON_HI)])
    sc(f, "sess-hs-init-accept-any-id", "the documented sess_ id form is accepted like any other string",
       ["SESSION-ID-002", "SESSION-ID-003"], [HELLO, R(accept(sid="sess_a1b2c3d4e5f6g7h8i9j0")), R(ctl("PING", sid="x"))])
    sc(f, "sess-hs-init-accept-empty-id", "an empty session id is adopted as given",
       ["SESSION-ID-002"], [HELLO, R(accept(sid="")), R(ctl("PING"))])
    sc(f, "sess-hs-init-accept-missing-caps", "an ACCEPT without capabilities fails with invalid_message and is not counted",
       ["SESSION-SM-005"], [HELLO, R(msg("ACCEPT", sid="s", payload={}))], near_miss=True)
    sc(f, "sess-hs-init-accept-missing-id", "an ACCEPT without session_id fails with invalid_message; the id is not changed",
       ["SESSION-SM-005", "SESSION-ID-002", "SESSION-ID-001"], [HELLO, R(msg("ACCEPT", payload=caps()))], near_miss=True)
    sc(f, "sess-hs-init-accept-null-id", "an ACCEPT with session_id null fails with invalid_message",
       ["SESSION-SM-005", "SESSION-MSG-003"], [HELLO, R(msg("ACCEPT", payload=caps(), raw_extra={"session_id": None}))], near_miss=True)
    sc(f, "sess-hs-init-accept-check-order", "capabilities are checked before the session id",
       ["SESSION-SM-005"], [HELLO, R(msg("ACCEPT", payload={"x": 1}))], near_miss=True)
    sc(f, "sess-hs-init-accept-version-mismatch", "an ACCEPT with an incompatible version fails with negotiation_failed, keeps HelloSent, but its id is adopted",
       ["SESSION-NEG-007", "SESSION-ID-002"], [HELLO, R(accept(c=caps(agent="server", version="4.0")))], near_miss=True)
    sc(f, "sess-hs-init-accept-no-common", "an ACCEPT without a common algorithm fails with negotiation_failed",
       ["SESSION-NEG-007", "SESSION-NEG-002", "SESSION-NEG-001"], [HELLO, R(accept(c=caps(agent="server", algorithms=[])))], near_miss=True)
    sc(f, "sess-hs-init-accept-retry", "after a failed ACCEPT a good one still establishes the session",
       ["SESSION-NEG-007", "SESSION-SM-005"], [HELLO, R(accept(sid="first", c=caps(version="9.0"))), R(accept(sid="second"))])
    for code in CODES:
        sc(f, f"sess-hs-init-reject-{code.lower().replace('_', '-')}", f"REJECT {code} closes the initiator with the error rejected",
           ["SESSION-REJECT-001", "SESSION-REJECT-002"], [HELLO, R(reject(code, "no"))])
    sc(f, "sess-hs-init-reject-server-busy", "a REJECT with the documented code SERVER_BUSY has an empty payload and still closes",
       ["SESSION-REJECT-002", "SESSION-DIV-004"], [HELLO, R(reject("SERVER_BUSY", "busy"))], near_miss=True)
    sc(f, "sess-hs-init-reject-no-message", "a REJECT without message (documented as optional) still closes",
       ["SESSION-REJECT-002", "SESSION-DIV-004"], [HELLO, R(msg("REJECT", payload={"code": "UNKNOWN"}))], near_miss=True)
    sc(f, "sess-hs-init-reject-no-payload", "a REJECT without payload still closes",
       ["SESSION-REJECT-002"], [HELLO, R(msg("REJECT"))])
    sc(f, "sess-hs-init-reject-then-hello", "after a REJECT the endpoint is Closed; a new hello is refused",
       ["SESSION-SM-009"], [HELLO, R(reject()), HELLO], near_miss=True, upstream_differs=True)
    sc(f, "sess-hs-init-hello-twice", "a second local hello is refused with invalid_state",
       ["SESSION-SM-009"], [HELLO, HELLO], near_miss=True, upstream_differs=True)
    sc(f, "sess-hs-init-hello-in-established", "a local hello in Established is refused and the session stays established",
       ["SESSION-SM-009"], [R(hello()), HELLO, SEND(JSON_HI)], near_miss=True, upstream_differs=True)
    sc(f, "sess-hs-init-hello-in-closing", "a local hello in Closing is refused",
       ["SESSION-SM-009"], TO_STATE["Closing"] + [HELLO], near_miss=True, upstream_differs=True)
    sc(f, "sess-hs-full-roundtrip", "initiator: hello, ACCEPT, two DATA each way, PING, CLOSE from peer",
       ["SESSION-SM-005", "SESSION-STATS-001", "SESSION-DATA-003", "SESSION-DATA-004", "SESSION-RUN-001", "SESSION-RUN-002"],
       [HELLO, R(accept(sid="srv")), SEND(JSON_HI), R(data(M2M[JSON_HI], sid="srv")), SEND(JSON_HI),
        R(data("plain text", algorithm="none", sid="srv")), R(ctl("PING", sid="srv")), R(ctl("CLOSE", sid="srv"))])
    sc(f, "sess-hs-upstream-counts", "upstream's e2e counts: after a handshake and 5 DATA the sender has sent 6 and received 1",
       ["SESSION-STATS-001"], [HELLO, R(accept())] + [SEND(JSON_HI)] * 5)
    sc(f, "sess-hs-upstream-counts-server", "upstream's e2e counts: the receiver of a handshake and 5 DATA has sent 1 and received 6",
       ["SESSION-STATS-001"], [R(hello())] + [R(data(M2M[JSON_HI]))] * 5)

    # ---------------- negotiation
    f = "negotiation"
    for v, ok, name in [("3.0", True, "same"), ("3.1", True, "minor-differs"), ("3", True, "no-dot"),
                        ("3.0.1", True, "three-parts"), ("3.x", True, "non-numeric-minor"),
                        ("3.", True, "trailing-dot"), ("4.0", False, "major-4"), ("2.9", False, "major-2"),
                        ("30.0", False, "major-30"), ("03.0", False, "leading-zero"), ("", False, "empty"),
                        (" 3.0", False, "leading-space"), ("v3.0", False, "v-prefix"), ("1.0", False, "documented-1-0"),
                        ("99.0", False, "major-99")]:
        sc(f, f"sess-ver-{name}", f"peer version {v!r} against local 3.0 is {'compatible' if ok else 'a VERSION_MISMATCH'} (string compare of the major part)",
           ["SESSION-VER-001", "SESSION-SM-004"] + ([] if ok else ["SESSION-REJECT-001"]),
           [R(hello(caps(version=v)))], near_miss=not ok)
    sc(f, "sess-ver-local-3-5", "local 3.5 accepts peer 3.0", ["SESSION-VER-001"], [R(hello())], local=caps(agent="l", version="3.5"))
    sc(f, "sess-ver-both-empty", "two empty versions are compatible", ["SESSION-VER-001"],
       [R(hello(caps(version="")))], local=caps(agent="l", version=""))
    sc(f, "sess-ver-before-algorithms", "an incompatible version is reported even when no algorithm is common",
       ["SESSION-REJECT-003"], [R(hello(caps(version="4.0", algorithms=[])))])
    sc(f, "sess-ver-default-announce", "a default endpoint announces 3.0 and the default capabilities",
       ["SESSION-VER-002", "SESSION-CAPS-004"], [HELLO])
    for peer_algos, local_algos, name in [
            (["brotli"], None, "peer-brotli-only"), (["none"], None, "peer-none-only"),
            (["tokennative"], None, "peer-tokennative-only"), (["tokennative", "m2m"], None, "local-order-wins"),
            (["none", "brotli", "tokennative", "m2m"], None, "peer-reversed"),
            (["m2m", "brotli"], ["brotli", "m2m"], "local-prefers-brotli"), (None, ["none"], "local-none-only"),
            (["m2m", "m2m"], None, "peer-duplicates"), (["brotli", "none"], ["tokennative", "none", "brotli"], "first-local-common")]:
        local = None if local_algos is None else caps(agent="local-agent", algorithms=local_algos)
        sc(f, f"sess-neg-alg-{name}", "the responder picks the first local algorithm the peer also lists",
           ["SESSION-NEG-002", "SESSION-NEG-001"], [R(hello(caps(algorithms=peer_algos)))], local=local)
    sc(f, "sess-neg-alg-none-common", "no algorithm in common: REJECT NO_COMMON_ALGORITHM, state stays Initial",
       ["SESSION-NEG-002", "SESSION-REJECT-001", "SESSION-NEG-005"], [R(hello(caps(algorithms=["none"])))],
       local=caps(agent="l", algorithms=["m2m", "brotli"]), near_miss=True)
    sc(f, "sess-neg-alg-peer-empty", "a peer listing no algorithm is rejected", ["SESSION-NEG-002", "SESSION-REJECT-003"],
       [R(hello(caps(algorithms=[])))], near_miss=True)
    sc(f, "sess-neg-alg-documented-name", "the documented name TOKEN is not an algorithm: the HELLO has no capabilities",
       ["SESSION-CAPS-003", "SESSION-DIV-002"], [R(hello(caps(algorithms=["m2m", "TOKEN"])))], near_miss=True)
    sc(f, "sess-neg-alg-underscore-name", "token_native (with underscore) is not an algorithm name",
       ["SESSION-CAPS-003"], [R(hello(caps(algorithms=["token_native"])))], near_miss=True)
    sc(f, "sess-neg-alg-uppercase-name", "M2M in upper case is not an algorithm name",
       ["SESSION-CAPS-003"], [R(hello(caps(algorithms=["M2M"])))], near_miss=True)
    sc(f, "sess-neg-one-sided-algorithm-initiator", "the initiator keeps its own preference: tokennative although the responder prefers brotli",
       ["SESSION-NEG-001", "SESSION-NEG-002"], [HELLO, R(accept(c=caps(agent="server", algorithms=["brotli", "tokennative"])))],
       local=caps(agent="client", algorithms=["tokennative", "brotli"]))
    sc(f, "sess-neg-one-sided-algorithm-responder", "the responder keeps its own preference: brotli although the initiator prefers tokennative",
       ["SESSION-NEG-001", "SESSION-NEG-002"], [R(hello(caps(algorithms=["tokennative", "brotli"])))],
       local=caps(agent="server", algorithms=["brotli", "tokennative"]))
    sc(f, "sess-neg-send-brotli", "a session negotiated to brotli sends Brotli DATA", ["SESSION-DATA-003"],
       [R(hello(caps(algorithms=["brotli"]))), SEND("Hello")])
    sc(f, "sess-neg-send-none", "a session negotiated to none sends the content unchanged", ["SESSION-DATA-003"],
       [R(hello(caps(algorithms=["none"]))), SEND("any text, not JSON")])
    sc(f, "sess-neg-send-m2m-not-json", "m2m cannot send non-JSON content: invalid_json, nothing counted",
       ["SESSION-DATA-003"], [R(hello()), SEND("Hello")], near_miss=True)
    for name, local, peer, what in [
            ("enc-local-preferred", dict(preferred="O200kBase"), dict(), "the local preferred encoding when the peer lists it"),
            ("enc-first-common", dict(encodings=["Cl100kBase", "O200kBase"]), dict(encodings=["O200kBase"]), "the first local encoding the peer lists when it lacks the preferred one"),
            ("enc-fallback", dict(encodings=["O200kBase"], preferred="O200kBase"), dict(encodings=["LlamaBpe"]), "Cl100kBase when nothing is common"),
            ("enc-peer-missing-list", dict(preferred="O200kBase"), dict(omit=("compression.encodings",)), "Cl100kBase when the peer sends no encodings (read as [])"),
            ("enc-preferred-not-in-local-list", dict(encodings=["Cl100kBase"], preferred="LlamaBpe"), dict(encodings=["LlamaBpe", "Cl100kBase"]), "the preferred encoding even when the local list omits it"),
            ("enc-heuristic", dict(encodings=["Heuristic"], preferred="Heuristic"), dict(encodings=["Heuristic"]), "Heuristic when both sides list it"),
            ("enc-peer-preference-ignored", dict(), dict(preferred="O200kBase"), "the local preference, not the peer's (documented otherwise)")]:
        sc(f, f"sess-neg-{name}", f"encoding: {what}", ["SESSION-NEG-003"] + (["SESSION-DIV-007"] if "ignored" in name else []),
           [R(hello(caps(**peer)))], local=caps(agent="local-agent", **local))
    sc(f, "sess-neg-enc-one-sided", "the initiator settles on its own preferred O200kBase while the responder would choose Cl100kBase",
       ["SESSION-NEG-001", "SESSION-NEG-003"], [HELLO, R(accept())], local=caps(agent="client", preferred="O200kBase"))
    sc(f, "sess-neg-enc-bad-name", "cl100k_base is not an encoding name: the HELLO has no capabilities",
       ["SESSION-CAPS-003", "SESSION-NEG-003"], [R(hello(caps(encodings=["cl100k_base"])))], near_miss=True)
    sc(f, "sess-neg-enc-missing-preferred", "a missing preferred_encoding reads as Cl100kBase", ["SESSION-CAPS-002"],
       [R(hello(caps(omit=("compression.preferred_encoding",), encodings=["O200kBase"])))],
       local=caps(agent="l", encodings=["O200kBase"], preferred="O200kBase"))
    sc(f, "sess-neg-ignored-fields", "max_payload, block_threshold, model_version, extensions and the flags do not affect the outcome",
       ["SESSION-NEG-005", "SESSION-NEG-004"],
       [R(hello(caps(max_payload=10, threshold=0.1, model_version="hydra-1", extensions={"x-k": "v"}, threat=True, blocking=True, streaming=False, ml_routing=True)))])
    sc(f, "sess-neg-local-custom-serialized", "local capabilities are written back in canonical form (missing keys filled, integer threshold as 1.0)",
       ["SESSION-CAPS-002", "SESSION-MSG-007"], [HELLO],
       local=caps(agent="l", threshold=1, extensions={"k": "v"}, omit=("compression.encodings", "security.model_version")))

    # ---------------- messages
    f = "messages"
    sc(f, "sess-msg-lowercase-type", "a lower-case type is malformed", ["SESSION-MSG-002", "SESSION-PING-001"],
       [R(msg("ping", sid=SID, payload={}))], near_miss=True)
    sc(f, "sess-msg-unknown-type", "an unknown type is malformed (documented as ignored)", ["SESSION-MSG-002", "SESSION-DIV-006"],
       [R(msg("STATUS", sid=SID, payload={}))], near_miss=True)
    sc(f, "sess-msg-missing-timestamp", "a message without timestamp is malformed", ["SESSION-MSG-004"],
       [R(msg("PING", sid=SID, payload={}, omit=("timestamp",)))], near_miss=True)
    sc(f, "sess-msg-negative-timestamp", "a negative timestamp is malformed", ["SESSION-MSG-004"],
       [R(msg("PING", sid=SID, payload={}, ts=-1))], near_miss=True)
    sc(f, "sess-msg-string-timestamp", "a timestamp given as a string is malformed", ["SESSION-MSG-004"],
       [R(msg("PING", sid=SID, payload={}, ts="1700000000000"))], near_miss=True)
    sc(f, "sess-msg-zero-timestamp", "timestamp 0 is accepted and not interpreted", ["SESSION-MSG-004"],
       [R(msg("PING", sid=SID, payload={}, ts=0))])
    sc(f, "sess-msg-not-json", "text that is not JSON is malformed", ["SESSION-MSG-001", "SESSION-ERR-001"], [R("PING")], near_miss=True)
    sc(f, "sess-msg-array", "a JSON array is malformed", ["SESSION-MSG-001"], [R("[]")], near_miss=True)
    sc(f, "sess-msg-missing-type", "a message without type is malformed", ["SESSION-MSG-002"],
       [R(dumps({"session_id": SID, "payload": {}, "timestamp": T0}))], near_miss=True)
    sc(f, "sess-msg-key-order-free", "keys may come in any order and with whitespace", ["SESSION-MSG-001", "SESSION-MSG-002"],
       [R('{ "timestamp" : 5 , "payload" : {} , "type" : "PING" }')])
    sc(f, "sess-msg-unknown-keys", "unknown envelope keys are ignored", ["SESSION-MSG-001"],
       [R(msg("PING", sid=SID, payload={}, raw_extra={"reason": "x", "v": 2}))])
    sc(f, "sess-msg-no-session-no-payload", "PING without session_id and payload is answered", ["SESSION-MSG-003", "SESSION-PING-001"],
       [R(msg("PING"))])
    sc(f, "sess-msg-session-id-number", "a numeric session_id is malformed", ["SESSION-MSG-003", "SESSION-SM-008"],
       [R(msg("PING", sid=7, payload={}))], near_miss=True)
    sc(f, "sess-msg-payload-string", "a string payload fits no shape: malformed", ["SESSION-MSG-005"],
       [R(msg("PING", sid=SID, payload="x"))], near_miss=True)
    sc(f, "sess-msg-close-with-reason", "a CLOSE with the documented reason object is read as empty and closes", ["SESSION-MSG-006", "SESSION-DIV-005"],
       TO_STATE["Established"] + [R(msg("CLOSE", sid=SID, payload={"reason": "NORMAL", "message": "bye"}))])
    sc(f, "sess-msg-hello-docs-shape", "a HELLO in the documented flat shape has no capabilities: invalid_message, not REJECT",
       ["SESSION-MSG-006", "SESSION-DIV-001"],
       [R(msg("HELLO", payload={"version": "1.0", "algorithms": ["TOKEN", "BROTLI"], "security_scanning": True, "max_payload_size": 1048576, "supports_streaming": True, "extensions": {}}))],
       near_miss=True)
    sc(f, "sess-msg-hello-rejection-payload", "a HELLO whose payload is a rejection fails with invalid_message", ["SESSION-MSG-005"],
       [R(msg("HELLO", payload={"code": "UNKNOWN", "message": "x"}))], near_miss=True)
    sc(f, "sess-msg-data-docs-algorithm", "a DATA naming the documented algorithm TOKEN has an empty payload: invalid_message",
       ["SESSION-MSG-006", "SESSION-DIV-002"], TO_STATE["Established"] + [R(data("#T1|x", algorithm="TOKEN"))], near_miss=True)
    sc(f, "sess-msg-data-empty-payload", "a DATA with payload {} fails with invalid_message", ["SESSION-MSG-006", "SESSION-DATA-002"],
       TO_STATE["Established"] + [R(msg("DATA", sid=SID, payload={}))], near_miss=True)
    sc(f, "sess-msg-data-caps-payload", "a DATA carrying capabilities fails with invalid_message (capabilities are tried first)",
       ["SESSION-MSG-005"], TO_STATE["Established"] + [R(msg("DATA", sid=SID, payload=caps()))], near_miss=True)
    sc(f, "sess-msg-data-original-size", "original_size on input is accepted and ignored", ["SESSION-DATA-001"],
       TO_STATE["Established"] + [R(msg("DATA", sid=SID, payload={"algorithm": "none", "content": "abc", "original_size": 3}))])
    sc(f, "sess-msg-data-extra-key", "unknown keys in a DATA payload are ignored", ["SESSION-DATA-001", "SESSION-MSG-005"],
       TO_STATE["Established"] + [R(msg("DATA", sid=SID, payload={"algorithm": "none", "content": "abc", "x": 1}))])
    sc(f, "sess-msg-ping-with-caps", "a PING whose payload is capabilities is still answered", ["SESSION-MSG-005", "SESSION-PING-001"],
       [R(msg("PING", sid=SID, payload=caps()))])
    sc(f, "sess-msg-accept-extra-caps-keys", "unknown keys inside capabilities are ignored", ["SESSION-MSG-001", "SESSION-CAPS-001"],
       [HELLO, R(msg("ACCEPT", sid="s", payload=dict(caps(), foo="bar")))])
    sc(f, "sess-msg-caps-missing-required", "capabilities without streaming are not capabilities", ["SESSION-CAPS-001"],
       [R(hello(caps(omit=("compression.streaming",))))], near_miss=True)
    sc(f, "sess-msg-caps-null-encodings", "encodings null is not a list: no capabilities", ["SESSION-CAPS-002"],
       [R(hello(dict(caps(), compression=dict(caps()["compression"], encodings=None))))], near_miss=True)
    sc(f, "sess-msg-caps-extension-number", "an extension value that is not a string makes the capabilities unreadable", ["SESSION-CAPS-001"],
       [R(hello(caps(extensions={"k": 1})))], near_miss=True)
    sc(f, "sess-msg-all-names", "all four algorithm and encoding names are read", ["SESSION-CAPS-003"],
       [R(hello(caps(algorithms=["brotli", "none", "tokennative", "m2m"], encodings=ENCS, preferred="LlamaBpe")))])
    sc(f, "sess-msg-data-size-string", "original_size as a string makes the DATA payload empty: invalid_message", ["SESSION-DATA-001"],
       TO_STATE["Established"] + [R(msg("DATA", sid=SID, payload={"algorithm": "none", "content": "abc", "original_size": "3"}))], near_miss=True)
    sc(f, "sess-msg-pong-lowercase", "a lower-case pong is malformed and not counted", ["SESSION-PING-002", "SESSION-MSG-002"],
       TO_STATE["Established"] + [R(msg("pong", sid=SID, payload={}))], near_miss=True)
    sc(f, "sess-msg-close-lowercase", "a lower-case close is malformed and does not close", ["SESSION-SM-007", "SESSION-MSG-002"],
       TO_STATE["Established"] + [R(msg("close", sid=SID, payload={}))], near_miss=True)
    sc(f, "sess-msg-caps-threshold-integer", "an integer block_threshold is accepted", ["SESSION-CAPS-002"],
       [R(hello(caps(threshold=1)))])
    sc(f, "sess-msg-reject-shape", "a responder's REJECT has no session_id and carries code and message", ["SESSION-MSG-007", "SESSION-REJECT-001", "SESSION-NEG-006"],
       [R(hello(caps(version="5.0")))], near_miss=True)

    # ---------------- transitions
    f = "transitions"
    for st in STATES:
        s = st.lower()
        est = st == "Established"
        sc(f, f"sess-tr-data-in-{s}", f"a received DATA in {st} is {'decoded' if est else 'refused with session_not_established'}",
           ["SESSION-DATA-002"] + (["SESSION-DATA-004"] if est else []) + (["SESSION-SM-006"] if st == "Closing" else []), TO_STATE[st] + [R(data(M2M[JSON_HI]))], near_miss=not est)
        sc(f, f"sess-tr-send-in-{s}", f"the local call send in {st} is {'sent' if est else 'refused with session_not_established'}",
           ["SESSION-DATA-002", "SESSION-DATA-003"] + (["SESSION-SM-003"] if st == "Initial" else []), TO_STATE[st] + [SEND(JSON_HI)], near_miss=not est)
        sc(f, f"sess-tr-ping-in-{s}", f"a PING in {st} is answered with PONG and the endpoint's own id",
           ["SESSION-PING-001", "SESSION-SM-008"], TO_STATE[st] + [R(ctl("PING", sid="other-id"))])
        sc(f, f"sess-tr-pong-in-{s}", f"a PONG in {st} is counted and not answered", ["SESSION-PING-002"],
           TO_STATE[st] + [R(ctl("PONG"))])
        sc(f, f"sess-tr-close-recv-in-{s}", f"a CLOSE received in {st} moves to Closed", ["SESSION-SM-007"],
           TO_STATE[st] + [R(ctl("CLOSE", sid="whatever"))])
        sc(f, f"sess-tr-close-call-in-{s}", f"the local call close in {st} sends CLOSE and moves to Closing", ["SESSION-SM-006"],
           TO_STATE[st] + [CLOSE])
        sc(f, f"sess-tr-reject-in-{s}", f"a REJECT received in {st} closes with the error rejected", ["SESSION-REJECT-002"],
           TO_STATE[st] + [R(reject("UNKNOWN", "x"))])
        if st != "Initial":
            sc(f, f"sess-tr-hello-in-{s}", f"a received HELLO in {st} fails with invalid_state", ["SESSION-SM-004", "SESSION-SM-002", "SESSION-SM-001"],
               TO_STATE[st] + [R(hello())], near_miss=True)
        if st != "HelloSent":
            sc(f, f"sess-tr-accept-in-{s}", f"a received ACCEPT in {st} fails with invalid_state", ["SESSION-SM-005", "SESSION-SM-002"],
               TO_STATE[st] + [R(accept())], near_miss=True)
    sc(f, "sess-tr-data-brotli-in-m2m-session", "a receiver decodes by prefix: Brotli content in an m2m session", ["SESSION-DATA-004", "SESSION-DIV-007"],
       TO_STATE["Established"] + [R(data(BROTLI["Hello"], algorithm="m2m"))])
    sc(f, "sess-tr-data-label-ignored", "the algorithm label is ignored: an M2M frame labelled none is decoded", ["SESSION-DATA-004"],
       TO_STATE["Established"] + [R(data(M2M[JSON_HI], algorithm="none"))])
    sc(f, "sess-tr-data-passthrough", "content without a known prefix is delivered unchanged", ["SESSION-DATA-004"],
       TO_STATE["Established"] + [R(data("{\"a\":1}", algorithm="m2m"))])
    sc(f, "sess-tr-data-bad-base64", "a decoding error is reported with its class and the DATA stays counted", ["SESSION-DATA-004", "SESSION-STATS-001"],
       TO_STATE["Established"] + [R(data("#M2M[v3.0]|DATA:%%%", algorithm="brotli"))], near_miss=True)
    sc(f, "sess-tr-data-bad-frame", "a broken M2M frame is reported with its class", ["SESSION-DATA-004"],
       TO_STATE["Established"] + [R(data("#M2M|1|%%%"))], near_miss=True)
    sc(f, "sess-tr-error-continues", "a refused step does not end the scenario", ["SESSION-RUN-003", "SESSION-RUN-002", "SESSION-SM-002", "SESSION-ERR-001"],
       [R("garbage"), R(msg("HELLO")), R(hello()), R(data(M2M[JSON_HI]))])
    sc(f, "sess-tr-closing-then-peer-close", "Closing moves to Closed on the peer's CLOSE", ["SESSION-SM-006", "SESSION-SM-007"],
       TO_STATE["Closing"] + [R(ctl("CLOSE"))])
    sc(f, "sess-tr-counters-mixed", "counters over a mixed exchange", ["SESSION-STATS-001"],
       [R(hello()), R(ctl("PING")), R(ctl("PONG")), SEND(JSON_HI), R(data("x", algorithm="none")), R(hello()), CLOSE, R(ctl("CLOSE"))])
    sc(f, "sess-tr-state-names", "state names through a full lifecycle", ["SESSION-SM-001"],
       [HELLO, R(accept()), CLOSE, R(ctl("CLOSE"))])

    # ---------------- timers
    f = "timers"
    NT = dict(timers=False)
    sc(f, "sess-exp-send-after-idle", "send after more than 300 s idle fails with session_expired; the state is unchanged",
       ["SESSION-EXPIRY-001", "SESSION-TIMER-006"], TO_STATE["Established"] + [ADV(300_001), SEND(JSON_HI)], near_miss=True, **NT)
    sc(f, "sess-exp-send-at-limit", "exactly 300 s idle is not yet expired", ["SESSION-EXPIRY-001", "SESSION-TIMER-006"],
       TO_STATE["Established"] + [ADV(300_000), SEND(JSON_HI)], **NT)
    sc(f, "sess-exp-recv-after-idle", "a received DATA after more than 300 s idle fails with session_expired",
       ["SESSION-EXPIRY-001"], TO_STATE["Established"] + [ADV(400_000), R(data(M2M[JSON_HI]))], near_miss=True, **NT)
    sc(f, "sess-exp-ping-refreshes", "a received PING is activity and keeps the session alive", ["SESSION-EXPIRY-002", "SESSION-EXPIRY-001"],
       TO_STATE["Established"] + [ADV(200_000), R(ctl("PING")), ADV(200_000), SEND(JSON_HI)], **NT)
    sc(f, "sess-exp-refused-hello-refreshes", "even a refused HELLO is activity", ["SESSION-EXPIRY-002"],
       TO_STATE["Established"] + [ADV(200_000), R(hello()), ADV(200_000), SEND(JSON_HI)], **NT)
    sc(f, "sess-exp-pong-refreshes", "a received PONG is activity and keeps the session alive", ["SESSION-EXPIRY-002"],
       TO_STATE["Established"] + [ADV(200_000), R(ctl("PONG")), ADV(200_000), SEND(JSON_HI)], **NT)
    sc(f, "sess-exp-pong-sent-not-activity", "answering PING sends PONG but the PING itself is the activity; 301 s after it DATA expires",
       ["SESSION-EXPIRY-002", "SESSION-EXPIRY-001"], TO_STATE["Established"] + [R(ctl("PING")), ADV(300_001), R(data("x", algorithm="none"))], near_miss=True, **NT)
    sc(f, "sess-exp-send-refreshes", "a successful send is activity", ["SESSION-EXPIRY-002"],
       TO_STATE["Established"] + [ADV(250_000), SEND(JSON_HI), ADV(250_000), SEND(JSON_HI)], **NT)
    sc(f, "sess-exp-state-unchanged", "expiry never changes the state; PING is still answered", ["SESSION-EXPIRY-001", "SESSION-DIV-009"],
       TO_STATE["Established"] + [ADV(1_000_000), R(data("x", algorithm="none")), R(ctl("PING"))], near_miss=True, **NT)
    sc(f, "sess-exp-initiator", "the initiator's ACCEPT is activity; its send expires 300 s later",
       ["SESSION-EXPIRY-001", "SESSION-EXPIRY-002"], [HELLO, ADV(100_000), R(accept()), ADV(300_001), SEND(JSON_HI)], near_miss=True, **NT)
    sc(f, "sess-timer-off-no-ping", "with timers off no PING is sent", ["SESSION-TIMER-006"],
       TO_STATE["Established"] + [ADV(200_000)], **NT)
    sc(f, "sess-timer-off-hello-waits", "with timers off a HELLO waits forever", ["SESSION-TIMER-006"],
       [HELLO, ADV(100_000), R(accept())], **NT)
    # SHOULD timers (upstream has none: judged non-strict there)
    sc(f, "sess-timer-hello-timeout", "no answer 30 s after HELLO: Closed, nothing sent", ["SESSION-TIMER-001"],
       [HELLO, ADV(30_000), R(accept())], upstream_differs=True)
    sc(f, "sess-timer-hello-before-timeout", "an ACCEPT 29.999 s after HELLO is in time", ["SESSION-TIMER-001"],
       [HELLO, ADV(29_999), R(accept())])
    sc(f, "sess-timer-ping-after-60s", "Established and idle for 60 s: PING stamped with its deadline", ["SESSION-TIMER-002", "SESSION-TIMER-005"],
       TO_STATE["Established"] + [ADV(59_999), ADV(1)], upstream_differs=True)
    sc(f, "sess-timer-ping-pong", "a PONG within 10 s clears the PING; the next PING comes 60 s after that PONG",
       ["SESSION-TIMER-002", "SESSION-TIMER-003"], TO_STATE["Established"] + [ADV(65_000), R(ctl("PONG")), ADV(60_000)], upstream_differs=True)
    sc(f, "sess-timer-three-missed", "three missed PONGs: CLOSE at 190 s, Closed 5 s later", ["SESSION-TIMER-003", "SESSION-TIMER-004", "SESSION-TIMER-005"],
       TO_STATE["Established"] + [ADV(189_999), ADV(1), ADV(5_000)], upstream_differs=True)
    sc(f, "sess-timer-one-jump", "one large step fires every due timer in deadline order", ["SESSION-TIMER-005", "SESSION-TIMER-003"],
       TO_STATE["Established"] + [ADV(200_000)], upstream_differs=True)
    sc(f, "sess-timer-late-pong-resets", "two missed PINGs then a PONG reset the count: no close at 190 s",
       ["SESSION-TIMER-003"], TO_STATE["Established"] + [ADV(135_000), R(ctl("PONG")), ADV(60_000)], upstream_differs=True)
    sc(f, "sess-timer-activity-delays-ping", "DATA at 50 s moves the first PING to 110 s", ["SESSION-TIMER-002"],
       TO_STATE["Established"] + [ADV(50_000), R(data("x", algorithm="none")), ADV(59_999), ADV(1)], upstream_differs=True)
    sc(f, "sess-timer-closing-force", "Closing for 5 s: Closed", ["SESSION-TIMER-004"], TO_STATE["Closing"] + [ADV(4_999), ADV(1)],
       upstream_differs=True)
    sc(f, "sess-timer-closing-from-initial", "close in Initial, then 5 s: Closed", ["SESSION-TIMER-004"], [CLOSE, ADV(5_000)],
       upstream_differs=True)
    sc(f, "sess-timer-initial-quiet", "no timer runs in Initial", ["SESSION-TIMER-002"], [ADV(250_000)])
    sc(f, "sess-timer-closed-quiet", "no timer runs in Closed", ["SESSION-TIMER-002"], TO_STATE["Closed"] + [ADV(250_000)])
    sc(f, "sess-timer-ping-counted", "a timer PING counts as sent", ["SESSION-TIMER-002"],
       TO_STATE["Established"] + [ADV(60_000), R(ctl("PONG"))], upstream_differs=True)


def bad_args_cases():
    return [
        ("sess-run-bad-step", "a step that is none of recv, call, advance fails the op with bad_args",
         {"local": LOCAL, "session_id": SID, "steps": [{"wait": 1}]}),
        ("sess-run-bad-call", "an unknown call fails the op with bad_args",
         {"local": LOCAL, "session_id": SID, "steps": [{"call": "connect"}]}),
        ("sess-run-missing-local", "missing local capabilities fail the op with bad_args",
         {"session_id": SID, "steps": []}),
        ("sess-run-recv-not-text", "recv must be a string", {"local": LOCAL, "session_id": SID, "steps": [{"recv": {"type": "PING"}}]}),
    ]


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def must_ids():
    text = (ROOT / "spec" / "12-session.md").read_text()
    return {m.group(1) for m in re.finditer(r"^- \*\*\[(SESSION-[A-Z]+-\d{3})\]\*\* MUST(?! \(harness\))", text, re.M)}


def levels():
    text = (ROOT / "spec" / "12-session.md").read_text()
    return {m.group(1): m.group(2) for m in re.finditer(r"^- \*\*\[(SESSION-[A-Z]+-\d{3})\]\*\* (MUST|SHOULD|MAY)", text, re.M)}


def render():
    build()
    lv = levels()
    files = {name: [] for name in FILES}
    pos, neg = {}, {}
    for s in SCENARIOS:
        for r in s["reqs"]:
            assert r in lv, r
        if s["id"] in UPSTREAM_DIFFERS:
            assert all(lv[r] != "MUST" for r in s["reqs"]), s["id"]
        args = {"local": s["local"], "session_id": s["sid"], "clock_ms": T0}
        if s["timers"] is not None:
            args["timers"] = s["timers"]
        args["steps"] = s["steps"]
        exp = expected(s["local"], s["sid"], T0, s["timers"] is not False, s["steps"])
        # The adapter cannot move upstream's Instant clock: a scenario in which time passes is
        # confirmed only by this script, even where upstream's answer matches.
        timed = any("advance" in st for st in s["steps"])
        confirmed = "second-computation" if (s["id"] in UPSTREAM_DIFFERS or timed) else "upstream-0.4.0"
        case = {"id": s["id"], "reqs": s["reqs"], "description": s["desc"], "op": "session.run",
                "input": args, "expect": {"ok": exp}, "result": "valid"}
        if s["near_miss"]:
            case["flags"] = ["NEAR_MISS"]
        case["confirmed_by"] = confirmed
        files[s["file"]].append(case)
        for r in s["reqs"]:
            (neg if s["near_miss"] else pos).setdefault(r, []).append(s["id"])
    for cid, desc, args in bad_args_cases():
        files["messages"].append({"id": cid, "reqs": ["SESSION-RUN-001", "SESSION-RUN-002", "SESSION-RUN-003"], "description": desc, "op": "session.run",
                                  "input": args, "expect": {"error": "bad_args"}, "result": "invalid", "confirmed_by": "spec"})
        for r in ("SESSION-RUN-001", "SESSION-RUN-002", "SESSION-RUN-003"):
            neg.setdefault(r, []).append(cid)
    missing = sorted(r for r in must_ids() if r not in pos or r not in neg)
    if missing:
        sys.exit("MUSTs lacking a positive or a negative scenario: " + ", ".join(missing))
    out = {}
    for name, cases in files.items():
        lines = [
            "# GENERATED by vectors/tools/gen_session_vectors.py; edit the generator, not this file.",
            "suite: m2m-conformance",
            "schema_version: 1",
            "spec: session",
            f"description: {json.dumps('Session scenarios: ' + FILES[name])}",
        ]
        if any("flags" in c for c in cases):
            lines += ["flags:", "  NEAR_MISS: the input lies just outside the condition of the cited requirement"]
        lines.append("cases:")
        for c in cases:
            lines.append(f"  - id: {c['id']}")
            lines.append(f"    reqs: [{', '.join(c['reqs'])}]")
            lines.append(f"    description: {json.dumps(c['description'])}")
            lines.append(f"    op: {c['op']}")
            lines.append(f"    input: {json.dumps(c['input'], ensure_ascii=False)}")
            lines.append(f"    expect: {json.dumps(c['expect'], ensure_ascii=False)}")
            lines.append(f"    result: {c['result']}")
            if "flags" in c:
                lines.append(f"    flags: [{', '.join(c['flags'])}]")
            lines.append(f"    confirmed_by: {c['confirmed_by']}")
        out[OUT / f"{name}.yaml"] = "\n".join(lines) + "\n"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    files = render()
    stale = []
    for path, text in files.items():
        if a.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    n = len(SCENARIOS) + len(bad_args_cases())
    if stale:
        sys.exit("stale (run vectors/tools/gen_session_vectors.py): " + ", ".join(stale))
    print(f"{'checked' if a.check else 'wrote'} {len(files)} files, {n} cases")


if __name__ == "__main__":
    main()
