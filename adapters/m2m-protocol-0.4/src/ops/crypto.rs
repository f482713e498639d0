//! The secure-chapter ops (`crypto.*`, `frame.seal`, `frame.open`) on upstream 0.4.0's public
//! crypto API (`m2m::codec::m2m::crypto`, feature `crypto`).
//!
//! Where upstream's API cannot express an op's input the answer is `unsupported`, never an
//! emulation:
//! - `frame.seal` in AEAD mode: upstream draws the nonce itself (`SecurityContext::next_nonce`),
//!   so exact bytes cannot be produced; AEAD frames produced by upstream are checked by the
//!   generator `gen-secure-vectors` instead.
//! - `crypto.hkdf` with a salt and `crypto.hkdf.extract`: upstream only offers
//!   `KeyMaterial::derive`, HKDF with no salt.
//! - `crypto.x25519*` with `peer_public_hex`: upstream's `PublicKey` type is not exported, so a
//!   raw public key cannot be passed in; `peer_private_hex` works through `KeyPair::from_secret`.
//! - keys or nonces of a length upstream's types cannot hold (`[u8; 32]`, `[u8; 12]`).

use m2m::codec::m2m::crypto::{
    AeadCipher, AeadError, AgentId, AgentKeyContext, CryptoError, HmacAuth, HmacError, IdError,
    KeyExchange, KeyHierarchy, KeyId, KeyMaterial, KeyPair, KeyPurpose, Keyring, KeyringError,
    SecurityContext,
};
use m2m::codec::m2m::{M2MFrame, SecurityMode, M2M_PREFIX};
use m2m::M2MError;
use serde_json::{json, Map, Value};

use super::{header, hex_field, run, text, u64_field, Args};
use crate::{Op, Reply};

/// The secure-chapter ops, in `spec/ops.yaml` order.
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

/// Class of an upstream `CryptoError`.
pub fn crypto_class(e: &CryptoError) -> &'static str {
    match e {
        CryptoError::Aead(a) => aead_class(a),
        CryptoError::Hmac(h) => hmac_class(h),
        CryptoError::Key(_) => "invalid_key",
        CryptoError::Keyring(k) => keyring_class(k),
        CryptoError::Exchange(_) => "invalid_key",
        CryptoError::Id(_) => "invalid_id",
        CryptoError::Nonce(_) => "rng_failure",
    }
}

fn aead_class(e: &AeadError) -> &'static str {
    match e {
        AeadError::InvalidKey(_) => "invalid_key",
        AeadError::DecryptionFailed(_) => "auth_failed",
        AeadError::DataTooShort => "truncated",
        AeadError::EncryptionFailed(_) => crate::errors::UNMAPPED,
    }
}

fn hmac_class(e: &HmacError) -> &'static str {
    match e {
        HmacError::InvalidKey(_) => "invalid_key",
        HmacError::VerificationFailed => "auth_failed",
        HmacError::DataTooShort => "truncated",
    }
}

fn keyring_class(e: &KeyringError) -> &'static str {
    match e {
        KeyringError::KeyNotFound(_) => "key_not_found",
        KeyringError::InvalidKey(_) => "invalid_key",
        // The only derivation failure is an HKDF output longer than 8160 bytes.
        KeyringError::DerivationFailed(_) => "kdf_output_too_long",
    }
}

/// Messages of the secured-frame decoder (frame.rs `decode_secure` and friends), checked before
/// the shared frame map of [`crate::errors`].
const SECURE_ROWS: &[(&str, &str)] = &[
    ("Frame too short for HMAC", "truncated"),
    ("Frame too short for AEAD payload", "truncated"),
    ("Decrypted payload too short", "truncated"),
    ("Payload length mismatch", "payload_length_mismatch"),
];

/// An upstream `M2MError` from the secured-frame paths, classified.
fn upstream(e: &M2MError) -> Reply {
    let class = match e {
        M2MError::Crypto(c) => crypto_class(c),
        M2MError::Decompression(m) if m == "Frame too short" => "truncated",
        M2MError::Decompression(m) => SECURE_ROWS
            .iter()
            .find(|(p, _)| m.starts_with(p))
            .map_or_else(|| crate::errors::classify(e), |(_, c)| c),
        other => crate::errors::classify(other),
    };
    Reply::Error {
        class: class.to_owned(),
        message: e.to_string(),
    }
}

fn error(class: &'static str, e: &dyn std::fmt::Display) -> Reply {
    Reply::Error {
        class: class.to_owned(),
        message: e.to_string(),
    }
}

fn array<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], Reply> {
    bytes.try_into().map_err(|_| {
        Reply::Unsupported(format!(
            "upstream's API takes a {what} of exactly {N} bytes; got {}",
            bytes.len()
        ))
    })
}

fn hmac_auth(args: &Args) -> Result<HmacAuth, Reply> {
    HmacAuth::new(KeyMaterial::new(hex_field(args, "key_hex")?))
        .map_err(|e| error(hmac_class(&e), &e))
}

/// `crypto.hmac.sign` → `HmacAuth::new(key).compute_tag(data)`.
pub fn hmac_sign(args: &Args) -> Reply {
    run(|| {
        let tag = hmac_auth(args)?.compute_tag(&hex_field(args, "data_hex")?);
        Ok(json!({ "tag_hex": hex::encode(tag) }))
    })
}

/// `crypto.hmac.verify` → `HmacAuth::verify_tag`.
pub fn hmac_verify(args: &Args) -> Reply {
    run(|| {
        hmac_auth(args)?
            .verify_tag(&hex_field(args, "data_hex")?, &hex_field(args, "tag_hex")?)
            .map_err(|e| error(hmac_class(&e), &e))?;
        Ok(json!({ "verified": true }))
    })
}

fn aead_cipher(args: &Args) -> Result<AeadCipher, Reply> {
    AeadCipher::new(KeyMaterial::new(hex_field(args, "key_hex")?))
        .map_err(|e| error(aead_class(&e), &e))
}

/// `crypto.aead.seal` → `AeadCipher::encrypt(plaintext, nonce, aad)` (nonce ‖ ct ‖ tag).
pub fn aead_seal(args: &Args) -> Reply {
    run(|| {
        let cipher = aead_cipher(args)?;
        let nonce: [u8; 12] = array(&hex_field(args, "nonce_hex")?, "nonce")?;
        let sealed = cipher
            .encrypt(
                &hex_field(args, "plaintext_hex")?,
                &nonce,
                &hex_field(args, "aad_hex")?,
            )
            .map_err(|e| error(aead_class(&e), &e))?;
        Ok(json!({ "sealed_hex": hex::encode(sealed) }))
    })
}

/// `crypto.aead.open` → `AeadCipher::decrypt(sealed, aad)`.
pub fn aead_open(args: &Args) -> Reply {
    run(|| {
        let pt = aead_cipher(args)?
            .decrypt(
                &hex_field(args, "sealed_hex")?,
                &hex_field(args, "aad_hex")?,
            )
            .map_err(|e| error(aead_class(&e), &e))?;
        Ok(json!({ "plaintext_hex": hex::encode(pt) }))
    })
}

/// `crypto.hkdf` without salt → `KeyMaterial::derive(info, length)`.
pub fn hkdf(args: &Args) -> Reply {
    run(|| {
        if args.contains_key("salt_hex") {
            return Err(Reply::Unsupported(
                "upstream's KeyMaterial::derive has no salt parameter".into(),
            ));
        }
        let length = usize::try_from(u64_field(args, "length")?)
            .map_err(|_| Reply::bad_args("`length` is too large"))?;
        let okm = KeyMaterial::new(hex_field(args, "ikm_hex")?)
            .derive(&hex_field(args, "info_hex")?, length)
            .map_err(|e| error(keyring_class(&e), &e))?;
        Ok(json!({ "okm_hex": hex::encode(okm.as_bytes()) }))
    })
}

fn id_error(e: IdError) -> Reply {
    error("invalid_id", &e)
}

/// `crypto.kdf.hierarchy` → `KeyHierarchy::try_new` / `AgentId::try_new` and the derivation
/// named by `kind` (`AgentKeyContext::from_hierarchy` for the `context-*` kinds).
///
/// Checks in the reference's order: the organization id (upstream's `try_new`), then, for the
/// kind, every argument it needs (a missing field or an unknown purpose is `bad_args`), and only
/// then the agent and peer ids (upstream's `AgentId::try_new`, `invalid_id`).
pub fn hierarchy(args: &Args) -> Reply {
    run(|| {
        let master = KeyMaterial::new(hex_field(args, "master_hex")?);
        let kind = text(args, "kind")?.to_owned();
        let h = KeyHierarchy::try_new(master, text(args, "org_id")?).map_err(id_error)?;
        let agent = |id: &str| -> Result<AgentId, Reply> { AgentId::try_new(id).map_err(id_error) };
        let purpose = || -> Result<KeyPurpose, Reply> {
            Ok(match text(args, "purpose")? {
                "identity" => KeyPurpose::Identity,
                "encryption" => KeyPurpose::Encryption,
                "authentication" => KeyPurpose::Authentication,
                "session" => KeyPurpose::Session,
                other => return Err(Reply::bad_args(format!("unknown purpose `{other}`"))),
            })
        };
        let ctx = |a: AgentId| -> Result<AgentKeyContext, Reply> {
            AgentKeyContext::from_hierarchy(&h, a).map_err(|e| error(keyring_class(&e), &e))
        };
        let key = match kind.as_str() {
            "org" => h.derive_org_key(),
            "agent" => h.derive_agent_key(&agent(text(args, "agent_id")?)?),
            "agent-purpose" => {
                let a = text(args, "agent_id")?;
                let p = purpose()?;
                h.derive_agent_key_for_purpose(&agent(a)?, p)
            }
            "session" => {
                let (a, peer) = (text(args, "agent_id")?, text(args, "peer_id")?);
                let sid = text(args, "session_id")?;
                h.derive_session_key(&agent(a)?, &agent(peer)?, sid)
            }
            "shared" => h.derive_shared_key(),
            "context-purpose" => {
                let a = text(args, "agent_id")?;
                let p = purpose()?;
                ctx(agent(a)?)?.derive_key(p)
            }
            "context-session" => {
                let (a, peer) = (text(args, "agent_id")?, text(args, "peer_id")?);
                let sid = text(args, "session_id")?;
                let c = ctx(agent(a)?)?;
                c.derive_session_key(&agent(peer)?, sid)
            }
            other => return Err(Reply::bad_args(format!("unknown kind `{other}`"))),
        }
        .map_err(|e| error(keyring_class(&e), &e))?;
        Ok(json!({ "key_hex": hex::encode(key.as_bytes()) }))
    })
}

fn key_pair(args: &Args, name: &str) -> Result<KeyPair, Reply> {
    Ok(KeyPair::from_secret(array(
        &hex_field(args, name)?,
        "X25519 private key",
    )?))
}

/// The peer's key pair from `peer_private_hex`; a raw `peer_public_hex` is unsupported.
fn peer_pair(args: &Args) -> Result<KeyPair, Reply> {
    match (
        args.contains_key("peer_public_hex"),
        args.contains_key("peer_private_hex"),
    ) {
        (false, true) => key_pair(args, "peer_private_hex"),
        (true, false) => Err(Reply::Unsupported(
            "upstream's X25519 PublicKey type is not exported, so a raw peer public key cannot be passed in".into(),
        )),
        _ => Err(Reply::bad_args(
            "exactly one of `peer_public_hex` or `peer_private_hex` is required",
        )),
    }
}

/// `crypto.x25519.public` → `KeyPair::from_secret(k).public_key()`.
pub fn x25519_public(args: &Args) -> Reply {
    run(|| {
        let kp = key_pair(args, "private_hex")?;
        Ok(json!({ "public_hex": hex::encode(kp.public_key().as_bytes()) }))
    })
}

/// `crypto.x25519` → `KeyPair::diffie_hellman` (no low-order check upstream).
pub fn x25519_shared(args: &Args) -> Reply {
    run(|| {
        let kp = key_pair(args, "private_hex")?;
        let peer = peer_pair(args)?;
        let shared = kp.diffie_hellman(peer.public_key());
        Ok(json!({ "shared_hex": hex::encode(shared.as_bytes()) }))
    })
}

/// `crypto.x25519.session-key` → `KeyExchange::with_key_pair`, `set_peer_public`,
/// `derive_session_key(context)`.
pub fn x25519_session(args: &Args) -> Reply {
    run(|| {
        let mut ex = KeyExchange::with_key_pair(key_pair(args, "private_hex")?);
        ex.set_peer_public(peer_pair(args)?.public_key().clone());
        let key = ex
            .derive_session_key(text(args, "context")?)
            .ok_or_else(|| Reply::bad_args("no session key (peer key not set)"))?;
        Ok(json!({ "key_hex": hex::encode(key.as_bytes()) }))
    })
}

fn step(ring: &mut Keyring, s: &Map<String, Value>) -> Result<Value, Reply> {
    let id = || text(s, "id").map(KeyId::from);
    let key_json = |k: &KeyMaterial| json!({ "key_hex": hex::encode(k.as_bytes()) });
    let not_found = || json!({ "error": "key_not_found" });
    let v = match text(s, "do")? {
        "add" => {
            ring.add_key(id()?, KeyMaterial::new(hex_field(s, "key_hex")?));
            json!({ "ok": null })
        }
        "get" => match ring.get_key(&id()?) {
            Some(k) => json!({ "ok": key_json(k) }),
            None => not_found(),
        },
        "default" => match ring.default_key() {
            Some(k) => json!({ "ok": key_json(k) }),
            None => not_found(),
        },
        "set_default" => match ring.set_default(id()?) {
            Ok(()) => json!({ "ok": null }),
            Err(e) => json!({ "error": keyring_class(&e) }),
        },
        "remove" => json!({ "ok": { "removed": ring.remove_key(&id()?).is_some() } }),
        "len" => json!({ "ok": { "len": ring.len() } }),
        "derive_session_key" => {
            match ring.derive_session_key(text(s, "context")?, text(s, "session_id")?) {
                Ok(k) => json!({ "ok": key_json(&k) }),
                Err(e) => json!({ "error": keyring_class(&e) }),
            }
        }
        other => return Err(Reply::bad_args(format!("unknown keyring step `{other}`"))),
    };
    Ok(v)
}

/// `crypto.keyring.run` → the `Keyring` calls of each step on a fresh keyring.
pub fn keyring_run(args: &Args) -> Reply {
    run(|| {
        let Some(Value::Array(steps)) = args.get("steps") else {
            return Err(Reply::bad_args("`steps` must be an array"));
        };
        let mut ring = Keyring::new();
        let mut results = Vec::new();
        for s in steps {
            let Value::Object(m) = s else {
                return Err(Reply::bad_args("each step must be an object"));
            };
            results.push(step(&mut ring, m)?);
        }
        Ok(json!({ "results": results }))
    })
}

/// The frame upstream's `M2MCodec::encode` would build for `json` (its own request/response
/// choice, repeated here because the codec does not expose the frame).
fn upstream_frame(json_text: &str) -> Result<M2MFrame, Reply> {
    let parsed: Value = serde_json::from_str(json_text)
        .map_err(|e| error("invalid_json", &format!("Invalid JSON: {e}")))?;
    let response = !(parsed.get("messages").is_some() && parsed.get("model").is_some())
        && (parsed.get("choices").is_some()
            || parsed
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("chatcmpl-")));
    if response {
        M2MFrame::new_response(json_text)
    } else {
        M2MFrame::new_request(json_text)
    }
    .map_err(|e| upstream(&e))
}

/// `frame.seal` → `M2MFrame::encode_secure` / `encode_secure_string` in HMAC mode. AEAD is
/// `unsupported`: upstream draws the nonce itself.
pub fn frame_seal(args: &Args) -> Reply {
    run(|| {
        let json_text = text(args, "json")?;
        match text(args, "mode")? {
            "hmac" => {}
            "aead" => {
                return Err(Reply::Unsupported(
                    "upstream's AEAD frame encoder draws its own random nonce; a given nonce cannot be injected".into(),
                ))
            }
            other => return Err(Reply::bad_args(format!("unknown mode `{other}`"))),
        }
        let key = KeyMaterial::new(hex_field(args, "key_hex")?);
        // spec/ops.yaml: the nonce is required for AEAD and refused for HMAC (upstream's HMAC
        // encoder has no nonce to ignore, so accepting one would hide a caller's mistake).
        if args.contains_key("nonce_hex") {
            hex_field(args, "nonce_hex")?;
            return Err(Reply::bad_args("an HMAC frame takes no `nonce_hex`"));
        }
        let frame = upstream_frame(json_text)?;
        let mut ctx = SecurityContext::new(key);
        let binary = frame
            .encode_secure(SecurityMode::Hmac, &mut ctx)
            .map_err(|e| upstream(&e))?;
        let wire = frame
            .encode_secure_string(SecurityMode::Hmac, &mut ctx)
            .map_err(|e| upstream(&e))?;
        Ok(json!({ "hex": hex::encode(binary), "wire": wire }))
    })
}

/// `frame.open` → `M2MFrame::decode_secure` / `decode_secure_string`. Upstream reads the mode
/// from the frame's own security byte; the `mode` argument is checked for shape only.
pub fn frame_open(args: &Args) -> Reply {
    run(|| {
        match text(args, "mode")? {
            "hmac" | "aead" => {}
            other => return Err(Reply::bad_args(format!("unknown mode `{other}`"))),
        }
        for name in ["max_message_bytes", "max_decompressed_bytes"] {
            if args.contains_key(name) {
                u64_field(args, name)?;
            }
        }
        let ctx = SecurityContext::new(KeyMaterial::new(hex_field(args, "key_hex")?));
        let bytes = match (args.contains_key("hex"), args.contains_key("wire")) {
            (true, false) => hex_field(args, "hex")?,
            (false, true) => {
                let wire = text(args, "wire")?;
                let frame = M2MFrame::decode_secure_string(wire, &ctx).map_err(|e| upstream(&e))?;
                let body = base64_body(wire)?;
                return Ok(opened(&frame, &body));
            }
            _ => {
                return Err(Reply::bad_args(
                    "exactly one of `hex` or `wire` is required",
                ))
            }
        };
        let frame = M2MFrame::decode_secure(&bytes, &ctx).map_err(|e| upstream(&e))?;
        Ok(opened(&frame, &bytes))
    })
}

fn base64_body(wire: &str) -> Result<Vec<u8>, Reply> {
    use base64::Engine as _;
    // Upstream just accepted this base64 with the same engine.
    let body = base64::engine::general_purpose::STANDARD
        .decode(&wire[M2M_PREFIX.len()..])
        .map_err(|e| Reply::bad_args(format!("base64: {e}")))?;
    let mut bytes = M2M_PREFIX.as_bytes().to_vec();
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// `{json, header}` of an opened frame. Upstream keeps no `payload_len`; the header projection
/// reads it from the bytes after the headers, which for an AEAD frame lie inside the
/// ciphertext, so there it is the sealed length minus nonce, length, checksum and tag.
fn opened(frame: &M2MFrame, bytes: &[u8]) -> Value {
    let end = 7 + usize::from(frame.fixed.header_len);
    let projected = if frame.fixed.security == SecurityMode::Aead {
        let stored = bytes.len().saturating_sub(end + 12 + 8 + 16) as u32;
        let mut synthetic = bytes[..end.min(bytes.len())].to_vec();
        synthetic.extend_from_slice(&stored.to_le_bytes());
        header::project(frame, &synthetic)
    } else {
        header::project(frame, bytes)
    };
    json!({ "json": frame.payload, "header": projected })
}
