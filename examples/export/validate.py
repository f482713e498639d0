#!/usr/bin/env python3
"""Validate an export (`m2m-conformance export --format json --out DIR`) with a third-party
JSON Schema validator (PyPI `jsonschema`), independently of the harness.

    python3 examples/export/validate.py DIR [--list LIST]

Every `DIR/*.json` except `schema.json` must validate against `DIR/schema.json` (2020-12), be
named after its `chapter`, and hold case ids unique across the export. With `--list LIST` (the
output of `m2m-conformance list vectors`), the export must hold exactly the cases listed there,
which are the cases `certify` runs. Exit 0 when all holds, 1 otherwise.
"""
import argparse
import json
import pathlib
import sys

import jsonschema


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--list", type=pathlib.Path, help="output of `m2m-conformance list vectors`")
    a = ap.parse_args()

    schema = json.loads((a.dir / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems, names = [], []
    files = sorted(p for p in a.dir.glob("*.json") if p.name != "schema.json")
    if not files:
        problems.append(f"{a.dir}: no chapter files")
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.absolute_path)
            problems.append(f"{path.name}: /{where}: {e.message[:300]}")
        if errors:
            continue
        if path.stem != doc["chapter"]:
            problems.append(f"{path.name}: holds chapter {doc['chapter']!r}")
        cited = {r["id"] for r in doc["requirements"]}
        for case in doc["cases"]:
            names.append(f"{doc['chapter']}::{case['id']}")
            missing = set(case["reqs"]) - cited
            if missing:
                problems.append(f"{path.name}: {case['id']}: requirements not in the header: {sorted(missing)}")
            undeclared = set(case["flags"]) - set(doc["flags"])
            if undeclared:
                problems.append(f"{path.name}: {case['id']}: flags not in the header: {sorted(undeclared)}")
        print(f"{path.name}: valid, {len(doc['cases'])} cases")
    ids = [n.split("::", 1)[1] for n in names]
    if len(set(ids)) != len(ids):
        problems.append("case ids are not unique across the export")
    if a.list:
        listed = [line.split()[0] for line in a.list.read_text(encoding="utf-8").splitlines() if line.strip()]
        if sorted(listed) != sorted(names):
            only_list = sorted(set(listed) - set(names))[:10]
            only_export = sorted(set(names) - set(listed))[:10]
            problems.append(f"the export holds {len(names)} cases, `list vectors` {len(listed)}; "
                            f"only listed: {only_list}; only exported: {only_export}")
        else:
            print(f"the export holds exactly the {len(listed)} cases of `list vectors`")
    for p in problems:
        print("INVALID:", p, file=sys.stderr)
    print(f"{len(files)} files, {len(names)} cases: {'INVALID' if problems else 'valid'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
