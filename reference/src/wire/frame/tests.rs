//! Unit tests: the facts upstream 0.4.0's own tests assert (codec.md §10) and the worked frame A
//! of codec.md §2.14 (whose text form was confirmed against an upstream build). These are
//! independent confirmations of the encoder and decoder, not copies of upstream code.

use super::*;
use crate::ErrorClass;

const TEST_REQUEST: &str = r#"{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is 2+2?"}],"temperature":0.7,"max_tokens":1000}"#;
const TEST_RESPONSE: &str = r#"{"id":"chatcmpl-abc123","object":"chat.completion","created":1705520400,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"The answer is 4."},"finish_reason":"stop"}],"usage":{"prompt_tokens":50,"completion_tokens":10,"total_tokens":60}}"#;
const FRAME_A_JSON: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;
const FRAME_A_TEXT: &str = "#M2M|1|IgABAAAAAAAAAAAAAAAAAAAAAAAGZ3B0LTRvAQECCtejOz4AAABuYFWkeyJtb2RlbCI6ImdwdC00byIsIm1lc3NhZ2VzIjpbeyJyb2xlIjoidXNlciIsImNvbnRlbnQiOiJIaSJ9XX0=";

fn limits() -> Limits {
    Limits::default()
}

fn class(e: &FrameError) -> &'static str {
    e.class()
}

fn frame_a() -> Vec<u8> {
    let mut v = b"#M2M|1|".to_vec();
    v.extend_from_slice(&[0x22, 0x00, 0x01, 0x00, 0, 0, 0, 0]);
    v.extend_from_slice(&[0; 12]);
    v.extend_from_slice(&[0x06, b'g', b'p', b't', b'-', b'4', b'o', 0x01, 0x01, 0x02]);
    v.extend_from_slice(&[0x0a, 0xd7, 0xa3, 0x3b]);
    v.extend_from_slice(&[0x3e, 0, 0, 0, 0x6e, 0x60, 0x55, 0xa4]);
    v.extend_from_slice(FRAME_A_JSON.as_bytes());
    v
}

#[test]
fn frame_a_bytes_and_text() {
    let bin = encode(FRAME_A_JSON).unwrap();
    assert_eq!(bin, frame_a());
    assert_eq!(bin.len(), 111);
    assert_eq!(encode_text(FRAME_A_JSON).unwrap(), FRAME_A_TEXT);
    let f = decode_text(FRAME_A_TEXT, &limits()).unwrap();
    assert_eq!(f.payload, FRAME_A_JSON);
    assert_eq!(f.header.crc32, 0xA455_606E);
}

#[test]
fn test_request_facts() {
    let bin = encode(TEST_REQUEST).unwrap();
    // fixed header: header_len 36, request, flags SYSTEM|MAX_TOKENS|TEMPERATURE + COMPRESSED
    assert_eq!(
        &bin[7..15],
        &[0x24, 0x00, 0x01, 0x00, 0x41, 0x10, 0x00, 0x01]
    );
    assert_eq!(&bin[15..27], &[0u8; 12]);
    let mut routing = vec![0x06];
    routing.extend_from_slice(b"gpt-4o");
    routing.extend_from_slice(&[0x02, 0x04, 0x28, 0xe8, 0x07, 0xe6, 0x3f, 0x24, 0x3c]);
    assert_eq!(&bin[27..43], routing.as_slice());
    // codec.md §2.14 lists this CRC under frame C; zlib.crc32 of TEST_REQUEST is 0x1CF6431B.
    assert_eq!(&bin[47..51], &0x1CF6_431Bu32.to_le_bytes());
    let f = decode(&bin, &limits()).unwrap();
    assert_eq!(f.payload, TEST_REQUEST);
    assert_eq!(f.header.fixed.schema, Schema::Request);
    let VariableHeader::Routing(r) = &f.header.variable else {
        panic!("routing header expected")
    };
    assert_eq!(r.model, "gpt-4o");
    assert_eq!(r.msg_count, 2);
    assert_eq!(r.roles.len(), 2);
    assert_eq!(r.max_tokens, Some(1000));
    assert!(r.est_cost_usd > 0.0);
    // text form round trip; binary is shorter than text
    let text = to_text(&bin);
    assert_eq!(decode_text(&text, &limits()).unwrap().payload, TEST_REQUEST);
    assert!(bin.len() < text.len());
    assert!(text.len() - 7 <= (4 * (bin.len() - 7)).div_ceil(3) + 2);
}

#[test]
fn test_response_facts() {
    let bin = encode(TEST_RESPONSE).unwrap();
    assert_eq!(
        &bin[7..15],
        &[0x32, 0x00, 0x02, 0x00, 0x88, 0x00, 0x00, 0x01]
    );
    let mut resp = vec![0x0f];
    resp.extend_from_slice(b"chatcmpl-abc123");
    resp.push(0x06);
    resp.extend_from_slice(b"gpt-4o");
    resp.extend_from_slice(&[0x00, 0x32, 0x0a, 0xfb, 0xed, 0x6b, 0x39]);
    assert_eq!(&bin[27..57], resp.as_slice());
    // codec.md §2.14 lists this CRC under frame B; zlib.crc32 of TEST_RESPONSE is 0xE8D7C197.
    assert_eq!(&bin[61..65], &0xE8D7_C197u32.to_le_bytes());
    let f = decode(&bin, &limits()).unwrap();
    assert_eq!(f.payload, TEST_RESPONSE);
    let VariableHeader::Response(r) = &f.header.variable else {
        panic!("response header expected")
    };
    assert_eq!(
        (r.id.as_str(), r.model.as_str()),
        ("chatcmpl-abc123", "gpt-4o")
    );
    assert_eq!((r.prompt_tokens, r.completion_tokens), (50, 10));
    let cost = r.est_cost_usd.unwrap();
    assert!(cost > 0.0001 && cost < 0.001);
}

#[test]
fn compression_threshold() {
    let hi = encode(FRAME_A_JSON).unwrap(); // 62 bytes
    assert_eq!(hi[14] & 1, 0);
    let big = format!(
        r#"{{"model":"gpt-4o","messages":[{{"role":"user","content":"{}"}}]}}"#,
        "Hello world! ".repeat(50)
    );
    assert_eq!(big.len(), 710);
    let bin = encode(&big).unwrap();
    assert_eq!(bin[14] & 1, 1);
    assert_eq!(decode(&bin, &limits()).unwrap().payload, big);
}

#[test]
fn flipping_the_last_byte_fails() {
    for json in [FRAME_A_JSON, TEST_REQUEST, TEST_RESPONSE] {
        let mut bin = encode(json).unwrap();
        *bin.last_mut().unwrap() ^= 0xff;
        assert!(decode(&bin, &limits()).is_err());
    }
}

#[test]
fn decode_classes_in_order() {
    let a = frame_a();
    let err = |bytes: &[u8]| class(&decode(bytes, &limits()).unwrap_err());
    let with = |i: usize, b: u8| {
        let mut v = a.clone();
        v[i] = b;
        v
    };
    assert_eq!(err(b"#M2M|2|"), "invalid_prefix");
    assert_eq!(err(&a[..26]), "truncated");
    assert_eq!(err(&with(7, 19)), "header_len_invalid");
    assert_eq!(err(&with(9, 0x11)), "unknown_schema");
    assert_eq!(err(&with(10, 0x01)), "secured_frame");
    assert_eq!(err(&with(10, 0x03)), "unknown_security_mode");
    assert_eq!(err(&with(12, 0x80)), "reserved_nonzero"); // request bit 15
    assert_eq!(err(&with(13, 0x01)), "reserved_nonzero"); // bits 16-23
    assert_eq!(err(&with(14, 0x02)), "reserved_nonzero"); // HAS_EXTENSIONS
    assert_eq!(err(&with(26, 0x01)), "reserved_nonzero");
    assert_eq!(err(&a[..40]), "truncated");
    assert_eq!(err(&with(27, 0xff)), "truncated"); // model length past header end
    assert_eq!(err(&with(29, 0xff)), "invalid_utf8");
    assert_eq!(err(&with(35, 0x41)), "reserved_nonzero"); // roles padding
    assert_eq!(err(&a[..45]), "truncated"); // crc32 cut
    assert_eq!(err(&a[..110]), "truncated"); // payload cut
    let mut long = a.clone();
    long.push(0);
    assert_eq!(err(&long), "trailing_bytes");
    assert_eq!(err(&with(49, 0x6f)), "crc_mismatch");
    assert_eq!(err(&with(49, 0xff)), "invalid_utf8");
    assert_eq!(err(&with(14, 0x01)), "brotli_corrupt");
    // header_len one too large, with one inserted byte: header_len_mismatch
    let mut m = a.clone();
    m[7] = 0x23;
    m.insert(41, 0);
    assert_eq!(err(&m), "header_len_mismatch");
}

#[test]
fn peek_stops_before_the_payload() {
    let a = frame_a();
    let h = peek(&a[..49], &limits()).unwrap();
    assert_eq!(h, decode(&a, &limits()).unwrap().header);
    let json = h.to_json();
    assert_eq!(
        json["routing"]["est_cost_usd"],
        serde_json::json!(0.004999999888241291)
    );
    assert_eq!(json["routing"]["roles"], serde_json::json!(["user"]));
    assert_eq!(json["crc32"], serde_json::json!(0xA455_606Eu32));
    assert!(class(&peek(&a[..48], &limits()).unwrap_err()) == "truncated");
}

#[test]
fn encoder_decisions() {
    let long = "x".repeat(256);
    let req = format!(r#"{{"model":"{long}","messages":[]}}"#);
    assert_eq!(class(&encode(&req).unwrap_err()), "input_too_large");
    let ok = format!(r#"{{"model":"{}","messages":[]}}"#, "x".repeat(255));
    assert!(decode(&encode(&ok).unwrap(), &limits()).is_ok());
    let resp = format!(r#"{{"id":"{long}","choices":[]}}"#);
    assert_eq!(class(&encode(&resp).unwrap_err()), "input_too_large");
    let role = r#"{"model":"m","messages":[{"role":"function","content":"x"}]}"#;
    assert_eq!(class(&encode(role).unwrap_err()), "unencodable_input");
    assert_eq!(class(&encode("{").unwrap_err()), "invalid_json");
    // max_tokens that is not an unsigned integer: no flag, no field, a consistent frame
    let bin = encode(r#"{"model":"m","messages":[],"max_tokens":null}"#).unwrap();
    assert_eq!(bin[11] & 0x40, 0);
    assert!(decode(&bin, &limits()).is_ok());
    // header_len overflow
    let many = format!(
        r#"{{"model":"m","messages":[{}]}}"#,
        vec![r#"{"role":"user"}"#; 262_100].join(",")
    );
    assert_eq!(class(&encode(&many).unwrap_err()), "input_too_large");
}
