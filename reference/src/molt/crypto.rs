//! Molt key agreement and message blobs: X25519 public keys as base64 DER SPKI, the raw
//! shared secret used directly as the AES-256-GCM key, and the blob
//! `base64(nonce[12] ‖ tag[16] ‖ ciphertext)`. [MOLT-KEY-*] [MOLT-BLOB-*] [MOLT-PAYLOAD-*]

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use base64::Engine;
use serde_json::Value;
use x25519_dalek::{PublicKey, StaticSecret};

use super::MoltError;

/// The fixed 12-byte DER prefix of an X25519 SubjectPublicKeyInfo: SEQUENCE(42) { SEQUENCE(5)
/// { OID 1.3.101.110 }, BIT STRING(33) with 0 unused bits }; the 32-byte key follows.
/// [MOLT-KEY-002]
pub const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00,
];

/// Length of the blob's nonce. [MOLT-BLOB-001]
pub const NONCE_LEN: usize = 12;
/// Length of the blob's GCM tag. [MOLT-BLOB-001]
pub const TAG_LEN: usize = 16;

/// Where fresh X25519 private keys come from (one per connection and role). Injected so that
/// runs are reproducible. [MOLT-KEY-001]
pub trait SecretSource {
    /// The next 32-byte private key.
    fn next_secret(&mut self) -> [u8; 32];
}

/// A [`SecretSource`] that hands out a fixed list, then keys derived from a counter.
/// Deterministic; for tests and scripted runs only.
#[derive(Debug, Clone, Default)]
pub struct ListSecrets {
    keys: Vec<[u8; 32]>,
    next: usize,
}

impl ListSecrets {
    /// A source that yields `keys` in order.
    pub fn new(keys: Vec<[u8; 32]>) -> Self {
        ListSecrets { keys, next: 0 }
    }
}

impl SecretSource for ListSecrets {
    fn next_secret(&mut self) -> [u8; 32] {
        let i = self.next;
        self.next += 1;
        if let Some(k) = self.keys.get(i) {
            return *k;
        }
        // Past the list: a fixed, distinct filler per index.
        let mut k = [0x5a_u8; 32];
        k[..8].copy_from_slice(&(i as u64).to_le_bytes());
        k
    }
}

/// The raw 32-byte X25519 public key of a private key. [MOLT-KEY-001]
pub fn public_key(private: &[u8; 32]) -> [u8; 32] {
    PublicKey::from(&StaticSecret::from(*private)).to_bytes()
}

/// The 44-byte DER SPKI of a raw X25519 public key. [MOLT-KEY-002]
pub fn spki_der(public: &[u8; 32]) -> [u8; 44] {
    let mut out = [0u8; 44];
    out[..12].copy_from_slice(&SPKI_PREFIX);
    out[12..].copy_from_slice(public);
    out
}

/// The wire form of a public key: standard padded base64 of its DER SPKI (60 characters,
/// always starting `MCowBQYDK2VuAyEA`). [MOLT-KEY-002]
pub fn spki_b64(public: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(spki_der(public))
}

/// Parse a wire public key: canonical standard base64 of exactly the 44-byte X25519 SPKI.
/// Anything else (raw 32-byte key, another algorithm's SPKI, extra bytes, bad base64) is
/// [`MoltError::InvalidPublicKey`]. [MOLT-KEY-003]
pub fn parse_spki_b64(text: &str) -> Result<[u8; 32], MoltError> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| MoltError::InvalidPublicKey(format!("not canonical base64: {e}")))?;
    if der.len() != 44 {
        return Err(MoltError::InvalidPublicKey(format!(
            "SPKI must be 44 bytes, got {}",
            der.len()
        )));
    }
    if der[..12] != SPKI_PREFIX {
        return Err(MoltError::InvalidPublicKey(
            "not an X25519 SubjectPublicKeyInfo".into(),
        ));
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&der[12..]);
    Ok(key)
}

/// The session key: the raw X25519 shared secret, used directly as the AES-256 key (no KDF,
/// as the JavaScript reference does). An all-zero result is rejected. [MOLT-KEY-004]
/// [MOLT-KEY-005]
pub fn session_key(private: &[u8; 32], peer_public: &[u8; 32]) -> Result<[u8; 32], MoltError> {
    let shared = StaticSecret::from(*private).diffie_hellman(&PublicKey::from(*peer_public));
    if !shared.was_contributory() {
        return Err(MoltError::LowOrderPoint);
    }
    Ok(shared.to_bytes())
}

/// [`session_key`] from a wire (base64 SPKI) peer key. [MOLT-KEY-003] [MOLT-KEY-004]
pub fn derive(private: &[u8; 32], peer_spki_b64: &str) -> Result<[u8; 32], MoltError> {
    session_key(private, &parse_spki_b64(peer_spki_b64)?)
}

/// Encrypt `plaintext` under `key` with the given nonce and no AAD; returns the wire blob
/// `base64(nonce ‖ tag ‖ ciphertext)` (standard alphabet, padded). [MOLT-BLOB-001]
/// [MOLT-BLOB-002]
pub fn seal(key: &[u8; 32], nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> String {
    let cipher = Aes256Gcm::new(key.into());
    let mut buf = plaintext.to_vec();
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(nonce), b"", &mut buf)
        .expect("AES-GCM encryption of an in-memory buffer cannot fail below 64 GiB");
    let mut blob = Vec::with_capacity(NONCE_LEN + TAG_LEN + buf.len());
    blob.extend_from_slice(nonce);
    blob.extend_from_slice(&tag);
    blob.extend_from_slice(&buf);
    base64::engine::general_purpose::STANDARD.encode(blob)
}

/// Decrypt a wire blob. Strict: canonical standard base64, at least 28 bytes, full 16-byte
/// tag. Returns the plaintext bytes. [MOLT-BLOB-003] [MOLT-BLOB-004] [MOLT-BLOB-005]
/// [MOLT-BLOB-006]
pub fn open(key: &[u8; 32], blob: &str) -> Result<Vec<u8>, MoltError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .map_err(|e| MoltError::DecryptionFailed(format!("blob is not canonical base64: {e}")))?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err(MoltError::DecryptionFailed(format!(
            "blob of {} bytes is shorter than nonce and full tag (28)",
            raw.len()
        )));
    }
    let (nonce, rest) = raw.split_at(NONCE_LEN);
    let (tag, ct) = rest.split_at(TAG_LEN);
    let cipher = Aes256Gcm::new(key.into());
    let mut buf = ct.to_vec();
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            b"",
            &mut buf,
            Tag::from_slice(tag),
        )
        .map_err(|_| MoltError::DecryptionFailed("GCM tag mismatch".into()))?;
    Ok(buf)
}

/// The plaintext of a payload, as the JavaScript sender makes it: a string is its own UTF-8
/// bytes; any other JSON value is its compact JSON text. [MOLT-PAYLOAD-001]
pub fn encode_payload(payload: &Value) -> Vec<u8> {
    match payload {
        Value::String(s) => s.as_bytes().to_vec(),
        other => other.to_string().into_bytes(),
    }
}

/// The payload a receiver delivers for a decrypted plaintext: the bytes are read as UTF-8
/// (invalid sequences become U+FFFD), then parsed as JSON, falling back to the text itself.
/// A plaintext that parses as JSON `null` is the failure sentinel of the JavaScript receiver
/// and is rejected. [MOLT-PAYLOAD-002] [MOLT-PAYLOAD-003]
pub fn decode_payload(plaintext: &[u8]) -> Result<Value, MoltError> {
    let text = String::from_utf8_lossy(plaintext);
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Null) => Err(MoltError::DecryptionFailed(
            "plaintext is JSON null, the receiver's failure sentinel".into(),
        )),
        Ok(v) => Ok(v),
        Err(_) => Ok(Value::String(text.into_owned())),
    }
}

/// [`open`] then [`decode_payload`]: what a listener does with a `message` frame's `data`.
pub fn open_payload(key: &[u8; 32], blob: &str) -> Result<Value, MoltError> {
    decode_payload(&open(key, blob)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        let k1 = session_key(&a, &public_key(&b)).unwrap();
        let k2 = derive(&b, &spki_b64(&public_key(&a))).unwrap();
        assert_eq!(k1, k2);
        let blob = seal(&k1, &[7u8; 12], b"{\"x\":1}");
        assert_eq!(open(&k2, &blob).unwrap(), b"{\"x\":1}");
        assert!(spki_b64(&public_key(&a)).starts_with("MCowBQYDK2VuAyEA"));
    }

    #[test]
    fn low_order_rejected() {
        assert_eq!(
            session_key(&[3u8; 32], &[0u8; 32]),
            Err(MoltError::LowOrderPoint)
        );
    }
}
