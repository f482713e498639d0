//! Ops of the secure chapter: `crypto.*`, `frame.seal`, `frame.open` (spec `secure`,
//! `spec/06-secure.md`; shapes in `spec/ops.yaml`).

use serde_json::{json, Value};

use super::args::Input;
use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::secure::kdf::{self, KeyHierarchy, Purpose};
use crate::secure::nonce::FixedNonce;
use crate::secure::{aead, frame, hmac, keyring::Keyring, x25519, KeyMaterial, NONCE_LEN};
use crate::wire::frame as plain;

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "crypto.hmac.sign",
        run: hmac_sign,
    },
    Op {
        name: "crypto.hmac.verify",
        run: hmac_verify,
    },
    Op {
        name: "crypto.aead.seal",
        run: aead_seal,
    },
    Op {
        name: "crypto.aead.open",
        run: aead_open,
    },
    Op {
        name: "crypto.hkdf",
        run: hkdf,
    },
    Op {
        name: "crypto.hkdf.extract",
        run: hkdf_extract,
    },
    Op {
        name: "crypto.kdf.hierarchy",
        run: hierarchy,
    },
    Op {
        name: "crypto.x25519.public",
        run: x25519_public,
    },
    Op {
        name: "crypto.x25519",
        run: x25519_shared,
    },
    Op {
        name: "crypto.x25519.session-key",
        run: x25519_session,
    },
    Op {
        name: "crypto.keyring.run",
        run: keyring_run,
    },
    Op {
        name: "frame.seal",
        run: frame_seal,
    },
    Op {
        name: "frame.open",
        run: frame_open,
    },
];

fn err(e: crate::secure::SecureError) -> Reply {
    Reply::from_error(&e)
}

fn opt_hex(args: &Args, name: &str) -> Result<Option<Vec<u8>>, Reply> {
    if args.has(name) {
        args.hex(name).map(Some)
    } else {
        Ok(None)
    }
}

/// `crypto.hmac.sign {key_hex, data_hex}` → `{tag_hex}`. [SECURE-HMAC-001] [SECURE-KEY-001]
pub fn hmac_sign(args: &Args) -> Reply {
    run(|| {
        let tag = hmac::sign(&args.hex("key_hex")?, &args.hex("data_hex")?).map_err(err)?;
        Ok(json!({ "tag_hex": hex::encode(tag) }))
    })
}

/// `crypto.hmac.verify {key_hex, data_hex, tag_hex}` → `{verified: true}` or `auth_failed`.
/// [SECURE-HMAC-002] [SECURE-HMAC-003]
pub fn hmac_verify(args: &Args) -> Reply {
    run(|| {
        hmac::verify(
            &args.hex("key_hex")?,
            &args.hex("data_hex")?,
            &args.hex("tag_hex")?,
        )
        .map_err(err)?;
        Ok(json!({ "verified": true }))
    })
}

/// `crypto.aead.seal {key_hex, nonce_hex, aad_hex, plaintext_hex}` → `{sealed_hex}` (nonce ‖
/// ciphertext ‖ tag). [SECURE-AEAD-001] [SECURE-AEAD-002]
pub fn aead_seal(args: &Args) -> Reply {
    run(|| {
        let sealed = aead::seal(
            &args.hex("key_hex")?,
            &args.hex("nonce_hex")?,
            &args.hex("aad_hex")?,
            &args.hex("plaintext_hex")?,
        )
        .map_err(err)?;
        Ok(json!({ "sealed_hex": hex::encode(sealed) }))
    })
}

/// `crypto.aead.open {key_hex, aad_hex, sealed_hex}` → `{plaintext_hex}`. [SECURE-AEAD-003]
/// [SECURE-AEAD-004]
pub fn aead_open(args: &Args) -> Reply {
    run(|| {
        let pt = aead::open(
            &args.hex("key_hex")?,
            &args.hex("aad_hex")?,
            &args.hex("sealed_hex")?,
        )
        .map_err(err)?;
        Ok(json!({ "plaintext_hex": hex::encode(pt) }))
    })
}

/// `crypto.hkdf {ikm_hex, salt_hex?, info_hex, length}` → `{okm_hex}`. [SECURE-KDF-001]
/// [SECURE-KDF-003]
pub fn hkdf(args: &Args) -> Reply {
    run(|| {
        let length = args
            .opt_usize("length")?
            .ok_or_else(|| Reply::bad_args("missing `length`"))?;
        let salt = opt_hex(args, "salt_hex")?;
        let okm = kdf::hkdf(
            &args.hex("ikm_hex")?,
            salt.as_deref(),
            &args.hex("info_hex")?,
            length,
        )
        .map_err(err)?;
        Ok(json!({ "okm_hex": hex::encode(okm.as_bytes()) }))
    })
}

/// `crypto.hkdf.extract {ikm_hex, salt_hex?}` → `{prk_hex}`. [SECURE-KDF-001]
pub fn hkdf_extract(args: &Args) -> Reply {
    run(|| {
        let salt = opt_hex(args, "salt_hex")?;
        let prk = kdf::extract(salt.as_deref(), &args.hex("ikm_hex")?);
        Ok(json!({ "prk_hex": hex::encode(prk) }))
    })
}

/// `crypto.kdf.hierarchy {master_hex, org_id, kind, agent_id?, purpose?, peer_id?,
/// session_id?}` → `{key_hex}`. `kind` is `org`, `agent`, `agent-purpose`, `session`, `shared`,
/// `context-purpose` or `context-session`. [SECURE-HIER-001]..[SECURE-HIER-006] [SECURE-ID-001]
pub fn hierarchy(args: &Args) -> Reply {
    run(|| {
        let master = KeyMaterial::new(args.hex("master_hex")?);
        let kind = args.text("kind")?;
        let purpose = || -> Result<Purpose, Reply> {
            let p = args.text("purpose")?;
            Purpose::from_label(p).ok_or_else(|| Reply::bad_args(format!("unknown purpose `{p}`")))
        };
        let h = KeyHierarchy::new(master, args.text("org_id")?).map_err(err)?;
        let key = match kind {
            "org" => h.org_key(),
            "agent" => h.agent_key(args.text("agent_id")?),
            "agent-purpose" => h.agent_purpose_key(args.text("agent_id")?, purpose()?),
            "session" => h.session_key(
                args.text("agent_id")?,
                args.text("peer_id")?,
                args.text("session_id")?,
            ),
            "shared" => h.shared_key(),
            "context-purpose" => {
                let p = purpose()?;
                h.agent_context(args.text("agent_id")?)
                    .and_then(|c| c.purpose_key(p))
            }
            "context-session" => {
                let (peer, sid) = (args.text("peer_id")?, args.text("session_id")?);
                h.agent_context(args.text("agent_id")?)
                    .and_then(|c| c.session_key(peer, sid))
            }
            other => return Err(Reply::bad_args(format!("unknown kind `{other}`"))),
        }
        .map_err(err)?;
        Ok(json!({ "key_hex": hex::encode(key.as_bytes()) }))
    })
}

/// The peer's public key: `peer_public_hex`, or computed from `peer_private_hex` (exactly one).
fn peer_public(args: &Args) -> Result<Vec<u8>, Reply> {
    match (args.has("peer_public_hex"), args.has("peer_private_hex")) {
        (true, false) => args.hex("peer_public_hex"),
        (false, true) => x25519::public_key(&args.hex("peer_private_hex")?)
            .map(|p| p.to_vec())
            .map_err(err),
        _ => Err(Reply::bad_args(
            "exactly one of `peer_public_hex` or `peer_private_hex` is required",
        )),
    }
}

/// `crypto.x25519.public {private_hex}` → `{public_hex}`. [SECURE-X25519-002]
pub fn x25519_public(args: &Args) -> Reply {
    run(|| {
        let public = x25519::public_key(&args.hex("private_hex")?).map_err(err)?;
        Ok(json!({ "public_hex": hex::encode(public) }))
    })
}

/// `crypto.x25519 {private_hex, peer_public_hex | peer_private_hex}` → `{shared_hex}`.
/// [SECURE-X25519-003] [SECURE-X25519-004]
pub fn x25519_shared(args: &Args) -> Reply {
    run(|| {
        let private = args.hex("private_hex")?;
        let shared = x25519::shared_secret(&private, &peer_public(args)?).map_err(err)?;
        Ok(json!({ "shared_hex": hex::encode(shared.as_bytes()) }))
    })
}

/// `crypto.x25519.session-key {private_hex, peer_public_hex | peer_private_hex, context}` →
/// `{key_hex}`. [SECURE-X25519-005]
pub fn x25519_session(args: &Args) -> Reply {
    run(|| {
        let private = args.hex("private_hex")?;
        let key = x25519::session_key(&private, &peer_public(args)?, args.text("context")?)
            .map_err(err)?;
        Ok(json!({ "key_hex": hex::encode(key.as_bytes()) }))
    })
}

/// One keyring step's outcome, in the `{ok: VALUE}` / `{error: CLASS}` shape of vectors.
fn step(ring: &mut Keyring, s: &serde_json::Map<String, Value>) -> Result<Value, Reply> {
    let a = Args::new(s);
    let result = match a.text("do")? {
        "add" => {
            ring.add(a.text("id")?, KeyMaterial::new(a.hex("key_hex")?));
            Ok(Value::Null)
        }
        "get" => ring
            .get(a.text("id")?)
            .map(|k| json!({ "key_hex": hex::encode(k.as_bytes()) })),
        "default" => ring
            .default_key()
            .map(|k| json!({ "key_hex": hex::encode(k.as_bytes()) })),
        "set_default" => ring.set_default(a.text("id")?).map(|()| Value::Null),
        "remove" => Ok(json!({ "removed": ring.remove(a.text("id")?) })),
        "len" => Ok(json!({ "len": ring.len() })),
        "derive_session_key" => ring
            .derive_session_key(a.text("context")?, a.text("session_id")?)
            .map(|k| json!({ "key_hex": hex::encode(k.as_bytes()) })),
        other => return Err(Reply::bad_args(format!("unknown keyring step `{other}`"))),
    };
    Ok(match result {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": crate::ErrorClass::class(&e) }),
    })
}

/// `crypto.keyring.run {steps: [{do, ...}]}` → `{results: [{ok} | {error}]}`: a script of
/// keyring calls on a fresh keyring. [SECURE-KEYRING-001]..[SECURE-KEYRING-004]
pub fn keyring_run(args: &Args) -> Reply {
    run(|| {
        let Some(Value::Array(steps)) = args.get("steps") else {
            return Err(Reply::bad_args("`steps` must be an array"));
        };
        let mut ring = Keyring::new();
        let mut results = Vec::with_capacity(steps.len());
        for s in steps {
            let Value::Object(m) = s else {
                return Err(Reply::bad_args("each step must be an object"));
            };
            results.push(step(&mut ring, m)?);
        }
        Ok(json!({ "results": results }))
    })
}

fn mode(args: &Args) -> Result<frame::Mode, Reply> {
    let m = args.text("mode")?;
    frame::Mode::from_name(m).ok_or_else(|| Reply::bad_args(format!("unknown mode `{m}`")))
}

/// `frame.seal {json, mode, key_hex, nonce_hex?}` → `{hex, wire}`. AEAD needs `nonce_hex`
/// (exactly 12 bytes); HMAC takes none. [SECURE-HMAC-FRAME-001] [SECURE-AEAD-FRAME-001]
/// [SECURE-TEXT-001]
pub fn frame_seal(args: &Args) -> Reply {
    run(|| {
        let json_text = args.text("json")?;
        let mode = mode(args)?;
        let key = args.hex("key_hex")?;
        let nonce = opt_hex(args, "nonce_hex")?;
        let binary = match (mode, nonce) {
            (frame::Mode::Hmac, None) => frame::seal_hmac(json_text, &key),
            (frame::Mode::Hmac, Some(_)) => {
                return Err(Reply::bad_args("an HMAC frame takes no `nonce_hex`"))
            }
            (frame::Mode::Aead, None) => return Err(Reply::bad_args("missing `nonce_hex`")),
            (frame::Mode::Aead, Some(n)) => {
                let n: [u8; NONCE_LEN] = n
                    .as_slice()
                    .try_into()
                    .map_err(|_| err(crate::secure::SecureError::InvalidNonce(n.len())))?;
                frame::seal_aead(json_text, &key, &mut FixedNonce(n))
            }
        }
        .map_err(err)?;
        Ok(json!({ "hex": hex::encode(&binary), "wire": plain::to_text(&binary) }))
    })
}

/// `frame.open {hex | wire, mode, key_hex, max_*?}` → `{json, header}`.
/// [SECURE-HMAC-FRAME-002] [SECURE-AEAD-FRAME-003] [SECURE-DOWNGRADE-001]
pub fn frame_open(args: &Args) -> Reply {
    run(|| {
        let limits = args.limits()?;
        let mode = mode(args)?;
        let key = args.hex("key_hex")?;
        let opened = match args.hex_or_wire()? {
            Input::Binary(bytes) => frame::open(&bytes, mode, &key, &limits),
            Input::Text(wire) => frame::open_text(&wire, mode, &key, &limits),
        }
        .map_err(err)?;
        Ok(json!({ "json": opened.payload, "header": opened.header.to_json() }))
    })
}
