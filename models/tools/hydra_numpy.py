#!/usr/bin/env python3
"""A second computation of the Hydra forward pass, in numpy (spec chapter `hydra`).

Independent of both Rust implementations: it parses the safetensors file itself (8-byte
little-endian header length, JSON header, raw data) and follows spec/11-hydra.md sections 1-4
in binary32 numpy arithmetic.

    python3 models/tools/hydra_numpy.py MODEL TEXT          # print logits and probabilities
    python3 models/tools/hydra_numpy.py --check-vectors     # compare every hydra.classify /
                                                            # hydra.logits vector with a model

`--check-vectors` prints how many cases agree within each case's tolerance and exits 1 on any
disagreement. Needs numpy and PyYAML.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DTYPES = {"F32": np.float32}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in DTYPES:
            raise ValueError(f"{name}: dtype {info['dtype']}")
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"]).astype(np.float32)
    return out


def tokenize(text: str) -> list[int]:
    return [2] + [b + 3 for b in text.encode("utf-8")[:510]] + [1]


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def silu(x: np.ndarray) -> np.ndarray:
    return x * (np.float32(1) / (np.float32(1) + np.exp(-x)))


def expert(t: dict, l: int, e: int, x: np.ndarray) -> np.ndarray:
    mats = [t[f"layers.{l}.experts.{e}.net.{i}.weight"] for i in range(10)
            if f"layers.{l}.experts.{e}.net.{i}.weight" in t]
    for k, w in enumerate(mats):
        x = w @ x
        if k + 1 < len(mats):
            x = silu(x)
    return x


def heads(t: dict, text: str) -> tuple[np.ndarray, np.ndarray]:
    emb = t["embed.weight"]
    ids = np.minimum(np.array(tokenize(text)), emb.shape[0] - 1)
    h = emb[ids].mean(axis=0, dtype=np.float32)
    for l in range(4):
        g = t[f"layers.{l}.gate.weight"] @ h
        if f"layers.{l}.gate.bias" in t:
            g = g + t[f"layers.{l}.gate.bias"]
        p = softmax(g)
        order = sorted(range(4), key=lambda i: -p[i])[:2]  # stable: lower index first on ties
        w = p[order] / p[order].sum()
        h = h + sum(w[k] * expert(t, l, e, h) for k, e in enumerate(order))
    mean = h.mean()
    var = ((h - mean) ** 2).mean()
    h = (h - mean) / np.sqrt(var + np.float32(1e-5)) * t["norm.weight"] + t["norm.bias"]
    z = t["semantic_head.weight"] @ h
    return t["compression_head.weight"] @ z, t["security_head.weight"] @ z


def logits_json(path: Path, text: str) -> dict:
    c, s = heads(read_safetensors(path), text)
    return {"compression_logits": [float(v) for v in c], "security_logits": [float(v) for v in s]}


def classify_json(path: Path, text: str) -> dict:
    c, s = heads(read_safetensors(path), text)
    pc, ps = softmax(c), softmax(s)
    names = ["none", "token-native", "brotli", "m2m"]
    best = max(range(4), key=lambda i: (pc[i], i))  # later class wins ties
    return {"probabilities": [float(v) for v in pc], "algorithm": names[best],
            "security": [float(v) for v in ps], "safe": bool(ps[1] <= ps[0])}


def close(want, got, tol) -> bool:
    return abs(got - want) <= tol["abs"] + tol["rel"] * abs(want)


def check_vectors() -> int:
    import yaml
    sys.path.insert(0, str(ROOT / "vectors/tools"))
    from gen_scan_hydra_vectors import expand
    agree = disagree = 0
    for f in sorted((ROOT / "vectors/hydra").glob("*.yaml")):
        for case in yaml.safe_load(f.read_text())["cases"]:
            args = expand(case["input"])
            if "model" not in args or "ok" not in case["expect"] or case["op"] not in ("hydra.classify", "hydra.logits"):
                continue
            tol = case.get("tolerance", {"abs": 0, "rel": 0})
            want = case["expect"]["ok"]
            path = ROOT / args["model"]
            if case["op"] == "hydra.logits":
                got = logits_json(path, args["text"])
                ok = all(close(w, g, tol) for k in got for w, g in zip(want[k], got[k]))
            else:
                got = classify_json(path, args["text"])
                ok = (all(close(w, g, tol) for w, g in zip(want["compression"]["probabilities"], got["probabilities"]))
                      and all(close(w, g, tol) for w, g in zip(want["security"]["probabilities"], got["security"]))
                      and want["compression"]["algorithm"] == got["algorithm"]
                      and want["security"]["safe"] == got["safe"])
            if ok:
                agree += 1
            else:
                disagree += 1
                print(f"DISAGREE {case['id']}: want {want} got {got}")
    print(f"numpy second computation: {agree} cases agree, {disagree} disagree")
    return 1 if disagree else 0


def main() -> int:
    if sys.argv[1:] == ["--check-vectors"]:
        return check_vectors()
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    path, text = Path(sys.argv[1]), sys.argv[2]
    print(json.dumps({**logits_json(path, text), **classify_json(path, text)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
