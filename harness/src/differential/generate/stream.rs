//! Generators of the SSE streaming codec (`stream.*`) and of Molt's key and blob crypto
//! (`molt.crypto.*`).

use m2m_reference::molt::crypto as molt;
use m2m_reference::streaming::{Encoder, Mode};
use m2m_reference::wire::{b64, token_native::Tokenizer};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{json, Value};

use super::{mutate, mutate_text, mutations, plain_text, sized_bytes, with, ArgsStrategy};

pub(super) fn strategy(op: &str) -> Option<ArgsStrategy> {
    Some(match op {
        "stream.compress" => stream_args(),
        "stream.finalize" => (
            stream_args(),
            select(vec!["token-native", "raw"]),
            encoding(),
        )
            .prop_map(|(v, kind, e)| {
                let mut v = with(v, "encoding", e);
                v["as"] = kind.into();
                v
            })
            .boxed(),
        "stream.decompress" => decompress_args(),
        "molt.crypto.keypair" => sized_bytes(32)
            .prop_map(|p| json!({ "private_hex": hex::encode(p) }))
            .boxed(),
        "molt.crypto.derive" => derive_args(),
        "molt.crypto.seal" => (sized_bytes(32), sized_bytes(12), message())
            .prop_map(|(k, n, m)| {
                let v = json!({ "key_hex": hex::encode(k), "nonce_hex": hex::encode(n) });
                match m {
                    Message::Text(t) => with(v, "plaintext", Some(t.into())),
                    Message::Payload(p) => with(v, "payload", Some(p)),
                }
            })
            .boxed(),
        "molt.crypto.open" => open_args(),
        _ => return None,
    })
}

const MODES: &[&str] = &["abbreviation", "token-native", "hybrid", "passthrough"];

/// The optional `encoding` argument: absent mostly.
fn encoding() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        4 => Just(None),
        1 => select(vec!["cl100k", "o200k"]).prop_map(|e| Some(e.into())),
    ]
    .boxed()
}

/// SSE events of a chat-completion stream: deltas with generated content, `[DONE]`, and junk.
fn events() -> BoxedStrategy<Vec<String>> {
    let event = prop_oneof![
        4 => plain_text().prop_map(|t| {
            format!(
                "data: {}\n\n",
                json!({ "choices": [{ "index": 0, "delta": { "content": t } }] })
            )
        }),
        1 => Just("data: [DONE]\n\n".to_owned()),
        1 => "\\PC{0,12}",
    ];
    vec(event, 0..5).boxed()
}

/// `text` cut into chunks at the given places (character boundaries).
fn split(text: &str, cuts: &[Index]) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut at: Vec<usize> = cuts.iter().map(|i| i.index(chars.len() + 1)).collect();
    at.sort_unstable();
    let (mut chunks, mut from) = (Vec::new(), 0);
    for cut in at.into_iter().chain([chars.len()]) {
        chunks.push(chars[from..cut].iter().collect::<String>());
        from = cut;
    }
    chunks
}

/// `stream.compress`: SSE streams of chat-completion deltas, split into chunks at arbitrary
/// points, under every mode.
fn stream_args() -> ArgsStrategy {
    (select(MODES), events(), vec(any::<Index>(), 0..3))
        .prop_map(|(mode, events, cuts)| {
            json!({ "mode": mode, "chunks": split(&events.concat(), &cuts) })
        })
        .boxed()
}

/// `stream.decompress`: a stream the reference's encoder compressed in one mode (or a plain
/// one), mutated rarely, split into chunks, as texts or as hex.
fn decompress_args() -> ArgsStrategy {
    (
        prop_oneof![4 => select(MODES).prop_map(Some), 1 => Just(None)],
        events(),
        vec(any::<Index>(), 0..3),
        prop_oneof![5 => Just(Vec::new()), 1 => mutations(3)],
        prop_oneof![5 => Just(false), 1 => Just(true)],
        encoding(),
    )
        .prop_map(|(mode, events, cuts, muts, as_hex, e)| {
            let plain = events.concat();
            let stream = match mode.and_then(Mode::from_name) {
                Some(m) => {
                    let mut enc = Encoder::new(m, Tokenizer::Cl100k);
                    let mut out = enc.push(plain.as_bytes()).unwrap_or_default();
                    out.extend(enc.finish().unwrap_or_default());
                    out.concat()
                }
                None => plain,
            };
            let chunks = split(&mutate_text(&stream, &muts), &cuts);
            let v = if as_hex {
                let hexed: Vec<String> = chunks.iter().map(hex::encode).collect();
                json!({ "chunks_hex": hexed })
            } else {
                json!({ "chunks": chunks })
            };
            with(v, "encoding", e)
        })
        .boxed()
}

/// A Molt peer key: the SPKI of a generated private key's public key mostly; else the raw key in
/// base64, an SPKI with one character changed, or text.
fn derive_args() -> ArgsStrategy {
    (
        sized_bytes(32),
        vec(any::<u8>(), 32..=32),
        prop_oneof![
            6 => Just("spki"),
            1 => Just("raw"),
            1 => Just("changed"),
            1 => Just("zero"),
            1 => Just("text"),
        ],
        any::<Index>(),
        "[A-Za-z0-9+/=]{0,60}",
    )
        .prop_map(|(private, peer, how, at, text)| {
            let peer: [u8; 32] = peer.try_into().unwrap_or([1; 32]);
            let public = molt::public_key(&peer);
            let spki = molt::spki_b64(&public);
            let peer_key = match how {
                "spki" => spki,
                "raw" => b64::encode(&public),
                "zero" => molt::spki_b64(&[0; 32]),
                "changed" => {
                    let mut chars: Vec<char> = spki.chars().collect();
                    let i = at.index(chars.len());
                    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
                    chars.into_iter().collect()
                }
                _ => text,
            };
            json!({ "private_hex": hex::encode(private), "peer_key": peer_key })
        })
        .boxed()
}

/// What a Molt blob carries.
#[derive(Debug, Clone)]
enum Message {
    Text(String),
    Payload(Value),
}

fn message() -> BoxedStrategy<Message> {
    prop_oneof![
        3 => plain_text().prop_map(Message::Text),
        3 => plain_text().prop_map(|t| Message::Payload(json!({ "text": t }))),
        1 => select(vec![
            json!({ "a": { "b": [1, null, "x"] }, "z": true }),
            json!([1, 2, 3]),
            json!(true),
            json!(7),
            json!("a string"),
            json!(""),
        ])
        .prop_map(Message::Payload),
        1 => select(vec!["null", "{\"x\":1}", "42", "[1,", "\u{fffd}"])
            .prop_map(|t| Message::Text(t.to_owned())),
    ]
    .boxed()
}

/// `molt.crypto.open`: a blob the reference sealed under a fixed key, its bytes mutated or its
/// text changed (sometimes), opened with that key mostly.
fn open_args() -> ArgsStrategy {
    const KEYS: &[[u8; 32]] = &[[0x11; 32], [0x5a; 32], [0xee; 32]];
    (
        select(vec![0usize, 1, 2]),
        prop_oneof![6 => Just(None), 1 => select(vec![0usize, 1, 2]).prop_map(Some)],
        vec(any::<u8>(), 12..=12),
        message(),
        prop_oneof![3 => Just(Vec::new()), 1 => mutations(3)],
        prop_oneof![6 => Just(Vec::new()), 1 => mutations(2)],
    )
        .prop_map(|(key, open_key, nonce, msg, byte_muts, text_muts)| {
            let nonce: [u8; 12] = nonce.try_into().unwrap_or([0; 12]);
            let plaintext = match msg {
                Message::Text(t) => t.into_bytes(),
                Message::Payload(p) => molt::encode_payload(&p),
            };
            let blob = molt::seal(&KEYS[key], &nonce, &plaintext);
            let raw = b64::decode(&blob).unwrap_or_default();
            let blob = mutate_text(&b64::encode(&mutate(raw, &byte_muts)), &text_muts);
            json!({ "key_hex": hex::encode(KEYS[open_key.unwrap_or(key)]), "blob": blob })
        })
        .boxed()
}
