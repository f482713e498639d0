//! Property tests of the M2M v1 frame (spec chapter `frame`).
//!
//! - chat-completion requests and responses of every shape round-trip byte for byte, in binary
//!   and text form, and peek agrees with decode [FRAME-ENC-005] [FRAME-PAYLOAD-001]
//!   [FRAME-TEXT-001] [FRAME-PEEK-002];
//! - decode and peek never panic, on arbitrary bytes or on mutated valid frames, and every
//!   failure has a class from `spec/error-classes.yaml` [FRAME-DECODE-001].
//!
//! Case counts are modest so the whole file stays well under 20 s in a debug build.

use m2m_reference::wire::frame::{self, VariableHeader};
use m2m_reference::wire::Limits;
use m2m_reference::ErrorClass;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Every class a frame operation may fail with (a subset of `spec/error-classes.yaml`).
const FRAME_CLASSES: &[&str] = &[
    "invalid_prefix",
    "invalid_base64",
    "brotli_truncated",
    "brotli_corrupt",
    "invalid_utf8",
    "decompressed_too_large",
    "message_too_large",
    "varint_too_long",
    "varint_overflow",
    "truncated",
    "header_len_invalid",
    "header_len_mismatch",
    "unknown_schema",
    "secured_frame",
    "unknown_security_mode",
    "reserved_nonzero",
    "crc_mismatch",
    "trailing_bytes",
];

/// Text with some non-ASCII, quotes, backslashes and control characters.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::string::string_regex(&format!("[a-zA-Z0-9 .,!?]{{0,{max}}}")).unwrap(),
        1 => proptest::collection::vec(any::<char>(), 0..max.min(40)).prop_map(|c| c.into_iter().collect()),
        1 => proptest::string::string_regex(&format!("[\"\\\\\n\té日本😀]{{0,{}}}", max.min(30))).unwrap(),
    ]
}

fn content() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => text(160).prop_map(Value::String),
        1 => proptest::collection::vec(
            (prop_oneof![Just("text"), Just("image_url"), Just("input_audio")], text(40)),
            0..3
        )
        .prop_map(|parts| Value::Array(
            parts.into_iter().map(|(t, s)| json!({"type": t, "text": s})).collect()
        )),
        1 => Just(Value::Null),
    ]
}

fn message() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("system"),
            Just("developer"),
            Just("user"),
            Just("assistant"),
            Just("tool")
        ],
        content(),
    )
        .prop_map(|(role, content)| json!({"role": role, "content": content}))
}

fn optional(
    key: &'static str,
    v: impl Strategy<Value = Value>,
) -> impl Strategy<Value = Option<(String, Value)>> {
    proptest::option::of(v.prop_map(move |v| (key.to_owned(), v)))
}

fn request() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("gpt-4o".to_owned()),
            Just("claude-3-5-sonnet".to_owned()),
            text(30)
        ],
        proptest::collection::vec(message(), 0..7),
        (
            optional("max_tokens", any::<u32>().prop_map(Value::from)),
            optional("max_completion_tokens", any::<u16>().prop_map(Value::from)),
            optional("stream", any::<bool>().prop_map(Value::from)),
            optional(
                "temperature",
                (0u8..20).prop_map(|t| json!(f64::from(t) / 10.0)),
            ),
            optional("tools", Just(json!([]))),
            optional("stop", Just(Value::Null)),
            optional("max_tokens", Just(Value::Null)),
        ),
    )
        .prop_map(|(model, messages, opts)| {
            let mut m = Map::new();
            m.insert("model".into(), Value::String(model));
            m.insert("messages".into(), Value::Array(messages));
            let (a, b, c, d, e, f, g) = opts;
            for (k, v) in [a, b, c, d, e, f, g].into_iter().flatten() {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

fn response() -> impl Strategy<Value = Value> {
    (
        text(30).prop_map(|s| format!("chatcmpl-{s}")),
        text(20),
        prop_oneof![Just("stop"), Just("length"), Just("tool_calls"), Just("content_filter"), Just("other")],
        text(200),
        proptest::option::of((any::<u32>(), any::<u32>(), 0u32..5, 0u32..5)),
    )
        .prop_map(|(id, model, finish, content, usage)| {
            let mut doc = json!({
                "id": id, "object": "chat.completion", "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            });
            if let Some((p, c, cached, reasoning)) = usage {
                doc["usage"] = json!({
                    "prompt_tokens": p, "completion_tokens": c,
                    "prompt_tokens_details": {"cached_tokens": cached},
                    "completion_tokens_details": {"reasoning_tokens": reasoning},
                });
            }
            doc
        })
}

/// A document rendered compactly or pretty-printed.
fn rendered(doc: impl Strategy<Value = Value>) -> impl Strategy<Value = String> {
    (doc, any::<bool>()).prop_map(|(d, pretty)| {
        if pretty {
            serde_json::to_string_pretty(&d).unwrap()
        } else {
            d.to_string()
        }
    })
}

fn assert_round_trip(json: &str) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let binary = frame::encode(json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(binary[14] & 1 == 1, json.len() >= 100);
    let decoded =
        frame::decode(&binary, &limits).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&decoded.payload, json);
    let text = frame::to_text(&binary);
    let from_text =
        frame::decode_text(&text, &limits).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&from_text.payload, json);
    let peeked = frame::peek(&binary, &limits).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&peeked, &decoded.header);
    Ok(())
}

fn check_no_panic(bytes: &[u8]) -> Result<(), TestCaseError> {
    let limits = Limits {
        max_decompressed_bytes: 1 << 20,
        ..Limits::default()
    };
    if let Err(e) = frame::decode(bytes, &limits) {
        prop_assert!(FRAME_CLASSES.contains(&e.class()), "class {}", e.class());
    }
    if let Err(e) = frame::peek(bytes, &limits) {
        prop_assert!(FRAME_CLASSES.contains(&e.class()), "class {}", e.class());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn requests_round_trip(json in rendered(request())) {
        assert_round_trip(&json)?;
        let doc: Value = serde_json::from_str(&json).unwrap();
        let f = frame::decode(&frame::encode(&json).unwrap(), &Limits::default()).unwrap();
        let VariableHeader::Routing(r) = f.header.variable else {
            return Err(TestCaseError::fail("expected a routing header"));
        };
        prop_assert_eq!(r.msg_count as usize, doc["messages"].as_array().unwrap().len());
        prop_assert_eq!(r.roles.len(), r.msg_count as usize);
    }

    #[test]
    fn responses_round_trip(json in rendered(response())) {
        assert_round_trip(&json)?;
        let f = frame::decode(&frame::encode(&json).unwrap(), &Limits::default()).unwrap();
        prop_assert!(matches!(f.header.variable, VariableHeader::Response(_)));
    }

    #[test]
    fn any_json_string_round_trips(s in text(300)) {
        assert_round_trip(&Value::String(s).to_string())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decode_never_panics_on_bytes(tail in proptest::collection::vec(any::<u8>(), 0..120), prefixed in any::<bool>()) {
        let mut bytes = if prefixed { b"#M2M|1|".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&tail);
        check_no_panic(&bytes)?;
    }

    #[test]
    fn decode_never_panics_on_structured_garbage(
        header_len in 18u16..80, schema in any::<u8>(), flags in any::<u32>(),
        var in proptest::collection::vec(any::<u8>(), 0..60),
        payload_len in 0u32..80, crc in any::<u32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut bytes = b"#M2M|1|".to_vec();
        bytes.extend_from_slice(&header_len.to_le_bytes());
        bytes.extend_from_slice(&[schema, 0]);
        bytes.extend_from_slice(&flags.to_le_bytes());
        bytes.extend_from_slice(&[0; 12]);
        bytes.extend_from_slice(&var);
        bytes.extend_from_slice(&payload_len.to_le_bytes());
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes.extend_from_slice(&payload);
        check_no_panic(&bytes)?;
    }

    #[test]
    fn decode_text_never_panics(s in "#M2M\\|1\\|[A-Za-z0-9+/=]{0,80}") {
        let _ = frame::decode_text(&s, &Limits::default());
        let _ = frame::peek_text(&s, &Limits::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn decode_never_panics_on_mutations(
        json in rendered(prop_oneof![request(), response()]),
        edits in proptest::collection::vec((0u8..3, any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = frame::encode(&json).unwrap();
        for (kind, at, b) in edits {
            match kind {
                0 => { let i = at.index(bytes.len()); bytes[i] ^= b | 1; }
                1 => { let i = at.index(bytes.len() + 1); bytes.truncate(i); }
                _ => { let i = at.index(bytes.len() + 1); bytes.insert(i, b); }
            }
            if bytes.is_empty() { break; }
        }
        check_no_panic(&bytes)?;
    }
}
