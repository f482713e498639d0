"""The one writer of vector files (vectors/README.md, "File format").

Every generator renders its files through `render_file`, so every vector file has one
reviewable form:

* block style: every mapping key on a line of its own; a sequence of plain scalars that fits
  stays on one line (`reqs: [A, B]`), everything else is a block sequence;
* stable key order: top-level keys and case keys in the documented order, any other mapping
  in the order the generator built it;
* scalars: plain where YAML 1.1 and 1.2 read them back as the same string, otherwise
  double-quoted with JSON-compatible escapes;
* no line over MAX_LINE bytes (UTF-8): a long double-quoted scalar is folded with escaped line
  breaks (a `\\` at the end of a line joins the next line with nothing in between), which every
  YAML loader reads back as exactly the original string.

`python3 vectors/tools/vecwrite.py --check-roundtrip FILE...` re-renders existing files and
checks that they load back to the same data; the generators' own `--check` compares bytes.

`python3 vectors/tools/vecwrite.py --check-form FILE...` checks that each file is byte for byte
what the writer makes of its own data and leading comment: that every file, generated or written
by hand, has the one form.

`python3 vectors/tools/vecwrite.py --render` reads `{"header": TEXT or null, "doc": DOCUMENT}` as
JSON on stdin and writes the file's text to stdout: generators in other languages (the Rust
generators in adapters/m2m-protocol-0.4) render through this same code.
"""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata

MAX_LINE = 240  # in UTF-8 bytes, so that every tool's idea of a line's length agrees


def _w(s: str) -> int:
    """A line's width as MAX_LINE counts it: UTF-8 bytes."""
    return len(s.encode("utf-8"))
SOFT = 40  # how far back a fold looks for a space or comma to break after
INDENT = "  "

TOP_KEYS = ["suite", "schema_version", "spec", "description", "flags", "defaults", "groups", "cases"]
CASE_KEYS = ["id", "reqs", "description", "op", "input", "expect", "lenient", "result", "flags",
             "tolerance", "confirmed_by"]

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./()+=-]*(?: [A-Za-z0-9_./()+=-]+)*$")
_RESERVED = {
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "nan", "inf",
}


def _ordered(d: dict, order: list[str]) -> list:
    keys = [k for k in order if k in d]
    keys += [k for k in d if k not in order]
    return [(k, d[k]) for k in keys]


def _is_plain(s: str) -> bool:
    if not s or len(s) > 120 or not _PLAIN.fullmatch(s):
        return False
    low = s.lower()
    if low in _RESERVED or low.lstrip("+-.") in _RESERVED:
        return False
    # Anything a loader could take for a number, date or sexagesimal stays quoted.
    if re.match(r"^[-+.]?[0-9]", s):
        return False
    return True


_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _escape_char(c: str) -> str:
    o = ord(c)
    if c != "\\" and c != '"' and o >= 0x20 and unicodedata.category(c) not in _INVISIBLE:
        return c
    return json.dumps(c)[1:-1] if o < 0x10000 else f"\\U{o:08x}"


def quote(s: str) -> str:
    """A double-quoted YAML scalar: JSON escapes (a subset of YAML's) for quotes, backslashes,
    controls, and every invisible or non-printable character (format characters such as
    zero-width and bidi controls, surrogates, unassigned code points, line separators), so a
    reviewer sees each one; other Unicode stays as it is."""
    return '"' + "".join(_escape_char(c) for c in s) + '"'



def scalar(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("vector values must be finite JSON numbers")
        r = repr(v)
        mant, _, exp = r.partition("e")
        if "." not in mant:
            mant += ".0"  # YAML 1.1 loaders need the dot to read a float
        return mant + ("e" + exp if exp else "")
    if isinstance(v, str):
        return v if _is_plain(v) else quote(v)
    raise TypeError(f"not a scalar: {type(v).__name__}")


def _fold_quoted(prefix: str, q: str, cont_indent: str) -> list[str]:
    """Split a double-quoted scalar `q` (with its quotes) into lines of at most MAX_LINE.

    A break goes between two characters of the quoted text, never inside an escape sequence,
    and never before a space (the next line's leading white space would be dropped): the line
    ends with `\\` and the next line starts at `cont_indent`.
    """
    lines = []
    first = prefix
    rest = q
    width = MAX_LINE - _w(first) - 1
    while _w(first) + _w(rest) > MAX_LINE:
        cut = _cut_point(rest, max(width, 16))
        if cut is None:
            break
        lines.append(first + rest[:cut] + "\\")
        rest = rest[cut:]
        first = cont_indent
        width = MAX_LINE - _w(cont_indent) - 1
    lines.append(first + rest)
    return lines


def _cut_point(q: str, width: int):
    """The index where q is broken, with at most `width` UTF-8 bytes before it, or None:
    preferably just after a space or a comma (at most SOFT characters back), otherwise as late
    as possible."""
    i = 0
    b = 0  # UTF-8 bytes of q[:i]
    best = soft = None
    n = len(q)
    while i < n and b <= width:
        c = q[i]
        # i is never inside an escape (they are skipped whole below), so a break before any
        # character but white space (which the next line's indentation would swallow) is safe.
        if i > 1 and i < n - 1 and c not in " \t":
            best = i
            if q[i - 1] in " ,":
                soft = i
        if c == "\\":
            # Skip the whole escape: \x, \uXXXX, \UXXXXXXXX.
            nxt = q[i + 1] if i + 1 < n else ""
            step = {"u": 6, "U": 10, "x": 4}.get(nxt, 2)
            i += step
            b += step
            continue
        i += 1
        b += _w(c)
    if soft is not None and best is not None and best - soft <= SOFT:
        return soft
    return best


def _flow_scalars(seq: list):
    if not all(v is None or isinstance(v, (bool, int, float, str)) for v in seq):
        return None
    parts = [scalar(v) for v in seq]
    if any(p.startswith('"') for p in parts) and len(seq) > 1:
        # Quoted strings inside a flow list are harder to review; lists of them go in block.
        return None
    return "[" + ", ".join(parts) + "]"


def _emit(lines: list, prefix: str, value, child: str, order=None, in_seq: bool = False):
    """Append `value` after `prefix` (e.g. `    input: ` or `  - `); `child` is the indentation
    of its block children; `in_seq` says `prefix` ends with a sequence dash."""
    if isinstance(value, dict):
        if not value:
            lines.append(prefix + "{}")
            return
        for n, (k, v) in enumerate(_ordered(value, order or [])):
            if n == 0 and in_seq:
                p = prefix
            else:
                if n == 0:
                    lines.append(prefix.rstrip())
                p = child
            _emit(lines, f"{p}{_key(k)}: ", v, child + INDENT, _child_order(k))
        return
    if isinstance(value, list):
        if not value:
            lines.append(prefix + "[]")
            return
        flow = _flow_scalars(value)
        if flow is not None and len(prefix) + len(flow) <= 100:
            lines.append(prefix + flow)
            return
        lines.append(prefix.rstrip())
        for v in value:
            _emit(lines, f"{child}- ", v, child + INDENT, order, in_seq=True)
        return
    text = scalar(value)
    if _w(prefix) + _w(text) <= MAX_LINE:
        lines.append(prefix + text)
        return
    if not text.startswith('"'):
        text = quote(value)  # a long plain string folds like a quoted one
    lines.extend(_fold_quoted(prefix, text, child + INDENT))


def _key(k) -> str:
    if not isinstance(k, str):
        raise TypeError(f"mapping keys must be strings, got {k!r}")
    if _is_plain(k) or (re.fullmatch(r"\$[a-z]+", k)):
        return k  # generator directives ($repeat, $concat) stay readable
    return quote(k)


def _child_order(key: str):
    if key == "cases":
        return CASE_KEYS
    if key == "groups":
        return ["description", "defaults", "cases"]
    return None


def share_inputs(doc: dict, keys: list[str]) -> dict:
    """Write input fields shared by consecutive cases once (vectors/README.md, "Defaults and
    groups"). `doc["cases"]` is split into runs of consecutive cases whose inputs carry the same
    values under `keys`; those values move to the run's `defaults.input`. One run becomes the
    file's `defaults`; several become `groups` (a run that shares nothing is a group without
    defaults). Case order is kept, and the loader expands the result back to the same cases."""
    cases = doc.get("cases", [])
    runs: list[tuple[dict, list]] = []
    for c in cases:
        inp = c.get("input", {})
        shared = {k: inp[k] for k in keys if k in inp}
        if runs and runs[-1][0] == shared:
            runs[-1][1].append(c)
        else:
            runs.append((shared, [c]))
    # A value used by one case only stays in that case; neighbours sharing nothing join up.
    merged: list[tuple[dict, list]] = []
    for shared, members in runs:
        if len(members) < 2:
            shared = {}
        if merged and merged[-1][0] == shared:
            merged[-1][1].extend(members)
        else:
            merged.append((shared, list(members)))
    runs = merged
    if all(not shared for shared, _ in runs):
        return doc
    def strip(c, shared):
        c = dict(c)
        c["input"] = {k: v for k, v in c["input"].items() if k not in shared}
        return c
    out = {k: v for k, v in doc.items() if k != "cases"}
    if len(runs) == 1:
        shared, members = runs[0]
        out["defaults"] = {"input": shared}
        out["cases"] = [strip(c, shared) for c in members]
        return out
    groups = []
    for shared, members in runs:
        g = {"defaults": {"input": shared}} if shared else {}
        g["cases"] = [strip(c, shared) for c in members]
        groups.append(g)
    out["groups"] = groups
    return out


def expand_shared(doc: dict) -> list:
    """The cases of a document written with `defaults` / `groups`, as the loader sees them
    (vectors/README.md): used by generators to check what they wrote."""
    def apply(case: dict, defaults: dict) -> dict:
        case = dict(case)
        for k, v in defaults.items():
            if k == "input" and isinstance(case.get("input"), dict):
                merged = dict(v)
                merged.update(case["input"])
                case["input"] = merged
            elif k not in case:
                case[k] = v
        return case
    top = doc.get("defaults", {})
    out = [apply(c, top) for c in doc.get("cases", [])]
    for g in doc.get("groups", []):
        for c in g["cases"]:
            out.append(apply(apply(c, g.get("defaults", {})), top))
    return out


def render_file(doc: dict, header: str | None = None) -> str:
    """The text of one vector file. `header` is a comment line (without `#`) such as
    `GENERATED by vectors/tools/gen_x.py; edit the generator, not this file.`"""
    lines: list[str] = []
    if header:
        for h in header.splitlines():
            lines.append("# " + h if h else "#")
    for k, v in _ordered(doc, TOP_KEYS):
        _emit(lines, f"{_key(k)}: ", v, INDENT, _child_order(k))
    out = "\n".join(lines) + "\n"
    for n, line in enumerate(lines, 1):
        if _w(line) > MAX_LINE:
            raise ValueError(f"line {n} has {_w(line)} bytes (max {MAX_LINE}): {line[:80]}…")
    return out


def write_or_check(files: dict, root, script: str, check: bool) -> list[str]:
    """Write a generator's rendered files ({path: text}), or with `check` write nothing and
    return the paths (relative to `root`) whose committed text differs: the `--check` of every
    generator that uses it."""
    stale = []
    for path, text in files.items():
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(root)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        sys.exit(f"stale (run {script}): " + ", ".join(stale))
    return stale


def _check_roundtrip(paths: list[str]) -> int:
    import yaml

    bad = 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            data = yaml.safe_load(f)
        text = render_file(data)
        back = yaml.safe_load(text)
        if back != data:
            print(f"{p}: does not round-trip", file=sys.stderr)
            bad += 1
    print(f"{len(paths) - bad} of {len(paths)} files round-trip")
    return 1 if bad else 0


def _leading_comment(text: str) -> str | None:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines) if lines else None


def _check_form(paths: list[str]) -> int:
    import yaml

    bad = 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            text = f.read()
        try:
            again = render_file(yaml.safe_load(text), _leading_comment(text))
        except (TypeError, ValueError) as e:
            again = f"cannot render: {e}"
        if again != text:
            print(f"{p}: not in the writer's form (render it with vectors/tools/vecwrite.py)",
                  file=sys.stderr)
            bad += 1
    print(f"{len(paths) - bad} of {len(paths)} files are in the writer's form")
    return 1 if bad else 0


def _render_stdin() -> int:
    req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    try:
        text = render_file(req["doc"], req.get("header"))
    except (TypeError, ValueError) as e:
        print(f"vecwrite: {e}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--render"]:
        sys.exit(_render_stdin())
    if len(sys.argv) > 2 and sys.argv[1] == "--check-form":
        sys.exit(_check_form(sys.argv[2:]))
    if len(sys.argv) > 2 and sys.argv[1] == "--check-roundtrip":
        sys.exit(_check_roundtrip(sys.argv[2:]))
    if sys.argv[1:2] in (["--check-form"], ["--check-roundtrip"]):
        sys.exit(f"{sys.argv[1]}: no files given (a check of nothing would pass)")
    print(__doc__)
    if len(sys.argv) > 1:
        sys.exit(f"unknown arguments: {' '.join(sys.argv[1:])}")
