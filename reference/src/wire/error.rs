//! The error type of the format-independent wire layer (detection, base64, Brotli, varints,
//! limits). Each variant maps to one stable class string from `spec/error-classes.yaml`;
//! vectors compare classes, never messages.

use thiserror::Error;

/// Errors of the wire layer. See [`crate::ErrorClass`] for the stable class strings.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// A family prefix was recognised but the rest of it is wrong. [WIRE-BROTLI-002]
    #[error("invalid prefix: {0}")]
    InvalidPrefix(&'static str),
    /// The base64 body is not canonical standard padded base64. [WIRE-B64-001]
    #[error("invalid base64: {0}")]
    InvalidBase64(String),
    /// The Brotli stream ended before its final meta-block. [WIRE-BROTLI-006]
    #[error("Brotli stream is truncated")]
    BrotliTruncated,
    /// The Brotli stream is malformed or followed by extra bytes. [WIRE-BROTLI-006] [WIRE-BROTLI-007]
    #[error("Brotli stream is corrupt: {0}")]
    BrotliCorrupt(&'static str),
    /// Decoded bytes are not valid UTF-8. [WIRE-BROTLI-008]
    #[error("decoded bytes are not valid UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// Length of the longest valid UTF-8 prefix.
        valid_up_to: usize,
    },
    /// Input that must be JSON is not. [FRAME-ENC-001]
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// Decoding would exceed the decompressed-size limit. [WIRE-LIMIT-004]
    #[error("decompressed output exceeds the limit of {limit} bytes")]
    DecompressedTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The wire message exceeds the message-size limit. [WIRE-LIMIT-002]
    #[error("message of {len} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// Size of the message.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input ends inside a varint. [WIRE-VARINT-004]
    #[error("varint is truncated")]
    VarintTruncated,
    /// A varint is longer than 5 bytes. [WIRE-VARINT-003]
    #[error("varint is longer than 5 bytes")]
    VarintTooLong,
    /// A varint's value does not fit in 32 bits. [WIRE-VARINT-005]
    #[error("varint value exceeds 32 bits")]
    VarintOverflow,
    /// An M2M v1 frame error that has no wire-layer counterpart (e.g. `crc_mismatch`); its
    /// class is the frame error's class. [FRAME-TEXT-004]
    #[error(transparent)]
    Frame(Box<crate::wire::frame::FrameError>),
    /// A TokenNative error that has no wire-layer counterpart (e.g. `unknown_token`).
    /// [TOKEN-TEXT-006]
    #[error(transparent)]
    Token(crate::wire::token_native::TokenError),
    /// The reference does not implement this algorithm yet.
    #[error("not implemented by the reference: {0}")]
    Unsupported(&'static str),
}

impl From<crate::wire::frame::FrameError> for WireError {
    /// Shared classes come back as themselves; frame-only classes are wrapped.
    fn from(e: crate::wire::frame::FrameError) -> Self {
        match e {
            crate::wire::frame::FrameError::Wire(w) => w,
            other => WireError::Frame(Box::new(other)),
        }
    }
}

impl crate::ErrorClass for WireError {
    fn class(&self) -> &'static str {
        match self {
            WireError::InvalidPrefix(_) => "invalid_prefix",
            WireError::InvalidBase64(_) => "invalid_base64",
            WireError::BrotliTruncated => "brotli_truncated",
            WireError::BrotliCorrupt(_) => "brotli_corrupt",
            WireError::InvalidUtf8 { .. } => "invalid_utf8",
            WireError::InvalidJson(_) => "invalid_json",
            WireError::DecompressedTooLarge { .. } => "decompressed_too_large",
            WireError::MessageTooLarge { .. } => "message_too_large",
            WireError::VarintTruncated => "varint_truncated",
            WireError::VarintTooLong => "varint_too_long",
            WireError::VarintOverflow => "varint_overflow",
            WireError::Frame(e) => e.class(),
            WireError::Token(e) => e.class(),
            WireError::Unsupported(_) => "unsupported",
        }
    }
}
