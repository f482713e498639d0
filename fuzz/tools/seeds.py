#!/usr/bin/env python3
"""Extract fuzz seeds from the vector files into fuzz/corpus/<target>/.

Every string input of an op that a target consumes becomes one seed file named by the SHA-1 of
its bytes (the cargo-fuzz convention), so re-running adds nothing twice. Also seeds the Hydra
target with models/**/*.safetensors, the vector loader with the vector files themselves, and
vectors/corpus/*.json (JSON payloads) for the frame, wire and scanner targets.

Usage: python3 fuzz/tools/seeds.py [--root DIR] [--out DIR]

--out (default ROOT/fuzz/corpus) lets a new target be seeded without adding back to the
committed, minimized corpora the seeds a campaign's minimization removed.
"""
import argparse, hashlib, json, pathlib, sys

try:
    import yaml
except ImportError:
    sys.exit("needs PyYAML (apt-get install python3-yaml)")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "vectors" / "tools"))
from vecwrite import expand_shared  # noqa: E402  (defaults and groups, as the loader reads them)

MAX = 64 * 1024  # a seed larger than this only slows the fuzzer down

# Each decode target's round-trip twin and the input bound of its check (fuzz/src/lib.rs:
# ROUND_TRIP_MAX, BROTLI_ROUND_TRIP_MAX): a UTF-8 seed within the bound goes to both.
ROUND_TRIP = {
    "wire_decompress": ("wire_roundtrip", 1024),
    "frame_decode": ("frame_roundtrip", 1024),
    "secure_open": ("secure_roundtrip", 1024),
    "token_native": ("token_native_roundtrip", 1024),
    "brotli": ("brotli_roundtrip", 256),
    "legacy": ("legacy_roundtrip", 1024),
    "molt": ("molt_roundtrip", 1024),
}


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes) or len(data) > MAX:
        return
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
    twin, bound = ROUND_TRIP.get(target, (None, 0))
    if twin and len(data) <= bound:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return
        put(out, twin, data)


def wire_or_hex(inp, *keys):
    for k in keys:
        v = inp.get(k)
        if isinstance(v, str):
            if k.endswith("hex"):
                try:
                    return bytes.fromhex(v)
                except ValueError:
                    return v.encode()
            return v
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=pathlib.Path(__file__).resolve().parents[2])
    ap.add_argument("--out")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    out = pathlib.Path(args.out) if args.out else root / "fuzz" / "corpus"
    for path in sorted((root / "vectors").rglob("*.yaml")):
        if "tools" in path.parts:
            continue
        text = path.read_text()
        put(out, "vector_loader", text)
        doc = yaml.safe_load(text)
        # Cases with their file's and group's `defaults` filled in (vectors/README.md).
        for case in expand_shared(doc or {}):
            op, inp = case.get("op", ""), case.get("input") or {}
            if not isinstance(inp, dict):
                continue
            if op in ("wire.decompress", "wire.detect"):
                w = inp.get("wire")
                put(out, "wire_decompress", w)
                if isinstance(w, str) and w.startswith("#M2M[v3.0]"):
                    put(out, "brotli", w)
            elif op == "wire.compress":
                put(out, "wire_decompress", inp.get("input"))
            elif op in ("frame.decode", "frame.peek"):
                put(out, "frame_decode", wire_or_hex(inp, "hex", "wire"))
            elif op == "frame.encode":
                put(out, "frame_decode", inp.get("json"))
            elif op == "frame.open":
                put(out, "secure_open", wire_or_hex(inp, "hex", "wire"))
            elif op == "frame.seal":
                put(out, "secure_open", inp.get("json"))
            elif op in ("token.decode", "token.decode_binary"):
                put(out, "token_native", wire_or_hex(inp, "hex", "wire"))
            elif op in ("token.encode", "token.encode_binary"):
                put(out, "token_native", inp.get("text"))
            elif op == "legacy.decode":
                put(out, "legacy", wire_or_hex(inp, "hex", "wire"))
            elif op == "legacy.encode":
                put(out, "legacy", inp.get("input"))
            elif op == "session.run":
                for step in inp.get("steps") or []:
                    if isinstance(step, dict) and isinstance(step.get("recv"), str):
                        put(out, "session_message", step["recv"])
                        put(out, "session_fsm", step["recv"])
            elif op.startswith("scan."):
                put(out, "scanner", inp.get("text"))
            elif op == "http.run":
                put(out, "http_script", json.dumps(inp.get("steps"), separators=(",", ":")))
            elif op == "molt.hub.run":
                lines = [json.dumps(st["send"]) if not isinstance(st["send"], str) else st["send"]
                         for st in inp.get("steps") or [] if isinstance(st, dict) and "send" in st]
                if lines:
                    put(out, "molt_hub", "\n".join(lines) + "\n")
            elif op == "molt.peer.run":
                lines = []
                for st in inp.get("steps") or []:
                    if not isinstance(st, dict):
                        continue
                    v = st.get("line", st.get("bytes"))
                    if isinstance(v, str):
                        lines.append(v)
                    elif v is not None:
                        lines.append(json.dumps(v))
                    m = st.get("message")
                    if isinstance(m, dict) and "payload" in m:
                        put(out, "molt", json.dumps(m["payload"]))
                if lines:
                    put(out, "molt", "\n".join(lines) + "\n")
            elif op == "molt.peer.send":
                put(out, "molt", "\n".join(r for r in inp.get("replies") or [] if isinstance(r, str)) + "\n")
                if "payload" in inp:
                    put(out, "molt", json.dumps(inp["payload"]))
            elif op.startswith("hydra."):
                put(out, "scanner", inp.get("text"))
            elif op in ("stream.compress", "stream.decompress", "stream.finalize"):
                chunks = inp.get("chunks")
                if isinstance(chunks, list):
                    put(out, "sse_decode", "".join(c for c in chunks if isinstance(c, str)))
                elif isinstance(inp.get("chunks_hex"), list):
                    try:
                        put(out, "sse_decode", b"".join(bytes.fromhex(c) for c in inp["chunks_hex"]))
                    except (TypeError, ValueError):
                        pass
                ok = (case.get("expect") or {}).get("ok") or {}
                if isinstance(ok.get("events"), list):
                    put(out, "sse_decode", "".join(e for ch in ok["events"] for e in ch))
    for p in sorted((root / "models").rglob("*.safetensors")):
        put(out, "hydra_load", p.read_bytes())
    for p in sorted((root / "vectors" / "corpus").glob("*.json")):
        t = p.read_text()
        for target in ("frame_decode", "wire_decompress", "scanner", "secure_open"):
            put(out, target, t)
    for d in sorted(out.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
