//! The M2M v1 frame `#M2M|1|` (spec chapter `frame`, `spec/05-frame.md`).
//!
//! ```text
//! offset 0      7            9        10         11          15          27       27+V        31+V     35+V
//!        prefix | header_len | schema | security | flags u32 | reserved×12 | var hdr | payload_len | crc32 | payload
//!        #M2M|1|  u16 LE       u8       u8         LE          zero          V bytes   u32 LE        u32 LE  N bytes
//! ```
//!
//! The variable header (V = header_len − 20 bytes) is a routing header for requests, a response
//! header for responses, or opaque bytes for the other schemas. The payload is the caller's JSON
//! text, Brotli-compressed when it is 100 bytes or longer. The **text form** is the prefix
//! followed by standard padded base64 of everything after the prefix.
//!
//! | module | part |
//! |---|---|
//! | [`fixed`] | 20-byte fixed header, schema and security bytes |
//! | [`flags`] | the flags word and flag detection from JSON |
//! | [`routing`] | request routing header, roles |
//! | [`response`] | response header, finish reasons |
//! | [`cost`] | pricing table and the f32 cost estimate |
//! | [`error`](FrameError) | [`FrameError`] |
//!
//! Entry points: [`encode`] / [`encode_text`], [`decode`] / [`decode_text`], [`peek`] /
//! [`peek_text`]. Decoding is strict, with the check order of [`decode`] ([FRAME-DECODE-001]).

pub mod cost;
mod error;
pub mod fast_request;
pub mod fixed;
pub mod flags;
mod reader;
pub mod response;
pub mod routing;

use serde_json::{json, Value};

pub use error::FrameError;
pub use fixed::{FixedHeader, Schema, VariableKind, FIXED_HEADER_LEN};
pub use response::ResponseHeader;
pub use routing::{Role, RoutingHeader};

use crate::wire::{b64, brotli, detect::M2M_V1_PREFIX, Limits, WireError};
use reader::Reader;

/// The 7-byte prefix of both forms. [FRAME-LAYOUT-003]
pub const PREFIX: &[u8; 7] = b"#M2M|1|";
/// Offset of the variable header: prefix + fixed header.
pub const VARIABLE_HEADER_OFFSET: usize = PREFIX.len() + FIXED_HEADER_LEN;
/// Payloads of at least this many bytes are compressed; shorter ones are stored raw.
/// [FRAME-COMPRESS-001] [FRAME-DIV-005]
pub const COMPRESSION_THRESHOLD: usize = 100;
/// Brotli quality of the payload. [FRAME-COMPRESS-002]
pub const PAYLOAD_QUALITY: u32 = 5;
/// Brotli window (lgwin) of the payload. [FRAME-COMPRESS-002]
pub const PAYLOAD_LGWIN: u32 = 22;

/// The parsed variable header.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableHeader {
    /// Schemas 0x01 and 0x04. [FRAME-ROUTE-001]
    Routing(RoutingHeader),
    /// Schemas 0x02, 0x05 and 0x10. [FRAME-RESP-001]
    Response(ResponseHeader),
    /// Schemas 0x03, 0xFE and 0xFF: `header_len − 20` uninterpreted bytes. [FRAME-SCHEMA-003]
    Opaque,
}

/// Everything before the payload bytes: what a router can see without touching the payload.
/// [FRAME-PEEK-001]
#[derive(Debug, Clone, PartialEq)]
pub struct FrameHeader {
    /// The fixed header.
    pub fixed: FixedHeader,
    /// The variable header.
    pub variable: VariableHeader,
    /// Number of stored payload bytes. [FRAME-LAYOUT-001]
    pub payload_len: u32,
    /// CRC-32 of the uncompressed payload. [FRAME-CRC-001]
    pub crc32: u32,
}

/// A decoded frame: headers and the payload text.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The headers.
    pub header: FrameHeader,
    /// The payload text, exactly as the sender's JSON. [FRAME-PAYLOAD-001]
    pub payload: String,
}

// ------------------------------------------------------------------------------------------
// Encoding

/// Which header an encoder builds for a document. [FRAME-ENC-002]
fn choose_schema(doc: &Value) -> Schema {
    let has = |k: &str| doc.get(k).is_some();
    if has("messages") && has("model") {
        Schema::Request
    } else if has("choices")
        || doc
            .get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.starts_with("chatcmpl-"))
    {
        Schema::Response
    } else {
        Schema::Request
    }
}

/// Encode a JSON document as a binary frame, byte for byte as upstream 0.4.0 does whenever its
/// output is self-consistent.
///
/// Errors, in this order: `invalid_json` [FRAME-ENC-001]; for requests a model over 255 bytes
/// (`input_too_large`) [FRAME-ENC-003], then a message without an encodable role
/// (`unencodable_input`) [FRAME-ROLES-003]; for responses an id, then a model, over 255 bytes
/// (`input_too_large`); a variable header over 65515 bytes or a payload over `u32::MAX` bytes
/// (`input_too_large`) [FRAME-ENC-004].
/// [FRAME-LAYOUT-001] [FRAME-SEC-001] [FRAME-COMPRESS-001] [FRAME-COMPRESS-002] [FRAME-CRC-001]
/// [FRAME-PAYLOAD-001]
pub fn encode(json: &str) -> Result<Vec<u8>, FrameError> {
    // A request with `model` and `messages` (always schema Request) is read by the typed parse;
    // anything it declines, into a `Value`. Same result either way (fast_request's docs).
    let (doc, fast) = match fast_request::parse(json) {
        Some(r) => (r.doc, Some(r.messages)),
        None => (
            serde_json::from_str(json).map_err(|e| WireError::InvalidJson(e.to_string()))?,
            None,
        ),
    };
    let schema = choose_schema(&doc);
    let compressed = json.len() >= COMPRESSION_THRESHOLD;
    let mut variable = Vec::new();
    let specific = match schema {
        Schema::Request => {
            let views: Vec<fast_request::MessageView<'_>> = match &fast {
                Some(messages) => messages.iter().map(Into::into).collect(),
                None => fast_request::views_of(&doc),
            };
            let routing = RoutingHeader::from_parts(&doc, &views)?;
            routing.write(&mut variable);
            flags::detect_request_parts(&doc, &views) | routing.layout_flags()
        }
        _ => {
            let specific = flags::detect_response(&doc);
            ResponseHeader::from_json(&doc, specific)?.write(&mut variable);
            specific
        }
    };
    let header_len = u16::try_from(FIXED_HEADER_LEN + variable.len()).map_err(|_| {
        FrameError::InputTooLarge(format!(
            "variable header is {} bytes; header_len (u16) allows at most 65515",
            variable.len()
        ))
    })?;
    let payload = if compressed {
        brotli::compress_raw(json.as_bytes(), PAYLOAD_QUALITY, PAYLOAD_LGWIN)
    } else {
        json.as_bytes().to_vec()
    };
    let payload_len = u32::try_from(payload.len())
        .map_err(|_| FrameError::InputTooLarge("payload longer than u32::MAX bytes".into()))?;
    let fixed = FixedHeader {
        header_len,
        schema,
        security: fixed::SECURITY_NONE,
        flags: flags::word(specific, compressed),
    };
    let mut out = Vec::with_capacity(VARIABLE_HEADER_OFFSET + variable.len() + 8 + payload.len());
    out.extend_from_slice(PREFIX);
    out.extend_from_slice(&fixed.to_bytes());
    out.extend_from_slice(&variable);
    out.extend_from_slice(&payload_len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(json.as_bytes()).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// The text form of a binary frame: the prefix, then standard padded base64 of every byte after
/// the prefix. [FRAME-TEXT-001]
pub fn to_text(binary: &[u8]) -> String {
    let rest = binary.strip_prefix(PREFIX.as_slice()).unwrap_or(binary);
    format!("{M2M_V1_PREFIX}{}", b64::encode(rest))
}

/// Encode a JSON document as a frame in text form. [FRAME-TEXT-001] [FRAME-TEXT-003]
pub fn encode_text(json: &str) -> Result<String, FrameError> {
    encode(json).map(|b| to_text(&b))
}

// ------------------------------------------------------------------------------------------
// Decoding

/// Steps 0-10 of the decode order: everything up to and including the `crc32` field. Returns
/// the header and the offset of the first payload byte.
fn parse_header(data: &[u8], limits: &Limits) -> Result<(FrameHeader, usize), FrameError> {
    limits.check_message(data.len())?;
    if !data.starts_with(PREFIX) {
        return Err(WireError::InvalidPrefix("expected #M2M|1|").into());
    }
    let fixed_bytes: &[u8; FIXED_HEADER_LEN] = data
        .get(PREFIX.len()..VARIABLE_HEADER_OFFSET)
        .and_then(|s| s.try_into().ok())
        .ok_or(FrameError::Truncated("fixed header"))?;
    let fixed = FixedHeader::parse(fixed_bytes)?;
    let header_end = PREFIX.len() + usize::from(fixed.header_len);
    let variable_bytes = data
        .get(VARIABLE_HEADER_OFFSET..header_end)
        .ok_or(FrameError::Truncated("variable header"))?;
    let variable = match fixed.schema.variable_kind() {
        VariableKind::Routing => {
            VariableHeader::Routing(RoutingHeader::parse(variable_bytes, fixed.specific())?)
        }
        VariableKind::Response => {
            VariableHeader::Response(ResponseHeader::parse(variable_bytes, fixed.specific())?)
        }
        VariableKind::Opaque => VariableHeader::Opaque,
    };
    let mut r = Reader::new(&data[header_end..]);
    let payload_len = r.u32_le("payload_len")?;
    let crc32 = r.u32_le("crc32")?;
    let header = FrameHeader {
        fixed,
        variable,
        payload_len,
        crc32,
    };
    Ok((header, header_end + 8))
}

/// Read the headers of a binary frame without touching the payload section: the payload need
/// not even be present. Checks 0-10 of [`decode`]. [FRAME-PEEK-001] [FRAME-PEEK-002]
pub fn peek(data: &[u8], limits: &Limits) -> Result<FrameHeader, FrameError> {
    parse_header(data, limits).map(|(h, _)| h)
}

/// Decode a binary frame strictly. Checks, first failure wins [FRAME-DECODE-001]:
///
/// 0. `data.len()` ≤ message limit — `message_too_large` [FRAME-DECODE-002]
/// 1. prefix `#M2M|1|` — `invalid_prefix` [FRAME-LAYOUT-003]
/// 2. 20 fixed-header bytes present — `truncated` [FRAME-DECODE-003]
/// 3. `header_len` ≥ 20 — `header_len_invalid` [FRAME-FIXED-002]
/// 4. schema defined — `unknown_schema` [FRAME-SCHEMA-002]
/// 5. security byte 0 — `secured_frame` / `unknown_security_mode` [FRAME-SEC-002] [FRAME-SEC-003]
/// 6. reserved flag bits zero — `reserved_nonzero` [FRAME-FLAGS-005]
/// 7. reserved bytes zero — `reserved_nonzero` [FRAME-FIXED-003]
/// 8. `7 + header_len` bytes present — `truncated` [FRAME-DECODE-003]
/// 9. variable header, field by field within `header_len` [FRAME-DECODE-004]..[FRAME-DECODE-007]
/// 10. `payload_len` and `crc32` present — `truncated` [FRAME-DECODE-008]
/// 11. `payload_len` payload bytes present — `truncated` [FRAME-DECODE-008]
/// 12. nothing after the payload — `trailing_bytes` [FRAME-DECODE-009]
/// 13. Brotli (if compressed), bounded — `brotli_truncated` / `brotli_corrupt` /
///     `decompressed_too_large` [FRAME-COMPRESS-003] [FRAME-COMPRESS-004]
/// 14. UTF-8 — `invalid_utf8` [FRAME-PAYLOAD-002]
/// 15. CRC-32 — `crc_mismatch` [FRAME-CRC-002]
///
/// The payload is not parsed as JSON [FRAME-PAYLOAD-003], and informational flags are not
/// compared with it [FRAME-FLAGS-006]. Both size limits of `limits` are enforced
/// [FRAME-DIV-006].
pub fn decode(data: &[u8], limits: &Limits) -> Result<Frame, FrameError> {
    let (header, start) = parse_header(data, limits)?;
    let end = start
        .checked_add(header.payload_len as usize)
        .filter(|&end| end <= data.len())
        .ok_or(FrameError::Truncated("payload"))?;
    if end < data.len() {
        return Err(FrameError::TrailingBytes(data.len() - end));
    }
    let stored = &data[start..end];
    let bytes = if header.fixed.compressed() {
        brotli::decompress_raw(stored, limits.max_decompressed_bytes)?
    } else {
        stored.to_vec()
    };
    let payload = String::from_utf8(bytes).map_err(|e| WireError::InvalidUtf8 {
        valid_up_to: e.utf8_error().valid_up_to(),
    })?;
    let computed = crc32fast::hash(payload.as_bytes());
    if computed != header.crc32 {
        return Err(FrameError::CrcMismatch {
            stored: header.crc32,
            computed,
        });
    }
    Ok(Frame { header, payload })
}

/// Turn a text-form frame into binary form: message limit on the wire string, prefix, then
/// canonical standard padded base64. [FRAME-TEXT-002] [FRAME-DECODE-002]
pub fn text_to_binary(wire: &str, limits: &Limits) -> Result<Vec<u8>, FrameError> {
    limits.check_message(wire.len())?;
    let body = wire
        .strip_prefix(M2M_V1_PREFIX)
        .ok_or(WireError::InvalidPrefix("expected #M2M|1|"))?;
    let mut binary = PREFIX.to_vec();
    binary.extend_from_slice(&b64::decode(body)?);
    Ok(binary)
}

/// Decode a text-form frame: [`text_to_binary`], then [`decode`]. [FRAME-TEXT-002]
/// [FRAME-TEXT-004]
pub fn decode_text(wire: &str, limits: &Limits) -> Result<Frame, FrameError> {
    decode(&text_to_binary(wire, limits)?, limits)
}

/// Peek at a text-form frame. [FRAME-PEEK-001]
pub fn peek_text(wire: &str, limits: &Limits) -> Result<FrameHeader, FrameError> {
    peek(&text_to_binary(wire, limits)?, limits)
}

// ------------------------------------------------------------------------------------------
// The PEEK view

/// A binary32 cost as JSON: finite values widened exactly to f64 (printed shortest
/// round-trip), non-finite ones as the strings `NaN`, `Infinity`, `-Infinity`.
/// [FRAME-PEEK-004]
pub fn cost_json(cost: f32) -> Value {
    if cost.is_nan() {
        json!("NaN")
    } else if cost.is_infinite() {
        json!(if cost > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(f64::from(cost))
    }
}

impl FrameHeader {
    /// The PEEK object of `spec/ops.yaml` (`frame.peek`, `frame.decode`'s `header`).
    /// [FRAME-PEEK-003]
    pub fn to_json(&self) -> Value {
        let (_, names) = self.fixed.schema.specific_flags();
        let routing = match &self.variable {
            VariableHeader::Routing(r) => json!({
                "model": r.model,
                "msg_count": r.msg_count,
                "roles": r.roles.iter().map(|x| x.name()).collect::<Vec<_>>(),
                "content_hint": r.content_hint,
                "max_tokens": r.max_tokens,
                "est_cost_usd": cost_json(r.est_cost_usd),
            }),
            _ => Value::Null,
        };
        let response = match &self.variable {
            VariableHeader::Response(r) => json!({
                "id": r.id,
                "model": r.model,
                "finish_reason": response::finish::name(r.finish_reason),
                "finish_reason_code": r.finish_reason,
                "prompt_tokens": r.prompt_tokens,
                "completion_tokens": r.completion_tokens,
                "cached_tokens": r.cached_tokens,
                "reasoning_tokens": r.reasoning_tokens,
                "est_cost_usd": r.est_cost_usd.map_or(Value::Null, cost_json),
            }),
            _ => Value::Null,
        };
        json!({
            "header_len": self.fixed.header_len,
            "schema": self.fixed.schema.byte(),
            "schema_name": self.fixed.schema.name(),
            "security": self.fixed.security,
            "flags": self.fixed.flags,
            "flag_names": flags::names(self.fixed.flags, names),
            "routing": routing,
            "response": response,
            "payload_len": self.payload_len,
            "crc32": self.crc32,
            "compressed": self.fixed.compressed(),
        })
    }
}

#[cfg(test)]
mod tests;
