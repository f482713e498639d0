#!/usr/bin/env node
// A JavaScript Molt agent's P2P listener with an event tap, for `molt-peer` certification:
//
//   node js-peer.js JS_DIR PORT TAP_PORT
//
// Listens on 127.0.0.1:PORT with the SDK's own connection handler (M2MAgent's
// `_handlePeerConnection`, no hub involved) and writes every delivered `message` event as one
// JSON line {from, type, payload, correlationId} (undefined members omitted) to each client of
// 127.0.0.1:TAP_PORT. Written for this suite; it only uses the SDK.
'use strict';
const net = require('net');
const path = require('path');

const [jsDir, port, tapPort] = process.argv.slice(2);
const { M2MAgent } = require(path.join(path.resolve(jsDir), 'agent.js'));

const agent = new M2MAgent({ port: Number(port), hub: 'ws://127.0.0.1:1/ws' });
agent.on('error', () => {});
const taps = new Set();
agent.on('message', (m) => {
  const line = JSON.stringify({ from: m.from, type: m.type, payload: m.payload, correlationId: m.correlationId }) + '\n';
  for (const t of taps) t.write(line);
});
net.createServer((s) => agent._handlePeerConnection(s)).listen(Number(port), '127.0.0.1');
net.createServer((s) => { taps.add(s); s.on('close', () => taps.delete(s)); s.on('error', () => {}); })
  .listen(Number(tapPort), '127.0.0.1', () => console.log(JSON.stringify({ event: 'ready', port: Number(port), tap_port: Number(tapPort) })));
