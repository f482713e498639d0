#!/usr/bin/env python3
"""A minimal m2m-conformance testee: `hello`, `wire.detect` and `wire.varint.decode` (spec 90-testee)."""
import json, sys

PREFIXES = (("#M2M|1|", "m2m-v1"), ("#TK|", "token-native"), ("#M2M[v3.0]|", "brotli"))

def detect(args):
    wire = args["wire"]
    return {"format": next((n for p, n in PREFIXES if wire.startswith(p)), "passthrough")}

def varint_decode(args):
    data, value = bytes.fromhex("".join(args["hex"].split())), 0
    for i, byte in enumerate(data[:5]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return {"value": value, "consumed": i + 1} if value <= 0xFFFFFFFF else ("varint_overflow",)
    return ("varint_too_long",) if len(data) >= 5 else ("varint_truncated",)

OPS = {"wire.detect": detect, "wire.varint.decode": varint_decode}

for line in sys.stdin:
    req = json.loads(line)
    op, args, resp = req["op"], req.get("args", {}), {"id": req["id"]}
    if op == "hello":
        resp["ok"] = {"name": "mini-python", "version": "1", "protocol": 1, "ops": list(OPS)}
    elif op not in OPS:
        resp["unsupported"] = f"{op} is not implemented"
    else:
        try:
            out = OPS[op](args)
            resp.update({"error": {"class": out[0], "message": ""}} if isinstance(out, tuple) else {"ok": out})
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            resp["error"] = {"class": "bad_args", "message": str(e)}
    print(json.dumps(resp), flush=True)
