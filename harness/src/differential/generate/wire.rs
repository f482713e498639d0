//! Generators of the wire area: varints, wire strings of every prefix, plain frames, TokenNative
//! (text and binary), the legacy formats and algorithm selection.

use m2m_reference::legacy::{dictionary, m3, t1, zlib};
use m2m_reference::wire::{b64, brotli, frame, token_native, varint};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};

use super::{
    any_text, bytes, json_text, mutate, mutate_text, mutations, plain_text, with, ArgsStrategy,
};

pub(super) fn strategy(op: &str) -> Option<ArgsStrategy> {
    Some(match op {
        "wire.varint.encode" => varint_value().prop_map(|v| json!({ "value": v })).boxed(),
        "wire.varint.decode" => varint_bytes()
            .prop_map(|b| json!({ "hex": hex::encode(b) }))
            .boxed(),
        "wire.detect" => wire_string().prop_map(|w| json!({ "wire": w })).boxed(),
        "wire.decompress" => wire_string().prop_map(|w| json!({ "wire": w })).boxed(),
        "wire.compress" => (
            select(vec!["none", "brotli", "m2m", "token-native"]),
            json_text(),
        )
            .prop_map(|(a, i)| json!({ "algorithm": a, "input": i }))
            .boxed(),
        "frame.encode" => json_text().prop_map(|j| json!({ "json": j })).boxed(),
        "frame.decode" | "frame.peek" => frame_args(),
        "token.encode" | "token.encode_binary" => (plain_text(), select(vec!["C", "O", "L"]))
            .prop_map(|(t, k)| json!({ "text": t, "tokenizer": k }))
            .boxed(),
        "token.decode" => token_wire().prop_map(|w| json!({ "wire": w })).boxed(),
        "token.decode_binary" => token_binary()
            .prop_map(|b| json!({ "hex": hex::encode(b) }))
            .boxed(),
        "legacy.encode" => (
            select(LEGACY),
            prop_oneof![3 => json_text(), 1 => any_text()],
        )
            .prop_map(|(f, i)| json!({ "format": f, "input": i }))
            .boxed(),
        "legacy.decode" => legacy_decode_args(),
        "wire.select" => (
            any_text(),
            proptest::option::of(prop_oneof![0usize..2048, Just(1024)]),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(input, threshold, prefer)| {
                let v = json!({ "input": input });
                let v = with(v, "brotli_threshold", threshold.map(Value::from));
                with(v, "prefer_m2m_for_api", prefer.map(Value::from))
            })
            .boxed(),
        "wire.compress_best" => any_text().prop_map(|i| json!({ "input": i })).boxed(),
        _ => return None,
    })
}

/// Edge values of a u32 varint: every length boundary and the extremes.
const VARINT_EDGES: &[u64] = &[
    0,
    1,
    127,
    128,
    255,
    16_383,
    16_384,
    2_097_151,
    2_097_152,
    268_435_455,
    268_435_456,
    4_294_967_295,
];

/// Values for `wire.varint.encode`: mostly in range (the range first, so a failing edge value
/// still shrinks to the smallest failing value), edges, and out-of-range integers.
fn varint_value() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => (0u64..=u64::from(u32::MAX)).prop_map(Value::from),
        3 => select(VARINT_EDGES).prop_map(Value::from),
        1 => (u64::from(u32::MAX) + 1..=u64::MAX).prop_map(Value::from),
        1 => (i64::MIN..0i64).prop_map(Value::from),
    ]
    .boxed()
}

/// Bytes for `wire.varint.decode`: valid encodings with trailing bytes, long and overlong
/// continuation runs, and raw bytes.
fn varint_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        (any::<u32>(), vec(any::<u8>(), 0..3)).prop_map(|(v, tail)| {
            let mut b = varint::encode(v);
            b.extend(tail);
            b
        }),
        (vec(0x80u8..=0xff, 0..12), 0u8..0x80, vec(any::<u8>(), 0..2)).prop_map(
            |(cont, last, tail)| {
                let mut b = cont;
                b.push(last);
                b.extend(tail);
                b
            }
        ),
        vec(any::<u8>(), 0..12),
    ]
    .boxed()
}

/// Every prefix a wire string can start with (and near misses), for `wire.detect` and
/// `wire.decompress`.
const PREFIXES: &[&str] = &[
    "",
    "#M2M|1|",
    "#TK|C|",
    "#TK|O|",
    "#TK|L|",
    "#M2M[v3.0]|DATA:",
    "#M2M[v3.0]|",
    "#T1|",
    "#M3|",
    "#M2M[v2.0]|DATA:",
    "#M2M[v2.0]|",
    "#M2M|",
    "#TK|",
    "#BR|",
    "#",
];

/// Wire strings: a prefix and a body (base64 of random bytes, or any text), or a valid wire
/// string of one of the reference's encoders.
fn wire_string() -> BoxedStrategy<String> {
    let body = prop_oneof![
        vec(any::<u8>(), 0..48).prop_map(|b| b64::encode(&b)),
        "\\PC{0,24}",
        "[A-Za-z0-9+/=]{0,24}",
    ];
    prop_oneof![
        3 => (select(PREFIXES), body).prop_map(|(p, b)| format!("{p}{b}")),
        1 => json_text().prop_map(|j| frame::encode_text(&j).unwrap_or(j)),
        1 => json_text().prop_map(|j| brotli::encode(&j)),
        1 => (plain_text(), tokenizer()).prop_map(|(t, k)| token_native::encode(&t, k).0),
    ]
    .boxed()
}

fn tokenizer() -> impl Strategy<Value = token_native::Tokenizer> {
    select(vec!['C', 'O']).prop_map(token_native::Tokenizer::from_char)
}

/// Token ids: mostly in the vocabularies, some past them and up to `u32::MAX`.
fn token_ids() -> BoxedStrategy<Vec<u32>> {
    vec(
        prop_oneof![4 => 0u32..100_000, 1 => 100_000u32..=u32::MAX],
        0..8,
    )
    .boxed()
}

/// TokenNative text forms: valid encodings, ids (in and out of the vocabulary) under any
/// tokenizer id, and garbage bodies.
fn token_wire() -> BoxedStrategy<String> {
    prop_oneof![
        (plain_text(), tokenizer()).prop_map(|(t, k)| token_native::encode(&t, k).0),
        (
            select(vec!["C", "O", "L", "X", ""]),
            vec(prop_oneof![0u32..100_000, 100_000u32..=u32::MAX], 0..8)
        )
            .prop_map(|(k, ids)| {
                format!(
                    "#TK|{k}|{}",
                    b64::encode(&token_native::encode_varints(&ids))
                )
            }),
        (
            select(vec!["C", "O"]),
            prop_oneof![
                vec(any::<u8>(), 0..16).prop_map(|b| b64::encode(&b)),
                "\\PC{0,12}"
            ]
        )
            .prop_map(|(k, body)| format!("#TK|{k}|{body}")),
    ]
    .boxed()
}

/// TokenNative binary forms: valid encodings (mutated), an id byte (0-2 and undefined ones)
/// with varints of token ids, and raw bytes.
fn token_binary() -> BoxedStrategy<Vec<u8>> {
    let tokenizers = select(vec!['C', 'O', 'L']).prop_map(token_native::Tokenizer::from_char);
    prop_oneof![
        4 => (plain_text(), tokenizers, mutations(3))
            .prop_map(|(t, k, m)| mutate(token_native::encode_binary(&t, k), &m)),
        2 => (prop_oneof![0u8..3, 3u8..=255], token_ids()).prop_map(|(id, ids)| {
            let mut b = vec![id];
            b.extend(token_native::encode_varints(&ids));
            b
        }),
        1 => bytes(0..16),
    ]
    .boxed()
}

const LEGACY: &[&str] = &["t1", "dictionary", "m3", "zlib"];

/// A valid encoding of `input` in a legacy format, as the reference writes it (`None` when the
/// format refuses the input).
fn legacy_wire(format: &str, input: &str) -> Option<Vec<u8>> {
    match format {
        "t1" => t1::encode(input).ok().map(String::into_bytes),
        "dictionary" => dictionary::encode(input).ok().map(String::into_bytes),
        "m3" => m3::encode(input).ok(),
        _ => Some(zlib::encode(input).into_bytes()),
    }
}

/// The prefix of a legacy format.
fn legacy_prefix(format: &str) -> &'static str {
    match format {
        "t1" => "#T1|",
        "dictionary" => "#M2M|",
        "m3" => "#M3|",
        _ => "#M2M[v2.0]|DATA:",
    }
}

/// An input the format can encode: JSON for t1 and m3, ASCII text or JSON for the dictionary
/// (it carries ASCII only), any text for zlib.
fn legacy_input(format: &str, json: String, ascii: String, text: String) -> String {
    match format {
        "t1" | "m3" => json,
        "dictionary" if json.is_ascii() => json,
        "dictionary" => ascii,
        _ => text,
    }
}

/// `legacy.decode` arguments: a format and a wire string (bytes for m3) that is mostly the
/// reference's valid encoding in that format, mutated or not; sometimes another format's
/// encoding, the format's prefix (or another one) with a random body, or a small
/// decompression limit.
fn legacy_decode_args() -> ArgsStrategy {
    let encoded = (
        select(LEGACY),
        prop_oneof![7 => Just(None), 1 => select(LEGACY).prop_map(Some)],
        (json_text(), "[ -~]{0,80}", any_text()),
        prop_oneof![3 => Just(Vec::new()), 2 => mutations(3)],
        prop_oneof![6 => Just(None), 1 => (0u64..256).prop_map(Some)],
    )
        .prop_map(|(format, other, (json, ascii, text), muts, limit)| {
            let written_as = other.unwrap_or(format);
            let input = legacy_input(written_as, json, ascii, text);
            let bytes = legacy_wire(written_as, &input).unwrap_or_else(|| input.into_bytes());
            let bytes = mutate(bytes, &muts);
            let v = if format == "m3" {
                json!({ "format": format, "hex": hex::encode(bytes) })
            } else {
                let wire = String::from_utf8_lossy(&bytes).into_owned();
                json!({ "format": format, "wire": wire })
            };
            with(v, "max_decompressed_bytes", limit.map(Value::from))
        });
    let prefixed = (
        select(LEGACY),
        prop_oneof![3 => Just(None), 1 => select(LEGACY).prop_map(Some)],
        prop_oneof![
            vec(any::<u8>(), 0..32).prop_map(|b| b64::encode(&b)),
            "\\PC{0,16}",
        ],
    )
        .prop_map(|(format, other, body)| {
            let wire = format!("{}{body}", legacy_prefix(other.unwrap_or(format)));
            if format == "m3" {
                json!({ "format": format, "hex": hex::encode(wire) })
            } else {
                json!({ "format": format, "wire": wire })
            }
        });
    let m3_text = json_text().prop_map(|input| {
        let wire = m3::encode(&input).map_or(input, |b| String::from_utf8_lossy(&b).into());
        json!({ "format": "m3", "wire": wire })
    });
    let long = (
        select(vec!["dictionary", "zlib"]),
        "[ -~]{0,40}",
        1usize..100,
        mutations(2),
    )
        .prop_map(|(format, unit, n, muts)| {
            let input = unit.repeat(n);
            let wire = legacy_wire(format, &input)
                .map_or(input, |b| mutate_text(&String::from_utf8_lossy(&b), &muts));
            json!({ "format": format, "wire": wire })
        });
    prop_oneof![6 => encoded, 2 => prefixed, 1 => m3_text, 1 => long].boxed()
}

/// `frame.decode` / `frame.peek` arguments: reference-encoded frames of generated JSON, mutated
/// (0 to 2 byte changes), in the binary or the text form, and raw bytes.
fn frame_args() -> ArgsStrategy {
    let encoded = (json_text(), mutations(3), any::<bool>()).prop_map(|(json, muts, text)| {
        let bytes = frame::encode(&json).unwrap_or_else(|_| json.into_bytes());
        let bytes = mutate(bytes, &muts);
        if text {
            json!({ "wire": frame::to_text(&bytes) })
        } else {
            json!({ "hex": hex::encode(bytes) })
        }
    });
    let raw = vec(any::<u8>(), 0..64).prop_map(|b| json!({ "hex": hex::encode(b) }));
    let raw_text = vec(any::<u8>(), 0..48)
        .prop_map(|b| json!({ "wire": format!("#M2M|1|{}", b64::encode(&b)) }));
    prop_oneof![6 => encoded, 1 => raw, 1 => raw_text].boxed()
}
