//! HMAC-SHA256 as the secure chapter uses it (spec `secure`, HMAC topic).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{SecureError, HMAC_MIN_KEY_LEN, HMAC_TAG_LEN};

type HmacSha256 = Hmac<Sha256>;

/// The key rule alone: at least 16 bytes, else `invalid_key`. [SECURE-KEY-001]
pub fn check_key(key: &[u8]) -> Result<(), SecureError> {
    if key.len() < HMAC_MIN_KEY_LEN {
        return Err(SecureError::InvalidKey(format!(
            "HMAC key has {} bytes; the minimum is {HMAC_MIN_KEY_LEN}",
            key.len()
        )));
    }
    Ok(())
}

fn keyed(key: &[u8]) -> Result<HmacSha256, SecureError> {
    check_key(key)?;
    // HMAC accepts keys of any length; the only rule is the minimum above.
    HmacSha256::new_from_slice(key).map_err(|e| SecureError::InvalidKey(e.to_string()))
}

/// The full 32-byte HMAC-SHA256 tag (RFC 2104 with SHA-256, RFC 4231) of `data` under `key`.
/// Keys shorter than 16 bytes are rejected with `invalid_key`; longer keys are used whole.
/// [SECURE-HMAC-001] [SECURE-KEY-001]
pub fn sign(key: &[u8], data: &[u8]) -> Result<[u8; HMAC_TAG_LEN], SecureError> {
    let mut mac = keyed(key)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// Check a tag in constant time. A tag of any other length than 32 bytes (a truncated tag)
/// fails like a wrong one, with `auth_failed`. [SECURE-HMAC-002] [SECURE-HMAC-003]
pub fn verify(key: &[u8], data: &[u8], tag: &[u8]) -> Result<(), SecureError> {
    let mut mac = keyed(key)?;
    mac.update(data);
    // `verify_slice` compares in constant time and rejects a length mismatch.
    mac.verify_slice(tag).map_err(|_| SecureError::AuthFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_key_rejected() {
        assert!(matches!(
            sign(&[0; 15], b"x"),
            Err(SecureError::InvalidKey(_))
        ));
        assert!(sign(&[0; 16], b"x").is_ok());
    }

    #[test]
    fn verify_rejects_truncated_tag() {
        let tag = sign(&[1; 32], b"data").unwrap();
        assert!(verify(&[1; 32], b"data", &tag).is_ok());
        assert_eq!(
            verify(&[1; 32], b"data", &tag[..31]),
            Err(SecureError::AuthFailed)
        );
    }
}
