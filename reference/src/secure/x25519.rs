//! X25519 key agreement (RFC 7748) and session keys from it (spec `secure`, X25519 topic).
//!
//! Keys are raw 32-byte strings: a private key is the RFC 7748 scalar before clamping, a public
//! key the little-endian u-coordinate. No text encoding is defined beyond the hex of the ops.

use x25519_dalek::{PublicKey, StaticSecret};

use super::{kdf, KeyMaterial, SecureError};

/// Length of X25519 private keys, public keys and shared secrets. [SECURE-X25519-001]
pub const X25519_LEN: usize = 32;

fn array(what: &str, bytes: &[u8]) -> Result<[u8; X25519_LEN], SecureError> {
    bytes.try_into().map_err(|_| {
        SecureError::InvalidKey(format!(
            "X25519 {what} has {} bytes; it must have {X25519_LEN}",
            bytes.len()
        ))
    })
}

/// The public key of a private key: `X25519(clamp(k), 9)`. [SECURE-X25519-002]
pub fn public_key(private: &[u8]) -> Result<[u8; X25519_LEN], SecureError> {
    let secret = StaticSecret::from(array("private key", private)?);
    Ok(PublicKey::from(&secret).to_bytes())
}

/// The raw shared secret `X25519(clamp(k), u)` (RFC 7748 section 5; the most significant bit
/// of `u` is ignored). An all-zero result, which a low-order peer key produces, is rejected with
/// `low_order_point`. [SECURE-X25519-003] [SECURE-X25519-004]
pub fn shared_secret(private: &[u8], peer_public: &[u8]) -> Result<KeyMaterial, SecureError> {
    let secret = StaticSecret::from(array("private key", private)?);
    let peer = PublicKey::from(array("public key", peer_public)?);
    let shared = secret.diffie_hellman(&peer);
    if !shared.was_contributory() {
        return Err(SecureError::LowOrderPoint);
    }
    Ok(KeyMaterial::from_slice(shared.as_bytes()))
}

/// The session key of an exchange: HKDF-SHA256 with no salt over the shared secret, info = the
/// caller's context string, 32 bytes. The context is not fixed by the protocol; both sides must
/// agree on it. [SECURE-X25519-005]
pub fn session_key(
    private: &[u8],
    peer_public: &[u8],
    context: &str,
) -> Result<KeyMaterial, SecureError> {
    let shared = shared_secret(private, peer_public)?;
    kdf::derive(&shared, context.as_bytes(), kdf::DERIVED_KEY_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_point_is_low_order() {
        assert_eq!(
            shared_secret(&[1; 32], &[0; 32]),
            Err(SecureError::LowOrderPoint)
        );
    }

    #[test]
    fn agreement_is_symmetric() {
        let (a, b) = ([3u8; 32], [4u8; 32]);
        let (pa, pb) = (public_key(&a).unwrap(), public_key(&b).unwrap());
        assert_eq!(
            shared_secret(&a, &pb).unwrap(),
            shared_secret(&b, &pa).unwrap()
        );
    }
}
