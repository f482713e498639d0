#!/usr/bin/env python3
"""Generate the wire-layer vector files (chapters detection, brotli, varint, limits, testee).

Deterministic, Python 3 standard library only. Every expected value is computed here,
independently of the Rust reference:

* base64 with the `base64` module, zlib with `zlib`;
* Brotli streams made of *uncompressed* meta-blocks are assembled bit by bit (RFC 7932 §9)
  by `BrotliBits` below, so their decoded text is known without any Brotli library;
* unsigned LEB128 varints are encoded and decoded by the functions below, and upstream's
  lenient decoder (u64 accumulator, up to 10 bytes, then truncation to u32) is simulated;
* Brotli *encoder* goldens cannot be computed in Python: they were captured from the upstream
  `m2m` CLI of m2m-protocol 0.4.0 (`m2m compress -a brotli -f IN -o OUT`) and cross-checked
  with the C `brotli` 1.0.9 CLI (`brotli -c -q 11 -w 22`). The captured strings live in
  `wire-goldens.json` beside this script.

Before writing, it also checks that every MUST of these chapters cited by a case has both a
positive case and a negative one (`invalid`, `acceptable`, or `valid` flagged `NEAR_MISS`), as
`m2m-conformance coverage` counts them (vectors/README.md).

Usage (from the repository root):

    python3 vectors/tools/gen_wire_vectors.py                 # write the vector files
    python3 vectors/tools/gen_wire_vectors.py --check         # fail if the files on disk differ
    python3 vectors/tools/gen_wire_vectors.py --capture       # re-capture wire-goldens.json
                                                              #   (needs the upstream m2m CLI)
    python3 vectors/tools/gen_wire_vectors.py --upstream      # run every wire.compress /
                                                              #   wire.decompress / wire.detect
                                                              #   case through the upstream CLI
    python3 vectors/tools/gen_wire_vectors.py --reference     # run every case through
                                                              #   `m2m-ref serve-testee`

The upstream CLI is looked up in $M2M_UPSTREAM, then /tmp/upstream-m2m/bin/m2m, then `m2m`
on PATH; the reference binary in $M2M_REF, then target/debug/m2m-ref.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vecwrite import render_file  # noqa: E402  (the one writer of vector files)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors"
GOLDENS = VECTORS / "tools" / "wire-goldens.json"
PREFIX = "#M2M[v3.0]|DATA:"
MIB = 1024 * 1024
LIMIT = 16 * MIB

# --------------------------------------------------------------------------------------------
# Independent computations
# --------------------------------------------------------------------------------------------


class BrotliBits:
    """A Brotli stream writer that emits only uncompressed and metadata meta-blocks.

    Bits are appended least significant first, as RFC 7932 §2 prescribes.
    """

    def __init__(self, window_bits: int = 22) -> None:
        self.out = bytearray()
        self.acc = 0
        self.nbits = 0
        self._window(window_bits)

    def put(self, value: int, count: int) -> None:
        for i in range(count):
            self.acc |= ((value >> i) & 1) << self.nbits
            self.nbits += 1
            if self.nbits == 8:
                self.out.append(self.acc)
                self.acc = 0
                self.nbits = 0

    def pad(self, bit: int = 0) -> None:
        while self.nbits:
            self.put(bit, 1)

    def _window(self, w: int) -> None:
        # RFC 7932 §9.1: WBITS is coded in 1, 4 or 7 bits.
        if w == 16:
            self.put(0, 1)
        elif w == 17:
            self.put(1, 1)
            self.put(0, 3)
            self.put(0, 3)
        elif 18 <= w <= 24:
            self.put(1, 1)
            self.put(w - 17, 3)
        elif 10 <= w <= 15:
            self.put(1, 1)
            self.put(0, 3)
            self.put(w - 8, 3)
        elif w == -1:  # the reserved code 1-000-001
            self.put(1, 1)
            self.put(0, 3)
            self.put(1, 3)
        else:
            raise ValueError(w)

    def uncompressed(self, data: bytes, nibbles: int | None = None, pad_bit: int = 0,
                     declared_len: int | None = None) -> "BrotliBits":
        n = declared_len if declared_len is not None else len(data)
        need = 4 if n - 1 < 1 << 16 else (5 if n - 1 < 1 << 20 else 6)
        nib = nibbles or need
        self.put(0, 1)  # ISLAST = 0
        self.put(nib - 4, 2)  # MNIBBLES
        self.put(n - 1, 4 * nib)  # MLEN - 1
        self.put(1, 1)  # ISUNCOMPRESSED
        self.pad(pad_bit)
        self.out += data
        return self

    def metadata(self, data: bytes, reserved: int = 0) -> "BrotliBits":
        self.put(0, 1)  # ISLAST = 0
        self.put(3, 2)  # MNIBBLES code 3: metadata
        self.put(reserved, 1)
        if not data:
            self.put(0, 2)  # MSKIPBYTES = 0
        else:
            self.put(1, 2)
            self.put(len(data) - 1, 8)
        self.pad()
        self.out += data
        return self

    def last(self, pad_bit: int = 0) -> bytes:
        self.put(1, 1)  # ISLAST
        self.put(1, 1)  # ISLASTEMPTY
        self.pad(pad_bit)
        return bytes(self.out)


def uncompressed_stream(*chunks: bytes, window_bits: int = 22) -> bytes:
    b = BrotliBits(window_bits)
    for c in chunks:
        b.uncompressed(c)
    return b.last()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def brotli_wire(data: bytes) -> str:
    return PREFIX + b64(data)


def two_block_wire(pattern16: str, groups1: int, groups2: int):
    """A Brotli wire string of two uncompressed meta-blocks of `pattern16` (16 ASCII bytes)
    repeated 3*groups1 and 3*groups2 times, written with `$concat`/`$repeat` so that it stays
    small on disk: every 48-byte run of the pattern is exactly 64 base64 characters, and each
    meta-block header is 3 bytes, so the base64 of the pieces concatenates to the base64 of the
    whole. Returns (wire generator, text generator, length of meta-block 1, total length)."""
    assert len(pattern16.encode()) == 16
    pat48 = (pattern16 * 3).encode()
    n1, n2 = 48 * groups1, 48 * groups2
    full = uncompressed_stream(pat48 * groups1, pat48 * groups2)
    hdr1, hdr2, final = full[:3], full[3 + n1:6 + n1], full[6 + n1 + n2:]
    assert hdr1 + pat48 * groups1 + hdr2 + pat48 * groups2 + final == full
    wire = cat(PREFIX + b64(hdr1), rep(b64(pat48), groups1), b64(hdr2), rep(b64(pat48), groups2),
               b64(final))
    assert expand(wire) == brotli_wire(full)
    return wire, rep(pattern16, 3 * (groups1 + groups2)), n1, n1 + n2


def leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value == 0:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def spec_varint_decode(data: bytes):
    """The spec's decoder (chapter varint): ('ok', value, consumed) or ('error', class)."""
    value = 0
    for i, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * i)
        if byte & 0x80 == 0:
            if value > 0xFFFFFFFF:
                return ("error", "varint_overflow")
            return ("ok", value, i + 1)
        if i + 1 == 5:
            return ("error", "varint_too_long")
    return ("error", "varint_truncated")


def upstream_varint_decode(data: bytes):
    """Upstream 0.4.0 `read_varint` / `read_varint_slice`: a u64 accumulator, reading on while
    the continuation bit is set, failing only when the input runs out ("VarInt read error",
    class varint_truncated) or a 10th byte still continues ("VarInt overflow", class
    varint_too_long). The u64 value is returned as is (the frame decoder later keeps its low
    32 bits, but the varint reader itself does not)."""
    value = 0
    shift = 0
    pos = 0
    while True:
        if pos >= len(data):
            return ("error", "varint_truncated")
        byte = data[pos]
        pos += 1
        value |= ((byte & 0x7F) << shift) & 0xFFFFFFFFFFFFFFFF
        if byte & 0x80 == 0:
            return ("ok", value, pos)
        shift += 7
        if shift >= 64:
            return ("error", "varint_too_long")


def expand(v):
    """Expand `$repeat` / `$concat` exactly as vectors/README.md defines them."""
    if isinstance(v, dict):
        if "$repeat" in v:
            return expand(v["$repeat"]) * v["count"]
        if "$concat" in v:
            return "".join(expand(p) for p in v["$concat"])
        return {k: expand(x) for k, x in v.items()}
    if isinstance(v, list):
        return [expand(x) for x in v]
    return v


def rep(s: str, n: int) -> dict:
    return {"$repeat": s, "count": n}


def cat(*parts) -> dict:
    return {"$concat": list(parts)}


# --------------------------------------------------------------------------------------------
# Captured upstream goldens
# --------------------------------------------------------------------------------------------

# Inputs whose Brotli encoding (quality 11, lgwin 22) is captured from upstream. Names are
# stable keys into wire-goldens.json.
TEST_REQUEST = ('{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful '
                'assistant."},{"role":"user","content":"What is 2+2?"}],"temperature":0.7,'
                '"max_tokens":1000}')
TEST_RESPONSE = ('{"id":"chatcmpl-abc123","object":"chat.completion","created":1705520400,'
                 '"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant",'
                 '"content":"The answer is 4."},"finish_reason":"stop"}],"usage":'
                 '{"prompt_tokens":50,"completion_tokens":10,"total_tokens":60}}')
FOX = "The quick brown fox jumps over the lazy dog. "

ENCODE_INPUTS = {
    "empty": "",
    "hello": "Hello",
    "single-char": "a",
    "single-space": " ",
    "trailing-newline": "Hello\n",
    "ascii-sentence": FOX.strip(),
    "unicode-mixed": "héllo wörld — ünïcödé, 日本語のテキスト, emoji 🎉🚀",
    "cjk-paragraph": "機械と機械の通信のためのプロトコル。" * 3,
    "control-chars": "a\u0000b\tc\nd\r\ne\u001ff\u007f",
    "json-request": TEST_REQUEST,
    "json-response": TEST_RESPONSE,
    "hello-world-x100": rep("hello world ", 100),
    "json-array-x1000": cat("[", rep('{"role":"user","content":"Hi"},', 1000), "{}]"),
    "fox-112k": rep(FOX, 2500),
    "mixed-197k": cat(rep("alpha beta gamma ", 4000), rep("日本語 ", 6000),
                      rep('{"k":[1,2,3]}', 3000), rep("z", 30000)),
    "hex-1mib": rep("0123456789abcdef", 65536),
    # limit chapter streams (decoded, never encoded by a case)
    "a-16mib": rep("a", LIMIT),
    "a-16mib-plus-1": rep("a", LIMIT + 1),
    "a-64mib": rep("a", 64 * MIB),
}

# Streams from the C brotli CLI with parameters other than upstream's (decoders must accept
# any valid stream). name -> (brotli CLI arguments, input)
CBROTLI_INPUTS = {
    "q0-w10": (["-q", "0", "-w", "10"], FOX * 4),
    "q1-w16": (["-q", "1", "-w", "16"], "Brotli at quality one. " * 8),
    "q5-w18": (["-q", "5", "-w", "18"], TEST_REQUEST),
    "q9-w24": (["-q", "9", "-w", "24"], "window of twenty-four bits " * 20),
    "q11-w10-large": (["-q", "11", "-w", "10"], rep("0123456789", 20000)),
}


def load_goldens() -> dict:
    if not GOLDENS.exists():
        sys.exit(f"{GOLDENS} is missing; run with --capture (needs the upstream m2m CLI)")
    return json.loads(GOLDENS.read_text())


def golden_wire(goldens: dict, name: str) -> str:
    entry = goldens["upstream_encode"][name]
    text = expand(ENCODE_INPUTS[name])
    digest = hashlib.sha256(text.encode()).hexdigest()
    if entry["input_sha256"] != digest:
        sys.exit(f"wire-goldens.json entry {name} was captured for a different input")
    return entry["wire"]


def cbrotli_wire(goldens: dict, name: str) -> str:
    entry = goldens["cbrotli"][name]
    args, text = CBROTLI_INPUTS[name]
    text = expand(text)
    if entry["args"] != args or entry["input_sha256"] != hashlib.sha256(text.encode()).hexdigest():
        sys.exit(f"wire-goldens.json cbrotli entry {name} is stale; run --capture")
    return PREFIX + entry["b64"]


def find_upstream() -> str | None:
    for cand in (os.environ.get("M2M_UPSTREAM"), "/tmp/upstream-m2m/bin/m2m", shutil.which("m2m")):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def capture(upstream: str) -> None:
    cbro = shutil.which("brotli")
    out = {"_comment": (
        "Captured by vectors/tools/gen_wire_vectors.py --capture. upstream_encode: output of "
        "`m2m compress -a brotli -f IN -o OUT` (m2m-protocol 0.4.0); c_brotli_equal: whether "
        "`brotli -c -q 11 -w 22 IN` (C brotli) produced the same bytes. cbrotli: streams of the "
        "C brotli CLI with other parameters, base64."),
        "upstream_version": subprocess.run([upstream, "--version"], capture_output=True,
                                           text=True, check=True).stdout.strip(),
        "c_brotli_version": (subprocess.run([cbro, "--version"], capture_output=True, text=True)
                             .stdout.strip() if cbro else None),
        "upstream_encode": {}, "cbrotli": {}}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        dst = Path(tmp) / "out"
        for name, spec in ENCODE_INPUTS.items():
            data = expand(spec).encode()
            src.write_bytes(data)
            subprocess.run([upstream, "compress", "-a", "brotli", "-f", str(src), "-o", str(dst)],
                           check=True, capture_output=True)
            wire = dst.read_text()
            entry = {"input_len": len(data), "input_sha256": hashlib.sha256(data).hexdigest(),
                     "wire": wire}
            if cbro:
                c = subprocess.run([cbro, "-c", "-q", "11", "-w", "22", str(src)],
                                   check=True, capture_output=True).stdout
                entry["c_brotli_equal"] = brotli_wire(c) == wire
            out["upstream_encode"][name] = entry
            print(f"captured {name}: {len(data)} -> {len(wire)} bytes", file=sys.stderr)
        if not cbro:
            sys.exit("the C brotli CLI is needed to capture the cbrotli streams")
        for name, (args, text) in CBROTLI_INPUTS.items():
            text = expand(text)
            src.write_bytes(text.encode())
            c = subprocess.run([cbro, "-c", *args, str(src)], check=True,
                               capture_output=True).stdout
            out["cbrotli"][name] = {"args": args,
                                    "input_sha256": hashlib.sha256(text.encode()).hexdigest(),
                                    "b64": b64(c)}
    GOLDENS.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------
# Case construction
# --------------------------------------------------------------------------------------------


def case(id, reqs, description, op, input, expect, result=None, lenient=None, flags=None,
         confirmed_by=None):
    c = {"id": id, "reqs": reqs, "description": description, "op": op, "input": input,
         "expect": expect}
    c["result"] = result or ("invalid" if "error" in expect else "valid")
    if lenient is not None:
        c["lenient"] = lenient
    if flags:
        c["flags"] = flags
    if confirmed_by:
        c["confirmed_by"] = confirmed_by
    return c


UNCLASSIFIED = "UPSTREAM_BROTLI_ERRORS_UNCLASSIFIED"
UNCLASSIFIED_MEANING = (
    "upstream m2m-protocol 0.4.0 reports every Brotli decoding failure, truncation included, as "
    "the same I/O error (InvalidData, 'Invalid Data') of brotli-decompressor's Read adapter, so "
    "it cannot tell a truncated stream from a corrupt one; an adapter reports brotli_corrupt")


def tolerate_unclassified(cases):
    """Upstream reports truncation as plain corruption: tolerate brotli_corrupt there."""
    for c in cases:
        if c["expect"] == {"error": "brotli_truncated"}:
            c["result"] = "acceptable"
            c["lenient"] = {"error": "brotli_corrupt"}
            c["flags"] = c.get("flags", []) + [UNCLASSIFIED]
    return cases


def ok_text(t):
    return {"ok": {"text": t}}


NEAR_MISS = "NEAR_MISS"
NEAR_MISS_MEANING = "the input lies just outside the condition of the cited requirement"


def cite(cases, extra: dict):
    """Add requirement ids to named existing cases (each id must exist and be new to the case):
    used where a case built for one rule also really exercises another."""
    by_id = {c["id"]: c for c in cases}
    for cid, reqs in extra.items():
        c = by_id[cid]
        for r in reqs:
            assert r not in c["reqs"], (cid, r)
            c["reqs"].append(r)
    return cases


def err(cls):
    return {"error": cls}


def decode(wire, **limits):
    return {"wire": wire, **limits}


NO_LIMIT = "UPSTREAM_NO_SIZE_LIMIT"
NO_LIMIT_MEANING = ("upstream m2m-protocol 0.4.0 enforces neither a message-size nor a "
                    "decompressed-size limit: it decodes oversized input completely")

UP = "upstream-0.4.0"
UPT = "upstream-0.4.0-tests"
SC = "second-computation"

FRAME_A = ("#M2M|1|IgABAAAAAAAAAAAAAAAAAAAAAAAGZ3B0LTRvAQECCtejOz4AAABuYFWkeyJtb2RlbCI6ImdwdC00byIs"
           "Im1lc3NhZ2VzIjpbeyJyb2xlIjoidXNlciIsImNvbnRlbnQiOiJIaSJ9XX0=")
HELLO_WIRE = brotli_wire(uncompressed_stream(b"Hello"))  # == upstream's encoding of "Hello"


def detection_files():
    D1, D2, D3, D4 = "WIRE-DETECT-001", "WIRE-DETECT-002", "WIRE-DETECT-003", "WIRE-DETECT-004"
    N = "WIRE-DETECT-005"

    def det(id, reqs, desc, wire, fmt, flags=None):
        return case(id, reqs, desc, "wire.detect", {"wire": wire}, {"ok": {"format": fmt}},
                    flags=flags, confirmed_by=UP)

    def near(id, reqs, desc, wire, fmt):
        """A near miss (vectors/README.md): `wire` lies just outside the condition of `reqs`."""
        return det(id, reqs, desc, wire, fmt, flags=[NEAR_MISS])

    prefixes = [
        det("detect-m2m-v1-frame", [D1, D2], "an M2M v1 frame in text form is m2m-v1",
            FRAME_A, "m2m-v1"),
        det("detect-m2m-v1-prefix-only", [D1, D2, D3], "the bare prefix #M2M|1| is m2m-v1",
            "#M2M|1|", "m2m-v1"),
        det("detect-m2m-v1-garbage-body", [D1], "detection looks at the prefix only, not the body",
            "#M2M|1|this is not base64 at all", "m2m-v1"),
        det("detect-token-native", [D1, D2], "a TokenNative string is token-native",
            "#TK|C|iHkL3Q8A", "token-native"),
        det("detect-token-native-prefix-only", [D1, D2, D3], "the bare prefix #TK| is token-native",
            "#TK|", "token-native"),
        det("detect-token-native-unknown-tokenizer", [D1], "the tokenizer id is not part of detection",
            "#TK|Z|AAAA", "token-native"),
        det("detect-brotli", [D1, D2, D3], "a Brotli wire string is brotli", HELLO_WIRE, "brotli"),
        det("detect-brotli-family-prefix-only", [D2, D3], "#M2M[v3.0]| alone already selects brotli",
            "#M2M[v3.0]|", "brotli"),
        det("detect-brotli-without-data", [D2], "#M2M[v3.0]| followed by something other than DATA: is brotli",
            "#M2M[v3.0]|XYZ:abc", "brotli"),
        det("detect-plain-text", [D1], "text without a prefix is passthrough", "Hello, world",
            "passthrough"),
        det("detect-json", [D1], "JSON without a prefix is passthrough",
            '{"model":"gpt-4o","messages":[]}', "passthrough"),
        det("detect-empty", [D1], "the empty string is passthrough", "", "passthrough"),
        near("detect-hash-only", [D3], "a lone # is passthrough", "#", "passthrough"),
        near("detect-partial-m2m-v1", [D3], "#M2M|1 without the final | is passthrough", "#M2M|1",
            "passthrough"),
        near("detect-partial-token-native", [D3], "#TK without the | is passthrough", "#TK",
            "passthrough"),
        near("detect-partial-brotli", [D3], "#M2M[v3.0] without the | is passthrough",
            "#M2M[v3.0]DATA:CwKASGVsbG8D", "passthrough"),
        near("detect-lowercase-m2m", [D3], "prefixes are case-sensitive: #m2m|1| is passthrough",
            "#m2m|1|" + FRAME_A[7:], "passthrough"),
        near("detect-lowercase-token-native", [D3], "#tk| is passthrough", "#tk|C|iHkL3Q8A",
            "passthrough"),
        near("detect-uppercase-v", [D3], "#M2M[V3.0]| is passthrough",
            "#M2M[V3.0]|DATA:CwKASGVsbG8D", "passthrough"),
        near("detect-leading-space", [D3], "a leading space defeats detection",
            " " + HELLO_WIRE, "passthrough"),
        near("detect-leading-newline", [D3], "a leading newline defeats detection",
            "\n#TK|C|iHkL3Q8A", "passthrough"),
        near("detect-leading-bom", [D3], "a leading U+FEFF byte order mark defeats detection",
            "\ufeff" + FRAME_A, "passthrough"),
        near("detect-fullwidth-hash", [D3], "a fullwidth number sign is not #",
            "\uff03M2M|1|" + FRAME_A[7:], "passthrough"),
        near("detect-prefix-not-at-start", [D3], "a prefix inside the text is not a prefix",
            "see " + HELLO_WIRE, "passthrough"),
        near("detect-m2m-version-2", [D3], "#M2M|2| is not a known prefix", "#M2M|2|AAAA",
            "passthrough"),
        near("detect-brotli-version-3-1", [D3], "#M2M[v3.1]| is not a known prefix",
            "#M2M[v3.1]|DATA:CwKASGVsbG8D", "passthrough"),
        det("detect-legacy-token-v1", [D4], "legacy Token v1 #T1| is passthrough",
            '#T1|{"M":"g4o","m":[{"r":"user","c":"Hi"}]}', "passthrough"),
        det("detect-legacy-dictionary", [D4], "the legacy dictionary prefix #M2M| (no version) is passthrough",
            '#M2M|{"model":"gpt-4o"}', "passthrough"),
        det("detect-legacy-m3", [D4], "legacy #M3| is passthrough", "#M3|AQZncHQtNG8=",
            "passthrough"),
        det("detect-legacy-zlib", [D4], "the zlib format #M2M[v2.0]|DATA: is passthrough",
            "#M2M[v2.0]|DATA:" + b64(zlib.compress(b"Hello")), "passthrough"),
        det("detect-docs-only-di", [D4], "#DI| (documented, never implemented) is passthrough",
            "#DI|{}", "passthrough"),
        det("detect-docs-only-br", [D4], "#BR| (documented Brotli prefix) is passthrough",
            "#BR|CwKASGVsbG8D", "passthrough"),
        det("detect-docs-only-hy", [D4], "#HY| (documented Hybrid) is passthrough", "#HY|x",
            "passthrough"),
        det("detect-docs-only-zl-dc", [D4], "#ZL| and #DC| (changelog only) are passthrough",
            "#ZL|#DC|eJzzSM3JyQcABYwB9Q==", "passthrough"),
        det("detect-unicode-text", [D1], "non-ASCII text is passthrough", "日本語テキスト 🎉",
            "passthrough"),
        # Near misses of the legacy rule: known prefixes that a legacy prefix is a prefix of, or
        # that differ from one in a single character, are not legacy.
        near("detect-near-legacy-dictionary", [D4],
             "#M2M| followed by 1| is the M2M v1 prefix, not the legacy dictionary prefix, even "
             "with a JSON body", '#M2M|1|{"model":"gpt-4o"}', "m2m-v1"),
        near("detect-near-legacy-zlib", [D4],
             "#M2M[v3.0]|DATA: (one digit from the zlib prefix #M2M[v2.0]|DATA:) is brotli, even "
             "with a zlib body", "#M2M[v3.0]|DATA:" + b64(zlib.compress(b"Hello")), "brotli"),
        near("detect-near-legacy-token-v1", [D4],
             "#TK| (one character from the legacy Token v1 prefix #T1|) is token-native, even with "
             "a Token v1 body", '#TK|{"M":"g4o","m":[{"r":"user","c":"Hi"}]}', "token-native"),
        # wire.detect answers a format name only for a well-formed request.
        case("detect-args-wire-missing", [N, "TESTEE-ERR-003"],
             "wire.detect without `wire` is bad_args, not a format (not even passthrough)",
             "wire.detect", {}, err("bad_args"), confirmed_by="spec"),
        case("detect-args-wire-null", [N, "TESTEE-ERR-003"],
             "wire.detect of a null `wire` is bad_args, not passthrough", "wire.detect",
             {"wire": None}, err("bad_args"), confirmed_by="spec"),
    ]

    P1, P2 = "WIRE-PASS-001", "WIRE-PASS-002"

    def pas(id, reqs, desc, text, flags=None):
        return case(id, reqs, desc, "wire.decompress", {"wire": text}, ok_text(text),
                    flags=flags, confirmed_by=UP)

    def none(id, desc, text, extra=()):
        return case(id, [P2, *extra], desc, "wire.compress", {"algorithm": "none", "input": text},
                    {"ok": {"wire": text}}, confirmed_by=UP)

    passthrough = [
        pas("pass-plain", [P1], "plain text decodes to itself", "Hello, world"),
        pas("pass-empty", [P1], "the empty string decodes to itself", ""),
        pas("pass-json-whitespace", [P1], "JSON keeps its whitespace, newlines and key order",
            '{ "b" : [1, 2] ,\n  "a": null }\n'),
        pas("pass-crlf-tabs", [P1], "CR LF and tabs are kept", "line 1\r\n\tline 2\r\n"),
        pas("pass-unicode", [P1], "non-ASCII text is kept byte for byte",
            "héllo wörld — 日本語 🎉 \u00a0nbsp"),
        pas("pass-control-chars", [P1], "control characters are kept", "a\u0000b\u0007c\u001fd"),
        pas("pass-bom", [P1], "a leading byte order mark is kept", "\ufeffHello"),
        pas("pass-leading-whitespace", [P1], "leading spaces and a tab are kept, not trimmed",
            "  \tHello"),
        pas("pass-leading-space-brotli", ["WIRE-DETECT-003"],
            "a Brotli string behind a space is not decoded", " " + HELLO_WIRE, [NEAR_MISS]),
        pas("pass-legacy-token-v1", [P1, "WIRE-DETECT-004"], "a legacy #T1| string is returned unchanged",
            '#T1|{"M":"g4o","m":[{"r":"user","c":"Hi"}]}'),
        pas("pass-legacy-dictionary", [P1, "WIRE-DETECT-004"],
            "a legacy #M2M| dictionary string is returned unchanged", '#M2M|{"model":"gpt-4o"}'),
        pas("pass-legacy-zlib", [P1, "WIRE-DETECT-004"],
            "a #M2M[v2.0]|DATA: zlib string is returned unchanged, not inflated",
            "#M2M[v2.0]|DATA:" + b64(zlib.compress(b"Hello"))),
        pas("pass-docs-only-br", [P1, "WIRE-DETECT-004"],
            "#BR| followed by a valid Brotli body is returned unchanged", "#BR|CwKASGVsbG8D"),
        case("pass-large-136k", [P1], "136 KB of text decode to themselves", "wire.decompress",
             {"wire": rep("passthrough text ", 8000)}, ok_text(rep("passthrough text ", 8000)),
             confirmed_by=UP),
        # Near miss of passthrough (and of the legacy rule): one digit away from the legacy
        # zlib prefix, this message is decoded, not returned unchanged.
        case("pass-near-legacy-zlib", [P1, "WIRE-DETECT-004"],
             "#M2M[v3.0]|DATA: (not the legacy #M2M[v2.0]|DATA:) is decoded, not passed through",
             "wire.decompress", {"wire": HELLO_WIRE}, ok_text("Hello"), flags=[NEAR_MISS],
             confirmed_by=UP),
        # Passthrough is bounded by the message-size limit (WIRE-LIMIT-006).
        case("pass-over-message-limit", [P1, "WIRE-LIMIT-002"],
             "a passthrough message over the message-size limit is rejected, not returned",
             "wire.decompress", {"wire": "日本語テキスト", "max_message_bytes": 20},
             err("message_too_large"), result="acceptable", lenient=ok_text("日本語テキスト"),
             flags=[NO_LIMIT], confirmed_by=UP),
        none("none-plain", "algorithm none returns the input", "Hello"),
        none("none-empty", "algorithm none returns the empty string", ""),
        none("none-json", "algorithm none keeps JSON byte for byte", '{"a": 1,\n "b": [true]}\n'),
        none("none-unicode", "algorithm none keeps non-ASCII text", "日本語 🎉"),
        none("none-known-prefix", "algorithm none does not escape text that starts with a prefix",
             HELLO_WIRE, ["WIRE-DETECT-006"]),
        # The rule is for the protocol's algorithm name `none` only.
        case("none-alias-n", [P2, "TESTEE-ERR-003"],
             "n, an abbreviation upstream's CLI accepts, is not the protocol's algorithm none",
             "wire.compress", {"algorithm": "n", "input": "Hello"}, err("bad_args"),
             confirmed_by="spec"),
        case("none-upper-case", [P2, "TESTEE-ERR-003"],
             "NONE in upper case is not the algorithm none", "wire.compress",
             {"algorithm": "NONE", "input": "Hello"}, err("bad_args"), confirmed_by="spec"),
        # No escaping: a known prefix is never passthrough, even when the rest is not valid.
        case("noescape-brotli-family", ["WIRE-DETECT-006", "WIRE-BROTLI-002", "WIRE-DETECT-001"],
             "#M2M[v3.0]| followed by plain text fails instead of passing through",
             "wire.decompress", {"wire": "#M2M[v3.0]|hello world"}, err("invalid_prefix"),
             confirmed_by=UP),
        case("noescape-brotli-plain-body", ["WIRE-DETECT-006", "WIRE-BROTLI-005"],
             "#M2M[v3.0]|DATA: followed by plain text fails as base64", "wire.decompress",
             {"wire": "#M2M[v3.0]|DATA:Hello, world"}, err("invalid_base64"), confirmed_by=UP),
        case("noescape-brotli-base64-of-text", ["WIRE-DETECT-006", "WIRE-BROTLI-006"],
             "#M2M[v3.0]|DATA: with the base64 of plain text fails as a Brotli stream (its first "
             "bytes declare a 5,832-byte meta-block and the input ends long before)",
             "wire.decompress", {"wire": PREFIX + b64(b"plain text!!")}, err("brotli_truncated"),
             confirmed_by=UP),
        case("noescape-detected-format-name", [N, "WIRE-DETECT-006"],
             "#M2M[v3.0]|DATA:Hello, what algorithm none keeps of such text, detects as brotli",
             "wire.detect", {"wire": PREFIX + "Hello"}, {"ok": {"format": "brotli"}},
             confirmed_by=UP),
    ]
    # WIRE-DETECT-005 (format names) is exercised by every successful wire.detect case but the
    # near misses (which are near misses of the rules they cite, not of the names).
    for c in prefixes:
        if N not in c["reqs"] and NEAR_MISS not in c.get("flags", []):
            c["reqs"].append(N)
    return [
        ("detection/prefixes.yaml", "detection",
         "Prefix detection: the three known prefixes, their order, exact-byte matching, near misses "
         "and legacy prefixes (op wire.detect)", {NEAR_MISS: NEAR_MISS_MEANING}, prefixes),
        ("detection/passthrough.yaml", "detection",
         "Passthrough: unknown prefixes decode to themselves, algorithm none, and no escaping",
         {UNCLASSIFIED: UNCLASSIFIED_MEANING, NEAR_MISS: NEAR_MISS_MEANING, NO_LIMIT: NO_LIMIT_MEANING},
         tolerate_unclassified(passthrough)),
    ]


def brotli_files(goldens):
    B = {i: f"WIRE-BROTLI-{i:03d}" for i in range(1, 12)}
    B64A, B64B = "WIRE-B64-001", "WIRE-B64-002"

    # ---- encode goldens ------------------------------------------------------------------
    enc_desc = {
        "empty": "the empty text",
        "hello": "a five-letter word",
        "single-char": "one ASCII character",
        "single-space": "a single space",
        "trailing-newline": "a trailing newline is part of the text",
        "ascii-sentence": "an ASCII sentence",
        "unicode-mixed": "Latin-1, CJK and emoji characters",
        "cjk-paragraph": "a repeated CJK paragraph",
        "control-chars": "NUL, tab, CR LF, US and DEL characters",
        "json-request": "upstream's TEST_REQUEST chat completion request",
        "json-response": "upstream's TEST_RESPONSE chat completion response",
        "hello-world-x100": "'hello world ' x 100 (1200 bytes)",
        "json-array-x1000": "a 31 KB JSON array of repeated messages",
        "fox-112k": "112,500 bytes of repeated English text",
        "mixed-197k": "a 197 KB mix of ASCII, CJK, JSON and a long run",
        "hex-1mib": "1 MiB of repeated hex digits",
    }
    encode = []
    for name, desc in enc_desc.items():
        wire = golden_wire(goldens, name)
        encode.append(case(f"brotli-encode-{name}", [B[3]], f"encode {desc}",
                           "wire.compress", {"algorithm": "brotli", "input": ENCODE_INPUTS[name]},
                           {"ok": {"wire": wire}}, confirmed_by=UP))

    # ---- decode goldens ------------------------------------------------------------------
    def dec(id, reqs, desc, wire, text, confirmed=UP, **limits):
        return case(id, reqs, desc, "wire.decompress", decode(wire, **limits), ok_text(text),
                    confirmed_by=confirmed)

    dgold = []
    for name in ["empty", "hello", "unicode-mixed", "control-chars", "json-request",
                 "json-response", "hello-world-x100", "fox-112k", "mixed-197k", "hex-1mib"]:
        extra = [B[2], B[7]] if name == "hello" else [B[8]] if name == "unicode-mixed" else []
        dgold.append(dec(f"brotli-decode-{name}", [B[1], B[4], B64B] + extra,
                         f"decode upstream's encoding of {enc_desc[name]}",
                         golden_wire(goldens, name), ENCODE_INPUTS[name]))
    hand = [
        ("wbits-16", "a stream with a 16-bit window", [b"Hello"], 16, "Hello"),
        ("wbits-10", "a stream with the smallest window (10 bits)", [b"Hello"], 10, "Hello"),
        ("wbits-17", "a stream with a 17-bit window (7-bit WBITS code)", [b"Hello"], 17, "Hello"),
        ("wbits-24", "a stream with the largest window (24 bits)", [b"Hello"], 24, "Hello"),
        ("two-meta-blocks", "text split over two uncompressed meta-blocks", [b"Hel", b"lo"], 22,
         "Hello"),
        ("char-split-across-blocks", "a two-byte character split across meta-blocks",
         ["caf\u00e9".encode()[:4], "caf\u00e9".encode()[4:]], 22, "caf\u00e9"),
        ("utf8-bom-kept", "a leading byte order mark is part of the text",
         ["\ufeffHi".encode()], 22, "\ufeffHi"),
    ]
    for name, desc, chunks, w, text in hand:
        extra = ([B[8], B[11]] if name == "char-split-across-blocks"
                 else [B[8], B[9]] if name == "utf8-bom-kept" else [])
        dgold.append(dec(f"brotli-decode-{name}", [B[4], B[1]] + extra, f"decode {desc}",
                         brotli_wire(uncompressed_stream(*chunks, window_bits=w)), text,
                         confirmed=SC))
    dgold.append(dec("brotli-decode-not-json", [B[9], B[1]], "the decoded text need not be JSON",
                     brotli_wire(uncompressed_stream(b'{"unterminated": ')), '{"unterminated": ',
                     confirmed=SC))
    for name, desc, text in [
        ("whitespace-kept", "leading and trailing whitespace and line ends are not trimmed",
         "  \n\tHello \r\n  "),
        ("not-normalised", "decomposed and compatibility characters are not normalised",
         "cafe\u0301 \u212b \ufb01"),
    ]:
        dgold.append(dec(f"brotli-decode-{name}", [B[9], B[1]], f"decoded text is kept: {desc}",
                         brotli_wire(uncompressed_stream(text.encode())), text, confirmed=SC))
    # One uncompressed meta-block of 65,537 bytes: its length needs five nibbles (the top one
    # is 1, so not superfluous). Written as $concat/$repeat: a 4-byte header and 2 data bytes
    # are 8 base64 characters, each 48-byte run is 64, and the last 15 data bytes and the final
    # byte are the padded tail.
    pat16 = "0123456789abcdef"
    head, tail = b"<<", b">" * 15
    data5 = head + (pat16 * 3).encode() * 1365 + tail
    assert len(data5) == 65537
    full5 = BrotliBits(22).uncompressed(data5).last()
    hdr5 = int.from_bytes(full5[:4], "little")  # WBITS 4 bits, ISLAST, MNIBBLES 2, MLEN-1 20
    assert len(full5) == 4 + len(data5) + 1 and (hdr5 >> 5) & 3 == 1 and \
        (hdr5 >> 7) & 0xFFFFF == 65536  # five nibbles, the top one 1
    wire5 = cat(PREFIX + b64(full5[:6]), rep(b64((pat16 * 3).encode()), 1365), b64(full5[-16:]))
    assert expand(wire5) == brotli_wire(full5)
    dgold.append(dec("brotli-decode-five-nibble-length", [B[4], B[6]],
                     "one 65,537-byte uncompressed meta-block, whose length needs five nibbles",
                     wire5, cat(head.decode(), rep(pat16, 3 * 1365), tail.decode()), confirmed=SC))
    dgold.append(dec("brotli-order-at-both-limits", [B[11]],
                     "a message exactly at both limits passes every check in order and decodes",
                     HELLO_WIRE, "Hello", max_message_bytes=len(HELLO_WIRE),
                     max_decompressed_bytes=5))
    meta = BrotliBits(22).metadata(b"ignored metadata").uncompressed(b"Hello").metadata(b"").last()
    dgold.append(dec("brotli-decode-metadata-blocks", [B[4]],
                     "metadata meta-blocks are skipped", brotli_wire(meta), "Hello", confirmed=SC))
    w2, t2, n1, n = two_block_wire("0123456789abcdef", 1365, 93)
    dgold.append(dec("brotli-decode-uncompressed-two-blocks", [B[4]],
                     f"{n} bytes in two uncompressed meta-blocks ({n1} + {n - n1})", w2, t2,
                     confirmed=SC))
    for name, (args, text) in CBROTLI_INPUTS.items():
        dgold.append(dec(f"brotli-decode-cbrotli-{name}", [B[4]],
                         f"decode a C brotli stream made with {' '.join(args)}",
                         cbrotli_wire(goldens, name), text))

    # ---- prefix and stream negatives -----------------------------------------------------
    def bad(id, reqs, desc, wire, cls, confirmed=UP, **kw):
        return case(id, reqs, desc, "wire.decompress", {"wire": wire}, err(cls),
                    confirmed_by=confirmed, **kw)

    hello = uncompressed_stream(b"Hello")
    PAD = "UPSTREAM_LOSES_FINAL_PADDING_ERROR"
    fox_stream = base64.b64decode(golden_wire(goldens, "fox-112k")[len(PREFIX):])
    req_stream = base64.b64decode(golden_wire(goldens, "json-request")[len(PREFIX):])
    stream_neg = [
        bad("brotli-prefix-family-only", [B[2], "WIRE-DETECT-002"], "#M2M[v3.0]| with nothing after it",
            "#M2M[v3.0]|", "invalid_prefix"),
        bad("brotli-prefix-lowercase-data", [B[2]], "data: in lower case",
            "#M2M[v3.0]|data:CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-no-colon", [B[2]], "DATA without the colon",
            "#M2M[v3.0]|DATACwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-space-before-data", [B[2]], "a space between | and DATA:",
            "#M2M[v3.0]| DATA:CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-semicolon", [B[2]], "DATA; instead of DATA:",
            "#M2M[v3.0]|DATA;CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-doubled-family", [B[2]], "the family prefix twice",
            "#M2M[v3.0]|#M2M[v3.0]|DATA:CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-before-base64", [B[2], B[11]],
            "a wrong prefix is reported before a bad body", "#M2M[v3.0]|data:!!!!",
            "invalid_prefix"),
        bad("brotli-prefix-data-mixed-case", [B[2]], "Data: in mixed case",
            "#M2M[v3.0]|Data:CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-equals", [B[2]], "DATA= instead of DATA:",
            "#M2M[v3.0]|DATA=CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-nul-before-data", [B[2]], "a NUL character before DATA:",
            "#M2M[v3.0]|\u0000DATA:CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-double-pipe", [B[2]], "|| before DATA:",
            "#M2M[v3.0]||DATA:CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-prefix-newline", [B[2]], "a newline after the family prefix",
            "#M2M[v3.0]|\nDATA:CwKASGVsbG8D", "invalid_prefix"),
        bad("brotli-empty-body", [B[5], B[6]], "an empty body is an empty, hence truncated, stream",
            PREFIX, "brotli_truncated"),
        bad("brotli-truncated-last-byte", [B[6]], "the Hello stream without its final byte",
            brotli_wire(hello[:-1]), "brotli_truncated"),
        bad("brotli-truncated-window-only", [B[6]], "only the window byte",
            brotli_wire(hello[:1]), "brotli_truncated"),
        bad("brotli-truncated-inside-data", [B[6]], "an uncompressed meta-block cut inside its data",
            brotli_wire(hello[:5]), "brotli_truncated"),
        bad("brotli-truncated-short-block", [B[6]],
            "a meta-block declaring 10 bytes followed by 5 bytes and the end",
            brotli_wire(BrotliBits(22).uncompressed(b"Hello", declared_len=10).last()),
            "brotli_truncated"),
        bad("brotli-truncated-half", [B[6]], "the 112 KB golden stream cut in half",
            brotli_wire(fox_stream[:len(fox_stream) // 2]), "brotli_truncated"),
        bad("brotli-truncated-compressed", [B[6]], "a quality-11 stream without its last byte",
            brotli_wire(req_stream[:-1]), "brotli_truncated"),
        bad("brotli-corrupt-all-ones", [B[6]], "bytes ff ff ff", "#M2M[v3.0]|DATA:////",
            "brotli_corrupt"),
        bad("brotli-corrupt-padding-bits", [B[6]],
            "non-zero padding bits between an uncompressed meta-block header and its data",
            brotli_wire(BrotliBits(16).uncompressed(b"Hello", pad_bit=1).last()),
            "brotli_corrupt"),
        case("brotli-corrupt-final-padding", [B[6]],
             "non-zero bits after the last meta-block", "wire.decompress",
             {"wire": brotli_wire(BrotliBits(22).uncompressed(b"Hello").last(pad_bit=1))},
             err("brotli_corrupt"), result="acceptable", lenient=ok_text("Hello"),
             flags=[PAD], confirmed_by=UP),
        bad("brotli-corrupt-exuberant-nibble", [B[6]],
            "a five-nibble length whose top nibble is zero",
            brotli_wire(BrotliBits(22).uncompressed(b"Hello", nibbles=5).last()),
            "brotli_corrupt", confirmed=SC),
        bad("brotli-corrupt-metadata-reserved-bit", [B[6]], "a metadata block with its reserved bit set",
            brotli_wire(BrotliBits(22).metadata(b"", reserved=1).uncompressed(b"Hello").last()),
            "brotli_corrupt", confirmed=SC),
    ]
    for i in (0, 10, 20, 60, 95):
        stream_neg.append(bad(f"brotli-corrupt-flipped-byte-{i}", [B[6]],
                              f"the TEST_REQUEST stream (quality 11) with byte {i} inverted",
                              brotli_wire(req_stream[:i] + bytes([req_stream[i] ^ 0xFF])
                                          + req_stream[i + 1:]), "brotli_corrupt"))
    for i in (5, 40):
        stream_neg.append(bad(f"brotli-corrupt-fox-flipped-byte-{i}", [B[6]],
                              f"the 112 KB golden stream with byte {i} inverted",
                              brotli_wire(fox_stream[:i] + bytes([fox_stream[i] ^ 0xFF])
                                          + fox_stream[i + 1:]), "brotli_corrupt"))
    stream_neg.append(bad("brotli-utf8-split-unfinished", [B[8], B[4]],
                          "a two-byte sequence begun at the end of one meta-block is not continued "
                          "by the next", brotli_wire(uncompressed_stream(b"caf\xc3", b"!")),
                          "invalid_utf8", confirmed=SC))
    stream_neg.append(bad("brotli-utf8-inside-json", [B[8], B[9]],
                          "JSON text with a Latin-1 byte in a string is not returned as decompressed",
                          brotli_wire(uncompressed_stream(b'{"content":"caf\xe9"}')),
                          "invalid_utf8", confirmed=SC))
    stream_neg.append(bad("brotli-utf8-fox-flipped-byte-21", [B[8]],
                          "the 112 KB golden stream with byte 21 inverted still decodes, to non-UTF-8",
                          brotli_wire(fox_stream[:21] + bytes([fox_stream[21] ^ 0xFF])
                                      + fox_stream[22:]), "invalid_utf8"))
    stream_neg.append(bad("brotli-truncated-inside-metadata", [B[6]],
                          "a metadata block declaring 3 bytes followed by 2",
                          brotli_wire(bytes(BrotliBits(22).metadata(b"abc").out[:-1])),
                          "brotli_truncated", confirmed=SC))
    stream_neg.append(bad("brotli-truncated-metadata-only", [B[6]],
                          "a complete metadata block and no further meta-block",
                          brotli_wire(bytes(BrotliBits(22).metadata(b"abc").out)),
                          "brotli_truncated", confirmed=SC))
    # Every strict prefix of a valid stream is truncated, never corrupt.
    for n in (1, 2, 3, 8, 32, 64, 100, len(req_stream) - 2):
        stream_neg.append(bad(f"brotli-truncated-prefix-{n}", [B[6]],
                              f"the first {n} of {len(req_stream)} bytes of the TEST_REQUEST stream",
                              brotli_wire(req_stream[:n]), "brotli_truncated"))
    for frac, name in ((4, "quarter"), (4 / 3, "three-quarters")):
        n = int(len(fox_stream) / frac)
        stream_neg.append(bad(f"brotli-truncated-fox-{name}", [B[6]],
                              f"the first {n} of {len(fox_stream)} bytes of the 112 KB golden stream",
                              brotli_wire(fox_stream[:n]), "brotli_truncated"))
    # Trailing bytes after the end of the stream: upstream ignores them.
    trail = "UPSTREAM_IGNORES_TRAILING_BROTLI_BYTES"
    for name, desc, data, text in [
        ("zero-byte", "one 00 byte after the Hello stream", hello + b"\x00", "Hello"),
        ("garbage", "the ASCII bytes 'garbage' after the Hello stream", hello + b"garbage", "Hello"),
        ("second-stream", "a second complete stream after the first", hello + hello, "Hello"),
        ("after-empty-stream", "a byte after the empty stream", bytes([0x3B, 0x3B]), ""),
        ("after-compressed", "a 00 byte after a quality-11 stream", req_stream + b"\x00",
         TEST_REQUEST),
        ("newline", "a newline byte after the Hello stream", hello + b"\n", "Hello"),
        ("after-large", "one byte after the 112 KB golden stream", fox_stream + b"\x01",
         FOX * 2500),
        ("many-bytes", "1000 bytes after the Hello stream", hello + b"\xaa" * 1000, "Hello"),
    ]:
        stream_neg.append(case(f"brotli-trailing-{name}", [B[7]], desc, "wire.decompress",
                               {"wire": brotli_wire(data)}, err("brotli_corrupt"),
                               result="acceptable",
                               lenient=ok_text(rep(FOX, 2500) if text == FOX * 2500 else text),
                               flags=[trail],
                               confirmed_by=UP))
    stream_neg.append(case("brotli-trailing-before-utf8", [B[7], B[11]],
                           "trailing bytes are reported before invalid UTF-8", "wire.decompress",
                           {"wire": brotli_wire(uncompressed_stream(b"\xff") + b"\x00")},
                           err("brotli_corrupt"), result="acceptable", lenient=err("invalid_utf8"),
                           flags=[trail], confirmed_by=UP))
    for name, desc, data in [
        ("ff", "a lone ff byte", b"\xff"),
        ("lone-continuation", "a continuation byte without a lead byte", b"ab\x80cd"),
        ("overlong-slash", "the overlong form c0 af of '/'", b"\xc0\xaf"),
        ("surrogate", "an encoded UTF-16 surrogate ed a0 80", b"x\xed\xa0\x80"),
        ("above-max", "f4 90 80 80, above U+10FFFF", b"\xf4\x90\x80\x80"),
        ("truncated-sequence", "a two-byte sequence cut at the end", b"caf\xc3"),
        ("latin1", "ISO-8859-1 text", "café".encode("latin-1")),
        ("invalid-after-valid", "invalid bytes after 1000 valid ones", b"a" * 1000 + b"\xfe\xff"),
        ("lead-f5", "the never-valid lead byte f5", b"\xf5\x80\x80\x80"),
        ("overlong-c1", "the overlong two-byte form c1 bf", b"\xc1\xbf"),
        ("overlong-3-byte", "the overlong three-byte NUL e0 80 80", b"\xe0\x80\x80"),
        ("overlong-4-byte", "the overlong four-byte form f0 80 80 80", b"\xf0\x80\x80\x80"),
        ("five-byte-form", "an obsolete five-byte sequence", b"\xf8\x88\x80\x80\x80"),
        ("truncated-3-byte", "a three-byte sequence cut after two bytes", b"\xe2\x82"),
        ("truncated-4-byte", "a four-byte sequence cut after three bytes", b"\xf0\x9f\x8e"),
        ("cesu-8-pair", "an emoji as a CESU-8 surrogate pair", b"\xed\xa0\xbc\xed\xbe\x89"),
        ("utf-16le", "UTF-16LE text with a BOM", "Hi".encode("utf-16")),
    ]:
        stream_neg.append(bad(f"brotli-utf8-{name}", [B[8]], f"decoded bytes: {desc}",
                              brotli_wire(uncompressed_stream(data)), "invalid_utf8"))

    # ---- base64 negatives ----------------------------------------------------------------
    # A stream whose base64 has '+' and '/' and one '=': 'ab?cd>e' puts '?' and '>' at the end
    # of a 3-byte group, where their low six bits (111111, 111110) become '/' and '+'.
    text_pm = "ab?cd>e"
    body_pm = b64(uncompressed_stream(text_pm.encode()))
    body_one = b64(uncompressed_stream(b"Hey!"))  # 8 stream bytes: ends in one '='
    body_two = b64(uncompressed_stream(b"Hi!"))  # 7 stream bytes: ends in '=='
    assert body_one.endswith("=") and not body_one.endswith("==") and body_two.endswith("==")

    def noncanonical(body):
        # Set the lowest bit of the last data character: those bits are padding bits.
        stripped = body.rstrip("=")
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        last = alphabet[alphabet.index(stripped[-1]) | 1]
        return stripped[:-1] + last + "=" * (len(body) - len(stripped))

    b64_pos = [
        dec("b64-plus-and-slash", [B64A, B64B, B[5]], "a body with + and / and one = decodes",
            PREFIX + body_pm, text_pm, confirmed=SC),
        dec("b64-one-padding", [B64A, B64B, B[5]], "a body ending in one = decodes", PREFIX + body_one,
            "Hey!", confirmed=SC),
        dec("b64-two-padding", [B64A, B64B, B[5]], "a body ending in == decodes", PREFIX + body_two, "Hi!",
            confirmed=SC),
    ]
    b64_neg = []
    for name, desc, body in [
        ("bad-char-bang", "a ! in the body", HELLO_WIRE[len(PREFIX):].replace("S", "!", 1)),
        ("bad-char-non-ascii", "a non-ASCII letter in the body", "CwKA\u00e9GVsbG8D"),
        ("url-safe-minus", "URL-safe - instead of +", body_pm.replace("+", "-")),
        ("url-safe-underscore", "URL-safe _ instead of /", body_pm.replace("/", "_")),
        ("space-inside", "a space inside the body", "CwKA SGVsbG8D"),
        ("leading-space", "a space right after DATA:", " CwKASGVsbG8D"),
        ("trailing-newline", "a trailing newline (what a CLI reading stdin sees)", "CwKASGVsbG8D\n"),
        ("trailing-crlf", "a trailing CR LF", "CwKASGVsbG8D\r\n"),
        ("tab-inside", "a tab inside the body", "CwKA\tSGVsbG8D"),
        ("line-break-76", "a MIME-style line break", "CwKASGVs\r\nbG8D"),
        ("missing-one-padding", "the one = missing", body_one.rstrip("=")),
        ("missing-two-padding", "both = missing", body_two.rstrip("=")),
        ("partial-padding", "one of two = present", body_two[:-1]),
        ("excess-padding", "an extra = after a complete body", body_one + "="),
        ("padding-block", "a complete body followed by ====", "CwKASGVsbG8D===="),
        ("padding-in-middle", "padding followed by more data", body_two + "CwKASGVsbG8D"),
        ("noncanonical-bits-one-pad", "non-zero unused bits before one =", noncanonical(body_one)),
        ("noncanonical-bits-two-pad", "non-zero unused bits before ==", noncanonical(body_two)),
        ("length-mod-4-is-1", "a body of 4n+1 characters", "CwKASGVsbG8DA"),
        ("single-char", "a one-character body", "C"),
        ("only-padding", "a body of only padding", "===="),
        ("bad-char-dot", "a . in the body", "CwKA.GVsbG8D"),
        ("bad-char-nul", "a NUL character in the body", "CwKA\u0000GVsbG8D"),
        ("percent-encoded-padding", "padding written as %3D", body_one.rstrip("=") + "%3D"),
        ("leading-padding", "a = before the data", "=" + body_one[1:]),
        ("trailing-space", "a space after the padding", body_one + " "),
        ("nbsp-inside", "a no-break space inside the body", "CwKA\u00a0SGVsbG8D"),
        ("fullwidth-letters", "fullwidth look-alike letters", "\uff23\uff57KASGVsbG8D"),
    ]:
        reqs = [B64B, B[5]] + ([B64A] if name.startswith(("missing", "partial", "excess",
                                                           "noncanonical")) else [])
        b64_neg.append(bad(f"b64-{name}", reqs, f"base64 body with {desc}",
                           PREFIX + body, "invalid_base64"))
    cite(dgold, {
        # a complete stream: the complements of brotli-empty-body, brotli-truncated-last-byte
        # and brotli-truncated-metadata-only; metadata with its reserved bit clear
        "brotli-decode-empty": [B[6]],
        "brotli-decode-hello": [B[6]],
        "brotli-decode-metadata-blocks": [B[6]],
        "brotli-decode-control-chars": [B[9]],
    })
    cite(stream_neg, {
        # the wire form: one complete stream, UTF-8, nothing between or after
        "brotli-prefix-space-before-data": [B[1]],
        "brotli-truncated-last-byte": [B[1]],
        "brotli-trailing-second-stream": [B[1]],
        "brotli-utf8-latin1": [B[1]],
        # streams one field away from valid ones are not accepted
        "brotli-corrupt-padding-bits": [B[4]],
        "brotli-corrupt-exuberant-nibble": [B[4]],
        "brotli-corrupt-metadata-reserved-bit": [B[4]],
    })
    cite(b64_neg, {"b64-trailing-newline": [B[1]]})
    return [
        ("brotli/encode.yaml", "brotli",
         "Brotli encoder goldens, byte-identical to upstream m2m-protocol 0.4.0 (quality 11, lgwin 22); "
         "captured with `m2m compress -a brotli` and re-checked against the C brotli 1.0.9 CLI "
         "(vectors/tools/gen_wire_vectors.py, wire-goldens.json)", {}, encode),
        ("brotli/decode.yaml", "brotli",
         "Brotli decoder goldens: upstream encodings, hand-assembled uncompressed streams and C brotli "
         "streams with other parameters", {}, dgold + b64_pos),
        ("brotli/stream-errors.yaml", "brotli",
         "Brotli decoder negatives: wrong prefix, empty, truncated, corrupt and trailing bytes, "
         "invalid UTF-8",
         {trail: "upstream m2m-protocol 0.4.0 stops reading at the end of the Brotli stream and "
                 "silently ignores any bytes after it (BrotliCodec::decompress_bytes uses read_to_end "
                 "on a Decompressor)",
          PAD: "brotli-decompressor 4.0.3, which upstream m2m-protocol 0.4.0 uses, detects non-zero "
               "padding bits after the last meta-block but loses that error when it still has output "
               "to flush in the same call, so upstream returns the text",
          UNCLASSIFIED: UNCLASSIFIED_MEANING},
         tolerate_unclassified(stream_neg)),
        ("brotli/base64-errors.yaml", "brotli",
         "Base64 body negatives: only canonical, padded, standard-alphabet base64 is accepted", {},
         b64_neg),
    ]


def varint_files():
    V = {i: f"WIRE-VARINT-{i:03d}" for i in range(1, 8)}
    upstream_tests = {0, 1, 127, 128, 300}
    enc, dec_ok, dec_bad = [], [], []
    values = [0, 1, 127, 128, 255, 300, 12345, 15496, 16383, 16384, 100000, 624485, 2097151,
              2097152, 268435455, 268435456, 4294967295]
    for v in values:
        conf = UPT if v in upstream_tests else SC
        h = leb128(v).hex()
        enc.append(case(f"varint-encode-{v}", [V[1], V[2]], f"{v} encodes minimally as {h}",
                        "wire.varint.encode", {"value": v}, {"ok": {"hex": h}}, confirmed_by=conf))
    enc.append(case("varint-encode-2-pow-32", [V[2]],
                    "2^32, one above the largest 5-byte value, has no varint: bad_args",
                    "wire.varint.encode", {"value": 1 << 32}, err("bad_args"),
                    confirmed_by="spec"))
    for v in [0, 1, 127, 128, 300, 16384, 2097152, 268435456, 4294967295]:
        h = leb128(v).hex()
        dec_ok.append(case(f"varint-decode-{v}", [V[1]], f"{h} decodes to {v}",
                           "wire.varint.decode", {"hex": h},
                           {"ok": {"value": v, "consumed": len(h) // 2}},
                           confirmed_by=UPT if v in upstream_tests else SC))

    def d(id, reqs, desc, hexs, flags=None):
        data = bytes.fromhex(hexs.replace(" ", ""))
        want = spec_varint_decode(data)
        lenient = None
        result = None
        if want[0] == "ok":
            expect = {"ok": {"value": want[1], "consumed": want[2]}}
        else:
            expect = err(want[1])
            up = upstream_varint_decode(data)
            if up != want:
                result = "acceptable"
                lenient = ({"ok": {"value": up[1], "consumed": up[2]}} if up[0] == "ok"
                           else err(up[1]))
                assert flags, id
        if flags and flags != [NEAR_MISS]:
            assert result == "acceptable", id
        return case(id, reqs, desc, "wire.varint.decode", {"hex": hexs}, expect, result=result,
                    lenient=lenient, flags=flags, confirmed_by=SC)

    LONG, TRUNC32 = "UPSTREAM_VARINT_UP_TO_10_BYTES", "UPSTREAM_VARINT_ABOVE_U32"
    dec_ok += [
        d("varint-decode-trailing-bytes", [V[1], V[7]], "12345 followed by two more bytes consumes 2",
          "b960 0102"),
        d("varint-decode-stops-at-first", [V[7]], "two varints back to back: only the first is read",
          "ac02 ac02"),
        d("varint-decode-then-truncated", [V[7]],
          "7f then a lone 80: the incomplete second varint is not part of the first",
          "7f 80", [NEAR_MISS]),
        d("varint-decode-nonminimal-zero-2", [V[6]], "80 00 is a non-minimal zero", "8000"),
        d("varint-decode-nonminimal-127", [V[6]], "ff 00 is a non-minimal 127", "ff00"),
        d("varint-decode-nonminimal-300", [V[6]], "ac 82 00 is a non-minimal 300", "ac8200"),
        d("varint-decode-nonminimal-zero-5", [V[6], V[3]], "five bytes encoding zero", "8080808000"),
        d("varint-decode-nonminimal-one-5", [V[6], V[3]], "five bytes encoding one", "8180808000"),
        d("varint-decode-max-5-bytes", [V[3], V[5]], "ff ff ff ff 0f is u32::MAX, the largest value",
          "ffffffff0f"),
    ]
    for hexs, desc in [("", "empty input"), ("80", "one byte with the continuation bit"),
                       ("ff", "ff alone"), ("fe", "fe alone"), ("8080", "two continued bytes"),
                       ("8181", "two continued bytes with data bits"),
                       ("ffffff", "three continued bytes"),
                       ("80808080", "four continued zero groups"),
                       ("ffffffff", "four continued bytes (a 5th is needed)"),
                       ("ac", "the first byte of 300's encoding"),
                       ("b9", "the first byte of 12345's encoding")]:
        dec_bad.append(d(f"varint-truncated-{hexs or 'empty'}", [V[4]],
                         f"input ends inside a varint: {desc}", hexs))
    dec_bad += [
        d("varint-too-long-5-continued", [V[3]], "five bytes, all continued, and nothing after",
          "8080808080", [LONG]),
        d("varint-too-long-ff-5", [V[3]], "ff ff ff ff ff", "ffffffffff", [LONG]),
        d("varint-too-long-5th-byte-8f", [V[3]], "a 5th byte 8f: continued, whatever its value",
          "ffffffff8f", [LONG]),
        d("varint-too-long-6-bytes-zero", [V[3], V[6]], "a six-byte encoding of zero",
          "808080808000", [LONG]),
        d("varint-too-long-6-bytes-max", [V[3]], "a six-byte encoding whose low 32 bits are all ones",
          "ffffffffff0f", [LONG]),
        d("varint-too-long-10-bytes", [V[3]], "ten bytes, the most upstream accepts",
          "80808080808080808001", [LONG]),
        d("varint-too-long-11-bytes", [V[3]], "eleven bytes, rejected by upstream too",
          "8080808080808080808001"),
        d("varint-overflow-2-pow-32", [V[5]], "2^32 in five bytes", "8080808010", [TRUNC32]),
        d("varint-overflow-low-ones", [V[5]], "2^32 + 2^28 - 1", "ffffffff10", [TRUNC32]),
        d("varint-overflow-1f", [V[5]], "a 5th byte 1f", "ffffffff1f", [TRUNC32]),
        d("varint-overflow-7f", [V[5]], "a 5th byte 7f, 35 bits set", "ffffffff7f", [TRUNC32]),
        d("varint-overflow-high-bit-only", [V[5]], "only bit 34 set", "8080808040", [TRUNC32]),
        d("varint-overflow-bit-33", [V[5]], "only bit 33 set", "8080808020", [TRUNC32]),
        d("varint-overflow-trailing", [V[5]], "an overflowing varint followed by more bytes",
          "ffffffff10 00", [TRUNC32]),
        d("varint-too-long-6-continued", [V[3]], "six continued bytes", "808080808080", [LONG]),
        d("varint-too-long-then-terminator", [V[3]], "five continued bytes then a terminator",
          "ffffffffff01", [LONG]),
    ]
    cite(dec_ok, {
        # the input ends right after the terminating byte: complements of the truncation cases
        # varint-truncated-empty, -80, -ff, -ac and -ffffffff
        "varint-decode-0": [V[4]],
        "varint-decode-nonminimal-zero-2": [V[4]],
        "varint-decode-nonminimal-127": [V[4]],
        "varint-decode-300": [V[4]],
        "varint-decode-max-5-bytes": [V[4]],
    })
    # the byte after an overflowing varint is not read into it
    cite(dec_bad, {"varint-overflow-trailing": [V[7]]})
    return [
        ("varint/varint.yaml", "varint",
         "Unsigned LEB128 varints limited to 32 bits: encode and decode goldens, non-minimal forms, "
         "truncation, length and overflow",
         {LONG: "upstream m2m-protocol 0.4.0 reads varints of up to 10 bytes into a u64 "
                "(src/codec/m2m/varint.rs): a longer-than-5-byte varint decodes, and one whose "
                "input ends before upstream's 10-byte limit is reported as truncated",
          TRUNC32: "upstream m2m-protocol 0.4.0's varint reader returns values above u32::MAX as "
                   "a u64 instead of rejecting them (its frame decoder then keeps the low 32 bits)",
          NEAR_MISS: NEAR_MISS_MEANING},
         enc + dec_ok + dec_bad),
    ]


def limits_files(goldens):
    L = {i: f"WIRE-LIMIT-{i:03d}" for i in range(1, 8)}
    NL = NO_LIMIT
    a16 = golden_wire(goldens, "a-16mib")
    a16p1 = golden_wire(goldens, "a-16mib-plus-1")
    bomb = golden_wire(goldens, "a-64mib")
    w2, t2, n1, n = two_block_wire("0123456789abcdef", 1365, 93)
    ff10 = brotli_wire(uncompressed_stream(b"\xff" * 10))

    def lim(id, reqs, desc, args, expect, lenient=None, confirmed=UP, flags=None):
        acceptable = "error" in expect
        return case(id, reqs, desc, "wire.decompress", args, expect,
                    result="acceptable" if acceptable else None, lenient=lenient,
                    flags=(flags or [NL]) if acceptable else None, confirmed_by=confirmed)

    cases = [
        lim("limit-message-at-default", [L[1]], "a 16 MiB passthrough message is accepted",
            {"wire": rep("a", LIMIT)}, ok_text(rep("a", LIMIT))),
        lim("limit-message-over-default", [L[1], L[2]],
            "a passthrough message of 16 MiB + 1 byte is rejected",
            {"wire": rep("a", LIMIT + 1)}, err("message_too_large"), ok_text(rep("a", LIMIT + 1))),
        lim("limit-message-over-default-brotli", [L[2]],
            "a Brotli message over 16 MiB is rejected before its body is decoded",
            {"wire": cat(PREFIX, rep("AAAA", 4194301))}, err("message_too_large"),
            confirmed="spec"),
        lim("limit-message-override-at", [L[1], L[2], L[5]], "max_message_bytes 12 accepts 12 bytes",
            {"wire": "Hello, world", "max_message_bytes": 12}, ok_text("Hello, world")),
        lim("limit-message-override-over", [L[2], L[5]], "max_message_bytes 11 rejects 12 bytes",
            {"wire": "Hello, world", "max_message_bytes": 11}, err("message_too_large"),
            ok_text("Hello, world")),
        lim("limit-message-counts-bytes-at", [L[1], L[5]],
            "six two-byte characters are 12 bytes: accepted at 12",
            {"wire": "éééééé", "max_message_bytes": 12}, ok_text("éééééé")),
        lim("limit-message-counts-bytes-over", [L[1], L[2], L[5]],
            "six two-byte characters are 12 bytes, not 6: rejected at 11",
            {"wire": "éééééé", "max_message_bytes": 11}, err("message_too_large"),
            ok_text("éééééé")),
        lim("limit-message-brotli-over", [L[2], L[5]],
            "the limit counts the whole wire string, prefix included",
            {"wire": HELLO_WIRE, "max_message_bytes": len(HELLO_WIRE) - 1},
            err("message_too_large"), ok_text("Hello")),
        lim("limit-message-brotli-at", [L[1], L[5]], "a Brotli string exactly at the limit decodes",
            {"wire": HELLO_WIRE, "max_message_bytes": len(HELLO_WIRE)}, ok_text("Hello")),
        lim("limit-message-checked-first", [L[2], "WIRE-BROTLI-011"],
            "an oversized message is message_too_large even when its base64 is also bad",
            {"wire": PREFIX + "!!!!", "max_message_bytes": len(PREFIX) + 3},
            err("message_too_large"), err("invalid_base64")),
        lim("limit-message-override-raise", [L[5]],
            "max_message_bytes above 16 MiB lets a larger message through",
            {"wire": rep("a", LIMIT + 1), "max_message_bytes": LIMIT + 1},
            ok_text(rep("a", LIMIT + 1))),
        lim("limit-decompressed-at-default", [L[3]], "a stream expanding to exactly 16 MiB decodes",
            {"wire": a16}, ok_text(rep("a", LIMIT))),
        lim("limit-decompressed-over-default", [L[3], L[4]],
            "a stream expanding to 16 MiB + 1 byte is rejected",
            {"wire": a16p1}, err("decompressed_too_large"), ok_text(rep("a", LIMIT + 1))),
        lim("limit-decompression-bomb", [L[4]],
            f"a {len(bomb)}-byte message expanding to 64 MiB is stopped",
            {"wire": bomb}, err("decompressed_too_large")),
        lim("limit-decompression-bomb-small-limit", [L[4], L[5]],
            "the same bomb against a 1 KiB limit",
            {"wire": bomb, "max_decompressed_bytes": 1024}, err("decompressed_too_large")),
        lim("limit-decompressed-override-at", [L[3], L[4], L[5]], "max_decompressed_bytes 5 accepts Hello",
            {"wire": HELLO_WIRE, "max_decompressed_bytes": 5}, ok_text("Hello")),
        lim("limit-decompressed-override-over", [L[4], L[5]],
            "max_decompressed_bytes 4 rejects Hello",
            {"wire": HELLO_WIRE, "max_decompressed_bytes": 4}, err("decompressed_too_large"),
            ok_text("Hello")),
        lim("limit-decompressed-zero-empty", [L[3], L[5]], "a limit of 0 accepts the empty text",
            {"wire": golden_wire(goldens, "empty"), "max_decompressed_bytes": 0}, ok_text("")),
        lim("limit-decompressed-zero-over", [L[4], L[5]], "a limit of 0 rejects one byte",
            {"wire": brotli_wire(uncompressed_stream(b"a")), "max_decompressed_bytes": 0},
            err("decompressed_too_large"), ok_text("a"), confirmed=SC),
        lim("limit-decompressed-uncompressed-at", [L[3], L[5]],
            f"{n} bytes of uncompressed meta-blocks at a limit of {n}",
            {"wire": w2, "max_decompressed_bytes": n}, ok_text(t2), confirmed=SC),
        lim("limit-decompressed-uncompressed-over", [L[4], L[5]],
            f"{n} bytes of uncompressed meta-blocks at a limit of {n - 1}",
            {"wire": w2, "max_decompressed_bytes": n - 1}, err("decompressed_too_large"),
            ok_text(t2), confirmed=SC),
        lim("limit-decompressed-before-trailing", [L[4], "WIRE-BROTLI-011"],
            "the limit is enforced while decompressing, before the trailing-bytes check",
            {"wire": brotli_wire(uncompressed_stream(b"Hello") + b"\x00"),
             "max_decompressed_bytes": 4}, err("decompressed_too_large"), ok_text("Hello"),
            flags=[NL, "UPSTREAM_IGNORES_TRAILING_BROTLI_BYTES"], confirmed=SC),
        lim("limit-decompressed-before-utf8", [L[4], "WIRE-BROTLI-011"],
            "the limit is enforced while decompressing, before the UTF-8 check",
            {"wire": ff10, "max_decompressed_bytes": 5}, err("decompressed_too_large"),
            err("invalid_utf8"), confirmed=SC),
        lim("limit-message-zero", [L[2], L[5]], "max_message_bytes 0 rejects a one-byte message",
            {"wire": "a", "max_message_bytes": 0}, err("message_too_large"), ok_text("a")),
        lim("limit-message-multibyte-boundary", [L[2], L[5]],
            "a limit that falls inside a three-byte character",
            {"wire": "日本語", "max_message_bytes": 8}, err("message_too_large"), ok_text("日本語")),
        lim("limit-message-checked-before-decompressed", [L[2], L[4], L[5]],
            "with both limits exceeded, message_too_large is reported",
            {"wire": HELLO_WIRE, "max_message_bytes": len(HELLO_WIRE) - 1,
             "max_decompressed_bytes": 4}, err("message_too_large"), ok_text("Hello")),
        lim("limit-message-small-wire-large-output", [L[2], L[5]],
            "the message limit counts the wire string, not its 16 MiB output",
            {"wire": a16, "max_message_bytes": len(a16) - 1}, err("message_too_large"),
            ok_text(rep("a", LIMIT))),
        lim("limit-decompressed-one-below-16mib", [L[4], L[5]],
            "a 16 MiB output against a limit one byte smaller",
            {"wire": a16, "max_decompressed_bytes": LIMIT - 1}, err("decompressed_too_large"),
            ok_text(rep("a", LIMIT))),
        lim("limit-decompressed-1mib-below", [L[4], L[5]],
            "the 1 MiB golden against a limit one byte smaller",
            {"wire": golden_wire(goldens, "hex-1mib"), "max_decompressed_bytes": MIB - 1},
            err("decompressed_too_large"), ok_text(ENCODE_INPUTS["hex-1mib"])),
        lim("limit-decompressed-first-block-boundary", [L[4], L[5]],
            f"a limit equal to the first of two uncompressed meta-blocks ({n1} bytes)",
            {"wire": w2, "max_decompressed_bytes": n1}, err("decompressed_too_large"),
            ok_text(t2), confirmed=SC),
        lim("limit-decompressed-override-raise", [L[5]],
            "max_decompressed_bytes above 16 MiB lets a larger output through",
            {"wire": a16p1, "max_decompressed_bytes": LIMIT + 1}, ok_text(rep("a", LIMIT + 1))),
        lim("limit-decompressed-not-for-passthrough", [L[6]],
            "passthrough output is not subject to the decompressed-size limit",
            {"wire": "Hello, world", "max_decompressed_bytes": 1}, ok_text("Hello, world")),
        lim("limit-passthrough-message-limit-applies", [L[6], L[2], L[5]],
            "passthrough is still bounded by the message-size limit, whatever the other limit",
            {"wire": "Hello, world", "max_message_bytes": 11, "max_decompressed_bytes": 1000},
            err("message_too_large"), ok_text("Hello, world")),
        lim("limit-decompressed-applies-to-brotli", [L[6], L[4], L[5]],
            "the limit that passthrough ignores applies to the output of a Brotli decompression",
            {"wire": HELLO_WIRE, "max_decompressed_bytes": 1}, err("decompressed_too_large"),
            ok_text("Hello")),
    ]
    return [
        ("limits/limits.yaml", "limits",
         "Message and decompressed-size limits (16 MiB by default, overridable per op)",
         {NL: NO_LIMIT_MEANING,
          "UPSTREAM_IGNORES_TRAILING_BROTLI_BYTES": "upstream m2m-protocol 0.4.0 ignores bytes "
              "after the end of a Brotli stream"},
         cases),
    ]


def testee_files():
    probe = "testee.unimplemented"
    cases = [
        case("testee-unknown-op-unsupported", ["TESTEE-OPS-002"],
             f"an op the testee does not implement ({probe}, reserved) is answered unsupported",
             probe, {}, {"unsupported": True}, result="valid", confirmed_by="spec"),
        case("testee-args-missing-field", ["TESTEE-ERR-003", "TESTEE-ERR-001"], "wire.decompress without `wire`",
             "wire.decompress", {}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-wrong-type-string", ["TESTEE-ERR-003", "TESTEE-ERR-001"], "wire.detect with a number as `wire`",
             "wire.detect", {"wire": 42}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-wrong-type-null", ["TESTEE-ERR-003", "TESTEE-ERR-001"], "wire.compress with a null `input`",
             "wire.compress", {"algorithm": "brotli", "input": None}, err("bad_args"),
             confirmed_by="spec"),
        case("testee-args-unknown-algorithm", ["TESTEE-ERR-003", "TESTEE-ERR-001"],
             "wire.compress with an algorithm outside the enumeration", "wire.compress",
             {"algorithm": "lzma", "input": "x"}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-algorithm-case", ["TESTEE-ERR-003", "TESTEE-ERR-001"],
             "algorithm names are lower case: BROTLI is not brotli", "wire.compress",
             {"algorithm": "BROTLI", "input": "x"}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-varint-too-large", ["TESTEE-ERR-003", "TESTEE-ERR-001", "WIRE-VARINT-001"],
             "wire.varint.encode of 2^32 (outside u32)", "wire.varint.encode",
             {"value": 4294967296}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-varint-negative", ["TESTEE-ERR-003", "TESTEE-ERR-001"], "wire.varint.encode of -1",
             "wire.varint.encode", {"value": -1}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-varint-string", ["TESTEE-ERR-003", "TESTEE-ERR-001"], "wire.varint.encode of the string \"1\"",
             "wire.varint.encode", {"value": "1"}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-hex-odd", ["TESTEE-ERR-003", "TESTEE-ERR-001", "TESTEE-OPS-003"], "hex with an odd number of digits",
             "wire.varint.decode", {"hex": "abc"}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-hex-not-hex", ["TESTEE-ERR-003", "TESTEE-ERR-001", "TESTEE-OPS-003"], "hex with a non-hex digit",
             "wire.varint.decode", {"hex": "zz"}, err("bad_args"), confirmed_by="spec"),
        case("testee-hex-spaces-and-case", ["TESTEE-OPS-003"],
             "hex may contain spaces and upper-case digits", "wire.varint.decode",
             {"hex": "AC 02"}, {"ok": {"value": 300, "consumed": 2}}, confirmed_by="spec"),
        case("testee-args-limit-negative", ["TESTEE-ERR-003", "TESTEE-ERR-001", "WIRE-LIMIT-005"],
             "a negative max_decompressed_bytes", "wire.decompress",
             {"wire": "x", "max_decompressed_bytes": -1}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-limit-string", ["TESTEE-ERR-003", "TESTEE-ERR-001", "WIRE-LIMIT-005"],
             "max_message_bytes given as a string", "wire.decompress",
             {"wire": "x", "max_message_bytes": "16"}, err("bad_args"), confirmed_by="spec"),
        case("testee-args-unknown-field-ignored", ["TESTEE-ERR-004"],
             "an args field the op does not define is ignored", "wire.detect",
             {"wire": "x", "future_option": True}, {"ok": {"format": "passthrough"}},
             confirmed_by="spec"),
        # An op the testee implements is never unsupported because of its arguments.
        case("testee-implemented-op-bad-args", ["TESTEE-OPS-002", "TESTEE-ERR-003", "TESTEE-ERR-001"],
             "an implemented op with malformed args answers bad_args, not unsupported",
             "wire.varint.decode", {}, err("bad_args"), confirmed_by="spec"),
    ]
    # The well-formed counterparts of the bad_args probes: the same op with the field present,
    # of the right type, in range and in the enumeration succeeds.
    E = ["TESTEE-ERR-003", "TESTEE-ERR-001"]
    cases += [
        case("testee-args-field-present", E, "wire.decompress with `wire` (the empty string)",
             "wire.decompress", {"wire": ""}, ok_text(""), confirmed_by="spec"),
        case("testee-args-right-type-string", E, "wire.detect with the string \"42\" as `wire`",
             "wire.detect", {"wire": "42"}, {"ok": {"format": "passthrough"}},
             confirmed_by="spec"),
        case("testee-args-known-algorithm", E,
             "wire.compress with the lower-case algorithm none and a string `input`",
             "wire.compress", {"algorithm": "none", "input": "x"}, {"ok": {"wire": "x"}},
             confirmed_by="spec"),
        case("testee-args-varint-max", E + ["WIRE-VARINT-001"],
             "wire.varint.encode of 2^32-1, the largest value in range", "wire.varint.encode",
             {"value": 4294967295}, {"ok": {"hex": "ffffffff0f"}}, confirmed_by="spec"),
        case("testee-args-varint-zero", E, "wire.varint.encode of 0, the smallest value in range",
             "wire.varint.encode", {"value": 0}, {"ok": {"hex": "00"}}, confirmed_by="spec"),
        case("testee-args-hex-even", E, "hex with an even number of hex digits",
             "wire.varint.decode", {"hex": "ac02"}, {"ok": {"value": 300, "consumed": 2}},
             confirmed_by="spec"),
        case("testee-args-limit-zero", E + ["WIRE-LIMIT-005"],
             "max_decompressed_bytes 0 is a valid limit (it does not bound passthrough)",
             "wire.decompress", {"wire": "x", "max_decompressed_bytes": 0}, ok_text("x"),
             confirmed_by="spec"),
        case("testee-args-limit-number", E + ["WIRE-LIMIT-005"],
             "max_message_bytes given as a number", "wire.decompress",
             {"wire": "x", "max_message_bytes": 16}, ok_text("x"), confirmed_by="spec"),
    ]
    return [("testee/protocol.yaml", "testee",
             "Testee protocol probes: unsupported ops and malformed args", {}, cases)]


HEADER = "GENERATED by vectors/tools/gen_wire_vectors.py; edit the generator, not this file."


def render(spec: str, description: str, flags: dict, cases: list) -> str:
    doc = {"suite": "m2m-conformance", "schema_version": 1, "spec": spec, "description": description}
    if flags:
        doc["flags"] = flags
    doc["cases"] = cases
    return render_file(doc, HEADER)


def all_files(goldens):
    files = (detection_files() + brotli_files(goldens) + varint_files() + limits_files(goldens)
             + testee_files())
    for _, _, _, _, cases in files:
        for c in cases:
            # On an `acceptable` case upstream gives the tolerated answer, so upstream confirms
            # `lenient`, never `expect`: the strict expectation (the error class a cited
            # WIRE-BROTLI-* / WIRE-LIMIT-* requirement names) follows from the spec text.
            # `m2m-conformance lint` fails any upstream-labelled case upstream does not pass.
            if c["result"] == "acceptable" and c.get("confirmed_by") in (UP, UPT):
                c["confirmed_by"] = "spec"
    return files


# --------------------------------------------------------------------------------------------
# Checks against implementations
# --------------------------------------------------------------------------------------------


def outcome_matches(want: dict, got: dict, class_exact: bool = True) -> bool:
    if "ok" in want:
        return "ok" in got and expand(want["ok"]) == got["ok"]
    if "error" in want:
        return "error" in got and (not class_exact or got["error"].get("class") == want["error"])
    return "unsupported" in got


def run_reference(files, binary: str) -> int:
    proc = subprocess.Popen([binary, "serve-testee"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, encoding="utf-8")
    failures = 0
    total = 0
    for path, _, _, _, cases in files:
        for c in cases:
            total += 1
            req = {"id": c["id"], "op": c["op"], "args": expand(c["input"])}
            proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
            proc.stdin.flush()
            resp = json.loads(proc.stdout.readline())
            if resp.get("id") != c["id"] or not outcome_matches(c["expect"], resp):
                failures += 1
                shown = json.dumps(resp, ensure_ascii=False)
                print(f"REFERENCE MISMATCH {path} {c['id']}: expected {c['expect']}, got "
                      f"{shown[:300]}", file=sys.stderr)
    proc.stdin.close()
    proc.wait()
    print(f"reference: {total - failures}/{total} cases as expected", file=sys.stderr)
    return failures


def run_upstream(files, binary: str) -> int:
    """Run wire.* cases through the upstream CLI. Upstream errors carry no class, so only
    'error or not' is compared for errors. Upstream ignores limit args; for acceptable cases
    with a lenient outcome, the lenient outcome is what upstream must produce."""
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        dst = Path(tmp) / "out"
        for path, _, _, _, cases in files:
            if path.startswith("testee/"):
                continue
            for c in cases:
                args = expand(c["input"])
                if c["op"] == "wire.compress" and args.get("algorithm") in ("none", "brotli") \
                        and isinstance(args.get("input"), str):
                    src.write_bytes(args["input"].encode())
                    cmd = [binary, "compress", "-a", args["algorithm"], "-f", str(src), "-o",
                           str(dst)]
                    key = "wire"
                elif c["op"] in ("wire.decompress", "wire.detect") and isinstance(args.get("wire"),
                                                                                   str):
                    src.write_bytes(args["wire"].encode())
                    cmd = [binary, "decompress", "-f", str(src), "-o", str(dst)]
                    key = "text"
                else:
                    continue
                if dst.exists():
                    dst.unlink()
                r = subprocess.run(cmd, capture_output=True)
                checked += 1
                if c["op"] == "wire.detect":
                    passthrough = b"does not appear to be in M2M format" in r.stderr
                    want = c["expect"]["ok"]["format"] == "passthrough"
                    good = passthrough == want
                    got = {"passthrough": passthrough}
                else:
                    got = ({"ok": {key: dst.read_bytes().decode()}} if r.returncode == 0
                           else {"error": {"class": "?", "message": r.stderr.decode()[:200]}})
                    target = c.get("lenient", c["expect"])
                    good = outcome_matches(target, got, class_exact=False)
                    if c["result"] == "acceptable" and "lenient" not in c:
                        good = True  # anything non-broken is tolerated
                if not good:
                    failures += 1
                    print(f"UPSTREAM MISMATCH {path} {c['id']}: expected "
                          f"{c.get('lenient', c['expect'])}, got {str(got)[:300]}",
                          file=sys.stderr)
    print(f"upstream: {checked - failures}/{checked} cases as expected", file=sys.stderr)
    return failures


def self_check(files) -> None:
    """Independent consistency checks of the expectations computed here."""
    for path, _, _, _, cases in files:
        for c in cases:
            if c["op"] == "wire.varint.encode" and "ok" in c["expect"]:
                v = c["input"]["value"]
                assert spec_varint_decode(bytes.fromhex(c["expect"]["ok"]["hex"])) == \
                    ("ok", v, len(c["expect"]["ok"]["hex"]) // 2), c["id"]
    # WIRE-VARINT-001 examples, also asserted by upstream 0.4.0's own tests.
    assert leb128(0) == b"\x00" and leb128(1) == b"\x01" and leb128(127) == b"\x7f"
    assert leb128(128) == b"\x80\x01" and leb128(300) == b"\xac\x02"
    assert [len(leb128(v)) for v in (0, 127, 128, 16383, 16384)] == [1, 1, 2, 2, 3]
    assert uncompressed_stream(b"Hello") == bytes.fromhex("0b028048656c6c6f03")


def must_requirements(chapters) -> set:
    """The MUST requirements of `chapters` that vectors check (not harness-enforced), read from
    spec/requirements.yaml (generated; one `- id:` block per requirement)."""
    reqs, cur = set(), None
    for line in (ROOT / "spec" / "requirements.yaml").read_text().splitlines():
        if line.startswith("- id: "):
            cur = {"id": line[6:].strip()}
        elif cur is not None and line.startswith("  ") and ":" in line:
            key, _, value = line.strip().partition(":")
            cur[key] = value.strip()
            if key == "summary" and cur.get("chapter") in chapters and cur.get("level") == "MUST" \
                    and cur.get("harness") != "true":
                reqs.add(cur["id"])
    return reqs


def polarity_check(files) -> None:
    """Every MUST of the chapters generated here that the cases cite has a positive case
    (`valid`) and a negative one (`invalid`, `acceptable`, or `valid` flagged NEAR_MISS), as
    `m2m-conformance coverage` counts them."""
    chapters = {spec for _, spec, _, _, _ in files}
    musts = must_requirements(chapters)
    pos, neg = set(), set()
    for _, _, _, _, cases in files:
        for c in cases:
            near = c["result"] == "valid" and NEAR_MISS in c.get("flags", [])
            (pos if c["result"] == "valid" and not near else neg).update(c["reqs"])
    one_sided = sorted(r for r in musts & (pos | neg) if (r in pos) != (r in neg))
    if one_sided:
        sys.exit("MUST requirements with cases of one polarity only: " + ", ".join(one_sided))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the files on disk")
    ap.add_argument("--capture", action="store_true", help="re-capture wire-goldens.json")
    ap.add_argument("--upstream", action="store_true", help="check cases against upstream")
    ap.add_argument("--reference", action="store_true", help="check cases against m2m-ref")
    opts = ap.parse_args()
    upstream = find_upstream()
    if opts.capture:
        if not upstream:
            sys.exit("--capture needs the upstream m2m CLI ($M2M_UPSTREAM)")
        capture(upstream)
    goldens = load_goldens()
    files = all_files(goldens)
    self_check(files)
    polarity_check(files)
    status = 0
    total = negative = near = 0
    for path, spec, description, flags, cases in files:
        text = render(spec, description, flags, cases)
        target = VECTORS / path
        if opts.check:
            if not target.exists() or target.read_text() != text:
                print(f"STALE {path}", file=sys.stderr)
                status = 1
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        try:  # optional: prove the YAML parses back to the same data
            import yaml  # type: ignore
            assert yaml.safe_load(text)["cases"] == cases, path
        except ImportError:
            pass
        if not path.startswith("testee/"):
            total += len(cases)
            negative += sum(c["result"] != "valid" for c in cases)
            near += sum(NEAR_MISS in c.get("flags", []) for c in cases)
    print(f"{total} wire cases ({negative} invalid/acceptable, {total - negative} valid, of which "
          f"{near} near misses) + {len(testee_files()[0][4])} testee cases", file=sys.stderr)
    if opts.upstream:
        if not upstream:
            sys.exit("--upstream needs the upstream m2m CLI ($M2M_UPSTREAM)")
        status |= 1 if run_upstream(files, upstream) else 0
    if opts.reference:
        ref = os.environ.get("M2M_REF", str(ROOT / "target" / "debug" / "m2m-ref"))
        status |= 1 if run_reference(files, ref) else 0
    return status


if __name__ == "__main__":
    sys.exit(main())
