#!/usr/bin/env node
// Interoperability run between the JavaScript Molt agent (agent.js of a checkout of the
// JavaScript reference, loaded from JS_DIR) and the Rust reference agent (`m2m-molt agent`),
// through one hub (either `m2m-molt hub` or the JavaScript hub.js).
//
//   node js-interop.js JS_DIR M2M_MOLT_BINARY HUB_WS_URL JS_PORT LABEL
//
// Prints one JSON object: {label, hub, checks: [{name, ok, detail}]}; exit code 0 when every
// check passed. Written for this suite; it only *uses* the JavaScript SDK's public API.
'use strict';
const path = require('path');
const { spawn } = require('child_process');
const readline = require('readline');

const [jsDir, binary, hubUrl, jsPortText, label] = process.argv.slice(2);
const { M2MAgent } = require(path.join(path.resolve(jsDir), 'agent.js'));

const checks = [];
function check(name, ok, detail) {
  checks.push({ name, ok: !!ok, detail });
}

function withTimeout(p, ms, what) {
  return Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what}: timeout`)), ms))]);
}

// The Rust agent as a child process driven over stdin/stdout.
function startRust() {
  const child = spawn(binary, ['agent', '--hub', hubUrl, '--port', '0', '--capabilities', 'echo,rust', '--echo'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const waiters = [];
  const messages = [];
  let ready;
  const readyP = new Promise((res) => { ready = res; });
  lines.on('line', (line) => {
    let v;
    try { v = JSON.parse(line); } catch { return; }
    if (v.event === 'ready') ready(v);
    else if (v.event === 'message') messages.push(v);
    else if (v.command && waiters.length) waiters.shift()(v);
  });
  return {
    child, messages, ready: readyP,
    cmd(line, ms = 15000) {
      const p = new Promise((res) => waiters.push(res));
      child.stdin.write(line + '\n');
      return withTimeout(p, ms, line);
    },
  };
}

async function main() {
  const rust = startRust();
  const info = await withTimeout(rust.ready, 10000, 'rust agent ready');
  check('rust agent registers', /^[0-9a-f]{32}$/.test(info.id), info);

  const js = new M2MAgent({ port: Number(jsPortText), hub: hubUrl, capabilities: ['echo', 'js'], heartbeatInterval: 30000 });
  js.on('error', () => {});
  const jsInbox = [];
  js.on('message', (m) => {
    jsInbox.push(m);
    if (typeof m.type === 'string' && !m.type.endsWith(':response')) {
      js.respond(m, { echo: m.payload }).catch(() => {});
    }
  });
  const jsId = await withTimeout(js.connect(), 10000, 'js connect');
  check('js agent registers', /^[0-9a-f]{32}$/.test(jsId), { id: jsId });

  try {
    const peers = await js.discover();
    check('js discover lists the rust agent', peers.some((p) => p.id === info.id), peers.map((p) => p.id));
  } catch (e) { check('js discover lists the rust agent', false, String(e)); }

  try {
    const found = await js.find('rust');
    check('js find(rust) finds the rust agent', found.some((p) => p.id === info.id), found.map((p) => p.id));
  } catch (e) { check('js find(rust) finds the rust agent', false, String(e)); }

  // JS -> Rust: send
  try {
    const r = await withTimeout(js.send(info.id, 'chat', { text: 'hi from js', n: [1, 2] }), 10000, 'send');
    await new Promise((res) => setTimeout(res, 300));
    const got = rust.messages.find((m) => m.type === 'chat');
    check('js -> rust send delivered and decrypted', r.delivered && got && got.payload.text === 'hi from js'
      && got.from === jsId && got.correlationId === r.correlationId, { result: r, received: got });
  } catch (e) { check('js -> rust send delivered and decrypted', false, String(e)); }

  // JS -> Rust: string payloads keep the JS typing rules
  try {
    await withTimeout(js.send(info.id, 'text', 'plain words é'), 10000, 'send text');
    await withTimeout(js.send(info.id, 'numeric', '42'), 10000, 'send numeric');
    await new Promise((res) => setTimeout(res, 300));
    const t = rust.messages.find((m) => m.type === 'text');
    const n = rust.messages.find((m) => m.type === 'numeric');
    check('js -> rust payload typing (text stays text, "42" becomes 42)', t && t.payload === 'plain words é' && n && n.payload === 42, { t, n });
  } catch (e) { check('js -> rust payload typing', false, String(e)); }

  // JS -> Rust: request/response (the Rust agent echoes)
  try {
    const resp = await withTimeout(js.request(info.id, 'task', { op: 'sum', data: [1, 2] }, 10000), 12000, 'request');
    check('js -> rust request answered by the rust responder', resp && resp.echo && resp.echo.op === 'sum', resp);
  } catch (e) { check('js -> rust request answered by the rust responder', false, String(e)); }

  // Rust -> JS: send
  try {
    const out = await rust.cmd(`send ${jsId} greet {"hello":"from rust"}`);
    await new Promise((res) => setTimeout(res, 300));
    const got = jsInbox.find((m) => m.type === 'greet');
    check('rust -> js send delivered and decrypted', out.ok && out.ok.delivered && got && got.payload.hello === 'from rust'
      && got.from === info.id, { out, received: got });
  } catch (e) { check('rust -> js send delivered and decrypted', false, String(e)); }

  // Rust -> JS: request/response (the JS agent echoes)
  try {
    const out = await rust.cmd(`request ${jsId} task {"n":7}`, 35000);
    check('rust -> js request answered by the js responder', out.ok && out.ok.response && out.ok.response.echo
      && out.ok.response.echo.n === 7, out);
  } catch (e) { check('rust -> js request answered by the js responder', false, String(e)); }

  // Rust -> JS broadcast by capability
  try {
    const before = jsInbox.length;
    const out = await rust.cmd('broadcast news {"headline":"x"} js');
    await new Promise((res) => setTimeout(res, 300));
    check('rust broadcast reaches the js agent', out.ok && out.ok.delivered === 1 && jsInbox.length > before, out);
  } catch (e) { check('rust broadcast reaches the js agent', false, String(e)); }

  // JS broadcast reaches the Rust agent
  try {
    const r = await withTimeout(js.broadcast('alert', { level: 1 }, { capabilities: ['rust'] }), 10000, 'broadcast');
    await new Promise((res) => setTimeout(res, 300));
    check('js broadcast reaches the rust agent', r.delivered === 1 && rust.messages.some((m) => m.type === 'alert'), r);
  } catch (e) { check('js broadcast reaches the rust agent', false, String(e)); }

  // SDK parity: the Rust agent's commands against the JS agent.
  try {
    const out = await rust.cmd(`senddirect 127.0.0.1:${jsPortText} direct {"via":"address"}`);
    await new Promise((res) => setTimeout(res, 300));
    const got = jsInbox.find((m) => m.type === 'direct');
    check('rust -> js sendDirect (no hub lookup) delivered', out.ok && out.ok.delivered && got && got.payload.via === 'address', { out, received: got });
  } catch (e) { check('rust -> js sendDirect delivered', false, String(e)); }
  try {
    const r = await withTimeout(js.sendDirect(`127.0.0.1:${info.port}`, 'direct', { via: 'js' }), 10000, 'sendDirect');
    await new Promise((res) => setTimeout(res, 300));
    check('js -> rust sendDirect delivered', r.delivered && rust.messages.some((m) => m.type === 'direct' && m.payload.via === 'js'), r);
  } catch (e) { check('js -> rust sendDirect delivered', false, String(e)); }
  try {
    const d = await rust.cmd('discover js status=online limit=5 offset=0');
    const f = await rust.cmd('find js');
    const l = await rust.cmd(`lookup ${jsId}`);
    check('rust discover (filters, paging), find and lookup see the js agent',
      d.ok && d.ok.agents.some((a) => a.id === jsId) && f.ok && f.ok.agents.some((a) => a.id === jsId)
      && l.ok && /:\d+$/.test(l.ok.address), { d, f, l });
  } catch (e) { check('rust discover/find/lookup see the js agent', false, String(e)); }
  try {
    const st = await rust.cmd('status busy {"mood":"calm"}');
    const busy = await js.discover({ status: 'busy' });
    const me = busy.find((p) => p.id === info.id);
    const hb = await rust.cmd('heartbeat');
    const online = await js.discover({ status: 'online' });
    check('rust updateStatus with metadata is seen by the js agent; heartbeat sets it online again',
      st.ok && me && me.metadata && me.metadata.mood === 'calm' && hb.ok && hb.ok.timestamp > 0
      && online.some((p) => p.id === info.id), { st, me, hb });
  } catch (e) { check('rust updateStatus seen by the js agent', false, String(e)); }
  try {
    const s = await rust.cmd('stats');
    check('rust stats', s.ok && s.ok.agents && s.ok.agents.total >= 2, s);
  } catch (e) { check('rust stats', false, String(e)); }

  rust.child.stdin.write('quit\n');
  await js.disconnect().catch(() => {});
  setTimeout(() => rust.child.kill(), 500);
  const ok = checks.every((c) => c.ok);
  process.stdout.write(JSON.stringify({ label, hub: hubUrl, ok, checks }, null, 2) + '\n');
  setTimeout(() => process.exit(ok ? 0 : 1), 700);
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ label, hub: hubUrl, ok: false, checks, error: String(e) }, null, 2) + '\n');
  process.exit(1);
});
