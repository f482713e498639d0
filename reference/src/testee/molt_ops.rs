//! Ops of the Molt chapter (spec `molt`, `spec/30-molt.md`; shapes in `spec/ops.yaml`):
//! `molt.crypto.*` for keys and blobs, `molt.hub.run` and `molt.peer.run` for scripted
//! scenarios.

use serde_json::json;

use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::molt::{crypto, script};

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "molt.crypto.keypair",
        run: keypair,
    },
    Op {
        name: "molt.crypto.derive",
        run: derive,
    },
    Op {
        name: "molt.crypto.seal",
        run: seal,
    },
    Op {
        name: "molt.crypto.open",
        run: open,
    },
    Op {
        name: "molt.hub.run",
        run: hub_run,
    },
    Op {
        name: "molt.peer.run",
        run: peer_run,
    },
    Op {
        name: "molt.peer.send",
        run: peer_send,
    },
];

fn fixed<const N: usize>(args: &Args, name: &str) -> Result<[u8; N], Reply> {
    args.hex(name)?
        .try_into()
        .map_err(|_| Reply::bad_args(format!("`{name}` must be {N} bytes")))
}

/// `molt.crypto.keypair {private_hex}` → `{public_hex, spki}`. [MOLT-KEY-001] [MOLT-KEY-002]
pub fn keypair(args: &Args) -> Reply {
    run(|| {
        let private: [u8; 32] = fixed(args, "private_hex")?;
        let public = crypto::public_key(&private);
        Ok(json!({ "public_hex": hex::encode(public), "spki": crypto::spki_b64(&public) }))
    })
}

/// `molt.crypto.derive {private_hex, peer_key}` → `{key_hex}`. [MOLT-KEY-003] [MOLT-KEY-004]
/// [MOLT-KEY-005]
pub fn derive(args: &Args) -> Reply {
    run(|| {
        let private: [u8; 32] = fixed(args, "private_hex")?;
        let key =
            crypto::derive(&private, args.text("peer_key")?).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "key_hex": hex::encode(key) }))
    })
}

/// `molt.crypto.seal {key_hex, nonce_hex, plaintext | payload}` → `{blob}`. [MOLT-BLOB-001]
/// [MOLT-BLOB-002] [MOLT-PAYLOAD-001]
pub fn seal(args: &Args) -> Reply {
    run(|| {
        let key: [u8; 32] = fixed(args, "key_hex")?;
        let nonce: [u8; 12] = fixed(args, "nonce_hex")?;
        let plaintext = match (args.has("plaintext"), args.get("payload")) {
            (true, None) => args.text("plaintext")?.as_bytes().to_vec(),
            (false, Some(p)) => crypto::encode_payload(p),
            _ => {
                return Err(Reply::bad_args(
                    "exactly one of `plaintext` or `payload` is required",
                ))
            }
        };
        Ok(json!({ "blob": crypto::seal(&key, &nonce, &plaintext) }))
    })
}

/// `molt.crypto.open {key_hex, blob}` → `{plaintext_hex, payload}`. [MOLT-BLOB-003]
/// [MOLT-BLOB-004] [MOLT-PAYLOAD-002] [MOLT-PAYLOAD-003]
pub fn open(args: &Args) -> Reply {
    run(|| {
        let key: [u8; 32] = fixed(args, "key_hex")?;
        let plaintext =
            crypto::open(&key, args.text("blob")?).map_err(|e| Reply::from_error(&e))?;
        let payload = crypto::decode_payload(&plaintext).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "plaintext_hex": hex::encode(&plaintext), "payload": payload }))
    })
}

/// `molt.hub.run {start_ms?, seed?, steps}` → `{outputs}`. [MOLT-SCRIPT-001]
pub fn hub_run(args: &Args) -> Reply {
    script::run_hub(args.map()).map_or_else(|e| Reply::bad_args(e.0), Reply::Ok)
}

/// `molt.peer.run {server_keys?, max_line?, steps}` → `{outputs}`. [MOLT-SCRIPT-002]
pub fn peer_run(args: &Args) -> Reply {
    script::run_peer(args.map()).map_or_else(|e| Reply::bad_args(e.0), Reply::Ok)
}

/// `molt.peer.send {private_hex, …, replies}` → `{frames, outcome, error?}`.
/// [MOLT-SCRIPT-002] [MOLT-P2P-014] [MOLT-P2P-016]
pub fn peer_send(args: &Args) -> Reply {
    script::run_sender(args.map()).map_or_else(|e| Reply::bad_args(e.0), Reply::Ok)
}
