"""A testee that forwards every request to the reference (`m2m-conformance serve-testee`) but can
leave ops out of its hello (--drop OP, repeatable) or answer every case with garbage (--garbage).
Used by tests/certification.rs to check that claimed profiles and the console cannot be gamed."""

import subprocess
import sys


def main() -> None:
    args = sys.argv[1:]
    serve = args.pop(0)
    drop, garbage = set(), False
    while args:
        a = args.pop(0)
        if a == "--drop":
            drop.add(args.pop(0))
        elif a == "--garbage":
            garbage = True
    ref = subprocess.Popen([serve, "serve-testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    import json

    for line in sys.stdin:
        req = json.loads(line)
        if garbage and req.get("op") != "hello":
            print("this is not JSON", flush=True)
            continue
        ref.stdin.write(line)
        ref.stdin.flush()
        answer = ref.stdout.readline()
        if req.get("op") == "hello" and drop:
            resp = json.loads(answer)
            resp["ok"]["ops"] = [o for o in resp["ok"]["ops"] if o not in drop]
            answer = json.dumps(resp) + "\n"
        sys.stdout.write(answer)
        sys.stdout.flush()


main()
