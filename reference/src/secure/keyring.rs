//! The keyring: named keys and a default key (spec `secure`, KEYRING topic).
//!
//! There is no key id on the wire and no rotation logic: rotating means adding the new key and
//! making it the default.

use std::collections::BTreeMap;

use super::{kdf, KeyMaterial, SecureError};

/// Named keys with an optional default. [SECURE-KEYRING-001]
#[derive(Debug, Default, Clone)]
pub struct Keyring {
    keys: BTreeMap<String, KeyMaterial>,
    default: Option<String>,
}

impl Keyring {
    /// An empty keyring without a default.
    pub fn new() -> Self {
        Keyring::default()
    }

    /// Store `key` under `id`, replacing any key with that id. The first key added to an empty
    /// keyring becomes the default; adding never changes an existing default.
    /// [SECURE-KEYRING-001]
    pub fn add(&mut self, id: &str, key: KeyMaterial) {
        if self.keys.is_empty() {
            self.default = Some(id.to_owned());
        }
        self.keys.insert(id.to_owned(), key);
    }

    /// The key stored under `id`. [SECURE-KEYRING-003]
    pub fn get(&self, id: &str) -> Result<&KeyMaterial, SecureError> {
        self.keys
            .get(id)
            .ok_or_else(|| SecureError::KeyNotFound(id.to_owned()))
    }

    /// The default key; `key_not_found` when there is none. [SECURE-KEYRING-002]
    pub fn default_key(&self) -> Result<&KeyMaterial, SecureError> {
        self.default
            .as_deref()
            .and_then(|id| self.keys.get(id))
            .ok_or_else(|| SecureError::KeyNotFound("no default key".to_owned()))
    }

    /// Make `id` the default; `key_not_found` if no key has that id. [SECURE-KEYRING-002]
    pub fn set_default(&mut self, id: &str) -> Result<(), SecureError> {
        if !self.keys.contains_key(id) {
            return Err(SecureError::KeyNotFound(id.to_owned()));
        }
        self.default = Some(id.to_owned());
        Ok(())
    }

    /// Remove the key under `id`; returns whether there was one. Removing the default key
    /// leaves the keyring without a default (no other key is promoted). [SECURE-KEYRING-002]
    pub fn remove(&mut self, id: &str) -> bool {
        if self.default.as_deref() == Some(id) {
            self.default = None;
        }
        self.keys.remove(id).is_some()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the keyring holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// A session key from the default key: HKDF-SHA256 with no salt, info
    /// `m2m-v1|{context}|{session_id}` (literal `|` characters), 32 bytes.
    /// [SECURE-KEYRING-004]
    pub fn derive_session_key(
        &self,
        context: &str,
        session_id: &str,
    ) -> Result<KeyMaterial, SecureError> {
        let key = self.default_key()?;
        let info = format!("m2m-v1|{context}|{session_id}");
        kdf::derive(key, info.as_bytes(), kdf::DERIVED_KEY_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_semantics() {
        let mut r = Keyring::new();
        assert!(r.default_key().is_err());
        r.add("a", KeyMaterial::new(vec![1]));
        r.add("b", KeyMaterial::new(vec![2]));
        assert_eq!(r.default_key().unwrap().as_bytes(), [1]);
        assert!(r.remove("a"));
        assert!(r.default_key().is_err());
        assert!(r.set_default("a").is_err());
        r.set_default("b").unwrap();
        assert_eq!(r.default_key().unwrap().as_bytes(), [2]);
    }
}
