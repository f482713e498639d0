#!/usr/bin/env python3
"""Generate the HTTP API vectors (chapter http, spec/13-http.md).

Every expected response is written here from the chapter alone (a second computation,
independent of the Rust reference); compressed payloads reuse the goldens that upstream
m2m-protocol 0.4.0 produced (see gen_session_vectors.py). Values that vary between runs or
implementations (session ids, timestamps, versions, agent ids, error wording) are redacted by
the scenario itself (HTTP-RUN-001).

Upstream is certified with `--target m2m-http:http://127.0.0.1:PORT` against
`adapters/m2m-protocol-0.4` `m2m-upstream-server` (upstream's own router and state). The cases
it fails are those citing an HTTP-DIV requirement (`UPSTREAM_BROKEN` below); they are marked
`confirmed_by: second-computation`, all others `upstream-0.4.0`.

Usage: python3 vectors/tools/gen_http_vectors.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_session_vectors as S  # noqa: E402

ROOT = S.ROOT
OUT = ROOT / "vectors" / "http"
CASES = []
UPSTREAM_BROKEN = {}


def case(file, id, desc, reqs, steps, expect_steps, near_miss=False, broken=None):
    CASES.append(dict(file=file, id=id, desc=desc, reqs=reqs, steps=steps,
                      expect={"steps": expect_steps}, near_miss=near_miss))
    if broken:
        UPSTREAM_BROKEN[id] = broken


def get(path, **kw):
    return dict(method="GET", path=path, **kw)


def post(path, body, **kw):
    return dict(method="POST", path=path, body=body, **kw)


def r(status, body):
    return {"status": status, "body": body}


def server_caps():
    c = S.caps(agent="*")
    c["agent_type"] = "m2m-server"
    c["security"]["threat_detection"] = "*"
    c["security"]["model_version"] = "*"
    return c


CAPS_REDACT = ["/capabilities/agent_id", "/capabilities/security/threat_detection",
               "/capabilities/security/model_version"]
MSG_REDACT = ["/timestamp"]


def hello_body(**kw):
    return json.loads(S.hello(S.caps(agent="client", **kw)))


def reject(text, code="UNKNOWN"):
    return {"type": "REJECT", "payload": {"code": code, "message": text}, "timestamp": "*"}


def ratio(orig, comp):
    return orig / comp if comp else 0.0


def compressed(algorithm, content, wire):
    return {"algorithm": algorithm, "compressed_bytes": len(wire.encode()), "data": wire,
            "original_bytes": len(content.encode()), "ratio": ratio(len(content.encode()), len(wire.encode()))}


def repetition(text):
    """binary32 of upstream's ratio is not needed: the texts below sit far from 0.3."""
    chars = list(text)
    total = max(len(chars) - 3, 0)
    if total == 0:
        return 0.0
    return 1.0 - len({tuple(chars[i:i + 4]) for i in range(len(chars) - 3)}) / total


LLM_MEDIUM = next(k for k in S.M2M if 100 <= len(k.encode()) <= 1024 and '"messages"' in k)
PLAIN_120 = ("The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs! "
             "How vexingly quick daft zebras jump.")
REPEAT_200 = "abcd" * 50
JSON_OTHER = json.dumps({"note": PLAIN_120, "n": 7}, separators=(",", ":"))
LARGE = "".join(f"line {i}: some text here\n" for i in range(60))
assert len(PLAIN_120) >= 100 and repetition(PLAIN_120) < 0.2
assert repetition(REPEAT_200) > 0.9 and 100 <= len(REPEAT_200) <= 1024
assert 100 <= len(JSON_OTHER) <= 1024 and repetition(JSON_OTHER) < 0.3, repetition(JSON_OTHER)
assert len(LARGE) > 1024


def build():
    f = "api"
    case(f, "http-health", "GET /health answers ok and a version", ["HTTP-HEALTH-001", "HTTP-API-001"],
         [get("/health", redact=["/version"])], [r(200, {"status": "ok", "version": "*"})])
    case(f, "http-status", "GET /status reports the server's own capabilities (agent type m2m-server)",
         ["HTTP-STATUS-001", "HTTP-API-001"],
         [get("/status", redact=["/version", "/uptime_secs", "/active_sessions"] + CAPS_REDACT)],
         [r(200, {"status": "ok", "version": "*", "uptime_secs": "*", "active_sessions": "*", "capabilities": server_caps()})])
    case(f, "http-unknown-path", "an unknown path answers 404 with an empty body", ["HTTP-API-001", "HTTP-HEALTH-001"],
         [get("/v1/health")], [r(404, None)], near_miss=True)
    case(f, "http-wrong-method", "POST on /health answers 405", ["HTTP-API-001", "HTTP-STATUS-001"],
         [post("/health", {}), dict(method="POST", path="/status", body={})], [r(405, None), r(405, None)], near_miss=True)
    case(f, "http-body-not-json", "a body that is not JSON answers 400 with a text body", ["HTTP-API-002"],
         [post("/compress", "not json", redact=[""])], [r(400, "*")], near_miss=True)
    case(f, "http-body-wrong-shape", "JSON without the required field answers 422", ["HTTP-API-002", "HTTP-COMPRESS-001"],
         [post("/compress", {"text": "x"}, redact=[""])], [r(422, "*")], near_miss=True)
    case(f, "http-body-extra-field", "unknown request fields are ignored", ["HTTP-API-002", "HTTP-COMPRESS-001"],
         [post("/compress", {"content": "abc", "algorithm": "none", "x": 1})], [r(200, compressed("none", "abc", "abc"))])

    f = "compress"
    case(f, "http-compress-none", "compress with none", ["HTTP-COMPRESS-001"],
         [post("/compress", {"content": "plain text", "algorithm": "none"})], [r(200, compressed("none", "plain text", "plain text"))])
    case(f, "http-compress-m2m", "compress a chat request with m2m", ["HTTP-COMPRESS-001"],
         [post("/compress", {"content": S.JSON_HI, "algorithm": "m2m"})], [r(200, compressed("m2m", S.JSON_HI, S.M2M[S.JSON_HI]))])
    case(f, "http-compress-default-m2m", "without algorithm, m2m is used", ["HTTP-COMPRESS-001"],
         [post("/compress", {"content": S.JSON_HI})], [r(200, compressed("m2m", S.JSON_HI, S.M2M[S.JSON_HI]))])
    case(f, "http-compress-brotli", "compress with brotli", ["HTTP-COMPRESS-001"],
         [post("/compress", {"content": "Hello", "algorithm": "brotli"})], [r(200, compressed("brotli", "Hello", S.BROTLI["Hello"]))])
    case(f, "http-compress-empty-none", "empty content with none: ratio 0", ["HTTP-COMPRESS-001"],
         [post("/compress", {"content": "", "algorithm": "none"})], [r(200, compressed("none", "", ""))])
    case(f, "http-compress-m2m-not-json", "m2m with non-JSON content answers 400 {error}", ["HTTP-COMPRESS-001", "HTTP-API-003"],
         [post("/compress", {"content": "Hello", "algorithm": "m2m"}, redact=["/error"])], [r(400, {"error": "*"})], near_miss=True)
    case(f, "http-compress-error-shape", "an encoder error body is {error: TEXT}", ["HTTP-API-003"],
         [post("/compress", {"content": "{not json", "algorithm": "m2m"}, redact=["/error"])], [r(400, {"error": "*"})])
    case(f, "http-compress-bad-algorithm", "an unknown algorithm name answers 422", ["HTTP-COMPRESS-001", "HTTP-API-002"],
         [post("/compress", {"content": "x", "algorithm": "TOKEN"}, redact=[""])], [r(422, "*")], near_miss=True)
    case(f, "http-auto-small", "auto: under 100 bytes, none", ["HTTP-COMPRESS-002"],
         [post("/compress/auto", {"content": S.JSON_HI})], [r(200, compressed("none", S.JSON_HI, S.JSON_HI))])
    case(f, "http-auto-ignores-algorithm", "auto ignores a given algorithm", ["HTTP-COMPRESS-002"],
         [post("/compress/auto", {"content": "hi", "algorithm": "brotli"})], [r(200, compressed("none", "hi", "hi"))], near_miss=True)
    case(f, "http-auto-llm", "auto: LLM JSON of 100-1024 bytes, m2m", ["HTTP-COMPRESS-002"],
         [post("/compress/auto", {"content": LLM_MEDIUM})], [r(200, compressed("m2m", LLM_MEDIUM, S.M2M[LLM_MEDIUM]))])
    red = ["/data", "/compressed_bytes", "/ratio"]
    for name, content, algo, near in [("plain", PLAIN_120, "none", False), ("repetitive", REPEAT_200, "brotli", False),
                                      ("json", JSON_OTHER, "m2m", False), ("large", LARGE, "brotli", False),
                                      ("99-bytes", "x" * 99, "none", True), ("100-bytes-repetitive", "x" * 100, "brotli", True)]:
        case(f, f"http-auto-{name}", f"auto chooses {algo} ({len(content)} bytes)", ["HTTP-COMPRESS-002"],
             [post("/compress/auto", {"content": content}, redact=red)],
             [r(200, {"algorithm": algo, "compressed_bytes": "*", "data": "*", "original_bytes": len(content.encode()), "ratio": "*"})],
             near_miss=near)
    case(f, "http-decompress-brotli", "decompress a Brotli string", ["HTTP-DECOMPRESS-001"],
         [post("/decompress", {"data": S.BROTLI["Hello"]})], [r(200, {"bytes": 5, "content": "Hello"})])
    case(f, "http-decompress-m2m", "decompress an M2M frame", ["HTTP-DECOMPRESS-001"],
         [post("/decompress", {"data": S.M2M[S.JSON_HI]})], [r(200, {"bytes": len(S.JSON_HI), "content": S.JSON_HI})])
    case(f, "http-decompress-passthrough", "text without a prefix passes through; bytes counts UTF-8", ["HTTP-DECOMPRESS-001"],
         [post("/decompress", {"data": "héllo"})], [r(200, {"bytes": 6, "content": "héllo"})])
    case(f, "http-decompress-bad", "a broken Brotli string answers 400 {error}", ["HTTP-DECOMPRESS-001", "HTTP-API-003"],
         [post("/decompress", {"data": "#M2M[v3.0]|DATA:%%%"}, redact=["/error"])], [r(400, {"error": "*"})], near_miss=True)

    f = "sessions"
    create = post("/session", {}, capture={"sid": "/session_id"}, redact=["/session_id"] + CAPS_REDACT)
    created = r(201, {"session_id": "*", "capabilities": server_caps()})
    case(f, "http-session-create", "POST /session answers 201 with an id and the server's capabilities", ["HTTP-SESSION-001"],
         [create], [created])
    case(f, "http-session-create-caps", "POST /session with client capabilities", ["HTTP-SESSION-001"],
         [post("/session", {"capabilities": S.caps(agent="client", algorithms=["brotli"])}, redact=["/session_id"] + CAPS_REDACT)], [created])
    case(f, "http-session-create-bad-caps", "POST /session with capabilities of the wrong shape answers 422",
         ["HTTP-SESSION-001", "HTTP-API-002"], [post("/session", {"capabilities": {"version": "3.0"}}, redact=[""])], [r(422, "*")], near_miss=True)
    stats = {"session_id": "*", "state": "Established", "messages_sent": 1, "messages_received": 1,
             "bytes_compressed": 0, "bytes_saved": 0, "compression_ratio": 1.0}
    case(f, "http-session-get", "GET /session/{id} reports the stored session", ["HTTP-SESSION-003", "HTTP-SESSION-001"],
         [create, get("/session/{sid}", redact=["/session_id"])], [created, r(200, stats)], broken="HTTP-DIV-001")
    case(f, "http-session-get-unknown", "GET /session/{id} of an unknown id answers 404 {error}", ["HTTP-SESSION-003"],
         [get("/session/no-such-session")], [r(404, {"error": "Session not found"})], near_miss=True, broken="HTTP-DIV-001")
    case(f, "http-session-delete", "DELETE /session/{id} answers 204; the session is gone", ["HTTP-SESSION-003"],
         [create, dict(method="DELETE", path="/session/{sid}"), get("/session/{sid}")],
         [created, r(204, None), r(404, {"error": "Session not found"})], broken="HTTP-DIV-001")
    case(f, "http-session-data", "a session created by POST /session accepts DATA", ["HTTP-SESSION-001", "HTTP-MSG-003"],
         [create, post("/message", json.loads(S.data(S.M2M[S.JSON_HI], sid="{sid}")), redact=["/session_id"] + MSG_REDACT)],
         [created, r(200, {"type": "DATA", "session_id": "*", "payload": {"algorithm": "none", "content": S.JSON_HI}, "timestamp": "*"})],
         broken="HTTP-DIV-002")

    f = "message"
    hello_red = ["/session_id", "/timestamp"]
    accept_red = hello_red + ["/payload/agent_id", "/payload/security/threat_detection", "/payload/security/model_version"]
    case(f, "http-msg-hello-accept-shape", "HELLO answers ACCEPT with a session id", ["HTTP-MSG-001"],
         [post("/message", hello_body(), redact=hello_red + ["/payload"])],
         [r(200, {"type": "ACCEPT", "session_id": "*", "payload": "*", "timestamp": "*"})])
    case(f, "http-msg-hello-server-caps", "the ACCEPT carries the server's capabilities, not the client's", ["HTTP-MSG-001"],
         [post("/message", hello_body(algorithms=["brotli", "m2m"]), redact=accept_red)],
         [r(200, {"type": "ACCEPT", "session_id": "*", "payload": server_caps_payload(), "timestamp": "*"})], broken="HTTP-DIV-004")
    case(f, "http-msg-hello-version", "a HELLO of version 4.0 answers REJECT VERSION_MISMATCH", ["HTTP-MSG-001"],
         [post("/message", hello_body(version="4.0"), redact=MSG_REDACT)],
         [r(200, {"type": "REJECT", "payload": {"code": "VERSION_MISMATCH", "message": "Version 4.0 not compatible with 3.0"}, "timestamp": "*"})],
         near_miss=True, broken="HTTP-DIV-004")
    case(f, "http-msg-hello-no-common", "a HELLO listing no algorithm answers REJECT NO_COMMON_ALGORITHM", ["HTTP-MSG-001"],
         [post("/message", hello_body(algorithms=[]), redact=MSG_REDACT)],
         [r(200, {"type": "REJECT", "payload": {"code": "NO_COMMON_ALGORITHM", "message": "No common compression algorithm"}, "timestamp": "*"})],
         near_miss=True)
    case(f, "http-msg-hello-no-caps", "a HELLO without capabilities answers 400 REJECT UNKNOWN", ["HTTP-MSG-001", "HTTP-MSG-006"],
         [post("/message", {"type": "HELLO", "payload": {}, "timestamp": 1}, redact=MSG_REDACT + ["/payload/message"])],
         [r(400, reject("*"))], near_miss=True)
    hello_cap = post("/message", hello_body(), capture={"sid": "/session_id"}, redact=hello_red + ["/payload"])
    accepted = r(200, {"type": "ACCEPT", "session_id": "*", "payload": "*", "timestamp": "*"})
    case(f, "http-msg-data", "DATA to a session made by HELLO answers the decoded content", ["HTTP-MSG-003", "HTTP-MSG-002"],
         [hello_cap, post("/message", json.loads(S.data(S.M2M[S.JSON_HI], sid="{sid}")), redact=["/session_id"] + MSG_REDACT)],
         [accepted, r(200, {"type": "DATA", "session_id": "*", "payload": {"algorithm": "none", "content": S.JSON_HI}, "timestamp": "*"})],
         broken="HTTP-DIV-003")
    case(f, "http-msg-data-bad-content", "DATA whose content does not decode answers 400 REJECT UNKNOWN", ["HTTP-MSG-002", "HTTP-MSG-003"],
         [hello_cap, post("/message", json.loads(S.data("#M2M[v3.0]|DATA:%%%", sid="{sid}")), redact=MSG_REDACT + ["/payload/message"])],
         [accepted, r(400, reject("*"))], near_miss=True)
    case(f, "http-msg-data-no-session", "DATA without session_id answers 400 REJECT", ["HTTP-MSG-002"],
         [post("/message", json.loads(S.msg("DATA", payload={"algorithm": "none", "content": "x"})), redact=MSG_REDACT)],
         [r(400, reject("Missing session ID"))], near_miss=True)
    case(f, "http-msg-data-unknown-session", "DATA for an unknown session answers 404 REJECT", ["HTTP-MSG-002"],
         [post("/message", json.loads(S.data("x", algorithm="none", sid="no-such-session")), redact=MSG_REDACT)],
         [r(404, reject("Session not found"))], near_miss=True)
    case(f, "http-msg-ping", "PING answers PONG with the request's session id", ["HTTP-MSG-004"],
         [post("/message", json.loads(S.ctl("PING", sid="abc")), redact=MSG_REDACT)],
         [r(200, {"type": "PONG", "session_id": "abc", "payload": {}, "timestamp": "*"})])
    case(f, "http-msg-ping-no-session", "PING without session id answers PONG for \"unknown\"", ["HTTP-MSG-004"],
         [post("/message", {"type": "PING", "timestamp": 1}, redact=MSG_REDACT)],
         [r(200, {"type": "PONG", "session_id": "unknown", "payload": {}, "timestamp": "*"})])
    case(f, "http-msg-close", "CLOSE answers the request unchanged", ["HTTP-MSG-005"],
         [post("/message", {"type": "CLOSE", "session_id": "zzz", "payload": {"reason": "NORMAL"}, "timestamp": 42})],
         [r(200, {"type": "CLOSE", "session_id": "zzz", "payload": {}, "timestamp": 42})])
    case(f, "http-msg-close-then-data", "after CLOSE the session is gone: DATA answers 404", ["HTTP-MSG-005", "HTTP-MSG-002"],
         [hello_cap, post("/message", {"type": "CLOSE", "session_id": "{sid}", "timestamp": 1}, redact=["/session_id"]),
          post("/message", json.loads(S.data("x", algorithm="none", sid="{sid}")), redact=MSG_REDACT)],
         [accepted, r(200, {"type": "CLOSE", "session_id": "*", "timestamp": 1}), r(404, reject("Session not found"))], near_miss=True)
    for t in ("ACCEPT", "REJECT", "PONG"):
        case(f, f"http-msg-{t.lower()}-unsupported", f"{t} answers 400 REJECT Unsupported message type", ["HTTP-MSG-006"],
             [post("/message", json.loads(S.ctl(t, sid="s")), redact=MSG_REDACT)], [r(400, reject("Unsupported message type"))])
    case(f, "http-msg-lowercase", "a lower-case type answers 422", ["HTTP-API-002", "HTTP-MSG-004"],
         [post("/message", {"type": "ping", "timestamp": 1}, redact=[""])], [r(422, "*")], near_miss=True)
    case(f, "http-msg-missing-timestamp", "a message without timestamp answers 422", ["HTTP-API-002"],
         [post("/message", {"type": "PING"}, redact=[""])], [r(422, "*")], near_miss=True)

    f = "api"
    CASES.append(dict(file=f, id="http-run-bad-step", desc="a step without method fails the op with bad_args",
                      reqs=["HTTP-RUN-001", "HTTP-RUN-002"], steps=[{"path": "/health"}], expect=None, near_miss=False))
    case(f, "http-run-capture-redact", "capture and redaction: a captured id is substituted into a later path and body",
         ["HTTP-RUN-001", "HTTP-RUN-002"],
         [hello_cap, post("/message", {"type": "PING", "session_id": "{sid}", "timestamp": 1}, redact=MSG_REDACT + ["/session_id"])],
         [accepted, r(200, {"type": "PONG", "session_id": "*", "payload": {}, "timestamp": "*"})])


def server_caps_payload():
    return server_caps()


def levels():
    text = (ROOT / "spec" / "13-http.md").read_text()
    return {m.group(1): m.group(2) for m in re.finditer(r"^- \*\*\[(HTTP-[A-Z]+-\d{3})\]\*\* (MUST|SHOULD|MAY)", text, re.M)}


def render():
    build()
    lv = levels()
    pos, neg = {}, {}
    files = {}
    for c in CASES:
        for q in c["reqs"]:
            assert q in lv, q
        out = {"id": c["id"], "reqs": c["reqs"], "description": c["desc"], "op": "http.run",
               "input": {"steps": c["steps"]}}
        if c["expect"] is None:
            out.update(expect={"error": "bad_args"}, result="invalid", confirmed_by="spec")
            for q in c["reqs"]:
                neg.setdefault(q, []).append(c["id"])
        else:
            out.update(expect={"ok": c["expect"]}, result="valid")
            if c["near_miss"]:
                out["flags"] = ["NEAR_MISS"]
            out["confirmed_by"] = "second-computation" if c["id"] in UPSTREAM_BROKEN else "upstream-0.4.0"
            for q in c["reqs"]:
                (neg if c["near_miss"] else pos).setdefault(q, []).append(c["id"])
        files.setdefault(c["file"], []).append(out)
    musts = [q for q, l in lv.items() if l == "MUST"]
    missing = sorted(q for q in musts if q not in pos or q not in neg)
    if missing:
        sys.exit("MUSTs lacking a positive or a negative case: " + ", ".join(missing))
    texts = {}
    for name, cases in files.items():
        lines = ["# GENERATED by vectors/tools/gen_http_vectors.py; edit the generator, not this file.",
                 "suite: m2m-conformance", "schema_version: 1", "spec: http",
                 f"description: {json.dumps('Server HTTP API: ' + name)}"]
        if any("flags" in c for c in cases):
            lines += ["flags:", "  NEAR_MISS: the input lies just outside the condition of the cited requirement"]
        lines.append("cases:")
        for c in cases:
            lines.append(f"  - id: {c['id']}")
            lines.append(f"    reqs: [{', '.join(c['reqs'])}]")
            note = f" (upstream 0.4.0 fails it: {UPSTREAM_BROKEN[c['id']]})" if c["id"] in UPSTREAM_BROKEN else ""
            lines.append(f"    description: {json.dumps(c['description'] + note, ensure_ascii=False)}")
            lines.append(f"    op: {c['op']}")
            lines.append(f"    input: {json.dumps(c['input'], ensure_ascii=False)}")
            lines.append(f"    expect: {json.dumps(c['expect'], ensure_ascii=False)}")
            lines.append(f"    result: {c['result']}")
            if "flags" in c:
                lines.append(f"    flags: [{', '.join(c['flags'])}]")
            lines.append(f"    confirmed_by: {c['confirmed_by']}")
        texts[OUT / f"{name}.yaml"] = "\n".join(lines) + "\n"
    return texts


def main():
    ap = argparse.ArgumentParser()
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
    if stale:
        sys.exit("stale (run vectors/tools/gen_http_vectors.py): " + ", ".join(stale))
    print(f"{'checked' if a.check else 'wrote'} {len(files)} files, {len(CASES)} cases")


if __name__ == "__main__":
    main()
