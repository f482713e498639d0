//! Key material that is wiped from memory when dropped (spec `secure`, KEY topic).

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Secret bytes: a frame key, a master secret, a derived key or a shared secret. The bytes are
/// overwritten with zeros on drop and never printed by `Debug`. [SECURE-KEY-003]
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct KeyMaterial(Vec<u8>);

impl KeyMaterial {
    /// Wrap bytes. No length rule applies here: each use checks its own minimum.
    pub fn new(bytes: Vec<u8>) -> Self {
        KeyMaterial(bytes)
    }

    /// Copy bytes from a slice.
    pub fn from_slice(bytes: &[u8]) -> Self {
        KeyMaterial(bytes.to_vec())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, writable (for filling a derived key in place).
    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyMaterial([redacted; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let k = KeyMaterial::new(vec![0xab; 32]);
        let s = format!("{k:?}");
        assert!(!s.contains("ab"), "{s}");
        assert!(s.contains("32 bytes"));
    }

    #[test]
    fn zeroize_clears() {
        let mut k = KeyMaterial::new(vec![7; 16]);
        k.zeroize();
        assert!(k.as_bytes().iter().all(|&b| b == 0));
    }
}
