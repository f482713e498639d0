#!/usr/bin/env node
// A minimal m2m-conformance testee: `hello`, `wire.detect` and `wire.varint.decode` (spec 90-testee).
const readline = require("readline");
const PREFIXES = [["#M2M|1|", "m2m-v1"], ["#TK|", "token-native"], ["#M2M[v3.0]|", "brotli"]];

function detect({ wire }) {
  if (typeof wire !== "string") throw new Error("`wire` must be a string");
  const hit = PREFIXES.find(([p]) => wire.startsWith(p));
  return { format: hit ? hit[1] : "passthrough" };
}

function varintDecode({ hex }) {
  const text = hex.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error("`hex` is not hex");
  const data = Buffer.from(text, "hex");
  let value = 0;
  for (let i = 0; i < Math.min(data.length, 5); i++) {
    value += (data[i] & 0x7f) * 2 ** (7 * i);
    if (!(data[i] & 0x80)) return value <= 0xffffffff ? { value, consumed: i + 1 } : "varint_overflow";
  }
  return data.length >= 5 ? "varint_too_long" : "varint_truncated";
}

const OPS = { "wire.detect": detect, "wire.varint.decode": varintDecode };

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, op, args = {} } = JSON.parse(line);
  const resp = { id };
  if (op === "hello") resp.ok = { name: "mini-node", version: "1", protocol: 1, ops: Object.keys(OPS) };
  else if (!OPS[op]) resp.unsupported = `${op} is not implemented`;
  else {
    try {
      const out = OPS[op](args);
      if (typeof out === "string") resp.error = { class: out, message: "" };
      else resp.ok = out;
    } catch (e) {
      resp.error = { class: "bad_args", message: String(e.message) };
    }
  }
  process.stdout.write(JSON.stringify(resp) + "\n");
});
