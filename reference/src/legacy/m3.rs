//! M3 `#M3|` (spec chapter `m3`, `spec/23-m3.md`): a binary, schema-specific encoding of a chat
//! request (model, messages, temperature, max_tokens, top_p, stream, stop). Only the fields it
//! knows survive a round trip.

use serde_json::{json, Map, Value};

use super::{parse_json, LegacyError};

/// The prefix. [M3-WIRE-001]
pub const PREFIX: &str = "#M3|";

/// Schema byte of a chat request, the only schema with an encoding. [M3-WIRE-002]
pub const SCHEMA_CHAT_REQUEST: u8 = 0x01;

/// Parameter flag bits. [M3-WIRE-003]
pub mod flags {
    /// temperature byte present
    pub const TEMPERATURE: u8 = 0x01;
    /// max_tokens varint present
    pub const MAX_TOKENS: u8 = 0x02;
    /// top_p byte present
    pub const TOP_P: u8 = 0x04;
    /// stream is true
    pub const STREAM: u8 = 0x08;
    /// stop list present
    pub const STOP: u8 = 0x10;
}

const ROLES: [&str; 4] = ["system", "user", "assistant", "tool"];

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn write_bytes(out: &mut Vec<u8>, s: &str) {
    write_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Quantize a temperature or top_p to one byte: `round(x * 100)` in binary32, saturated to
/// 0..=255. [M3-ENC-003]
pub fn quantize(x: f64) -> u8 {
    let scaled = ((x as f32) * 100.0).round();
    // `as` saturates (and maps NaN to 0), exactly the documented behaviour.
    scaled as u8
}

/// Encode JSON text as M3 bytes (prefix included). [M3-ENC-001] [M3-ENC-002] [M3-ENC-003]
/// [M3-ENC-004]
pub fn encode(json: &str) -> Result<Vec<u8>, LegacyError> {
    let v = parse_json(json)?;
    let model = v.get("model").and_then(Value::as_str).unwrap_or("");
    let messages: Vec<(u8, &str)> = v
        .get("messages")
        .and_then(Value::as_array)
        .map(|arr| {
            arr.iter()
                .filter_map(|m| {
                    let role = m.get("role").and_then(Value::as_str)?;
                    let code = ROLES.iter().position(|r| *r == role)? as u8;
                    let content = m.get("content").and_then(Value::as_str).unwrap_or("");
                    Some((code, content))
                })
                .collect()
        })
        .unwrap_or_default();
    let temperature = v.get("temperature").and_then(Value::as_f64);
    // max_tokens keeps only its low 32 bits, as upstream's `as u32` does.
    let max_tokens = v
        .get("max_tokens")
        .and_then(Value::as_u64)
        .map(|n| n as u32);
    let top_p = v.get("top_p").and_then(Value::as_f64);
    let stream = v.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let stop: Option<Vec<&str>> = v.get("stop").and_then(|s| match s {
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).collect()),
        Value::String(one) => Some(vec![one.as_str()]),
        _ => None,
    });

    let mut out = PREFIX.as_bytes().to_vec();
    out.push(SCHEMA_CHAT_REQUEST);
    write_bytes(&mut out, model);
    let mut f = 0u8;
    if temperature.is_some() {
        f |= flags::TEMPERATURE;
    }
    if max_tokens.is_some() {
        f |= flags::MAX_TOKENS;
    }
    if top_p.is_some() {
        f |= flags::TOP_P;
    }
    if stream {
        f |= flags::STREAM;
    }
    if stop.is_some() {
        f |= flags::STOP;
    }
    out.push(f);
    write_varint(&mut out, messages.len() as u64);
    for (role, content) in &messages {
        out.push(*role);
        write_bytes(&mut out, content);
    }
    if let Some(t) = temperature {
        out.push(quantize(t));
    }
    if let Some(m) = max_tokens {
        write_varint(&mut out, u64::from(m));
    }
    if let Some(p) = top_p {
        out.push(quantize(p));
    }
    if let Some(stops) = &stop {
        write_varint(&mut out, stops.len() as u64);
        for s in stops {
            write_bytes(&mut out, s);
        }
    }
    Ok(out)
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self, what: &'static str) -> Result<u8, LegacyError> {
        let (&b, rest) = self
            .data
            .split_first()
            .ok_or(LegacyError::Truncated(what))?;
        self.data = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, LegacyError> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = *self.data.first().ok_or(LegacyError::VarintTruncated)?;
            self.data = &self.data[1..];
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(LegacyError::VarintTooLong)
    }

    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], LegacyError> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| LegacyError::Truncated(what))?;
        if len > self.data.len() {
            return Err(LegacyError::Truncated(what));
        }
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        Ok(head)
    }

    fn text(&mut self, what: &'static str) -> Result<String, LegacyError> {
        let b = self.bytes(what)?;
        String::from_utf8(b.to_vec()).map_err(|_| LegacyError::InvalidUtf8)
    }
}

/// Decode M3 bytes (prefix included) to compact JSON with sorted keys. Bytes after the last
/// field are ignored. [M3-DEC-001] to [M3-DEC-007]
pub fn decode(data: &[u8]) -> Result<String, LegacyError> {
    let body = data
        .strip_prefix(PREFIX.as_bytes())
        .ok_or(LegacyError::InvalidPrefix(PREFIX))?;
    let mut r = Reader { data: body };
    let schema = r.byte("schema")?;
    if schema != SCHEMA_CHAT_REQUEST {
        return Err(LegacyError::UnknownSchema(schema));
    }
    let model = r.text("model")?;
    let f = r.byte("flags")?;
    let count = r.varint()?;
    let mut messages = Vec::new();
    for _ in 0..count {
        let role = r.byte("role")?;
        let role = *ROLES
            .get(usize::from(role))
            .ok_or(LegacyError::UnknownRole(role))?;
        let content = r.text("content")?;
        messages.push(json!({"role": role, "content": content}));
    }
    let mut obj = Map::new();
    obj.insert("model".into(), Value::from(model));
    obj.insert("messages".into(), Value::Array(messages));
    if f & flags::TEMPERATURE != 0 {
        let t = f32::from(r.byte("temperature")?) / 100.0;
        obj.insert("temperature".into(), json!(t));
    }
    if f & flags::MAX_TOKENS != 0 {
        obj.insert("max_tokens".into(), json!(r.varint()? as u32));
    }
    if f & flags::TOP_P != 0 {
        let p = f32::from(r.byte("top_p")?) / 100.0;
        obj.insert("top_p".into(), json!(p));
    }
    if f & flags::STREAM != 0 {
        obj.insert("stream".into(), Value::Bool(true));
    }
    if f & flags::STOP != 0 {
        let n = r.varint()?;
        let mut stops = Vec::new();
        for _ in 0..n {
            stops.push(Value::from(r.text("stop")?));
        }
        obj.insert("stop".into(), Value::Array(stops));
    }
    Ok(serde_json::to_string(&Value::Object(obj)).unwrap_or_default())
}
