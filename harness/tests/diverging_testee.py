"""A testee that forwards every request to the reference (`m2m-conformance serve-testee`) but
diverges on purpose, for tests/differential.rs:

  --varint-threshold N   wire.varint.encode answers a wrong encoding (one extra 0x00 byte) for
                         every in-range value >= N
  --crash-on-value N     the process exits without answering wire.varint.encode of value N
  --unsupported-above N  wire.varint.encode of a value above N is answered `unsupported`
"""

import json
import subprocess
import sys


def main() -> None:
    args = sys.argv[1:]
    serve = args.pop(0)
    threshold, crash_on, unsupported_above = None, None, None
    while args:
        a = args.pop(0)
        if a == "--varint-threshold":
            threshold = int(args.pop(0))
        elif a == "--crash-on-value":
            crash_on = int(args.pop(0))
        elif a == "--unsupported-above":
            unsupported_above = int(args.pop(0))
    ref = subprocess.Popen([serve, "serve-testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for line in sys.stdin:
        req = json.loads(line)
        value = req.get("args", {}).get("value") if req.get("op") == "wire.varint.encode" else None
        if crash_on is not None and value == crash_on:
            sys.exit(3)
        if unsupported_above is not None and isinstance(value, int) and value > unsupported_above:
            sys.stdout.write(json.dumps({"id": req.get("id"), "unsupported": "above the limit"}) + "\n")
            sys.stdout.flush()
            continue
        ref.stdin.write(line)
        ref.stdin.flush()
        answer = ref.stdout.readline()
        if threshold is not None and isinstance(value, int) and threshold <= value <= 0xFFFFFFFF:
            resp = json.loads(answer)
            if "ok" in resp:
                resp["ok"]["hex"] += "00"
                answer = json.dumps(resp) + "\n"
        sys.stdout.write(answer)
        sys.stdout.flush()


main()
