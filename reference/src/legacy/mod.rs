//! Legacy and side formats that upstream 0.4.0 still ships code for but its decoder engine does
//! not decode (every one of them is passthrough for `wire.decompress`, WIRE-DETECT-004). Each
//! has its own spec chapter and status; a conforming implementation MAY support them and
//! decodes them only when asked explicitly (testee ops `legacy.encode` / `legacy.decode`).
//!
//! | module | chapter | prefix | status |
//! |---|---|---|---|
//! | [`t1`] | `t1` | `#T1\|` | MAY (deprecated; lossy) |
//! | [`dictionary`] | `dictionary` | `#M2M\|` (no version) | MAY (deprecated; ASCII only) |
//! | [`m3`] | `m3` | `#M3\|` | MAY (deprecated; binary) |
//! | [`zlib`] | `zlib` | `#M2M[v2.0]\|DATA:` | MAY (documented only; no upstream code) |

use thiserror::Error;

pub mod dictionary;
pub mod m3;
pub mod t1;
pub mod zlib;

/// The legacy formats, by their testee-protocol names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyFormat {
    /// `#T1|` Token v1.
    T1,
    /// `#M2M|` dictionary codec.
    Dictionary,
    /// `#M3|` schema codec.
    M3,
    /// `#M2M[v2.0]|DATA:` zlib.
    Zlib,
}

impl LegacyFormat {
    /// Parse `t1`, `dictionary`, `m3`, `zlib`.
    pub fn from_name(name: &str) -> Option<LegacyFormat> {
        match name {
            "t1" => Some(LegacyFormat::T1),
            "dictionary" => Some(LegacyFormat::Dictionary),
            "m3" => Some(LegacyFormat::M3),
            "zlib" => Some(LegacyFormat::Zlib),
            _ => None,
        }
    }

    /// The format whose prefix `wire` starts with (`#M2M|1|` is not the dictionary format).
    pub fn detect(wire: &[u8]) -> Option<LegacyFormat> {
        if wire.starts_with(t1::PREFIX.as_bytes()) {
            Some(LegacyFormat::T1)
        } else if wire.starts_with(m3::PREFIX.as_bytes()) {
            Some(LegacyFormat::M3)
        } else if wire.starts_with(zlib::PREFIX.as_bytes()) {
            Some(LegacyFormat::Zlib)
        } else if wire.starts_with(dictionary::PREFIX.as_bytes())
            && !wire.starts_with(crate::wire::detect::M2M_V1_PREFIX.as_bytes())
        {
            Some(LegacyFormat::Dictionary)
        } else {
            None
        }
    }
}

/// Errors of the legacy codecs, each with a stable class.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LegacyError {
    /// The input does not start with the format's prefix. [T1-DEC-001] [DICT-DEC-001] [M3-DEC-001] [V2-DEC-001]
    #[error("missing prefix `{0}`")]
    InvalidPrefix(&'static str),
    /// Input that must be JSON is not. [T1-ENC-001] [T1-DEC-003] [M3-ENC-001]
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// The input holds something the format cannot carry. [DICT-ENC-003]
    #[error("input cannot be encoded: {0}")]
    Unencodable(&'static str),
    /// Base64 is not canonical standard padded base64. [V2-DEC-002]
    #[error("invalid base64: {0}")]
    InvalidBase64(String),
    /// A dictionary byte 0x80-0xFF that is not in the code table. [DICT-DEC-004]
    #[error("byte {0:#04x} is not a dictionary code")]
    UnknownCode(u8),
    /// The M3 data ends before a field. [M3-DEC-004]
    #[error("M3 data truncated: {0}")]
    Truncated(&'static str),
    /// An M3 varint runs past the end of the data. [M3-DEC-004]
    #[error("M3 varint truncated")]
    VarintTruncated,
    /// An M3 varint is longer than 10 bytes. [M3-DEC-005]
    #[error("M3 varint longer than 10 bytes")]
    VarintTooLong,
    /// The M3 schema byte is not 0x01. [M3-DEC-002]
    #[error("M3 schema byte {0:#04x} is not a chat request")]
    UnknownSchema(u8),
    /// An M3 role byte is not 0-3. [M3-DEC-003]
    #[error("M3 role byte {0:#04x} is not a role")]
    UnknownRole(u8),
    /// Decoded bytes that must be text are not UTF-8. [M3-DEC-006] [V2-DEC-004]
    #[error("decoded bytes are not valid UTF-8")]
    InvalidUtf8,
    /// The zlib stream is malformed, truncated, fails its Adler-32 check or is followed by
    /// extra bytes. [V2-DEC-003]
    #[error("zlib stream is corrupt: {0}")]
    ZlibCorrupt(String),
    /// Decoding would exceed the decompressed-size limit. [V2-DEC-005]
    #[error("decompressed output exceeds the limit of {0} bytes")]
    DecompressedTooLarge(usize),
}

impl crate::ErrorClass for LegacyError {
    fn class(&self) -> &'static str {
        match self {
            LegacyError::InvalidPrefix(_) => "invalid_prefix",
            LegacyError::InvalidJson(_) => "invalid_json",
            LegacyError::Unencodable(_) => "unencodable_input",
            LegacyError::InvalidBase64(_) => "invalid_base64",
            LegacyError::UnknownCode(_) => "unknown_code",
            LegacyError::Truncated(_) => "truncated",
            LegacyError::VarintTruncated => "varint_truncated",
            LegacyError::VarintTooLong => "varint_too_long",
            LegacyError::UnknownSchema(_) => "unknown_schema",
            LegacyError::UnknownRole(_) => "unknown_role",
            LegacyError::InvalidUtf8 => "invalid_utf8",
            LegacyError::ZlibCorrupt(_) => "zlib_corrupt",
            LegacyError::DecompressedTooLarge(_) => "decompressed_too_large",
        }
    }
}

/// Parse JSON text for an encoder. [T1-ENC-001] [M3-ENC-001]
pub(crate) fn parse_json(text: &str) -> Result<serde_json::Value, LegacyError> {
    serde_json::from_str(text).map_err(|e| LegacyError::InvalidJson(e.to_string()))
}
