//! Where AEAD nonces come from (spec `secure`, section 3, "Nonces").
//!
//! The library never draws randomness on its own: a sealing call takes a [`NonceSource`]. The
//! default for real use is [`OsNonce`] (the operating system's CSPRNG); vectors and tests use
//! [`FixedNonce`] or [`SequenceNonce`] so that output bytes are exact.

use rand_core::{OsRng, RngCore};

use super::{SecureError, NONCE_LEN};

/// A supplier of 12-byte ChaCha20-Poly1305 nonces.
pub trait NonceSource {
    /// The next nonce. A source must never hand out the same nonce twice for one key unless the
    /// caller chose so on purpose (a fixed nonce for a test vector).
    fn next_nonce(&mut self) -> Result<[u8; NONCE_LEN], SecureError>;
}

/// Nonces drawn from the operating system's CSPRNG: the default for real senders.
///
#[derive(Debug, Default, Clone, Copy)]
pub struct OsNonce;

impl NonceSource for OsNonce {
    fn next_nonce(&mut self) -> Result<[u8; NONCE_LEN], SecureError> {
        let mut n = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut n)
            .map_err(|e| SecureError::NonceSource(e.to_string()))?;
        Ok(n)
    }
}

/// Always the same nonce: for test vectors only.
#[derive(Debug, Clone, Copy)]
pub struct FixedNonce(pub [u8; NONCE_LEN]);

impl NonceSource for FixedNonce {
    fn next_nonce(&mut self) -> Result<[u8; NONCE_LEN], SecureError> {
        Ok(self.0)
    }
}

/// A counter: nonce *i* holds *start + i* as a little-endian u64 in bytes 0-7 and zeros in
/// bytes 8-11 (the layout of upstream's test-only deterministic nonce).
#[derive(Debug, Clone, Copy)]
pub struct SequenceNonce {
    next: u64,
}

impl SequenceNonce {
    /// A counter starting at `start`.
    pub fn new(start: u64) -> Self {
        SequenceNonce { next: start }
    }
}

impl NonceSource for SequenceNonce {
    fn next_nonce(&mut self) -> Result<[u8; NONCE_LEN], SecureError> {
        let mut n = [0u8; NONCE_LEN];
        n[..8].copy_from_slice(&self.next.to_le_bytes());
        self.next = self.next.wrapping_add(1);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_counts_little_endian() {
        let mut s = SequenceNonce::new(0x0102);
        assert_eq!(s.next_nonce().unwrap()[..3], [0x02, 0x01, 0x00]);
        assert_eq!(s.next_nonce().unwrap()[0], 0x03);
    }

    #[test]
    fn os_nonces_differ() {
        let mut s = OsNonce;
        assert_ne!(s.next_nonce().unwrap(), s.next_nonce().unwrap());
    }
}
