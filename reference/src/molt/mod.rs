//! Molt-to-Molt (spec chapter `molt`, `spec/30-molt.md`): the discovery hub's registry and the
//! encrypted peer-to-peer codec, sans-IO.
//!
//! - [`crypto`]: X25519 keys as base64 DER SPKI, the raw-secret AES-256-GCM blob, payload
//!   encoding. [MOLT-KEY-*] [MOLT-BLOB-*] [MOLT-PAYLOAD-*]
//! - [`p2p`]: newline-delimited JSON frames, the listener and sender state machines.
//!   [MOLT-P2P-*]
//! - [`hub`]: the agent registry with a virtual clock, the WebSocket actions and the HTTP
//!   endpoints. [MOLT-HUB-*]
//! - [`script`]: scripted runs of the hub and of a peer listener, as used by the testee ops
//!   `molt.hub.run` and `molt.peer.run`.
//!
//! Nothing here opens a socket, reads a clock or draws randomness: time is a number of
//! milliseconds passed in, key pairs, nonces and agent ids come from injectable sources
//! ([`crypto::SecretSource`], [`hub::IdSource`]). The runnable hub and agent (crate `m2m-molt`)
//! wrap these types with tokio.

pub mod crypto;
pub mod hub;
pub mod p2p;
pub mod script;

use crate::ErrorClass;

/// Errors of the Molt area. Each maps to a class in `spec/error-classes.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoltError {
    /// A peer key is not base64 of the 44-byte X25519 DER SPKI. [MOLT-KEY-003]
    #[error("invalid peer public key: {0}")]
    InvalidPublicKey(String),
    /// The X25519 result is all zero (low-order peer point). [MOLT-KEY-005]
    #[error("X25519 produced a non-contributory (all-zero) shared secret")]
    LowOrderPoint,
    /// A blob does not decrypt under the session key, or its plaintext is the JSON `null`
    /// failure sentinel. [MOLT-BLOB-004] [MOLT-PAYLOAD-003]
    #[error("decryption failed: {0}")]
    DecryptionFailed(String),
    /// An input value does not fit the operation (e.g. a key that is not 32 bytes).
    #[error("bad input: {0}")]
    BadInput(String),
}

impl ErrorClass for MoltError {
    fn class(&self) -> &'static str {
        match self {
            MoltError::InvalidPublicKey(_) => "invalid_public_key",
            MoltError::LowOrderPoint => "low_order_point",
            MoltError::DecryptionFailed(_) => "decryption_failed",
            MoltError::BadInput(_) => "bad_args",
        }
    }
}
