//! Projection of an upstream `M2MFrame`'s headers onto the suite's PEEK object
//! (spec chapter `frame`, FRAME-PEEK-003), so upstream and the reference answer in one shape.
//!
//! Every value comes from the decoded `M2MFrame` except `payload_len`, which upstream reads but
//! does not keep: it is taken from the input at the offset upstream's decoder read it from
//! (`7 + header_len`), after upstream's decode has succeeded.

use m2m::codec::m2m::{FinishReason, M2MFrame, Schema};
use serde_json::{json, Value};

const REQUEST_FLAG_NAMES: [&str; 15] = [
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

const RESPONSE_FLAG_NAMES: [&str; 8] = [
    "has_tool_calls",
    "has_refusal",
    "content_filtered",
    "has_usage",
    "truncated",
    "has_cached_tokens",
    "has_reasoning_tokens",
    "has_cost_estimate",
];

const ROLE_NAMES: [&str; 4] = ["system", "user", "assistant", "tool"];

fn schema_name(schema: Schema) -> &'static str {
    match schema {
        Schema::Request => "request",
        Schema::Response => "response",
        Schema::Stream => "stream",
        Schema::EmbeddingRequest => "embedding-request",
        Schema::EmbeddingResponse => "embedding-response",
        Schema::Error => "error",
        Schema::Custom => "custom",
        Schema::Unknown => "unknown",
    }
}

fn finish_name(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::Unknown => "other",
    }
}

/// An f32 cost as the PEEK object writes it: the exact f64 widening, or a string for
/// non-finite values (FRAME-PEEK-004).
fn cost(value: Option<f32>) -> Value {
    match value {
        None => Value::Null,
        Some(v) if v.is_nan() => json!("NaN"),
        Some(v) if v == f32::INFINITY => json!("Infinity"),
        Some(v) if v == f32::NEG_INFINITY => json!("-Infinity"),
        Some(v) => json!(f64::from(v)),
    }
}

fn flag_names(word: u32, schema: Schema) -> Vec<&'static str> {
    let specific: &[&str] = if schema.is_request() {
        &REQUEST_FLAG_NAMES
    } else if schema.is_response() {
        &RESPONSE_FLAG_NAMES
    } else {
        &[]
    };
    let mut names: Vec<&'static str> = specific
        .iter()
        .enumerate()
        .filter(|(bit, _)| word & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    if word & (1 << 24) != 0 {
        names.push("compressed");
    }
    names
}

/// The PEEK object of a frame upstream decoded from `bytes` (binary form, prefix included).
pub fn project(frame: &M2MFrame, bytes: &[u8]) -> Value {
    let fixed = &frame.fixed;
    let word = u32::from_le_bytes(fixed.flags.to_bytes());
    let at = 7 + usize::from(fixed.header_len);
    let payload_len = bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let routing = frame.routing.as_ref().map(|r| {
        json!({
            "model": r.model,
            "msg_count": r.msg_count,
            "roles": r.roles.iter().map(|role| ROLE_NAMES[usize::from(role.as_bits() & 3)]).collect::<Vec<_>>(),
            "content_hint": r.content_hint,
            "max_tokens": r.max_tokens,
            "est_cost_usd": cost(r.est_cost_usd),
        })
    });
    let response = frame.response.as_ref().map(|r| {
        json!({
            "id": r.id,
            "model": r.model,
            "finish_reason": finish_name(r.finish_reason),
            "finish_reason_code": r.finish_reason.as_byte(),
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "cached_tokens": r.cached_tokens,
            "reasoning_tokens": r.reasoning_tokens,
            "est_cost_usd": cost(r.est_cost_usd),
        })
    });
    json!({
        "header_len": fixed.header_len,
        "schema": fixed.schema.as_byte(),
        "schema_name": schema_name(fixed.schema),
        "security": fixed.security.as_byte(),
        "flags": word,
        "flag_names": flag_names(word, fixed.schema),
        "routing": routing,
        "response": response,
        "payload_len": payload_len,
        "crc32": frame.checksum,
        "compressed": fixed.flags.is_compressed(),
    })
}
