//! The error type of the secure chapter (spec `secure`, `spec/06-secure.md`).
//!
//! Frame-layout failures found after authentication travel inside [`SecureError::Frame`];
//! everything about keys, tags, nonces, modes and derivations has its own variant. Each variant
//! maps to exactly one class string from `spec/error-classes.yaml`.

use thiserror::Error;

use crate::wire::frame::FrameError;
use crate::wire::WireError;

/// Errors of the secured frames, the primitives, the key hierarchy, X25519 and the keyring.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecureError {
    /// A class of the frame or wire layer (`invalid_prefix`, `truncated`, `crc_mismatch`, ...).
    #[error(transparent)]
    Frame(FrameError),
    /// Key material of the wrong size: an HMAC key under 16 bytes, an AEAD key that is not 32
    /// bytes, an X25519 key that is not 32 bytes. [SECURE-KEY-001] [SECURE-KEY-002]
    /// [SECURE-X25519-001]
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A nonce that is not 12 bytes. [SECURE-AEAD-002]
    #[error("nonce must be 12 bytes, got {0}")]
    InvalidNonce(usize),
    /// A tag did not verify: wrong key, tampered bytes, truncated or wrong-length tag.
    /// [SECURE-HMAC-003] [SECURE-AEAD-004] [SECURE-TAMPER-001]
    #[error("authentication failed")]
    AuthFailed,
    /// The frame's security byte names a defined mode other than the one the receiver requires
    /// (including a downgrade to 0x00). [SECURE-DOWNGRADE-001]
    #[error("security byte 0x{found:02x}, but the receiver requires 0x{expected:02x}")]
    ModeMismatch {
        /// The mode byte the receiver requires.
        expected: u8,
        /// The byte found in the frame.
        found: u8,
    },
    /// The frame's security byte is not a defined mode. [SECURE-DOWNGRADE-002]
    #[error("security byte 0x{0:02x} is not a defined security mode")]
    UnknownMode(u8),
    /// The secured frame ends before its tag or sealed payload, or the decrypted payload is
    /// shorter than its 8-byte length and checksum. [SECURE-HMAC-FRAME-002] [SECURE-AEAD-FRAME-004]
    #[error("secured frame is truncated: no room for {0}")]
    Truncated(&'static str),
    /// The length inside an AEAD frame's plaintext disagrees with the bytes decrypted.
    /// [SECURE-AEAD-FRAME-005]
    #[error("payload length {stored} disagrees with the {actual} decrypted payload bytes")]
    PayloadLengthMismatch {
        /// The `payload_len` field inside the plaintext.
        stored: u32,
        /// Plaintext bytes after the 8-byte length and checksum.
        actual: usize,
    },
    /// An HKDF output length above 255 × 32 = 8160 bytes. [SECURE-KDF-003]
    #[error("HKDF-SHA256 output of {0} bytes requested; the maximum is 8160")]
    KdfOutputTooLong(usize),
    /// An organization or agent id that is empty, longer than 128 bytes, or has characters
    /// other than ASCII letters, digits, `-` and `_`. [SECURE-ID-001]
    #[error("invalid {kind} id: {reason}")]
    InvalidId {
        /// `organization` or `agent`.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The keyring has no key under this id, or no default key. [SECURE-KEYRING-003]
    #[error("key not found: {0}")]
    KeyNotFound(String),
    /// The X25519 shared secret is all zero (the peer's key is a low-order point).
    /// [SECURE-X25519-004]
    #[error("X25519 shared secret is all zero (low-order peer public key)")]
    LowOrderPoint,
    /// The nonce source failed (the OS CSPRNG).
    #[error("nonce source failed: {0}")]
    NonceSource(String),
}

impl From<FrameError> for SecureError {
    fn from(e: FrameError) -> Self {
        SecureError::Frame(e)
    }
}

impl From<WireError> for SecureError {
    fn from(e: WireError) -> Self {
        SecureError::Frame(FrameError::Wire(e))
    }
}

impl crate::ErrorClass for SecureError {
    fn class(&self) -> &'static str {
        match self {
            SecureError::Frame(e) => e.class(),
            SecureError::InvalidKey(_) => "invalid_key",
            SecureError::InvalidNonce(_) => "invalid_nonce",
            SecureError::AuthFailed => "auth_failed",
            SecureError::ModeMismatch { .. } => "security_mode_mismatch",
            SecureError::UnknownMode(_) => "unknown_security_mode",
            SecureError::Truncated(_) => "truncated",
            SecureError::PayloadLengthMismatch { .. } => "payload_length_mismatch",
            SecureError::KdfOutputTooLong(_) => "kdf_output_too_long",
            SecureError::InvalidId { .. } => "invalid_id",
            SecureError::KeyNotFound(_) => "key_not_found",
            SecureError::LowOrderPoint => "low_order_point",
            SecureError::NonceSource(_) => "rng_failure",
        }
    }
}
