//! The 32-bit flags word (offsets 11-14) and how the encoder derives it from the JSON document
//! (spec `frame`, FLAGS and DETECT topics).
//!
//! Layout of the little-endian `u32`: bits 0-15 are schema-specific (request or response flags),
//! bits 16-23 are reserved, bits 24-31 are common flags. Only five bits change the byte layout
//! (`has_max_tokens`, `has_cached_tokens`, `has_reasoning_tokens`, `has_cost_estimate`,
//! `compressed`); all others are informational hints for routers. [FRAME-FLAGS-001]

use serde_json::Value;

/// Request flag bits (schemas 0x01 and 0x04). [FRAME-FLAGS-002]
pub mod request {
    /// A message has role `system` or `developer`.
    pub const HAS_SYSTEM_PROMPT: u16 = 1 << 0;
    /// `tools` or `functions` is present.
    pub const HAS_TOOLS: u16 = 1 << 1;
    /// `tool_choice` or `function_call` is present.
    pub const HAS_TOOL_CHOICE: u16 = 1 << 2;
    /// A content part has `"type": "image_url"`.
    pub const HAS_IMAGES: u16 = 1 << 3;
    /// `stream` is `true`.
    pub const STREAM_REQUESTED: u16 = 1 << 4;
    /// `response_format` is present.
    pub const HAS_RESPONSE_FORMAT: u16 = 1 << 5;
    /// The routing header carries a `max_tokens` varint (layout flag).
    pub const HAS_MAX_TOKENS: u16 = 1 << 6;
    /// `reasoning_effort` is present.
    pub const HAS_REASONING_EFFORT: u16 = 1 << 7;
    /// `service_tier` is present.
    pub const HAS_SERVICE_TIER: u16 = 1 << 8;
    /// `seed` is present.
    pub const HAS_SEED: u16 = 1 << 9;
    /// `logprobs` is present.
    pub const HAS_LOGPROBS: u16 = 1 << 10;
    /// `user` is present.
    pub const HAS_USER_ID: u16 = 1 << 11;
    /// `temperature` is present.
    pub const HAS_TEMPERATURE: u16 = 1 << 12;
    /// `top_p` is present.
    pub const HAS_TOP_P: u16 = 1 << 13;
    /// `stop` is present.
    pub const HAS_STOP: u16 = 1 << 14;
    /// Bits with a meaning; bit 15 is reserved. [FRAME-FLAGS-005]
    pub const DEFINED: u16 = 0x7fff;
    /// Names of bits 0..=14, as reported by peek. [FRAME-PEEK-003]
    pub const NAMES: [&str; 15] = [
        "has_system_prompt",
        "has_tools",
        "has_tool_choice",
        "has_images",
        "stream_requested",
        "has_response_format",
        "has_max_tokens",
        "has_reasoning_effort",
        "has_service_tier",
        "has_seed",
        "has_logprobs",
        "has_user_id",
        "has_temperature",
        "has_top_p",
        "has_stop",
    ];
}

/// Response flag bits (schemas 0x02, 0x05 and 0x10). [FRAME-FLAGS-003]
pub mod response {
    /// `choices[0].message.tool_calls` is present.
    pub const HAS_TOOL_CALLS: u16 = 1 << 0;
    /// `choices[0].message.refusal` is a string.
    pub const HAS_REFUSAL: u16 = 1 << 1;
    /// `choices[0].finish_reason` is `content_filter`.
    pub const CONTENT_FILTERED: u16 = 1 << 2;
    /// `usage` is present.
    pub const HAS_USAGE: u16 = 1 << 3;
    /// `choices[0].finish_reason` is `length`.
    pub const TRUNCATED: u16 = 1 << 4;
    /// The response header carries `cached_tokens` (layout flag).
    pub const HAS_CACHED_TOKENS: u16 = 1 << 5;
    /// The response header carries `reasoning_tokens` (layout flag).
    pub const HAS_REASONING_TOKENS: u16 = 1 << 6;
    /// The response header carries `est_cost_usd` (layout flag).
    pub const HAS_COST_ESTIMATE: u16 = 1 << 7;
    /// Bits with a meaning; bits 8-15 are reserved. [FRAME-FLAGS-005]
    pub const DEFINED: u16 = 0x00ff;
    /// Names of bits 0..=7, as reported by peek. [FRAME-PEEK-003]
    pub const NAMES: [&str; 8] = [
        "has_tool_calls",
        "has_refusal",
        "content_filtered",
        "has_usage",
        "truncated",
        "has_cached_tokens",
        "has_reasoning_tokens",
        "has_cost_estimate",
    ];
}

/// Bit 24 of the flags word: the payload is a Brotli stream. [FRAME-FLAGS-004]
pub const COMPRESSED: u32 = 1 << 24;
/// Name of bit 24 as reported by peek. [FRAME-PEEK-003]
pub const COMPRESSED_NAME: &str = "compressed";
/// Bit 25, upstream's `HAS_EXTENSIONS`: no extension format exists, so the bit is reserved
/// like bits 26-31. [FRAME-FLAGS-005]
pub const HAS_EXTENSIONS: u32 = 1 << 25;
/// Bits 16-31 that must be zero in every frame: the reserved byte 13 and bits 25-31.
/// [FRAME-FLAGS-005]
pub const RESERVED_HIGH: u32 = 0xfeff_0000;

/// The flags word assembled from its parts. [FRAME-FLAGS-001]
pub fn word(specific: u16, compressed: bool) -> u32 {
    u32::from(specific) | if compressed { COMPRESSED } else { 0 }
}

/// True if `key` is present at the top level of `json`, whatever its value.
fn present(json: &Value, key: &str) -> bool {
    json.get(key).is_some()
}

/// Request flags derived from the document, except `has_max_tokens`, which the routing header
/// sets exactly when it writes a `max_tokens` field. [FRAME-DETECT-001] [FRAME-DETECT-002]
/// [FRAME-DETECT-003] [FRAME-DETECT-004] [FRAME-DETECT-005]
pub fn detect_request(json: &Value) -> u16 {
    detect_request_parts(json, &super::fast_request::views_of(json))
}

/// [`detect_request`] of a document whose messages are given apart (the typed parse of
/// [`super::fast_request`]); `json["messages"]` is not read.
pub fn detect_request_parts(
    json: &Value,
    messages: &[super::fast_request::MessageView<'_>],
) -> u16 {
    let mut flags = 0u16;
    for message in messages {
        if matches!(message.role, Some("system" | "developer")) {
            flags |= request::HAS_SYSTEM_PROMPT;
        }
        if let Some(parts) = message.content.and_then(Value::as_array) {
            if parts
                .iter()
                .any(|part| part.get("type").and_then(Value::as_str) == Some("image_url"))
            {
                flags |= request::HAS_IMAGES;
            }
        }
    }
    // Presence of the key is enough, whatever its value (`"logprobs": false` sets the bit).
    let by_presence: [(&[&str], u16); 11] = [
        (&["tools", "functions"], request::HAS_TOOLS),
        (&["tool_choice", "function_call"], request::HAS_TOOL_CHOICE),
        (&["response_format"], request::HAS_RESPONSE_FORMAT),
        (&["reasoning_effort"], request::HAS_REASONING_EFFORT),
        (&["service_tier"], request::HAS_SERVICE_TIER),
        (&["seed"], request::HAS_SEED),
        (&["logprobs"], request::HAS_LOGPROBS),
        (&["user"], request::HAS_USER_ID),
        (&["temperature"], request::HAS_TEMPERATURE),
        (&["top_p"], request::HAS_TOP_P),
        (&["stop"], request::HAS_STOP),
    ];
    for (keys, bit) in by_presence {
        if keys.iter().any(|k| present(json, k)) {
            flags |= bit;
        }
    }
    // The only flag that looks at the value: it must be the JSON literal `true`.
    if json.get("stream").and_then(Value::as_bool) == Some(true) {
        flags |= request::STREAM_REQUESTED;
    }
    flags
}

/// Response flags derived from the document. Only `choices[0]` is examined; `has_cost_estimate`
/// goes with `has_usage`. [FRAME-DETECT-006] [FRAME-DETECT-007] [FRAME-DETECT-008]
pub fn detect_response(json: &Value) -> u16 {
    let mut flags = 0u16;
    let first = json
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|choices| choices.first());
    if let Some(first) = first {
        let message = first.get("message");
        if message.and_then(|m| m.get("tool_calls")).is_some() {
            flags |= response::HAS_TOOL_CALLS;
        }
        if message
            .and_then(|m| m.get("refusal"))
            .and_then(Value::as_str)
            .is_some()
        {
            flags |= response::HAS_REFUSAL;
        }
        match first.get("finish_reason").and_then(Value::as_str) {
            Some("content_filter") => flags |= response::CONTENT_FILTERED,
            Some("length") => flags |= response::TRUNCATED,
            _ => {}
        }
    }
    if let Some(usage) = json.get("usage") {
        flags |= response::HAS_USAGE | response::HAS_COST_ESTIMATE;
        if positive_detail(usage, "prompt_tokens_details", "cached_tokens") {
            flags |= response::HAS_CACHED_TOKENS;
        }
        if positive_detail(usage, "completion_tokens_details", "reasoning_tokens") {
            flags |= response::HAS_REASONING_TOKENS;
        }
    }
    flags
}

/// `usage[outer][inner]` is an unsigned integer greater than zero.
fn positive_detail(usage: &Value, outer: &str, inner: &str) -> bool {
    usage
        .get(outer)
        .and_then(|d| d.get(inner))
        .and_then(Value::as_u64)
        .is_some_and(|v| v > 0)
}

/// Names of the set bits of `flags`, in ascending bit order, interpreting bits 0-15 with
/// `specific_names` (empty for the opaque schemas). [FRAME-PEEK-003]
pub fn names(flags: u32, specific_names: &[&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = specific_names
        .iter()
        .enumerate()
        .filter(|(bit, _)| flags & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    if flags & COMPRESSED != 0 {
        out.push(COMPRESSED_NAME);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Upstream's detection test (codec.md §10), minus `has_max_tokens`, which the routing
    /// header decides.
    #[test]
    fn upstream_detection_example() {
        let doc = json!({"model":"gpt-4o","messages":[{"role":"system","content":"x"},{"role":"user","content":"y"}],
                         "stream":true,"max_tokens":1000,"tools":[]});
        let f = detect_request(&doc);
        assert_ne!(f & request::HAS_SYSTEM_PROMPT, 0);
        assert_ne!(f & request::STREAM_REQUESTED, 0);
        assert_ne!(f & request::HAS_TOOLS, 0);
        assert_eq!(f & request::HAS_IMAGES, 0);
    }

    #[test]
    fn presence_quirks() {
        let f = detect_request(&json!({"logprobs": false, "stop": null, "stream": "true"}));
        assert_eq!(f, request::HAS_LOGPROBS | request::HAS_STOP);
        let f = detect_response(&json!({"usage": null}));
        assert_eq!(f, response::HAS_USAGE | response::HAS_COST_ESTIMATE);
        let f = detect_response(
            &json!({"usage": {"prompt_tokens_details": {"cached_tokens": 0},
                                                  "completion_tokens_details": {"reasoning_tokens": 3}}}),
        );
        assert_eq!(
            f,
            response::HAS_USAGE | response::HAS_COST_ESTIMATE | response::HAS_REASONING_TOKENS
        );
    }
}
