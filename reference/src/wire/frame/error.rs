//! The error type of the M2M v1 frame (spec chapter `frame`, `spec/05-frame.md`).
//!
//! Classes shared with the rest of the wire layer (prefix, base64, Brotli, UTF-8, JSON, varints,
//! limits) travel inside [`FrameError::Wire`]; everything specific to the frame layout has its
//! own variant. Each variant maps to exactly one class string from `spec/error-classes.yaml`.

use thiserror::Error;

use crate::wire::WireError;

/// Errors of the frame encoder, decoder and peek. See [`crate::ErrorClass`] for the classes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// A class shared with the format-independent wire layer: `invalid_prefix`,
    /// `invalid_base64`, `brotli_truncated`, `brotli_corrupt`, `invalid_utf8`, `invalid_json`,
    /// `decompressed_too_large`, `message_too_large`, `varint_too_long`, `varint_overflow`.
    #[error(transparent)]
    Wire(WireError),
    /// The frame (or its variable header, as delimited by `header_len`) ends before a field it
    /// must contain. [FRAME-DECODE-003] [FRAME-DECODE-004] [FRAME-DECODE-008]
    #[error("frame is truncated: no room for {0}")]
    Truncated(&'static str),
    /// `header_len` is smaller than the 20-byte fixed header. [FRAME-FIXED-002]
    #[error("header_len {0} is smaller than the 20-byte fixed header")]
    HeaderLenInvalid(u16),
    /// The variable header's fields end before `7 + header_len`. [FRAME-DECODE-005]
    #[error("variable header has {0} byte(s) left after its last field")]
    HeaderLenMismatch(usize),
    /// The schema byte is not one the spec defines. [FRAME-SCHEMA-002]
    #[error("schema byte 0x{0:02x} is not defined")]
    UnknownSchema(u8),
    /// The security byte says HMAC or AEAD; a plain decoder refuses such a frame.
    /// [FRAME-SEC-002]
    #[error("security byte 0x{0:02x}: the frame is secured and must be opened with a key")]
    SecuredFrame(u8),
    /// The security byte is not a defined mode. [FRAME-SEC-003]
    #[error("security byte 0x{0:02x} is not a defined security mode")]
    UnknownSecurityMode(u8),
    /// A reserved byte or bit (fixed-header reserved bytes, reserved flag bits, roles padding)
    /// is not zero. [FRAME-FIXED-003] [FRAME-FLAGS-005] [FRAME-ROLES-004]
    #[error("{0} must be zero")]
    ReservedNonzero(&'static str),
    /// The CRC-32 of the decoded payload differs from the stored one. [FRAME-CRC-002]
    #[error("checksum mismatch: stored {stored:08x}, computed {computed:08x}")]
    CrcMismatch {
        /// The `crc32` field of the frame.
        stored: u32,
        /// The CRC-32 of the decoded payload.
        computed: u32,
    },
    /// Bytes follow the end of the payload. [FRAME-DECODE-009]
    #[error("{0} byte(s) follow the end of the frame")]
    TrailingBytes(usize),
    /// The encoder input does not fit a field's range (a string longer than 255 bytes, a
    /// header longer than 65535 bytes, a payload longer than 4 GiB).
    /// [FRAME-ENC-003] [FRAME-ENC-004]
    #[error("input too large for the frame: {0}")]
    InputTooLarge(String),
    /// The encoder input holds a value the frame cannot represent consistently (a message
    /// without an encodable role). [FRAME-ROLES-003]
    #[error("input cannot be encoded consistently: {0}")]
    UnencodableInput(String),
}

impl From<WireError> for FrameError {
    fn from(e: WireError) -> Self {
        FrameError::Wire(e)
    }
}

impl crate::ErrorClass for FrameError {
    fn class(&self) -> &'static str {
        match self {
            FrameError::Wire(e) => e.class(),
            FrameError::Truncated(_) => "truncated",
            FrameError::HeaderLenInvalid(_) => "header_len_invalid",
            FrameError::HeaderLenMismatch(_) => "header_len_mismatch",
            FrameError::UnknownSchema(_) => "unknown_schema",
            FrameError::SecuredFrame(_) => "secured_frame",
            FrameError::UnknownSecurityMode(_) => "unknown_security_mode",
            FrameError::ReservedNonzero(_) => "reserved_nonzero",
            FrameError::CrcMismatch { .. } => "crc_mismatch",
            FrameError::TrailingBytes(_) => "trailing_bytes",
            FrameError::InputTooLarge(_) => "input_too_large",
            FrameError::UnencodableInput(_) => "unencodable_input",
        }
    }
}
