#!/usr/bin/env python3
"""Generate vectors/tokennative/, vectors/{t1,dictionary,m3,zlib}/ and vectors/selection/ from upstream's own output.

Every case is sent, unchanged, to two testees over the stdin protocol:

* the upstream adapter (adapters/m2m-protocol-0.4, linking the published m2m-protocol 0.4.0), and
* the reference (target/debug/m2m-ref serve-testee).

A case without a hand-written expectation takes upstream's answer as its golden
(`confirmed_by: upstream-0.4.0`) and the generator stops if the reference disagrees. A case with a
hand-written expectation (where this suite's spec deliberately differs from upstream, or upstream
has no implementation) must match the reference; if upstream answers otherwise the case becomes
`acceptable` with upstream's answer as `lenient` (when it is expressible) and a flag saying why.
The zlib goldens come from Python's zlib module (`confirmed_by: python-zlib`).

Usage (from the repository root, after building both testees):
    cargo build -p m2m-reference
    cargo build --release --manifest-path adapters/m2m-protocol-0.4/Cargo.toml
    python3 vectors/tools/gen_token_vectors.py          # rewrite the files
    python3 vectors/tools/gen_token_vectors.py --check  # exit 1 if a file would change
"""

import base64
import json
import os
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vecwrite import render_file  # noqa: E402  (the one writer of vector files)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = [os.path.join(ROOT, "adapters/m2m-protocol-0.4/target/release/m2m-upstream-testee")]
REFERENCE = [os.path.join(ROOT, "target/debug/m2m-ref"), "serve-testee"]
GENERATOR = "vectors/tools/gen_token_vectors.py"


class Testee:
    def __init__(self, cmd):
        self.cmd = cmd
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        self.n = 0

    def call(self, op, args):
        self.n += 1
        line = json.dumps({"id": str(self.n), "op": op, "args": args}, ensure_ascii=False)
        try:
            self.p.stdin.write(line + "\n")
            self.p.stdin.flush()
            raw = self.p.stdout.readline()
        except BrokenPipeError:
            raw = ""
        if not raw:  # the testee died on this request: note it and start a fresh one
            rc = self.p.wait()
            self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
            return {"crash": rc}
        resp = json.loads(raw)
        if "ok" in resp:
            return {"ok": resp["ok"]}
        if "error" in resp:
            return {"error": resp["error"]["class"]}
        return {"unsupported": True}


def expand(v):
    """Expand the $repeat / $concat generators of vectors/README.md."""
    if isinstance(v, dict):
        if "$repeat" in v:
            return expand(v["$repeat"]) * v["count"]
        if "$concat" in v:
            return "".join(expand(x) for x in v["$concat"])
        return {k: expand(x) for k, x in v.items()}
    if isinstance(v, list):
        return [expand(x) for x in v]
    return v


FILES = {}  # path -> dict(spec, description, flags, cases)
KNOWN_CLASSES = None


def known_classes():
    global KNOWN_CLASSES
    if KNOWN_CLASSES is None:
        import yaml
        with open(os.path.join(ROOT, "spec/error-classes.yaml")) as f:
            KNOWN_CLASSES = set(yaml.safe_load(f)["classes"])
    return KNOWN_CLASSES


def file(path, spec, description, flags=None):
    FILES[path] = {"spec": spec, "description": description, "flags": flags or {}, "cases": []}
    return path


def case(path, cid, reqs, description, op, inp, expect=None, flags=(), confirmed=None,
         near_miss=False):
    FILES[path]["cases"].append(dict(id=cid, reqs=reqs, description=description, op=op,
                                     input=inp, expect=expect, flags=list(flags),
                                     confirmed=confirmed, near_miss=near_miss))


def resolve(up, ref):
    problems = []
    for path, f in FILES.items():
        for c in f["cases"]:
            args = expand(c["input"])
            u = up.call(c["op"], args)
            r = ref.call(c["op"], args)
            flags = list(c["flags"])
            if c["near_miss"]:
                flags.append("NEAR_MISS")
            if c["expect"] is None:
                if "unsupported" in u:
                    problems.append(f"{c['id']}: upstream unsupported and no expectation given")
                    continue
                if u != r:
                    problems.append(f"{c['id']}: reference {r} != upstream {u}")
                    continue
                c["final"] = u
                c["result"] = "valid" if "ok" in u else "invalid"
                c["confirmed_by"] = "upstream-0.4.0"
                c["lenient"] = None
            else:
                want = c["expect"]
                if r != want:
                    problems.append(f"{c['id']}: reference {r} != expected {want}")
                    continue
                c["final"] = want
                c["lenient"] = None
                if u == want:
                    c["result"] = "valid" if "ok" in want else "invalid"
                    c["confirmed_by"] = "upstream-0.4.0"
                elif "unsupported" in u or "crash" in u or not flags:
                    # upstream has no implementation (zlib): the expectation stands on its own
                    if not flags and "unsupported" not in u:
                        problems.append(f"{c['id']}: upstream {u} differs and no flag explains why")
                        continue
                    c["result"] = "valid" if "ok" in want else "invalid"
                    c["confirmed_by"] = c["confirmed"] or "spec"
                else:
                    c["result"] = "acceptable"
                    c["confirmed_by"] = c["confirmed"] or "spec"
                    if "error" in u and u["error"] not in known_classes():
                        c["lenient"] = None  # e.g. upstream_panic: anything non-broken
                    else:
                        c["lenient"] = u
                    if not c["flags"]:
                        problems.append(f"{c['id']}: acceptable without a flag")
            c["final_flags"] = flags
    return problems


def render(path, f):
    used = sorted({fl for c in f["cases"] for fl in c.get("final_flags", [])})
    doc = {"suite": "m2m-conformance", "schema_version": 1, "spec": f["spec"],
           "description": f["description"]}
    if used:
        doc["flags"] = {fl: ALL_FLAGS[fl] for fl in used}
    cases = []
    for c in f["cases"]:
        out = {"id": c["id"], "reqs": c["reqs"], "description": c["description"], "op": c["op"],
               "input": c["input"], "expect": c["final"], "result": c["result"]}
        if c.get("lenient") is not None:
            out["lenient"] = c["lenient"]
        if c.get("final_flags"):
            out["flags"] = c["final_flags"]
        out["confirmed_by"] = c["confirmed_by"]
        cases.append(out)
    doc["cases"] = cases
    return render_file(doc, f"GENERATED by {GENERATOR}; edit the generator, not this file.")


ALL_FLAGS = {
    "UPSTREAM_M3_RESERVES_DECLARED_LENGTH": "upstream 0.4.0 reserves memory for an M3 length or "
    "count before checking it against the data, so a huge declared length aborts the process "
    "(M3-DIV-002)",
    "NEAR_MISS": "the input lies just outside the condition of the cited requirement",
    "UPSTREAM_LENIENT_TOKEN_VARINT": "upstream 0.4.0 reads token varints into a u32 without "
    "length or range checks (excess bits dropped, a 6th byte shifted out of range)",
    "UPSTREAM_T1_PREFIX_OPTIONAL": "upstream 0.4.0 decodes a Token v1 body without its #T1| prefix",
    "UPSTREAM_DICT_PREFIX_OPTIONAL": "upstream 0.4.0 decodes a dictionary body without its #M2M| prefix",
    "UPSTREAM_DICT_PANICS_ON_NON_ASCII": "upstream 0.4.0's dictionary encoder panics on non-ASCII "
    "content of 50 bytes or more (it slices the text inside a character)",
    "UPSTREAM_DICT_AMBIGUOUS_SHORT_FORM": "upstream 0.4.0 sends short content raw even when it is "
    "valid base64, which its own decoder then decodes as base64",
    "UPSTREAM_DICT_LATIN1_FALLBACK": "upstream 0.4.0 turns an unknown dictionary code byte into "
    "the Latin-1 character of the same number",
}


def b64(bs):
    return base64.b64encode(bytes(bs)).decode()


def leb(v):
    out = []
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return out


# ---------------------------------------------------------------------------------------------
# TokenNative

CHAT = ('{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},'
        '{"role":"user","content":"What is the capital of France?"}]}')
TEXTS = [
    ("empty", "", "the empty text"),
    ("hello-world", "Hello, world!", "the classic greeting"),
    ("how-are-you", "Hello, how are you today?", "upstream's round-trip sample"),
    ("single-char", "a", "one ASCII letter"),
    ("single-space", " ", "one space"),
    ("space-run", "a     b", "a run of spaces"),
    ("newlines", "line one\nline two\r\n\tindented\n", "line ends and a tab"),
    ("digits", "1234567890 3.14159 -42", "digit runs"),
    ("json-chat", CHAT, "a chat request JSON"),
    ("json-escapes", '{"a":"\\u00e9\\n\\"q\\"","b":[1,2.5,null,true]}', "JSON with escapes"),
    ("code", "fn main() {\n    println!(\"{}\", 1 + 2);\n}\n", "source code"),
    ("url", "https://example.com/path?q=1&r=%20#frag", "a URL"),
    ("german", "Grüße aus München – Straße", "Latin script with diacritics"),
    ("russian", "Привет, мир! Как дела?", "Cyrillic"),
    ("chinese", "你好，世界。今天天气很好。", "Chinese"),
    ("japanese", "こんにちは、世界。カタカナ", "Japanese kana and kanji"),
    ("arabic", "مرحبا بالعالم", "Arabic (right to left)"),
    ("hindi", "नमस्ते दुनिया", "Devanagari with combining marks"),
    ("emoji", "Hi 👋🌍🚀", "emoji outside the BMP"),
    ("emoji-zwj", "👨‍👩‍👧‍👦 family", "a ZWJ emoji sequence"),
    ("combining", "e\u0301 vs \u00e9", "a combining accent next to the precomposed letter"),
    ("special-eot", "<|endoftext|>", "the end-of-text special token alone"),
    ("special-mixed", "Hello<|endoftext|>world", "a special token between words"),
    ("special-fim", "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>", "cl100k fill-in-the-middle tokens"),
    ("special-eop", "<|endofprompt|>", "the end-of-prompt special token"),
    ("special-broken", "<|endoftext|", "an incomplete special token is ordinary text"),
    ("long-repeat", {"$repeat": "The quick brown fox jumps over the lazy dog. ", "count": 40},
     "a long repeated sentence"),
]


def gen_token():
    enc = file("tokennative/encode.yaml", "tokennative",
               "TokenNative text form: exact token ids and wire strings for cl100k (C), o200k (O) and L")
    for key, text, what in TEXTS:
        for tok in ("C", "O"):
            reqs = ["TOKEN-TEXT-002", "TOKEN-ID-001", "TOKEN-TOK-002", "TOKEN-VARINT-001"]
            near = key == "special-broken" or (key == "special-fim" and tok == "O")
            if key.startswith("special"):
                reqs.append("TOKEN-TOK-001")
            case(enc, f"token-encode-{tok.lower()}-{key}", reqs, f"{what}, tokenizer {tok}",
                 "token.encode", {"text": text, "tokenizer": tok}, near_miss=near)
    for key in ("hello-world", "json-chat", "emoji", "chinese", "special-eot", "empty"):
        text = dict((k, t) for k, t, _ in TEXTS)[key]
        case(enc, f"token-encode-l-{key}", ["TOKEN-TEXT-002", "TOKEN-ID-002"],
             f"L tokenizes with cl100k: {key}", "token.encode", {"text": text, "tokenizer": "L"})
    for key in ("hello-world", "json-chat", "empty"):
        text = dict((k, t) for k, t, _ in TEXTS)[key]
        case(enc, f"token-wire-compress-{key}", ["TOKEN-TEXT-002", "WIRE-PASS-002"],
             f"wire.compress token-native uses cl100k: {key}", "wire.compress",
             {"algorithm": "token-native", "input": text})

    dec = file("tokennative/decode.yaml", "tokennative",
               "TokenNative text form decoding: round trips, tokenizer ids, lenient id field")
    up = Testee(UPSTREAM)
    for key, text, what in TEXTS:
        for tok in ("C", "O"):
            wire = up.call("token.encode", {"text": expand(text), "tokenizer": tok})["ok"]["wire"]
            case(dec, f"token-decode-{tok.lower()}-{key}",
                 ["TOKEN-TEXT-006", "TOKEN-DETOK-001", "TOKEN-ID-001", "TOKEN-TEXT-001",
                  "TOKEN-TEXT-003", "TOKEN-TEXT-005", "TOKEN-VARINT-002", "TOKEN-VARINT-003",
                  "TOKEN-VARINT-004", "TOKEN-DETOK-002", "TOKEN-DETOK-003"],
                 f"{what} decodes from its {tok} wire form", "token.decode", {"wire": wire})
    hw_c = "#TK|C|sk0L/Q4A"
    hw_o = up.call("token.encode", {"text": "Hello, world!", "tokenizer": "O"})["ok"]["wire"]
    o_body = hw_o[len("#TK|O|"):]
    c_body = hw_c[len("#TK|C|"):]
    case(dec, "token-decode-l-is-cl100k", ["TOKEN-ID-002", "TOKEN-TEXT-006"],
         "L decodes cl100k ids", "token.decode", {"wire": "#TK|L|" + c_body})
    case(dec, "token-decode-wire-id-wins", ["TOKEN-TEXT-006"],
         "o200k ids under O decode with o200k whatever the receiver prefers", "token.decode",
         {"wire": "#TK|O|" + o_body})
    case(dec, "token-decode-o-ids-under-c", ["TOKEN-TEXT-006", "TOKEN-ID-001", "TOKEN-TOK-002"],
         "o200k ids labelled C are read as cl100k ids (different text)", "token.decode",
         {"wire": "#TK|C|" + o_body}, near_miss=True)
    case(dec, "token-decode-l-o200k-body", ["TOKEN-ID-002"],
         "o200k ids labelled L are read as cl100k ids, not o200k or Llama", "token.decode",
         {"wire": "#TK|L|" + o_body}, near_miss=True)
    case(dec, "token-decode-unknown-id-char", ["TOKEN-ID-003"],
         "an unknown id character selects cl100k", "token.decode", {"wire": "#TK|Z|" + c_body})
    case(dec, "token-decode-lowercase-o", ["TOKEN-ID-003"],
         "lower-case o is not O: it selects cl100k", "token.decode", {"wire": "#TK|o|" + c_body},
         near_miss=True)
    case(dec, "token-decode-multichar-id", ["TOKEN-ID-003"],
         "only the first character of the id field counts", "token.decode",
         {"wire": "#TK|OC|" + o_body})
    case(dec, "token-decode-non-ascii-id", ["TOKEN-ID-003"],
         "a non-ASCII id character selects cl100k", "token.decode", {"wire": "#TK|Ö|" + c_body})
    case(dec, "token-decode-empty-data", ["TOKEN-TEXT-004"], "an empty data section is the empty text",
         "token.decode", {"wire": "#TK|C|"})
    case(dec, "token-decode-non-minimal-varint", ["TOKEN-VARINT-005"],
         "a non-minimal varint 80 00 is id 0", "token.decode", {"wire": "#TK|C|" + b64([0x80, 0x00])})
    case(dec, "token-decode-five-byte-max", ["TOKEN-VARINT-001", "TOKEN-DETOK-002"],
         "a 5-byte varint of a large id is read, then the id is unknown", "token.decode",
         {"wire": "#TK|C|" + b64(leb(0xFFFFFFFF))})
    case(dec, "token-decode-special", ["TOKEN-DETOK-001", "TOKEN-TOK-001"],
         "the special id 100257 decodes to <|endoftext|>", "token.decode",
         {"wire": "#TK|C|" + b64(leb(100257))})
    case(dec, "token-decode-o200k-special", ["TOKEN-DETOK-001", "TOKEN-TOK-001"],
         "o200k special id 199999 decodes to <|endoftext|>", "token.decode",
         {"wire": "#TK|O|" + b64(leb(199999))})
    for key in ("hello-world", "emoji", "empty"):
        text = dict((k, t) for k, t, _ in TEXTS)[key]
        wire = up.call("token.encode", {"text": text, "tokenizer": "C"})["ok"]["wire"]
        case(dec, f"token-wire-decompress-{key}", ["TOKEN-TEXT-006", "WIRE-DETECT-001"],
             f"wire.decompress detects and decodes #TK|: {key}", "wire.decompress", {"wire": wire})

    err = file("tokennative/errors.yaml", "tokennative", "TokenNative decoding errors, one class each")
    emoji_ids = up.call("token.encode", {"text": "😀", "tokenizer": "C"})["ok"]["ids"]
    E = [
        ("token-err-no-prefix", ["TOKEN-TEXT-001"], "token.decode of text without #TK| fails",
         "Hello", "invalid_prefix"),
        ("token-err-lowercase-prefix", ["TOKEN-TEXT-001"], "#tk| is not the prefix",
         "#tk|C|sk0L/Q4A", "invalid_prefix"),
        ("token-err-prefix-only", ["TOKEN-TEXT-003"], "#TK| alone has no tokenizer id", "#TK|",
         "missing_tokenizer_id"),
        ("token-err-empty-id", ["TOKEN-TEXT-003"], "an empty id field", "#TK||sk0L/Q4A",
         "missing_tokenizer_id"),
        ("token-err-missing-data-c", ["TOKEN-TEXT-002", "TOKEN-TEXT-004"], "no | after the id", "#TK|C",
         "missing_data"),
        ("token-err-missing-data-long", ["TOKEN-TEXT-002", "TOKEN-TEXT-004"], "no | after a long id field",
         "#TK|Csk0L/Q4A", "missing_data"),
        ("token-err-b64-unpadded", ["TOKEN-TEXT-002", "TOKEN-TEXT-005"], "base64 without padding", "#TK|C|sk0L/Q4",
         "invalid_base64"),
        ("token-err-b64-urlsafe", ["TOKEN-TEXT-002", "TOKEN-TEXT-005"], "URL-safe base64 alphabet",
         "#TK|C|sk0L_Q4A", "invalid_base64"),
        ("token-err-b64-space", ["TOKEN-TEXT-005"], "whitespace inside base64", "#TK|C|sk0L Q4A",
         "invalid_base64"),
        ("token-err-b64-second-bar", ["TOKEN-TEXT-005"], "a second | inside the data",
         "#TK|C|sk0L|Q4A", "invalid_base64"),
        ("token-err-b64-trailing-bits", ["TOKEN-TEXT-005"], "non-zero trailing bits", "#TK|C|sk1=",
         "invalid_base64"),
        ("token-err-varint-truncated", ["TOKEN-VARINT-002"], "the data ends inside a varint",
         "#TK|C|" + b64([0x80]), "varint_truncated"),
        ("token-err-varint-truncated-after-ids", ["TOKEN-VARINT-002"],
         "valid ids followed by a cut varint", "#TK|C|" + b64([0xb2, 0x4d, 0x0b, 0xfd]),
         "varint_truncated"),
        ("token-err-unknown-id-c", ["TOKEN-DETOK-002"], "cl100k has no id 100256",
         "#TK|C|" + b64(leb(100256)), "unknown_token"),
        ("token-err-unknown-id-o", ["TOKEN-DETOK-002"], "o200k has no id 200500",
         "#TK|O|" + b64(leb(200500)), "unknown_token"),
        ("token-err-o200k-id-under-c", ["TOKEN-DETOK-002", "TOKEN-TEXT-006"],
         "an o200k-only id labelled C is unknown", "#TK|C|" + b64(leb(199999)), "unknown_token"),
        ("token-err-partial-utf8", ["TOKEN-DETOK-003", "TOKEN-DETOK-001"],
         "the first token of an emoji alone is not UTF-8",
         "#TK|C|" + b64(leb(emoji_ids[0])), "invalid_utf8"),
        ("token-err-utf8-reordered", ["TOKEN-DETOK-003"], "an emoji's tokens in the wrong order",
         "#TK|C|" + b64(sum((leb(i) for i in reversed(emoji_ids)), [])), "invalid_utf8"),
    ]
    for cid, reqs, what, wire, cls in E:
        case(err, cid, reqs, what, "token.decode", {"wire": wire}, expect={"error": cls})
    case(err, "token-err-wire-decompress-unknown-id", ["TOKEN-DETOK-002", "WIRE-DETECT-006"],
         "wire.decompress of a #TK| string fails with the TokenNative error",
         "wire.decompress", {"wire": "#TK|C|" + b64(leb(100256))})
    case(err, "token-err-wire-decompress-missing-id", ["TOKEN-TEXT-003", "WIRE-DETECT-006"],
         "wire.decompress of the bare prefix fails, no passthrough", "wire.decompress",
         {"wire": "#TK|"})
    # deliberate divergences from upstream's lenient varint reader
    case(err, "token-err-varint-overflow", ["TOKEN-VARINT-004"],
         "a 5-byte varint of 2^32 + 9906 is out of range", "token.decode",
         {"wire": "#TK|C|" + b64(leb((1 << 32) + 9906))}, expect={"error": "varint_overflow"},
         flags=["UPSTREAM_LENIENT_TOKEN_VARINT"])
    case(err, "token-err-varint-overflow-max", ["TOKEN-VARINT-004"],
         "ff ff ff ff 7f is out of range", "token.decode",
         {"wire": "#TK|C|" + b64([0xff, 0xff, 0xff, 0xff, 0x7f])},
         expect={"error": "varint_overflow"}, flags=["UPSTREAM_LENIENT_TOKEN_VARINT"])
    case(err, "token-err-varint-six-bytes", ["TOKEN-VARINT-003"],
         "a 6-byte varint is too long", "token.decode",
         {"wire": "#TK|C|" + b64([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])},
         expect={"error": "varint_too_long"}, flags=["UPSTREAM_LENIENT_TOKEN_VARINT"])
    case(err, "token-err-varint-seven-bytes", ["TOKEN-VARINT-003"],
         "a 7-byte varint is too long", "token.decode",
         {"wire": "#TK|C|" + b64([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])},
         expect={"error": "varint_too_long"}, flags=["UPSTREAM_LENIENT_TOKEN_VARINT"])

    binf = file("tokennative/binary.yaml", "tokennative", "TokenNative binary mode [id byte][varints]")
    for key in ("hello-world", "json-chat", "emoji", "empty", "special-eot"):
        text = dict((k, t) for k, t, _ in TEXTS)[key]
        for tok in ("C", "O", "L"):
            if tok == "L" and key not in ("hello-world", "empty"):
                continue
            case(binf, f"token-bin-encode-{tok.lower()}-{key}", ["TOKEN-BIN-001", "TOKEN-ID-001"],
                 f"binary mode of {key}, tokenizer {tok}", "token.encode_binary",
                 {"text": text, "tokenizer": tok})
            hx = up.call("token.encode_binary", {"text": text, "tokenizer": tok})["ok"]["hex"]
            case(binf, f"token-bin-decode-{tok.lower()}-{key}", ["TOKEN-BIN-002"],
                 f"binary mode of {key} decodes, tokenizer {tok}", "token.decode_binary", {"hex": hx})
    case(binf, "token-bin-decode-unknown-byte", ["TOKEN-BIN-002"],
         "tokenizer byte 7 selects cl100k", "token.decode_binary",
         {"hex": "07" + bytes([0xb2, 0x4d, 0x0b, 0xfd, 0x0e, 0x00]).hex()})
    case(binf, "token-bin-decode-id-only", ["TOKEN-BIN-002"],
         "a tokenizer byte with no varints is the empty text", "token.decode_binary", {"hex": "01"})
    case(binf, "token-bin-err-empty", ["TOKEN-BIN-003"], "empty binary input fails",
         "token.decode_binary", {"hex": ""})
    case(binf, "token-bin-err-truncated-varint", ["TOKEN-BIN-002", "TOKEN-VARINT-002"],
         "binary data ending inside a varint", "token.decode_binary", {"hex": "00b2"})
    case(binf, "token-bin-err-unknown-token", ["TOKEN-BIN-002", "TOKEN-DETOK-002"],
         "binary data with an unknown id", "token.decode_binary",
         {"hex": "00" + bytes(leb(100256)).hex()})
    case(binf, "token-bin-err-varint-overflow", ["TOKEN-BIN-002", "TOKEN-VARINT-004"],
         "binary data with a varint of 2^32 or more", "token.decode_binary",
         {"hex": "00" + bytes(leb((1 << 32) + 9906)).hex()}, expect={"error": "varint_overflow"},
         flags=["UPSTREAM_LENIENT_TOKEN_VARINT"])


# ---------------------------------------------------------------------------------------------
# Token v1

T1_INPUTS = [
    ("derived", '{"model":"gpt-4o","messages":[{"role":"system","content":"You are helpful."},'
     '{"role":"user","content":"Hello!"}],"temperature":1.0,"max_tokens":100,"stream":false}',
     "the chapter's derived example", ["T1-KEY-001", "T1-ROLE-001", "T1-MODEL-001", "T1-DEF-001"]),
    ("defaults-all", '{"model":"gpt-4","messages":[],"temperature":1,"top_p":1.0,"n":1,'
     '"stream":false,"frequency_penalty":0,"presence_penalty":0.0,"logit_bias":{},"stop":null}',
     "every default is dropped", ["T1-DEF-001", "T1-NULL-001"]),
    ("defaults-near", '{"model":"gpt-4","temperature":1.0005,"top_p":0.998,"n":2,"stream":true,'
     '"frequency_penalty":0.1,"logit_bias":{"50256":-100}}',
     "values next to the defaults are kept (1.0005 is within 0.001 of 1, 0.998 is not)",
     ["T1-DEF-001", "T1-KEY-001"]),
    ("nulls-nested", '{"a":null,"b":{"c":null,"d":[null,{"e":null}]}}',
     "nulls are dropped from objects at any depth, kept in arrays", ["T1-NULL-001"]),
    ("tools", '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Weather?"}],'
     '"tools":[{"type":"function","function":{"name":"get_weather","description":"Get weather",'
     '"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],'
     '"tool_choice":"auto"}', "a tools request", ["T1-KEY-001", "T1-MODEL-001"]),
    ("response", '{"id":"chatcmpl-1","object":"chat.completion","created":1705520400,'
     '"model":"gpt-3.5-turbo","choices":[{"index":0,"message":{"role":"assistant",'
     '"content":"Hi there","tool_calls":[{"id":"c1","type":"function","function":{"name":"f",'
     '"arguments":"{}"}}]},"finish_reason":"tool_calls","logprobs":null}],'
     '"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12},"system_fingerprint":"fp_1"}',
     "a response with tool calls", ["T1-KEY-001", "T1-ROLE-001", "T1-MODEL-001"]),
    ("stream-chunk", '{"choices":[{"delta":{"content":"He"},"index":0,"finish_reason":null}]}',
     "a streaming chunk", ["T1-KEY-001", "T1-NULL-001"]),
    ("roles-all", '{"messages":[{"role":"system","content":"a"},{"role":"developer","content":"b"},'
     '{"role":"user","content":"c"},{"role":"assistant","content":"d"},{"role":"function",'
     '"content":"e"},{"role":"tool","content":"f"},{"role":"System","content":"g"}]}',
     "every role value (developer and System are kept)", ["T1-ROLE-001"]),
    ("models", '{"x":[{"model":"llama-3.1-8b"},{"model":"qwen-2.5-coder-32b"},{"model":"gpt-4o-2024-08-06"},'
     '{"model":"mixtral-8x22b"},{"model":"claude-3-opus"}]}',
     "model abbreviation is exact-match only, at any depth", ["T1-MODEL-001", "T1-KEY-001"]),
    ("role-array", '{"role":["system","user","tool"],"model":["gpt-4","x"]}',
     "strings inside arrays under role/model are abbreviated", ["T1-ROLE-001", "T1-MODEL-001"]),
    ("r-key", '{"r":"assistant","M":"gpt-4o"}', "the short keys r and M also abbreviate values",
     ["T1-ROLE-001", "T1-MODEL-001"]),
    ("not-object", '["gpt-4o",{"content":"x"},1e2]', "a top-level array; 1e2 is re-serialized",
     ["T1-ENC-002", "T1-KEY-001"]),
    ("scalar", '"gpt-4o"', "a top-level string is not abbreviated", ["T1-ENC-002"]),
    ("unicode", '{"content":"Grüße 👋 \\u0001","name":"ü"}', "non-ASCII and escaped control text",
     ["T1-ENC-002", "T1-KEY-001"]),
    ("whitespace", '{ "model" : "gpt-4o" ,\n "messages" : [ ] }', "input whitespace is not kept",
     ["T1-ENC-002", "T1-MODEL-001"]),
    ("sorted", '{"zeta":1,"alpha":2,"Beta":3,"content":"c"}', "keys come out sorted bytewise",
     ["T1-ENC-002", "T1-KEY-001"]),
    ("keys-near", '{"Content":1,"contents":2,"max-tokens":3,"Stream":false}',
     "keys that differ from a table key by case or spelling are kept", ["T1-KEY-001", "T1-DEF-001"]),
    ("roles-near", '{"role":"System","role2":"system","messages":[{"role":"developer"},{"rolex":"tool"}]}',
     "role values under other keys or in other case are kept", ["T1-ROLE-001"]),
    ("models-near", '{"model":"gpt-4o-2024-08-06","Model":"gpt-4o","model_name":"gpt-4","M":"GPT-4"}',
     "model values that are not exact table entries, or under other keys, are kept", ["T1-MODEL-001"]),
]
T1_NEAR = {"defaults-near", "nulls-nested", "whitespace", "keys-near", "roles-near", "models-near"}


def gen_t1():
    f = file("t1/t1.yaml", "t1", "Token v1 #T1|: encode and decode goldens, lossy behaviours, errors")
    up = Testee(UPSTREAM)
    for key, inp, what, reqs in T1_INPUTS:
        case(f, f"t1-encode-{key}", ["T1-STATUS-001", "T1-WIRE-001", "T1-ENC-001"] + reqs, what,
             "legacy.encode", {"format": "t1", "input": inp}, near_miss=key in T1_NEAR)
        wire = up.call("legacy.encode", {"format": "t1", "input": inp})["ok"]["wire"]
        case(f, f"t1-decode-{key}", ["T1-DEC-001", "T1-DEC-002", "T1-DEC-003", "T1-DEF-002"],
             f"decode of: {what}",
             "legacy.decode", {"format": "t1", "wire": wire})
    D = [
        ("t1-decode-collisions", ["T1-DEC-002"],
         "user keys equal to short forms are expanded (lossy)", '#T1|{"a":1,"c":2,"x":3,"E":4,"zz":5}'),
        ("t1-decode-model-value", ["T1-DEC-002", "T1-DEF-002"],
         "a model value equal to a short form is expanded", '#T1|{"M":"g4o","model2":"g4o"}'),
        ("t1-decode-defaults-nested", ["T1-DEF-002"],
         "defaults go into the first object with messages/model, not its children",
         '#T1|{"wrap":{"messages":[{"model":"x"}]},"other":[{"M":"g4"}]}'),
        ("t1-decode-defaults-kept", ["T1-DEF-002"], "present values are not replaced",
         '#T1|{"M":"g4","T":0.2,"n":3,"s":true}'),
        ("t1-decode-pattern-user", ["T1-PAT-001"], "U+0001 expands to the user-message pattern",
         '#T1|{"messages":[\u0001Hi"}]}'),
        ("t1-decode-pattern-messages", ["T1-PAT-001"], "U+000C and U+000D expand",
         '#T1|\u000c\u0003Be brief"}\u000dgpt-4"}'),
        ("t1-decode-empty-object", ["T1-DEC-002"], "an empty object stays empty", "#T1|{}"),
        ("t1-decode-unknown-short-keys", ["T1-DEC-002"], "keys that are not short forms stay",
         '#T1|{"C2":1,"cc":2,"Mx":"g4o","r2":"S"}'),
        ("t1-decode-no-api-object", ["T1-DEF-002"], "objects without messages or model get no defaults",
         '#T1|{"k":{"n":2},"l":[{"x":1}]}'),
        ("t1-decode-array", ["T1-DEC-002", "T1-DEF-002"], "arrays are searched for API objects",
         '#T1|[{"M":"g35t"},{"k":"v"}]'),
    ]
    for cid, reqs, what, wire in D:
        near = cid in ("t1-decode-unknown-short-keys", "t1-decode-no-api-object")
        case(f, cid, reqs, what, "legacy.decode", {"format": "t1", "wire": wire}, near_miss=near)
    case(f, "t1-err-encode-invalid-json", ["T1-ENC-001"], "encoder input that is not JSON",
         "legacy.encode", {"format": "t1", "input": "{model: gpt-4o}"})
    case(f, "t1-err-encode-empty", ["T1-ENC-001"], "empty encoder input", "legacy.encode",
         {"format": "t1", "input": ""})
    case(f, "t1-err-decode-invalid-json", ["T1-DEC-003"], "a body that is not JSON",
         "legacy.decode", {"format": "t1", "wire": "#T1|{M:g4o}"})
    case(f, "t1-err-decode-pretty", ["T1-PAT-001", "T1-DEC-003"],
         "a pretty-printed body: LF expands to a pattern and breaks the JSON", "legacy.decode",
         {"format": "t1", "wire": '#T1|{\n  "M": "g4o"\n}'})
    case(f, "t1-err-decode-tab", ["T1-PAT-001", "T1-DEC-003"],
         "a TAB between tokens expands to a pattern", "legacy.decode",
         {"format": "t1", "wire": '#T1|{"M":\t"g4o"}'})
    case(f, "t1-decode-space-ok", ["T1-PAT-001"], "plain spaces are not pattern codes",
         "legacy.decode", {"format": "t1", "wire": '#T1|{ "M" : "g4o" }'}, near_miss=True)
    case(f, "t1-err-decode-no-prefix", ["T1-DEC-001", "T1-WIRE-001"], "a body without #T1|", "legacy.decode",
         {"format": "t1", "wire": '{"M":"g4o"}'}, expect={"error": "invalid_prefix"},
         flags=["UPSTREAM_T1_PREFIX_OPTIONAL"])
    case(f, "t1-err-decode-other-prefix", ["T1-DEC-001"], "a #TK| string is not Token v1",
         "legacy.decode", {"format": "t1", "wire": '#TK|{"M":"g4o"}'},
         expect={"error": "invalid_prefix"}, flags=["UPSTREAM_T1_PREFIX_OPTIONAL"])


# ---------------------------------------------------------------------------------------------
# Dictionary

DICT_INPUTS = [
    ("chat", CHAT, "a chat request", ["DICT-ENC-002", "DICT-CODE-001", "DICT-ENC-003"]),
    ("chat-params", '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi there, how are you?"}],'
     '"max_tokens":100,"temperature":0.7,"stream":true}', "a request with parameters",
     ["DICT-ENC-002", "DICT-CODE-001"]),
    ("stream-false", '{"model":"gpt-3.5-turbo","messages":[{"role":"assistant","content":"ok"}],"stream":false}',
     "stream false and an assistant message", ["DICT-ENC-002"]),
    ("response", '{"choices":[{"index":0,"message":{"role":"assistant","content":"Paris."},'
     '"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":2,"total_tokens":22}}',
     "a response", ["DICT-ENC-002", "DICT-CODE-001"]),
    ("tools", '{"tool_calls":[{"id":"1","type":"function","function":{"name":"lookup","arguments":"{}"}}],'
     '"finish_reason":"length"}', "tool-call patterns", ["DICT-ENC-002", "DICT-CODE-001"]),
    ("models", '{"a":"gpt-4","b":"gpt-4o","c":"gpt-4o-mini","d":"claude-3-haiku","e":"llama-3"}',
     "model patterns: the longest match wins", ["DICT-ENC-002"]),
    ("system", '{"messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"}]}',
     "system and user messages", ["DICT-ENC-002"]),
    ("plain-text", "This is plain English text without any JSON structure at all, fifty+.",
     "plain ASCII text of 50+ bytes", ["DICT-ENC-002"]),
    ("exactly-50", "x" * 50, "exactly 50 bytes is coded", ["DICT-ENC-001", "DICT-ENC-002"]),
    ("short-49", "y" * 48 + "!", "49 bytes that are not base64 stay raw", ["DICT-ENC-001"]),
    ("short-json", '{"model":"gpt-4o"}', "short JSON stays raw", ["DICT-ENC-001"]),
    ("short-unicode", "Grüße 👋", "short non-ASCII text stays raw", ["DICT-ENC-001"]),
    ("control-chars", "tab\there\nnew line and more text to pass the fifty byte mark",
     "control characters are literal bytes", ["DICT-ENC-002"]),
]


def gen_dictionary():
    f = file("dictionary/dictionary.yaml", "dictionary", "Dictionary codec #M2M|: encode and decode goldens, errors")
    up = Testee(UPSTREAM)
    for key, inp, what, reqs in DICT_INPUTS:
        case(f, f"dict-encode-{key}", ["DICT-STATUS-001", "DICT-WIRE-001"] + reqs, what,
             "legacy.encode", {"format": "dictionary", "input": inp}, near_miss=key == "exactly-50")
        wire = up.call("legacy.encode", {"format": "dictionary", "input": inp})["ok"]["wire"]
        case(f, f"dict-decode-{key}",
             ["DICT-DEC-001", "DICT-DEC-002" if len(inp) >= 50 else "DICT-DEC-003"],
             f"decode of: {what}", "legacy.decode", {"format": "dictionary", "wire": wire})
    case(f, "dict-encode-empty", ["DICT-ENC-001", "DICT-ENC-004"], "the empty string",
         "legacy.encode", {"format": "dictionary", "input": ""})
    case(f, "dict-decode-empty", ["DICT-DEC-002"], "the bare prefix decodes to the empty string",
         "legacy.decode", {"format": "dictionary", "wire": "#M2M|"})
    case(f, "dict-decode-raw-with-bar", ["DICT-DEC-003"], "a raw short form holding |",
         "legacy.decode", {"format": "dictionary", "wire": "#M2M|a|b"})
    case(f, "dict-decode-all-codes", ["DICT-DEC-002", "DICT-CODE-001", "DICT-DEC-004"], "every code byte expands",
         "legacy.decode", {"format": "dictionary",
                           "wire": "#M2M|" + b64(list(range(0x80, 0x8D)) + list(range(0x90, 0x96))
                                                 + list(range(0xA0, 0xAA)) + list(range(0xB0, 0xB5)))})
    case(f, "dict-decode-ascii-bytes", ["DICT-DEC-002"], "bytes below 0x80 are themselves",
         "legacy.decode", {"format": "dictionary", "wire": "#M2M|" + b64(b"Hello\x00\x7f")})
    # divergences
    case(f, "dict-encode-short-base64", ["DICT-ENC-004"],
         "short content that is valid base64 is coded, not sent raw", "legacy.encode",
         {"format": "dictionary", "input": "test"}, expect={"ok": {"wire": "#M2M|" + b64(b"test")}},
         flags=["UPSTREAM_DICT_AMBIGUOUS_SHORT_FORM"], confirmed="second-computation")
    case(f, "dict-encode-short-base64-word", ["DICT-ENC-004"],
         "the word 'abcd' is base64 too", "legacy.encode",
         {"format": "dictionary", "input": "abcd"}, expect={"ok": {"wire": "#M2M|" + b64(b"abcd")}},
         flags=["UPSTREAM_DICT_AMBIGUOUS_SHORT_FORM"], confirmed="second-computation")
    case(f, "dict-decode-raw-looks-base64", ["DICT-DEC-002", "DICT-DEC-004", "DICT-DEC-003"],
         "upstream's raw short form of 'test' is decoded as base64 (bytes b5 eb 2d)", "legacy.decode",
         {"format": "dictionary", "wire": "#M2M|test"}, expect={"error": "unknown_code"},
         flags=["UPSTREAM_DICT_LATIN1_FALLBACK"])
    case(f, "dict-decode-raw-base64-ascii", ["DICT-DEC-002"],
         "a short form that is base64 of ASCII decodes to that ASCII", "legacy.decode",
         {"format": "dictionary", "wire": "#M2M|SGk="})
    case(f, "dict-err-encode-non-ascii", ["DICT-ENC-003", "DICT-ENC-002"],
         "non-ASCII content of 50 bytes or more cannot be coded", "legacy.encode",
         {"format": "dictionary", "input": '{"role":"user","content":"Grüße aus München, wie geht es dir?"}'},
         expect={"error": "unencodable_input"}, flags=["UPSTREAM_DICT_PANICS_ON_NON_ASCII"])
    case(f, "dict-err-encode-emoji", ["DICT-ENC-003"],
         "an emoji in long content cannot be coded", "legacy.encode",
         {"format": "dictionary", "input": "A long sentence that ends with an emoji, past fifty 👋"},
         expect={"error": "unencodable_input"}, flags=["UPSTREAM_DICT_PANICS_ON_NON_ASCII"])
    case(f, "dict-err-decode-unknown-code", ["DICT-DEC-004", "DICT-CODE-001"], "byte 0x8d is not a code",
         "legacy.decode", {"format": "dictionary", "wire": "#M2M|" + b64(b"a\x8db")},
         expect={"error": "unknown_code"}, flags=["UPSTREAM_DICT_LATIN1_FALLBACK"])
    case(f, "dict-err-decode-unknown-code-ff", ["DICT-DEC-004"], "byte 0xff is not a code",
         "legacy.decode", {"format": "dictionary", "wire": "#M2M|" + b64(b"\xff")},
         expect={"error": "unknown_code"}, flags=["UPSTREAM_DICT_LATIN1_FALLBACK"])
    case(f, "dict-err-decode-no-prefix", ["DICT-DEC-001", "DICT-WIRE-001"], "a body without #M2M|",
         "legacy.decode", {"format": "dictionary", "wire": "hello"},
         expect={"error": "invalid_prefix"}, flags=["UPSTREAM_DICT_PREFIX_OPTIONAL"])


# ---------------------------------------------------------------------------------------------
# M3

M3_INPUTS = [
    ("simple", '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}', "a minimal request",
     ["M3-WIRE-002", "M3-ENC-001"]),
    ("upstream-test", '{"model":"gpt-4o","messages":[{"role":"system","content":"You are helpful."},'
     '{"role":"user","content":"Hi!"}],"temperature":0.7,"max_tokens":100}', "upstream's JSON round-trip sample",
     ["M3-WIRE-003", "M3-ENC-002", "M3-ENC-003"]),
    ("all-params", '{"model":"m","messages":[{"role":"assistant","content":"x"},{"role":"tool","content":"y"}],'
     '"temperature":0.25,"max_tokens":1000,"top_p":0.9,"stream":true,"stop":["\\n","END"]}',
     "every parameter", ["M3-WIRE-003", "M3-ENC-002", "M3-ENC-004"]),
    ("stop-string", '{"model":"m","messages":[],"stop":"###"}', "a stop string becomes one element",
     ["M3-ENC-002"]),
    ("stop-mixed", '{"model":"m","messages":[],"stop":["a",1,null,"b"]}', "non-strings in stop are dropped",
     ["M3-ENC-002"]),
    ("stop-null", '{"model":"m","messages":[],"stop":null,"stream":false}', "stop null and stream false are absent",
     ["M3-ENC-002"]),
    ("roles-dropped", '{"model":"m","messages":[{"role":"developer","content":"d"},{"content":"no role"},'
     '{"role":"user","content":"kept","name":"bob"},{"role":"function","content":"f"}]}',
     "unknown roles and names are dropped", ["M3-ENC-001"]),
    ("content-non-string", '{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},'
     '{"role":"assistant","content":null}]}', "non-string content becomes empty", ["M3-ENC-001"]),
    ("temp-saturate", '{"model":"m","messages":[],"temperature":2.7,"top_p":-0.5}',
     "out-of-range values saturate to 255 and 0", ["M3-ENC-003"]),
    ("temp-round", '{"model":"m","messages":[],"temperature":0.005,"top_p":0.994}',
     "quantization rounds half away from zero in binary32", ["M3-ENC-003"]),
    ("max-tokens-wrap", '{"model":"m","messages":[],"max_tokens":4294967297}',
     "max_tokens keeps its low 32 bits", ["M3-ENC-002"]),
    ("max-tokens-bad", '{"model":"m","messages":[],"max_tokens":-1,"temperature":"hot"}',
     "non-integer max_tokens and non-number temperature are absent", ["M3-ENC-002"]),
    ("no-model", '{"messages":[{"role":"user","content":"Hi"}]}', "a missing model is empty", ["M3-ENC-001"]),
    ("extra-fields", '{"model":"m","messages":[],"n":2,"seed":7,"user":"u","tools":[]}',
     "fields outside the layout are not written", ["M3-ENC-004"]),
    ("array-json", '[1,2,3]', "JSON that is not an object encodes an empty request", ["M3-ENC-001"]),
    ("long-content", '{"model":"gpt-4o","messages":[{"role":"user","content":"' + "0123456789" * 15 + '"}]}',
     "a 150-byte content has a 2-byte length varint", ["M3-WIRE-001"]),
    ("unicode", '{"model":"gpt-4o","messages":[{"role":"user","content":"Grüße 👋"}]}',
     "UTF-8 content bytes", ["M3-WIRE-001"]),
]


def gen_m3():
    f = file("m3/m3.yaml", "m3", "M3 schema codec #M3|: binary encode and decode goldens, errors")
    up = Testee(UPSTREAM)
    for key, inp, what, reqs in M3_INPUTS:
        case(f, f"m3-encode-{key}", ["M3-STATUS-001", "M3-WIRE-001", "M3-WIRE-004"] + reqs, what,
             "legacy.encode", {"format": "m3", "input": inp},
             near_miss=key in ("max-tokens-bad", "temp-round", "extra-fields"))
        hx = up.call("legacy.encode", {"format": "m3", "input": inp})["ok"]["hex"]
        case(f, f"m3-decode-{key}", ["M3-DEC-001", "M3-DEC-002", "M3-DEC-003", "M3-DEC-004",
                                     "M3-DEC-005", "M3-DEC-006", "M3-DEC-007", "M3-DEC-008"],
             f"decode of: {what}",
             "legacy.decode", {"format": "m3", "hex": hx})
    simple = up.call("legacy.encode", {"format": "m3", "input": M3_INPUTS[0][1]})["ok"]["hex"]
    case(f, "m3-decode-text-form", ["M3-WIRE-004"], "an all-ASCII M3 message decodes from text",
         "legacy.decode", {"format": "m3", "wire": bytes.fromhex(simple).decode()})
    all_params = up.call("legacy.encode", {"format": "m3", "input": M3_INPUTS[2][1]})["ok"]["hex"]
    case(f, "m3-decode-lossy-text-form", ["M3-WIRE-004"],
         "upstream's from_utf8_lossy text of a message with max_tokens 1000 reads back another max_tokens",
         "legacy.decode", {"format": "m3",
                           "wire": bytes.fromhex(all_params).decode("utf-8", errors="replace")},
         near_miss=True)
    case(f, "m3-decode-trailing", ["M3-DEC-007", "M3-ENC-004"], "bytes after the last field are ignored",
         "legacy.decode", {"format": "m3", "hex": simple + "ffff"})
    pre = "234d337c"
    E = [
        ("m3-err-no-prefix", ["M3-DEC-001"], "data without #M3|", "01" + simple[10:]),
        ("m3-err-prefix-only", ["M3-DEC-004"], "the bare prefix", pre),
        ("m3-err-schema-2", ["M3-DEC-002", "M3-WIRE-002"], "schema 0x02 has no encoding", pre + "02" + simple[10:]),
        ("m3-err-schema-0", ["M3-DEC-002"], "schema 0x00", pre + "00" + simple[10:]),
        ("m3-err-role-4", ["M3-DEC-003", "M3-WIRE-003"], "role byte 4", pre + "01" + "01" + "6d" + "00" + "01" + "04" + "00"),
        ("m3-err-model-truncated", ["M3-DEC-004"], "model shorter than its length",
         pre + "01" + "05" + "6d6d"),
        ("m3-err-no-flags", ["M3-DEC-004"], "data ends before the flags byte", pre + "01" + "01" + "6d"),
        ("m3-err-content-truncated", ["M3-DEC-004"], "content shorter than its length",
         pre + "01" + "01" + "6d" + "00" + "01" + "01" + "e807" + "41"),
        ("m3-err-temperature-missing", ["M3-DEC-004", "M3-DEC-007"], "the temperature flag without its byte",
         pre + "01" + "01" + "6d" + "01" + "00"),
        ("m3-err-varint-truncated", ["M3-DEC-004"], "the message count varint is cut",
         pre + "01" + "01" + "6d" + "00" + "80"),
        ("m3-err-varint-too-long", ["M3-DEC-005"], "an 11-byte varint",
         pre + "01" + "80" * 10 + "00"),
        ("m3-err-model-utf8", ["M3-DEC-006"], "a model that is not UTF-8",
         pre + "01" + "02" + "c328" + "00" + "00"),
        ("m3-err-stop-utf8", ["M3-DEC-006"], "a stop string that is not UTF-8",
         pre + "01" + "00" + "10" + "00" + "01" + "01" + "ff"),
    ]
    for cid, reqs, what, hx in E:
        case(f, cid, reqs, what, "legacy.decode", {"format": "m3", "hex": hx})
    # Found by fuzz-replay; the input is fuzz/regressions/legacy/05101994…: upstream reserves the
    # declared length first and aborts (M3-DIV-002), so the expectation is written here.
    case(f, "m3-err-huge-model-length", ["M3-DEC-008", "M3-DEC-004", "M3-DIV-002"],
         "a model length of 2^57 - 1 in a 16-byte message is truncated data, not an allocation",
         "legacy.decode", {"format": "m3", "hex": pre + "01" + "ff" * 8 + "01" + "0100"},
         expect={"error": "truncated"}, flags=["UPSTREAM_M3_RESERVES_DECLARED_LENGTH"])
    case(f, "m3-err-huge-message-count", ["M3-DEC-008", "M3-DEC-004", "M3-DIV-002"],
         "a message count of 2^64 - 1 with no message after it",
         "legacy.decode", {"format": "m3", "hex": pre + "01" + "01" + "6d" + "00" + "ff" * 9 + "01"},
         expect={"error": "truncated"}, flags=["UPSTREAM_M3_RESERVES_DECLARED_LENGTH"])
    case(f, "m3-decode-ten-byte-varint", ["M3-DEC-005", "M3-WIRE-001"],
         "a 10-byte varint (zero) is accepted", "legacy.decode",
         {"format": "m3", "hex": pre + "01" + "00" + "00" + "80" * 9 + "00"}, near_miss=True)
    case(f, "m3-err-encode-invalid-json", ["M3-ENC-001"], "encoder input that is not JSON",
         "legacy.encode", {"format": "m3", "input": "model=gpt-4o"})


# ---------------------------------------------------------------------------------------------
# zlib (no upstream implementation; goldens from Python's zlib)

def gen_zlib():
    f = file("zlib/zlib.yaml", "zlib",
             "zlib #M2M[v2.0]|DATA: decoding (MAY; upstream has none and answers unsupported)")
    P = "#M2M[v2.0]|DATA:"
    texts = [("hello", "Hello", 6), ("empty", "", 6), ("level0", "stored block text", 0),
             ("level9-chat", CHAT, 9), ("unicode", "Grüße 👋 你好", 1),
             ("repetitive", "abc" * 300, 6)]
    for key, text, level in texts:
        wire = P + b64(zlib.compress(text.encode(), level))
        case(f, f"zlib-decode-{key}", ["V2-STATUS-001", "V2-WIRE-001", "V2-ENC-001"],
             f"a zlib stream at level {level} ({key})", "legacy.decode",
             {"format": "zlib", "wire": wire}, expect={"ok": {"text": text}}, confirmed="python-zlib")
    good = zlib.compress(b"Hello, zlib!")
    bad_adler = good[:-1] + bytes([good[-1] ^ 1])
    E = [
        ("zlib-err-prefix", ["V2-DEC-001"], "the v3.0 prefix is not zlib",
         "#M2M[v3.0]|DATA:" + b64(good), "invalid_prefix"),
        ("zlib-err-base64", ["V2-DEC-002"], "unpadded base64", P + b64(good).rstrip("="), "invalid_base64"),
        ("zlib-err-not-zlib", ["V2-DEC-003"], "bytes that are not a zlib header", P + b64(b"hello world"),
         "zlib_corrupt"),
        ("zlib-err-truncated", ["V2-DEC-003"], "a stream cut in half", P + b64(good[: len(good) // 2]),
         "zlib_corrupt"),
        ("zlib-err-adler", ["V2-DEC-003"], "a wrong Adler-32", P + b64(bad_adler), "zlib_corrupt"),
        ("zlib-err-trailing", ["V2-DEC-003"], "bytes after the stream", P + b64(good + b"xx"),
         "zlib_corrupt"),
        ("zlib-err-empty-body", ["V2-DEC-003"], "no stream at all", P, "zlib_corrupt"),
        ("zlib-err-utf8", ["V2-DEC-004"], "a stream of invalid UTF-8", P + b64(zlib.compress(b"\xff\xfe")),
         "invalid_utf8"),
    ]
    for cid, reqs, what, wire, cls in E:
        case(f, cid, reqs, what, "legacy.decode", {"format": "zlib", "wire": wire},
             expect={"error": cls}, confirmed="python-zlib")
    case(f, "zlib-err-limit", ["V2-DEC-005"], "output above max_decompressed_bytes",
         "legacy.decode", {"format": "zlib", "wire": P + b64(zlib.compress(b"a" * 1000)),
                           "max_decompressed_bytes": 999},
         expect={"error": "decompressed_too_large"}, confirmed="python-zlib")
    case(f, "zlib-decode-at-limit", ["V2-DEC-005"], "output exactly at max_decompressed_bytes",
         "legacy.decode", {"format": "zlib", "wire": P + b64(zlib.compress(b"a" * 1000)),
                           "max_decompressed_bytes": 1000},
         expect={"ok": {"text": "a" * 1000}}, confirmed="python-zlib", near_miss=True)
    case(f, "zlib-passthrough-in-engine", ["WIRE-DETECT-004", "V2-STATUS-001"],
         "wire.decompress still passes a zlib string through unchanged", "wire.decompress",
         {"wire": P + b64(good)})


# ---------------------------------------------------------------------------------------------
# Selection

def pad_json(n, api=True):
    """A JSON object of exactly n bytes, API-shaped or not, with low repetition."""
    head = '{"model":"m","x":"' if api else '{"data":"'
    body_len = n - len(head) - 2
    body = "".join(chr(0x30 + (i * 7 + i // 10) % 75) for i in range(body_len)).replace('"', "#").replace("\\", "/")
    return head + body + '"}'


def unique_text(n):
    """ASCII text of n bytes with (nearly) all-distinct 4-grams."""
    import random
    rnd = random.Random(n)
    return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


def f32(x):
    import struct
    return struct.unpack("f", struct.pack("f", x))[0]


def f32_ratio(d, w):
    return repr(f32(1.0 - f32(f32(d) / f32(w))))


def gen_select():
    f = file("selection/heuristic.yaml", "selection", "Auto selection: each rule and threshold boundary (op wire.select)")
    S = [
        ("sel-empty", ["SELECT-HEUR-001"], "the empty string", ""),
        ("sel-99-json", ["SELECT-HEUR-001"], "99 bytes of LLM JSON are too small", pad_json(99)),
        ("sel-100-json", ["SELECT-HEUR-001", "SELECT-HEUR-003"], "100 bytes of LLM JSON go to m2m", pad_json(100)),
        ("sel-99-repetitive", ["SELECT-HEUR-001"], "99 repetitive bytes are too small", "ab" * 49 + "a"),
        ("sel-100-repetitive", ["SELECT-HEUR-004"], "100 repetitive bytes go to brotli", "ab" * 50),
        ("sel-100-unique-text", ["SELECT-HEUR-006"], "100 bytes of non-repetitive text stay none", unique_text(100)),
        ("sel-1024-api", ["SELECT-HEUR-002", "SELECT-HEUR-003"], "1024 bytes of LLM JSON go to m2m", pad_json(1024)),
        ("sel-1025-api", ["SELECT-HEUR-002"], "1025 bytes of LLM JSON go to brotli", pad_json(1025)),
        ("sel-1025-text", ["SELECT-HEUR-002"], "1025 bytes of unique text go to brotli", unique_text(1025)),
        ("sel-500-plain-json", ["SELECT-HEUR-006"], "non-API JSON with low repetition goes to m2m", pad_json(500, False)),
        ("sel-500-text", ["SELECT-HEUR-006"], "non-JSON text with low repetition stays none", unique_text(500)),
        ("sel-api-repetitive", ["SELECT-HEUR-003"], "repetitive LLM JSON still goes to m2m",
         '{"messages":[' + ",".join(['{"role":"user","content":"hi"}'] * 20) + "]}"),
        ("sel-plain-json-repetitive", ["SELECT-HEUR-004"], "repetitive non-API JSON goes to brotli",
         "[" + ",".join(['{"a":1}'] * 40) + "]"),
        ("sel-api-choices", ["SELECT-HEUR-003"], "a choices key marks LLM JSON",
         '{"choices":' + json.dumps(unique_text(120)) + "}"),
        ("sel-api-model-only", ["SELECT-HEUR-003"], "a model key alone marks LLM JSON",
         '{"model":' + json.dumps(unique_text(120)) + "}"),
        ("sel-not-api-nested", ["SELECT-HEUR-006"], "messages nested one level down is not LLM JSON",
         '{"wrap":{"messages":' + json.dumps(unique_text(120)) + "}}"),
        ("sel-not-api-array", ["SELECT-HEUR-006"], "a top-level array is not LLM JSON",
         '[' + json.dumps(unique_text(120)) + ',"messages"]'),
        ("sel-json-string", ["SELECT-HEUR-006"], "a JSON string value is JSON", json.dumps(unique_text(120))),
        ("sel-bytes-not-chars", ["SELECT-HEUR-001", "SELECT-HEUR-005"],
         "50 two-byte characters are 100 bytes", "é" * 50),
        ("sel-emoji-windows", ["SELECT-HEUR-005"], "windows count characters, not bytes",
         "".join(chr(0x1F600 + (i * 13) % 80) for i in range(40))),
    ]
    # repetition ratio boundary: a unique prefix followed by a copy of its first k characters.
    # 103 characters give W = 100 windows; D = 70 distinct gives exactly 0.3 in binary32 (not
    # above it), D = 69 gives 0.31.
    for n, k, want_d in ((103, 33, 70), (103, 34, 69), (103, 32, 71), (200, 62, 138), (200, 63, 137)):
        base = unique_text(n - k)
        text = base + base[:k]
        windows = [text[i:i + 4] for i in range(len(text) - 3)]
        assert len(set(windows)) == want_d, (n, k, len(set(windows)))
        S.append((f"sel-repetition-{n}-d{want_d}", ["SELECT-HEUR-004", "SELECT-HEUR-005"],
                  f"{n} characters, {len(windows)} windows, {want_d} distinct (ratio {f32_ratio(want_d, len(windows))})",
                  text))
    for cid, reqs, what, text in S:
        case(f, cid, reqs, what, "wire.select", {"input": text})
    case(f, "sel-threshold-override-hit", ["SELECT-HEUR-002"], "a 200-byte threshold sends 201 bytes to brotli",
         "wire.select", {"input": pad_json(201), "brotli_threshold": 200})
    case(f, "sel-threshold-override-edge", ["SELECT-HEUR-002"], "a 200-byte threshold keeps 200 bytes",
         "wire.select", {"input": pad_json(200), "brotli_threshold": 200}, near_miss=True)
    case(f, "sel-no-prefer-m2m-repetitive", ["SELECT-HEUR-003", "SELECT-HEUR-004"],
         "without prefer_m2m_for_api repetitive LLM JSON goes to brotli", "wire.select",
         {"input": '{"messages":[' + ",".join(['{"role":"user","content":"hi"}'] * 20) + "]}",
          "prefer_m2m_for_api": False})
    case(f, "sel-no-prefer-m2m-unique", ["SELECT-HEUR-003", "SELECT-HEUR-006"],
         "without prefer_m2m_for_api unique LLM JSON still goes to m2m as JSON", "wire.select",
         {"input": pad_json(300), "prefer_m2m_for_api": False})

    b = file("selection/best.yaml", "selection", "compress_best: the shortest of M2M, TokenNative and Brotli")
    B = [
        ("best-empty", ["SELECT-BEST-001"], "the empty string (M2M fails: not JSON)", ""),
        ("best-short-text", ["SELECT-BEST-001"], "short plain text", "Hello, world!"),
        ("best-chat", ["SELECT-BEST-001"], "a chat request", CHAT),
        ("best-repetitive", ["SELECT-BEST-001"], "repetitive text", "hello world " * 100),
        ("best-unicode", ["SELECT-BEST-001"], "non-Latin text", "你好，世界。今天天气很好。" * 3),
        ("best-json-large", ["SELECT-BEST-001"], "a larger JSON document",
         '{"model":"gpt-4o","messages":[' + ",".join(
             '{"role":"user","content":"Question number %d about the weather in city %d?"}' % (i, i * 7)
             for i in range(30)) + "]}"),
        ("best-tiny-json", ["SELECT-BEST-001", "SELECT-BEST-002"], "a tiny JSON value", "{}"),
        ("best-number", ["SELECT-BEST-001"], "a JSON number", "12345"),
    ]
    for cid, reqs, what, text in B:
        case(b, cid, reqs, what, "wire.compress_best", {"input": text})


def main():
    check = "--check" in sys.argv
    for p in (UPSTREAM[0], REFERENCE[0]):
        if not os.path.exists(p):
            sys.exit(f"missing {p}: build it first (see the docstring)")
    gen_token()
    gen_t1()
    gen_dictionary()
    gen_m3()
    gen_zlib()
    gen_select()
    problems = resolve(Testee(UPSTREAM), Testee(REFERENCE))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    stale = []
    total = upstream = 0
    for path, f in FILES.items():
        text = render(path, f)
        full = os.path.join(ROOT, "vectors", path)
        total += len(f["cases"])
        upstream += sum(1 for c in f["cases"] if c["confirmed_by"] == "upstream-0.4.0")
        old = open(full).read() if os.path.exists(full) else None
        if old != text:
            stale.append(path)
            if not check:
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w") as out:
                    out.write(text)
    kinds = {}
    for f in FILES.values():
        for c in f["cases"]:
            kinds[c["result"]] = kinds.get(c["result"], 0) + 1
    print(f"{total} cases in {len(FILES)} files; {upstream} goldens equal upstream 0.4.0's output; "
          f"results {kinds}")
    if check and stale:
        print("stale: " + ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
