//! The response header of response frames (schemas 0x02, 0x05 and 0x10; spec `frame`, RESP
//! topic).
//!
//! ```text
//! id_len u8 | id | model_len u8 | model | finish_reason u8 | prompt_tokens varint
//!   | completion_tokens varint | cached_tokens varint (iff has_cached_tokens)
//!   | reasoning_tokens varint (iff has_reasoning_tokens) | est_cost_usd f32 LE (iff has_cost_estimate)
//! ```

use serde_json::Value;

use super::flags::response;
use super::reader::Reader;
use super::{cost, FrameError};
use crate::wire::varint;

/// `finish_reason` codes. Codes 0x04-0xFE are undefined: encoders never write them, decoders
/// read them as "other". [FRAME-RESP-003] [FRAME-RESP-004]
pub mod finish {
    /// `"stop"`.
    pub const STOP: u8 = 0x00;
    /// `"length"`.
    pub const LENGTH: u8 = 0x01;
    /// `"tool_calls"`.
    pub const TOOL_CALLS: u8 = 0x02;
    /// `"content_filter"`.
    pub const CONTENT_FILTER: u8 = 0x03;
    /// Anything else, or no finish reason.
    pub const OTHER: u8 = 0xff;

    /// The code the encoder writes for `choices[0].finish_reason`. [FRAME-RESP-003]
    pub fn code_of(reason: Option<&str>) -> u8 {
        match reason {
            Some("stop") => STOP,
            Some("length") => LENGTH,
            Some("tool_calls") => TOOL_CALLS,
            Some("content_filter") => CONTENT_FILTER,
            _ => OTHER,
        }
    }

    /// The name peek reports for a code. [FRAME-RESP-004] [FRAME-PEEK-003]
    pub fn name(code: u8) -> &'static str {
        match code {
            STOP => "stop",
            LENGTH => "length",
            TOOL_CALLS => "tool_calls",
            CONTENT_FILTER => "content_filter",
            _ => "other",
        }
    }
}

/// The response header. [FRAME-RESP-001]
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseHeader {
    /// Response id, at most 255 UTF-8 bytes. [FRAME-RESP-002]
    pub id: String,
    /// Model name, at most 255 UTF-8 bytes. [FRAME-RESP-002]
    pub model: String,
    /// The finish-reason code. [FRAME-RESP-003]
    pub finish_reason: u8,
    /// `usage.prompt_tokens`. [FRAME-RESP-005]
    pub prompt_tokens: u32,
    /// `usage.completion_tokens`. [FRAME-RESP-005]
    pub completion_tokens: u32,
    /// Present iff `has_cached_tokens`. [FRAME-RESP-005]
    pub cached_tokens: Option<u32>,
    /// Present iff `has_reasoning_tokens`. [FRAME-RESP-005]
    pub reasoning_tokens: Option<u32>,
    /// Present iff `has_cost_estimate`. [FRAME-RESP-006]
    pub est_cost_usd: Option<f32>,
}

impl ResponseHeader {
    /// Extract the response header from a response document whose flags `specific` were
    /// detected by [`super::flags::detect_response`]. Fails with `input_too_large` if the id
    /// or the model exceeds 255 bytes [FRAME-ENC-003].
    /// [FRAME-RESP-002] [FRAME-RESP-003] [FRAME-RESP-005] [FRAME-RESP-006] [FRAME-COST-003]
    pub fn from_json(doc: &Value, specific: u16) -> Result<ResponseHeader, FrameError> {
        let id = short_string(doc, "id")?;
        let model = short_string(doc, "model")?;
        let finish_reason = finish::code_of(
            doc.get("choices")
                .and_then(Value::as_array)
                .and_then(|c| c.first())
                .and_then(|c| c.get("finish_reason"))
                .and_then(Value::as_str),
        );
        let usage = doc.get("usage");
        let count = |outer: Option<&str>, key: &str| -> Option<u32> {
            let base = match outer {
                Some(o) => usage.and_then(|u| u.get(o)),
                None => usage,
            };
            base.and_then(|b| b.get(key))
                .and_then(Value::as_u64)
                .map(|v| v as u32)
        };
        let prompt_tokens = count(None, "prompt_tokens").unwrap_or(0);
        let completion_tokens = count(None, "completion_tokens").unwrap_or(0);
        let gated = |bit: u16, outer: &str, key: &str| {
            (specific & bit != 0).then(|| count(Some(outer), key).unwrap_or(0))
        };
        let cached_tokens = gated(
            response::HAS_CACHED_TOKENS,
            "prompt_tokens_details",
            "cached_tokens",
        );
        let reasoning_tokens = gated(
            response::HAS_REASONING_TOKENS,
            "completion_tokens_details",
            "reasoning_tokens",
        );
        let est_cost_usd = (specific & response::HAS_COST_ESTIMATE != 0)
            .then(|| cost::estimate_usd(&model, prompt_tokens, completion_tokens));
        Ok(ResponseHeader {
            id,
            model,
            finish_reason,
            prompt_tokens,
            completion_tokens,
            cached_tokens,
            reasoning_tokens,
            est_cost_usd,
        })
    }

    /// Append the header bytes to `out`; optional fields are written when present.
    /// [FRAME-RESP-001]
    pub fn write(&self, out: &mut Vec<u8>) {
        for s in [&self.id, &self.model] {
            out.push(s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
        out.push(self.finish_reason);
        varint::encode_into(self.prompt_tokens, out);
        varint::encode_into(self.completion_tokens, out);
        for v in [self.cached_tokens, self.reasoning_tokens]
            .into_iter()
            .flatten()
        {
            varint::encode_into(v, out);
        }
        if let Some(c) = self.est_cost_usd {
            out.extend_from_slice(&c.to_le_bytes());
        }
    }

    /// Parse a response header that must fill `bytes` exactly; `specific` are flag bits 0-15.
    /// [FRAME-DECODE-004] [FRAME-DECODE-005] [FRAME-DECODE-006] [FRAME-DECODE-007]
    /// [FRAME-RESP-004] [FRAME-RESP-005] [FRAME-RESP-006]
    pub fn parse(bytes: &[u8], specific: u16) -> Result<ResponseHeader, FrameError> {
        let mut r = Reader::new(bytes);
        let id = r.short_string("id length", "id")?;
        let model = r.short_string("model length", "model")?;
        let finish_reason = r.u8("finish_reason")?;
        let prompt_tokens = r.varint("prompt_tokens")?;
        let completion_tokens = r.varint("completion_tokens")?;
        let cached_tokens = if specific & response::HAS_CACHED_TOKENS != 0 {
            Some(r.varint("cached_tokens")?)
        } else {
            None
        };
        let reasoning_tokens = if specific & response::HAS_REASONING_TOKENS != 0 {
            Some(r.varint("reasoning_tokens")?)
        } else {
            None
        };
        let est_cost_usd = if specific & response::HAS_COST_ESTIMATE != 0 {
            Some(r.f32_le("est_cost_usd")?)
        } else {
            None
        };
        if r.remaining() != 0 {
            return Err(FrameError::HeaderLenMismatch(r.remaining()));
        }
        Ok(ResponseHeader {
            id,
            model,
            finish_reason,
            prompt_tokens,
            completion_tokens,
            cached_tokens,
            reasoning_tokens,
            est_cost_usd,
        })
    }
}

/// A top-level string field (`id`, `model`), `""` if absent or not a string; at most 255 bytes.
/// [FRAME-RESP-002] [FRAME-ENC-003]
fn short_string(doc: &Value, key: &str) -> Result<String, FrameError> {
    let s = doc.get(key).and_then(Value::as_str).unwrap_or("");
    if s.len() > 255 {
        return Err(FrameError::InputTooLarge(format!(
            "{key} is {} bytes; at most 255 fit its u8 length",
            s.len()
        )));
    }
    Ok(s.to_owned())
}
