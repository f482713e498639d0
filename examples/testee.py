#!/usr/bin/env python3
"""A minimal M2M testee in plain Python (standard library only).

It implements prefix detection, passthrough, the limits on passthrough messages and varints,
and answers `unsupported` for everything else (Brotli, frames, ...), which the harness reports
as `unsupported`, not as failures. Run it with:

    cargo run --release -p m2m-conformance -- certify --target "stdin:python3 examples/testee.py"

The protocol is spec/90-testee.md: one JSON request per line on stdin, one JSON response per
line on stdout.
"""
import json
import sys

OPS = ["wire.detect", "wire.compress", "wire.decompress", "wire.varint.encode", "wire.varint.decode"]
LIMIT = 16 * 1024 * 1024


class Unsupported(Exception):
    pass


class Fail(Exception):
    def __init__(self, cls, msg):
        super().__init__(msg)
        self.cls = cls


def arg(args, name, kind):
    if name not in args:
        raise Fail("bad_args", f"missing `{name}`")
    value = args[name]
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Fail("bad_args", f"`{name}` must be an unsigned integer")
    elif not isinstance(value, kind):
        raise Fail("bad_args", f"`{name}` has the wrong type")
    return value


def detect(wire):
    for prefix, name in (("#M2M|1|", "m2m-v1"), ("#TK|", "token-native"), ("#M2M[v3.0]|", "brotli")):
        if wire.startswith(prefix):
            return name
    return "passthrough"


def op_detect(args):
    return {"format": detect(arg(args, "wire", str))}


def op_compress(args):
    algorithm = arg(args, "algorithm", str)
    text = arg(args, "input", str)
    if algorithm not in ("none", "brotli", "m2m", "token-native"):
        raise Fail("bad_args", f"unknown algorithm {algorithm!r}")
    if algorithm != "none":
        raise Unsupported(f"{algorithm} is not implemented here")
    return {"wire": text}


def op_decompress(args):
    wire = arg(args, "wire", str)
    max_message = arg(args, "max_message_bytes", int) if "max_message_bytes" in args else LIMIT
    if "max_decompressed_bytes" in args:
        arg(args, "max_decompressed_bytes", int)
    if len(wire.encode("utf-8")) > max_message:
        raise Fail("message_too_large", "message exceeds the limit")
    if detect(wire) != "passthrough":
        raise Unsupported("only passthrough is implemented here")
    return {"text": wire}


def op_varint_encode(args):
    value = arg(args, "value", int)
    if value > 0xFFFFFFFF:
        raise Fail("bad_args", "value does not fit in 32 bits")
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return {"hex": out.hex()}


def op_varint_decode(args):
    text = "".join(arg(args, "hex", str).split())
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise Fail("bad_args", "not hex")
    value = 0
    for i, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if value > 0xFFFFFFFF:
                raise Fail("varint_overflow", "value exceeds 32 bits")
            return {"value": value, "consumed": i + 1}
        if i == 4:
            raise Fail("varint_too_long", "more than 5 bytes")
    raise Fail("varint_truncated", "input ends inside the varint")


HANDLERS = dict(zip(OPS, (op_detect, op_compress, op_decompress, op_varint_encode, op_varint_decode)))


def answer(request):
    rid, op, args = request.get("id"), request.get("op"), request.get("args", {})
    if op == "hello":
        return {"id": rid, "ok": {"name": "python-example", "version": "0.1.0", "protocol": 1, "ops": OPS}}
    handler = HANDLERS.get(op)
    if handler is None:
        return {"id": rid, "unsupported": f"op {op!r} is not implemented"}
    if not isinstance(args, dict):
        return {"id": rid, "error": {"class": "bad_args", "message": "args must be an object"}}
    try:
        return {"id": rid, "ok": handler(args)}
    except Unsupported as e:
        return {"id": rid, "unsupported": str(e)}
    except Fail as e:
        return {"id": rid, "error": {"class": e.cls, "message": str(e)}}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(answer(json.loads(line))), flush=True)
