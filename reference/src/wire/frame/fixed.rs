//! The 20-byte fixed header at offsets 7..27 (spec `frame`, FIXED, SCHEMA, SEC and FLAGS topics).
//!
//! ```text
//! offset  7  8 | 9      | 10       | 11 12 13 14 | 15 ........ 26
//!         header_len | schema | security | flags (u32) | reserved (12 × 0x00)
//! ```

use super::flags::{self, request, response};
use super::FrameError;

/// Size of the fixed header. [FRAME-LAYOUT-001]
pub const FIXED_HEADER_LEN: usize = 20;
/// Number of reserved bytes at the end of the fixed header. [FRAME-FIXED-003]
pub const RESERVED_LEN: usize = 12;

/// What follows the fixed header, by schema. [FRAME-SCHEMA-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    /// The routing header (requests).
    Routing,
    /// The response header (responses and errors).
    Response,
    /// Bytes the frame chapter does not interpret; skipped by `header_len`. [FRAME-SCHEMA-003]
    Opaque,
}

/// The schema byte at offset 9. [FRAME-SCHEMA-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// 0x01, chat-completion request.
    Request,
    /// 0x02, chat-completion response.
    Response,
    /// 0x03, streaming chunk.
    Stream,
    /// 0x04, embedding request.
    EmbeddingRequest,
    /// 0x05, embedding response.
    EmbeddingResponse,
    /// 0x10, error response.
    Error,
    /// 0xFE, custom / extension.
    Custom,
    /// 0xFF, unknown / passthrough.
    Unknown,
}

impl Schema {
    /// The schema a byte denotes; bytes outside the table are `None` (including the `0x11` and
    /// `0x12` of upstream's docs). [FRAME-SCHEMA-002] [FRAME-DIV-001]
    pub fn from_byte(b: u8) -> Option<Schema> {
        Some(match b {
            0x01 => Schema::Request,
            0x02 => Schema::Response,
            0x03 => Schema::Stream,
            0x04 => Schema::EmbeddingRequest,
            0x05 => Schema::EmbeddingResponse,
            0x10 => Schema::Error,
            0xfe => Schema::Custom,
            0xff => Schema::Unknown,
            _ => return None,
        })
    }

    /// The byte on the wire.
    pub fn byte(self) -> u8 {
        match self {
            Schema::Request => 0x01,
            Schema::Response => 0x02,
            Schema::Stream => 0x03,
            Schema::EmbeddingRequest => 0x04,
            Schema::EmbeddingResponse => 0x05,
            Schema::Error => 0x10,
            Schema::Custom => 0xfe,
            Schema::Unknown => 0xff,
        }
    }

    /// The name peek reports. [FRAME-PEEK-003]
    pub fn name(self) -> &'static str {
        match self {
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

    /// Which variable header this schema carries. [FRAME-SCHEMA-001] [FRAME-SCHEMA-003]
    pub fn variable_kind(self) -> VariableKind {
        match self {
            Schema::Request | Schema::EmbeddingRequest => VariableKind::Routing,
            Schema::Response | Schema::EmbeddingResponse | Schema::Error => VariableKind::Response,
            Schema::Stream | Schema::Custom | Schema::Unknown => VariableKind::Opaque,
        }
    }

    /// The schema-specific flag bits that have a meaning, and their names. Opaque schemas
    /// interpret none of bits 0-15 (and accept any value there). [FRAME-FLAGS-005]
    pub fn specific_flags(self) -> (u16, &'static [&'static str]) {
        match self.variable_kind() {
            VariableKind::Routing => (request::DEFINED, &request::NAMES),
            VariableKind::Response => (response::DEFINED, &response::NAMES),
            VariableKind::Opaque => (0xffff, &[]),
        }
    }
}

/// The security byte of a plain frame. [FRAME-SEC-001]
pub const SECURITY_NONE: u8 = 0x00;
/// Security byte of an HMAC-authenticated frame (spec chapter `secure`). [FRAME-SEC-002]
pub const SECURITY_HMAC: u8 = 0x01;
/// Security byte of an AEAD-encrypted frame (spec chapter `secure`). [FRAME-SEC-002]
pub const SECURITY_AEAD: u8 = 0x02;

/// The decoded fixed header. The reserved bytes are not kept: they are always zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHeader {
    /// 20 + length of the variable header. [FRAME-FIXED-001]
    pub header_len: u16,
    /// The schema. [FRAME-SCHEMA-001]
    pub schema: Schema,
    /// The security byte; always [`SECURITY_NONE`] in a frame this chapter accepts.
    pub security: u8,
    /// The whole flags word. [FRAME-FLAGS-001]
    pub flags: u32,
}

impl FixedHeader {
    /// The 20 bytes of this header, reserved bytes zero. [FRAME-FIXED-001] [FRAME-FIXED-003]
    /// [FRAME-LAYOUT-002]
    pub fn to_bytes(&self) -> [u8; FIXED_HEADER_LEN] {
        let mut out = [0u8; FIXED_HEADER_LEN];
        out[0..2].copy_from_slice(&self.header_len.to_le_bytes());
        out[2] = self.schema.byte();
        out[3] = self.security;
        out[4..8].copy_from_slice(&self.flags.to_le_bytes());
        out
    }

    /// Parse and validate the 20 bytes, in this order: `header_len` ≥ 20
    /// (`header_len_invalid`), schema defined (`unknown_schema`), security byte 0x00
    /// (`secured_frame` for 0x01/0x02, `unknown_security_mode` otherwise), reserved flag bits
    /// zero, reserved bytes zero (`reserved_nonzero`).
    /// [FRAME-FIXED-002] [FRAME-SCHEMA-002] [FRAME-SEC-002] [FRAME-SEC-003] [FRAME-FLAGS-005]
    /// [FRAME-FIXED-003] [FRAME-DECODE-001]
    pub fn parse(bytes: &[u8; FIXED_HEADER_LEN]) -> Result<FixedHeader, FrameError> {
        let header_len = u16::from_le_bytes([bytes[0], bytes[1]]);
        if usize::from(header_len) < FIXED_HEADER_LEN {
            return Err(FrameError::HeaderLenInvalid(header_len));
        }
        let schema = Schema::from_byte(bytes[2]).ok_or(FrameError::UnknownSchema(bytes[2]))?;
        match bytes[3] {
            SECURITY_NONE => {}
            s @ (SECURITY_HMAC | SECURITY_AEAD) => return Err(FrameError::SecuredFrame(s)),
            s => return Err(FrameError::UnknownSecurityMode(s)),
        }
        let flags = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        let (defined, _) = schema.specific_flags();
        if flags & u32::from(!defined) != 0 {
            return Err(FrameError::ReservedNonzero(
                "reserved schema-specific flag bit",
            ));
        }
        if flags & flags::RESERVED_HIGH != 0 {
            return Err(FrameError::ReservedNonzero(
                "reserved flag bit (bits 16-23 or 25-31)",
            ));
        }
        if bytes[8..].iter().any(|&b| b != 0) {
            return Err(FrameError::ReservedNonzero(
                "fixed-header byte (offsets 15-26)",
            ));
        }
        Ok(FixedHeader {
            header_len,
            schema,
            security: SECURITY_NONE,
            flags,
        })
    }

    /// Whether the payload is a Brotli stream. [FRAME-FLAGS-004]
    pub fn compressed(&self) -> bool {
        self.flags & flags::COMPRESSED != 0
    }

    /// The schema-specific bits 0-15.
    pub fn specific(&self) -> u16 {
        (self.flags & 0xffff) as u16
    }
}
