#!/usr/bin/env python3
"""Generate the Molt-to-Molt vector files (chapter `molt`, spec/30-molt.md).

Every expected value is computed here, independently of the Rust reference:

* X25519, DER SPKI export/import and AES-256-GCM with the `cryptography` package (OpenSSL), not
  with the Rust crates the reference uses; RFC 7748 section 6.1 supplies the first key pairs;
* the hub, the peer listener and the sender are small Python models written from the spec
  chapter (`HubModel`, `PeerModel`, `sender_model` below), not translated from the Rust code.

`--node` additionally runs every crypto case through `molt_crypto_check.js` (Node's `crypto`
module, called the way the JavaScript agent calls it): valid and invalid cases must come out as
`expect`, acceptable cases as their `lenient` outcome (the JavaScript behaviour).

Usage (from the repository root):

    python3 vectors/tools/gen_molt_vectors.py            # write vectors/molt/*.yaml
    python3 vectors/tools/gen_molt_vectors.py --check    # fail if the files on disk differ
    python3 vectors/tools/gen_molt_vectors.py --node     # also cross-check crypto with node
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat,
                                                          load_der_public_key)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vecwrite import expand_shared, render_file, share_inputs  # noqa: E402  (the one writer)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "vectors" / "molt"
NEAR_MISS = "NEAR_MISS"
NEAR_MISS_MEANING = "the input lies just outside the condition of the cited requirement"

# --------------------------------------------------------------------------------------------
# Crypto (OpenSSL through `cryptography`)
# --------------------------------------------------------------------------------------------


def priv_from(label: str) -> bytes:
    return hashlib.sha256(("molt-key-" + label).encode()).digest()


def pub_of(priv: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def spki_of_pub(pub: bytes) -> str:
    der = X25519PublicKey.from_public_bytes(pub).public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def strict_b64(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except Exception:
        return None
    if base64.b64encode(raw).decode() != text:
        return None
    return raw


def derive(priv: bytes, peer_key: str):
    """-> ('ok', key) | ('err', class)"""
    der = strict_b64(peer_key)
    if der is None:
        return ("err", "invalid_public_key")
    try:
        pk = load_der_public_key(der)
    except Exception:
        return ("err", "invalid_public_key")
    if not isinstance(pk, X25519PublicKey):
        return ("err", "invalid_public_key")
    # Re-encode: the structure must be exactly the canonical 44 bytes.
    if pk.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) != der:
        return ("err", "invalid_public_key")
    try:
        return ("ok", X25519PrivateKey.from_private_bytes(priv).exchange(pk))
    except ValueError:
        return ("err", "low_order_point")


def derive_raw(priv: bytes, pub: bytes):
    try:
        return ("ok", X25519PrivateKey.from_private_bytes(priv).exchange(
            X25519PublicKey.from_public_bytes(pub)))
    except ValueError:
        return ("err", "low_order_point")


def seal(key: bytes, nonce: bytes, pt: bytes, aad: bytes | None = None) -> str:
    ct_tag = AESGCM(key).encrypt(nonce, pt, aad)
    return base64.b64encode(nonce + ct_tag[-16:] + ct_tag[:-16]).decode()


def keys_sorted(v) -> bool:
    if isinstance(v, dict):
        return list(v) == sorted(v) and all(keys_sorted(x) for x in v.values())
    if isinstance(v, list):
        return all(keys_sorted(x) for x in v)
    return True


def encode_payload(p) -> bytes:
    # Vector args reach a testee as parsed JSON, whose object key order is not guaranteed, so
    # payload objects in vectors have their keys in sorted order (the JS sender keeps
    # insertion order; with sorted keys both agree).
    assert keys_sorted(p), p
    if isinstance(p, str):
        return p.encode()
    return json.dumps(p, separators=(",", ":"), ensure_ascii=False).encode()


class Undelivered(Exception):
    pass


def decode_payload(pt: bytes):
    text = pt.decode("utf-8", errors="replace")
    try:
        v = json.loads(text)
    except ValueError:
        return text
    if v is None:
        raise Undelivered()
    return v


def open_blob(key: bytes, blob) -> tuple:
    """-> ('ok', plaintext, payload) | ('err', class)"""
    if not isinstance(blob, str):
        return ("err", "decryption_failed")
    raw = strict_b64(blob)
    if raw is None or len(raw) < 28:
        return ("err", "decryption_failed")
    try:
        pt = AESGCM(key).decrypt(raw[:12], raw[28:] + raw[12:28], None)
    except InvalidTag:
        return ("err", "decryption_failed")
    try:
        return ("ok", pt, decode_payload(pt))
    except Undelivered:
        return ("err", "decryption_failed")


# --------------------------------------------------------------------------------------------
# Case helpers
# --------------------------------------------------------------------------------------------


def case(id, reqs, description, op, input, expect, result=None, lenient=None, flags=None,
         confirmed_by="second-computation"):
    if result is None:
        result = "valid" if "ok" in expect else "invalid"
    c = {"id": id, "reqs": reqs, "description": description, "op": op, "input": input,
         "expect": expect, "result": result}
    if lenient is not None:
        c["lenient"] = lenient
    if flags:
        c["flags"] = flags
    c["confirmed_by"] = confirmed_by
    return c


def ok(v):
    return {"ok": v}


def err(cls):
    return {"error": cls}


# --------------------------------------------------------------------------------------------
# Crypto vectors
# --------------------------------------------------------------------------------------------

RFC_A = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
RFC_B = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
RFC_A_PUB = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
RFC_B_PUB = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
RFC_SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
P25519 = 2**255 - 19
LOW_ORDER = {
    "zero": 0, "one": 1,
    "order8": 325606250916557431795983626356110631294008115727848805560023387167927233504,
    "order8b": 39382357235489614581723060781553021112529911719440698176882885853963445705823,
    "p-minus-1": P25519 - 1, "p": P25519, "p-plus-1": P25519 + 1,
}
ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")
X25519_PREFIX = bytes.fromhex("302a300506032b656e032100")
FLAGS_CRYPTO = {
    NEAR_MISS: NEAR_MISS_MEANING,
    "JS_LENIENT_BASE64": "the JavaScript receiver decodes base64 leniently (Node's decoder accepts "
                        "the URL-safe alphabet, missing padding and stray characters)",
    "JS_LENIENT_SPKI": "Node's DER key import ignores bytes after the SubjectPublicKeyInfo",
    "JS_SHORT_GCM_TAG": "the JavaScript receiver takes the bytes after the nonce as a shortened "
                        "tag when a blob is under 28 bytes, and Node accepts 4-, 8- and 12- to "
                        "15-byte GCM tags",
}


def crypto_cases():
    cases = []
    assert pub_of(RFC_A).hex() == RFC_A_PUB and pub_of(RFC_B).hex() == RFC_B_PUB
    keys = [("rfc7748-alice", RFC_A), ("rfc7748-bob", RFC_B)] + [
        (f"k{i}", priv_from(str(i))) for i in range(1, 10)]
    for name, priv in keys:
        pub = pub_of(priv)
        src = "RFC 7748 section 6.1 key pair" if name.startswith("rfc") else "a fixed key"
        cases.append(case(f"molt-keypair-{name}", ["MOLT-KEY-001", "MOLT-KEY-002"],
                          f"public key and its base64 DER SPKI: {src}", "molt.crypto.keypair",
                          {"private_hex": priv.hex()},
                          ok({"public_hex": pub.hex(), "spki": spki_of_pub(pub)})))
    clamped = bytearray(RFC_A)
    clamped[0] |= 7
    clamped[31] |= 0x80
    cases.append(case("molt-keypair-clamping", ["MOLT-KEY-001", "MOLT-KEY-002"],
                      "private key bits that clamping clears do not change the public key",
                      "molt.crypto.keypair", {"private_hex": bytes(clamped).hex()},
                      ok({"public_hex": RFC_A_PUB, "spki": spki_of_pub(bytes.fromhex(RFC_A_PUB))}),
                      flags=[NEAR_MISS]))

    # derive
    pairs = [("rfc7748-alice-bob", RFC_A, RFC_B), ("rfc7748-bob-alice", RFC_B, RFC_A)] + [
        (f"k{i}-k{i + 1}", priv_from(str(i)), priv_from(str(i + 1))) for i in range(1, 9)]
    for name, a, b in pairs:
        kind, key = derive(a, spki_of_pub(pub_of(b)))
        assert kind == "ok"
        if name.startswith("rfc"):
            assert key.hex() == RFC_SHARED
        cases.append(case(f"molt-derive-{name}", ["MOLT-KEY-003", "MOLT-KEY-004"],
                          "session key = raw X25519 shared secret (no KDF)", "molt.crypto.derive",
                          {"private_hex": a.hex(), "peer_key": spki_of_pub(pub_of(b))},
                          ok({"key_hex": key.hex()})))
    # the top bit of the peer's u-coordinate is ignored (RFC 7748 section 5)
    hb = bytearray(bytes.fromhex(RFC_B_PUB))
    hb[31] |= 0x80
    kind, key = derive_raw(RFC_A, bytes(hb))
    assert kind == "ok" and key.hex() == RFC_SHARED
    cases.append(case("molt-derive-peer-high-bit", ["MOLT-KEY-004"],
                      "a peer key with the top bit set derives the same secret as without it",
                      "molt.crypto.derive",
                      {"private_hex": RFC_A.hex(),
                       "peer_key": base64.b64encode(X25519_PREFIX + bytes(hb)).decode()},
                      ok({"key_hex": key.hex()}), flags=[NEAR_MISS]))
    bpub = bytes.fromhex(RFC_B_PUB)
    bad_keys = [
        ("raw-32", "a raw 32-byte key without the SPKI structure", base64.b64encode(bpub).decode()),
        ("ed25519-spki", "an Ed25519 SPKI (OID 1.3.101.112)",
         base64.b64encode(ED25519_PREFIX + bpub).decode()),
        ("truncated", "the SPKI without its last byte",
         base64.b64encode(X25519_PREFIX + bpub[:31]).decode()),
        ("not-base64", "text that is not base64", "not a key!"),
        ("empty", "the empty string", ""),
        ("wrong-length-field", "an SPKI whose BIT STRING length says 34",
         base64.b64encode(bytes.fromhex("302a300506032b656e032200") + bpub).decode()),
    ]
    for name, what, text in bad_keys:
        assert derive(RFC_A, text) == ("err", "invalid_public_key"), name
        cases.append(case(f"molt-derive-bad-{name}", ["MOLT-KEY-003"],
                          f"peer key rejected: {what}", "molt.crypto.derive",
                          {"private_hex": RFC_A.hex(), "peer_key": text},
                          err("invalid_public_key")))
    extended = base64.b64encode(X25519_PREFIX + bpub + b"\x00").decode()
    assert derive(RFC_A, extended) == ("err", "invalid_public_key")
    cases.append(case("molt-derive-bad-extended", ["MOLT-KEY-003"],
                      "peer key rejected: the SPKI with one extra byte; the JavaScript receiver "
                      "ignores bytes after the DER structure", "molt.crypto.derive",
                      {"private_hex": RFC_A.hex(), "peer_key": extended}, err("invalid_public_key"),
                      result="acceptable", lenient=ok({"key_hex": RFC_SHARED}),
                      flags=["JS_LENIENT_SPKI"]))
    # lenient base64 for keys: the JS decoder accepts a missing padding and URL-safe text
    good = spki_of_pub(bpub)
    for name, text in [("unpadded", good.rstrip("=")),
                       ("with-space", good[:30] + " " + good[30:])]:
        cases.append(case(f"molt-derive-lenient-{name}", ["MOLT-KEY-003"],
                          f"peer key as non-canonical base64 ({name}): rejected; the JavaScript "
                          "receiver decodes it", "molt.crypto.derive",
                          {"private_hex": RFC_A.hex(), "peer_key": text},
                          err("invalid_public_key"), result="acceptable",
                          lenient=ok({"key_hex": RFC_SHARED}), flags=["JS_LENIENT_BASE64"]))
    for name, u in LOW_ORDER.items():
        raw = (u % 2**256).to_bytes(32, "little")
        kind, res = derive_raw(RFC_A, raw)
        assert kind == "err", name
        cases.append(case(f"molt-derive-low-order-{name}", ["MOLT-KEY-005"],
                          f"a low-order peer point (u = {name}) gives an all-zero secret: rejected",
                          "molt.crypto.derive",
                          {"private_hex": RFC_A.hex(),
                           "peer_key": base64.b64encode(X25519_PREFIX + raw).decode()},
                          err("low_order_point")))

    # seal
    key = bytes.fromhex(RFC_SHARED)
    nonces = [bytes(12), bytes(range(12)), bytes.fromhex("ffffffffffffffffffffffff"),
              hashlib.sha256(b"n").digest()[:12]]
    texts = [("empty", ""), ("hi", "hi"), ("sentence", "the quick brown fox jumps over the lazy dog"),
             ("unicode", "h\u00e9llo \u2713 \U0001f600"), ("json-text", "{\"text\":\"hi\"}"),
             ("long", "0123456789abcdef" * 20)]
    sealed = []
    for i, (name, text) in enumerate(texts):
        nonce = nonces[i % len(nonces)]
        blob = seal(key, nonce, text.encode())
        sealed.append((name, text.encode(), blob))
        cases.append(case(f"molt-seal-{name}", ["MOLT-BLOB-001", "MOLT-BLOB-002"],
                          f"seal a text plaintext ({name}) under the RFC 7748 shared key",
                          "molt.crypto.seal",
                          {"key_hex": key.hex(), "nonce_hex": nonce.hex(), "plaintext": text},
                          ok({"blob": blob})))
    payloads = [("object", {"text": "hi"}), ("array", [1, 2]), ("number", 7), ("true", True),
                ("nested", {"a": {"b": [1, "x", None]}, "z": False}), ("string", "hello")]
    for i, (name, p) in enumerate(payloads):
        nonce = nonces[(i + 1) % len(nonces)]
        blob = seal(key, nonce, encode_payload(p))
        cases.append(case(f"molt-seal-payload-{name}", ["MOLT-PAYLOAD-001", "MOLT-BLOB-001"],
                          f"a {name} payload is sealed as its compact JSON text (a string as its "
                          "own bytes)", "molt.crypto.seal",
                          {"key_hex": key.hex(), "nonce_hex": nonce.hex(), "payload": p},
                          ok({"blob": blob})))
    blob = seal(key, nonces[0], b"42")
    cases.append(case("molt-seal-payload-numeric-string", ["MOLT-PAYLOAD-001"],
                      "the string payload \"42\" is sealed as the two bytes 42, not as \"42\" "
                      "with quotes", "molt.crypto.seal",
                      {"key_hex": key.hex(), "nonce_hex": nonces[0].hex(), "payload": "42"},
                      ok({"blob": blob}), flags=[NEAR_MISS]))

    # open
    for name, pt, blob in sealed:
        kind, pt2, payload = open_blob(key, blob)
        cases.append(case(f"molt-open-{name}", ["MOLT-BLOB-003", "MOLT-PAYLOAD-002"],
                          f"open the sealed {name} text", "molt.crypto.open",
                          {"key_hex": key.hex(), "blob": blob},
                          ok({"plaintext_hex": pt.hex(), "payload": payload})))
    typed = [("number", b"42", []), ("object", b"{\"x\":1}", []), ("quoted", b"\"quoted\"", []),
             ("not-json", b"{x", [NEAR_MISS]), ("nul-word", b"nul", [NEAR_MISS]),
             ("invalid-utf8", b"a\xffb", []), ("whitespace-number", b" 7 ", [])]
    for name, pt, flags in typed:
        blob = seal(key, nonces[1], pt)
        kind, _, payload = open_blob(key, blob)
        reqs = ["MOLT-PAYLOAD-002"] + (["MOLT-PAYLOAD-003"] if name == "nul-word" else [])
        cases.append(case(f"molt-open-typed-{name}", reqs,
                          f"plaintext {pt!r} decodes as JSON, else as text", "molt.crypto.open",
                          {"key_hex": key.hex(), "blob": blob},
                          ok({"plaintext_hex": pt.hex(), "payload": payload}), flags=flags))
    for name, pt in [("null", b"null"), ("null-spaced", b" null\n")]:
        blob = seal(key, nonces[2], pt)
        assert open_blob(key, blob) == ("err", "decryption_failed")
        cases.append(case(f"molt-open-{name}", ["MOLT-PAYLOAD-003"],
                          "a plaintext that parses as JSON null is the failure sentinel",
                          "molt.crypto.open", {"key_hex": key.hex(), "blob": blob},
                          err("decryption_failed")))
    base = base64.b64decode(sealed[2][2])

    def flip(i):
        b = bytearray(base)
        b[i] ^= 1
        return base64.b64encode(bytes(b)).decode()
    bad_blobs = [("flip-nonce", "a nonce bit flipped", flip(0)),
                 ("flip-tag", "a tag bit flipped", flip(12)),
                 ("flip-ciphertext", "a ciphertext bit flipped", flip(30)),
                 ("swapped", "tag and ciphertext in the wrong order",
                  base64.b64encode(base[:12] + base[28:] + base[12:28]).decode()),
                 ("wrong-key", "sealed under another key",
                  seal(bytes(32), nonces[0], b"hi")),
                 ("with-aad", "sealed with associated data",
                  seal(key, nonces[0], b"hi", b"message")),
                 ("truncated-27", "a blob cut to 27 bytes", base64.b64encode(base[:27]).decode()),
                 ("empty", "the empty blob", ""),
                 ("short-tag-5", "an empty message with a 5-byte tag (Node rejects that length too)",
                  base64.b64encode(base64.b64decode(seal(key, nonces[0], b""))[:17]).decode())]
    for name, what, blob in bad_blobs:
        assert open_blob(key, blob)[0] == "err", name
        extra = {"with-aad": ["MOLT-BLOB-002"], "swapped": ["MOLT-BLOB-003"]}.get(name, [])
        cases.append(case(f"molt-open-bad-{name}", ["MOLT-BLOB-004"] + extra,
                          f"rejected: {what}", "molt.crypto.open",
                          {"key_hex": key.hex(), "blob": blob}, err("decryption_failed")))
    empty_full = base64.b64decode(seal(key, nonces[0], b""))
    for tag_len in (4, 8, 12, 15):
        blob = base64.b64encode(empty_full[:12 + tag_len]).decode()
        cases.append(case(f"molt-open-short-tag-{tag_len}", ["MOLT-BLOB-005", "MOLT-BLOB-004"],
                          f"an empty message with a {tag_len}-byte tag: rejected; the JavaScript "
                          "receiver delivers \"\"", "molt.crypto.open",
                          {"key_hex": key.hex(), "blob": blob}, err("decryption_failed"),
                          result="acceptable", lenient=ok({"plaintext_hex": "", "payload": ""}),
                          flags=["JS_SHORT_GCM_TAG"]))
    good_blob = sealed[0][2]
    lenient_forms = [("unpadded", good_blob.rstrip("=")),
                     ("urlsafe", base64.urlsafe_b64encode(base64.b64decode(
                         seal(key, bytes.fromhex("fbfffffbfffffbfffffbffff"), b"hi"))).decode())]
    for name, blob in lenient_forms:
        assert open_blob(key, blob)[0] == "err", name
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        pt = AESGCM(key).decrypt(raw[:12], raw[28:] + raw[12:28], None)
        cases.append(case(f"molt-open-lenient-{name}", ["MOLT-BLOB-006", "MOLT-BLOB-001"],
                          f"a {name} base64 blob: rejected; the JavaScript receiver decodes it",
                          "molt.crypto.open", {"key_hex": key.hex(), "blob": blob},
                          err("decryption_failed"), result="acceptable",
                          lenient=ok({"plaintext_hex": pt.hex(), "payload": decode_payload(pt)}),
                          flags=["JS_LENIENT_BASE64"]))
    return cases


# --------------------------------------------------------------------------------------------
# Hub model (from spec/30-molt.md sections 5-7)
# --------------------------------------------------------------------------------------------

START = 1767225600000


def truthy(v) -> bool:
    if v is None or v is False:
        return False
    if isinstance(v, bool):
        return True
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, str):
        return v != ""
    return True


def sqltext(v) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def has_key(caps, k) -> bool:
    if isinstance(caps, list):
        return any(isinstance(e, str) and e == k for e in caps)
    if isinstance(caps, dict):
        return k in caps
    if isinstance(caps, str):
        return caps == k
    return False


def concat(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        m = dict(a)
        m.update(b)
        return m
    la = a if isinstance(a, list) else [a]
    lb = b if isinstance(b, list) else [b]
    return la + lb


def has_nul(v) -> bool:
    if isinstance(v, str):
        return "\0" in v
    if isinstance(v, list):
        return any(has_nul(x) for x in v)
    if isinstance(v, dict):
        return any("\0" in k or has_nul(x) for k, x in v.items())
    return False


class Fault(Exception):
    pass


def page(req, name, default, is_limit):
    v = req.get(name)
    if not truthy(v):
        return default, default
    if isinstance(v, bool):
        if is_limit:
            return 1, 1
        raise Fault()
    if isinstance(v, int) and v >= 0:
        n = v
    elif isinstance(v, str) and v.strip().isdigit():
        n = int(v.strip())
    else:
        raise Fault()
    if is_limit:
        n = min(n, 500)
        return n, n
    return n, v


# The reference hub's limits and retention (spec/30-molt.md, MOLT-HUB-060 … MOLT-HUB-062).
MAX_REGISTRATIONS_PER_CONN = 16
MAX_METADATA_BYTES = 64 * 1024
RETENTION_MS = 7 * 24 * 3600 * 1000


def json_len(v) -> int:
    """Bytes of compact JSON as serde_json writes it (UTF-8, no ASCII escaping)."""
    return len(json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


class HubModel:
    def __init__(self, start):
        self.rows = []          # dicts, registration order
        self.start = start
        self.next_pass = start + 30000
        self.conns = {}         # name -> {"ip":, "agent":}
        self.clients = set()
        self.total_conns = 0
        self.minted = 0

    def find_row(self, id_):
        for r in self.rows:
            if r["id"] == id_:
                return r
        return None

    def advance(self, now):
        while self.next_pass <= now:
            self.cleanup(self.next_pass)
            self.next_pass += 30000

    def cleanup(self, now):
        for r in self.rows:
            if r["status"] == "online" and r["seen"] + 120000 < now:
                r["status"] = "idle"
        for r in self.rows:
            if r["status"] == "idle" and r["seen"] + 300000 < now:
                r["status"] = "offline"
        # MOLT-HUB-060: offline rows older than the retention period are deleted.
        self.rows = [r for r in self.rows
                     if not (r["status"] == "offline" and r["seen"] + RETENTION_MS < now)]

    def open(self, name, ip, fwd):
        self.total_conns += 1
        if fwd:
            rip = fwd.split(",")[0].strip()
        else:
            rip = ip.replace("::ffff:", "", 1) if ip else "unknown"
        self.conns[name] = {"ip": rip, "agent": None, "registered": []}

    def close(self, name):
        c = self.conns.pop(name)
        # MOLT-HUB-040: no id registered on a closed connection counts as active.
        for id_ in c["registered"]:
            self.clients.discard(id_)
        if c["agent"]:
            self.clients.discard(c["agent"])
            r = self.find_row(c["agent"])
            if r:
                r["status"] = "offline"

    def secs(self, r, now):
        return (now - r["seen"] + 500) // 1000

    def frame(self, conn, text, now):
        try:
            req = json.loads(text)
        except ValueError:
            return {"status": "error", "error": "invalid_json"}
        if req is None:
            return {"status": "error", "error": "invalid_json"}
        r = req if isinstance(req, dict) else {}
        action = r.get("action")
        try:
            handler = {"register": self.register, "heartbeat": self.heartbeat,
                       "discover": self.discover, "find": self.find, "lookup": self.lookup,
                       "status": self.status, "disconnect": self.disconnect,
                       "stats": lambda c, q, n: self.stats(n)}.get(action if isinstance(action, str) else None)
            reply = handler(conn, r, now) if handler else {"status": "error", "error": "unknown_action"}
        except Fault:
            return {"status": "error", "error": "invalid_json"}
        if truthy(r.get("correlationId")):
            reply["correlationId"] = r["correlationId"]
        return reply

    def register(self, conn, req, now):
        ip = self.conns[conn]["ip"]
        addr = ip
        a = req.get("address")
        if truthy(a):
            if not isinstance(a, str):
                raise Fault()
            parts = a.split(":")
            if len(parts) > 1 and parts[1]:
                addr = f"{ip}:{parts[1]}"
        caps = req.get("capabilities", [])
        meta = req.get("metadata", {})
        if len(addr) > 50 or has_nul(caps) or has_nul(meta) or "\0" in addr:
            raise Fault()
        if len(self.conns[conn]["registered"]) >= MAX_REGISTRATIONS_PER_CONN:
            return {"status": "error", "error": "too_many_registrations"}  # MOLT-HUB-061
        if json_len(caps) + json_len(meta) > MAX_METADATA_BYTES:
            return {"status": "error", "error": "metadata_too_large"}  # MOLT-HUB-062
        self.minted += 1
        id_ = f"@{self.minted}"
        self.rows.append({"id": id_, "address": addr, "capabilities": caps, "metadata": meta,
                          "status": "online", "seen": now, "seq": self.minted})
        self.conns[conn]["agent"] = id_
        self.conns[conn]["registered"].append(id_)
        self.clients.add(id_)
        return {"status": "ok", "id": id_, "address": addr}

    def heartbeat(self, conn, req, now):
        id_ = req.get("id")
        if id_ is not None:
            r = self.find_row(sqltext(id_))
            if r:
                r["status"] = "online"
                r["seen"] = now
        return {"status": "ok", "timestamp": now}

    def listing(self, r, now):
        return {"id": r["id"], "address": r["address"], "capabilities": r["capabilities"],
                "metadata": r["metadata"], "status": r["status"], "lastSeen": self.secs(r, now)}

    def discover(self, conn, req, now):
        limit, limit_v = page(req, "limit", 100, True)
        offset, offset_v = page(req, "offset", 0, False)
        excl = sqltext(req["id"]) if truthy(req.get("id")) else None
        caps = req.get("capabilities")
        want = None
        if isinstance(caps, list) and caps:
            want = []

            def leaves(xs):
                for e in xs:
                    if e is None:
                        continue
                    if isinstance(e, list):
                        leaves(e)
                    else:
                        want.append(sqltext(e))
            leaves(caps)
        elif isinstance(caps, str) and caps:
            raise Fault()
        st = sqltext(req["status"]) if truthy(req.get("status")) else None
        rows = [r for r in self.rows if r["status"] != "offline" and r["id"] != excl
                and (want is None or any(has_key(r["capabilities"], k) for k in want))
                and (st is None or r["status"] == st)]
        rows.sort(key=lambda r: (self.secs(r, now), -r["seen"], -r["seq"]))
        out = [self.listing(r, now) for r in rows[offset:offset + limit]]
        return {"status": "ok", "count": len(out), "limit": limit_v, "offset": offset_v,
                "agents": out}

    def find(self, conn, req, now):
        limit, _ = page(req, "limit", 10, True)
        offset, _ = page(req, "offset", 0, False)
        cap = req.get("capability")
        rows = [] if cap is None else [r for r in self.rows if r["status"] == "online"
                                       and has_key(r["capabilities"], sqltext(cap))]
        rows.sort(key=lambda r: (-r["seen"], -r["seq"]))
        out = [{k: r[k] for k in ("id", "address", "capabilities", "metadata")}
               for r in rows[offset:offset + limit]]
        return {"status": "ok", "count": len(out), "agents": out}

    def lookup(self, conn, req, now):
        id_ = req.get("id")
        r = self.find_row(sqltext(id_)) if id_ is not None else None
        if not r:
            return {"status": "error", "error": "agent_not_found"}
        return {"status": "ok", "agent": {k: r[k] for k in
                                          ("id", "address", "capabilities", "metadata", "status")}}

    def status(self, conn, req, now):
        st = sqltext(req["status"]) if truthy(req.get("status")) else None
        meta = req.get("metadata") if truthy(req.get("metadata")) else None
        if meta is not None and has_nul(meta):
            raise Fault()
        id_ = req.get("id")
        r = self.find_row(sqltext(id_)) if id_ is not None else None
        if st is not None and (len(st) > 20 or "\0" in st):
            raise Fault()
        if r:
            if meta is not None:
                merged = concat(r["metadata"], meta)
                if json_len(r["capabilities"]) + json_len(merged) > MAX_METADATA_BYTES:
                    return {"status": "error", "error": "metadata_too_large"}  # MOLT-HUB-062
                r["metadata"] = merged
            if st is not None:
                r["status"] = st
            r["seen"] = now
        return {"status": "ok"}

    def disconnect(self, conn, req, now):
        id_ = req.get("id")
        if id_ is not None:
            r = self.find_row(sqltext(id_))
            if r:
                r["status"] = "offline"
            self.clients.discard(sqltext(id_))
        if isinstance(id_, (bool, int, float, dict)):
            raise Fault()
        return {"status": "ok"}

    def stats(self, now):
        n = lambda s: sum(1 for r in self.rows if r["status"] == s)  # noqa: E731
        return {"status": "ok",
                "agents": {"total": len(self.rows), "online": n("online"), "idle": n("idle"),
                           "offline": n("offline")},
                "hub": {"version": "2.0.0", "uptime": (now - self.start) // 1000,
                        "connections": self.total_conns, "activeConnections": len(self.clients)}}

    def http(self, target, now):
        path, _, q = target.partition("?")
        query = {}
        for part in [p for p in q.split("&") if p]:
            k, _, v = part.partition("=")
            query.setdefault(k, []).append(v)
        if path == "/health":
            return {"status": 200, "body": {"status": "healthy", "timestamp": iso(now),
                                            "version": "2.0.0"}}
        if path == "/stats":
            return {"status": 200, "body": self.stats(now)}
        if path == "/agents":
            def pint(k):
                v = ",".join(query[k]) if k in query else None
                if v is None:
                    return None
                s = v.lstrip()
                sign = -1 if s.startswith("-") else 1
                s = s[1:] if s[:1] in "+-" and s else s
                d = ""
                for ch in s:
                    if not ch.isdigit():
                        break
                    d += ch
                return sign * int(d) if d else None
            limit = pint("limit")
            limit = 100 if not limit else min(limit, 500)
            offset = pint("offset") or 0
            if limit < 0:
                return {"status": 500, "body": {"error": "LIMIT must not be negative"}}
            if offset < 0:
                return {"status": 500, "body": {"error": "OFFSET must not be negative"}}

            def filt(k):
                if k not in query or query[k] == [""]:
                    return ("none",)
                if len(query[k]) > 1:
                    return ("never",)
                return ("eq", query[k][0])
            cap, st = filt("capability"), filt("status")
            rows = [r for r in self.rows if r["status"] != "offline"
                    and (cap[0] == "none" or (cap[0] == "eq" and has_key(r["capabilities"], cap[1])))
                    and (st[0] == "none" or (st[0] == "eq" and r["status"] == st[1]))]
            rows.sort(key=lambda r: (-r["seen"], -r["seq"]))
            out = [self.listing(r, now) for r in rows[offset:offset + limit]]
            total = sum(1 for r in self.rows if r["status"] != "offline")
            return {"status": 200, "body": {"count": len(out), "total": total, "limit": limit,
                                            "offset": offset, "agents": out}}
        if path in ("/", "/info"):
            return None  # descriptive document (MOLT-HUB-055): not compared
        return {"status": 404, "body": {"error": "Not found",
                                        "endpoints": ["/", "/health", "/agents", "/stats"],
                                        "websocket": "ws://127.0.0.1:3000/ws"}}


def iso(ms):
    import datetime
    d = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def run_hub_model(steps, start=START):
    hub = HubModel(start)
    now = start
    outputs = []
    last = None
    for s in steps:
        hub.advance(now)
        if "open" in s:
            hub.open(s["open"], s.get("ip", "127.0.0.1"), s.get("forwarded_for"))
            last = s["open"]
            outputs.append(None)
        elif "send" in s or "text" in s:
            conn = s.get("conn", last)
            if conn is None:
                hub.open("default", "127.0.0.1", None)
                conn = last = "default"
            text = s["text"] if "text" in s else json.dumps(s["send"], separators=(",", ":"),
                                                            ensure_ascii=False)
            outputs.append(hub.frame(conn, text, now))
        elif "close" in s:
            hub.close(s["close"])
            outputs.append(None)
        elif "advance_ms" in s:
            now += s["advance_ms"]
            hub.advance(now)
            outputs.append(None)
        elif "cleanup" in s:
            hub.cleanup(now)
            outputs.append(None)
        elif "http" in s:
            outputs.append(hub.http(s["http"], now))
        else:
            raise ValueError(s)
    return {"outputs": outputs}


# --------------------------------------------------------------------------------------------
# Hub scenarios
# --------------------------------------------------------------------------------------------

FLAGS_HUB = {NEAR_MISS: NEAR_MISS_MEANING}


def reg(addr="x:4000", caps=None, meta=None, **kw):
    m = {"action": "register", "address": addr}
    if caps is not None:
        m["capabilities"] = caps
    if meta is not None:
        m["metadata"] = meta
    m.update(kw)
    return {"send": m}


def send(conn=None, **m):
    step = {"send": m}
    if conn is not None:
        step["conn"] = conn
    return step


ADV = {"advance_ms": 1000}


def hub_cases():
    S = []  # (id, reqs, description, steps, flags)

    def sc(id, reqs, desc, steps, flags=None, start=None):
        S.append((id, reqs, desc, steps, flags or [], start))

    # --- envelope
    sc("envelope-register-ok", ["MOLT-HUB-002", "MOLT-HUB-010", "MOLT-HUB-001"],
       "register answers ok with a minted id and the stored address", [reg()])
    sc("envelope-correlation-string", ["MOLT-HUB-003"], "a string correlationId is echoed",
       [send(action="stats", correlationId="c-1")])
    sc("envelope-correlation-number", ["MOLT-HUB-003"], "a number correlationId is echoed as a number",
       [send(action="heartbeat", id="nope", correlationId=17)])
    sc("envelope-correlation-object", ["MOLT-HUB-003"], "an object correlationId is echoed unchanged",
       [send(action="lookup", id="nope", correlationId={"k": [1, 2]})])
    for name, v in [("zero", 0), ("empty", ""), ("false", False), ("null", None)]:
        sc(f"envelope-correlation-falsy-{name}", ["MOLT-HUB-003"],
           f"a falsy correlationId ({name}) is not echoed",
           [send(action="lookup", id="nope", correlationId=v)], [NEAR_MISS])
    sc("envelope-unknown-action", ["MOLT-HUB-004", "MOLT-DIV-003"],
       "an unknown action (updateStatus does not exist) is unknown_action, with correlationId",
       [send(action="updateStatus", id="x", correlationId="u")])
    sc("envelope-missing-action", ["MOLT-HUB-004"], "a request without action is unknown_action",
       [send(id="x")])
    sc("envelope-action-number", ["MOLT-HUB-004"], "a non-string action is unknown_action",
       [send(action=5, correlationId="n")])
    for name, text in [("number", "5"), ("string", "\"register\""), ("array", "[]"),
                       ("bool", "true")]:
        sc(f"envelope-non-object-{name}", ["MOLT-HUB-004"],
           f"a JSON {name} is unknown_action without correlationId", [{"text": text}])
    for name, text in [("garbage", "not json"), ("null", "null"), ("truncated", "{\"action\":"),
                       ("empty", "")]:
        sc(f"envelope-invalid-json-{name}", ["MOLT-HUB-005"],
           f"{name} text is invalid_json without correlationId", [{"text": text}])
    sc("envelope-padded-json", ["MOLT-HUB-005", "MOLT-HUB-002"],
       "JSON whitespace around a request is fine", [{"text": "  {\"action\":\"stats\"}\n"}],
       [NEAR_MISS])
    sc("envelope-action-extra-fields", ["MOLT-HUB-004"], "unknown extra fields do not matter",
       [send(action="stats", extra={"x": 1}, correlationId="e")], [NEAR_MISS])
    sc("envelope-action-case", ["MOLT-HUB-004", "MOLT-DIV-003"],
       "action names are case-sensitive: Stats is unknown", [send(action="Stats")], [NEAR_MISS])
    sc("envelope-one-reply-each", ["MOLT-HUB-002"], "three requests get three replies",
       [reg(), send(action="stats"), send(action="find", capability="x")])

    # --- register / address
    for name, addr, ip, fwd in [
            ("host-discarded", "9.9.9.9:4555", "127.0.0.1", None),
            ("no-address", None, "127.0.0.1", None),
            ("no-colon", "nocolon", "127.0.0.1", None),
            ("port-text-unvalidated", "x:abc:def", "127.0.0.1", None),
            ("empty-port", "x:", "127.0.0.1", None),
            ("empty-string", "", "127.0.0.1", None),
            ("ipv4-mapped", "h:4000", "::ffff:10.0.0.7", None),
            ("forwarded-for", "h:4000", "127.0.0.1", "6.6.6.6, 1.1.1.1"),
            ("forwarded-for-single", "h:5000", "127.0.0.1", " 10.1.2.3 ")]:
        steps = [{"open": "a", "ip": ip, **({"forwarded_for": fwd} if fwd is not None else {})}]
        m = {"action": "register"}
        if addr is not None:
            m["address"] = addr
        steps.append({"send": m})
        reqs = ["MOLT-HUB-012"] + (["MOLT-HUB-011"] if ip != "127.0.0.1" or fwd else []) + \
            (["MOLT-DIV-004"] if name in ("host-discarded", "no-colon") else [])
        sc(f"register-address-{name}", reqs, f"stored address: {name}", steps,
           [NEAR_MISS] if name in ("empty-port", "no-colon") else None)
    sc("register-address-forwarded-for-empty", ["MOLT-HUB-011"],
       "an empty X-Forwarded-For is ignored: the socket address counts",
       [{"open": "a", "ip": "10.0.0.9", "forwarded_for": ""}, reg("h:4000")], [NEAR_MISS])
    sc("register-failed-no-row", ["MOLT-HUB-001", "MOLT-HUB-010", "MOLT-HUB-002"],
       "a failed register mints no id and adds no row",
       [reg("x:" + "9" * 60), send(action="stats")], [NEAR_MISS])
    sc("register-null-caps", ["MOLT-HUB-013"], "explicit null capabilities are stored as null, not defaulted",
       [{"send": {"action": "register", "address": "x:1", "capabilities": None}},
        send(action="lookup", id="@1")], [NEAR_MISS])
    sc("register-address-number", ["MOLT-HUB-006", "MOLT-HUB-012"],
       "a numeric address is the generic invalid_json failure", [reg(12345, correlationId="r")])
    sc("register-address-too-long", ["MOLT-HUB-006", "MOLT-HUB-012"],
       "a stored address over 50 characters fails", [reg("x:" + "9" * 45, correlationId="r")])
    sc("register-address-50", ["MOLT-HUB-012", "MOLT-HUB-006"], "a stored address of exactly 50 characters is fine",
       [reg("x:" + "9" * 40)], [NEAR_MISS])
    sc("register-defaults", ["MOLT-HUB-013", "MOLT-HUB-026"],
       "capabilities default to [] and metadata to {}", [reg(), send(action="lookup", id="@1")])
    sc("register-as-sent", ["MOLT-HUB-013"], "capabilities and metadata are stored as sent, any type",
       [reg(caps="chat", meta=[1]), send(action="lookup", id="@1")])
    sc("register-nul", ["MOLT-HUB-006"], "a capability holding U+0000 fails",
       [reg(caps=["a\u0000b"])])
    sc("register-new-id-each-time", ["MOLT-HUB-010", "MOLT-HUB-001"],
       "registering twice on one socket mints two ids and two rows",
       [reg(), reg(), send(action="stats")])

    # --- heartbeat
    sc("heartbeat-unknown-ok", ["MOLT-HUB-014", "MOLT-DIV-002"],
       "heartbeat for an unknown id is ok and still carries a timestamp",
       [send(action="heartbeat", id="feedfeedfeedfeedfeedfeedfeedfeed")], [NEAR_MISS])
    sc("heartbeat-other-id", ["MOLT-HUB-014"], "a heartbeat for one row leaves the others idle",
       [reg(), ADV, reg(), {"advance_ms": 150000}, send(action="heartbeat", id="@2"),
        send(action="discover")], [NEAR_MISS])
    sc("heartbeat-missing-id", ["MOLT-HUB-014"], "heartbeat without id is ok",
       [send(action="heartbeat")])
    sc("heartbeat-revives-offline", ["MOLT-HUB-014", "MOLT-HUB-029"],
       "heartbeat revives a disconnected row",
       [reg(), send(action="disconnect", id="@1"), send(action="heartbeat", id="@1"),
        send(action="lookup", id="@1")])
    sc("heartbeat-overwrites-busy", ["MOLT-HUB-014", "MOLT-HUB-027"],
       "heartbeat overwrites a custom status with online",
       [reg(), send(action="status", id="@1", status="busy"), send(action="lookup", id="@1"),
        send(action="heartbeat", id="@1"), send(action="lookup", id="@1")])
    sc("heartbeat-keeps-online", ["MOLT-HUB-014", "MOLT-HUB-031"],
       "heartbeats every 60 s keep a row online through 5 minutes",
       [reg()] + [x for _ in range(5) for x in ({"advance_ms": 60000},
                                                 send(action="heartbeat", id="@1"))] +
       [send(action="lookup", id="@1")])

    # --- discover
    three = [{"open": "a"}, reg("x:4001", ["chat"]), ADV, {"open": "b"}, reg("x:4002", ["search", "chat"]),
             ADV, {"open": "c"}, reg("x:4003", ["compute"]), ADV]
    sc("discover-all", ["MOLT-HUB-020", "MOLT-HUB-024"],
       "discover lists every non-offline row, most recently seen first", three + [send(action="discover")])
    sc("discover-self-excluded", ["MOLT-HUB-020", "MOLT-DIV-001"],
       "discover excludes the caller's id", three + [send(action="discover", id="@3")])
    sc("discover-id-falsy", ["MOLT-HUB-020"], "an empty id excludes nothing",
       three + [send(action="discover", id="")], [NEAR_MISS])
    sc("discover-any-of", ["MOLT-HUB-022", "MOLT-DIV-001"],
       "capabilities match ANY of the listed strings",
       three + [send(action="discover", capabilities=["chat", "compute"])])
    sc("discover-one-cap", ["MOLT-HUB-022"], "one capability", three +
       [send(action="discover", capabilities=["search"])])
    sc("discover-cap-none", ["MOLT-HUB-022"], "a capability nobody has lists nothing", three +
       [send(action="discover", capabilities=["nothing"])])
    sc("discover-cap-empty", ["MOLT-HUB-022"], "an empty capabilities array filters nothing",
       three + [send(action="discover", capabilities=[])], [NEAR_MISS])
    sc("discover-cap-object-key", ["MOLT-HUB-022"],
       "an object capabilities value matches its keys; a string matches itself",
       [reg(caps={"chat": 1}), ADV, {"open": "b"}, reg(caps="chat"), ADV, {"open": "c"},
        reg(caps=[["chat"]]), send(action="discover", capabilities=["chat"])])
    sc("discover-cap-string", ["MOLT-HUB-006", "MOLT-HUB-022"],
       "a non-empty string capabilities fails", three + [send(action="discover", capabilities="chat",
                                                              correlationId="d")])
    sc("discover-cap-number-element", ["MOLT-HUB-022"], "a number element matches its text",
       [reg(caps=["7"]), send(action="discover", capabilities=[7])])
    sc("discover-cap-object-element", ["MOLT-HUB-022"],
       "an object element is matched as its JSON text (so nothing matches)",
       three + [send(action="discover", capabilities=[{"a": 1}])])
    sc("discover-cap-nested-array", ["MOLT-HUB-022"], "nested arrays are flattened",
       three + [send(action="discover", capabilities=[["chat"]], correlationId="n")])
    sc("discover-status-filter", ["MOLT-HUB-023"], "a status filter keeps equal statuses",
       three + [send(action="status", id="@2", status="busy"), send(action="discover", status="busy")])
    sc("discover-status-offline", ["MOLT-HUB-023", "MOLT-HUB-020"],
       "status offline lists nothing", three + [send(action="disconnect", id="@1"),
                                                 send(action="discover", status="offline")])
    sc("discover-includes-idle-busy", ["MOLT-HUB-020", "MOLT-DIV-001"],
       "idle and custom statuses are listed, offline ones are not",
       three + [send(action="status", id="@2", status="busy"),
                send(action="disconnect", id="@3"), {"advance_ms": 150000},
                send(action="discover")])
    sc("discover-status-empty", ["MOLT-HUB-023"], "an empty status filter filters nothing",
       three + [send(action="discover", status="")], [NEAR_MISS])
    sc("discover-lastseen-rounding", ["MOLT-HUB-024"], "lastSeen rounds: 1499 ms is 1 s, 1500 ms is 2 s",
       [reg(), {"advance_ms": 1499}, send(action="discover"), {"advance_ms": 1}, send(action="discover")],
       [NEAR_MISS])
    sc("discover-no-id-includes-caller", ["MOLT-DIV-001", "MOLT-HUB-020"],
       "without id nothing is excluded, the caller included", three + [send(action="discover")],
       [NEAR_MISS])
    sc("discover-name-ignored", ["MOLT-DIV-001"], "a name filter is ignored",
       three + [send(action="discover", name="nobody")])
    for name, lim, off in [("limit-2", 2, None), ("offset-1", None, 1), ("page-2", 1, 1),
                           ("limit-zero", 0, None), ("limit-big", 1000, None),
                           ("offset-past", None, 10), ("limit-string", "2", None),
                           ("offset-string", None, "1"), ("limit-true", True, None)]:
        m = {"action": "discover"}
        if lim is not None:
            m["limit"] = lim
        if off is not None:
            m["offset"] = off
        sc(f"discover-{name}", ["MOLT-HUB-021"], f"paging: {name}", three + [{"send": m}],
           [NEAR_MISS] if name in ("limit-zero",) else None)
    for name, field, v in [("limit-negative", "limit", -1), ("limit-fraction", "limit", 2.5),
                           ("limit-text", "limit", "many"), ("offset-negative", "offset", -1),
                           ("offset-true", "offset", True)]:
        sc(f"discover-bad-{name}", ["MOLT-HUB-006", "MOLT-HUB-021"],
           f"{name} is the generic failure", three + [send(action="discover", **{field: v},
                                                            correlationId="p")])
    sc("discover-order-by-seconds", ["MOLT-HUB-024"],
       "a heartbeat moves a row to the front; lastSeen counts whole seconds",
       three + [{"advance_ms": 4400}, send(action="heartbeat", id="@1"), {"advance_ms": 600},
                send(action="discover")])

    # --- find
    sc("find-basic", ["MOLT-HUB-025"], "find lists online rows with the capability, caller included",
       three + [send(action="find", capability="chat")])
    sc("find-online-only", ["MOLT-HUB-025"], "find skips idle and custom statuses",
       three + [send(action="status", id="@2", status="busy"), send(action="find", capability="chat")])
    sc("find-missing-capability", ["MOLT-HUB-025"], "find without capability lists nothing",
       three + [send(action="find")])
    sc("find-limit", ["MOLT-HUB-025"], "find pages with limit and offset",
       three + [send(action="find", capability="chat", limit=1, offset=1)])
    sc("find-default-limit-10", ["MOLT-HUB-025"], "find returns at most 10 rows by default",
       [x for i in range(12) for x in (reg(f"x:{5000 + i}", ["w"]), ADV)] +
       [send(action="find", capability="w")])
    sc("find-prefix", ["MOLT-HUB-025"], "a capability prefix does not match",
       three + [send(action="find", capability="cha")], [NEAR_MISS])
    sc("find-bad-limit", ["MOLT-HUB-006", "MOLT-HUB-025"], "a negative find limit fails",
       three + [send(action="find", capability="chat", limit=-5)])

    # --- lookup
    sc("lookup-found", ["MOLT-HUB-026", "MOLT-DIV-002"], "lookup returns the full row",
       [reg("x:4100", ["a"], {"m": 1}), send(action="lookup", id="@1")])
    sc("lookup-offline-found", ["MOLT-HUB-026"], "lookup returns offline rows",
       [reg(), send(action="disconnect", id="@1"), send(action="lookup", id="@1")], [NEAR_MISS])
    sc("lookup-unknown", ["MOLT-HUB-026"], "an unknown id is agent_not_found",
       [reg(), send(action="lookup", id="0" * 32, correlationId="l")])
    sc("lookup-missing-id", ["MOLT-HUB-026"], "lookup without id is agent_not_found",
       [send(action="lookup")])

    # --- status / metadata
    sc("status-custom", ["MOLT-HUB-027"], "status sets a custom status",
       [reg(), send(action="status", id="@1", status="busy"), send(action="lookup", id="@1")])
    sc("status-20-chars", ["MOLT-HUB-027"], "a 20-character status is stored",
       [reg(), send(action="status", id="@1", status="s" * 20), send(action="lookup", id="@1")],
       [NEAR_MISS])
    sc("status-21-chars", ["MOLT-HUB-027", "MOLT-HUB-006"], "a 21-character status fails",
       [reg(), send(action="status", id="@1", status="s" * 21, correlationId="s"),
        send(action="lookup", id="@1")])
    sc("status-21-chars-unknown", ["MOLT-HUB-027", "MOLT-HUB-006"],
       "a long status fails even for an unknown id (the value is checked, not the row)",
       [send(action="status", id="nobody", status="s" * 21)])
    sc("status-unknown-ok", ["MOLT-HUB-027"], "status for an unknown id is ok",
       [send(action="status", id="nobody", status="busy")])
    sc("status-refreshes-last-seen", ["MOLT-HUB-027", "MOLT-HUB-031"],
       "status refreshes last-seen, so the row is not aged",
       [reg(), {"advance_ms": 100000}, send(action="status", id="@1"), {"advance_ms": 60000},
        send(action="lookup", id="@1")])
    sc("metadata-merge", ["MOLT-HUB-028"], "object metadata merges shallowly",
       [reg(meta={"a": 1, "b": {"x": 1}}), send(action="status", id="@1", metadata={"b": 2, "c": 3}),
        send(action="lookup", id="@1")])
    sc("metadata-array-concat", ["MOLT-HUB-028"], "non-object metadata concatenates as arrays",
       [reg(meta={"a": 1}), send(action="status", id="@1", metadata=[5]),
        send(action="lookup", id="@1")])
    sc("metadata-empty-object", ["MOLT-HUB-028"], "an empty object merges to no change",
       [reg(meta={"a": 1}), send(action="status", id="@1", metadata={}),
        send(action="lookup", id="@1")], [NEAR_MISS])

    # --- disconnect / close
    sc("disconnect-offline", ["MOLT-HUB-029", "MOLT-HUB-040"],
       "disconnect sets offline and keeps the socket usable",
       [reg(), send(action="disconnect", id="@1"), send(action="stats")])
    sc("disconnect-unknown", ["MOLT-HUB-029"], "disconnect for an unknown id is ok",
       [send(action="disconnect", id="nobody")])
    sc("disconnect-array-id", ["MOLT-HUB-029"], "an array id is ok (the JS hub can slice it)",
       [reg(), send(action="disconnect", id=["@1"])], [NEAR_MISS])
    sc("disconnect-numeric-id", ["MOLT-HUB-006", "MOLT-HUB-029"],
       "a numeric id is the generic failure", [reg(), send(action="disconnect", id=5)])
    sc("close-last-offline", ["MOLT-HUB-032"],
       "closing a socket sets its last registered row offline, not the earlier one",
       [{"open": "a"}, reg(), reg(), {"open": "b"}, {"close": "a"}, send(action="stats", conn="b"),
        send(action="lookup", id="@1", conn="b"), send(action="lookup", id="@2", conn="b")])
    sc("close-clears-every-active-id", ["MOLT-HUB-040", "MOLT-HUB-032"],
       "after a socket that registered twice closes, neither id counts as active",
       [{"open": "a"}, reg(), reg(), {"open": "b"}, {"close": "a"}, send(action="stats", conn="b")])
    # --- limits and retention (the JavaScript hub has none)
    sc("limit-registrations-per-connection", ["MOLT-HUB-061", "MOLT-HUB-001"],
       "the 17th register on one connection is refused and stores nothing",
       [reg() for _ in range(17)] + [send(action="stats", correlationId="s")])
    sc("limit-registrations-new-connection", ["MOLT-HUB-061"],
       "the per-connection limit does not carry over to another connection",
       [{"open": "a"}] + [reg() for _ in range(16)] + [{"open": "b"}, reg()], [NEAR_MISS])
    sc("limit-metadata-merge", ["MOLT-HUB-062", "MOLT-HUB-028"],
       "a status merge that would store more than 64 KiB of metadata is refused, changing nothing",
       [reg(meta={"a": "x" * 33000}),
        send(action="status", id="@1", status="busy", metadata={"b": "y" * 33000},
             correlationId="m"),
        send(action="discover", status="busy"), reg(caps=["c"], meta={"small": 1}),
        send(action="status", id="@2", metadata={"b": "y" * 100})])
    sc("retention-deletes-old-offline-rows", ["MOLT-HUB-060", "MOLT-HUB-026"],
       "an offline row last seen more than 7 days ago is deleted by the ageing pass",
       [{"open": "a"}, reg(), {"close": "a"}, {"open": "b"}, reg(),
        {"advance_ms": 7 * 24 * 3600 * 1000 + 30000},
        send(action="lookup", id="@1"), send(action="stats")])
    sc("retention-keeps-recent-offline-rows", ["MOLT-HUB-060"],
       "an offline row is kept until the retention period has passed",
       [{"open": "a"}, reg(), {"close": "a"}, {"advance_ms": 7 * 24 * 3600 * 1000 - 30000},
        {"open": "b"}, send(action="lookup", id="@1")], [NEAR_MISS])
    sc("close-without-register", ["MOLT-HUB-032"], "closing a socket that registered nothing changes nothing",
       [{"open": "a"}, reg(), {"open": "b"}, {"close": "b"}, send(action="stats", conn="a")],
       [NEAR_MISS])

    # --- ageing
    sc("ageing-idle-after-2min", ["MOLT-HUB-030", "MOLT-HUB-031"],
       "an online row becomes idle at the first pass more than 2 min after it was seen",
       [reg(), {"advance_ms": 120000}, send(action="lookup", id="@1"), {"advance_ms": 30000},
        send(action="lookup", id="@1")])
    sc("ageing-boundary", ["MOLT-HUB-031", "MOLT-HUB-030"], "a row seen exactly 2 min before a pass stays online",
       [{"advance_ms": 30000}, reg(), {"advance_ms": 120000}, send(action="lookup", id="@1")],
       [NEAR_MISS])
    sc("ageing-offline-after-5min", ["MOLT-HUB-031"],
       "an idle row becomes offline at the first pass more than 5 min after it was seen",
       [reg(), {"advance_ms": 300000}, send(action="lookup", id="@1"), {"advance_ms": 30000},
        send(action="lookup", id="@1")])
    sc("ageing-custom-never", ["MOLT-HUB-031"], "a custom status is never aged",
       [reg(), send(action="status", id="@1", status="busy"), {"advance_ms": 900000},
        send(action="lookup", id="@1")])
    sc("ageing-straight-to-offline", ["MOLT-HUB-031"],
       "an online row older than 5 min goes offline in one explicit pass",
       [reg(), send(action="status", id="@1", status="online"), {"advance_ms": 10}, {"cleanup": True},
        send(action="lookup", id="@1")], [NEAR_MISS])
    sc("ageing-one-pass", ["MOLT-HUB-030", "MOLT-HUB-031"],
       "rows age at 30 s pass times: stats after 3 and 6 minutes",
       [reg(), ADV, {"open": "b"}, reg(), {"advance_ms": 180000}, send(action="stats", conn="b"),
        {"advance_ms": 180000}, send(action="stats", conn="b")])
    sc("ageing-heartbeat-revives-idle", ["MOLT-HUB-014", "MOLT-HUB-031"],
       "a heartbeat brings an idle row back online",
       [reg(), {"advance_ms": 150000}, send(action="lookup", id="@1"),
        send(action="heartbeat", id="@1"), send(action="lookup", id="@1")])

    # --- stats
    sc("stats-counts", ["MOLT-HUB-040"], "stats counts rows by status and connections",
       [{"open": "a"}, reg(), {"open": "b"}, reg(), send(action="status", id="@2", status="busy"),
        {"open": "c"}, {"advance_ms": 5000}, send(action="stats")])
    sc("stats-after-close", ["MOLT-HUB-040", "MOLT-HUB-032"],
       "closing lowers activeConnections but not connections",
       [{"open": "a"}, reg(), {"open": "b"}, {"close": "a"}, send(action="stats", conn="b")],
       [NEAR_MISS])
    sc("stats-uptime", ["MOLT-HUB-040"], "uptime counts whole seconds since start",
       [{"advance_ms": 61999}, send(action="stats")])

    # --- HTTP
    sc("http-health", ["MOLT-HUB-051", "MOLT-HUB-050"], "GET /health",
       [{"advance_ms": 1234}, {"http": "/health"}])
    sc("http-health-query", ["MOLT-HUB-050"], "routing ignores the query",
       [{"http": "/health?x=1"}])
    sc("http-stats", ["MOLT-HUB-053"], "GET /stats", [reg(), {"http": "/stats"}])
    sc("http-agents", ["MOLT-HUB-052"], "GET /agents lists rows, most recent first, with total",
       three + [{"http": "/agents"}])
    sc("http-agents-capability", ["MOLT-HUB-052"], "a capability filter; total ignores it",
       three + [{"http": "/agents?capability=chat"}])
    sc("http-agents-status", ["MOLT-HUB-052"], "a status filter",
       three + [send(action="status", id="@1", status="busy"), {"http": "/agents?status=busy"}])
    sc("http-agents-repeated", ["MOLT-HUB-052"], "a repeated capability parameter matches nothing",
       three + [{"http": "/agents?capability=chat&capability=search"}])
    sc("http-agents-paging", ["MOLT-HUB-052"], "limit and offset read as parseInt",
       three + [{"http": "/agents?limit=1&offset=1"}, {"http": "/agents?limit=2abc"},
                {"http": "/agents?limit=0&offset=x"}, {"http": "/agents?limit=9999"}])
    sc("http-agents-limit-zero", ["MOLT-HUB-052"], "limit=0 means the default 100",
       three + [{"http": "/agents?limit=0"}], [NEAR_MISS])
    sc("http-stats-slash", ["MOLT-HUB-053", "MOLT-HUB-054"], "/stats/ is not /stats",
       [{"http": "/stats/"}], [NEAR_MISS])
    sc("http-agents-negative", ["MOLT-HUB-052"], "a negative limit or offset is a 500",
       three + [{"http": "/agents?limit=-1"}, {"http": "/agents?offset=-2"}])
    sc("http-agents-offline-hidden", ["MOLT-HUB-052"], "offline rows are not listed",
       three + [send(action="disconnect", id="@2"), {"http": "/agents"}])
    return S


def hub_expect_special(steps, outputs, start):
    """Outputs the model does not compute (404 and the info document) are filled here."""
    for s, i in zip(steps, range(len(steps))):
        if "http" in s and outputs[i] is None:
            raise ValueError(f"model has no output for {s}")
    return outputs


def build_hub_files():
    cases = []
    for id, reqs, desc, steps, flags, start in hub_cases():
        out = run_hub_model(steps, start or START)
        hub_expect_special(steps, out["outputs"], start)
        cases.append(case(f"molt-hub-{id}", reqs + ["MOLT-SCRIPT-001"], desc, "molt.hub.run",
                          {"steps": steps}, ok(out), flags=flags))
    # The 404 body is fixed by the spec except the advertised URL: the reference's default.
    cases.append(case("molt-hub-http-not-found", ["MOLT-HUB-054", "MOLT-HUB-050", "MOLT-SCRIPT-001"],
                      "an unknown path is 404 with the endpoint list", "molt.hub.run",
                      {"steps": [{"http": "/nope"}]},
                      ok({"outputs": [{"status": 404, "body": {
                          "error": "Not found", "endpoints": ["/", "/health", "/agents", "/stats"],
                          "websocket": "ws://127.0.0.1:3000/ws"}}]}),
                      confirmed_by="spec"))
    cases.append(case("molt-hub-http-healthz", ["MOLT-HUB-054", "MOLT-HUB-051", "MOLT-HUB-050",
                                                 "MOLT-SCRIPT-001"],
                      "a path that only starts like /health is 404", "molt.hub.run",
                      {"steps": [{"http": "/healthz"}]},
                      ok({"outputs": [{"status": 404, "body": {
                          "error": "Not found", "endpoints": ["/", "/health", "/agents", "/stats"],
                          "websocket": "ws://127.0.0.1:3000/ws"}}]}),
                      flags=[NEAR_MISS], confirmed_by="spec"))
    cases.append(case("molt-hub-script-bad-step", ["MOLT-SCRIPT-001"],
                      "a step of unknown kind is bad_args", "molt.hub.run",
                      {"steps": [{"dance": True}]}, err("bad_args"), confirmed_by="spec"))
    cases.append(case("molt-hub-script-no-steps", ["MOLT-SCRIPT-001"],
                      "a script without steps is bad_args", "molt.hub.run", {}, err("bad_args"),
                      confirmed_by="spec"))
    return cases


# --------------------------------------------------------------------------------------------
# Peer model (spec/30-molt.md section 4)
# --------------------------------------------------------------------------------------------


def server_key(i: int) -> bytes:
    return priv_from(f"server-{i}")


def client_key(i: int) -> bytes:
    return priv_from(f"client-{i}")


class PeerModel:
    def __init__(self, keys, max_line):
        self.keys = list(keys)
        self.used = 0
        self.max = max_line
        self.buf = b""
        self.discard = False
        self.session = None
        self.peer = ("absent",)

    def next_key(self):
        i = self.used
        self.used += 1
        if i < len(self.keys):
            return self.keys[i]
        k = bytearray([0x5A] * 32)
        k[:8] = i.to_bytes(8, "little")
        return bytes(k)

    def feed(self, data: bytes):
        replies, events = [], []
        for b in data:
            if b == 0x0A:
                if self.discard:
                    self.discard = False
                else:
                    self.line(self.buf.decode("utf-8", errors="replace"), replies, events)
                self.buf = b""
                continue
            if self.discard:
                continue
            self.buf += bytes([b])
            if len(self.buf) > self.max:
                self.buf = b""
                self.discard = True
                replies.append({"error": "invalid_message"})
        return {"replies": replies, "events": events}

    def line(self, text, replies, events):
        try:
            msg = json.loads(text)
        except ValueError:
            replies.append({"error": "invalid_message"})
            return
        if msg is None:
            replies.append({"error": "invalid_message"})
            return
        if not isinstance(msg, dict):
            return
        t = msg.get("type")
        if t == "handshake":
            k = self.next_key()
            key = msg.get("key")
            res = derive(k, key) if isinstance(key, str) else ("err", "x")
            if res[0] != "ok":
                replies.append({"error": "invalid_message"})
                return
            self.session = res[1]
            self.peer = ("v", msg["from"]) if "from" in msg else ("absent",)
            replies.append({"type": "handshake_ack", "key": spki_of_pub(pub_of(k))})
        elif t == "message" and self.session is not None:
            res = open_blob(self.session, msg.get("data"))
            if res[0] != "ok":
                replies.append({"error": "decryption_failed"})
                return
            ev = {}
            if self.peer[0] == "v":
                ev["from"] = self.peer[1]
            if "messageType" in msg:
                ev["type"] = msg["messageType"]
            ev["payload"] = res[2]
            if "correlationId" in msg:
                ev["correlationId"] = msg["correlationId"]
            events.append(ev)
            ack = {"type": "ack"}
            if "correlationId" in msg:
                ack["correlationId"] = msg["correlationId"]
            replies.append(ack)
        elif t == "ping":
            replies.append({"type": "pong"})


def compact(v) -> str:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def run_peer_model(args):
    keys = [bytes.fromhex(k) for k in args.get("server_keys", [])]
    m = PeerModel(keys, args.get("max_line", 1024 * 1024))
    client_secret = None
    session = None
    outs = []
    for s in args["steps"]:
        if "client_private_hex" in s:
            client_secret = bytes.fromhex(s["client_private_hex"])
        if "send" in s:
            data = s["send"].encode()
        elif "send_hex" in s:
            data = bytes.fromhex(s["send_hex"])
        elif "line" in s:
            data = (compact(s["line"]) + "\n").encode()
        elif "handshake" in s:
            h = s["handshake"]
            f = {"type": "handshake"}
            if "private_hex" in h:
                client_secret = bytes.fromhex(h["private_hex"])
                f["key"] = spki_of_pub(pub_of(client_secret))
            else:
                client_secret = None
                f["key"] = h["key"]
            if "from" in h:
                f["from"] = h["from"]
            data = (compact(f) + "\n").encode()
        elif "message" in s:
            mm = s["message"]
            key = bytes.fromhex(mm["key_hex"]) if "key_hex" in mm else session
            if key is None:
                raise ValueError(f"message step without a session: {s}")
            pt = mm["plaintext"].encode() if "plaintext" in mm else encode_payload(mm["payload"])
            f = {"type": "message"}
            if "messageType" in mm:
                f["messageType"] = mm["messageType"]
            f["data"] = seal(key, bytes.fromhex(mm.get("nonce_hex", "00" * 12)), pt)
            if "correlationId" in mm:
                f["correlationId"] = mm["correlationId"]
            data = (compact(f) + "\n").encode()
        else:
            raise ValueError(s)
        out = m.feed(data)
        for r in out["replies"]:
            if r.get("type") == "handshake_ack" and client_secret is not None:
                res = derive(client_secret, r["key"])
                session = res[1] if res[0] == "ok" else None
        outs.append(out)
    return {"outputs": outs}


FLAGS_PEER = {
    NEAR_MISS: NEAR_MISS_MEANING,
    "JS_CHUNK_UTF8": "the JavaScript receiver decodes every TCP chunk separately, so a character "
                     "split across two reads arrives as U+FFFD",
    "JS_NO_LINE_CAP": "the JavaScript receiver buffers lines without any length limit",
}


def hs(i=1, frm="alice"):
    h = {"private_hex": client_key(i).hex()}
    if frm is not None:
        h["from"] = frm
    return {"handshake": h}


def msg(payload=None, plaintext=None, t="chat", cid="c1", nonce=None, **kw):
    m = {"messageType": t} if t is not None else {}
    if plaintext is not None:
        m["plaintext"] = plaintext
    else:
        m["payload"] = payload if payload is not None else {"text": "hi"}
    m["nonce_hex"] = nonce or "0102030405060708090a0b0c"
    if cid is not None:
        m["correlationId"] = cid
    m.update(kw)
    return {"message": m}


def peer_cases():
    keys = [server_key(i).hex() for i in range(1, 4)]
    P = []

    def pc(id, reqs, desc, steps, flags=None, result=None, lenient=None, max_line=None):
        P.append((id, reqs, desc, steps, flags, result, lenient, max_line))

    pc("handshake-ack", ["MOLT-P2P-005", "MOLT-P2P-006", "MOLT-KEY-002"],
       "a handshake is answered handshake_ack with the listener's fresh SPKI key", [hs()])
    pc("message-acked", ["MOLT-P2P-007", "MOLT-P2P-008", "MOLT-P2P-010"],
       "an encrypted message is delivered and acked", [hs(), msg()])
    pc("message-string-payload", ["MOLT-P2P-007", "MOLT-PAYLOAD-002"], "a text payload",
       [hs(), msg("hello")])
    pc("message-json-looking-string", ["MOLT-PAYLOAD-002", "MOLT-SEC-015"],
       "a string that looks like JSON arrives as a number", [hs(), msg("42")])
    pc("message-null-payload", ["MOLT-PAYLOAD-003", "MOLT-P2P-009"],
       "a null payload is undeliverable: decryption_failed", [hs(), msg(plaintext="null")])
    pc("message-empty-string", ["MOLT-PAYLOAD-002"], "an empty string payload", [hs(), msg("")])
    pc("message-array", ["MOLT-PAYLOAD-002"], "an array payload", [hs(), msg([1, 2, 3])])
    pc("message-unicode", ["MOLT-PAYLOAD-002"], "a non-ASCII payload",
       [hs(), msg({"text": "gr\u00fc\u00dfe \u2713"})])
    pc("many-messages", ["MOLT-P2P-007"], "several messages after one handshake, each acked in order",
       [hs(), msg({"n": 1}, cid="a"), msg({"n": 2}, cid="b", nonce="111111111111111111111111"),
        msg({"n": 3}, cid="c", nonce="222222222222222222222222")])
    for name, cid in [("number", 42), ("object", {"k": "v"}), ("null", None)]:
        pc(f"ack-correlation-{name}", ["MOLT-P2P-008"],
           f"the ack copies a {name} correlationId as-is",
           [hs(), {"message": {**msg()["message"], "correlationId": cid}}])
    pc("ack-no-correlation", ["MOLT-P2P-008"], "a message without correlationId gets a bare ack",
       [hs(), msg(cid=None)], [NEAR_MISS])
    pc("message-no-type", ["MOLT-P2P-010"], "a message without messageType is delivered without type",
       [hs(), msg(t=None)], [NEAR_MISS])
    pc("from-absent", ["MOLT-P2P-005", "MOLT-P2P-010", "MOLT-SEC-002"],
       "a handshake without from delivers messages without from", [hs(frm=None), msg()], [NEAR_MISS])
    pc("from-any-json", ["MOLT-P2P-005", "MOLT-SEC-002"], "from is recorded unchecked, any JSON",
       [hs(frm={"spoof": True}), msg()])
    pc("from-null", ["MOLT-P2P-010"], "a null from is delivered as null",
       [{"handshake": {"private_hex": client_key(1).hex(), "from": None}}, msg()])
    pc("rehandshake", ["MOLT-P2P-005"], "a second handshake replaces key and from",
       [hs(1, "alice"), msg(), hs(2, "bob"), msg(cid="c2")])
    pc("rehandshake-old-key-fails", ["MOLT-P2P-005", "MOLT-P2P-009"],
       "after a second handshake, a blob under the first key fails",
       [hs(1, "alice"), msg(), hs(2, "bob"),
        {"message": {**msg()["message"],
                     "key_hex": derive(client_key(1), spki_of_pub(pub_of(server_key(1))))[1].hex()}}])
    pc("bad-handshake-keeps-session", ["MOLT-P2P-005", "MOLT-P2P-011"],
       "a failed handshake is invalid_message and leaves the session usable",
       [hs(), {"handshake": {"key": "garbage", "from": "mallory"}}, msg(cid="still")])
    for name, key in [("raw-key", base64.b64encode(pub_of(client_key(1))).decode()),
                      ("ed25519", base64.b64encode(ED25519_PREFIX + pub_of(client_key(1))).decode()),
                      ("number", 5), ("missing", None),
                      ("low-order", base64.b64encode(X25519_PREFIX + bytes(32)).decode())]:
        h = {"from": "x"}
        if key is not None:
            h["key"] = key
            step = {"handshake": h}
        else:
            step = {"line": {"type": "handshake", "from": "x"}}
        reqs = ["MOLT-P2P-011", "MOLT-KEY-003"] if name != "low-order" else ["MOLT-P2P-011", "MOLT-KEY-005"]
        pc(f"handshake-bad-{name}", reqs, f"a handshake with a bad key ({name}) is invalid_message",
           [step, msg(key_hex="11" * 32)])
    pc("wrong-key-message", ["MOLT-P2P-009", "MOLT-BLOB-004"],
       "a message sealed under another key is decryption_failed; the next good one is acked",
       [hs(), msg(key_hex="00" * 32), msg(cid="ok")])
    pc("data-not-string", ["MOLT-P2P-009", "MOLT-BLOB-004"], "a non-string data is decryption_failed",
       [hs(), {"line": {"type": "message", "messageType": "x", "data": 5, "correlationId": "n"}}])
    pc("data-missing", ["MOLT-P2P-009"], "a message without data is decryption_failed",
       [hs(), {"line": {"type": "message", "correlationId": "n"}}])
    pc("message-before-handshake", ["MOLT-P2P-012"], "a message before any handshake is ignored",
       [{"message": {**msg()["message"], "key_hex": "11" * 32}}, hs(), msg()])
    pc("message-after-failed-handshake", ["MOLT-P2P-012", "MOLT-P2P-011"],
       "a failed first handshake leaves no session: the message is ignored",
       [{"handshake": {"key": "bad"}}, {"message": {**msg()["message"], "key_hex": "11" * 32}}])
    pc("handshake-type-case", ["MOLT-P2P-005", "MOLT-P2P-006"],
       "type Handshake (capitalised) is not a handshake: ignored",
       [{"line": {"type": "Handshake", "key": spki_of_pub(pub_of(client_key(1))), "from": "a"}}],
       [NEAR_MISS])
    pc("message-type-case", ["MOLT-P2P-007", "MOLT-P2P-013"],
       "type Message (capitalised) after a handshake is ignored",
       [hs(), {"line": {"type": "Message", "data": "AAAA", "correlationId": "m"}}], [NEAR_MISS])
    pc("message-nul-text", ["MOLT-P2P-009", "MOLT-PAYLOAD-003"],
       "the text nul is not the null sentinel: delivered", [hs(), msg(plaintext="nul")], [NEAR_MISS])
    pc("late-handshake", ["MOLT-P2P-012", "MOLT-P2P-013"],
       "a ping before the handshake does not block the session", [{"line": {"type": "ping"}}, hs(), msg()],
       [NEAR_MISS])
    pc("ping-before-handshake", ["MOLT-P2P-013"], "ping is answered before a handshake",
       [{"line": {"type": "ping"}}])
    pc("ping-after-handshake", ["MOLT-P2P-013"], "ping is answered after a handshake",
       [hs(), {"line": {"type": "ping"}}, msg()])
    pc("pong-ignored", ["MOLT-P2P-013"], "a pong sent to the listener is ignored",
       [{"line": {"type": "pong"}}], [NEAR_MISS])
    for name, text in [("unknown-type", "{\"type\":\"hello\"}\n"), ("no-type", "{\"a\":1}\n"),
                       ("number", "5\n"), ("string", "\"ping\"\n"), ("array", "[{\"type\":\"ping\"}]\n"),
                       ("bool", "true\n"), ("type-number", "{\"type\":5}\n")]:
        pc(f"ignored-{name}", ["MOLT-P2P-013"], f"{name} is ignored without reply", [{"send": text}])
    for name, text in [("not-json", "hello\n"), ("empty-line", "\n"), ("cr-only", "\r\n"),
                       ("null", "null\n"), ("truncated", "{\"type\":\"ping\"\n"),
                       ("trailing-garbage", "{\"type\":\"ping\"} x\n")]:
        pc(f"invalid-{name}", ["MOLT-P2P-011"], f"{name}: invalid_message", [{"send": text}])
    pc("invalid-then-ping", ["MOLT-P2P-011", "MOLT-P2P-013"], "the connection survives a bad line",
       [{"send": "xx\n"}, {"line": {"type": "ping"}}])
    pc("crlf", ["MOLT-P2P-001"], "a CR before the LF is tolerated",
       [{"send": "{\"type\":\"ping\"}\r\n"}], [NEAR_MISS])
    pc("partial-line", ["MOLT-P2P-001"], "an incomplete line waits for its newline",
       [{"send": "{\"type\":"}, {"send": "\"ping\"}"}, {"send": "\n"}])
    pc("two-lines-one-read", ["MOLT-P2P-001"], "two lines in one read", [
        {"send": "{\"type\":\"ping\"}\n{\"type\":\"ping\"}\n"}])
    pc("whitespace-json", ["MOLT-P2P-001", "MOLT-P2P-011"], "JSON whitespace around the object is fine",
       [{"send": "  {\"type\" : \"ping\"}  \n"}], [NEAR_MISS])
    e_acute = "c3a9"
    pc("utf8-split", ["MOLT-P2P-002"],
       "a multi-byte from split across two reads arrives intact",
       [{"client_private_hex": client_key(1).hex(), "send_hex": ("{\"type\":\"handshake\",\"key\":\"" + spki_of_pub(pub_of(client_key(1))) +
                      "\",\"from\":\"").encode().hex() + e_acute[:2]},
        {"send_hex": e_acute[2:] + "-agent\"}\n".encode().hex()}, msg()],
       result="acceptable",
       lenient=None, flags=["JS_CHUNK_UTF8"])
    pc("utf8-invalid", ["MOLT-P2P-003"], "invalid UTF-8 in a line becomes U+FFFD",
       [{"client_private_hex": client_key(1).hex(), "send_hex": ("{\"type\":\"handshake\",\"key\":\"" + spki_of_pub(pub_of(client_key(1))) +
                      "\",\"from\":\"a").encode().hex() + "ff" + "b\"}\n".encode().hex()}, msg()])
    pc("utf8-valid", ["MOLT-P2P-003"], "valid UTF-8 in a line is kept",
       [{"client_private_hex": client_key(1).hex(), "send_hex": ("{\"type\":\"handshake\",\"key\":\"" + spki_of_pub(pub_of(client_key(1))) +
                      "\",\"from\":\"a\u00e9b\"}\n").encode().hex()}, msg()], [NEAR_MISS])
    pc("line-cap", ["MOLT-P2P-004"], "a line over the cap is discarded and answered invalid_message",
       [{"send": "{\"type\":\"ping\",\"pad\":\"" + "x" * 80 + "\"}\n"}, {"line": {"type": "ping"}}],
       result="acceptable", flags=["JS_NO_LINE_CAP"], max_line=64)
    pc("line-cap-exact", ["MOLT-P2P-004"], "a line of exactly the cap is accepted",
       [{"send": "{\"type\":\"ping\",\"p\":\"" + "x" * (64 - 22) + "\"}\n"}], [NEAR_MISS], max_line=64)
    pc("line-cap-split", ["MOLT-P2P-004"], "an over-long line is discarded across reads",
       [{"send": "{\"type\":\"ping\",\"pad\":\"" + "x" * 60}, {"send": "x" * 60},
        {"send": "\"}\n{\"type\":\"ping\"}\n"}],
       result="acceptable", flags=["JS_NO_LINE_CAP"], max_line=64)
    pc("replayed-frame", ["MOLT-P2P-007", "MOLT-SEC-007"],
       "the same message frame twice is delivered twice (no replay window)",
       [hs(), msg(), msg()])
    pc("long-payload", ["MOLT-P2P-007"], "a 4 KiB payload", [hs(), msg({"blob": "y" * 4096})])

    cases = []
    for id, reqs, desc, steps, flags, result, lenient, max_line in P:
        args = {"server_keys": keys, "steps": steps}
        if max_line is not None:
            args["max_line"] = max_line
        out = run_peer_model(args)
        c = case(f"molt-peer-{id}", reqs + ["MOLT-SCRIPT-002"], desc, "molt.peer.run", args,
                 ok(out), result=result or "valid", lenient=lenient, flags=flags)
        cases.append(c)
    cases.append(case("molt-peer-script-bad-step", ["MOLT-SCRIPT-002"], "an unknown step is bad_args",
                      "molt.peer.run", {"steps": [{"fly": 1}]}, err("bad_args"), confirmed_by="spec"))
    return cases


# --------------------------------------------------------------------------------------------
# Sender model (MOLT-P2P-014, MOLT-P2P-016)
# --------------------------------------------------------------------------------------------


def sender_model(args):
    secret = bytes.fromhex(args["private_hex"])
    pt = args["plaintext"].encode() if "plaintext" in args else encode_payload(args["payload"])
    if "respond_to" in args:
        t = args["respond_to"].get("type")
        mtype = (t if isinstance(t, str) else compact(t)) + ":response"
        cid = args["respond_to"].get("correlationId", ("absent",))
    else:
        mtype = args["messageType"]
        cid = args.get("correlationId", ("absent",))
    frames = [{"type": "handshake", "key": spki_of_pub(pub_of(secret)), "from": args.get("from")}]
    result = {"outcome": "pending"}
    for line in args["replies"]:
        try:
            m = json.loads(line)
        except ValueError:
            result = {"outcome": "failed"}
            break
        if m is None:
            result = {"outcome": "failed"}
            break
        t = m.get("type") if isinstance(m, dict) else None
        if t == "handshake_ack":
            k = m.get("key")
            res = derive(secret, k) if isinstance(k, str) else ("err",)
            if res[0] != "ok":
                result = {"outcome": "failed"}
                break
            f = {"type": "message", "messageType": mtype,
                 "data": seal(res[1], bytes.fromhex(args["nonce_hex"]), pt)}
            if cid != ("absent",):
                f["correlationId"] = cid
            frames.append(f)
            continue
        if t == "ack":
            result = {"outcome": "delivered"}
            break
        e = m.get("error") if isinstance(m, dict) else None
        if truthy(e):
            result = {"outcome": "failed", "error": e if isinstance(e, str) else compact(e)}
            break
    result["frames"] = frames
    return result


def sender_cases():
    lk = server_key(7)
    ack_line = compact({"type": "handshake_ack", "key": spki_of_pub(pub_of(lk))})
    base = {"private_hex": client_key(9).hex(), "from": "@me", "messageType": "task",
            "payload": {"data": [1, 2], "op": "sum"}, "nonce_hex": "aa" * 12, "correlationId": "r1"}
    S = [
        ("delivered", ["MOLT-P2P-014"], "handshake, one message, ack: delivered",
         {"replies": [ack_line, "{\"type\":\"ack\",\"correlationId\":\"r1\"}"]}, None),
        ("ack-id-not-compared", ["MOLT-P2P-014"], "an ack with another correlationId still counts",
         {"replies": [ack_line, "{\"type\":\"ack\",\"correlationId\":\"other\"}"]}, [NEAR_MISS]),
        ("pending", ["MOLT-P2P-014"], "no ack yet: pending after the message",
         {"replies": [ack_line]}, None),
        ("pong-ignored", ["MOLT-P2P-014"], "a pong is ignored", {"replies": [
            ack_line, "{\"type\":\"pong\"}", "{\"type\":\"ack\"}"]}, None),
        ("decryption-failed", ["MOLT-P2P-014"], "an error frame fails the send",
         {"replies": [ack_line, "{\"error\":\"decryption_failed\"}"]}, None),
        ("invalid-message", ["MOLT-P2P-014"], "invalid_message on the handshake fails",
         {"replies": ["{\"error\":\"invalid_message\"}"]}, None),
        ("falsy-error-ignored", ["MOLT-P2P-014"], "an empty error member is not a failure",
         {"replies": [ack_line, "{\"error\":\"\"}", "{\"type\":\"ack\"}"]}, [NEAR_MISS]),
        ("unparseable", ["MOLT-P2P-014"], "an unparseable line fails", {"replies": ["{nope"]}, None),
        ("bad-ack-key", ["MOLT-P2P-014", "MOLT-KEY-003"], "a handshake_ack with a raw key fails",
         {"replies": ["{\"type\":\"handshake_ack\",\"key\":\"" +
                      base64.b64encode(pub_of(lk)).decode() + "\"}"]}, None),
        ("no-from", ["MOLT-P2P-014"], "a sender without id sends from null",
         {"from": None, "replies": [ack_line, "{\"type\":\"ack\"}"]}, None),
        ("string-payload", ["MOLT-P2P-014", "MOLT-PAYLOAD-001"], "a string payload is sent as text",
         {"payload": "plain words", "replies": [ack_line, "{\"type\":\"ack\"}"]}, None),
        ("no-correlation", ["MOLT-P2P-014"], "without correlationId the message has none",
         {"correlationId": None, "replies": [ack_line, "{\"type\":\"ack\"}"]}, [NEAR_MISS]),
        ("respond", ["MOLT-P2P-016"], "a response has type T:response and the request's correlationId",
         {"respond_to": {"type": "task", "correlationId": "req-9"}, "messageType": None,
          "correlationId": None, "replies": [ack_line, "{\"type\":\"ack\"}"]}, None),
        ("respond-to-response", ["MOLT-P2P-016"], "responding to a response appends :response again",
         {"respond_to": {"type": "task:response", "correlationId": "req-9"}, "messageType": None,
          "correlationId": None, "replies": [ack_line]}, [NEAR_MISS]),
    ]
    cases = []
    for id, reqs, desc, over, flags in S:
        args = dict(base)
        for k, v in over.items():
            if v is None and k in ("from",):
                args[k] = None
            elif v is None:
                args.pop(k, None)
            else:
                args[k] = v
        if "payload" in over and isinstance(over["payload"], str):
            pass
        out = sender_model(args)
        cases.append(case(f"molt-send-{id}", reqs + ["MOLT-SCRIPT-002"], desc, "molt.peer.send",
                          args, ok(out), flags=flags))
    bad = dict(base)
    bad.pop("nonce_hex")
    cases.append(case("molt-send-script-no-nonce", ["MOLT-SCRIPT-002"], "a sender script without nonce is bad_args",
                      "molt.peer.send", {**bad, "replies": []}, err("bad_args"), confirmed_by="spec"))
    return cases


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def render(description, flags, cases):
    used = sorted({f for c in cases for f in c.get("flags", [])})
    doc = {"suite": "m2m-conformance", "schema_version": 1, "spec": "molt", "description": description}
    if used:
        doc["flags"] = {k: flags[k] for k in used}
    cases = [dict(c, reqs=list(dict.fromkeys(c["reqs"]))) for c in cases]
    doc["cases"] = cases
    # The peer scenarios share the server's keys; sender scenarios share the sender's key.
    doc = share_inputs(doc, ["server_keys", "private_hex"])
    assert expand_shared(doc) == cases
    return render_file(doc, "GENERATED by vectors/tools/gen_molt_vectors.py; edit the generator, not this file.")


def files():
    return [
        ("crypto.yaml", "Molt keys (X25519 SPKI), session keys and AES-256-GCM blobs with fixed keys and nonces",
         FLAGS_CRYPTO, crypto_cases()),
        ("hub.yaml", "Molt discovery hub scenarios under a virtual clock (molt.hub.run)",
         FLAGS_HUB, build_hub_files()),
        ("peer.yaml", "Molt peer listener scenarios, the script playing the sender (molt.peer.run)",
         FLAGS_PEER, peer_cases()),
        ("sender.yaml", "Molt sender and responder scenarios (molt.peer.send)",
         {NEAR_MISS: NEAR_MISS_MEANING}, sender_cases()),
    ]


def node_check(cases) -> int:
    script = Path(__file__).resolve().parent / "molt_crypto_check.js"
    payload = json.dumps([{"id": c["id"], "op": c["op"], "input": c["input"]} for c in cases])
    res = subprocess.run(["node", str(script)], input=payload, capture_output=True, text=True,
                         check=True)
    got = {r["id"]: r["outcome"] for r in json.loads(res.stdout)}
    bad = 0
    for c in cases:
        want = c["lenient"] if c["result"] == "acceptable" else c["expect"]
        if got[c["id"]] != want:
            bad += 1
            print(f"NODE MISMATCH {c['id']}: want {want}, node {got[c['id']]}", file=sys.stderr)
    print(f"node: {len(cases) - bad}/{len(cases)} crypto cases agree with Node's crypto "
          f"(acceptable cases compared with their lenient JavaScript outcome)", file=sys.stderr)
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--node", action="store_true")
    opts = ap.parse_args()
    status = 0
    for name, desc, flags, cases in files():
        text = render(desc, flags, cases)
        import yaml  # noqa: PLC0415
        assert expand_shared(yaml.safe_load(text))[0]["id"] == cases[0]["id"]
        path = OUT / name
        if opts.check:
            if not path.exists() or path.read_text() != text:
                print(f"STALE vectors/molt/{name}", file=sys.stderr)
                status = 1
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        neg = sum(c["result"] != "valid" for c in cases)
        near = sum(NEAR_MISS in c.get("flags", []) for c in cases)
        print(f"vectors/molt/{name}: {len(cases)} cases ({neg} invalid/acceptable, {near} near misses)",
              file=sys.stderr)
        if opts.node and name == "crypto.yaml":
            status |= 1 if node_check(cases) else 0
    return status


if __name__ == "__main__":
    sys.exit(main())
