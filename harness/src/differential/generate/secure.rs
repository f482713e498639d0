//! Generators of the secure area: HMAC, ChaCha20-Poly1305, HKDF, the key hierarchy, X25519, the
//! keyring and secured frames (sealed with an injected nonce, opened after mutation).

use m2m_reference::secure::nonce::FixedNonce;
use m2m_reference::secure::{aead, frame as sealed, hmac, x25519};
use m2m_reference::wire::frame;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};

use super::{bytes, json_text, mutate, mutations, plain_text, sized_bytes, with, ArgsStrategy};

pub(super) fn strategy(op: &str) -> Option<ArgsStrategy> {
    Some(match op {
        "crypto.hmac.sign" => (vec(any::<u8>(), 0..48), vec(any::<u8>(), 0..96))
            .prop_map(|(k, d)| json!({ "key_hex": hex::encode(k), "data_hex": hex::encode(d) }))
            .boxed(),
        "crypto.hmac.verify" => hmac_verify_args(),
        "crypto.aead.seal" => (aead_key(), sized_bytes(12), bytes(0..24), bytes(0..64))
            .prop_map(|(k, n, aad, pt)| {
                json!({
                    "key_hex": hex::encode(k),
                    "nonce_hex": hex::encode(n),
                    "aad_hex": hex::encode(aad),
                    "plaintext_hex": hex::encode(pt),
                })
            })
            .boxed(),
        "crypto.aead.open" => aead_open_args(),
        "crypto.hkdf" => hkdf_args(),
        "crypto.hkdf.extract" => (bytes(0..64), proptest::option::of(bytes(0..64)))
            .prop_map(|(ikm, salt)| {
                let v = json!({ "ikm_hex": hex::encode(ikm) });
                with(v, "salt_hex", salt.map(|s| hex::encode(s).into()))
            })
            .boxed(),
        "crypto.kdf.hierarchy" => hierarchy_args(),
        "crypto.x25519.public" => private_key()
            .prop_map(|p| json!({ "private_hex": hex::encode(p) }))
            .boxed(),
        "crypto.x25519" => x25519_args(),
        "crypto.x25519.session-key" => (x25519_args(), plain_text())
            .prop_map(|(mut v, context)| {
                v["context"] = context.into();
                v
            })
            .boxed(),
        "crypto.keyring.run" => vec(keyring_step(), 0..8)
            .prop_map(|steps| json!({ "steps": steps }))
            .boxed(),
        "frame.seal" => frame_seal_args(),
        "frame.open" => frame_open_args(),
        _ => return None,
    })
}

fn hkdf_args() -> ArgsStrategy {
    (
        vec(any::<u8>(), 0..64),
        proptest::option::of(vec(any::<u8>(), 0..64)),
        vec(any::<u8>(), 0..64),
        prop_oneof![
            0u64..=64,
            65u64..=8200,
            select(vec![8160u64, 8161, 1 << 20])
        ],
    )
        .prop_map(|(ikm, salt, info, length)| {
            let mut v = json!({
                "ikm_hex": hex::encode(ikm),
                "info_hex": hex::encode(info),
                "length": length,
            });
            if let Some(s) = salt {
                v["salt_hex"] = hex::encode(s).into();
            }
            v
        })
        .boxed()
}

/// A key of the fixed set: 32-byte keys (valid for every mode), a 16-byte key (the HMAC
/// minimum) and keys of invalid lengths. Weighted towards the valid ones.
fn key() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        6 => select(vec![0x00u8, 0x42, 0xa5, 0xff]).prop_map(|b| {
            (0..32u8).map(|i| b ^ i.wrapping_mul(7)).collect()
        }),
        2 => vec(any::<u8>(), 32..=32),
        1 => select(vec![16usize, 48]).prop_map(|n| vec![0x11; n]),
        1 => select(vec![0usize, 15, 31, 33]).prop_map(|n| vec![0x22; n]),
    ]
    .boxed()
}

/// A ChaCha20-Poly1305 key: 32 bytes, of the fixed set or random, or rarely a wrong length.
fn aead_key() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        6 => select(vec![0x00u8, 0x42, 0xa5, 0xff]).prop_map(|b| {
            (0..32u8).map(|i| b ^ i.wrapping_mul(7)).collect()
        }),
        2 => vec(any::<u8>(), 32..=32),
        1 => select(vec![0usize, 16, 31, 33]).prop_map(|n| vec![0x22; n]),
    ]
    .boxed()
}

/// `crypto.hmac.verify`: the tag the reference computes for key and data, exact or changed
/// (flipped, truncated, extended), or a random tag.
fn hmac_verify_args() -> ArgsStrategy {
    (
        key(),
        bytes(0..96),
        prop_oneof![3 => Just(Vec::new()), 2 => mutations(3)],
        prop_oneof![5 => Just(None), 1 => (0usize..32).prop_map(Some)],
        prop_oneof![8 => Just(None), 1 => bytes(0..40).prop_map(Some)],
    )
        .prop_map(|(key, data, muts, keep, random)| {
            let tag = hmac::sign(&key, &data).map_or_else(|_| vec![0u8; 32], |t| t.to_vec());
            let mut tag = random.unwrap_or_else(|| mutate(tag, &muts));
            if let Some(n) = keep {
                tag.truncate(n);
            }
            json!({
                "key_hex": hex::encode(key),
                "data_hex": hex::encode(data),
                "tag_hex": hex::encode(tag),
            })
        })
        .boxed()
}

/// `crypto.aead.open`: a box the reference sealed under the key, mutated or not, opened with
/// the same key and AAD most of the time, else another key or AAD; and raw short boxes.
fn aead_open_args() -> ArgsStrategy {
    let sealed = (
        aead_key(),
        vec(any::<u8>(), 12..=12),
        bytes(0..24),
        bytes(0..64),
        prop_oneof![3 => Just(Vec::new()), 2 => mutations(3)],
        prop_oneof![5 => Just(None), 1 => aead_key().prop_map(Some)],
        prop_oneof![5 => Just(None), 1 => bytes(0..8).prop_map(Some)],
    )
        .prop_map(|(key, nonce, aad, pt, muts, other_key, other_aad)| {
            let boxed = aead::seal(&key, &nonce, &aad, &pt).unwrap_or_else(|_| pt.clone());
            json!({
                "key_hex": hex::encode(other_key.unwrap_or(key)),
                "aad_hex": hex::encode(other_aad.unwrap_or(aad)),
                "sealed_hex": hex::encode(mutate(boxed, &muts)),
            })
        });
    let raw = (aead_key(), bytes(0..40)).prop_map(|(key, b)| {
        json!({ "key_hex": hex::encode(key), "aad_hex": "", "sealed_hex": hex::encode(b) })
    });
    prop_oneof![5 => sealed, 1 => raw].boxed()
}

/// Identifiers of the key hierarchy: plain ids, empty, Unicode and path-like ones.
fn ident() -> BoxedStrategy<String> {
    prop_oneof![
        12 => "[A-Za-z0-9_-]{1,12}",
        1 => select(vec!["", "org/with/slash", "ünïcode-ağent", "a:b", " "]).prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
    .boxed()
}

/// `crypto.kdf.hierarchy`: every kind with the fields it needs most of the time (and a field
/// missing, or an unknown purpose, sometimes).
fn hierarchy_args() -> ArgsStrategy {
    const KINDS: &[&str] = &[
        "org",
        "agent",
        "agent-purpose",
        "session",
        "shared",
        "context-purpose",
        "context-session",
    ];
    (
        prop_oneof![4 => vec(any::<u8>(), 32..=32), 1 => bytes(0..64)],
        ident(),
        select(KINDS),
        (ident(), ident(), ident()),
        prop_oneof![
            6 => select(vec!["identity", "encryption", "authentication", "session"]),
            1 => Just("signing"),
        ],
        prop_oneof![8 => Just(None), 1 => select(vec!["agent_id", "purpose", "peer_id", "session_id"]).prop_map(Some)],
    )
        .prop_map(|(master, org, kind, (agent, peer, session), purpose, drop)| {
            let mut v = json!({ "master_hex": hex::encode(master), "org_id": org, "kind": kind });
            let needs: &[&str] = match kind {
                "agent" => &["agent_id"],
                "agent-purpose" | "context-purpose" => &["agent_id", "purpose"],
                "session" | "context-session" => &["agent_id", "peer_id", "session_id"],
                _ => &[],
            };
            for field in needs.iter().filter(|f| Some(**f) != drop) {
                v[*field] = match *field {
                    "agent_id" => agent.clone(),
                    "purpose" => purpose.to_owned(),
                    "peer_id" => peer.clone(),
                    _ => session.clone(),
                }
                .into();
            }
            v
        })
        .boxed()
}

/// X25519 private keys: random 32 bytes mostly, the all-zero and all-one scalars, and wrong
/// lengths.
fn private_key() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        8 => vec(any::<u8>(), 32..=32),
        1 => select(vec![0x00u8, 0xff]).prop_map(|b| vec![b; 32]),
        1 => select(vec![0usize, 31, 33]).prop_map(|n| vec![0x42; n]),
    ]
    .boxed()
}

/// Public keys of small order (the all-zero shared secret) and non-canonical encodings.
const LOW_ORDER: &[&str] = &[
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/// `crypto.x25519` arguments: our private key and the peer's private key, or its public key
/// (computed by the reference); low-order and random points; sometimes both peer fields or
/// neither. The peer's private key comes first because an implementation whose API takes no
/// raw public key (upstream 0.4.0) can answer only that form.
fn x25519_args() -> ArgsStrategy {
    (
        private_key(),
        vec(any::<u8>(), 32..=32),
        prop_oneof![
            3 => Just("public"),
            5 => Just("private"),
            1 => Just("low-order"),
            1 => Just("random"),
            1 => Just("both"),
            1 => Just("neither"),
        ],
        select(LOW_ORDER),
    )
        .prop_map(|(private, peer, how, low)| {
            let mut v = json!({ "private_hex": hex::encode(&private) });
            let public = x25519::public_key(&peer).map_or_else(|_| peer.clone(), |p| p.to_vec());
            match how {
                "public" => v["peer_public_hex"] = hex::encode(public).into(),
                "private" => v["peer_private_hex"] = hex::encode(peer).into(),
                "low-order" => v["peer_public_hex"] = low.into(),
                "random" => v["peer_public_hex"] = hex::encode(peer).into(),
                "both" => {
                    v["peer_public_hex"] = hex::encode(public).into();
                    v["peer_private_hex"] = hex::encode(peer).into();
                }
                _ => {}
            }
            v
        })
        .boxed()
}

/// One keyring step, over a small set of ids so that steps meet the same keys.
fn keyring_step() -> BoxedStrategy<Value> {
    let id = select(vec!["k1", "k2", "default", ""]);
    prop_oneof![
        3 => (id.clone(), prop_oneof![4 => key(), 1 => bytes(0..20)])
            .prop_map(|(id, k)| json!({ "do": "add", "id": id, "key_hex": hex::encode(k) })),
        1 => id.clone().prop_map(|id| json!({ "do": "get", "id": id })),
        1 => Just(json!({ "do": "default" })),
        1 => id.clone().prop_map(|id| json!({ "do": "set_default", "id": id })),
        1 => id.prop_map(|id| json!({ "do": "remove", "id": id })),
        1 => Just(json!({ "do": "len" })),
        2 => (plain_text(), "[a-z0-9-]{0,10}").prop_map(|(context, sid)| {
            json!({ "do": "derive_session_key", "context": context, "session_id": sid })
        }),
    ]
    .boxed()
}

/// `frame.seal`: generated JSON under either mode, keys of the fixed set, the AEAD nonce
/// injected (12 bytes mostly; missing or of a wrong length sometimes), an HMAC frame given a
/// nonce sometimes.
fn frame_seal_args() -> ArgsStrategy {
    (
        json_text(),
        select(vec!["hmac", "aead"]),
        key(),
        prop_oneof![8 => Just(true), 1 => Just(false)],
        sized_bytes(12),
    )
        .prop_map(|(json, mode, key, usual, nonce)| {
            let v = json!({ "json": json, "mode": mode, "key_hex": hex::encode(key) });
            // The usual shape: a nonce for AEAD and none for HMAC; else the other way round.
            let give_nonce = (mode == "aead") == usual;
            with(
                v,
                "nonce_hex",
                give_nonce.then(|| hex::encode(nonce).into()),
            )
        })
        .boxed()
}

/// `frame.open`: a frame the reference sealed with a key of the fixed set (or a plain frame,
/// for the downgrade checks), mutated or not, in the binary or text form, opened with the
/// sealing mode and key most of the time, else the other mode or another key.
fn frame_open_args() -> ArgsStrategy {
    (
        json_text(),
        prop_oneof![4 => Just("hmac"), 4 => Just("aead"), 1 => Just("plain")],
        aead_key(),
        vec(any::<u8>(), 12..=12),
        prop_oneof![3 => Just(Vec::new()), 2 => mutations(3)],
        any::<bool>(),
        prop_oneof![8 => Just(None), 1 => select(vec!["hmac", "aead"]).prop_map(Some)],
        prop_oneof![8 => Just(None), 1 => key().prop_map(Some)],
    )
        .prop_map(|(json, how, key, nonce, muts, text, open_mode, open_key)| {
            let nonce: [u8; 12] = nonce.try_into().unwrap_or([0; 12]);
            let bytes = match how {
                "hmac" => sealed::seal_hmac(&json, &key).ok(),
                "aead" => sealed::seal_aead(&json, &key, &mut FixedNonce(nonce)).ok(),
                _ => frame::encode(&json).ok(),
            }
            .unwrap_or_else(|| json.into_bytes());
            let bytes = mutate(bytes, &muts);
            let mode = open_mode.unwrap_or(if how == "aead" { "aead" } else { "hmac" });
            let mut v = json!({ "mode": mode, "key_hex": hex::encode(open_key.unwrap_or(key)) });
            if text {
                v["wire"] = frame::to_text(&bytes).into();
            } else {
                v["hex"] = hex::encode(bytes).into();
            }
            v
        })
        .boxed()
}
