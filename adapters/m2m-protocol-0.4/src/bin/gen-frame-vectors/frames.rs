//! Hand-built and mutated M2M v1 frames for decode/peek vectors.
//!
//! A [`Frame`] holds every field separately so a vector can break exactly one of them.
//! Fields left `None` are computed from the others when the bytes are assembled
//! (`header_len` = 20 + variable header, `payload_len` = stored payload length, `crc32` = CRC
//! of the stored payload).

pub const PREFIX: &[u8] = b"#M2M|1|";

/// One frame, field by field.
#[derive(Debug, Clone)]
pub struct Frame {
    pub prefix: Vec<u8>,
    pub header_len: Option<u16>,
    pub schema: u8,
    pub security: u8,
    pub flags: u32,
    pub reserved: [u8; 12],
    pub var: Vec<u8>,
    pub payload_len: Option<u32>,
    pub crc: Option<u32>,
    pub payload: Vec<u8>,
    pub trailing: Vec<u8>,
}

impl Frame {
    /// A frame with the given schema, variable header and raw payload; everything else
    /// zero or computed.
    pub fn new(schema: u8, var: Vec<u8>, payload: &[u8]) -> Frame {
        Frame {
            prefix: PREFIX.to_vec(),
            header_len: None,
            schema,
            security: 0,
            flags: 0,
            reserved: [0; 12],
            var,
            payload_len: None,
            crc: None,
            payload: payload.to_vec(),
            trailing: Vec::new(),
        }
    }

    /// Split well-formed frame bytes (as an encoder produced them) into fields; every
    /// field is kept explicitly, so `parse(b).bytes() == b`.
    pub fn parse(bytes: &[u8]) -> Frame {
        assert!(bytes.starts_with(PREFIX), "not a frame");
        let header_len = u16::from_le_bytes([bytes[7], bytes[8]]);
        let var_end = 7 + usize::from(header_len);
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let payload_len = u32_at(var_end);
        let payload_start = var_end + 8;
        let payload_end = payload_start + payload_len as usize;
        Frame {
            prefix: PREFIX.to_vec(),
            header_len: Some(header_len),
            schema: bytes[9],
            security: bytes[10],
            flags: u32_at(11),
            reserved: bytes[15..27].try_into().unwrap(),
            var: bytes[27..var_end].to_vec(),
            payload_len: Some(payload_len),
            crc: Some(u32_at(var_end + 4)),
            payload: bytes[payload_start..payload_end].to_vec(),
            trailing: bytes[payload_end..].to_vec(),
        }
    }

    /// The assembled bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        let header_len = self
            .header_len
            .unwrap_or_else(|| u16::try_from(20 + self.var.len()).expect("small header"));
        out.extend_from_slice(&header_len.to_le_bytes());
        out.push(self.schema);
        out.push(self.security);
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.reserved);
        out.extend_from_slice(&self.var);
        let payload_len = self
            .payload_len
            .unwrap_or_else(|| u32::try_from(self.payload.len()).expect("small payload"));
        out.extend_from_slice(&payload_len.to_le_bytes());
        let crc = self.crc.unwrap_or_else(|| crc32fast::hash(&self.payload));
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(&self.trailing);
        out
    }

    /// Byte offsets of the field boundaries of the assembled frame, with names:
    /// each entry is (offset, name of the field that starts there).
    pub fn boundaries(&self) -> Vec<(usize, &'static str)> {
        let var_end = 27 + self.var.len();
        vec![
            (0, "prefix"),
            (7, "header_len"),
            (9, "schema"),
            (10, "security"),
            (11, "flags"),
            (15, "reserved"),
            (27, "variable header"),
            (var_end, "payload_len"),
            (var_end + 4, "crc32"),
            (var_end + 8, "payload"),
        ]
    }

    /// The hex of the frame with spaces between the main sections, for readable inputs.
    pub fn spaced_hex(&self) -> String {
        spaced(&self.bytes(), &self.cuts())
    }

    fn cuts(&self) -> Vec<usize> {
        let var_end = 27 + self.var.len();
        let payload_end = var_end + 8 + self.payload.len();
        vec![
            7,
            9,
            10,
            11,
            15,
            27,
            var_end,
            var_end + 4,
            var_end + 8,
            payload_end,
        ]
    }
}

/// Hex of `bytes` with a space before each offset in `cuts` (offsets past the end ignored).
pub fn spaced(bytes: &[u8], cuts: &[usize]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2 + cuts.len());
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && cuts.contains(&i) && !out.ends_with(' ') {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Unsigned LEB128 of a value (minimal form).
pub fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

/// A routing header: model, msg_count, packed roles, content_hint, optional max_tokens, cost.
pub fn routing(
    model: &[u8],
    msg_count: &[u8],
    roles: &[u8],
    hint: &[u8],
    max_tokens: Option<&[u8]>,
    cost: f32,
) -> Vec<u8> {
    let mut v = vec![u8::try_from(model.len()).expect("short model")];
    v.extend_from_slice(model);
    v.extend_from_slice(msg_count);
    v.extend_from_slice(roles);
    v.extend_from_slice(hint);
    if let Some(m) = max_tokens {
        v.extend_from_slice(m);
    }
    v.extend_from_slice(&cost.to_le_bytes());
    v
}

/// A response header.
#[allow(clippy::too_many_arguments)]
pub fn response(
    id: &[u8],
    model: &[u8],
    finish: u8,
    prompt: &[u8],
    completion: &[u8],
    cached: Option<&[u8]>,
    reasoning: Option<&[u8]>,
    cost: Option<f32>,
) -> Vec<u8> {
    let mut v = vec![u8::try_from(id.len()).expect("short id")];
    v.extend_from_slice(id);
    v.push(u8::try_from(model.len()).expect("short model"));
    v.extend_from_slice(model);
    v.push(finish);
    v.extend_from_slice(prompt);
    v.extend_from_slice(completion);
    if let Some(c) = cached {
        v.extend_from_slice(c);
    }
    if let Some(r) = reasoning {
        v.extend_from_slice(r);
    }
    if let Some(c) = cost {
        v.extend_from_slice(&c.to_le_bytes());
    }
    v
}

/// The text form of frame bytes: prefix + standard padded base64 of the rest.
pub fn text_form(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let body = &bytes[PREFIX.len().min(bytes.len())..];
    format!(
        "{}{}",
        String::from_utf8_lossy(&bytes[..PREFIX.len().min(bytes.len())]),
        base64::engine::general_purpose::STANDARD.encode(body)
    )
}
