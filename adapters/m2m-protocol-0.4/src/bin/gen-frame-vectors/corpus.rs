//! The committed input corpus of the frame vectors: every document, frame and mutation the
//! generator runs, with the requirement ids each one checks.

use serde_json::{json, Value};

use crate::frames::{self, routing, varint, Frame};
use crate::{testee, Spec, Want};

// ------------------------------------------------------------------------------------------
// small constructors

fn lit(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn rep(s: &str, count: usize) -> Value {
    json!({ "$repeat": s, "count": count })
}

fn concat(parts: Vec<Value>) -> Value {
    json!({ "$concat": parts })
}

fn spec(
    file: &'static str,
    id: &str,
    reqs: &[&'static str],
    desc: &str,
    op: &'static str,
    input: Value,
    want: Want,
) -> Spec {
    Spec {
        file,
        id: id.to_owned(),
        reqs: reqs.to_vec(),
        description: desc.to_owned(),
        op,
        input,
        want,
        near_miss: false,
    }
}

/// Upstream's binary frame for a JSON text (the encode golden's bytes).
fn upstream_frame(json_text: &str) -> Vec<u8> {
    match testee::upstream("frame.encode", &json!({ "json": json_text })) {
        testee::Outcome::Ok(v) => hex::decode(v["hex"].as_str().expect("hex")).expect("hex"),
        other => panic!("upstream cannot encode {json_text}: {}", other.brief()),
    }
}

fn hex_input(frame: &Frame) -> Value {
    json!({ "hex": crate::squeeze(&frame.spaced_hex()) })
}

fn raw_hex_input(bytes: &[u8]) -> Value {
    json!({ "hex": hex::encode(bytes) })
}

// ------------------------------------------------------------------------------------------
// encode corpus

/// One encoder input.
struct Enc {
    id: String,
    reqs: Vec<&'static str>,
    desc: String,
    json: Value,
    want: Want,
    /// Also emit a decode golden of upstream's frame.
    decode: bool,
    /// Also emit a peek golden.
    peek: bool,
    /// Also emit a text-form decode golden.
    text: bool,
    /// A near miss (flag `NEAR_MISS`) of every requirement it cites.
    near_miss: bool,
}

fn e(id: &str, reqs: &[&'static str], desc: &str, json_text: &str) -> Enc {
    Enc {
        id: id.to_owned(),
        reqs: reqs.to_vec(),
        desc: desc.to_owned(),
        json: lit(json_text),
        want: Want::Upstream,
        decode: true,
        peek: false,
        text: false,
        near_miss: false,
    }
}

impl Enc {
    fn gen(mut self, v: Value) -> Enc {
        self.json = v;
        self
    }
    fn want(mut self, w: Want) -> Enc {
        self.want = w;
        self.decode = false;
        self
    }
    fn peek(mut self) -> Enc {
        self.peek = true;
        self
    }
    fn text(mut self) -> Enc {
        self.text = true;
        self
    }
    fn no_decode(mut self) -> Enc {
        self.decode = false;
        self
    }
    /// A near miss; no derived decode golden (those would be plain positives).
    fn near_miss(mut self) -> Enc {
        self.near_miss = true;
        self.decode = false;
        self
    }
}

const TEST_REQUEST: &str = r#"{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is 2+2?"}],"temperature":0.7,"max_tokens":1000}"#;
const TEST_RESPONSE: &str = r#"{"id":"chatcmpl-abc123","object":"chat.completion","created":1705520400,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"The answer is 4."},"finish_reason":"stop"}],"usage":{"prompt_tokens":50,"completion_tokens":10,"total_tokens":60}}"#;
const FRAME_A: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;
/// A small raw response (has_usage, has_cost_estimate).
const SMALL_RESPONSE: &str =
    r#"{"id":"chatcmpl-1","choices":[{"finish_reason":"stop"}],"usage":{}}"#;

fn request_with(extra: &str) -> String {
    format!(r#"{{"model":"m","messages":[{{"role":"user","content":"x"}}]{extra}}}"#)
}

fn requests() -> Vec<Enc> {
    let mut v = vec![
        e("frame-enc-req-a", &["FRAME-LAYOUT-001", "FRAME-LAYOUT-002", "FRAME-LAYOUT-003", "FRAME-FIXED-001", "FRAME-SEC-001", "FRAME-FLAGS-001", "FRAME-ROUTE-001", "FRAME-ROUTE-006", "FRAME-CRC-001", "FRAME-TEXT-001", "FRAME-PAYLOAD-001", "FRAME-COMPRESS-001", "FRAME-DIV-003", "FRAME-DIV-005"],
          "frame A of spec 05-frame §14: a 62-byte user request, raw payload, header_len 34, CRC a455606e", FRAME_A).peek().text(),
        e("frame-enc-req-upstream-test-request", &["FRAME-FLAGS-001", "FRAME-FLAGS-002", "FRAME-ROUTE-001", "FRAME-ROUTE-005", "FRAME-COST-002", "FRAME-COMPRESS-001", "FRAME-COMPRESS-002"],
          "upstream's TEST_REQUEST (167 bytes): flags 41 10 00 01, max_tokens 1000, Brotli payload", TEST_REQUEST).peek().text(),
    ];
    // ---- roles
    for (role, code) in [
        ("system", "0"),
        ("developer", "0"),
        ("user", "1"),
        ("assistant", "2"),
        ("tool", "3"),
    ] {
        let mut reqs = vec!["FRAME-ROLES-001", "FRAME-ROLES-002"];
        if role == "system" || role == "developer" {
            reqs.push("FRAME-DETECT-001");
        }
        if role == "developer" || role == "tool" {
            reqs.push("FRAME-DIV-002");
        }
        v.push(
            e(
                &format!("frame-enc-req-role-{role}"),
                &reqs,
                &format!("one `{role}` message packs to role code {code}"),
                &format!(r#"{{"model":"m","messages":[{{"role":"{role}","content":"c"}}]}}"#),
            )
            .peek(),
        );
    }
    v.push(e("frame-enc-req-roles-4", &["FRAME-ROLES-001", "FRAME-ROLES-002", "FRAME-DETECT-001"], "four roles fill exactly one packed byte (system,user,assistant,tool → e4)",
        r#"{"model":"m","messages":[{"role":"system"},{"role":"user"},{"role":"assistant"},{"role":"tool"}]}"#).peek());
    v.push(e("frame-enc-req-roles-5", &["FRAME-ROLES-002", "FRAME-DETECT-001"], "[system,user,assistant,user,assistant] packs to 64 02",
        r#"{"model":"m","messages":[{"role":"system"},{"role":"user"},{"role":"assistant"},{"role":"user"},{"role":"assistant"}]}"#).peek());
    v.push(e("frame-enc-req-roles-8", &["FRAME-ROLES-002"], "eight roles use two full bytes",
        r#"{"model":"m","messages":[{"role":"tool"},{"role":"tool"},{"role":"tool"},{"role":"tool"},{"role":"user"},{"role":"user"},{"role":"user"},{"role":"user"}]}"#));
    v.push(e("frame-enc-req-roles-9", &["FRAME-ROLES-002"], "nine roles: the third byte holds one role, its high bits zero",
        r#"{"model":"","messages":[{"role":"user"},{"role":"user"},{"role":"user"},{"role":"user"},{"role":"user"},{"role":"user"},{"role":"user"},{"role":"user"},{"role":"tool"}]}"#));
    v.push(e("frame-enc-req-role-developer-and-system", &["FRAME-DETECT-001", "FRAME-ROLES-001"], "developer and system both set has_system_prompt once",
        r#"{"model":"m","messages":[{"role":"developer","content":"d"},{"role":"system","content":"s"}]}"#));
    v.push(
        e(
            "frame-enc-req-messages-empty",
            &["FRAME-ROUTE-003", "FRAME-ROLES-002"],
            "empty messages: msg_count 0, no roles bytes",
            r#"{"model":"m","messages":[]}"#,
        )
        .peek(),
    );
    v.push(e(
        "frame-enc-req-messages-object",
        &["FRAME-ROUTE-003", "FRAME-ENC-002"],
        "messages that is an object counts 0 messages",
        r#"{"model":"m","messages":{}}"#,
    ));
    v.push(e(
        "frame-enc-req-messages-null",
        &["FRAME-ROUTE-003"],
        "messages null counts 0 messages",
        r#"{"model":"m","messages":null}"#,
    ));
    v.push(e(
        "frame-enc-req-messages-string",
        &["FRAME-ROUTE-003"],
        "messages that is a string counts 0 messages",
        r#"{"model":"m","messages":"hello"}"#,
    ));
    // unencodable roles
    for (id, desc, doc) in [
        (
            "frame-enc-req-role-function",
            "a `function` role cannot be packed",
            r#"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"function","content":"b"}]}"#,
        ),
        (
            "frame-enc-req-role-missing",
            "a message without role cannot be packed",
            r#"{"model":"m","messages":[{"content":"no role"}]}"#,
        ),
        (
            "frame-enc-req-role-number",
            "a numeric role cannot be packed",
            r#"{"model":"m","messages":[{"role":1}]}"#,
        ),
        (
            "frame-enc-req-role-capitalised",
            "role strings are case-sensitive: `System` cannot be packed",
            r#"{"model":"m","messages":[{"role":"System","content":"s"}]}"#,
        ),
        (
            "frame-enc-req-message-not-object",
            "a message that is not an object cannot be packed",
            r#"{"model":"m","messages":[1]}"#,
        ),
        (
            "frame-enc-req-role-unknown-middle",
            "an unknown role between known ones",
            r#"{"model":"m","messages":[{"role":"system"},{"role":"critic"},{"role":"user"}]}"#,
        ),
    ] {
        v.push(e(id, &["FRAME-ROLES-003"], desc, doc).want(Want::Error(
            "unencodable_input",
            Some("UPSTREAM_SKIPS_UNKNOWN_ROLES"),
        )));
    }
    // ---- request flags, one at a time
    let flag_cases: &[(&str, &[&'static str], &str, &str)] = &[
        (
            "tools",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","tools":[]"#,
            "`tools` sets has_tools",
        ),
        (
            "tools-null",
            &["FRAME-DETECT-003"],
            r#","tools":null"#,
            "`tools` set to null still sets has_tools",
        ),
        (
            "functions",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","functions":[]"#,
            "`functions` sets has_tools",
        ),
        (
            "tool-choice",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","tool_choice":"auto""#,
            "`tool_choice` sets has_tool_choice",
        ),
        (
            "function-call",
            &["FRAME-DETECT-003"],
            r#","function_call":"none""#,
            "`function_call` sets has_tool_choice",
        ),
        (
            "stream-true",
            &["FRAME-DETECT-004", "FRAME-FLAGS-002"],
            r#","stream":true"#,
            "`stream: true` sets stream_requested",
        ),
        (
            "stream-false",
            &["FRAME-DETECT-004"],
            r#","stream":false"#,
            "`stream: false` leaves stream_requested clear",
        ),
        (
            "stream-string",
            &["FRAME-DETECT-004"],
            r#","stream":"true""#,
            "`stream: \"true\"` (a string) leaves stream_requested clear",
        ),
        (
            "stream-one",
            &["FRAME-DETECT-004"],
            r#","stream":1"#,
            "`stream: 1` leaves stream_requested clear",
        ),
        (
            "response-format",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","response_format":{}"#,
            "`response_format` sets has_response_format",
        ),
        (
            "reasoning-effort",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","reasoning_effort":"low""#,
            "`reasoning_effort` sets has_reasoning_effort",
        ),
        (
            "service-tier",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","service_tier":"auto""#,
            "`service_tier` sets has_service_tier",
        ),
        (
            "seed",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","seed":7"#,
            "`seed` sets has_seed",
        ),
        (
            "logprobs-false",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","logprobs":false"#,
            "`logprobs: false` still sets has_logprobs (key presence)",
        ),
        (
            "user",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","user":"u1""#,
            "`user` sets has_user_id",
        ),
        (
            "temperature",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","temperature":0"#,
            "`temperature` sets has_temperature",
        ),
        (
            "top-p",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","top_p":1"#,
            "`top_p` sets has_top_p",
        ),
        (
            "stop-null",
            &["FRAME-DETECT-003", "FRAME-FLAGS-002"],
            r#","stop":null"#,
            "`stop: null` still sets has_stop (key presence)",
        ),
        (
            "max-tokens",
            &[
                "FRAME-DETECT-005",
                "FRAME-ROUTE-005",
                "FRAME-FLAGS-002",
                "FRAME-COST-003",
            ],
            r#","max_tokens":1000"#,
            "`max_tokens` sets has_max_tokens and writes the varint e8 07",
        ),
        (
            "max-completion-tokens",
            &["FRAME-DETECT-005", "FRAME-ROUTE-005", "FRAME-DIV-004"],
            r#","max_completion_tokens":7"#,
            "`max_completion_tokens` feeds max_tokens when `max_tokens` is absent",
        ),
        (
            "max-tokens-precedence",
            &["FRAME-ROUTE-005"],
            r#","max_tokens":3,"max_completion_tokens":9"#,
            "`max_tokens` wins over `max_completion_tokens`",
        ),
        (
            "max-tokens-0",
            &["FRAME-ROUTE-005", "FRAME-COST-003"],
            r#","max_tokens":0"#,
            "max_tokens 0 is written (varint 00) and prices 0 completion tokens",
        ),
        (
            "max-tokens-127",
            &["FRAME-ROUTE-005"],
            r#","max_tokens":127"#,
            "max_tokens 127: one varint byte",
        ),
        (
            "max-tokens-128",
            &["FRAME-ROUTE-005"],
            r#","max_tokens":128"#,
            "max_tokens 128: two varint bytes 80 01",
        ),
        (
            "max-tokens-16384",
            &["FRAME-ROUTE-005"],
            r#","max_tokens":16384"#,
            "max_tokens 16384: three varint bytes",
        ),
        (
            "max-tokens-u32-max",
            &["FRAME-ROUTE-005"],
            r#","max_tokens":4294967295"#,
            "max_tokens u32::MAX: five varint bytes ff ff ff ff 0f",
        ),
        (
            "max-tokens-2pow32",
            &["FRAME-ROUTE-005"],
            r#","max_tokens":4294967296"#,
            "max_tokens 2^32 is written modulo 2^32 (0)",
        ),
        (
            "max-tokens-2pow32-plus-5",
            &["FRAME-ROUTE-005"],
            r#","max_tokens":4294967301"#,
            "max_tokens 2^32+5 is written modulo 2^32 (5)",
        ),
    ];
    for (name, reqs, extra, desc) in flag_cases {
        v.push(
            e(
                &format!("frame-enc-req-flag-{name}"),
                reqs,
                desc,
                &request_with(extra),
            )
            .peek(),
        );
    }
    // max_tokens present but not an unsigned integer: the spec clears the flag
    for (name, extra) in [
        ("null", r#","max_tokens":null"#),
        ("float", r#","max_tokens":1.5"#),
        ("negative", r#","max_tokens":-1"#),
        ("string", r#","max_tokens":"100""#),
        ("float-integral", r#","max_tokens":1000.0"#),
        (
            "null-with-completion",
            r#","max_tokens":null,"max_completion_tokens":5"#,
        ),
        ("completion-string", r#","max_completion_tokens":"5""#),
    ] {
        v.push(
            e(&format!("frame-enc-req-max-tokens-{name}"), &["FRAME-DETECT-005", "FRAME-ROUTE-005"],
              &format!("`{}` is not an unsigned integer: has_max_tokens clear, no field, cost with 500 completion tokens", extra.trim_start_matches(',')),
              &request_with(extra))
            .want(Want::Reference(Some("UPSTREAM_FLAGS_UNWRITTEN_MAX_TOKENS"))),
        );
    }
    v.push(e("frame-enc-req-image", &["FRAME-DETECT-002", "FRAME-FLAGS-002", "FRAME-ROUTE-004"], "an image_url content part sets has_images; parts without text add nothing to content_hint",
        r#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"u"}}]}]}"#).peek());
    v.push(e(
        "frame-enc-req-image-type-image",
        &["FRAME-DETECT-002"],
        "a part of type `image` (not `image_url`) leaves has_images clear",
        r#"{"model":"m","messages":[{"role":"user","content":[{"type":"image","url":"u"}]}]}"#,
    ));
    v.push(e("frame-enc-req-image-with-text", &["FRAME-DETECT-002", "FRAME-ROUTE-004"], "text parts count toward content_hint whatever their type",
        r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"abc"},{"type":"image_url","text":"de"}]}]}"#));
    v.push(
        e("frame-enc-req-all-flags", &["FRAME-FLAGS-001", "FRAME-FLAGS-002", "FRAME-DETECT-001", "FRAME-DETECT-002", "FRAME-DETECT-003", "FRAME-DETECT-004", "FRAME-DETECT-005", "FRAME-COMPRESS-002"],
          "every request flag bit 0-14 set at once (7f ff in the flag word), Brotli payload",
          r#"{"model":"gpt-4o","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:,"}}]}],"tools":[],"tool_choice":"auto","stream":true,"response_format":{"type":"json_object"},"max_tokens":64,"reasoning_effort":"high","service_tier":"default","seed":1,"logprobs":true,"user":"u","temperature":0.5,"top_p":0.9,"stop":["\n"]}"#)
        .peek(),
    );
    // ---- models
    v.push(
        e(
            "frame-enc-req-model-missing",
            &["FRAME-ROUTE-002", "FRAME-ENC-002"],
            "no model key: a request (the default) with model \"\"",
            r#"{"messages":[{"role":"user","content":"x"}]}"#,
        )
        .peek(),
    );
    v.push(e(
        "frame-enc-req-model-empty",
        &["FRAME-ROUTE-002", "FRAME-COST-001"],
        "model \"\": length byte 00, default pricing",
        r#"{"model":"","messages":[]}"#,
    ));
    v.push(e(
        "frame-enc-req-model-1",
        &["FRAME-ROUTE-002"],
        "a 1-byte model",
        r#"{"model":"a","messages":[]}"#,
    ));
    v.push(e(
        "frame-enc-req-model-number",
        &["FRAME-ROUTE-002"],
        "a numeric model is written as \"\"",
        r#"{"model":5,"messages":[]}"#,
    ));
    v.push(e(
        "frame-enc-req-model-null",
        &["FRAME-ROUTE-002"],
        "a null model is written as \"\"",
        r#"{"model":null,"messages":[]}"#,
    ));
    v.push(
        e(
            "frame-enc-req-model-unicode",
            &["FRAME-ROUTE-002", "FRAME-ENC-005"],
            "a non-ASCII model: its length byte counts UTF-8 bytes",
            r#"{"model":"模型-ü","messages":[{"role":"user","content":"x"}]}"#,
        )
        .peek()
        .text(),
    );
    let model_doc = |model: Value| {
        concat(vec![
            lit(r#"{"model":""#),
            model,
            lit(r#"","messages":[]}"#),
        ])
    };
    v.push(
        e(
            "frame-enc-req-model-255",
            &["FRAME-ENC-003", "FRAME-ROUTE-002", "FRAME-COMPRESS-002"],
            "a 255-byte model (the longest that fits the length byte)",
            "",
        )
        .gen(model_doc(rep("a", 255)))
        .peek(),
    );
    v.push(
        e(
            "frame-enc-req-model-255-unicode",
            &["FRAME-ENC-003", "FRAME-COMPRESS-002"],
            "a 255-byte model of 85 three-byte characters",
            "",
        )
        .gen(model_doc(rep("模", 85))),
    );
    v.push(
        e(
            "frame-enc-req-model-256",
            &["FRAME-ENC-003"],
            "a 256-byte model does not fit the length byte",
            "",
        )
        .gen(model_doc(rep("a", 256)))
        .want(Want::Error(
            "input_too_large",
            Some("UPSTREAM_WRAPS_LENGTH_BYTE"),
        )),
    );
    v.push(
        e(
            "frame-enc-req-model-300",
            &["FRAME-ENC-003"],
            "a 300-byte model does not fit the length byte",
            "",
        )
        .gen(model_doc(rep("b", 300)))
        .want(Want::Error(
            "input_too_large",
            Some("UPSTREAM_WRAPS_LENGTH_BYTE"),
        )),
    );
    v.push(
        e(
            "frame-enc-req-model-256-unicode",
            &["FRAME-ENC-003"],
            "86 three-byte characters (258 bytes, 86 chars) do not fit the length byte",
            "",
        )
        .gen(model_doc(rep("模", 86)))
        .want(Want::Error(
            "input_too_large",
            Some("UPSTREAM_WRAPS_LENGTH_BYTE"),
        )),
    );
    // ---- pricing table, one row each
    for model in [
        "gpt-4o-mini",
        "gpt-4o",
        "gpt-4-turbo",
        "gpt-4",
        "gpt-3.5-turbo",
        "o1-preview",
        "o1-mini",
        "o3-mini",
        "o3",
        "claude-3-opus",
        "claude-3.5-sonnet",
        "claude-3-5-sonnet",
        "claude-3-sonnet",
        "claude-3.5-haiku",
        "claude-3-5-haiku",
        "claude-3-haiku",
        "gemini-1.5-pro",
        "gemini-1.5-flash",
        "gemini-2.0-flash",
        "llama-3",
        "GPT-4O",
        "openai/gpt-4o",
        "o1",
        "gpt-4o-mini-2024",
        "Claude-3-Haiku",
    ] {
        let id = model.to_ascii_lowercase().replace('/', "-");
        let id = if model.chars().any(|c| c.is_ascii_uppercase()) {
            format!("{id}-upper")
        } else {
            id
        };
        v.push(e(&format!("frame-enc-req-cost-{id}"), &["FRAME-COST-001", "FRAME-COST-002", "FRAME-COST-003"],
            &format!("pricing row of `{model}` (content_hint 8 → 2 prompt tokens, 500 completion tokens)"),
            &format!(r#"{{"model":"{model}","messages":[{{"role":"user","content":"abcdefgh"}}]}}"#)));
    }
    v.push(e("frame-enc-req-cost-max-tokens", &["FRAME-COST-003"], "max_tokens replaces the 500 default completion tokens in the cost",
        r#"{"model":"gpt-4","messages":[{"role":"user","content":"abcdefghijkl"}],"max_tokens":50}"#).peek());
    // ---- content_hint
    v.push(
        e(
            "frame-enc-req-hint-unicode",
            &["FRAME-ROUTE-004", "FRAME-ENC-005"],
            "content_hint counts UTF-8 bytes (é = 2, 😀 = 4)",
            r#"{"model":"m","messages":[{"role":"user","content":"é😀"}]}"#,
        )
        .peek()
        .text(),
    );
    v.push(e("frame-enc-req-hint-sum", &["FRAME-ROUTE-004"], "content_hint sums over messages", r#"{"model":"m","messages":[{"role":"user","content":"abc"},{"role":"assistant","content":"defg"}]}"#));
    v.push(e("frame-enc-req-hint-null", &["FRAME-ROUTE-004"], "null and numeric contents add 0", r#"{"model":"m","messages":[{"role":"user","content":null},{"role":"user","content":12345}]}"#));
    v.push(
        e(
            "frame-enc-req-hint-escapes",
            &["FRAME-ROUTE-004", "FRAME-PAYLOAD-001"],
            "content_hint counts decoded string bytes, not JSON escapes",
            r#"{"model":"m","messages":[{"role":"user","content":"\u00e9\n\"q\""}]}"#,
        )
        .text(),
    );
    v.push(
        e(
            "frame-enc-req-hint-large",
            &["FRAME-ROUTE-004", "FRAME-COMPRESS-002"],
            "a 20 000-byte content gives a 3-byte content_hint varint",
            "",
        )
        .gen(concat(vec![
            lit(r#"{"model":"gpt-4o","messages":[{"role":"user","content":""#),
            rep("abcd", 5000),
            lit(r#""}]}"#),
        ]))
        .peek(),
    );
    // ---- compression threshold
    let sized = |n: usize| {
        // {"model":"m","messages":[],"pad":"<x>"} is 36 bytes + padding
        let pad = n - 36;
        format!(
            r#"{{"model":"m","messages":[],"pad":"{}"}}"#,
            "x".repeat(pad)
        )
    };
    assert_eq!(sized(99).len(), 99);
    v.push(
        e(
            "frame-enc-req-size-99",
            &["FRAME-COMPRESS-001", "FRAME-DIV-005"],
            "a 99-byte document is stored raw",
            &sized(99),
        )
        .peek(),
    );
    v.push(
        e(
            "frame-enc-req-size-100",
            &["FRAME-COMPRESS-001", "FRAME-COMPRESS-002"],
            "a 100-byte document is Brotli-compressed",
            &sized(100),
        )
        .peek(),
    );
    v.push(e(
        "frame-enc-req-size-101",
        &["FRAME-COMPRESS-001", "FRAME-COMPRESS-002"],
        "a 101-byte document is Brotli-compressed",
        &sized(101),
    ));
    v.push(e("frame-enc-req-docs-sample-97", &["FRAME-DIV-005", "FRAME-COMPRESS-001"], "the docs' \"147-byte\" sample is 97 bytes and stays raw",
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}],"temperature":0.7,"max_tokens":100}"#));
    // ---- large payloads
    v.push(
        e(
            "frame-enc-req-large-10k",
            &["FRAME-COMPRESS-001", "FRAME-COMPRESS-002"],
            "a 10 KiB repetitive content",
            "",
        )
        .gen(concat(vec![
            lit(r#"{"model":"gpt-4o","messages":[{"role":"user","content":""#),
            rep("Hello world! ", 800),
            lit(r#""}]}"#),
        ])),
    );
    v.push(
        e(
            "frame-enc-req-large-1m",
            &["FRAME-COMPRESS-001", "FRAME-COMPRESS-002", "FRAME-ENC-004"],
            "a 1 MiB content (content_hint 1 048 576)",
            "",
        )
        .gen(concat(vec![
            lit(r#"{"model":"gpt-4o","messages":[{"role":"user","content":""#),
            rep("0123456789abcdef", 65536),
            lit(r#""}]}"#),
        ])),
    );
    // ---- non-object and odd documents
    for (id, doc, desc) in [
        (
            "array-empty",
            "[]",
            "an empty array is a request with model \"\", msg_count 0",
        ),
        (
            "array",
            "[1,2]",
            "an array is a request with model \"\", msg_count 0",
        ),
        ("number", "42", "a number is a request"),
        ("string", r#""text""#, "a JSON string is a request"),
        ("null", "null", "null is a request"),
        ("true", "true", "true is a request"),
        ("object-empty", "{}", "an empty object is a request"),
        ("float", "1.5e3", "a float literal is kept byte for byte"),
    ] {
        v.push(
            e(
                &format!("frame-enc-req-doc-{id}"),
                &["FRAME-ENC-002", "FRAME-PAYLOAD-001"],
                desc,
                doc,
            )
            .peek(),
        );
    }
    v.push(
        e(
            "frame-enc-req-schema-both",
            &["FRAME-ENC-002"],
            "messages and model win over choices: a request",
            r#"{"messages":[],"model":"m","choices":[]}"#,
        )
        .peek(),
    );
    v.push(e(
        "frame-enc-req-schema-model-only",
        &["FRAME-ENC-002"],
        "model without messages: still a request (default)",
        r#"{"model":"gpt-4o"}"#,
    ));
    v.push(e(
        "frame-enc-req-schema-id-chatcmpl-no-dash",
        &["FRAME-ENC-002"],
        "id `chatcmpl` without the dash does not select a response",
        r#"{"id":"chatcmpl"}"#,
    ));
    v.push(e(
        "frame-enc-req-schema-id-not-string",
        &["FRAME-ENC-002"],
        "a numeric id does not select a response",
        r#"{"id":5}"#,
    ));
    v.push(
        e(
            "frame-enc-req-pretty",
            &["FRAME-PAYLOAD-001", "FRAME-ENC-005"],
            "whitespace and newlines are kept byte for byte",
            "{\n  \"model\": \"m\",\n  \"messages\": [ {\"role\": \"user\"} ]\n}\n",
        )
        .text(),
    );
    v.push(
        e(
            "frame-enc-req-key-order",
            &["FRAME-PAYLOAD-001", "FRAME-ENC-005"],
            "key order is kept",
            r#"{"messages":[{"content":"x","role":"user"}],"model":"m"}"#,
        )
        .text(),
    );
    v.push(e(
        "frame-enc-req-duplicate-keys",
        &["FRAME-PAYLOAD-001"],
        "duplicate keys are kept in the payload",
        r#"{"model":"a","model":"b","messages":[]}"#,
    ));
    v.push(
        e(
            "frame-enc-req-unicode-content",
            &["FRAME-PAYLOAD-001", "FRAME-ENC-005"],
            "non-ASCII content is carried as UTF-8",
            r#"{"model":"m","messages":[{"role":"user","content":"Grüße, 世界 🌍"}]}"#,
        )
        .text(),
    );
    // ---- invalid JSON
    for (id, doc, desc) in [
        ("empty", "", "the empty string is not JSON"),
        ("spaces", "   ", "whitespace only is not JSON"),
        ("open-brace", "{", "an unterminated object"),
        (
            "trailing-garbage",
            r#"{"a":1}x"#,
            "a value followed by garbage",
        ),
        ("missing-value", r#"{"a":}"#, "a key without value"),
        ("trailing-comma", "[1,]", "a trailing comma"),
        ("bare-word", "nul", "a misspelt literal"),
        ("nan", "NaN", "NaN is not JSON"),
        (
            "single-quotes",
            "{'a':1}",
            "single-quoted strings are not JSON",
        ),
        ("two-values", "{} {}", "two documents"),
    ] {
        v.push(
            e(
                &format!("frame-enc-invalid-json-{id}"),
                &["FRAME-ENC-001"],
                desc,
                doc,
            )
            .no_decode(),
        );
    }
    // ---- header_len overflow
    v.push(
        e(
            "frame-enc-req-header-len-overflow",
            &["FRAME-ENC-004"],
            "262 100 messages need 65 525 role bytes: header_len would exceed 65 535",
            "",
        )
        .gen(concat(vec![
            lit(r#"{"model":"m","messages":["#),
            rep(r#"{"role":"user"},"#, 262_099),
            lit(r#"{"role":"user"}]}"#),
        ]))
        .want(Want::ErrorNoLenient(
            "input_too_large",
            "UPSTREAM_WRAPS_HEADER_LEN",
        )),
    );
    v.push(
        e(
            "frame-enc-req-header-len-max",
            &["FRAME-ENC-004", "FRAME-COMPRESS-002"],
            "262 000 messages: header_len 65 530 still fits",
            "",
        )
        .gen(concat(vec![
            lit(r#"{"model":"m","messages":["#),
            rep(r#"{"role":"user"},"#, 261_999),
            lit(r#"{"role":"user"}]}"#),
        ]))
        // its decoded header lists 262 000 roles: too large for a vector file
        .no_decode(),
    );
    v
}

fn responses() -> Vec<Enc> {
    let mut v = vec![
        e(
            "frame-enc-resp-upstream-test-response",
            &[
                "FRAME-RESP-001",
                "FRAME-DETECT-007",
                "FRAME-COST-002",
                "FRAME-COST-003",
                "FRAME-COMPRESS-002",
            ],
            "upstream's TEST_RESPONSE (266 bytes): has_usage + has_cost_estimate, Brotli payload",
            TEST_RESPONSE,
        )
        .peek()
        .text(),
        e(
            "frame-enc-resp-small",
            &[
                "FRAME-RESP-001",
                "FRAME-RESP-002",
                "FRAME-RESP-003",
                "FRAME-RESP-006",
                "FRAME-DETECT-007",
                "FRAME-FLAGS-003",
                "FRAME-LAYOUT-001",
            ],
            "a small raw response: id, empty model, finish stop, usage {} → tokens 0, cost 0",
            SMALL_RESPONSE,
        )
        .peek()
        .text(),
    ];
    let resp = |extra: &str| format!(r#"{{"id":"chatcmpl-r","choices":[{extra}]}}"#);
    for (name, choice, desc, reqs) in [
        (
            "finish-stop",
            r#"{"finish_reason":"stop"}"#,
            "finish_reason stop → 00",
            vec!["FRAME-RESP-003"],
        ),
        (
            "finish-length",
            r#"{"finish_reason":"length"}"#,
            "finish_reason length → 01 and truncated",
            vec!["FRAME-RESP-003", "FRAME-DETECT-006", "FRAME-FLAGS-003"],
        ),
        (
            "finish-tool-calls",
            r#"{"finish_reason":"tool_calls"}"#,
            "finish_reason tool_calls → 02",
            vec!["FRAME-RESP-003"],
        ),
        (
            "finish-content-filter",
            r#"{"finish_reason":"content_filter"}"#,
            "finish_reason content_filter → 03 and content_filtered",
            vec!["FRAME-RESP-003", "FRAME-DETECT-006", "FRAME-FLAGS-003"],
        ),
        (
            "finish-other",
            r#"{"finish_reason":"function_call"}"#,
            "another finish_reason string → ff",
            vec!["FRAME-RESP-003"],
        ),
        (
            "finish-missing",
            r#"{"index":0}"#,
            "no finish_reason → ff",
            vec!["FRAME-RESP-003"],
        ),
        (
            "finish-null",
            r#"{"finish_reason":null}"#,
            "finish_reason null → ff",
            vec!["FRAME-RESP-003"],
        ),
        (
            "finish-upper",
            r#"{"finish_reason":"STOP"}"#,
            "finish_reason strings are case-sensitive: STOP → ff",
            vec!["FRAME-RESP-003"],
        ),
        (
            "tool-calls-null",
            r#"{"message":{"tool_calls":null}}"#,
            "a tool_calls key (even null) sets has_tool_calls",
            vec!["FRAME-DETECT-006", "FRAME-FLAGS-003"],
        ),
        (
            "refusal",
            r#"{"message":{"refusal":"no"}}"#,
            "a string refusal sets has_refusal",
            vec!["FRAME-DETECT-006", "FRAME-FLAGS-003"],
        ),
        (
            "refusal-null",
            r#"{"message":{"refusal":null}}"#,
            "a null refusal leaves has_refusal clear",
            vec!["FRAME-DETECT-006"],
        ),
        (
            "choice-not-object",
            r#"7"#,
            "a choice that is not an object → finish ff, no flags",
            vec!["FRAME-RESP-003", "FRAME-DETECT-006"],
        ),
    ] {
        v.push(
            e(
                &format!("frame-enc-resp-{name}"),
                &reqs,
                desc,
                &resp(choice),
            )
            .peek(),
        );
    }
    v.push(e("frame-enc-resp-second-choice-ignored", &["FRAME-DETECT-006", "FRAME-RESP-003"], "only choices[0] is examined",
        r#"{"id":"chatcmpl-r","choices":[{"index":0},{"finish_reason":"length","message":{"tool_calls":[]}}]}"#));
    v.push(
        e(
            "frame-enc-resp-choices-only",
            &["FRAME-ENC-002", "FRAME-RESP-002"],
            "a `choices` key selects a response; id and model \"\"",
            r#"{"choices":[]}"#,
        )
        .peek(),
    );
    v.push(e(
        "frame-enc-resp-choices-null",
        &["FRAME-ENC-002"],
        "`choices: null` still selects a response",
        r#"{"choices":null}"#,
    ));
    v.push(
        e(
            "frame-enc-resp-id-only",
            &["FRAME-ENC-002", "FRAME-RESP-002"],
            "an id starting with chatcmpl- selects a response",
            r#"{"id":"chatcmpl-x"}"#,
        )
        .peek(),
    );
    v.push(e(
        "frame-enc-resp-id-number",
        &["FRAME-RESP-002"],
        "a numeric id is written as \"\"",
        r#"{"id":1,"choices":[]}"#,
    ));
    v.push(e(
        "frame-enc-resp-model",
        &["FRAME-RESP-002"],
        "the model string is written after the id",
        r#"{"id":"chatcmpl-1","model":"gpt-4o-mini","choices":[]}"#,
    ));
    v.push(
        e(
            "frame-enc-resp-unicode-id",
            &["FRAME-RESP-002", "FRAME-ENC-005"],
            "a non-ASCII id",
            r#"{"id":"chatcmpl-ü","choices":[]}"#,
        )
        .text(),
    );
    v.push(
        e(
            "frame-enc-resp-usage-null",
            &["FRAME-DETECT-007", "FRAME-RESP-006", "FRAME-COST-003"],
            "`usage: null` sets has_usage and has_cost_estimate; tokens 0, cost 0",
            r#"{"id":"chatcmpl-u","choices":[],"usage":null}"#,
        )
        .peek(),
    );
    v.push(e("frame-enc-resp-usage-tokens", &["FRAME-RESP-005", "FRAME-COST-002", "FRAME-COST-003"], "prompt/completion tokens are written and priced",
        r#"{"id":"chatcmpl-u","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":500}}"#).peek());
    for (name, usage, desc, reqs) in [
        (
            "tokens-0",
            r#"{"prompt_tokens":0,"completion_tokens":0}"#,
            "zero token counts",
            vec!["FRAME-RESP-005"],
        ),
        (
            "tokens-127-128",
            r#"{"prompt_tokens":127,"completion_tokens":128}"#,
            "127 (one varint byte) and 128 (two)",
            vec!["FRAME-RESP-005"],
        ),
        (
            "tokens-u32-max",
            r#"{"prompt_tokens":4294967295,"completion_tokens":1}"#,
            "u32::MAX prompt tokens",
            vec!["FRAME-RESP-005"],
        ),
        (
            "tokens-2pow32",
            r#"{"prompt_tokens":4294967296,"completion_tokens":4294967297}"#,
            "token counts above u32 are written modulo 2^32",
            vec!["FRAME-RESP-005"],
        ),
        (
            "tokens-string",
            r#"{"prompt_tokens":"5","completion_tokens":-1}"#,
            "non-integer token counts are written as 0",
            vec!["FRAME-RESP-005"],
        ),
        (
            "cached-5",
            r#"{"prompt_tokens":10,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":5}}"#,
            "cached_tokens 5 sets has_cached_tokens and writes the varint",
            vec!["FRAME-DETECT-008", "FRAME-RESP-005", "FRAME-FLAGS-003"],
        ),
        (
            "cached-0",
            r#"{"prompt_tokens":10,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":0}}"#,
            "cached_tokens 0 leaves has_cached_tokens clear",
            vec!["FRAME-DETECT-008"],
        ),
        (
            "reasoning-7",
            r#"{"prompt_tokens":1,"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":7}}"#,
            "reasoning_tokens 7 sets has_reasoning_tokens",
            vec!["FRAME-DETECT-008", "FRAME-RESP-005", "FRAME-FLAGS-003"],
        ),
        (
            "reasoning-0",
            r#"{"completion_tokens_details":{"reasoning_tokens":0}}"#,
            "reasoning_tokens 0 leaves has_reasoning_tokens clear",
            vec!["FRAME-DETECT-008"],
        ),
        (
            "cached-float",
            r#"{"prompt_tokens_details":{"cached_tokens":2.5}}"#,
            "a non-integer cached_tokens leaves the flag clear",
            vec!["FRAME-DETECT-008"],
        ),
        (
            "cached-and-reasoning",
            r#"{"prompt_tokens":3,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":2}}"#,
            "both optional token fields",
            vec!["FRAME-DETECT-008", "FRAME-RESP-005"],
        ),
    ] {
        v.push(
            e(
                &format!("frame-enc-resp-usage-{name}"),
                &reqs,
                desc,
                &format!(r#"{{"id":"chatcmpl-u","choices":[],"usage":{usage}}}"#),
            )
            .peek(),
        );
    }
    // Short enough to stay raw, so the encode golden itself cites the detection rule.
    for (name, usage, desc) in [
        (
            "cached-short",
            r#"{"prompt_tokens_details":{"cached_tokens":5}}"#,
            "cached_tokens 5 alone sets has_cached_tokens (raw payload)",
        ),
        (
            "reasoning-short",
            r#"{"completion_tokens_details":{"reasoning_tokens":7}}"#,
            "reasoning_tokens 7 alone sets has_reasoning_tokens (raw payload)",
        ),
    ] {
        let doc = format!(r#"{{"choices":[],"usage":{usage}}}"#);
        assert!(doc.len() < 100, "{name} must stay raw");
        v.push(
            e(
                &format!("frame-enc-resp-usage-{name}"),
                &["FRAME-DETECT-008", "FRAME-RESP-005", "FRAME-FLAGS-003"],
                desc,
                &doc,
            )
            .peek(),
        );
    }
    for model in [
        "gpt-4o-mini",
        "claude-3-opus",
        "gemini-2.0-flash",
        "unknown-model",
    ] {
        v.push(e(&format!("frame-enc-resp-cost-{model}"), &["FRAME-COST-001", "FRAME-COST-002", "FRAME-COST-003"], &format!("response cost for `{model}` from usage 1234/567"),
            &format!(r#"{{"id":"chatcmpl-c","model":"{model}","usage":{{"prompt_tokens":1234,"completion_tokens":567}}}}"#)));
    }
    let id_doc = |id: Value| {
        concat(vec![
            lit(r#"{"id":"chatcmpl-"#),
            id,
            lit(r#"","choices":[]}"#),
        ])
    };
    v.push(
        e(
            "frame-enc-resp-id-255",
            &["FRAME-ENC-003", "FRAME-RESP-002", "FRAME-COMPRESS-002"],
            "a 255-byte id",
            "",
        )
        .gen(id_doc(rep("z", 246)))
        .peek(),
    );
    v.push(
        e(
            "frame-enc-resp-id-256",
            &["FRAME-ENC-003"],
            "a 256-byte id does not fit the length byte",
            "",
        )
        .gen(id_doc(rep("z", 247)))
        .want(Want::Error(
            "input_too_large",
            Some("UPSTREAM_WRAPS_LENGTH_BYTE"),
        )),
    );
    v.push(
        e(
            "frame-enc-resp-model-256",
            &["FRAME-ENC-003"],
            "a 256-byte response model does not fit the length byte",
            "",
        )
        .gen(concat(vec![
            lit(r#"{"id":"chatcmpl-m","model":""#),
            rep("m", 256),
            lit(r#"","choices":[]}"#),
        ]))
        .want(Want::Error(
            "input_too_large",
            Some("UPSTREAM_WRAPS_LENGTH_BYTE"),
        )),
    );
    v.push(
        e(
            "frame-enc-resp-large",
            &["FRAME-COMPRESS-001", "FRAME-COMPRESS-002"],
            "a 64 KiB response content",
            "",
        )
        .gen(concat(vec![
            lit(r#"{"id":"chatcmpl-big","choices":[{"message":{"content":""#),
            rep("lorem ipsum ", 5462),
            lit(r#""},"finish_reason":"length"}]}"#),
        ])),
    );
    v
}

/// Decode-side requirements worth citing on decode/peek goldens derived from an encode golden.
fn decode_side(reqs: &[&'static str]) -> Vec<&'static str> {
    const KEEP: &[&str] = &[
        "FRAME-LAYOUT",
        "FRAME-FIXED",
        "FRAME-SCHEMA",
        "FRAME-FLAGS-001",
        "FRAME-ROLES-002",
        "FRAME-RESP-004",
        "FRAME-COMPRESS-001",
        "FRAME-CRC",
        "FRAME-DIV",
    ];
    reqs.iter()
        .copied()
        .filter(|r| KEEP.iter().any(|k| r.starts_with(k)))
        .collect()
}

fn encode_specs(file: &'static str, list: Vec<Enc>, out: &mut Vec<Spec>, derived: &mut Vec<Spec>) {
    for enc in list {
        let json_text = crate::expand(&enc.json);
        let json_text = json_text.as_str().expect("string").to_owned();
        // A Brotli payload's exact bytes are only SHOULD-level (FRAME-COMPRESS-002): such
        // goldens cite that requirement alone, and their MUST-level content is cited on the
        // decode golden of the same frame instead.
        let compressed = json_text.len() >= 100 && matches!(enc.want, Want::Upstream);
        let (enc_reqs, desc) = if compressed {
            (
                vec!["FRAME-COMPRESS-002"],
                format!(
                    "{} (Brotli payload: exact bytes are SHOULD-level)",
                    enc.desc
                ),
            )
        } else {
            (enc.reqs.clone(), enc.desc.clone())
        };
        assert!(
            !(enc.near_miss && compressed),
            "{}: a near miss must stay below 100 bytes so its encode golden cites its MUSTs",
            enc.id
        );
        let mut encode = spec(
            file,
            &enc.id,
            &enc_reqs,
            &desc,
            "frame.encode",
            json!({ "json": enc.json }),
            enc.want.clone(),
        );
        encode.near_miss = enc.near_miss;
        out.push(encode);
        if !(enc.decode || enc.peek || enc.text) {
            continue;
        }
        let bytes = upstream_frame(&json_text);
        let frame = Frame::parse(&bytes);
        let base = enc.id.trim_start_matches("frame-enc-");
        let mut dreqs = vec!["FRAME-ENC-005", "FRAME-PAYLOAD-001"];
        if compressed {
            dreqs.extend(
                enc.reqs.iter().filter(|r| {
                    r.starts_with("FRAME-ENC-00") || r.starts_with("FRAME-COMPRESS-001")
                }),
            );
        }
        dreqs.extend(decode_side(&enc.reqs));
        dreqs.sort_unstable();
        dreqs.dedup();
        if enc.decode {
            derived.push(spec(
                "decode",
                &format!("frame-dec-{base}"),
                &dreqs,
                &format!("decode upstream's frame: {}", enc.desc),
                "frame.decode",
                hex_input(&frame),
                Want::Reference(None),
            ));
        }
        if enc.peek {
            let mut preqs = vec!["FRAME-PEEK-002", "FRAME-PEEK-003"];
            preqs.extend(decode_side(&enc.reqs));
            derived.push(spec(
                "peek",
                &format!("frame-peek-{base}"),
                &preqs,
                &format!("peek upstream's frame: {}", enc.desc),
                "frame.peek",
                hex_input(&frame),
                Want::Reference(None),
            ));
        }
        if enc.text {
            derived.push(spec(
                "text-form",
                &format!("frame-text-dec-{base}"),
                &["FRAME-TEXT-001", "FRAME-ENC-005"],
                &format!("decode the text form: {}", enc.desc),
                "frame.decode",
                json!({ "wire": frames::text_form(&bytes) }),
                Want::Reference(None),
            ));
        }
    }
}

// ------------------------------------------------------------------------------------------
// hand-built frames

fn frame_a() -> Frame {
    Frame::parse(&upstream_frame(FRAME_A))
}

fn small_response() -> Frame {
    Frame::parse(&upstream_frame(SMALL_RESPONSE))
}

fn compressed_request() -> Frame {
    Frame::parse(&upstream_frame(TEST_REQUEST))
}

fn brotli(data: &[u8]) -> Vec<u8> {
    m2m::codec::BrotliCodec::new()
        .compress_bytes(data)
        .expect("brotli")
}

/// Frame A's routing header with one field changed; header_len and CRC recomputed.
fn a_with_var(var: Vec<u8>) -> Frame {
    let mut f = frame_a();
    f.var = var;
    f.header_len = None;
    f
}

fn a_var() -> Vec<u8> {
    frame_a().var
}

fn decode_positive() -> Vec<Spec> {
    let file = "decode";
    let mut v = Vec::new();
    let d = |id: &str, reqs: &[&'static str], desc: &str, f: &Frame, want: Want| {
        spec(file, id, reqs, desc, "frame.decode", hex_input(f), want)
    };
    let cost = 0.005f32;
    let route = routing(b"m", &[1], &[1], &[2], None, cost);
    let resp = frames::response(b"chatcmpl-1", b"m", 0, &[5], &[6], None, None, None);
    // opaque schemas
    for (schema, name) in [(0x03u8, "stream"), (0xfe, "custom"), (0xff, "unknown")] {
        let mut f = Frame::new(schema, vec![0xde, 0xad, 0xbe, 0xef, 0x99], b"{\"s\":1}");
        f.flags = 0x0000_ffff;
        v.push(d(&format!("frame-dec-schema-{name}"), &["FRAME-SCHEMA-001", "FRAME-SCHEMA-003"], &format!("schema {schema:02x} ({name}): 5 opaque variable-header bytes skipped, specific flags 0xffff ignored"), &f, Want::Reference(None)));
    }
    let mut f = Frame::new(0x03, vec![], b"");
    f.flags = 0;
    v.push(d(
        "frame-dec-schema-stream-empty",
        &["FRAME-SCHEMA-003", "FRAME-PAYLOAD-003"],
        "a stream frame with no variable header and an empty payload",
        &f,
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-schema-embedding-request",
        &["FRAME-SCHEMA-001", "FRAME-DIV-001"],
        "schema 04 (embedding request) carries a routing header",
        &Frame::new(0x04, route.clone(), b"{\"input\":\"x\"}"),
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-schema-embedding-response",
        &["FRAME-SCHEMA-001", "FRAME-DIV-001"],
        "schema 05 (embedding response) carries a response header",
        &Frame::new(0x05, resp.clone(), b"{\"data\":[]}"),
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-schema-error",
        &["FRAME-SCHEMA-001"],
        "schema 10 (error) carries a response header",
        &Frame::new(0x10, resp.clone(), b"{\"error\":{}}"),
        Want::Reference(None),
    ));
    // flags
    let mut f = Frame::new(0x01, route.clone(), b"{\"a\":1}");
    f.flags = 0x0100_0000;
    f.payload = brotli(b"{\"a\":1}");
    f.crc = Some(crc32fast::hash(b"{\"a\":1}"));
    v.push(d(
        "frame-dec-compressed-small",
        &["FRAME-FLAGS-004", "FRAME-CRC-001"],
        "a 7-byte document stored Brotli-compressed (flag set although < 100 bytes) decodes",
        &f,
        Want::Reference(None),
    ));
    let big = format!("{{\"pad\":\"{}\"}}", "y".repeat(150));
    v.push(d(
        "frame-dec-raw-large",
        &["FRAME-FLAGS-004"],
        "a 160-byte document stored raw (compressed flag clear) decodes",
        &Frame::new(0x01, route.clone(), big.as_bytes()),
        Want::Reference(None),
    ));
    let mut f = frame_a();
    f.flags = 0x0000_4002;
    v.push(d("frame-dec-informational-flags", &["FRAME-FLAGS-006"], "frame A with has_tools and has_stop set: informational flags are not checked against the payload", &f, Want::Reference(None)));
    let mut f = Frame::new(
        0x01,
        routing(b"m", &[0], &[], &[0], Some(&varint(300)), cost),
        b"{}",
    );
    f.flags = 0x40;
    v.push(d(
        "frame-dec-max-tokens",
        &["FRAME-ROUTE-005", "FRAME-ROUTE-001"],
        "has_max_tokens with max_tokens 300 (ac 02)",
        &f,
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-payload-not-json",
        &["FRAME-PAYLOAD-003"],
        "the payload `hello` is not JSON and still decodes",
        &Frame::new(0x01, route.clone(), b"hello"),
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-payload-empty",
        &["FRAME-PAYLOAD-003"],
        "an empty payload (payload_len 0, CRC 0) decodes to \"\"",
        &Frame::new(0x01, route.clone(), b""),
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-varint-non-minimal",
        &["FRAME-DECODE-006"],
        "msg_count written non-minimally as 81 00 is accepted",
        &a_with_var(routing(b"gpt-4o", &[0x81, 0x00], &[1], &[2], None, cost)),
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-varint-5-bytes-max",
        &["FRAME-DECODE-006"],
        "content_hint ff ff ff ff 0f (u32::MAX in 5 bytes) is accepted",
        &a_with_var(routing(
            b"gpt-4o",
            &[1],
            &[1],
            &[0xff, 0xff, 0xff, 0xff, 0x0f],
            None,
            cost,
        )),
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-roles-zero-count",
        &["FRAME-ROLES-004"],
        "msg_count 0 reads no roles bytes",
        &a_with_var(routing(b"gpt-4o", &[0], &[], &[0], None, cost)),
        Want::Reference(None),
    ));
    v.push(d(
        "frame-dec-finish-undefined",
        &["FRAME-RESP-004"],
        "finish code 07 is read as `other` with its raw code",
        &Frame::new(
            0x02,
            frames::response(b"x", b"", 0x07, &[0], &[0], None, None, None),
            b"{}",
        ),
        Want::Reference(Some("UPSTREAM_LOSES_FINISH_CODE")),
    ));
    for (finish, name) in [
        (0u8, "stop"),
        (1, "length"),
        (2, "tool-calls"),
        (3, "content-filter"),
        (0xff, "ff"),
    ] {
        v.push(d(
            &format!("frame-dec-finish-{name}"),
            &["FRAME-RESP-003", "FRAME-RESP-001"],
            &format!("finish code {finish:02x}"),
            &Frame::new(
                0x02,
                frames::response(b"i", b"m", finish, &[1], &[2], None, None, None),
                b"{}",
            ),
            Want::Reference(None),
        ));
    }
    let mut f = Frame::new(
        0x02,
        frames::response(
            b"i",
            b"m",
            0,
            &[1],
            &[2],
            Some(&[3]),
            Some(&[4]),
            Some(0.25),
        ),
        b"{}",
    );
    f.flags = 0xe0;
    v.push(d(
        "frame-dec-response-all-fields",
        &["FRAME-RESP-005", "FRAME-RESP-006", "FRAME-FLAGS-003"],
        "cached, reasoning and cost fields all present",
        &f,
        Want::Reference(None),
    ));
    for (bits, name) in [
        (f32::NAN, "nan"),
        (f32::INFINITY, "infinity"),
        (f32::NEG_INFINITY, "neg-infinity"),
        (-0.0, "neg-zero"),
        (f32::MIN_POSITIVE / 2.0, "subnormal"),
    ] {
        v.push(d(
            &format!("frame-dec-cost-{name}"),
            &["FRAME-PEEK-004"],
            &format!("the cost bits are never validated ({name})"),
            &a_with_var(routing(b"gpt-4o", &[1], &[1], &[2], None, bits)),
            Want::Reference(None),
        ));
    }
    // limits, positive side
    let c = compressed_request();
    v.push(spec(
        file,
        "frame-dec-limit-exact",
        &["FRAME-COMPRESS-004"],
        "max_decompressed_bytes equal to the 167-byte document decodes",
        "frame.decode",
        json!({ "hex": c.spaced_hex(), "max_decompressed_bytes": 167 }),
        Want::Reference(None),
    ));
    let a = frame_a();
    v.push(spec(
        file,
        "frame-dec-message-limit-exact",
        &["FRAME-DECODE-002"],
        "max_message_bytes equal to the 111-byte frame decodes",
        "frame.decode",
        json!({ "hex": a.spaced_hex(), "max_message_bytes": 111 }),
        Want::Reference(None),
    ));
    v
}

fn decode_errors() -> Vec<Spec> {
    let file = "decode-errors";
    let mut v = Vec::new();
    let err = |id: &str,
               reqs: &[&'static str],
               desc: &str,
               input: Value,
               class: &'static str,
               flag: Option<&'static str>| {
        spec(
            file,
            id,
            reqs,
            desc,
            "frame.decode",
            input,
            Want::Error(class, flag),
        )
    };
    let a = frame_a();
    let a_bytes = a.bytes();
    let cost = 0.005f32;
    // ---- prefix
    let mut wrong = a_bytes.clone();
    wrong[5] = b'2';
    v.push(err(
        "frame-err-prefix-version-2",
        &["FRAME-LAYOUT-003"],
        "prefix #M2M|2| is not an M2M v1 frame",
        raw_hex_input(&wrong),
        "invalid_prefix",
        None,
    ));
    let mut lower = a_bytes.clone();
    lower[1..4].copy_from_slice(b"m2m");
    v.push(err(
        "frame-err-prefix-lowercase",
        &["FRAME-LAYOUT-003"],
        "the prefix is case-sensitive (#m2m|1|)",
        raw_hex_input(&lower),
        "invalid_prefix",
        None,
    ));
    v.push(err(
        "frame-err-prefix-empty",
        &["FRAME-LAYOUT-003", "FRAME-DECODE-001"],
        "empty input",
        raw_hex_input(b""),
        "invalid_prefix",
        None,
    ));
    for n in [1usize, 3, 6] {
        v.push(err(
            &format!("frame-err-prefix-cut-{n}"),
            &["FRAME-LAYOUT-003", "FRAME-DECODE-001"],
            &format!("only the first {n} prefix bytes"),
            raw_hex_input(&a_bytes[..n]),
            "invalid_prefix",
            None,
        ));
    }
    let mut brotli_prefix = b"#M2M[v3.0]|DATA:".to_vec();
    brotli_prefix.extend_from_slice(&a_bytes[7..]);
    v.push(err(
        "frame-err-prefix-brotli",
        &["FRAME-LAYOUT-003"],
        "the Brotli text prefix is not a frame prefix",
        raw_hex_input(&brotli_prefix),
        "invalid_prefix",
        None,
    ));
    let mut space = b" ".to_vec();
    space.extend_from_slice(&a_bytes);
    v.push(err(
        "frame-err-prefix-leading-space",
        &["FRAME-LAYOUT-003"],
        "a leading space before the prefix",
        raw_hex_input(&space),
        "invalid_prefix",
        None,
    ));
    // ---- truncation of frame A at every field boundary and inside fields
    let names = a.boundaries();
    let field_at = |n: usize| {
        names
            .iter()
            .rev()
            .find(|(o, _)| *o <= n)
            .map_or("prefix", |(_, name)| *name)
    };
    for n in [
        7usize, 8, 9, 10, 11, 13, 15, 20, 26, 27, 28, 30, 34, 35, 36, 37, 39, 40, 41, 43, 45, 47,
        49, 50, 80, 110,
    ] {
        let reqs: &[&'static str] = if n < 49 {
            &["FRAME-DECODE-003", "FRAME-DECODE-008"]
        } else {
            &["FRAME-DECODE-008"]
        };
        let reqs: Vec<&'static str> = if (27..41).contains(&n) {
            vec!["FRAME-DECODE-003", "FRAME-DECODE-004"]
        } else {
            reqs.to_vec()
        };
        let what = if names.iter().any(|(o, _)| *o == n) {
            format!("at the start of {}", field_at(n))
        } else {
            format!("inside {}", field_at(n))
        };
        v.push(err(
            &format!("frame-err-truncated-a-{n}"),
            &reqs,
            &format!("frame A cut to {n} of 111 bytes ({what})"),
            raw_hex_input(&a_bytes[..n]),
            "truncated",
            None,
        ));
    }
    let r = small_response();
    let r_bytes = r.bytes();
    let r_var_end = 27 + r.var.len();
    for n in [
        27usize,
        28,
        33,
        40,
        r_var_end - 1,
        r_var_end,
        r_var_end + 4,
        r_var_end + 8,
        r_bytes.len() - 1,
    ] {
        v.push(err(
            &format!("frame-err-truncated-response-{n}"),
            &["FRAME-DECODE-003", "FRAME-DECODE-008"],
            &format!("a response frame cut to {n} of {} bytes", r_bytes.len()),
            raw_hex_input(&r_bytes[..n]),
            "truncated",
            None,
        ));
    }
    let c = compressed_request();
    let c_bytes = c.bytes();
    v.push(err(
        "frame-err-truncated-compressed-payload",
        &["FRAME-DECODE-008"],
        "a compressed frame cut in the middle of its payload",
        raw_hex_input(&c_bytes[..c_bytes.len() - 10]),
        "truncated",
        None,
    ));
    // ---- header_len
    for hl in [0u16, 1, 19] {
        let mut f = frame_a();
        f.header_len = Some(hl);
        v.push(err(
            &format!("frame-err-header-len-{hl}"),
            &["FRAME-FIXED-002"],
            &format!("header_len {hl} < 20"),
            hex_input(&f),
            "header_len_invalid",
            None,
        ));
    }
    let mut f = frame_a();
    f.header_len = Some(0x2200);
    v.push(err(
        "frame-err-header-len-big-endian",
        &["FRAME-LAYOUT-002", "FRAME-DECODE-003"],
        "header_len written big-endian (00 22 = 8704 LE): the frame is shorter than 7 + 8704",
        hex_input(&f),
        "truncated",
        None,
    ));
    let mut f = frame_a();
    f.var.push(0x00);
    f.header_len = None;
    v.push(err(
        "frame-err-header-len-extra-byte",
        &["FRAME-DECODE-005", "FRAME-FIXED-001"],
        "one extra byte after the routing header's last field (header_len 35)",
        hex_input(&f),
        "header_len_mismatch",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    let mut f = frame_a();
    f.header_len = Some(35);
    v.push(err(
        "frame-err-header-len-plus-one",
        &["FRAME-DECODE-005", "FRAME-FIXED-001"],
        "header_len 35 claims the first payload_len byte for the variable header",
        hex_input(&f),
        "header_len_mismatch",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    let mut f = frame_a();
    f.header_len = Some(33);
    v.push(err(
        "frame-err-header-len-minus-one",
        &["FRAME-DECODE-004", "FRAME-FIXED-001"],
        "header_len 33 cuts the cost field short",
        hex_input(&f),
        "truncated",
        None,
    ));
    let mut no_cost = a_var();
    no_cost.truncate(no_cost.len() - 4);
    v.push(err(
        "frame-err-request-cost-missing",
        &["FRAME-ROUTE-006", "FRAME-DIV-003", "FRAME-DECODE-004"],
        "a routing header without the 4 cost bytes (header_len 30)",
        hex_input(&a_with_var(no_cost)),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    // ---- variable header fields
    let mut var = a_var();
    var[0] = 0xff;
    v.push(err(
        "frame-err-model-len-past-end",
        &["FRAME-DECODE-004"],
        "model_len ff runs past the end of the frame",
        hex_input(&a_with_var(var).tap_header_len(34)),
        "truncated",
        None,
    ));
    let mut var = a_var();
    var[0] = 0x10;
    v.push(err(
        "frame-err-model-len-past-header",
        &["FRAME-DECODE-004"],
        "model_len 16 runs past header_len into payload_len",
        hex_input(&a_with_var(var).tap_header_len(34)),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    v.push(err(
        "frame-err-model-utf8",
        &["FRAME-DECODE-007"],
        "model bytes `gpt-4\\xff` are not UTF-8",
        hex_input(&a_with_var(routing(
            b"gpt-4\xff",
            &[1],
            &[1],
            &[2],
            None,
            cost,
        ))),
        "invalid_utf8",
        None,
    ));
    v.push(err(
        "frame-err-model-utf8-overlong",
        &["FRAME-DECODE-007"],
        "an overlong encoding c0 af in the model",
        hex_input(&a_with_var(routing(
            b"\xc0\xaf",
            &[1],
            &[1],
            &[2],
            None,
            cost,
        ))),
        "invalid_utf8",
        None,
    ));
    v.push(err(
        "frame-err-id-utf8",
        &["FRAME-DECODE-007"],
        "a response id with a lone continuation byte",
        hex_input(&Frame::new(
            0x02,
            frames::response(b"id\x80", b"", 0, &[0], &[0], None, None, None),
            b"{}",
        )),
        "invalid_utf8",
        None,
    ));
    v.push(err(
        "frame-err-response-model-utf8",
        &["FRAME-DECODE-007"],
        "a response model with a truncated 3-byte sequence",
        hex_input(&Frame::new(
            0x02,
            frames::response(b"id", b"\xe6\xa8", 0, &[0], &[0], None, None, None),
            b"{}",
        )),
        "invalid_utf8",
        None,
    ));
    v.push(err(
        "frame-err-id-len-past-end",
        &["FRAME-DECODE-004"],
        "response id_len ff runs past the end",
        hex_input(&Frame::new(0x02, [&[0xffu8][..], b"abc"].concat(), b"{}")),
        "truncated",
        None,
    ));
    v.push(err(
        "frame-err-response-empty-var",
        &["FRAME-DECODE-004"],
        "a response schema with an empty variable header",
        hex_input(&Frame::new(0x02, vec![], b"{}")),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    v.push(err(
        "frame-err-request-empty-var",
        &["FRAME-DECODE-004"],
        "a request schema with an empty variable header (header_len 20)",
        hex_input(&Frame::new(0x01, vec![], b"{}")),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    // varints
    v.push(err(
        "frame-err-varint-6-bytes",
        &["FRAME-DECODE-006"],
        "msg_count as a 6-byte varint 81 80 80 80 80 00",
        hex_input(&a_with_var(routing(
            b"gpt-4o",
            &[0x81, 0x80, 0x80, 0x80, 0x80, 0x00],
            &[1],
            &[2],
            None,
            cost,
        ))),
        "varint_too_long",
        Some("UPSTREAM_LONG_VARINTS"),
    ));
    v.push(err(
        "frame-err-varint-overflow",
        &["FRAME-DECODE-006"],
        "content_hint 80 80 80 80 10 = 2^32 does not fit in 32 bits",
        hex_input(&a_with_var(routing(
            b"gpt-4o",
            &[1],
            &[1],
            &[0x80, 0x80, 0x80, 0x80, 0x10],
            None,
            cost,
        ))),
        "varint_overflow",
        Some("UPSTREAM_LONG_VARINTS"),
    ));
    v.push(err(
        "frame-err-varint-overflow-max",
        &["FRAME-DECODE-006"],
        "msg_count ff ff ff ff 7f (35 bits set) does not fit in 32 bits",
        hex_input(&a_with_var(routing(
            b"gpt-4o",
            &[0xff, 0xff, 0xff, 0xff, 0x7f],
            &[1],
            &[2],
            None,
            cost,
        ))),
        "varint_overflow",
        Some("UPSTREAM_LONG_VARINTS"),
    ));
    let mut f = Frame::new(
        0x01,
        routing(
            b"m",
            &[0],
            &[],
            &[0],
            Some(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            cost,
        ),
        b"{}",
    );
    f.flags = 0x40;
    v.push(err(
        "frame-err-varint-max-tokens-7-bytes",
        &["FRAME-DECODE-006"],
        "max_tokens as a 7-byte varint",
        hex_input(&f),
        "varint_too_long",
        Some("UPSTREAM_LONG_VARINTS"),
    ));
    let mut var = a_var();
    var[9] = 0x82; // content_hint 02 → 82: the varint swallows the first cost byte
    v.push(err(
        "frame-err-varint-runs-into-cost",
        &["FRAME-DECODE-004"],
        "content_hint with its continuation bit set takes a cost byte; the cost no longer fits",
        hex_input(&a_with_var(var)),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    let mut f = Frame::new(
        0x02,
        frames::response(b"i", b"", 0, &[1], &[0x85], None, None, None),
        b"{}",
    );
    f.flags = 0;
    v.push(err("frame-err-varint-runs-off-header", &["FRAME-DECODE-004"], "completion_tokens, the last response field, ends with a continuation bit at the header end",
        hex_input(&f), "truncated", Some("UPSTREAM_UNBOUNDED_HEADER_PARSE")));
    // roles
    let mut var = a_var();
    var[8] = 0x41;
    v.push(err(
        "frame-err-roles-padding",
        &["FRAME-ROLES-004"],
        "nonzero padding bits in the last roles byte (41 for one user role)",
        hex_input(&a_with_var(var)),
        "reserved_nonzero",
        Some("UPSTREAM_IGNORES_RESERVED"),
    ));
    v.push(err(
        "frame-err-roles-short",
        &["FRAME-ROLES-004", "FRAME-DECODE-004"],
        "msg_count 9 needs 3 roles bytes; the header has room for fewer",
        hex_input(&a_with_var(routing(
            b"gpt-4o",
            &[9],
            &[0x55, 0x55],
            &[2],
            None,
            cost,
        ))),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    // response optional fields
    let mut f = small_response();
    f.flags |= 0x20;
    v.push(err(
        "frame-err-response-cached-missing",
        &["FRAME-RESP-005", "FRAME-DECODE-004"],
        "has_cached_tokens set but the field is absent: the cost no longer fits",
        hex_input(&f),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    let mut f = Frame::new(
        0x02,
        frames::response(b"i", b"", 0, &[1], &[2], None, None, None),
        b"{}",
    );
    f.flags = 0x80;
    v.push(err(
        "frame-err-response-cost-missing",
        &["FRAME-RESP-006", "FRAME-DECODE-004"],
        "has_cost_estimate set but the 4 cost bytes are absent",
        hex_input(&f),
        "truncated",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    let mut f = Frame::new(
        0x02,
        frames::response(b"i", b"", 0, &[1], &[2], None, None, Some(0.5)),
        b"{}",
    );
    f.flags = 0;
    v.push(err(
        "frame-err-response-cost-unflagged",
        &["FRAME-RESP-006", "FRAME-DECODE-005"],
        "4 cost bytes present but has_cost_estimate clear",
        hex_input(&f),
        "header_len_mismatch",
        Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
    ));
    // ---- schema
    for s in [0x00u8, 0x06, 0x0f, 0x11, 0x12, 0xfd] {
        let mut f = frame_a();
        f.schema = s;
        let reqs: &[&'static str] = if s == 0x11 || s == 0x12 {
            &["FRAME-SCHEMA-002", "FRAME-DIV-001"]
        } else {
            &["FRAME-SCHEMA-002"]
        };
        v.push(err(
            &format!("frame-err-schema-{s:02x}"),
            reqs,
            &format!("schema byte {s:02x} is not defined"),
            hex_input(&f),
            "unknown_schema",
            Some("UPSTREAM_ACCEPTS_UNKNOWN_SCHEMA"),
        ));
    }
    // ---- security
    let mut hmac = frame_a();
    hmac.security = 1;
    hmac.trailing =
        hex::decode("f68418f2ce190619a2c4ccf635f0e9e9c0651a3bbbc6627037da630e16bc6672").unwrap();
    v.push(err(
        "frame-err-security-hmac",
        &["FRAME-SEC-002"],
        "the HMAC frame of spec 06-secure §13 (security 01, 32-byte tag) on the plain decoder",
        hex_input(&hmac),
        "secured_frame",
        Some("UPSTREAM_IGNORES_SECURITY_BYTE"),
    ));
    let mut f = frame_a();
    f.security = 2;
    v.push(err(
        "frame-err-security-aead",
        &["FRAME-SEC-002"],
        "security byte 02 (AEAD) on the plain decoder",
        hex_input(&f),
        "secured_frame",
        Some("UPSTREAM_IGNORES_SECURITY_BYTE"),
    ));
    for s in [3u8, 0x80, 0xff] {
        let mut f = frame_a();
        f.security = s;
        v.push(err(
            &format!("frame-err-security-{s:02x}"),
            &["FRAME-SEC-003"],
            &format!("security byte {s:02x} is not a defined mode"),
            hex_input(&f),
            "unknown_security_mode",
            Some("UPSTREAM_IGNORES_SECURITY_BYTE"),
        ));
    }
    // ---- reserved bytes and bits
    for (i, b) in [(0usize, 0x01u8), (11, 0x80), (5, 0x10)] {
        let mut f = frame_a();
        f.reserved[i] = b;
        v.push(err(
            &format!("frame-err-reserved-byte-{}", 15 + i),
            &["FRAME-FIXED-003"],
            &format!("reserved byte {} = {b:02x}", 15 + i),
            hex_input(&f),
            "reserved_nonzero",
            Some("UPSTREAM_IGNORES_RESERVED"),
        ));
    }
    for (word, name, desc, base) in [
        (
            0x0001_0000u32,
            "byte13",
            "flag byte 13 (bits 16-23) = 01",
            "a",
        ),
        (0x8000_0000, "bit31", "common flag bit 31", "a"),
        (
            0x0200_0000,
            "has-extensions",
            "bit 25 (upstream's never-used HAS_EXTENSIONS)",
            "a",
        ),
        (0x0000_8000, "request-bit15", "request flag bit 15", "a"),
        (0x0000_0100, "response-bit8", "response flag bit 8", "r"),
        (0x0000_8000, "response-bit15", "response flag bit 15", "r"),
    ] {
        let mut f = if base == "a" {
            frame_a()
        } else {
            small_response()
        };
        f.flags |= word;
        v.push(err(
            &format!("frame-err-flags-{name}"),
            &["FRAME-FLAGS-005"],
            desc,
            hex_input(&f),
            "reserved_nonzero",
            Some("UPSTREAM_IGNORES_RESERVED"),
        ));
    }
    // ---- payload section
    let mut f = frame_a();
    f.payload_len = Some(63);
    v.push(err(
        "frame-err-payload-len-plus-one",
        &["FRAME-DECODE-008"],
        "payload_len 63 for 62 payload bytes",
        hex_input(&f),
        "truncated",
        None,
    ));
    let mut f = frame_a();
    f.payload_len = Some(u32::MAX);
    v.push(err(
        "frame-err-payload-len-max",
        &["FRAME-DECODE-008"],
        "payload_len ffffffff",
        hex_input(&f),
        "truncated",
        None,
    ));
    let mut f = frame_a();
    f.payload_len = Some(61);
    v.push(err(
        "frame-err-payload-len-minus-one",
        &["FRAME-DECODE-009", "FRAME-DECODE-001"],
        "payload_len 61 leaves the last payload byte as a trailing byte (checked before the CRC)",
        hex_input(&f),
        "trailing_bytes",
        Some("UPSTREAM_IGNORES_TRAILING_BYTES"),
    ));
    let mut f = frame_a();
    f.trailing = vec![0x00];
    v.push(err(
        "frame-err-trailing-byte",
        &["FRAME-DECODE-009"],
        "one zero byte after the payload",
        hex_input(&f),
        "trailing_bytes",
        Some("UPSTREAM_IGNORES_TRAILING_BYTES"),
    ));
    let mut f = frame_a();
    f.trailing = a_bytes.clone();
    v.push(err(
        "frame-err-trailing-frame",
        &["FRAME-DECODE-009"],
        "two frames back to back",
        hex_input(&f),
        "trailing_bytes",
        Some("UPSTREAM_IGNORES_TRAILING_BYTES"),
    ));
    let mut f = frame_a();
    f.crc = Some(f.crc.unwrap() ^ 0x0100_0000);
    v.push(err(
        "frame-err-crc-flipped",
        &["FRAME-CRC-002"],
        "one bit of the stored CRC flipped",
        hex_input(&f),
        "crc_mismatch",
        None,
    ));
    let mut f = frame_a();
    let last = f.payload.len() - 3;
    f.payload[last] = b'o';
    v.push(err(
        "frame-err-crc-payload-changed",
        &["FRAME-CRC-002", "FRAME-CRC-001"],
        "payload `Hi` changed to `Ho`: still UTF-8, CRC no longer matches",
        hex_input(&f),
        "crc_mismatch",
        None,
    ));
    let mut f = frame_a();
    f.crc = Some(0);
    v.push(err(
        "frame-err-crc-zero",
        &["FRAME-CRC-002"],
        "stored CRC 0",
        hex_input(&f),
        "crc_mismatch",
        None,
    ));
    let mut f = Frame::new(
        0x01,
        routing(b"m", &[0], &[], &[0], None, cost),
        b"{\"a\":\"\xff\"}",
    );
    f.crc = None;
    v.push(err(
        "frame-err-payload-utf8",
        &["FRAME-PAYLOAD-002"],
        "a raw payload with byte ff (CRC matches the bytes)",
        hex_input(&f),
        "invalid_utf8",
        None,
    ));
    let mut f = Frame::new(
        0x01,
        routing(b"m", &[0], &[], &[0], None, cost),
        b"\xed\xa0\x80",
    );
    f.crc = None;
    v.push(err(
        "frame-err-payload-surrogate",
        &["FRAME-PAYLOAD-002"],
        "a raw payload holding an encoded surrogate (ed a0 80)",
        hex_input(&f),
        "invalid_utf8",
        None,
    ));
    let mut f = Frame::new(0x01, routing(b"m", &[0], &[], &[0], None, cost), b"\xff");
    f.crc = Some(1);
    v.push(err(
        "frame-err-order-utf8-before-crc",
        &["FRAME-DECODE-001", "FRAME-PAYLOAD-002", "FRAME-CRC-002"],
        "invalid UTF-8 and a wrong CRC: UTF-8 is checked first",
        hex_input(&f),
        "invalid_utf8",
        None,
    ));
    let mut f = Frame::new(0x01, routing(b"m", &[0], &[], &[0], None, cost), b"{}");
    f.flags = 0x0100_0000;
    f.payload = brotli(b"\xff\xfe");
    f.crc = Some(crc32fast::hash(b"\xff\xfe"));
    v.push(err(
        "frame-err-payload-utf8-compressed",
        &["FRAME-PAYLOAD-002"],
        "a Brotli payload that decompresses to ff fe",
        hex_input(&f),
        "invalid_utf8",
        None,
    ));
    // ---- Brotli
    let mut f = frame_a();
    f.flags = 0x0100_0000;
    v.push(err(
        "frame-err-brotli-raw-json",
        &["FRAME-COMPRESS-003", "FRAME-FLAGS-004"],
        "compressed flag set on a raw JSON payload",
        hex_input(&f),
        "brotli_corrupt",
        None,
    ));
    let mut f = compressed_request();
    let keep = f.payload.len() - 3;
    f.payload.truncate(keep);
    f.payload_len = None;
    v.push(err(
        "frame-err-brotli-truncated",
        &["FRAME-COMPRESS-003"],
        "the Brotli stream cut 3 bytes before its end (payload_len adjusted)",
        hex_input(&f),
        "brotli_truncated",
        Some("UPSTREAM_BROTLI_ERRORS_UNDIFFERENTIATED"),
    ));
    let mut f = compressed_request();
    f.payload.truncate(1);
    f.payload_len = None;
    v.push(err(
        "frame-err-brotli-one-byte",
        &["FRAME-COMPRESS-003"],
        "only the first byte of the Brotli stream",
        hex_input(&f),
        "brotli_truncated",
        Some("UPSTREAM_BROTLI_ERRORS_UNDIFFERENTIATED"),
    ));
    let mut f = compressed_request();
    f.payload.push(0x00);
    f.payload_len = None;
    v.push(err(
        "frame-err-brotli-trailer",
        &["FRAME-COMPRESS-003"],
        "one byte after the end of the Brotli stream, inside payload_len",
        hex_input(&f),
        "brotli_corrupt",
        Some("UPSTREAM_IGNORES_BROTLI_TRAILER"),
    ));
    let mut f = compressed_request();
    f.payload.extend_from_slice(&brotli(b"x"));
    f.payload_len = None;
    v.push(err(
        "frame-err-brotli-two-streams",
        &["FRAME-COMPRESS-003"],
        "a second Brotli stream after the first",
        hex_input(&f),
        "brotli_corrupt",
        Some("UPSTREAM_IGNORES_BROTLI_TRAILER"),
    ));
    // Found by `m2m-conformance differential` (reports/differential/report.md, triage): a
    // payload whose last meta-block is followed by non-zero padding bits. The stream is
    // `0b 02 80 "{\"a\":1}"`-style: an uncompressed meta-block (ISLAST=0, 7 bytes), then a last
    // empty meta-block in a byte whose unused high bits are set.
    let mut f = compressed_request();
    f.payload = vec![0x0b, 0x03, 0x80];
    f.payload.extend_from_slice(br#"{"a":1}"#);
    f.payload.push(0xff);
    f.payload_len = None;
    v.push(err(
        "frame-err-brotli-final-padding",
        &["FRAME-COMPRESS-003"],
        "non-zero padding bits after the last Brotli meta-block",
        hex_input(&f),
        "brotli_corrupt",
        Some("UPSTREAM_LOSES_FINAL_PADDING_ERROR"),
    ));
    let mut f = compressed_request();
    f.payload = vec![0xff; 16];
    f.payload_len = None;
    v.push(err(
        "frame-err-brotli-garbage",
        &["FRAME-COMPRESS-003"],
        "16 bytes of ff as a Brotli stream",
        hex_input(&f),
        "brotli_corrupt",
        None,
    ));
    let mut f = compressed_request();
    f.payload = vec![];
    f.payload_len = None;
    v.push(err(
        "frame-err-brotli-empty",
        &["FRAME-COMPRESS-003"],
        "an empty payload with the compressed flag",
        hex_input(&f),
        "brotli_truncated",
        Some("UPSTREAM_BROTLI_ERRORS_UNDIFFERENTIATED"),
    ));
    // ---- limits
    v.push(err(
        "frame-err-decompressed-limit",
        &["FRAME-COMPRESS-004", "FRAME-DIV-006"],
        "max_decompressed_bytes 166 for a 167-byte document",
        json!({ "hex": c.spaced_hex(), "max_decompressed_bytes": 166 }),
        "decompressed_too_large",
        Some("UPSTREAM_NO_SIZE_LIMIT"),
    ));
    let big_doc = crate::expand(&concat(vec![
        lit(r#"{"model":"gpt-4o","messages":[{"role":"user","content":""#),
        rep("0123456789abcdef", 65536),
        lit(r#""}]}"#),
    ]));
    let big = Frame::parse(&upstream_frame(big_doc.as_str().expect("string")));
    v.push(err(
        "frame-err-decompressed-bomb",
        &["FRAME-COMPRESS-004"],
        "a 1 MiB document under a 1000-byte limit (stopped while decompressing)",
        json!({ "hex": big.spaced_hex(), "max_decompressed_bytes": 1000 }),
        "decompressed_too_large",
        Some("UPSTREAM_NO_SIZE_LIMIT"),
    ));
    v.push(err(
        "frame-err-message-limit",
        &["FRAME-DECODE-002", "FRAME-DIV-006"],
        "max_message_bytes 110 for the 111-byte frame A",
        json!({ "hex": a.spaced_hex(), "max_message_bytes": 110 }),
        "message_too_large",
        Some("UPSTREAM_NO_SIZE_LIMIT"),
    ));
    let mut bad_crc = frame_a();
    bad_crc.crc = Some(0);
    v.push(err("frame-err-raw-payload-not-bounded-by-decompressed-limit", &["FRAME-COMPRESS-004"], "a raw payload is not subject to max_decompressed_bytes, so the next defect (a bad CRC) is reported",
        json!({ "hex": bad_crc.spaced_hex(), "max_decompressed_bytes": 1 }), "crc_mismatch", None));
    // ---- check order with several defects
    let mut f = frame_a();
    f.header_len = Some(19);
    f.schema = 0x42;
    v.push(err(
        "frame-err-order-header-len-before-schema",
        &["FRAME-DECODE-001", "FRAME-FIXED-002"],
        "header_len 19 and schema 42: header_len is checked first",
        hex_input(&f),
        "header_len_invalid",
        None,
    ));
    let mut f = frame_a();
    f.schema = 0x42;
    f.security = 1;
    v.push(err(
        "frame-err-order-schema-before-security",
        &["FRAME-DECODE-001", "FRAME-SCHEMA-002"],
        "schema 42 and security 01: the schema is checked first",
        hex_input(&f),
        "unknown_schema",
        Some("UPSTREAM_ACCEPTS_UNKNOWN_SCHEMA"),
    ));
    let mut f = frame_a();
    f.security = 1;
    f.flags = 0x0001_0000;
    v.push(err(
        "frame-err-order-security-before-flags",
        &["FRAME-DECODE-001", "FRAME-SEC-002"],
        "security 01 and a reserved flag bit: security is checked first",
        hex_input(&f),
        "secured_frame",
        Some("UPSTREAM_IGNORES_SECURITY_BYTE"),
    ));
    let mut f = frame_a();
    f.reserved[0] = 1;
    let cut = f.bytes()[..35].to_vec();
    v.push(err(
        "frame-err-order-reserved-before-truncation",
        &["FRAME-DECODE-001", "FRAME-FIXED-003"],
        "a reserved byte set and the variable header cut: reserved bytes are checked first",
        raw_hex_input(&cut),
        "reserved_nonzero",
        Some("UPSTREAM_IGNORES_RESERVED"),
    ));
    let mut f = frame_a();
    f.trailing = vec![1];
    f.crc = Some(0);
    v.push(err(
        "frame-err-order-trailing-before-crc",
        &["FRAME-DECODE-001", "FRAME-DECODE-009"],
        "a trailing byte and a wrong CRC: trailing bytes are checked first",
        hex_input(&f),
        "trailing_bytes",
        Some("UPSTREAM_IGNORES_TRAILING_BYTES"),
    ));
    let mut f = frame_a();
    f.schema = 0x42;
    let cut = f.bytes()[..30].to_vec();
    v.push(err(
        "frame-err-order-schema-before-truncation",
        &["FRAME-DECODE-001", "FRAME-SCHEMA-002"],
        "schema 42 and a cut variable header: the schema is checked first",
        raw_hex_input(&cut),
        "unknown_schema",
        Some("UPSTREAM_ACCEPTS_UNKNOWN_SCHEMA"),
    ));
    v.push(spec(
        file,
        "frame-err-order-message-limit-first",
        &["FRAME-DECODE-001", "FRAME-DECODE-002"],
        "an oversized message with a bad prefix: the size limit is checked first",
        "frame.decode",
        json!({ "hex": hex::encode(&wrong), "max_message_bytes": 10 }),
        Want::Error("message_too_large", Some("UPSTREAM_NO_SIZE_LIMIT")),
    ));
    v
}

trait TapHeaderLen {
    fn tap_header_len(self, hl: u16) -> Frame;
}

impl TapHeaderLen for Frame {
    fn tap_header_len(mut self, hl: u16) -> Frame {
        self.header_len = Some(hl);
        self
    }
}

fn peek_cases() -> Vec<Spec> {
    let file = "peek";
    let mut v = Vec::new();
    let p = |id: &str, reqs: &[&'static str], desc: &str, input: Value, want: Want| {
        spec(file, id, reqs, desc, "frame.peek", input, want)
    };
    let a = frame_a();
    let a_bytes = a.bytes();
    let end_of_crc = 27 + a.var.len() + 8;
    v.push(p(
        "frame-peek-cut-after-crc",
        &["FRAME-PEEK-001"],
        "frame A cut right after crc32: peek never reads the payload",
        raw_hex_input(&a_bytes[..end_of_crc]),
        Want::Reference(Some("UPSTREAM_PEEK_DECODES_PAYLOAD")),
    ));
    let mut f = frame_a();
    f.crc = Some(0);
    v.push(p(
        "frame-peek-bad-crc",
        &["FRAME-PEEK-001"],
        "a wrong CRC does not affect peek",
        hex_input(&f),
        Want::Reference(Some("UPSTREAM_PEEK_DECODES_PAYLOAD")),
    ));
    let mut f = compressed_request();
    f.payload = vec![0xff; 8];
    f.payload_len = None;
    v.push(p(
        "frame-peek-bad-brotli",
        &["FRAME-PEEK-001"],
        "a corrupt Brotli payload does not affect peek",
        hex_input(&f),
        Want::Reference(Some("UPSTREAM_PEEK_DECODES_PAYLOAD")),
    ));
    let mut f = frame_a();
    f.trailing = vec![0, 1, 2];
    v.push(p(
        "frame-peek-trailing",
        &["FRAME-PEEK-001"],
        "trailing bytes after the payload are not peek's concern",
        hex_input(&f),
        Want::Reference(None),
    ));
    let mut f = frame_a();
    f.payload_len = Some(1000);
    v.push(p(
        "frame-peek-payload-len-past-end",
        &["FRAME-PEEK-001"],
        "payload_len larger than the bytes present: peek reports the field",
        hex_input(&f),
        Want::Reference(Some("UPSTREAM_PEEK_DECODES_PAYLOAD")),
    ));
    v.push(p(
        "frame-peek-cut-in-crc",
        &["FRAME-PEEK-001", "FRAME-DECODE-008"],
        "frame A cut inside crc32",
        raw_hex_input(&a_bytes[..end_of_crc - 1]),
        Want::Error("truncated", None),
    ));
    v.push(p(
        "frame-peek-cut-in-var",
        &["FRAME-PEEK-001", "FRAME-DECODE-003"],
        "frame A cut inside the variable header",
        raw_hex_input(&a_bytes[..30]),
        Want::Error("truncated", None),
    ));
    v.push(p(
        "frame-peek-prefix",
        &["FRAME-PEEK-001", "FRAME-LAYOUT-003"],
        "a wrong prefix",
        raw_hex_input(b"#M2M|2|"),
        Want::Error("invalid_prefix", None),
    ));
    let mut f = frame_a();
    f.header_len = Some(5);
    v.push(p(
        "frame-peek-header-len",
        &["FRAME-PEEK-001", "FRAME-FIXED-002"],
        "header_len 5",
        hex_input(&f),
        Want::Error("header_len_invalid", None),
    ));
    let mut f = frame_a();
    f.schema = 0x07;
    v.push(p(
        "frame-peek-unknown-schema",
        &["FRAME-PEEK-001", "FRAME-SCHEMA-002"],
        "schema 07",
        hex_input(&f),
        Want::Error("unknown_schema", Some("UPSTREAM_ACCEPTS_UNKNOWN_SCHEMA")),
    ));
    let mut f = frame_a();
    f.security = 2;
    v.push(p(
        "frame-peek-secured",
        &["FRAME-PEEK-001", "FRAME-SEC-002"],
        "security 02",
        hex_input(&f),
        Want::Error("secured_frame", Some("UPSTREAM_IGNORES_SECURITY_BYTE")),
    ));
    let mut f = frame_a();
    f.reserved[3] = 9;
    v.push(p(
        "frame-peek-reserved",
        &["FRAME-PEEK-001", "FRAME-FIXED-003"],
        "reserved byte 18 = 09",
        hex_input(&f),
        Want::Error("reserved_nonzero", Some("UPSTREAM_IGNORES_RESERVED")),
    ));
    let mut f = frame_a();
    f.var.push(7);
    f.header_len = None;
    v.push(p(
        "frame-peek-header-len-mismatch",
        &["FRAME-PEEK-001", "FRAME-DECODE-005"],
        "one extra variable-header byte",
        hex_input(&f),
        Want::Error(
            "header_len_mismatch",
            Some("UPSTREAM_UNBOUNDED_HEADER_PARSE"),
        ),
    ));
    v.push(p(
        "frame-peek-message-limit",
        &["FRAME-DECODE-002"],
        "max_message_bytes 100 for a 111-byte frame",
        json!({ "hex": a.spaced_hex(), "max_message_bytes": 100 }),
        Want::Error("message_too_large", Some("UPSTREAM_NO_SIZE_LIMIT")),
    ));
    v.push(p(
        "frame-peek-text-form",
        &["FRAME-PEEK-003", "FRAME-TEXT-001"],
        "peek of frame A's text form",
        json!({ "wire": frames::text_form(&a_bytes) }),
        Want::Reference(None),
    ));
    let mut f = Frame::new(0xfe, vec![1, 2, 3], b"{}");
    f.flags = 0x0100_1234;
    f.payload = vec![0xff; 4];
    f.payload_len = None;
    v.push(p(
        "frame-peek-opaque-schema",
        &["FRAME-SCHEMA-003", "FRAME-PEEK-003"],
        "schema fe: routing and response null, only common flag names",
        hex_input(&f),
        Want::Reference(Some("UPSTREAM_PEEK_DECODES_PAYLOAD")),
    ));
    v.push(p(
        "frame-peek-both-args",
        &["FRAME-PEEK-003"],
        "both hex and wire given",
        json!({ "hex": hex::encode(&a_bytes), "wire": frames::text_form(&a_bytes) }),
        Want::Error("bad_args", None),
    ));
    v
}

fn text_form_cases(enc_req: &[Enc]) -> Vec<Spec> {
    let file = "text-form";
    let mut v = Vec::new();
    let a_bytes = frame_a().bytes();
    let a_text = frames::text_form(&a_bytes);
    let t = |id: &str, reqs: &[&'static str], desc: &str, wire: String, want: Want| {
        spec(
            file,
            id,
            reqs,
            desc,
            "frame.decode",
            json!({ "wire": wire }),
            want,
        )
    };
    let body = &a_text[7..];
    v.push(t(
        "frame-text-err-no-padding",
        &["FRAME-TEXT-002"],
        "the trailing `=` removed",
        format!("#M2M|1|{}", body.trim_end_matches('=')),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-extra-padding",
        &["FRAME-TEXT-002"],
        "an extra `=`",
        format!("{a_text}="),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-url-safe",
        &["FRAME-TEXT-002"],
        "a URL-safe `-` in the body",
        format!("#M2M|1|-{}", &body[1..]),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-space",
        &["FRAME-TEXT-002"],
        "a space inside the body",
        format!("#M2M|1|{} {}", &body[..8], &body[8..]),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-newline",
        &["FRAME-TEXT-002"],
        "a trailing newline",
        format!("{a_text}\n"),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-line-wrapped",
        &["FRAME-TEXT-002"],
        "MIME-style line wrapping after 76 characters",
        format!("#M2M|1|{}\r\n{}", &body[..76], &body[76..]),
        Want::Error("invalid_base64", None),
    ));
    let mut bits = body.to_owned();
    let pos = bits.len() - 2; // ...0= : '0' (52) has its two low bits unused
    bits.replace_range(pos..pos + 1, "1");
    v.push(t(
        "frame-text-err-trailing-bits",
        &["FRAME-TEXT-002"],
        "nonzero unused bits in the last base64 character (…1= instead of …0=)",
        format!("#M2M|1|{bits}"),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-star",
        &["FRAME-TEXT-002"],
        "a `*` in the body",
        format!("#M2M|1|*{}", &body[1..]),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-non-ascii",
        &["FRAME-TEXT-002"],
        "a non-ASCII character in the body",
        format!("#M2M|1|é{}", &body[2..]),
        Want::Error("invalid_base64", None),
    ));
    v.push(t(
        "frame-text-err-prefix-only",
        &["FRAME-TEXT-001", "FRAME-DECODE-003"],
        "the prefix alone: zero decoded bytes",
        "#M2M|1|".to_owned(),
        Want::Error("truncated", None),
    ));
    v.push(t(
        "frame-text-err-prefix",
        &["FRAME-LAYOUT-003"],
        "the text form with prefix #M2M|2|",
        format!("#M2M|2|{body}"),
        Want::Error("invalid_prefix", None),
    ));
    v.push(t(
        "frame-text-err-binary-as-text",
        &["FRAME-TEXT-002"],
        "the binary form's bytes given as text (not base64)",
        format!("#M2M|1|{}", String::from_utf8_lossy(&a_bytes[7..])),
        Want::Error("invalid_base64", None),
    ));
    let mut f = frame_a();
    f.crc = Some(0);
    v.push(t(
        "frame-text-err-crc",
        &["FRAME-CRC-002", "FRAME-TEXT-001"],
        "a text form whose frame has a wrong CRC",
        frames::text_form(&f.bytes()),
        Want::Error("crc_mismatch", None),
    ));
    v.push(t(
        "frame-text-err-truncated",
        &["FRAME-DECODE-008", "FRAME-TEXT-001"],
        "the text form of a frame cut inside its payload",
        frames::text_form(&a_bytes[..100]),
        Want::Error("truncated", None),
    ));
    let mut f = frame_a();
    f.trailing = vec![0];
    v.push(t(
        "frame-text-err-trailing",
        &["FRAME-DECODE-009", "FRAME-TEXT-001"],
        "the text form of a frame with a trailing byte",
        frames::text_form(&f.bytes()),
        Want::Error("trailing_bytes", Some("UPSTREAM_IGNORES_TRAILING_BYTES")),
    ));
    v.push(spec(
        file,
        "frame-text-err-message-limit",
        &["FRAME-DECODE-002"],
        &format!(
            "max_message_bytes {} for frame A's {}-byte text form",
            a_text.len() - 1,
            a_text.len()
        ),
        "frame.decode",
        json!({ "wire": a_text.clone(), "max_message_bytes": a_text.len() - 1 }),
        Want::Error("message_too_large", Some("UPSTREAM_NO_SIZE_LIMIT")),
    ));
    v.push(spec(
        file,
        "frame-text-message-limit-exact",
        &["FRAME-DECODE-002"],
        "max_message_bytes equal to the text form's length",
        "frame.decode",
        json!({ "wire": a_text.clone(), "max_message_bytes": a_text.len() }),
        Want::Reference(None),
    ));
    // ---- wire.compress m2m == frame.encode's wire
    for (id, doc) in [
        ("a", FRAME_A),
        ("test-request", TEST_REQUEST),
        ("test-response", TEST_RESPONSE),
        ("small-response", SMALL_RESPONSE),
        ("array", "[1,2]"),
    ] {
        // As for frame.encode: a Brotli payload's exact bytes are SHOULD-level only.
        let (reqs, note): (&[&'static str], &str) = if doc.len() >= 100 {
            (
                &["FRAME-COMPRESS-002"],
                " (Brotli payload: exact bytes are SHOULD-level)",
            )
        } else {
            (&["FRAME-TEXT-003", "FRAME-TEXT-001"], "")
        };
        v.push(spec(
            file,
            &format!("frame-text-compress-{id}"),
            reqs,
            &format!("wire.compress with algorithm m2m gives the text form ({id}){note}"),
            "wire.compress",
            json!({ "algorithm": "m2m", "input": doc }),
            Want::Upstream,
        ));
    }
    v.push(spec(
        file,
        "frame-text-compress-invalid-json",
        &["FRAME-TEXT-003", "FRAME-ENC-001"],
        "wire.compress m2m of a non-JSON text",
        "wire.compress",
        json!({ "algorithm": "m2m", "input": "hello" }),
        Want::Upstream,
    ));
    v.push(spec(
        file,
        "frame-text-compress-role-unknown",
        &["FRAME-TEXT-003", "FRAME-ROLES-003"],
        "wire.compress m2m rejects what frame.encode rejects",
        "wire.compress",
        json!({ "algorithm": "m2m", "input": r#"{"model":"m","messages":[{"role":"function"}]}"# }),
        Want::Error("unencodable_input", Some("UPSTREAM_SKIPS_UNKNOWN_ROLES")),
    ));
    // ---- wire.decompress of the text form
    for enc in enc_req.iter().filter(|e| e.text) {
        let json_text = crate::expand(&enc.json).as_str().unwrap().to_owned();
        let bytes = upstream_frame(&json_text);
        let base = enc.id.trim_start_matches("frame-enc-");
        v.push(spec(
            file,
            &format!("frame-text-decompress-{base}"),
            &["FRAME-TEXT-004"],
            &format!("wire.decompress of the text form: {}", enc.desc),
            "wire.decompress",
            json!({ "wire": frames::text_form(&bytes) }),
            Want::Reference(None),
        ));
    }
    for (id, wire, class, flag, desc) in [
        (
            "no-padding",
            format!("#M2M|1|{}", body.trim_end_matches('=')),
            "invalid_base64",
            None,
            "missing padding",
        ),
        (
            "crc",
            {
                let mut f = frame_a();
                f.crc = Some(0);
                frames::text_form(&f.bytes())
            },
            "crc_mismatch",
            None,
            "a wrong CRC",
        ),
        (
            "truncated",
            frames::text_form(&a_bytes[..40]),
            "truncated",
            None,
            "a frame cut in its variable header",
        ),
        (
            "prefix-only",
            "#M2M|1|".to_owned(),
            "truncated",
            None,
            "the prefix alone",
        ),
        (
            "trailing",
            {
                let mut f = frame_a();
                f.trailing = vec![0];
                frames::text_form(&f.bytes())
            },
            "trailing_bytes",
            Some("UPSTREAM_IGNORES_TRAILING_BYTES"),
            "a trailing byte",
        ),
        (
            "schema",
            {
                let mut f = frame_a();
                f.schema = 0x11;
                frames::text_form(&f.bytes())
            },
            "unknown_schema",
            Some("UPSTREAM_ACCEPTS_UNKNOWN_SCHEMA"),
            "schema 11",
        ),
    ] {
        v.push(spec(
            file,
            &format!("frame-text-decompress-err-{id}"),
            &["FRAME-TEXT-004"],
            &format!("wire.decompress fails like frame.decode: {desc}"),
            "wire.decompress",
            json!({ "wire": wire }),
            Want::Error(class, flag),
        ));
    }
    v.push(spec(file, "frame-text-decompress-limit", &["FRAME-TEXT-004", "FRAME-COMPRESS-004"], "wire.decompress applies max_decompressed_bytes to the frame payload", "wire.decompress",
        json!({ "wire": frames::text_form(&compressed_request().bytes()), "max_decompressed_bytes": 100 }), Want::Error("decompressed_too_large", Some("UPSTREAM_NO_SIZE_LIMIT"))));
    v
}

// ------------------------------------------------------------------------------------------
// negative cases for rules whose other vectors are all valid (file `negative`)

/// Encoder documents for `negative.yaml`: documents the spec rejects (where upstream is
/// lenient they are `acceptable`), and near misses whose exact bytes come from upstream.
fn negative_encodes() -> Vec<Enc> {
    let mut v = Vec::new();
    let unencodable = || Want::Error("unencodable_input", Some("UPSTREAM_SKIPS_UNKNOWN_ROLES"));
    // ---- roles: a case variant or a padded spelling is not a role (DETECT-001, DIV-002)
    for (id, reqs, desc, doc) in [
        (
            "frame-neg-role-developer-capitalised",
            &["FRAME-DETECT-001", "FRAME-ROLES-001", "FRAME-ROLES-003"][..],
            "`Developer` is not the role `developer`: no role code, no has_system_prompt",
            r#"{"model":"m","messages":[{"role":"Developer","content":"d"}]}"#,
        ),
        (
            "frame-neg-role-system-trailing-space",
            &["FRAME-DETECT-001", "FRAME-ROLES-003"],
            "`system ` (trailing space) is not the role `system`",
            r#"{"model":"m","messages":[{"role":"system ","content":"s"}]}"#,
        ),
        (
            "frame-neg-role-tool-capitalised",
            &["FRAME-DIV-002", "FRAME-ROLES-001", "FRAME-ROLES-003"],
            "`Tool` is not the role `tool` (code 3)",
            r#"{"model":"m","messages":[{"role":"user","content":"u"},{"role":"Tool","content":"t"}]}"#,
        ),
        (
            "frame-neg-role-developer-upper",
            &["FRAME-DIV-002", "FRAME-ROLES-003"],
            "`DEVELOPER` is not the role `developer` (code 0)",
            r#"{"model":"m","messages":[{"role":"DEVELOPER"}]}"#,
        ),
    ] {
        v.push(e(id, reqs, desc, doc).want(unencodable()));
    }
    // ---- near misses: (id, reqs, description, document)
    let near: &[(&str, &[&'static str], &str, &str)] = &[
        // DETECT-001
        ("frame-neg-system-top-level", &["FRAME-DETECT-001"],
         "a top-level `system` member (no system message) leaves has_system_prompt clear",
         r#"{"model":"m","system":"be brief","messages":[{"role":"user","content":"x"}]}"#),
        ("frame-neg-system-name", &["FRAME-DETECT-001"],
         "a user message named and saying `system` leaves has_system_prompt clear",
         r#"{"model":"m","messages":[{"role":"user","name":"system","content":"system"}]}"#),
        // DETECT-002
        ("frame-neg-image-type-upper", &["FRAME-DETECT-002"],
         "a part of type `IMAGE_URL` leaves has_images clear (exact match)",
         r#"{"model":"m","messages":[{"role":"user","content":[{"type":"IMAGE_URL"}]}]}"#),
        ("frame-neg-image-content-object", &["FRAME-DETECT-002"],
         "an image_url part as the content object itself (not in an array) leaves has_images clear",
         r#"{"model":"m","messages":[{"role":"user","content":{"type":"image_url"}}]}"#),
        ("frame-neg-image-input-image", &["FRAME-DETECT-002"],
         "a part of type `input_image` leaves has_images clear",
         r#"{"model":"m","messages":[{"role":"user","content":[{"type":"input_image"}]}]}"#),
        // DETECT-003
        ("frame-neg-presence-key-case", &["FRAME-DETECT-003"],
         "a `Tools` member (capital T) leaves has_tools clear: keys match exactly",
         r#"{"model":"m","messages":[],"Tools":[]}"#),
        ("frame-neg-presence-nested", &["FRAME-DETECT-003"],
         "`temperature` inside a message is not a top-level member: has_temperature clear",
         r#"{"model":"m","messages":[{"role":"user","temperature":1}]}"#),
        ("frame-neg-presence-stop-sequences", &["FRAME-DETECT-003"],
         "`stop_sequences` is not `stop`: has_stop clear",
         r#"{"model":"m","messages":[],"stop_sequences":["x"]}"#),
        // DETECT-004
        ("frame-neg-stream-key-case", &["FRAME-DETECT-004"],
         "`Stream: true` (capital S) leaves stream_requested clear",
         r#"{"model":"m","messages":[],"Stream":true}"#),
        ("frame-neg-stream-array", &["FRAME-DETECT-004"],
         "`stream: [true]` leaves stream_requested clear",
         r#"{"model":"m","messages":[],"stream":[true]}"#),
        ("frame-neg-stream-options-only", &["FRAME-DETECT-004"],
         "`stream_options` without `stream` leaves stream_requested clear",
         r#"{"model":"m","messages":[],"stream_options":{"include_usage":true}}"#),
        // DETECT-006 / RESP-003
        ("frame-neg-choice-tool-calls-outside-message", &["FRAME-DETECT-006"],
         "tool_calls on the choice instead of its message leaves has_tool_calls clear",
         r#"{"id":"chatcmpl-r","choices":[{"tool_calls":[]}]}"#),
        ("frame-neg-choice-refusal-number", &["FRAME-DETECT-006"],
         "a numeric refusal leaves has_refusal clear",
         r#"{"id":"chatcmpl-r","choices":[{"message":{"refusal":1}}]}"#),
        ("frame-neg-finish-top-level", &["FRAME-DETECT-006", "FRAME-RESP-003"],
         "a top-level finish_reason `length` is not choices[0]'s: code ff, truncated clear",
         r#"{"id":"chatcmpl-r","choices":[{}],"finish_reason":"length"}"#),
        ("frame-neg-finish-in-message", &["FRAME-DETECT-006", "FRAME-RESP-003"],
         "finish_reason `content_filter` inside message: code ff, content_filtered clear",
         r#"{"id":"chatcmpl-r","choices":[{"message":{"finish_reason":"content_filter"}}]}"#),
        ("frame-neg-finish-padded", &["FRAME-RESP-003"],
         "finish_reason ` stop` (leading space) → ff",
         r#"{"id":"chatcmpl-r","choices":[{"finish_reason":" stop"}]}"#),
        ("frame-neg-choices-object", &["FRAME-RESP-003", "FRAME-DETECT-006"],
         "choices as an object keyed \"0\" has no choices[0]: code ff, truncated clear",
         r#"{"id":"chatcmpl-r","choices":{"0":{"finish_reason":"length"}}}"#),
        // DETECT-007
        ("frame-neg-usage-key-case", &["FRAME-DETECT-007"],
         "a `Usage` member (capital U) leaves has_usage and has_cost_estimate clear",
         r#"{"id":"chatcmpl-u","choices":[],"Usage":{"prompt_tokens":1}}"#),
        ("frame-neg-usage-in-choice", &["FRAME-DETECT-007"],
         "usage inside choices[0] is not top-level: has_usage clear, no cost",
         r#"{"id":"chatcmpl-u","choices":[{"usage":{"prompt_tokens":1}}]}"#),
        ("frame-neg-usage-on-request", &["FRAME-DETECT-007"],
         "`usage` on a request document sets nothing (bit 3 of a request is has_images)",
         r#"{"model":"m","messages":[],"usage":{"prompt_tokens":1}}"#),
        // DETECT-008
        ("frame-neg-cached-negative", &["FRAME-DETECT-008"],
         "cached_tokens -1 leaves has_cached_tokens clear",
         r#"{"id":"chatcmpl-u","choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":-1}}}"#),
        ("frame-neg-cached-float-integral", &["FRAME-DETECT-008"],
         "cached_tokens 1.0 is a float, not an unsigned integer: flag clear",
         r#"{"id":"chatcmpl-u","choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":1.0}}}"#),
        ("frame-neg-cached-string", &["FRAME-DETECT-008"],
         "cached_tokens \"5\" (a string) leaves has_cached_tokens clear",
         r#"{"id":"chatcmpl-u","choices":[],"usage":{"prompt_tokens_details":{"cached_tokens":"5"}}}"#),
        ("frame-neg-cached-wrong-nesting", &["FRAME-DETECT-008"],
         "cached_tokens directly under usage (not in prompt_tokens_details): flag clear",
         r#"{"id":"chatcmpl-u","choices":[],"usage":{"cached_tokens":5}}"#),
        ("frame-neg-reasoning-wrong-details", &["FRAME-DETECT-008"],
         "reasoning_tokens under prompt_tokens_details: has_reasoning_tokens clear",
         r#"{"id":"chatcmpl-u","choices":[],"usage":{"prompt_tokens_details":{"reasoning_tokens":3}}}"#),
        // ENC-002
        ("frame-neg-schema-model-and-chatcmpl-id", &["FRAME-ENC-002"],
         "`model` without `messages` but with a chatcmpl- id is a response",
         r#"{"model":"m","id":"chatcmpl-1"}"#),
        ("frame-neg-schema-messages-and-choices", &["FRAME-ENC-002"],
         "`messages` without `model` but with `choices` is a response",
         r#"{"messages":[],"choices":[]}"#),
        ("frame-neg-schema-id-upper", &["FRAME-ENC-002"],
         "id `CHATCMPL-1` does not start with `chatcmpl-`: a request",
         r#"{"id":"CHATCMPL-1"}"#),
        ("frame-neg-schema-id-infix", &["FRAME-ENC-002"],
         "id `xchatcmpl-1` contains but does not start with `chatcmpl-`: a request",
         r#"{"id":"xchatcmpl-1"}"#),
        // ROUTE-003
        ("frame-neg-messages-object-members", &["FRAME-ROUTE-003"],
         "messages as an object with two members counts 0 messages (no roles)",
         r#"{"model":"m","messages":{"a":{"role":"user"},"b":{"role":"user"}}}"#),
        ("frame-neg-messages-key-case", &["FRAME-ROUTE-003"],
         "a `Messages` member (capital M) is not `messages`: msg_count 0",
         r#"{"model":"m","Messages":[{"role":"user"}]}"#),
        // ROUTE-004
        ("frame-neg-hint-e-acute", &["FRAME-ROUTE-004"],
         "content `é` adds 2 (UTF-8 bytes), not 1 (characters)",
         r#"{"model":"m","messages":[{"role":"user","content":"é"}]}"#),
        ("frame-neg-hint-content-object", &["FRAME-ROUTE-004"],
         "a content object with a text member adds 0 (only strings and arrays count)",
         r#"{"model":"m","messages":[{"role":"user","content":{"text":"abc"}}]}"#),
        ("frame-neg-hint-bare-strings", &["FRAME-ROUTE-004"],
         "a content array of bare strings adds 0 (only `text` members count)",
         r#"{"model":"m","messages":[{"role":"user","content":["abc","de"]}]}"#),
        ("frame-neg-hint-text-number", &["FRAME-ROUTE-004"],
         "a part whose `text` is a number adds 0",
         r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":123}]}]}"#),
        ("frame-neg-hint-message-text", &["FRAME-ROUTE-004"],
         "a `text` member on the message itself (content null) adds 0",
         r#"{"model":"m","messages":[{"role":"user","text":"abc","content":null}]}"#),
        // COST-001: names just outside a pricing prefix fall to the default row
        ("frame-neg-cost-provider-prefix", &["FRAME-COST-001"],
         "`azure/gpt-4o` does not start with a table prefix: default pricing",
         r#"{"model":"azure/gpt-4o","messages":[{"role":"user","content":"abcdefgh"}]}"#),
        ("frame-neg-cost-prefix-too-short", &["FRAME-COST-001"],
         "`gpt-3.5` is shorter than the prefix `gpt-3.5-turbo`: default pricing",
         r#"{"model":"gpt-3.5","messages":[{"role":"user","content":"abcdefgh"}]}"#),
        ("frame-neg-cost-o1-pro", &["FRAME-COST-001"],
         "`o1-pro` matches neither `o1-preview` nor `o1-mini`: default pricing",
         r#"{"model":"o1-pro","messages":[{"role":"user","content":"abcdefgh"}]}"#),
        ("frame-neg-cost-leading-space", &["FRAME-COST-001"],
         "` gpt-4o` (leading space) is not trimmed: default pricing",
         r#"{"model":" gpt-4o","messages":[{"role":"user","content":"abcdefgh"}]}"#),
        ("frame-neg-cost-no-dash", &["FRAME-COST-001"],
         "`gpt4o` (no dash) matches no prefix: default pricing",
         r#"{"model":"gpt4o","messages":[{"role":"user","content":"abcdefgh"}]}"#),
        // COST-002: inputs where binary64 or fused arithmetic gives other binary32 bits
        ("frame-neg-cost-f32-vs-f64-response", &["FRAME-COST-002"],
         "gpt-4o, 0 + 1 tokens: binary32 steps give 3727c5ad, binary64 rounded once gives 3727c5ac",
         r#"{"id":"chatcmpl-c","model":"gpt-4o","usage":{"prompt_tokens":0,"completion_tokens":1}}"#),
        ("frame-neg-cost-f32-vs-f64-request", &["FRAME-COST-002"],
         "gpt-4o request with max_tokens 1 and no content: binary32 gives 3727c5ad, binary64 3727c5ac",
         r#"{"model":"gpt-4o","messages":[],"max_tokens":1}"#),
        ("frame-neg-cost-no-fma", &["FRAME-COST-002"],
         "default pricing, 1 + 9 tokens: separate rounding gives 37eae18c, a fused multiply-add 37eae18a",
         r#"{"id":"chatcmpl-c","model":"m","usage":{"prompt_tokens":1,"completion_tokens":9}}"#),
        // COST-003: the header's numbers, not the document's
        ("frame-neg-cost-hint-rounded-down", &["FRAME-COST-003"],
         "content_hint 7 prices 1 prompt token (7/4 rounded down), not 1.75",
         r#"{"model":"gpt-4","messages":[{"role":"user","content":"abcdefg"}]}"#),
        ("frame-neg-cost-max-tokens-wrapped", &["FRAME-COST-003"],
         "max_tokens 2^32+5 is written as 5, and 5 completion tokens are priced",
         r#"{"model":"gpt-4","messages":[],"max_tokens":4294967301}"#),
        ("frame-neg-cost-prompt-wrapped", &["FRAME-COST-003"],
         "prompt_tokens 2^32+1 is written as 1, and 1 prompt token is priced",
         r#"{"id":"chatcmpl-c","model":"gpt-4","usage":{"prompt_tokens":4294967297,"completion_tokens":2}}"#),
        ("frame-neg-cost-total-only", &["FRAME-COST-003"],
         "usage with only total_tokens writes 0 and 0 and prices them (cost 0)",
         r#"{"id":"chatcmpl-c","model":"gpt-4","usage":{"total_tokens":100}}"#),
    ];
    for (id, reqs, desc, doc) in near {
        v.push(e(id, reqs, desc, doc).near_miss());
    }
    v
}

/// Frames for `negative.yaml`: upstream's own frames with one field or payload byte changed,
/// and hand-built frames, each rejected by the spec.
fn negative_frames() -> Vec<Spec> {
    let file = "negative";
    let mut v = Vec::new();
    let cost = 0.005f32;
    let route = routing(b"m", &[1], &[1], &[2], None, cost);
    let dec = |id: &str, reqs: Vec<&'static str>, desc: &str, f: &Frame, want: Want| {
        spec(file, id, &reqs, desc, "frame.decode", hex_input(f), want)
    };
    // ---- COMPRESS-001 / FLAGS-004: the compressed flag disagrees with the payload
    let mut f = compressed_request();
    f.flags &= !0x0100_0000;
    let (class, why) = if std::str::from_utf8(&f.payload).is_ok() {
        ("crc_mismatch", "FRAME-CRC-002")
    } else {
        ("invalid_utf8", "FRAME-PAYLOAD-002")
    };
    v.push(dec(
        "frame-neg-compress-flag-cleared",
        vec!["FRAME-COMPRESS-001", "FRAME-FLAGS-004", why],
        "upstream's 167-byte TEST_REQUEST frame with the compressed flag cleared: the Brotli bytes are read as text",
        &f,
        Want::Error(class, None),
    ));
    let mut f = compressed_request();
    f.payload = TEST_REQUEST.as_bytes().to_vec();
    f.payload_len = None;
    f.crc = None;
    v.push(dec(
        "frame-neg-compress-flag-on-raw-167",
        vec![
            "FRAME-COMPRESS-001",
            "FRAME-FLAGS-004",
            "FRAME-COMPRESS-003",
        ],
        "the 167-byte TEST_REQUEST stored raw but with the compressed flag set (CRC correct)",
        &f,
        Want::Error("brotli_corrupt", None),
    ));
    // ---- ENC-005 / PAYLOAD-001: upstream's frame with one payload byte changed
    let pretty = "{\n  \"model\": \"m\",\n  \"messages\": [ {\"role\": \"user\"} ]\n}\n";
    let mut pretty_changed = Frame::parse(&upstream_frame(pretty));
    let at = pretty_changed
        .payload
        .iter()
        .position(|b| *b == b' ')
        .expect("a space");
    pretty_changed.payload[at] = b'\t';
    v.push(dec(
        "frame-neg-payload-space-to-tab",
        vec!["FRAME-ENC-005", "FRAME-PAYLOAD-001", "FRAME-CRC-002"],
        "upstream's frame of a pretty-printed request with one space changed to a tab: crc_mismatch",
        &pretty_changed,
        Want::Error("crc_mismatch", None),
    ));
    let mut f = small_response();
    let at = f
        .payload
        .windows(4)
        .position(|w| w == b"stop")
        .expect("stop")
        + 3;
    f.payload[at] = b'q';
    v.push(dec(
        "frame-neg-payload-response-byte",
        vec!["FRAME-ENC-005", "FRAME-PAYLOAD-001", "FRAME-CRC-002"],
        "upstream's small response frame with `stop` changed to `stoq` in the payload: crc_mismatch",
        &f,
        Want::Error("crc_mismatch", None),
    ));
    v.push(spec(
        file,
        "frame-neg-payload-text-form",
        &["FRAME-ENC-005", "FRAME-PAYLOAD-001", "FRAME-TEXT-002"],
        "the text form of the pretty-printed request frame with one payload space changed to a tab",
        "frame.decode",
        json!({ "wire": frames::text_form(&pretty_changed.bytes()) }),
        Want::Error("crc_mismatch", None),
    ));
    // ---- PAYLOAD-003: no JSON check, but UTF-8 and CRC are still checked
    let mut f = Frame::new(0x01, route.clone(), b"hello");
    f.crc = Some(crc32fast::hash(b"hello") ^ 1);
    v.push(dec(
        "frame-neg-not-json-bad-crc",
        vec!["FRAME-PAYLOAD-003", "FRAME-CRC-002"],
        "the non-JSON payload `hello` with a wrong CRC: crc_mismatch",
        &f,
        Want::Error("crc_mismatch", None),
    ));
    v.push(dec(
        "frame-neg-not-json-not-utf8",
        vec!["FRAME-PAYLOAD-003", "FRAME-PAYLOAD-002"],
        "the non-JSON payload `hello ff` (CRC correct) is not UTF-8: invalid_utf8",
        &Frame::new(0x01, route.clone(), b"hello \xff"),
        Want::Error("invalid_utf8", None),
    ));
    // ---- FLAGS-006: layout flags are not hints
    let mut f = frame_a();
    f.flags |= 0x40;
    v.push(dec(
        "frame-neg-layout-flag-max-tokens",
        vec!["FRAME-FLAGS-006", "FRAME-DECODE-004"],
        "frame A with has_max_tokens set: a layout flag, so the header has no room left for the cost",
        &f,
        Want::Error("truncated", Some("UPSTREAM_UNBOUNDED_HEADER_PARSE")),
    ));
    let mut f = small_response();
    f.flags |= 0x40;
    v.push(dec(
        "frame-neg-layout-flag-reasoning",
        vec!["FRAME-FLAGS-006", "FRAME-DECODE-004"],
        "the small response with has_reasoning_tokens set but no such field: the cost no longer fits",
        &f,
        Want::Error("truncated", Some("UPSTREAM_UNBOUNDED_HEADER_PARSE")),
    ));
    // ---- SEC-001: upstream's plain frames with the security byte changed
    let mut f = small_response();
    f.security = 1;
    v.push(dec(
        "frame-neg-security-response",
        vec!["FRAME-SEC-001", "FRAME-SEC-002"],
        "upstream's small response frame with security byte 01 (and no tag)",
        &f,
        Want::Error("secured_frame", Some("UPSTREAM_IGNORES_SECURITY_BYTE")),
    ));
    let mut f = compressed_request();
    f.security = 1;
    v.push(dec(
        "frame-neg-security-compressed",
        vec!["FRAME-SEC-001", "FRAME-SEC-002"],
        "upstream's compressed TEST_REQUEST frame with security byte 01",
        &f,
        Want::Error("secured_frame", Some("UPSTREAM_IGNORES_SECURITY_BYTE")),
    ));
    let mut f = frame_a();
    f.security = 1;
    v.push(spec(
        file,
        "frame-neg-security-text-form",
        &["FRAME-SEC-001", "FRAME-SEC-002"],
        "the text form of frame A with security byte 01",
        "frame.decode",
        json!({ "wire": frames::text_form(&f.bytes()) }),
        Want::Error("secured_frame", Some("UPSTREAM_IGNORES_SECURITY_BYTE")),
    ));
    // ---- PEEK-002 / PEEK-004: peek of frames that do not decode
    let a_bytes = frame_a().bytes();
    let peek = |id: &str, reqs: &[&'static str], desc: &str, input: Value, want: Want| {
        spec(file, id, reqs, desc, "frame.peek", input, want)
    };
    v.push(peek(
        "frame-neg-peek-cut-in-fixed-header",
        &["FRAME-PEEK-002", "FRAME-DECODE-003"],
        "peek of frame A cut to 15 bytes, inside its fixed header",
        raw_hex_input(&a_bytes[..15]),
        Want::Error("truncated", None),
    ));
    let r_bytes = small_response().bytes();
    v.push(peek(
        "frame-neg-peek-cut-in-response-header",
        &["FRAME-PEEK-002", "FRAME-DECODE-003"],
        "peek of the small response frame cut to 30 bytes, inside its response header",
        raw_hex_input(&r_bytes[..30]),
        Want::Error("truncated", None),
    ));
    v.push(peek(
        "frame-neg-peek-payload-cut",
        &["FRAME-PEEK-002", "FRAME-PEEK-001"],
        "frame A missing its last payload byte: decode fails, peek still returns the header",
        raw_hex_input(&a_bytes[..a_bytes.len() - 1]),
        Want::Reference(Some("UPSTREAM_PEEK_DECODES_PAYLOAD")),
    ));
    let cost_at = 27 + frame_a().var.len() - 4;
    v.push(peek(
        "frame-neg-peek-cut-in-cost",
        &["FRAME-PEEK-004", "FRAME-DECODE-003"],
        "peek of frame A cut inside est_cost_usd: any cost bits are accepted, but all 4 must be there",
        raw_hex_input(&a_bytes[..cost_at + 2]),
        Want::Error("truncated", None),
    ));
    let mut f = small_response();
    f.var.pop();
    f.header_len = None;
    v.push(peek(
        "frame-neg-peek-response-cost-short",
        &["FRAME-PEEK-004", "FRAME-DECODE-004"],
        "the small response with a 3-byte cost field (header_len one less)",
        hex_input(&f),
        Want::Error("truncated", Some("UPSTREAM_UNBOUNDED_HEADER_PARSE")),
    ));
    v
}

/// Existing valid cases that are near misses of every requirement they cite: their input lies
/// just outside the rule's condition (a string `"true"` for "only the literal `true`").
const NEAR_MISSES: &[&str] = &[
    "frame-enc-req-flag-stream-false",
    "frame-enc-req-flag-stream-string",
    "frame-enc-req-flag-stream-one",
    "frame-enc-req-image-type-image",
    "frame-enc-req-messages-string",
    "frame-enc-req-schema-id-chatcmpl-no-dash",
    "frame-enc-req-schema-id-not-string",
    "frame-enc-resp-finish-upper",
    "frame-enc-resp-refusal-null",
    "frame-enc-resp-second-choice-ignored",
    "frame-enc-resp-usage-reasoning-0",
    "frame-enc-resp-usage-cached-float",
];

/// Requirements a case also checks, beyond those it was written for: a valid frame passes every
/// decoder check (positive side of the error requirements), and several malformed frames break
/// a layout or table requirement as well as the check that catches them.
const ALSO_CITES: &[(&str, &[&str])] = &[
    (
        "frame-dec-req-a",
        &[
            "FRAME-DECODE-001",
            "FRAME-DECODE-003",
            "FRAME-DECODE-004",
            "FRAME-DECODE-005",
            "FRAME-DECODE-008",
            "FRAME-DECODE-009",
            "FRAME-CRC-002",
            "FRAME-FIXED-003",
            "FRAME-SEC-002",
            "FRAME-SEC-003",
            "FRAME-SCHEMA-002",
        ],
    ),
    ("frame-dec-req-model-unicode", &["FRAME-DECODE-007"]),
    ("frame-dec-resp-unicode-id", &["FRAME-DECODE-007"]),
    ("frame-dec-req-unicode-content", &["FRAME-PAYLOAD-002"]),
    ("frame-dec-req-hint-unicode", &["FRAME-PAYLOAD-002"]),
    (
        "frame-dec-req-upstream-test-request",
        &["FRAME-COMPRESS-003"],
    ),
    ("frame-dec-compressed-small", &["FRAME-COMPRESS-003"]),
    ("frame-dec-limit-exact", &["FRAME-DIV-006"]),
    ("frame-dec-message-limit-exact", &["FRAME-DIV-006"]),
    ("frame-dec-schema-stream-empty", &["FRAME-FIXED-002"]),
    ("frame-dec-schema-embedding-request", &["FRAME-SCHEMA-002"]),
    ("frame-dec-schema-stream", &["FRAME-SCHEMA-002"]),
    ("frame-dec-informational-flags", &["FRAME-FLAGS-005"]),
    ("frame-dec-req-all-flags", &["FRAME-FLAGS-005"]),
    ("frame-dec-finish-ff", &["FRAME-RESP-004"]),
    ("frame-enc-req-roles-4", &["FRAME-ROLES-003"]),
    ("frame-enc-req-roles-5", &["FRAME-ROLES-003"]),
    ("frame-enc-req-doc-array", &["FRAME-ENC-001"]),
    ("frame-enc-req-doc-number", &["FRAME-ENC-001"]),
    ("frame-enc-req-pretty", &["FRAME-ENC-001"]),
    ("frame-text-dec-req-a", &["FRAME-TEXT-002"]),
    ("frame-text-dec-resp-small", &["FRAME-TEXT-002"]),
    ("frame-text-dec-req-pretty", &["FRAME-TEXT-002"]),
    (
        "frame-enc-req-max-tokens-completion-string",
        &["FRAME-DIV-004"],
    ),
    (
        "frame-enc-req-max-tokens-null-with-completion",
        &["FRAME-DIV-004"],
    ),
    ("frame-err-flags-byte13", &["FRAME-FLAGS-001"]),
    ("frame-err-flags-bit31", &["FRAME-FLAGS-001"]),
    ("frame-err-flags-request-bit15", &["FRAME-FLAGS-002"]),
    ("frame-err-flags-response-bit8", &["FRAME-FLAGS-003"]),
    ("frame-err-flags-response-bit15", &["FRAME-FLAGS-003"]),
    ("frame-err-trailing-byte", &["FRAME-LAYOUT-001"]),
    ("frame-err-payload-len-plus-one", &["FRAME-LAYOUT-001"]),
    ("frame-err-truncated-a-45", &["FRAME-LAYOUT-001"]),
    ("frame-err-truncated-response-28", &["FRAME-RESP-001"]),
    ("frame-err-id-len-past-end", &["FRAME-RESP-001"]),
    ("frame-err-response-cost-unflagged", &["FRAME-RESP-001"]),
    ("frame-enc-req-role-function", &["FRAME-ROLES-001"]),
    ("frame-enc-req-role-capitalised", &["FRAME-ROLES-001"]),
    ("frame-err-roles-padding", &["FRAME-ROLES-002"]),
    ("frame-err-roles-short", &["FRAME-ROLES-002"]),
    ("frame-err-request-cost-missing", &["FRAME-ROUTE-001"]),
    ("frame-err-model-len-past-end", &["FRAME-ROUTE-001"]),
    ("frame-err-varint-runs-into-cost", &["FRAME-ROUTE-001"]),
    ("frame-err-schema-00", &["FRAME-SCHEMA-001"]),
    ("frame-enc-req-model-256", &["FRAME-ROUTE-002"]),
    ("frame-enc-resp-id-256", &["FRAME-RESP-002"]),
    ("frame-enc-resp-model-256", &["FRAME-RESP-002"]),
    ("frame-err-brotli-raw-json", &["FRAME-DIV-005"]),
    ("frame-err-schema-11", &["FRAME-SCHEMA-001"]),
    ("frame-enc-req-role-capitalised", &["FRAME-DETECT-001"]),
];

/// Every case, in file order.
pub fn all() -> Vec<Spec> {
    let mut out = Vec::new();
    let mut derived = Vec::new();
    let req = requests();
    let text_sources: Vec<Enc> = req
        .iter()
        .chain(std::iter::empty())
        .filter(|e| e.text)
        .map(|e| Enc {
            json: e.json.clone(),
            id: e.id.clone(),
            reqs: e.reqs.clone(),
            desc: e.desc.clone(),
            want: e.want.clone(),
            decode: false,
            peek: false,
            text: true,
            near_miss: false,
        })
        .collect();
    let resp = responses();
    let resp_text: Vec<Enc> = resp
        .iter()
        .filter(|e| e.text)
        .map(|e| Enc {
            json: e.json.clone(),
            id: e.id.clone(),
            reqs: e.reqs.clone(),
            desc: e.desc.clone(),
            want: e.want.clone(),
            decode: false,
            peek: false,
            text: true,
            near_miss: false,
        })
        .collect();
    encode_specs("encode-request", req, &mut out, &mut derived);
    encode_specs("encode-response", resp, &mut out, &mut derived);
    // derived goldens first in their files, then the hand-built ones
    out.extend(derived);
    out.extend(decode_positive());
    out.extend(peek_cases());
    out.extend(decode_errors());
    let mut all_text = text_sources;
    all_text.extend(resp_text);
    out.extend(text_form_cases(&all_text));
    let mut none_derived = Vec::new();
    encode_specs("negative", negative_encodes(), &mut out, &mut none_derived);
    assert!(none_derived.is_empty(), "negative cases derive no goldens");
    out.extend(negative_frames());
    for (id, extra) in ALSO_CITES {
        let case = out
            .iter_mut()
            .find(|s| s.id == *id)
            .unwrap_or_else(|| panic!("ALSO_CITES names unknown case {id}"));
        for r in *extra {
            if !case.reqs.contains(r) {
                case.reqs.push(r);
            }
        }
    }
    for id in NEAR_MISSES {
        let case = out
            .iter_mut()
            .find(|s| s.id == *id)
            .unwrap_or_else(|| panic!("NEAR_MISSES names unknown case {id}"));
        assert!(
            matches!(case.want, Want::Upstream | Want::Reference(None)),
            "{id}: only a valid golden can be a near miss"
        );
        assert!(
            !case.reqs.contains(&"FRAME-COMPRESS-002"),
            "{id}: a Brotli golden cites only FRAME-COMPRESS-002 and cannot be a near miss"
        );
        case.near_miss = true;
    }
    // Stable order within each file: as pushed.
    let order = |f: &str| {
        crate::FILES
            .iter()
            .position(|(n, _)| *n == f)
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|s| order(s.file));
    out
}
