//! Secured frames, keys and key agreement (spec chapter `secure`, `spec/06-secure.md`).
//!
//! | module | part |
//! |---|---|
//! | [`hmac`] | HMAC-SHA256 tags, constant-time verification |
//! | [`aead`] | ChaCha20-Poly1305 sealed boxes `nonce ‖ ciphertext ‖ tag` |
//! | [`frame`](mod@frame) | HMAC (0x01) and AEAD (0x02) frames: seal and open |
//! | [`kdf`] | HKDF-SHA256, ids, the `m2m/v1/...` key hierarchy |
//! | [`x25519`] | X25519 agreement and session keys |
//! | [`keyring`] | named keys with a default |
//! | [`nonce`] | the injectable nonce source |
//! | [`key`] | [`KeyMaterial`], zeroized on drop |
//! | [`error`](SecureError) | [`SecureError`] |
//!
//! Nothing here draws randomness except [`nonce::OsNonce`], which a caller passes in on
//! purpose; vectors use [`nonce::FixedNonce`].

pub mod aead;
mod error;
pub mod frame;
pub mod hmac;
pub mod kdf;
pub mod key;
pub mod keyring;
pub mod nonce;
pub mod x25519;

pub use error::SecureError;
pub use key::KeyMaterial;

/// Length of a ChaCha20-Poly1305 nonce. [SECURE-AEAD-002]
pub const NONCE_LEN: usize = 12;
/// Length of a Poly1305 tag. [SECURE-AEAD-001]
pub const AEAD_TAG_LEN: usize = 16;
/// Length of an HMAC-SHA256 tag; it is never truncated. [SECURE-HMAC-001]
pub const HMAC_TAG_LEN: usize = 32;
/// Smallest HMAC key accepted. [SECURE-KEY-001]
pub const HMAC_MIN_KEY_LEN: usize = 16;
/// The only AEAD key length accepted. [SECURE-KEY-002]
pub const AEAD_KEY_LEN: usize = 32;
