//! ChaCha20-Poly1305 (RFC 8439) as the secure chapter uses it (spec `secure`, AEAD topic).
//!
//! A sealed box is `nonce (12) ‖ ciphertext ‖ tag (16)`: the RFC 8439 ciphertext and tag with
//! the nonce in front, so that the receiver needs nothing but the box and the associated data.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use super::{SecureError, AEAD_KEY_LEN, AEAD_TAG_LEN, NONCE_LEN};

/// The key rule alone: exactly 32 bytes, else `invalid_key`. [SECURE-KEY-002]
pub fn check_key(key: &[u8]) -> Result<(), SecureError> {
    if key.len() != AEAD_KEY_LEN {
        return Err(SecureError::InvalidKey(format!(
            "AEAD key has {} bytes; ChaCha20-Poly1305 takes exactly {AEAD_KEY_LEN}",
            key.len()
        )));
    }
    Ok(())
}

fn cipher(key: &[u8]) -> Result<ChaCha20Poly1305, SecureError> {
    check_key(key)?;
    Ok(ChaCha20Poly1305::new(Key::from_slice(key)))
}

/// Seal `plaintext` with associated data `aad` under a 32-byte key and a 12-byte nonce; returns
/// `nonce ‖ ciphertext ‖ tag`. Keys of any other length are `invalid_key`, nonces of any other
/// length `invalid_nonce`. [SECURE-AEAD-001] [SECURE-AEAD-002] [SECURE-KEY-002]
pub fn seal(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, SecureError> {
    let cipher = cipher(key)?;
    if nonce.len() != NONCE_LEN {
        return Err(SecureError::InvalidNonce(nonce.len()));
    }
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| {
            SecureError::Frame(crate::wire::frame::FrameError::InputTooLarge(
                "plaintext too long for ChaCha20-Poly1305".into(),
            ))
        })?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Open `nonce ‖ ciphertext ‖ tag`. A box shorter than 28 bytes is `truncated`; a tag that
/// does not verify (wrong key, wrong AAD, any changed bit) is `auth_failed`, and no plaintext
/// is released. [SECURE-AEAD-003] [SECURE-AEAD-004] [SECURE-KEY-002]
pub fn open(key: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SecureError> {
    let cipher = cipher(key)?;
    if sealed.len() < NONCE_LEN + AEAD_TAG_LEN {
        return Err(SecureError::Truncated("AEAD nonce and tag"));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| SecureError::AuthFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = [7u8; 32];
        let sealed = seal(&key, &[1; 12], b"aad", b"hello").unwrap();
        assert_eq!(sealed.len(), 12 + 5 + 16);
        assert_eq!(open(&key, b"aad", &sealed).unwrap(), b"hello");
        assert_eq!(open(&key, b"aae", &sealed), Err(SecureError::AuthFailed));
        let mut bad = sealed.clone();
        bad[20] ^= 1;
        assert_eq!(open(&key, b"aad", &bad), Err(SecureError::AuthFailed));
    }

    #[test]
    fn key_and_nonce_lengths() {
        assert!(matches!(
            seal(&[0; 31], &[0; 12], b"", b""),
            Err(SecureError::InvalidKey(_))
        ));
        assert!(matches!(
            seal(&[0; 33], &[0; 12], b"", b""),
            Err(SecureError::InvalidKey(_))
        ));
        assert_eq!(
            seal(&[0; 32], &[0; 11], b"", b""),
            Err(SecureError::InvalidNonce(11))
        );
    }
}
