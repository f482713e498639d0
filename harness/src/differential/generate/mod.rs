//! Case generators of the differential mode: one proptest strategy per op, producing the op's
//! `args` object exactly as `spec/ops.yaml` and `spec/schemas/<op>.args.json` shape it.
//! [BASIS-DIFF-002]
//!
//! Valid inputs (frames, secured frames, Brotli and TokenNative wire strings, legacy encodings,
//! varints, AEAD boxes, compressed SSE streams, Molt blobs) are produced in-process by the
//! reference's own encoders, so the cases do not depend on either target under comparison;
//! mutations and raw bytes then take them off the happy path. Most generated arguments are valid
//! per the op's schema, a minority are edge or invalid inputs. Every strategy shrinks towards
//! small, simple arguments (proptest's shrinking), which is what makes a reported divergence
//! minimal.
//!
//! The strategies live by area: [`wire`] (varints, wire strings, frames, TokenNative, legacy
//! formats, selection), [`secure`] (crypto primitives, keyring, secured frames), [`text`]
//! (scanner, security path, Hydra, models, sessions) and [`stream`] (SSE streaming, Molt
//! crypto).

mod secure;
mod stream;
mod text;
mod wire;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{json, Value};

/// A strategy producing one op's arguments.
pub type ArgsStrategy = BoxedStrategy<Value>;

/// Every op this module has a generator for, most valuable first.
///
/// Active ops of `spec/ops.yaml` left out on purpose:
/// - `hydra.logits` needs a model file (its `model` argument is required); `hydra.classify`,
///   `scan.ml` and `engine.secure_compress_ml` are generated without one (the heuristic
///   fallback, which is deterministic).
/// - `http.run` plays requests against a server, `testee.bench` measures time: neither gives a
///   deterministic outcome to compare.
/// - `molt.hub.run`, `molt.peer.run` and `molt.peer.send` are multi-step scenario scripts
///   (WebSocket frames, HTTP calls, listener replies) with no generator yet.
pub const OPS: &[&str] = &[
    "wire.varint.encode",
    "wire.varint.decode",
    "wire.detect",
    "wire.decompress",
    "wire.compress",
    "frame.encode",
    "frame.decode",
    "frame.peek",
    "token.encode",
    "token.decode",
    "scan.text",
    "crypto.hmac.sign",
    "crypto.hkdf",
    "stream.compress",
    // Added with the generators for every remaining deterministic op.
    "token.encode_binary",
    "token.decode_binary",
    "legacy.encode",
    "legacy.decode",
    "wire.select",
    "wire.compress_best",
    "crypto.hmac.verify",
    "crypto.aead.seal",
    "crypto.aead.open",
    "crypto.hkdf.extract",
    "crypto.kdf.hierarchy",
    "crypto.x25519.public",
    "crypto.x25519",
    "crypto.x25519.session-key",
    "crypto.keyring.run",
    "frame.seal",
    "frame.open",
    "session.run",
    "scan.quick",
    "scan.json",
    "scan.ml",
    "engine.secure_compress",
    "engine.secure_compress_ml",
    "hydra.tokenize",
    "hydra.classify",
    "models.lookup",
    "models.list",
    "models.search",
    "token.count",
    "content.analyze",
    "stream.decompress",
    "stream.finalize",
    "molt.crypto.keypair",
    "molt.crypto.derive",
    "molt.crypto.seal",
    "molt.crypto.open",
];

/// The strategy for `op`, or `None` when there is no generator for it.
pub fn strategy(op: &str) -> Option<ArgsStrategy> {
    wire::strategy(op)
        .or_else(|| secure::strategy(op))
        .or_else(|| text::strategy(op))
        .or_else(|| stream::strategy(op))
}

/// Message texts: ASCII words, any Unicode (emoji, CJK, combining marks) and JSON-ish
/// punctuation.
fn plain_text() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-zA-Z ,.!?]{0,40}",
        "\\PC{0,24}",
        select(vec![
            "Hello, world!",
            "héllo wörld — ünïcode ✓",
            "日本語のテキスト",
            "emoji 😀🎉👍🏽",
            "quote \" backslash \\ tab \t newline \n",
            "",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Longer texts: a message text repeated, up to a few kilobytes (past the 1024-byte Brotli
/// threshold of selection and the sizes where compressors start to pay).
fn long_text() -> BoxedStrategy<String> {
    (plain_text(), 1usize..200)
        .prop_map(|(t, n)| t.repeat(n).chars().take(6000).collect())
        .boxed()
}

const MODELS: &[&str] = &[
    "gpt-4o",
    "gpt-4o-mini",
    "claude-3-5-sonnet-20241022",
    "llama-3.1-70b",
    "custom-model",
];

/// Realistic JSON chat requests and responses (with Unicode), and a few non-chat documents and
/// non-JSON texts.
fn json_text() -> BoxedStrategy<String> {
    let message = (
        select(vec!["system", "user", "assistant", "tool", "developer"]),
        plain_text(),
    )
        .prop_map(|(role, content)| json!({ "role": role, "content": content }));
    let request = (
        select(MODELS),
        vec(message, 0..4),
        proptest::option::of(0u32..5000),
        proptest::option::of(0u8..=20),
        any::<bool>(),
    )
        .prop_map(|(model, messages, max_tokens, temp, stream)| {
            let mut v = json!({ "model": model, "messages": messages });
            if let Some(m) = max_tokens {
                v["max_tokens"] = m.into();
            }
            if let Some(t) = temp {
                v["temperature"] = (f64::from(t) / 10.0).into();
            }
            if stream {
                v["stream"] = true.into();
            }
            v.to_string()
        });
    let response = (
        "[a-zA-Z0-9]{0,12}",
        select(MODELS),
        plain_text(),
        select(vec![
            "stop",
            "length",
            "tool_calls",
            "content_filter",
            "weird",
        ]),
        (0u32..100_000, 0u32..100_000),
    )
        .prop_map(|(id, model, content, finish, (p, c))| {
            json!({
                "id": format!("chatcmpl-{id}"),
                "object": "chat.completion",
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": { "role": "assistant", "content": content },
                    "finish_reason": finish,
                }],
                "usage": { "prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c },
            })
            .to_string()
        });
    let other = prop_oneof![
        select(vec![
            "{}",
            "[]",
            "null",
            "42",
            "\"s\"",
            "{\"a\":[1,2,{\"b\":null}]}"
        ])
        .prop_map(str::to_owned),
        "\\PC{0,16}",
    ];
    prop_oneof![4 => request, 3 => response, 1 => other].boxed()
}

/// Any text an op that reads content may see: JSON documents, message texts, long texts.
fn any_text() -> BoxedStrategy<String> {
    prop_oneof![4 => json_text(), 3 => plain_text(), 1 => long_text()].boxed()
}

/// Random bytes of a length in `len`.
fn bytes(len: std::ops::Range<usize>) -> BoxedStrategy<Vec<u8>> {
    vec(any::<u8>(), len).boxed()
}

/// Bytes of exactly `n` bytes most of the time, else of a near-miss length (0, n-1, n+1).
fn sized_bytes(n: usize) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        9 => vec(any::<u8>(), n..=n),
        1 => select(vec![0, n - 1, n + 1]).prop_flat_map(|l| vec(any::<u8>(), l..=l)),
    ]
    .boxed()
}

/// One change to an encoding's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Set(Index, u8),
    Xor(Index, u8),
    Truncate(Index),
    Append(u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<Index>(), 1u8..=255).prop_map(|(i, b)| Mutation::Xor(i, b)),
        any::<Index>().prop_map(Mutation::Truncate),
        any::<u8>().prop_map(Mutation::Append),
    ]
}

/// Up to `n - 1` mutations, none most often (so shrinking reaches the unmutated encoding).
fn mutations(n: usize) -> BoxedStrategy<Vec<Mutation>> {
    vec(mutation(), 0..n).boxed()
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        match m {
            Mutation::Append(b) => bytes.push(*b),
            _ if bytes.is_empty() => {}
            Mutation::Set(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            Mutation::Xor(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] ^= *b;
            }
            Mutation::Truncate(i) => {
                let at = i.index(bytes.len());
                bytes.truncate(at);
            }
        }
    }
    bytes
}

/// A text encoding mutated as bytes; invalid UTF-8 after the change is replaced (U+FFFD).
fn mutate_text(text: &str, mutations: &[Mutation]) -> String {
    String::from_utf8_lossy(&mutate(text.as_bytes().to_vec(), mutations)).into_owned()
}

/// Add `value` under `key` when it is `Some`.
fn with(mut v: Value, key: &str, value: Option<Value>) -> Value {
    if let Some(x) = value {
        v[key] = x;
    }
    v
}
