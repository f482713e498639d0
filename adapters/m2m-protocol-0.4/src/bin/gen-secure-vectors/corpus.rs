//! The case corpus of `gen-secure-vectors`: RFC vectors typed in from the RFC texts, the fact
//! sheet's values, and generated cases.

use m2m::codec::m2m::crypto::{KeyMaterial, SecurityContext};
use m2m::codec::m2m::{M2MCodec, M2MFrame, SecurityMode, M2M_PREFIX};
use serde_json::{json, Value};

use super::{Outcome, Reference, Spec, Want};

// ------------------------------------------------------------------------------------------
// helpers

fn spec(
    file: &'static str,
    id: impl Into<String>,
    reqs: &[&'static str],
    description: impl Into<String>,
    op: &'static str,
    input: Value,
    want: Want,
) -> Spec {
    Spec {
        file,
        id: id.into(),
        reqs: reqs.to_vec(),
        description: description.into(),
        op,
        input,
        want,
        near_miss: false,
    }
}

fn near(mut s: Spec) -> Spec {
    s.near_miss = true;
    s
}

fn ok(v: Value) -> Outcome {
    Outcome::Ok(v)
}

fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn rep(b: u8, n: usize) -> String {
    h(&vec![b; n])
}

fn seq(from: u8, to_inclusive: u8) -> String {
    h(&(from..=to_inclusive).collect::<Vec<u8>>())
}

fn ref_ok(reference: &mut Reference, op: &str, args: &Value) -> Value {
    match reference.run(op, args).expect("reference answers") {
        Outcome::Ok(v) => v,
        other => panic!("reference {op} {args}: {}", other.brief()),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

fn text_form(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "{M2M_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(&bytes[M2M_PREFIX.len()..])
    )
}

// ------------------------------------------------------------------------------------------
// documents and keys

/// JSON documents sealed into frames: requests and responses, raw and Brotli-compressed.
pub const DOCS: &[(&str, &str)] = &[
    (
        "req-a",
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#,
    ),
    ("req-min", r#"{"model":"m","messages":[]}"#),
    (
        "req-sys",
        r#"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"}],"max_tokens":16,"temperature":0}"#,
    ),
    (
        "req-long",
        r#"{"model":"claude-3-5-sonnet","messages":[{"role":"system","content":"You are a careful assistant that answers in full sentences."},{"role":"user","content":"Explain what an authenticated encryption scheme guarantees, in two sentences."}],"stream":true}"#,
    ),
    (
        "req-tool",
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[]},{"role":"tool","content":"sunny"}],"tools":[]}"#,
    ),
    (
        "req-utf8",
        r#"{"model":"o3-mini","messages":[{"role":"user","content":"Grüße, 世界 😀"}]}"#,
    ),
    ("doc-plain", r#"{"hello":"world"}"#),
    ("resp-short", r#"{"id":"chatcmpl-x","choices":[]}"#),
    (
        "resp-full",
        r#"{"id":"chatcmpl-abc123","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}}"#,
    ),
    (
        "resp-reason",
        r#"{"id":"chatcmpl-r1","model":"o1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"42"},"finish_reason":"length"}],"usage":{"prompt_tokens":120,"completion_tokens":900,"prompt_tokens_details":{"cached_tokens":64},"completion_tokens_details":{"reasoning_tokens":880}}}"#,
    ),
];

fn doc(name: &str) -> &'static str {
    DOCS.iter().find(|(n, _)| *n == name).expect("doc").1
}

/// Frame keys: (name, hex). The AEAD ones are 32 bytes.
fn hmac_keys() -> Vec<(&'static str, String)> {
    vec![
        ("k16", rep(0x11, 16)),
        ("k42", rep(0x42, 32)),
        ("kseq", seq(0x00, 0x1f)),
        ("k64", seq(0x40, 0x7f)),
    ]
}

fn aead_keys() -> Vec<(&'static str, String)> {
    vec![("k42", rep(0x42, 32)), ("kseq", seq(0x00, 0x1f))]
}

fn nonces() -> Vec<(&'static str, String)> {
    vec![("n1", seq(0x01, 0x0c)), ("n0", rep(0x00, 12))]
}

// ------------------------------------------------------------------------------------------
// upstream-sealed AEAD frames

/// Seal every document under both AEAD keys with upstream's own encoder (random nonces), once in
/// binary and once in text form.
pub fn upstream_frames() -> Vec<Value> {
    let mut out = Vec::new();
    for (dname, json_text) in DOCS {
        for (kname, key) in aead_keys() {
            let frame = upstream_frame(json_text);
            let mut ctx = SecurityContext::new(KeyMaterial::new(unhex(&key)));
            let bin = frame
                .encode_secure(SecurityMode::Aead, &mut ctx)
                .expect("upstream seals");
            let wire = frame
                .encode_secure_string(SecurityMode::Aead, &mut ctx)
                .expect("upstream seals");
            out.push(json!({ "doc": dname, "key": kname, "hex": h(&bin) }));
            out.push(json!({ "doc": dname, "key": kname, "wire": wire }));
        }
    }
    out
}

fn upstream_frame(json_text: &str) -> M2MFrame {
    let v: Value = serde_json::from_str(json_text).expect("json");
    let response = !(v.get("messages").is_some() && v.get("model").is_some())
        && (v.get("choices").is_some()
            || v.get("id")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("chatcmpl-")));
    if response {
        M2MFrame::new_response(json_text).expect("upstream frame")
    } else {
        M2MFrame::new_request(json_text).expect("upstream frame")
    }
}

/// Each kept frame must look like upstream's output for its document: the plain frame's
/// headers with security byte 0x02, then 12 + 8 + N + 16 bytes.
pub fn check_upstream_frames(frames: &[Value]) -> Vec<String> {
    let mut fails = Vec::new();
    for f in frames {
        let json_text = doc(f["doc"].as_str().expect("doc"));
        let bytes = match (f.get("hex"), f.get("wire")) {
            (Some(x), None) => unhex(x.as_str().expect("hex")),
            (None, Some(w)) => {
                use base64::Engine as _;
                let w = w.as_str().expect("wire");
                let mut b = M2M_PREFIX.as_bytes().to_vec();
                b.extend(
                    base64::engine::general_purpose::STANDARD
                        .decode(&w[M2M_PREFIX.len()..])
                        .expect("base64"),
                );
                b
            }
            _ => {
                fails.push(format!("bad upstream frame entry {f}"));
                continue;
            }
        };
        let plain = M2MCodec::new().encode(json_text).expect("plain");
        let end = 7 + usize::from(u16::from_le_bytes([plain[7], plain[8]]));
        let mut headers = plain[..end].to_vec();
        headers[10] = 2;
        let payload_section = plain.len() - end;
        if !bytes.starts_with(&headers) || bytes.len() != end + 12 + payload_section + 16 {
            fails.push(format!(
                "upstream frame for {} does not have upstream's AEAD layout",
                f["doc"]
            ));
        }
    }
    fails
}

// ------------------------------------------------------------------------------------------
// the corpus

/// Every case, in file order.
pub fn all(reference: &mut Reference, frames: &[Value]) -> Vec<Spec> {
    let mut v = Vec::new();
    hmac_cases(&mut v);
    aead_cases(&mut v);
    hkdf_cases(&mut v);
    hierarchy_cases(&mut v);
    x25519_cases(&mut v);
    keyring_cases(&mut v);
    frame_hmac_cases(reference, &mut v);
    frame_aead_cases(reference, &mut v);
    frame_upstream_cases(frames, &mut v);
    bitflip_cases(reference, &mut v);
    v
}

/// RFC 4231 section 4, HMAC-SHA-256 rows (test cases 1-7).
fn hmac_cases(v: &mut Vec<Spec>) {
    let f = "hmac";
    let rfc = [
        ("1", rep(0x0b, 20), h(b"Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("3", rep(0xaa, 20), rep(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ("4", seq(0x01, 0x19), rep(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ("6", rep(0xaa, 131), h(b"Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ("7", rep(0xaa, 131), h(b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ];
    for (n, key, data, tag) in &rfc {
        v.push(spec(
            f,
            format!("hmac-rfc4231-tc{n}"),
            &["SECURE-HMAC-001"],
            format!("RFC 4231 test case {n}: HMAC-SHA-256"),
            "crypto.hmac.sign",
            json!({ "key_hex": key, "data_hex": data }),
            Want::Golden(ok(json!({ "tag_hex": tag })), "rfc-4231", None),
        ));
        v.push(spec(
            f,
            format!("hmac-rfc4231-tc{n}-verify"),
            &["SECURE-HMAC-002", "SECURE-HMAC-003"],
            format!("RFC 4231 test case {n}: the published tag verifies"),
            "crypto.hmac.verify",
            json!({ "key_hex": key, "data_hex": data, "tag_hex": tag }),
            Want::Golden(ok(json!({ "verified": true })), "rfc-4231", None),
        ));
        let mut wrong = unhex(tag);
        wrong[0] ^= 0x80;
        v.push(spec(
            f,
            format!("hmac-rfc4231-tc{n}-wrong-tag"),
            &["SECURE-HMAC-002"],
            format!("RFC 4231 test case {n}: the tag with its first bit flipped fails"),
            "crypto.hmac.verify",
            json!({ "key_hex": key, "data_hex": data, "tag_hex": h(&wrong) }),
            Want::Error("auth_failed", None),
        ));
    }
    v.push(spec(
        f,
        "hmac-rfc4231-tc2-short-key",
        &["SECURE-HMAC-001", "SECURE-KEY-001"],
        "RFC 4231 test case 2 uses the 4-byte key \"Jefe\", below the 16-byte minimum: rejected",
        "crypto.hmac.sign",
        json!({ "key_hex": h(b"Jefe"), "data_hex": h(b"what do ya want for nothing?") }),
        Want::Error("invalid_key", None),
    ));
    v.push(spec(f, "hmac-rfc4231-tc5-truncated-tag", &["SECURE-HMAC-003"], "RFC 4231 test case 5's 128-bit truncated tag does not verify: tags are never truncated", "crypto.hmac.verify",
        json!({ "key_hex": rep(0x0c, 20), "data_hex": h(b"Test With Truncation"), "tag_hex": "a3b6167473100ee06e0c796c2955552b" }), Want::Error("auth_failed", None)));
    v.push(spec(f, "hmac-fact-zero-key-hello", &["SECURE-HMAC-001"], "HMAC-SHA256 of \"Hello, World!\" under 32 zero bytes (the inputs of upstream's hmac_auth tests)", "crypto.hmac.sign",
        json!({ "key_hex": rep(0, 32), "data_hex": h(b"Hello, World!") }), Want::Golden(ok(json!({ "tag_hex": "2bbcfa9524f3218c7a34b30e6936f8b1a4516cb097f1a85a1c7d98b5977ec769" })), "second-computation", None)));
    // key sizes
    for n in [0usize, 1, 15] {
        v.push(spec(
            f,
            format!("hmac-key-{n}-bytes"),
            &["SECURE-KEY-001", "SECURE-DIV-002"],
            format!("a {n}-byte HMAC key is below the 16-byte minimum"),
            "crypto.hmac.sign",
            json!({ "key_hex": rep(0x5a, n), "data_hex": "00" }),
            Want::Error("invalid_key", None),
        ));
        v.push(spec(
            f,
            format!("hmac-verify-key-{n}-bytes"),
            &["SECURE-KEY-001"],
            format!("verification with a {n}-byte key is rejected before the tag is looked at"),
            "crypto.hmac.verify",
            json!({ "key_hex": rep(0x5a, n), "data_hex": "00", "tag_hex": rep(0, 32) }),
            Want::Error("invalid_key", None),
        ));
    }
    v.push(near(spec(
        f,
        "hmac-key-16-bytes",
        &["SECURE-KEY-001", "SECURE-DIV-002"],
        "a 16-byte key is exactly the minimum and is accepted",
        "crypto.hmac.sign",
        json!({ "key_hex": rep(0x5a, 16), "data_hex": "00" }),
        Want::Reference(None),
    )));
    for n in [17usize, 32, 33, 64, 65, 200] {
        for (dn, data) in [
            ("empty", String::new()),
            ("abc", h(b"abc")),
            ("1k", rep(0x61, 1000)),
        ] {
            v.push(spec(
                f,
                format!("hmac-key-{n}-data-{dn}"),
                &["SECURE-HMAC-001", "SECURE-KEY-001", "SECURE-DIV-002"],
                format!("a {n}-byte key is used whole; data {dn}"),
                "crypto.hmac.sign",
                json!({ "key_hex": seq(0, (n - 1) as u8), "data_hex": data }),
                Want::Reference(None),
            ));
        }
    }
    // verification edge cases
    let key = rep(0x42, 32);
    let data = h(b"m2m");
    v.push(spec(
        f,
        "hmac-verify-empty-tag",
        &["SECURE-HMAC-003"],
        "an empty tag fails",
        "crypto.hmac.verify",
        json!({ "key_hex": key, "data_hex": data, "tag_hex": "" }),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "hmac-verify-zero-tag",
        &["SECURE-HMAC-002"],
        "32 zero bytes are not the tag",
        "crypto.hmac.verify",
        json!({ "key_hex": key, "data_hex": data, "tag_hex": rep(0, 32) }),
        Want::Error("auth_failed", None),
    ));
}

fn hmac_tag(key: &str, data: &[u8]) -> Vec<u8> {
    use m2m::codec::m2m::crypto::HmacAuth;
    HmacAuth::new(KeyMaterial::new(unhex(key)))
        .expect("key")
        .compute_tag(data)
        .to_vec()
}

/// RFC 8439 section 2.8.2 and generated ChaCha20-Poly1305 cases.
fn aead_cases(v: &mut Vec<Spec>) {
    let f = "aead";
    let key = seq(0x80, 0x9f);
    let nonce = "070000004041424344454647";
    let aad = "50515253c0c1c2c3c4c5c6c7";
    let pt = h(b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    let ct = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116";
    let tag = "1ae10b594f09e26a7e902ecbd0600691";
    let sealed = format!("{nonce}{ct}{tag}");
    v.push(spec(
        f,
        "aead-rfc8439-2.8.2-seal",
        &["SECURE-AEAD-001"],
        "RFC 8439 section 2.8.2: nonce ‖ ciphertext ‖ tag",
        "crypto.aead.seal",
        json!({ "key_hex": key, "nonce_hex": nonce, "aad_hex": aad, "plaintext_hex": pt }),
        Want::Golden(ok(json!({ "sealed_hex": sealed })), "rfc-8439", None),
    ));
    v.push(spec(
        f,
        "aead-rfc8439-2.8.2-open",
        &["SECURE-AEAD-003"],
        "RFC 8439 section 2.8.2 opens to the plaintext",
        "crypto.aead.open",
        json!({ "key_hex": key, "aad_hex": aad, "sealed_hex": sealed }),
        Want::Golden(ok(json!({ "plaintext_hex": pt })), "rfc-8439", None),
    ));
    v.push(spec(
        f,
        "aead-rfc8439-2.8.2-wrong-aad",
        &["SECURE-AEAD-004"],
        "RFC 8439 section 2.8.2 with one AAD bit changed fails",
        "crypto.aead.open",
        json!({ "key_hex": key, "aad_hex": "50515253c0c1c2c3c4c5c6c6", "sealed_hex": sealed }),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "aead-rfc8439-2.8.2-no-aad",
        &["SECURE-AEAD-004"],
        "RFC 8439 section 2.8.2 without its AAD fails",
        "crypto.aead.open",
        json!({ "key_hex": key, "aad_hex": "", "sealed_hex": sealed }),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "aead-rfc8439-2.8.2-wrong-key",
        &["SECURE-AEAD-004"],
        "RFC 8439 section 2.8.2 under another key fails",
        "crypto.aead.open",
        json!({ "key_hex": seq(0x81, 0xa0), "aad_hex": aad, "sealed_hex": sealed }),
        Want::Error("auth_failed", None),
    ));
    let mut bad_nonce = unhex(&sealed);
    bad_nonce[0] ^= 1;
    v.push(spec(
        f,
        "aead-rfc8439-2.8.2-wrong-nonce",
        &["SECURE-AEAD-004"],
        "RFC 8439 section 2.8.2 with a changed nonce fails",
        "crypto.aead.open",
        json!({ "key_hex": key, "aad_hex": aad, "sealed_hex": h(&bad_nonce) }),
        Want::Error("auth_failed", None),
    ));
    let short_tag = &sealed[..sealed.len() - 2];
    v.push(spec(
        f,
        "aead-rfc8439-2.8.2-truncated-tag",
        &["SECURE-AEAD-004"],
        "RFC 8439 section 2.8.2 with the last tag byte removed fails",
        "crypto.aead.open",
        json!({ "key_hex": key, "aad_hex": aad, "sealed_hex": short_tag }),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(f, "aead-fact-hello", &["SECURE-AEAD-001"], "\"Hello, World!\" under 0x42×32 with nonce 01..0c and AAD \"associated data\" (the inputs of upstream's aead tests)", "crypto.aead.seal",
        json!({ "key_hex": rep(0x42, 32), "nonce_hex": seq(1, 12), "aad_hex": h(b"associated data"), "plaintext_hex": h(b"Hello, World!") }),
        Want::Golden(ok(json!({ "sealed_hex": "0102030405060708090a0b0cf674ff9b2064d2c7cb97958b54713adab24613e314743854d1cfc00288" })), "second-computation", None)));
    // sizes
    for n in [0usize, 16, 31] {
        v.push(spec(f, format!("aead-seal-key-{n}-bytes"), &["SECURE-KEY-002", "SECURE-AEAD-001"], format!("a {n}-byte AEAD key is rejected"), "crypto.aead.seal",
            json!({ "key_hex": rep(7, n), "nonce_hex": rep(0, 12), "aad_hex": "", "plaintext_hex": "00" }), Want::Error("invalid_key", None)));
        v.push(spec(
            f,
            format!("aead-open-key-{n}-bytes"),
            &["SECURE-KEY-002"],
            format!("opening with a {n}-byte key is rejected"),
            "crypto.aead.open",
            json!({ "key_hex": rep(7, n), "aad_hex": "", "sealed_hex": rep(0, 28) }),
            Want::Error("invalid_key", None),
        ));
    }
    for n in [33usize, 64] {
        v.push(spec(f, format!("aead-seal-key-{n}-bytes"), &["SECURE-KEY-002"], format!("a {n}-byte AEAD key is rejected, not cut to 32 bytes"), "crypto.aead.seal",
            json!({ "key_hex": seq(0, (n - 1) as u8), "nonce_hex": rep(0, 12), "aad_hex": "", "plaintext_hex": "00" }), Want::Error("invalid_key", Some("UPSTREAM_TRUNCATES_AEAD_KEY"))));
    }
    for n in [0usize, 8, 11, 13, 24] {
        v.push(spec(f, format!("aead-nonce-{n}-bytes"), &["SECURE-AEAD-002"], format!("a {n}-byte nonce is rejected"), "crypto.aead.seal",
            json!({ "key_hex": rep(7, 32), "nonce_hex": rep(1, n), "aad_hex": "", "plaintext_hex": "00" }), Want::Error("invalid_nonce", None)));
    }
    for n in [0usize, 12, 27] {
        v.push(spec(
            f,
            format!("aead-open-{n}-bytes"),
            &["SECURE-AEAD-003"],
            format!("a {n}-byte box is shorter than nonce and tag"),
            "crypto.aead.open",
            json!({ "key_hex": rep(7, 32), "aad_hex": "", "sealed_hex": rep(0, n) }),
            Want::Error("truncated", None),
        ));
    }
    // generated round trips: the sealed box from the reference, opened by upstream's decrypt in a
    // twin case
    let pts: [(&str, String); 5] = [
        ("empty", String::new()),
        ("one", "00".into()),
        ("block", rep(0xab, 64)),
        ("odd", rep(0x5c, 65)),
        ("long", rep(0x33, 1000)),
    ];
    let aads = [
        ("noaad", String::new()),
        ("aad", h(b"#M2M|1| header bytes")),
    ];
    for (pn, p) in &pts {
        for (an, a) in &aads {
            for (kn, k) in aead_keys() {
                let sealed = aead_seal_upstream(&k, &seq(1, 12), a, p);
                v.push(spec(f, format!("aead-seal-{pn}-{an}-{kn}"), &["SECURE-AEAD-001", "SECURE-AEAD-002", "SECURE-KEY-002"], format!("seal plaintext {pn}, {an}, key {kn}"), "crypto.aead.seal",
                    json!({ "key_hex": k, "nonce_hex": seq(1, 12), "aad_hex": a, "plaintext_hex": p }), Want::Reference(None)));
                v.push(spec(
                    f,
                    format!("aead-open-{pn}-{an}-{kn}"),
                    &["SECURE-AEAD-003", "SECURE-AEAD-004", "SECURE-KEY-002"],
                    format!("open plaintext {pn}, {an}, key {kn}"),
                    "crypto.aead.open",
                    json!({ "key_hex": k, "aad_hex": a, "sealed_hex": sealed }),
                    Want::Reference(None),
                ));
            }
        }
    }
}

fn aead_seal_upstream(key: &str, nonce: &str, aad: &str, pt: &str) -> String {
    use m2m::codec::m2m::crypto::AeadCipher;
    let n: [u8; 12] = unhex(nonce).try_into().expect("12");
    h(&AeadCipher::new(KeyMaterial::new(unhex(key)))
        .expect("key")
        .encrypt(&unhex(pt), &n, &unhex(aad))
        .expect("seal"))
}

/// RFC 5869 appendix A.1-A.3 and no-salt derivations.
fn hkdf_cases(v: &mut Vec<Spec>) {
    let f = "hkdf";
    let a2_ikm = seq(0x00, 0x4f);
    let a2_salt = seq(0x60, 0xaf);
    let a2_info = seq(0xb0, 0xff);
    let rows = [
        ("a1", rep(0x0b, 22), Some(seq(0x00, 0x0c)), seq(0xf0, 0xf9), 42, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5", "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
        ("a2", a2_ikm, Some(a2_salt), a2_info, 82, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244", "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"),
        ("a3", rep(0x0b, 22), Some(String::new()), String::new(), 42, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04", "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
    ];
    for (n, ikm, salt, info, len, prk, okm) in &rows {
        let mut args = json!({ "ikm_hex": ikm, "info_hex": info, "length": len });
        let mut xargs = json!({ "ikm_hex": ikm });
        if let Some(s) = salt {
            args["salt_hex"] = json!(s);
            xargs["salt_hex"] = json!(s);
        }
        v.push(spec(
            f,
            format!("hkdf-rfc5869-{n}"),
            &["SECURE-KDF-001"],
            format!("RFC 5869 test case {}: OKM", n.to_uppercase()),
            "crypto.hkdf",
            args,
            Want::Golden(ok(json!({ "okm_hex": okm })), "rfc-5869", None),
        ));
        v.push(spec(
            f,
            format!("hkdf-rfc5869-{n}-prk"),
            &["SECURE-KDF-001"],
            format!("RFC 5869 test case {}: PRK", n.to_uppercase()),
            "crypto.hkdf.extract",
            xargs,
            Want::Golden(ok(json!({ "prk_hex": prk })), "rfc-5869", None),
        ));
    }
    // A.3 without any salt: the derivation upstream offers
    v.push(spec(f, "hkdf-rfc5869-a3-no-salt", &["SECURE-KDF-001", "SECURE-KDF-002"], "RFC 5869 test case A.3 with the salt absent: an absent salt is 32 zero bytes, the same as an empty one", "crypto.hkdf",
        json!({ "ikm_hex": rep(0x0b, 22), "info_hex": "", "length": 42 }), Want::Golden(ok(json!({ "okm_hex": "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8" })), "rfc-5869", None)));
    v.push(spec(f, "hkdf-rfc5869-a3-no-salt-prk", &["SECURE-KDF-001", "SECURE-KDF-002"], "RFC 5869 test case A.3 PRK with the salt absent", "crypto.hkdf.extract",
        json!({ "ikm_hex": rep(0x0b, 22) }), Want::Golden(ok(json!({ "prk_hex": "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04" })), "rfc-5869", None)));
    // the upstream hierarchy vector as a raw derivation
    let master = seq(0, 31);
    v.push(spec(f, "hkdf-upstream-agent-path", &["SECURE-KDF-002", "SECURE-DIV-001"], "no-salt HKDF of master 00..1f with info m2m/v1/test-org/agent-001 (upstream hierarchy.rs vector): extract runs", "crypto.hkdf",
        json!({ "ikm_hex": master, "info_hex": h(b"m2m/v1/test-org/agent-001"), "length": 32 }), Want::Golden(ok(json!({ "okm_hex": "c87f687fae1cf5991cd0cc64e113ec09750b0d1c41338a41cd8ad90bdd60dba1" })), "upstream-0.4.0-tests", None)));
    v.push(spec(f, "hkdf-upstream-master-prk", &["SECURE-KDF-002", "SECURE-DIV-001"], "the PRK of master 00..1f with no salt", "crypto.hkdf.extract",
        json!({ "ikm_hex": master }), Want::Golden(ok(json!({ "prk_hex": "46bd320605c5a6b6163ab70bc6345b92a5f908e79fe58979c23ebb47d1a5e307" })), "second-computation", None)));
    v.push(near(spec(f, "hkdf-zero-salt-equals-none", &["SECURE-KDF-002", "SECURE-DIV-001"], "an explicit salt of 32 zero bytes gives the no-salt key (and not the expand-only 45d1522d…)", "crypto.hkdf",
        json!({ "ikm_hex": master, "salt_hex": rep(0, 32), "info_hex": h(b"m2m/v1/test-org/agent-001"), "length": 32 }), Want::Golden(ok(json!({ "okm_hex": "c87f687fae1cf5991cd0cc64e113ec09750b0d1c41338a41cd8ad90bdd60dba1" })), "second-computation", None))));
    // lengths
    for len in [0usize, 1, 31, 32, 33, 64, 100, 255, 256, 1000, 8159, 8160] {
        v.push(spec(
            f,
            format!("hkdf-length-{len}"),
            &["SECURE-KDF-001", "SECURE-KDF-003"],
            format!("a {len}-byte output"),
            "crypto.hkdf",
            json!({ "ikm_hex": rep(0x21, 32), "info_hex": h(b"len"), "length": len }),
            Want::Reference(None),
        ));
    }
    for len in [8161usize, 10000, 65536] {
        v.push(spec(
            f,
            format!("hkdf-length-{len}"),
            &["SECURE-KDF-001", "SECURE-KDF-003"],
            format!("{len} bytes exceed 255 × 32"),
            "crypto.hkdf",
            json!({ "ikm_hex": rep(0x21, 32), "info_hex": h(b"len"), "length": len }),
            Want::Error("kdf_output_too_long", None),
        ));
    }
    // assorted ikm / info
    for (n, ikm) in [
        ("empty", String::new()),
        ("short", "01".to_string()),
        ("k32", rep(0x42, 32)),
        ("k100", rep(0x99, 100)),
    ] {
        for (m, info) in [
            ("noinfo", String::new()),
            ("ctx", h(b"m2m-v1|ctx|sess")),
            ("bin", seq(0, 255)),
        ] {
            v.push(spec(
                f,
                format!("hkdf-{n}-{m}"),
                &["SECURE-KDF-002"],
                format!("no-salt HKDF, IKM {n}, info {m}, 32 bytes"),
                "crypto.hkdf",
                json!({ "ikm_hex": ikm, "info_hex": info, "length": 32 }),
                Want::Reference(None),
            ));
        }
    }
}

/// The hierarchy: upstream's vector, the values of spec 06-secure section 7, generated paths, ids.
fn hierarchy_cases(v: &mut Vec<Spec>) {
    let f = "hierarchy";
    let master = seq(0, 31);
    let base = |kind: &str| json!({ "master_hex": master, "org_id": "test-org", "kind": kind });
    let with = |kind: &str, extra: Value| {
        let mut b = base(kind);
        for (k, x) in extra.as_object().expect("obj") {
            b[k] = x.clone();
        }
        b
    };
    type Fact<'a> = (
        &'a str,
        &'a [&'static str],
        &'a str,
        Value,
        &'a str,
        &'static str,
    );
    let facts: Vec<Fact> = vec![
        ("hier-agent-key-upstream-vector", &["SECURE-HIER-001", "SECURE-HIER-002"], "agent key of agent-001 (upstream hierarchy.rs vector)", with("agent", json!({"agent_id": "agent-001"})), "c87f687fae1cf5991cd0cc64e113ec09750b0d1c41338a41cd8ad90bdd60dba1", "upstream-0.4.0-tests"),
        ("hier-org-key", &["SECURE-HIER-002", "SECURE-DIV-003"], "org key of test-org (upstream's doc comment claims f3a8…, which is stale)", base("org"), "2c57ed50feb743f2c695b7dd9e35e2151b75f2d5b43d812fe3c22814dd78c1ea", "second-computation"),
        ("hier-session-key", &["SECURE-HIER-004", "SECURE-DIV-003"], "hierarchy session key alice/bob/sess-001 (upstream's doc comment claims 5c7d…, which is stale)", with("session", json!({"agent_id": "alice", "peer_id": "bob", "session_id": "sess-001"})), "566465b44cf9b0045ca4dbd60f2330462d332893aeb5ad89a0baf1ab52859375", "second-computation"),
        ("hier-shared-key", &["SECURE-HIER-002"], "shared key of test-org", base("shared"), "3d5923e5674e21bf372b4c96ba88a89a6116ade50739d0f478016a22b0faa7e2", "second-computation"),
        ("hier-purpose-encryption", &["SECURE-HIER-003"], "agent-001 encryption key from the master", with("agent-purpose", json!({"agent_id": "agent-001", "purpose": "encryption"})), "a15e8160cd4d469ad635bfc0d5cfd9bdd605ca2db11e5a33ea46425fff554ddd", "second-computation"),
        ("hier-purpose-authentication", &["SECURE-HIER-003"], "agent-001 authentication key from the master", with("agent-purpose", json!({"agent_id": "agent-001", "purpose": "authentication"})), "093688ccbe87bb07391b53f0e9ed06fb3983b8081b41c87bda11fac1da21f778", "second-computation"),
        ("hier-purpose-identity", &["SECURE-HIER-003"], "agent-001 identity key from the master", with("agent-purpose", json!({"agent_id": "agent-001", "purpose": "identity"})), "e7a3791fec7a5f5aa698e14e9a96c80932f036e9e26c76359c900a77f344da29", "second-computation"),
        ("hier-context-purpose-encryption", &["SECURE-HIER-005"], "agent-001's context encryption key: IKM is the agent key, so it differs from the master route", with("context-purpose", json!({"agent_id": "agent-001", "purpose": "encryption"})), "baf434d4a2b2326b7c687151fc783ee501ed826ebe8a711053be6d2545b03549", "second-computation"),
        ("hier-context-session", &["SECURE-HIER-006"], "alice's context session key with bob: IKM is the org key, so it differs from the hierarchy route", with("context-session", json!({"agent_id": "alice", "peer_id": "bob", "session_id": "sess-001"})), "aebfa29c12287cea40515c0dd13f4238627126487f238826cdcc151149c7abf1", "second-computation"),
    ];
    for (id, reqs, d, input, key, src) in facts {
        v.push(spec(
            f,
            id,
            reqs,
            d,
            "crypto.kdf.hierarchy",
            input,
            Want::Golden(ok(json!({ "key_hex": key })), src, None),
        ));
    }
    v.push(near(spec(
        f,
        "hier-org-key-other-org",
        &["SECURE-HIER-002", "SECURE-DIV-003"],
        "a one-character change of the org id gives an unrelated org key",
        "crypto.kdf.hierarchy",
        json!({ "master_hex": master, "org_id": "test-org2", "kind": "org" }),
        Want::Reference(None),
    )));
    v.push(near(spec(f, "hier-session-key-swapped", &["SECURE-HIER-004"], "bob/alice gives the same key as alice/bob: the ids are ordered", "crypto.kdf.hierarchy",
        with("session", json!({"agent_id": "bob", "peer_id": "alice", "session_id": "sess-001"})), Want::Golden(ok(json!({ "key_hex": "566465b44cf9b0045ca4dbd60f2330462d332893aeb5ad89a0baf1ab52859375" })), "second-computation", None))));
    v.push(near(spec(f, "hier-context-session-swapped", &["SECURE-HIER-006"], "bob's context session key with alice equals alice's with bob", "crypto.kdf.hierarchy",
        with("context-session", json!({"agent_id": "bob", "peer_id": "alice", "session_id": "sess-001"})), Want::Golden(ok(json!({ "key_hex": "aebfa29c12287cea40515c0dd13f4238627126487f238826cdcc151149c7abf1" })), "second-computation", None))));
    v.push(near(spec(
        f,
        "hier-session-byte-order",
        &["SECURE-HIER-004"],
        "ids are ordered byte-wise: \"Z\" (0x5a) sorts before \"a\"",
        "crypto.kdf.hierarchy",
        with(
            "session",
            json!({"agent_id": "a", "peer_id": "Z", "session_id": "s"}),
        ),
        Want::Reference(None),
    )));
    // generated: masters × orgs × kinds
    let masters = [
        ("m0", seq(0, 31)),
        ("m42", rep(0x42, 32)),
        ("m16", rep(0x16, 16)),
        ("m64", seq(0x40, 0x7f)),
    ];
    let orgs = ["acme", "ORG_9", "x"];
    let purposes = ["identity", "encryption", "authentication", "session"];
    for (mn, m) in &masters {
        for org in orgs {
            let b = |kind: &str, extra: Value| {
                let mut x = json!({ "master_hex": m, "org_id": org, "kind": kind });
                for (k, y) in extra.as_object().expect("obj") {
                    x[k] = y.clone();
                }
                x
            };
            let tag = format!("{mn}-{}", org.to_lowercase().replace('_', "-"));
            v.push(spec(
                f,
                format!("hier-gen-{tag}-org"),
                &["SECURE-HIER-002", "SECURE-ID-001"],
                format!("org key, master {mn}, org {org}"),
                "crypto.kdf.hierarchy",
                b("org", json!({})),
                Want::Reference(None),
            ));
            v.push(spec(
                f,
                format!("hier-gen-{tag}-shared"),
                &["SECURE-HIER-002"],
                format!("shared key, master {mn}, org {org}"),
                "crypto.kdf.hierarchy",
                b("shared", json!({})),
                Want::Reference(None),
            ));
            v.push(spec(
                f,
                format!("hier-gen-{tag}-agent"),
                &["SECURE-HIER-002"],
                format!("agent key, master {mn}, org {org}"),
                "crypto.kdf.hierarchy",
                b("agent", json!({"agent_id": "agent-7"})),
                Want::Reference(None),
            ));
            for p in purposes {
                v.push(spec(
                    f,
                    format!("hier-gen-{tag}-purpose-{p}"),
                    &["SECURE-HIER-003"],
                    format!("{p} key from the master, master {mn}, org {org}"),
                    "crypto.kdf.hierarchy",
                    b(
                        "agent-purpose",
                        json!({"agent_id": "agent-7", "purpose": p}),
                    ),
                    Want::Reference(None),
                ));
                v.push(spec(
                    f,
                    format!("hier-gen-{tag}-ctx-purpose-{p}"),
                    &["SECURE-HIER-005"],
                    format!("{p} key from the agent key, master {mn}, org {org}"),
                    "crypto.kdf.hierarchy",
                    b(
                        "context-purpose",
                        json!({"agent_id": "agent-7", "purpose": p}),
                    ),
                    Want::Reference(None),
                ));
            }
            v.push(spec(f, format!("hier-gen-{tag}-session"), &["SECURE-HIER-004"], format!("hierarchy session key, master {mn}, org {org}"), "crypto.kdf.hierarchy", b("session", json!({"agent_id": "agent-7", "peer_id": "agent-10", "session_id": "2026-11-23T21:00Z"})), Want::Reference(None)));
            v.push(spec(f, format!("hier-gen-{tag}-context-session"), &["SECURE-HIER-006"], format!("context session key, master {mn}, org {org}"), "crypto.kdf.hierarchy", b("context-session", json!({"agent_id": "agent-7", "peer_id": "agent-10", "session_id": "2026-11-23T21:00Z"})), Want::Reference(None)));
        }
    }
    // ids
    let long128 = "a".repeat(128);
    let long129 = "a".repeat(129);
    v.push(near(spec(
        f,
        "hier-id-org-128",
        &["SECURE-ID-001"],
        "a 128-byte org id is the longest accepted",
        "crypto.kdf.hierarchy",
        json!({ "master_hex": master, "org_id": long128, "kind": "org" }),
        Want::Reference(None),
    )));
    v.push(near(spec(
        f,
        "hier-id-agent-128",
        &["SECURE-ID-001"],
        "a 128-byte agent id is the longest accepted",
        "crypto.kdf.hierarchy",
        with("agent", json!({"agent_id": long128})),
        Want::Reference(None),
    )));
    let bad: [(&str, &str); 10] = [
        ("empty", ""),
        ("129", &long129),
        ("space", "test org"),
        ("slash", "test/org"),
        ("colon", "a:b"),
        ("dot", "a.b"),
        ("umlaut", "grüße"),
        ("nul", "a\u{0}b"),
        ("plus", "a+b"),
        ("newline", "ab\n"),
    ];
    for (n, id) in bad {
        v.push(spec(
            f,
            format!("hier-id-org-{n}"),
            &["SECURE-ID-001", "SECURE-HIER-001"],
            format!("org id {n} is rejected"),
            "crypto.kdf.hierarchy",
            json!({ "master_hex": master, "org_id": id, "kind": "org" }),
            Want::Error("invalid_id", None),
        ));
        v.push(spec(
            f,
            format!("hier-id-agent-{n}"),
            &["SECURE-ID-001", "SECURE-HIER-002"],
            format!("agent id {n} is rejected"),
            "crypto.kdf.hierarchy",
            with("agent", json!({"agent_id": id})),
            Want::Error("invalid_id", None),
        ));
    }
    v.push(spec(
        f,
        "hier-id-purpose-agent-bad",
        &["SECURE-ID-001", "SECURE-HIER-003"],
        "a purpose key for an invalid agent id is rejected",
        "crypto.kdf.hierarchy",
        with(
            "agent-purpose",
            json!({"agent_id": "a b", "purpose": "identity"}),
        ),
        Want::Error("invalid_id", None),
    ));
    v.push(spec(
        f,
        "hier-id-session-peer-bad",
        &["SECURE-ID-001", "SECURE-HIER-004"],
        "a hierarchy session key with an invalid peer id is rejected",
        "crypto.kdf.hierarchy",
        with(
            "session",
            json!({"agent_id": "alice", "peer_id": "bob!", "session_id": "s"}),
        ),
        Want::Error("invalid_id", None),
    ));
    v.push(spec(
        f,
        "hier-id-context-agent-bad",
        &["SECURE-ID-001", "SECURE-HIER-005"],
        "an agent context for an invalid agent id is rejected",
        "crypto.kdf.hierarchy",
        with(
            "context-purpose",
            json!({"agent_id": "", "purpose": "session"}),
        ),
        Want::Error("invalid_id", None),
    ));
    v.push(spec(
        f,
        "hier-id-context-peer-bad",
        &["SECURE-ID-001", "SECURE-HIER-006"],
        "a context session key with an invalid peer id is rejected",
        "crypto.kdf.hierarchy",
        with(
            "context-session",
            json!({"agent_id": "alice", "peer_id": "b/ob", "session_id": "s"}),
        ),
        Want::Error("invalid_id", None),
    ));
    v.push(near(spec(
        f,
        "hier-session-id-free-form",
        &["SECURE-HIER-004"],
        "the session id is not an id in the sense of SECURE-ID-001: any text is accepted",
        "crypto.kdf.hierarchy",
        with(
            "session",
            json!({"agent_id": "alice", "peer_id": "bob", "session_id": "a b/c:d é"}),
        ),
        Want::Reference(None),
    )));
}

/// RFC 7748 sections 5.2 and 6.1, session keys, low-order points.
fn x25519_cases(v: &mut Vec<Spec>) {
    let f = "x25519";
    let rfc52 = [
        (
            "1",
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            "2",
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
        (
            "iter1",
            "0900000000000000000000000000000000000000000000000000000000000000",
            "0900000000000000000000000000000000000000000000000000000000000000",
            "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
        ),
    ];
    for (n, k, u, out) in rfc52 {
        v.push(spec(
            f,
            format!("x25519-rfc7748-5.2-{n}"),
            &["SECURE-X25519-003"],
            format!("RFC 7748 section 5.2 vector {n}"),
            "crypto.x25519",
            json!({ "private_hex": k, "peer_public_hex": u }),
            Want::Golden(ok(json!({ "shared_hex": out })), "rfc-7748", None),
        ));
    }
    let a = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    let a_pub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    let b = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    let b_pub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    v.push(spec(
        f,
        "x25519-rfc7748-6.1-alice-public",
        &["SECURE-X25519-002"],
        "RFC 7748 section 6.1: Alice's public key",
        "crypto.x25519.public",
        json!({ "private_hex": a }),
        Want::Golden(ok(json!({ "public_hex": a_pub })), "rfc-7748", None),
    ));
    v.push(spec(
        f,
        "x25519-rfc7748-6.1-bob-public",
        &["SECURE-X25519-002"],
        "RFC 7748 section 6.1: Bob's public key",
        "crypto.x25519.public",
        json!({ "private_hex": b }),
        Want::Golden(ok(json!({ "public_hex": b_pub })), "rfc-7748", None),
    ));
    for (who, k, peer, peer_priv) in [("alice", a, b_pub, b), ("bob", b, a_pub, a)] {
        v.push(spec(
            f,
            format!("x25519-rfc7748-6.1-{who}-shared"),
            &["SECURE-X25519-003"],
            format!("RFC 7748 section 6.1: {who}'s shared secret from the peer's public key"),
            "crypto.x25519",
            json!({ "private_hex": k, "peer_public_hex": peer }),
            Want::Golden(ok(json!({ "shared_hex": shared })), "rfc-7748", None),
        ));
        v.push(spec(f, format!("x25519-rfc7748-6.1-{who}-shared-from-private"), &["SECURE-X25519-003"], format!("RFC 7748 section 6.1: {who}'s shared secret, the peer's key given as its private key"), "crypto.x25519",
            json!({ "private_hex": k, "peer_private_hex": peer_priv }), Want::Golden(ok(json!({ "shared_hex": shared })), "rfc-7748", None)));
    }
    let session = "8de61faff3e9d7bb5371c57d0654bd2319684894cf427067ea961bda6ab9e7a3";
    v.push(spec(
        f,
        "x25519-session-m2m-session-v1",
        &["SECURE-X25519-005", "SECURE-DIV-004"],
        "session key of the RFC 7748 exchange with context m2m-session-v1",
        "crypto.x25519.session-key",
        json!({ "private_hex": a, "peer_public_hex": b_pub, "context": "m2m-session-v1" }),
        Want::Golden(
            ok(json!({ "key_hex": session })),
            "second-computation",
            None,
        ),
    ));
    v.push(spec(
        f,
        "x25519-session-m2m-session-v1-from-private",
        &["SECURE-X25519-005"],
        "the same, Bob's side, Alice's key given as its private key",
        "crypto.x25519.session-key",
        json!({ "private_hex": b, "peer_private_hex": a, "context": "m2m-session-v1" }),
        Want::Golden(
            ok(json!({ "key_hex": session })),
            "second-computation",
            None,
        ),
    ));
    for ctx in ["cross-org-aead-v1", "", "m2m-session-v2"] {
        v.push(spec(
            f,
            format!(
                "x25519-session-context-{}",
                if ctx.is_empty() { "empty" } else { ctx }
            ),
            &["SECURE-X25519-005", "SECURE-DIV-004"],
            format!("the context is the caller's: {ctx:?}"),
            "crypto.x25519.session-key",
            json!({ "private_hex": a, "peer_private_hex": b, "context": ctx }),
            Want::Reference(None),
        ));
    }
    v.push(near(spec(f, "x25519-session-context-trailing-space", &["SECURE-X25519-005", "SECURE-DIV-004"], "a context differing by a trailing space gives another key: the context is used byte for byte", "crypto.x25519.session-key",
        json!({ "private_hex": a, "peer_private_hex": b, "context": "m2m-session-v1 " }), Want::Reference(None))));
    // generated pairs
    let privs: Vec<String> = (1u8..=8)
        .map(|i| {
            h(&(0..32)
                .map(|j: u8| j.wrapping_mul(i).wrapping_add(i * 17))
                .collect::<Vec<_>>())
        })
        .collect();
    for (i, p) in privs.iter().enumerate() {
        v.push(spec(
            f,
            format!("x25519-gen-public-{i}"),
            &["SECURE-X25519-002", "SECURE-X25519-001"],
            format!("public key of generated private key {i}"),
            "crypto.x25519.public",
            json!({ "private_hex": p }),
            Want::Reference(None),
        ));
        let q = &privs[(i + 1) % privs.len()];
        v.push(spec(
            f,
            format!("x25519-gen-shared-{i}"),
            &["SECURE-X25519-003", "SECURE-X25519-001"],
            format!(
                "shared secret of generated keys {i} and {}",
                (i + 1) % privs.len()
            ),
            "crypto.x25519",
            json!({ "private_hex": p, "peer_private_hex": q }),
            Want::Reference(None),
        ));
        v.push(spec(
            f,
            format!("x25519-gen-session-{i}"),
            &["SECURE-X25519-005"],
            format!(
                "session key of generated keys {i} and {}",
                (i + 1) % privs.len()
            ),
            "crypto.x25519.session-key",
            json!({ "private_hex": p, "peer_private_hex": q, "context": "m2m-session-v1" }),
            Want::Reference(None),
        ));
    }
    v.push(near(spec(
        f,
        "x25519-clamping-high-bits",
        &["SECURE-X25519-002"],
        "an all-ones private key is clamped: its public key is that of the clamped scalar",
        "crypto.x25519.public",
        json!({ "private_hex": rep(0xff, 32) }),
        Want::Reference(None),
    )));
    v.push(near(spec(f, "x25519-u-high-bit-ignored", &["SECURE-X25519-003"], "RFC 7748 vector 1 with the top bit of u set: the bit is masked, the result is unchanged", "crypto.x25519",
        json!({ "private_hex": "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "peer_public_hex": "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1ccc" }),
        Want::Golden(ok(json!({ "shared_hex": "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" })), "rfc-7748", None))));
    // sizes
    for n in [0usize, 31, 33] {
        v.push(spec(
            f,
            format!("x25519-private-{n}-bytes"),
            &["SECURE-X25519-001", "SECURE-X25519-002"],
            format!("a {n}-byte private key is rejected"),
            "crypto.x25519.public",
            json!({ "private_hex": rep(9, n) }),
            Want::Error("invalid_key", None),
        ));
        v.push(spec(
            f,
            format!("x25519-peer-public-{n}-bytes"),
            &["SECURE-X25519-001", "SECURE-X25519-003"],
            format!("a {n}-byte peer public key is rejected"),
            "crypto.x25519",
            json!({ "private_hex": a, "peer_public_hex": rep(9, n) }),
            Want::Error("invalid_key", None),
        ));
    }
    v.push(spec(
        f,
        "x25519-session-peer-public-31-bytes",
        &["SECURE-X25519-001", "SECURE-X25519-005"],
        "a session key with a 31-byte peer public key is rejected",
        "crypto.x25519.session-key",
        json!({ "private_hex": a, "peer_public_hex": rep(9, 31), "context": "m2m-session-v1" }),
        Want::Error("invalid_key", None),
    ));
    // low-order points (the list of libsodium's blocklist, little-endian u-coordinates)
    let low = [
        (
            "zero",
            "0000000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            "one",
            "0100000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            "order8-a",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        ),
        (
            "order8-b",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        ),
        (
            "p-minus-1",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ),
        (
            "p",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ),
        (
            "p-plus-1",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ),
    ];
    for (n, u) in low {
        v.push(spec(
            f,
            format!("x25519-low-order-{n}"),
            &["SECURE-X25519-004"],
            format!("low-order peer key {n}: the all-zero shared secret is rejected"),
            "crypto.x25519",
            json!({ "private_hex": a, "peer_public_hex": u }),
            Want::ErrorKnownLenient(
                "low_order_point",
                "UPSTREAM_NO_LOW_ORDER_CHECK",
                ok(json!({ "shared_hex": rep(0, 32) })),
            ),
        ));
    }
    v.push(spec(
        f,
        "x25519-session-low-order",
        &["SECURE-X25519-004", "SECURE-X25519-005"],
        "no session key is derived from an all-zero shared secret",
        "crypto.x25519.session-key",
        json!({ "private_hex": a, "peer_public_hex": rep(0, 32), "context": "m2m-session-v1" }),
        Want::Error("low_order_point", None),
    ));
}

fn keyring_cases(v: &mut Vec<Spec>) {
    let f = "keyring";
    let k1 = seq(0, 31);
    let k2 = rep(0x42, 32);
    let k3 = rep(0x07, 16);
    let add = |id: &str, k: &str| json!({ "do": "add", "id": id, "key_hex": k });
    let scripts: Vec<(&str, &[&'static str], &str, Vec<Value>)> = vec![
        ("keyring-empty-default", &["SECURE-KEYRING-002"], "an empty keyring has no default key", vec![json!({"do": "default"}), json!({"do": "len"})]),
        ("keyring-first-add-is-default", &["SECURE-KEYRING-001", "SECURE-KEYRING-002"], "the first key added becomes the default; later ones do not", vec![add("a", &k1), add("b", &k2), json!({"do": "default"}), json!({"do": "len"})]),
        ("keyring-overwrite-keeps-default", &["SECURE-KEYRING-001"], "adding under an existing id replaces the key and keeps the default id", vec![add("a", &k1), add("a", &k2), json!({"do": "default"}), json!({"do": "get", "id": "a"}), json!({"do": "len"})]),
        ("keyring-set-default", &["SECURE-KEYRING-002"], "set_default switches the default", vec![add("a", &k1), add("b", &k2), json!({"do": "set_default", "id": "b"}), json!({"do": "default"})]),
        ("keyring-set-default-missing", &["SECURE-KEYRING-002", "SECURE-KEYRING-003"], "set_default to an absent id fails and leaves the default", vec![add("a", &k1), json!({"do": "set_default", "id": "zz"}), json!({"do": "default"})]),
        ("keyring-remove-default", &["SECURE-KEYRING-002"], "removing the default key leaves no default, even with other keys present", vec![add("a", &k1), add("b", &k2), json!({"do": "remove", "id": "a"}), json!({"do": "default"}), json!({"do": "get", "id": "b"}), json!({"do": "len"})]),
        ("keyring-remove-absent", &["SECURE-KEYRING-002"], "removing an absent id reports false", vec![add("a", &k1), json!({"do": "remove", "id": "b"}), json!({"do": "default"})]),
        ("keyring-add-after-removing-all", &["SECURE-KEYRING-001"], "a key added to a keyring emptied by removals becomes the default", vec![add("a", &k1), json!({"do": "remove", "id": "a"}), add("b", &k2), json!({"do": "default"})]),
        ("keyring-add-after-removing-default", &["SECURE-KEYRING-001"], "a key added to a non-empty keyring without default does not become the default", vec![add("a", &k1), add("b", &k2), json!({"do": "remove", "id": "a"}), add("c", &k3), json!({"do": "default"})]),
        ("keyring-get-missing", &["SECURE-KEYRING-003"], "get of an absent id fails with key_not_found", vec![add("a", &k1), json!({"do": "get", "id": "A"}), json!({"do": "get", "id": "a"})]),
        ("keyring-derive-fact", &["SECURE-KEYRING-004"], "derive_session_key(ctx, sess) with default key 00..1f: info m2m-v1|ctx|sess", vec![add("main", &k1), json!({"do": "derive_session_key", "context": "ctx", "session_id": "sess"})]),
        ("keyring-derive-no-default", &["SECURE-KEYRING-004", "SECURE-KEYRING-003"], "derive_session_key without a default key fails", vec![json!({"do": "derive_session_key", "context": "ctx", "session_id": "sess"}), add("a", &k1), json!({"do": "remove", "id": "a"}), json!({"do": "derive_session_key", "context": "ctx", "session_id": "sess"})]),
        ("keyring-derive-after-rotation", &["SECURE-KEYRING-004", "SECURE-KEYRING-002"], "rotation is add then set_default; derivation follows the new default", vec![add("v1", &k1), json!({"do": "derive_session_key", "context": "ctx", "session_id": "sess"}), add("v2", &k2), json!({"do": "set_default", "id": "v2"}), json!({"do": "derive_session_key", "context": "ctx", "session_id": "sess"})]),
        ("keyring-derive-separator", &["SECURE-KEYRING-004"], "the separators are literal: (\"a|b\", \"c\") and (\"a\", \"b|c\") give the same info and key", vec![add("k", &k2), json!({"do": "derive_session_key", "context": "a|b", "session_id": "c"}), json!({"do": "derive_session_key", "context": "a", "session_id": "b|c"})]),
        ("keyring-ids-case-sensitive", &["SECURE-KEYRING-001", "SECURE-KEYRING-003"], "ids are compared exactly", vec![add("Key", &k1), add("key", &k2), json!({"do": "get", "id": "Key"}), json!({"do": "get", "id": "key"}), json!({"do": "get", "id": "KEY"}), json!({"do": "len"})]),
    ];
    for (id, reqs, d, steps) in scripts {
        let want = if id == "keyring-derive-fact" {
            Want::Golden(
                ok(
                    json!({ "results": [{"ok": null}, {"ok": {"key_hex": "86e6e0ca18bd986b1de594022643f77f4df416c4901d337c95cdd55c200e4a30"}}] }),
                ),
                "second-computation",
                None,
            )
        } else {
            Want::Reference(None)
        };
        let s = spec(
            f,
            id,
            reqs,
            d,
            "crypto.keyring.run",
            json!({ "steps": steps }),
            want,
        );
        // Scripts probing the edge of a rule (no promotion, absent ids, no default) are the
        // negative side of the keyring requirements: the op succeeds and reports the step errors.
        let edge = matches!(
            id,
            "keyring-add-after-removing-default"
                | "keyring-set-default-missing"
                | "keyring-get-missing"
                | "keyring-derive-no-default"
        );
        v.push(if edge { near(s) } else { s });
    }
}

// ------------------------------------------------------------------------------------------
// frames

fn seal_ref(
    reference: &mut Reference,
    json_text: &str,
    mode: &str,
    key: &str,
    nonce: Option<&str>,
) -> Vec<u8> {
    let mut args = json!({ "json": json_text, "mode": mode, "key_hex": key });
    if let Some(n) = nonce {
        args["nonce_hex"] = json!(n);
    }
    unhex(
        ref_ok(reference, "frame.seal", &args)["hex"]
            .as_str()
            .expect("hex"),
    )
}

fn open_args(bytes: &[u8], mode: &str, key: &str) -> Value {
    json!({ "hex": h(bytes), "mode": mode, "key_hex": key })
}

fn frame_hmac_cases(reference: &mut Reference, v: &mut Vec<Spec>) {
    let f = "frame-hmac";
    let r = &["SECURE-HMAC-FRAME-001"];
    for (dn, d) in DOCS {
        for (kn, k) in hmac_keys() {
            v.push(spec(
                f,
                format!("hmac-frame-seal-{dn}-{kn}"),
                r,
                format!("seal {dn} under key {kn} (golden: upstream's encode_secure)"),
                "frame.seal",
                json!({ "json": d, "mode": "hmac", "key_hex": k }),
                Want::Upstream,
            ));
            let bytes = seal_ref(reference, d, "hmac", &k, None);
            v.push(spec(
                f,
                format!("hmac-frame-open-{dn}-{kn}"),
                &[
                    "SECURE-HMAC-FRAME-002",
                    "SECURE-HMAC-FRAME-003",
                    "SECURE-DOWNGRADE-001",
                    "SECURE-DOWNGRADE-002",
                    "SECURE-TAMPER-001",
                ],
                format!("open {dn} sealed under key {kn}"),
                "frame.open",
                open_args(&bytes, "hmac", &k),
                Want::Reference(None),
            ));
        }
        let k = rep(0x42, 32);
        let bytes = seal_ref(reference, d, "hmac", &k, None);
        v.push(spec(
            f,
            format!("hmac-frame-open-text-{dn}"),
            &["SECURE-TEXT-001", "SECURE-HMAC-FRAME-002"],
            format!("open the text form of {dn}"),
            "frame.open",
            json!({ "wire": text_form(&bytes), "mode": "hmac", "key_hex": k }),
            Want::Reference(None),
        ));
    }
    let k = rep(0x42, 32);
    let d = doc("req-a");
    let a = seal_ref(reference, d, "hmac", &k, None);
    v.push(spec(f, "hmac-frame-fact-sheet", &["SECURE-HMAC-FRAME-001", "SECURE-TEXT-001", "SECURE-KEY-004", "SECURE-DIV-005"], "frame A under 0x42×32: tag f68418f2…6672 and its text form in spec 06-secure §13", "frame.seal",
        json!({ "json": d, "mode": "hmac", "key_hex": k }), Want::Golden(ok(json!({ "hex": h(&a), "wire": "#M2M|1|IgABAQAAAAAAAAAAAAAAAAAAAAAGZ3B0LTRvAQECCtejOz4AAABuYFWkeyJtb2RlbCI6ImdwdC00byIsIm1lc3NhZ2VzIjpbeyJyb2xlIjoidXNlciIsImNvbnRlbnQiOiJIaSJ9XX32hBjyzhkGGaLEzPY18OnpwGUaO7vGYnA32mMOFrxmcg==" })), "upstream-0.4.0", None)));
    // negatives
    let mut down = a.clone();
    down[10] = 0;
    v.push(spec(
        f,
        "hmac-frame-downgrade-to-plain",
        &["SECURE-DOWNGRADE-001", "SECURE-HMAC-FRAME-002"],
        "security byte rewritten 0x01 → 0x00: a receiver that requires HMAC refuses it",
        "frame.open",
        open_args(&down, "hmac", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_READS_MODE_FROM_FRAME"),
        ),
    ));
    let mut to_aead = a.clone();
    to_aead[10] = 2;
    v.push(spec(
        f,
        "hmac-frame-relabelled-aead",
        &["SECURE-DOWNGRADE-001"],
        "security byte rewritten 0x01 → 0x02",
        "frame.open",
        open_args(&to_aead, "hmac", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_DIFFERENT_CHECK_ORDER"),
        ),
    ));
    for b in [0x03u8, 0x7f, 0xff] {
        let mut x = a.clone();
        x[10] = b;
        v.push(spec(
            f,
            format!("hmac-frame-security-{b:02x}"),
            &["SECURE-DOWNGRADE-002"],
            format!("security byte 0x{b:02x} is undefined"),
            "frame.open",
            open_args(&x, "hmac", &k),
            Want::Error(
                "unknown_security_mode",
                Some("UPSTREAM_READS_MODE_FROM_FRAME"),
            ),
        ));
    }
    v.push(spec(
        f,
        "hmac-frame-opened-as-aead",
        &["SECURE-DOWNGRADE-001"],
        "an intact HMAC frame opened by a receiver that requires AEAD",
        "frame.open",
        open_args(&a, "aead", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_READS_MODE_FROM_FRAME"),
        ),
    ));
    let plain = unhex(&{
        let codec = M2MCodec::new();
        h(&codec.encode(d).expect("plain"))
    });
    v.push(spec(
        f,
        "hmac-plain-frame-refused",
        &["SECURE-DOWNGRADE-001"],
        "a plain frame (security 0x00) given to a receiver that requires HMAC",
        "frame.open",
        open_args(&plain, "hmac", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_READS_MODE_FROM_FRAME"),
        ),
    ));
    let mut plain_tagged = plain.clone();
    plain_tagged.extend(hmac_tag(&k, &plain[7..]));
    v.push(spec(
        f,
        "hmac-plain-frame-with-valid-tag",
        &["SECURE-DOWNGRADE-001"],
        "a frame with security 0x00 and a correct tag is still not an HMAC frame",
        "frame.open",
        open_args(&plain_tagged, "hmac", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_READS_MODE_FROM_FRAME"),
        ),
    ));
    v.push(spec(
        f,
        "hmac-frame-wrong-key",
        &["SECURE-HMAC-FRAME-002", "SECURE-TAMPER-001"],
        "opened with another key",
        "frame.open",
        open_args(&a, "hmac", &rep(0x43, 32)),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "hmac-frame-truncated-tag-1",
        &["SECURE-HMAC-FRAME-002", "SECURE-TAMPER-001"],
        "the last tag byte removed",
        "frame.open",
        open_args(&a[..a.len() - 1], "hmac", &k),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "hmac-frame-no-tag",
        &["SECURE-HMAC-FRAME-002", "SECURE-TAMPER-001"],
        "the whole tag removed: the last 32 frame bytes are taken as the tag",
        "frame.open",
        open_args(&a[..a.len() - 32], "hmac", &k),
        Want::Error("auth_failed", None),
    ));
    let mut extended = a.clone();
    extended.push(0);
    v.push(spec(
        f,
        "hmac-frame-byte-appended",
        &["SECURE-HMAC-FRAME-002", "SECURE-TAMPER-001"],
        "one byte appended after the tag",
        "frame.open",
        open_args(&extended, "hmac", &k),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "hmac-frame-58-bytes",
        &["SECURE-HMAC-FRAME-002"],
        "58 bytes: shorter than prefix, fixed header and tag",
        "frame.open",
        open_args(&a[..58], "hmac", &k),
        Want::Error("truncated", None),
    ));
    v.push(spec(
        f,
        "hmac-frame-bad-prefix",
        &["SECURE-HMAC-FRAME-002"],
        "prefix #M2M|2|",
        "frame.open",
        open_args(&[b"#M2M|2|".as_slice(), &a[7..]].concat(), "hmac", &k),
        Want::Error("invalid_prefix", None),
    ));
    for n in [0usize, 15] {
        v.push(spec(
            f,
            format!("hmac-frame-key-{n}-bytes"),
            &["SECURE-KEY-001", "SECURE-HMAC-FRAME-002"],
            format!("opening with a {n}-byte key"),
            "frame.open",
            open_args(&a, "hmac", &rep(0x42, n)),
            Want::Error("invalid_key", None),
        ));
        v.push(spec(
            f,
            format!("hmac-frame-seal-key-{n}-bytes"),
            &["SECURE-KEY-001", "SECURE-HMAC-FRAME-001"],
            format!("sealing with a {n}-byte key"),
            "frame.seal",
            json!({ "json": d, "mode": "hmac", "key_hex": rep(0x42, n) }),
            Want::Error("invalid_key", None),
        ));
    }
    // The key is checked before the input is read (SECURE-KEY-004): an invalid key with a
    // document that is not JSON, a non-frame, a short frame or a plain frame is `invalid_key`.
    // Upstream uses the key only after reading the input (SECURE-DIV-005).
    let late = Some("UPSTREAM_CHECKS_KEY_LATE");
    let kr = &["SECURE-KEY-004", "SECURE-DIV-005", "SECURE-KEY-001"];
    v.push(spec(
        f,
        "hmac-frame-seal-key-0-bytes-invalid-json",
        &[kr[0], kr[1], kr[2], "SECURE-HMAC-FRAME-001"],
        "sealing a document that is not JSON with an empty key: the key is checked first",
        "frame.seal",
        json!({ "json": "{\"model\":", "mode": "hmac", "key_hex": "" }),
        Want::Error("invalid_key", late),
    ));
    let key_first = [
        (
            "hmac-frame-key-0-bytes-not-a-frame",
            "opening a JSON document (no prefix) with an empty key: the key is checked before the prefix",
            d.as_bytes().to_vec(),
            0usize,
        ),
        (
            "hmac-frame-key-15-bytes-58-bytes",
            "opening 58 bytes of an HMAC frame with a 15-byte key: the key is checked before the length",
            a[..58].to_vec(),
            15,
        ),
        (
            "hmac-frame-key-0-bytes-plain-frame",
            "opening a plain frame (security byte 0x00) with an empty key: the key is checked before the security byte",
            {
                let mut p = a[..a.len() - 32].to_vec();
                p[10] = 0;
                p
            },
            0,
        ),
    ];
    let k16 = rep(0x42, 16);
    v.push(near(spec(
        f,
        "hmac-frame-key-16-bytes-opens",
        &[kr[0], kr[1], kr[2], "SECURE-HMAC-FRAME-002"],
        "opening an intact HMAC frame with a 16-byte key, the minimum: the key check passes and the frame is read",
        "frame.open",
        open_args(&seal_ref(reference, d, "hmac", &k16, None), "hmac", &k16),
        Want::Reference(None),
    )));
    for (id, what, bytes, n) in key_first {
        v.push(spec(
            f,
            id,
            &[kr[0], kr[1], kr[2], "SECURE-HMAC-FRAME-002"],
            what,
            "frame.open",
            open_args(&bytes, "hmac", &rep(0x42, n)),
            Want::Error("invalid_key", late),
        ));
    }
    v.push(near(spec(
        f,
        "hmac-frame-seal-key-16-bytes",
        &["SECURE-KEY-001", "SECURE-HMAC-FRAME-001"],
        "sealing with a 16-byte key, the minimum",
        "frame.seal",
        json!({ "json": d, "mode": "hmac", "key_hex": rep(0x42, 16) }),
        Want::Upstream,
    )));
    v.push(spec(
        f,
        "hmac-frame-seal-invalid-json",
        &["SECURE-HMAC-FRAME-001"],
        "a document that is not JSON is not sealed",
        "frame.seal",
        json!({ "json": "{\"model\":", "mode": "hmac", "key_hex": k }),
        Want::Error("invalid_json", None),
    ));
    v.push(spec(
        f,
        "hmac-frame-message-limit",
        &["SECURE-HMAC-FRAME-002"],
        "a secured frame one byte over max_message_bytes",
        "frame.open",
        json!({ "hex": h(&a), "mode": "hmac", "key_hex": k, "max_message_bytes": a.len() - 1 }),
        Want::Error("message_too_large", Some("UPSTREAM_NO_SIZE_LIMIT")),
    ));
    v.push(near(spec(
        f,
        "hmac-frame-message-limit-exact",
        &["SECURE-HMAC-FRAME-002"],
        "a secured frame of exactly max_message_bytes",
        "frame.open",
        json!({ "hex": h(&a), "mode": "hmac", "key_hex": k, "max_message_bytes": a.len() }),
        Want::Reference(None),
    )));
    v.push(spec(
        f,
        "hmac-frame-text-bad-base64",
        &["SECURE-TEXT-001"],
        "text form with a character outside the base64 alphabet",
        "frame.open",
        json!({ "wire": format!("{}*", &text_form(&a)[..20]), "mode": "hmac", "key_hex": k }),
        Want::Error("invalid_base64", None),
    ));
    // authenticated but malformed: bytes covered by a valid tag still go through the strict decoder
    let mut trailing = a[..a.len() - 32].to_vec();
    trailing.push(b'!');
    let tag = hmac_tag(&k, &trailing[7..]);
    trailing.extend(tag);
    v.push(spec(f, "hmac-frame-authenticated-trailing-byte", &["SECURE-HMAC-FRAME-003"], "a correct tag over a frame with a byte after its payload: the strict decode still rejects it", "frame.open",
        open_args(&trailing, "hmac", &k), Want::Error("trailing_bytes", Some("UPSTREAM_IGNORES_TRAILING_BYTES"))));
    let mut reserved = a[..a.len() - 32].to_vec();
    reserved[20] = 1;
    let tag = hmac_tag(&k, &reserved[7..]);
    reserved.extend(tag);
    v.push(spec(
        f,
        "hmac-frame-authenticated-reserved-byte",
        &["SECURE-HMAC-FRAME-003"],
        "a correct tag over a frame with a reserved header byte set",
        "frame.open",
        open_args(&reserved, "hmac", &k),
        Want::Error("reserved_nonzero", Some("UPSTREAM_IGNORES_RESERVED")),
    ));
    let mut crc = a[..a.len() - 32].to_vec();
    let end = 7 + usize::from(u16::from_le_bytes([crc[7], crc[8]]));
    crc[end + 4] ^= 1;
    let tag = hmac_tag(&k, &crc[7..]);
    crc.extend(tag);
    v.push(spec(
        f,
        "hmac-frame-authenticated-bad-crc",
        &["SECURE-HMAC-FRAME-003"],
        "a correct tag over a frame whose CRC is wrong",
        "frame.open",
        open_args(&crc, "hmac", &k),
        Want::Error("crc_mismatch", None),
    ));
    v.push(near(spec(
        f,
        "hmac-frame-authenticated-ok",
        &["SECURE-HMAC-FRAME-003"],
        "the same construction without a defect opens",
        "frame.open",
        open_args(&a, "hmac", &k),
        Want::Reference(None),
    )));
}

fn frame_aead_cases(reference: &mut Reference, v: &mut Vec<Spec>) {
    let f = "frame-aead";
    for (dn, d) in DOCS {
        for (kn, k) in aead_keys() {
            for (nn, n) in nonces() {
                v.push(spec(
                    f,
                    format!("aead-frame-seal-{dn}-{kn}-{nn}"),
                    &["SECURE-AEAD-FRAME-001"],
                    format!("seal {dn} under key {kn} with nonce {nn}"),
                    "frame.seal",
                    json!({ "json": d, "mode": "aead", "key_hex": k, "nonce_hex": n }),
                    Want::Reference(None),
                ));
                let bytes = seal_ref(reference, d, "aead", &k, Some(&n));
                v.push(spec(
                    f,
                    format!("aead-frame-open-{dn}-{kn}-{nn}"),
                    &[
                        "SECURE-AEAD-FRAME-003",
                        "SECURE-AEAD-FRAME-004",
                        "SECURE-AEAD-FRAME-005",
                        "SECURE-AEAD-FRAME-006",
                        "SECURE-DOWNGRADE-001",
                        "SECURE-DOWNGRADE-002",
                        "SECURE-TAMPER-001",
                        "SECURE-KEY-002",
                    ],
                    format!("open {dn} sealed by the reference under key {kn} with nonce {nn}"),
                    "frame.open",
                    open_args(&bytes, "aead", &k),
                    Want::Reference(None),
                ));
            }
        }
        let k = rep(0x42, 32);
        let bytes = seal_ref(reference, d, "aead", &k, Some(&seq(1, 12)));
        v.push(spec(
            f,
            format!("aead-frame-open-text-{dn}"),
            &["SECURE-TEXT-001", "SECURE-AEAD-FRAME-003"],
            format!("open the text form of {dn}"),
            "frame.open",
            json!({ "wire": text_form(&bytes), "mode": "aead", "key_hex": k }),
            Want::Reference(None),
        ));
    }
    let k = rep(0x42, 32);
    let nonce = seq(1, 12);
    let d = doc("req-a");
    let a = seal_ref(reference, d, "aead", &k, Some(&nonce));
    let end = 7 + usize::from(u16::from_le_bytes([a[7], a[8]]));
    // negatives
    let mut down = a.clone();
    down[10] = 0;
    v.push(spec(
        f,
        "aead-frame-downgrade-to-plain",
        &["SECURE-DOWNGRADE-001", "SECURE-AEAD-FRAME-003"],
        "security byte rewritten 0x02 → 0x00",
        "frame.open",
        open_args(&down, "aead", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_DIFFERENT_CHECK_ORDER"),
        ),
    ));
    let mut to_hmac = a.clone();
    to_hmac[10] = 1;
    v.push(spec(
        f,
        "aead-frame-relabelled-hmac",
        &["SECURE-DOWNGRADE-001"],
        "security byte rewritten 0x02 → 0x01",
        "frame.open",
        open_args(&to_hmac, "aead", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_DIFFERENT_CHECK_ORDER"),
        ),
    ));
    let mut undefined = a.clone();
    undefined[10] = 0x12;
    v.push(spec(
        f,
        "aead-frame-security-12",
        &["SECURE-DOWNGRADE-002"],
        "security byte 0x12 is undefined",
        "frame.open",
        open_args(&undefined, "aead", &k),
        Want::Error(
            "unknown_security_mode",
            Some("UPSTREAM_DIFFERENT_CHECK_ORDER"),
        ),
    ));
    v.push(spec(
        f,
        "aead-frame-opened-as-hmac",
        &["SECURE-DOWNGRADE-001"],
        "an intact AEAD frame opened by a receiver that requires HMAC",
        "frame.open",
        open_args(&a, "hmac", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_READS_MODE_FROM_FRAME"),
        ),
    ));
    let plain = M2MCodec::new().encode(d).expect("plain");
    v.push(spec(
        f,
        "aead-plain-frame-refused",
        &["SECURE-DOWNGRADE-001"],
        "a plain frame given to a receiver that requires AEAD",
        "frame.open",
        open_args(&plain, "aead", &k),
        Want::Error(
            "security_mode_mismatch",
            Some("UPSTREAM_READS_MODE_FROM_FRAME"),
        ),
    ));
    v.push(spec(
        f,
        "aead-frame-wrong-key",
        &["SECURE-AEAD-FRAME-003", "SECURE-TAMPER-001"],
        "opened with another key",
        "frame.open",
        open_args(&a, "aead", &rep(0x43, 32)),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "aead-frame-truncated-tag-1",
        &["SECURE-AEAD-FRAME-003", "SECURE-TAMPER-001"],
        "the last tag byte removed",
        "frame.open",
        open_args(&a[..a.len() - 1], "aead", &k),
        Want::Error("auth_failed", None),
    ));
    let mut extended = a.clone();
    extended.push(0);
    v.push(spec(
        f,
        "aead-frame-byte-appended",
        &["SECURE-AEAD-FRAME-003", "SECURE-TAMPER-001"],
        "one byte appended after the tag",
        "frame.open",
        open_args(&extended, "aead", &k),
        Want::Error("auth_failed", None),
    ));
    v.push(spec(
        f,
        "aead-frame-27-bytes-after-header",
        &["SECURE-AEAD-FRAME-003"],
        "27 bytes after the headers: shorter than nonce and tag",
        "frame.open",
        open_args(&a[..end + 27], "aead", &k),
        Want::Error("truncated", None),
    ));
    v.push(spec(
        f,
        "aead-frame-headers-only",
        &["SECURE-AEAD-FRAME-003"],
        "the headers without any sealed bytes",
        "frame.open",
        open_args(&a[..end], "aead", &k),
        Want::Error("truncated", None),
    ));
    v.push(spec(
        f,
        "aead-frame-cut-in-header",
        &["SECURE-AEAD-FRAME-003"],
        "cut inside the variable header",
        "frame.open",
        open_args(&a[..end - 2], "aead", &k),
        Want::Error("truncated", None),
    ));
    v.push(spec(
        f,
        "aead-frame-cut-in-fixed-header",
        &["SECURE-AEAD-FRAME-003"],
        "cut inside the fixed header",
        "frame.open",
        open_args(&a[..20], "aead", &k),
        Want::Error("truncated", None),
    ));
    let mut hl = a.clone();
    hl[7] = 19;
    hl[8] = 0;
    v.push(spec(
        f,
        "aead-frame-header-len-19",
        &["SECURE-AEAD-FRAME-003"],
        "header_len 19 is below the fixed header",
        "frame.open",
        open_args(&hl, "aead", &k),
        Want::Error("header_len_invalid", None),
    ));
    for n in [0usize, 16, 31] {
        v.push(spec(
            f,
            format!("aead-frame-key-{n}-bytes"),
            &["SECURE-KEY-002", "SECURE-AEAD-FRAME-003"],
            format!("opening with a {n}-byte key"),
            "frame.open",
            open_args(&a, "aead", &rep(0x42, n)),
            Want::Error("invalid_key", None),
        ));
        v.push(spec(
            f,
            format!("aead-frame-seal-key-{n}-bytes"),
            &["SECURE-KEY-002", "SECURE-AEAD-FRAME-001"],
            format!("sealing with a {n}-byte key"),
            "frame.seal",
            json!({ "json": d, "mode": "aead", "key_hex": rep(0x42, n), "nonce_hex": nonce }),
            Want::Error("invalid_key", None),
        ));
    }
    // The key is checked before the input is read (SECURE-KEY-004); upstream uses the key only
    // after reading the input (SECURE-DIV-005).
    let late = "UPSTREAM_CHECKS_KEY_LATE";
    let kr = &["SECURE-KEY-004", "SECURE-DIV-005", "SECURE-KEY-002"];
    v.push(spec(
        f,
        "aead-frame-seal-key-0-bytes-invalid-json",
        &[kr[0], kr[1], kr[2], "SECURE-AEAD-FRAME-001"],
        "sealing a document that is not JSON with an empty key: the key is checked first (upstream, known from its code: the frame is built from the JSON before encode_secure sees the key)",
        "frame.seal",
        json!({ "json": "{\"model\":", "mode": "aead", "key_hex": "", "nonce_hex": nonce }),
        Want::ErrorKnownLenient("invalid_key", late, Outcome::Error("invalid_json".into())),
    ));
    let not_a_frame = [M2M_PREFIX.as_bytes(), d.as_bytes()].concat();
    v.push(spec(
        f,
        "aead-frame-key-0-bytes-text-not-a-frame",
        &[kr[0], kr[1], kr[2], "SECURE-AEAD-FRAME-003", "SECURE-TEXT-001"],
        "opening the text form of a JSON document behind the prefix with an empty key: after the text form's checks, the key is checked before the headers",
        "frame.open",
        json!({ "wire": text_form(&not_a_frame), "mode": "aead", "key_hex": "" }),
        Want::Error("invalid_key", Some(late)),
    ));
    for (id, what, bytes, n) in [
        (
            "aead-frame-key-16-bytes-cut-in-header",
            "opening an AEAD frame cut inside its variable header with a 16-byte key: the key is checked before the headers",
            &a[..end - 2],
            16usize,
        ),
        (
            "aead-frame-key-0-bytes-cut-after-headers",
            "opening an AEAD frame cut 20 bytes after its headers with an empty key: the key is checked before the nonce and tag are looked for",
            &a[..end + 20],
            0,
        ),
    ] {
        v.push(spec(
            f,
            id,
            &[kr[0], kr[1], kr[2], "SECURE-AEAD-FRAME-003"],
            what,
            "frame.open",
            open_args(bytes, "aead", &rep(0x42, n)),
            Want::Error("invalid_key", Some(late)),
        ));
    }
    v.push(spec(
        f,
        "aead-frame-key-33-bytes",
        &["SECURE-KEY-002"],
        "opening with a 33-byte key whose first 32 bytes are the right key",
        "frame.open",
        open_args(&a, "aead", &rep(0x42, 33)),
        Want::Error("invalid_key", Some("UPSTREAM_TRUNCATES_AEAD_KEY")),
    ));
    v.push(spec(
        f,
        "aead-frame-seal-nonce-11",
        &["SECURE-AEAD-002", "SECURE-AEAD-FRAME-001"],
        "sealing with an 11-byte nonce",
        "frame.seal",
        json!({ "json": d, "mode": "aead", "key_hex": k, "nonce_hex": rep(1, 11) }),
        Want::Error("invalid_nonce", None),
    ));
    v.push(spec(
        f,
        "aead-frame-message-limit",
        &["SECURE-AEAD-FRAME-003"],
        "a secured frame one byte over max_message_bytes",
        "frame.open",
        json!({ "hex": h(&a), "mode": "aead", "key_hex": k, "max_message_bytes": a.len() - 1 }),
        Want::Error("message_too_large", Some("UPSTREAM_NO_SIZE_LIMIT")),
    ));
    v.push(near(spec(
        f,
        "aead-frame-message-limit-exact",
        &["SECURE-AEAD-FRAME-003"],
        "a secured frame of exactly max_message_bytes",
        "frame.open",
        json!({ "hex": h(&a), "mode": "aead", "key_hex": k, "max_message_bytes": a.len() }),
        Want::Reference(None),
    )));
    // a keyed producer's malformed plaintext: sealed correctly, rejected after decryption
    let plain_tail = plain[end..].to_vec(); // payload_len ‖ crc ‖ payload
    let reseal = |pt: &[u8], hdr: &[u8]| -> Vec<u8> {
        let mut out = hdr.to_vec();
        out.extend(unhex(&aead_seal_upstream(
            &k,
            &nonce,
            &h(&hdr[7..]),
            &h(pt),
        )));
        out
    };
    let hdr = a[..end].to_vec();
    let mut long_len = plain_tail.clone();
    long_len[0] += 1;
    v.push(spec(
        f,
        "aead-frame-inner-length-too-big",
        &["SECURE-AEAD-FRAME-005"],
        "the sealed payload_len is one more than the payload",
        "frame.open",
        open_args(&reseal(&long_len, &hdr), "aead", &k),
        Want::Error("payload_length_mismatch", None),
    ));
    let mut short_len = plain_tail.clone();
    short_len[0] -= 1;
    v.push(spec(
        f,
        "aead-frame-inner-length-too-small",
        &["SECURE-AEAD-FRAME-005"],
        "the sealed payload_len is one less than the payload",
        "frame.open",
        open_args(&reseal(&short_len, &hdr), "aead", &k),
        Want::Error("payload_length_mismatch", None),
    ));
    v.push(spec(
        f,
        "aead-frame-inner-too-short",
        &["SECURE-AEAD-FRAME-004"],
        "a sealed plaintext of 7 bytes has no room for length and checksum",
        "frame.open",
        open_args(&reseal(&plain_tail[..7], &hdr), "aead", &k),
        Want::Error("truncated", None),
    ));
    v.push(near(spec(f, "aead-frame-inner-empty-payload", &["SECURE-AEAD-FRAME-004", "SECURE-AEAD-FRAME-005"], "a sealed plaintext of exactly 8 bytes: an empty payload is not too short (it fails later, on its checksum)", "frame.open",
        open_args(&reseal(&[0, 0, 0, 0, 0, 0, 0, 0], &hdr), "aead", &k), Want::Reference(None))));
    let mut bad_crc = plain_tail.clone();
    bad_crc[4] ^= 1;
    v.push(spec(
        f,
        "aead-frame-inner-bad-crc",
        &["SECURE-AEAD-FRAME-006"],
        "a sealed plaintext whose CRC is wrong",
        "frame.open",
        open_args(&reseal(&bad_crc, &hdr), "aead", &k),
        Want::Error("crc_mismatch", None),
    ));
    let mut hdr_reserved = hdr.clone();
    hdr_reserved[20] = 1;
    v.push(spec(
        f,
        "aead-frame-authenticated-reserved-byte",
        &["SECURE-AEAD-FRAME-006"],
        "a reserved header byte set in an authenticated header",
        "frame.open",
        open_args(&reseal(&plain_tail, &hdr_reserved), "aead", &k),
        Want::Error("reserved_nonzero", Some("UPSTREAM_IGNORES_RESERVED")),
    ));
    v.push(near(spec(
        f,
        "aead-frame-resealed-ok",
        &["SECURE-AEAD-FRAME-006", "SECURE-AEAD-FRAME-001"],
        "the same construction without a defect opens",
        "frame.open",
        open_args(&reseal(&plain_tail, &hdr), "aead", &k),
        Want::Reference(None),
    )));
}

fn frame_upstream_cases(frames: &[Value], v: &mut Vec<Spec>) {
    let f = "frame-upstream";
    let keys: Vec<(&str, String)> = aead_keys();
    for (i, fr) in frames.iter().enumerate() {
        let dn = fr["doc"].as_str().expect("doc");
        let kn = fr["key"].as_str().expect("key");
        let key = &keys.iter().find(|(n, _)| *n == kn).expect("key").1;
        let (form, mut args) = match (fr.get("hex"), fr.get("wire")) {
            (Some(x), _) => ("binary", json!({ "hex": x })),
            (_, Some(w)) => ("text", json!({ "wire": w })),
            _ => unreachable!(),
        };
        args["mode"] = json!("aead");
        args["key_hex"] = json!(key);
        v.push(spec(
            f,
            format!("aead-upstream-{i:02}-{dn}-{kn}-{form}"),
            &[
                "SECURE-AEAD-FRAME-001",
                "SECURE-AEAD-FRAME-003",
                "SECURE-TEXT-001",
            ],
            format!(
                "{dn} sealed by upstream 0.4.0 under key {kn} ({form} form, random nonce) opens"
            ),
            "frame.open",
            args,
            Want::Upstream,
        ));
    }
}

fn bitflip_cases(reference: &mut Reference, v: &mut Vec<Spec>) {
    let k = rep(0x42, 32);
    let d = doc("req-min");
    for (mode, file, nonce) in [
        ("hmac", "bitflip-hmac", None),
        ("aead", "bitflip-aead", Some(seq(1, 12))),
    ] {
        let frame = seal_ref(reference, d, mode, &k, nonce.as_deref());
        for bit in 0..frame.len() * 8 {
            let mut x = frame.clone();
            x[bit / 8] ^= 1 << (bit % 8);
            v.push(spec(
                file,
                format!("{mode}-flip-{:03}-{}", bit / 8, bit % 8),
                &["SECURE-TAMPER-001"],
                format!(
                    "{mode} frame of {d} with bit {} of byte {} flipped",
                    bit % 8,
                    bit / 8
                ),
                "frame.open",
                open_args(&x, mode, &k),
                Want::Tamper,
            ));
        }
    }
}

/// Print how many upstream-produced frames were checked in the reference, and how many
/// reference-produced frames upstream opened.
pub fn both_ways_summary(cases: &[(&str, &str, &str)]) {
    let up_frames = cases
        .iter()
        .filter(|(id, _, c)| id.starts_with("aead-upstream-") && *c == "upstream-0.4.0")
        .count();
    let hmac_up = cases
        .iter()
        .filter(|(id, _, c)| id.starts_with("hmac-frame-seal-") && *c == "upstream-0.4.0")
        .count();
    let ref_opened = cases
        .iter()
        .filter(|(id, r, c)| {
            (id.starts_with("aead-frame-open-") || id.starts_with("hmac-frame-open-"))
                && *r == "valid"
                && *c == "upstream-0.4.0"
        })
        .count();
    eprintln!("both ways: {up_frames} AEAD frames sealed by upstream (random nonces) open in the reference; {hmac_up} HMAC frames sealed by upstream match the reference byte for byte; {ref_opened} frames sealed by the reference open in upstream");
}
