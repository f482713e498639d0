#!/usr/bin/env node
// Cross-check of vectors/molt/crypto.yaml with Node's crypto module, called the way the
// JavaScript Molt agent calls it (DER SPKI import, crypto.diffieHellman, AES-256-GCM with the
// tag taken from bytes 12..28 of a leniently decoded base64 blob, JSON.parse with a text
// fallback and null as failure). Reads [{id, op, input}] as JSON on stdin and prints
// [{id, outcome}] where outcome is {ok: ...} or {error: class}. Used by
// `python3 vectors/tools/gen_molt_vectors.py --node`. Written for this suite; no upstream code.
'use strict';
const crypto = require('crypto');

function keyObject(privHex) {
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'),
    Buffer.from(privHex, 'hex')]);
  return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

function derive(privHex, peerB64) {
  let pub;
  try {
    pub = crypto.createPublicKey({ key: Buffer.from(peerB64, 'base64'), format: 'der', type: 'spki' });
    if (pub.asymmetricKeyType !== 'x25519') return { error: 'invalid_public_key' };
  } catch (e) {
    return { error: 'invalid_public_key' };
  }
  try {
    return { ok: { key_hex: crypto.diffieHellman({ privateKey: keyObject(privHex), publicKey: pub }).toString('hex') } };
  } catch (e) {
    return { error: 'low_order_point' };
  }
}

function payloadText(input) {
  if ('plaintext' in input) return input.plaintext;
  return typeof input.payload === 'string' ? input.payload : JSON.stringify(input.payload);
}

function run(c) {
  const i = c.input;
  switch (c.op) {
    case 'molt.crypto.keypair': {
      const priv = keyObject(i.private_hex);
      const spki = crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' });
      return { ok: { public_hex: spki.subarray(12).toString('hex'), spki: spki.toString('base64') } };
    }
    case 'molt.crypto.derive':
      return derive(i.private_hex, i.peer_key);
    case 'molt.crypto.seal': {
      const key = Buffer.from(i.key_hex, 'hex');
      const nonce = Buffer.from(i.nonce_hex, 'hex');
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
      const ct = Buffer.concat([cipher.update(payloadText(i), 'utf8'), cipher.final()]);
      return { ok: { blob: Buffer.concat([nonce, cipher.getAuthTag(), ct]).toString('base64') } };
    }
    case 'molt.crypto.open': {
      const key = Buffer.from(i.key_hex, 'hex');
      let pt;
      try {
        const buf = Buffer.from(i.blob, 'base64');
        const d = crypto.createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
        d.setAuthTag(buf.subarray(12, 28));
        pt = Buffer.concat([d.update(buf.subarray(28)), d.final()]);
      } catch (e) {
        return { error: 'decryption_failed' };
      }
      const text = pt.toString('utf8');
      let payload;
      try { payload = JSON.parse(text); } catch (e) { payload = text; }
      if (payload === null) return { error: 'decryption_failed' };
      return { ok: { plaintext_hex: pt.toString('hex'), payload } };
    }
    default:
      return { error: 'unknown op ' + c.op };
  }
}

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map((c) => ({ id: c.id, outcome: run(c) }))));
});
