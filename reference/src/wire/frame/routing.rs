//! The routing header of request frames (schemas 0x01 and 0x04; spec `frame`, ROUTE and ROLES
//! topics).
//!
//! ```text
//! model_len u8 | model | msg_count varint | roles ⌈2·msg_count/8⌉ bytes | content_hint varint
//!   | max_tokens varint (iff has_max_tokens) | est_cost_usd f32 LE (always)
//! ```

use serde_json::Value;

use super::fast_request::{views_of, MessageView};
use super::flags::request;
use super::reader::Reader;
use super::{cost, FrameError};
use crate::wire::varint;

/// The role of one message, two bits on the wire. [FRAME-ROLES-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Code 0: `system`, and `developer` as well.
    System,
    /// Code 1: `user`.
    User,
    /// Code 2: `assistant`.
    Assistant,
    /// Code 3: `tool`.
    Tool,
}

impl Role {
    /// The role a JSON `role` string encodes to; other strings have no code.
    /// [FRAME-ROLES-001] [FRAME-DIV-002]
    pub fn from_json_role(role: &str) -> Option<Role> {
        match role {
            "system" | "developer" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "tool" => Some(Role::Tool),
            _ => None,
        }
    }

    /// The 2-bit code.
    pub fn code(self) -> u8 {
        match self {
            Role::System => 0,
            Role::User => 1,
            Role::Assistant => 2,
            Role::Tool => 3,
        }
    }

    /// The role of a 2-bit code (only the low two bits are looked at).
    pub fn from_code(code: u8) -> Role {
        match code & 0b11 {
            0 => Role::System,
            1 => Role::User,
            2 => Role::Assistant,
            _ => Role::Tool,
        }
    }

    /// The name peek reports. [FRAME-PEEK-003]
    pub fn name(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// Number of bytes `n` packed roles occupy: ⌈2n/8⌉. [FRAME-ROLES-002]
pub fn packed_roles_len(n: u64) -> u64 {
    (2 * n).div_ceil(8)
}

/// Pack roles four to a byte, the first role in the two least significant bits; unused bits of
/// the last byte are zero. [FRAME-ROLES-002]
pub fn pack_roles(roles: &[Role]) -> Vec<u8> {
    let mut out = vec![0u8; packed_roles_len(roles.len() as u64) as usize];
    for (i, role) in roles.iter().enumerate() {
        out[i / 4] |= role.code() << (2 * (i % 4));
    }
    out
}

/// Unpack `n` roles from exactly [`packed_roles_len`]`(n)` bytes; the unused high bits of the
/// last byte must be zero. [FRAME-ROLES-002] [FRAME-ROLES-004]
pub fn unpack_roles(bytes: &[u8], n: usize) -> Result<Vec<Role>, FrameError> {
    if n % 4 != 0 {
        let last = bytes[bytes.len() - 1];
        if last >> (2 * (n % 4)) != 0 {
            return Err(FrameError::ReservedNonzero("roles padding bits"));
        }
    }
    Ok((0..n)
        .map(|i| Role::from_code(bytes[i / 4] >> (2 * (i % 4))))
        .collect())
}

/// The routing header. [FRAME-ROUTE-001]
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingHeader {
    /// Model name, at most 255 UTF-8 bytes. [FRAME-ROUTE-002]
    pub model: String,
    /// Number of messages. [FRAME-ROUTE-003]
    pub msg_count: u32,
    /// One role per message. [FRAME-ROLES-002]
    pub roles: Vec<Role>,
    /// Byte size of the message texts. [FRAME-ROUTE-004]
    pub content_hint: u32,
    /// Requested completion limit; present iff the `has_max_tokens` flag is set.
    /// [FRAME-ROUTE-005]
    pub max_tokens: Option<u32>,
    /// Estimated cost in USD, always present. [FRAME-ROUTE-006] [FRAME-DIV-003]
    pub est_cost_usd: f32,
}

impl RoutingHeader {
    /// Extract the routing header from a request document and compute its cost estimate.
    ///
    /// Fails with `input_too_large` if the model name exceeds 255 bytes [FRAME-ENC-003], and
    /// with `unencodable_input` if a message has no role with a 2-bit code [FRAME-ROLES-003]
    /// (upstream silently skips such messages, which desynchronises the packed roles from
    /// `msg_count`).
    /// [FRAME-ROUTE-002] [FRAME-ROUTE-003] [FRAME-ROUTE-004] [FRAME-ROUTE-005] [FRAME-COST-003]
    pub fn from_json(doc: &Value) -> Result<RoutingHeader, FrameError> {
        Self::from_parts(doc, &views_of(doc))
    }

    /// [`RoutingHeader::from_json`] of a document whose messages are given apart (the typed
    /// parse of [`super::fast_request`]); `doc["messages"]` is not read.
    pub fn from_parts(
        doc: &Value,
        messages: &[MessageView<'_>],
    ) -> Result<RoutingHeader, FrameError> {
        let model = doc.get("model").and_then(Value::as_str).unwrap_or("");
        if model.len() > 255 {
            return Err(FrameError::InputTooLarge(format!(
                "model is {} bytes; at most 255 fit its u8 length",
                model.len()
            )));
        }
        let mut roles = Vec::with_capacity(messages.len());
        let mut content_hint = 0u32;
        for (i, message) in messages.iter().enumerate() {
            let role = message.role;
            match role.and_then(Role::from_json_role) {
                Some(r) => roles.push(r),
                None => {
                    return Err(FrameError::UnencodableInput(format!(
                        "messages[{i}] has role {}, which has no 2-bit code",
                        role.map_or_else(|| "<none>".to_owned(), |r| format!("{r:?}"))
                    )))
                }
            }
            content_hint = content_hint.wrapping_add(content_bytes(message.content));
        }
        let max_tokens = max_tokens_of(doc);
        let est_cost_usd = cost::estimate_usd(
            model,
            cost::prompt_tokens_from_hint(content_hint),
            max_tokens.unwrap_or(cost::DEFAULT_COMPLETION_TOKENS),
        );
        Ok(RoutingHeader {
            model: model.to_owned(),
            msg_count: messages.len() as u32,
            roles,
            content_hint,
            max_tokens,
            est_cost_usd,
        })
    }

    /// The request flag this header requires: `has_max_tokens` iff a value is carried.
    /// [FRAME-DETECT-005]
    pub fn layout_flags(&self) -> u16 {
        if self.max_tokens.is_some() {
            request::HAS_MAX_TOKENS
        } else {
            0
        }
    }

    /// Append the header bytes to `out`. [FRAME-ROUTE-001] [FRAME-ROUTE-006]
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.model.len() as u8);
        out.extend_from_slice(self.model.as_bytes());
        varint::encode_into(self.msg_count, out);
        out.extend_from_slice(&pack_roles(&self.roles));
        varint::encode_into(self.content_hint, out);
        if let Some(max) = self.max_tokens {
            varint::encode_into(max, out);
        }
        out.extend_from_slice(&self.est_cost_usd.to_le_bytes());
    }

    /// Parse a routing header that must fill `bytes` exactly; `specific` are flag bits 0-15.
    /// [FRAME-DECODE-004] [FRAME-DECODE-005] [FRAME-DECODE-006] [FRAME-DECODE-007]
    /// [FRAME-ROLES-004]
    pub fn parse(bytes: &[u8], specific: u16) -> Result<RoutingHeader, FrameError> {
        let mut r = Reader::new(bytes);
        let model = r.short_string("model length", "model")?;
        let msg_count = r.varint("msg_count")?;
        let roles_len = packed_roles_len(u64::from(msg_count));
        let roles_len = usize::try_from(roles_len).map_err(|_| FrameError::Truncated("roles"))?;
        let packed = r.bytes(roles_len, "roles")?;
        let roles = unpack_roles(packed, msg_count as usize)?;
        let content_hint = r.varint("content_hint")?;
        let max_tokens = if specific & request::HAS_MAX_TOKENS != 0 {
            Some(r.varint("max_tokens")?)
        } else {
            None
        };
        let est_cost_usd = r.f32_le("est_cost_usd")?;
        if r.remaining() != 0 {
            return Err(FrameError::HeaderLenMismatch(r.remaining()));
        }
        Ok(RoutingHeader {
            model,
            msg_count,
            roles,
            content_hint,
            max_tokens,
            est_cost_usd,
        })
    }
}

/// UTF-8 byte size of a message's `content`: a string counts whole; an array counts the `text`
/// string of each part that has one (any part type); anything else counts 0. Lengths are taken
/// modulo 2^32. [FRAME-ROUTE-004]
fn content_bytes(content: Option<&Value>) -> u32 {
    match content {
        Some(Value::String(s)) => s.len() as u32,
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .fold(0u32, |acc, t| acc.wrapping_add(t.len() as u32)),
        _ => 0,
    }
}

/// The `max_tokens` value: the `max_tokens` key if it exists (whatever its value), otherwise
/// `max_completion_tokens`; a value only if that is a JSON unsigned integer, taken modulo 2^32.
/// [FRAME-ROUTE-005] [FRAME-DIV-004]
fn max_tokens_of(doc: &Value) -> Option<u32> {
    doc.get("max_tokens")
        .or_else(|| doc.get("max_completion_tokens"))
        .and_then(Value::as_u64)
        .map(|v| v as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// [S,U,A,U,A] packs to `64 02` and round-trips (upstream asserts the round trip).
    #[test]
    fn role_packing() {
        use Role::*;
        let roles = [System, User, Assistant, User, Assistant];
        assert_eq!(pack_roles(&roles), vec![0x64, 0x02]);
        assert_eq!(unpack_roles(&[0x64, 0x02], 5).unwrap(), roles);
        assert_eq!(pack_roles(&[System, User]), vec![0x04]);
        assert_eq!(
            unpack_roles(&[0x44], 2),
            Err(FrameError::ReservedNonzero("roles padding bits"))
        );
    }

    /// Upstream's routing round trip: gpt-4o, 3 messages S,U,A, hint 1500, max_tokens 1000.
    #[test]
    fn routing_round_trip() {
        let h = RoutingHeader {
            model: "gpt-4o".into(),
            msg_count: 3,
            roles: vec![Role::System, Role::User, Role::Assistant],
            content_hint: 1500,
            max_tokens: Some(1000),
            est_cost_usd: 0.5,
        };
        let mut bytes = Vec::new();
        h.write(&mut bytes);
        assert_eq!(RoutingHeader::parse(&bytes, h.layout_flags()).unwrap(), h);
    }

    #[test]
    fn max_tokens_precedence() {
        assert_eq!(max_tokens_of(&json!({"max_completion_tokens": 7})), Some(7));
        assert_eq!(
            max_tokens_of(&json!({"max_tokens": null, "max_completion_tokens": 7})),
            None
        );
        assert_eq!(max_tokens_of(&json!({"max_tokens": 1000.0})), None);
        assert_eq!(
            max_tokens_of(&json!({"max_tokens": 4_294_967_301u64})),
            Some(5)
        );
    }

    #[test]
    fn content_hint_counts_utf8_bytes() {
        let doc = json!({"messages":[{"role":"user","content":"é"},
            {"role":"user","content":[{"type":"image_url","text":"abc"},{"type":"text"}]},
            {"role":"assistant","content":null}]});
        assert_eq!(RoutingHeader::from_json(&doc).unwrap().content_hint, 5);
    }
}
