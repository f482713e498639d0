//! HKDF-SHA256 and the M2M key hierarchy (spec `secure`, KDF, ID and HIER topics).
//!
//! Every derived key in the protocol is `HKDF-SHA256(salt = none, IKM = parent, info = path)`
//! with a 32-byte output. "No salt" means a salt of 32 zero bytes (RFC 5869 section 2.2), so
//! the extract step does run. The paths:
//!
//! | derivation | IKM | info |
//! |---|---|---|
//! | organization key | master | `m2m/v1/{org}` |
//! | agent key | master | `m2m/v1/{org}/{agent}` |
//! | agent purpose key | master | `m2m/v1/{org}/{agent}/{purpose}` |
//! | hierarchy session key | master | `m2m/v1/{org}/session/{lo}:{hi}/{session}` |
//! | shared key | master | `m2m/v1/{org}/shared` |
//! | agent-context purpose key | agent key | `m2m/v1/{org}/{agent}/{purpose}` |
//! | agent-context session key | organization key | `m2m/v1/{org}/session/{lo}:{hi}/{session}` |
//!
//! `{lo}` and `{hi}` are the two agent ids ordered by byte-wise comparison.

use hkdf::Hkdf;
use sha2::Sha256;

use super::{KeyMaterial, SecureError};

/// Largest HKDF-SHA256 output: 255 blocks of 32 bytes. [SECURE-KDF-003]
pub const HKDF_MAX_OUTPUT: usize = 255 * 32;
/// The version label at the start of every hierarchy path. [SECURE-HIER-001]
pub const KDF_VERSION: &str = "m2m/v1";
/// Longest organization or agent id, in bytes. [SECURE-ID-001]
pub const MAX_ID_LEN: usize = 128;
/// Length of every key the hierarchy derives. [SECURE-HIER-001]
pub const DERIVED_KEY_LEN: usize = 32;

/// HKDF-Extract: `PRK = HMAC-SHA256(salt, IKM)`, with an absent salt meaning 32 zero bytes.
/// [SECURE-KDF-001]
pub fn extract(salt: Option<&[u8]>, ikm: &[u8]) -> [u8; 32] {
    let (prk, _) = Hkdf::<Sha256>::extract(salt, ikm);
    prk.into()
}

/// HKDF-SHA256, extract then expand, `length` output bytes. A length above 8160 is
/// `kdf_output_too_long`. [SECURE-KDF-001] [SECURE-KDF-003]
pub fn hkdf(
    ikm: &[u8],
    salt: Option<&[u8]>,
    info: &[u8],
    length: usize,
) -> Result<KeyMaterial, SecureError> {
    if length > HKDF_MAX_OUTPUT {
        return Err(SecureError::KdfOutputTooLong(length));
    }
    // The output buffer is key material from the start, so it is wiped even on an error path.
    let mut okm = KeyMaterial::new(vec![0u8; length]);
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, okm.as_mut_bytes())
        .map_err(|_| SecureError::KdfOutputTooLong(length))?;
    Ok(okm)
}

/// Derive from a key: HKDF-SHA256 with no salt, IKM = `key`, the given info and length. This is
/// the one derivation every path of the hierarchy, the keyring and X25519 uses.
/// [SECURE-KDF-002]
pub fn derive(key: &KeyMaterial, info: &[u8], length: usize) -> Result<KeyMaterial, SecureError> {
    hkdf(key.as_bytes(), None, info, length)
}

/// Validate an organization or agent id: non-empty, at most 128 bytes, only ASCII letters,
/// digits, `-` and `_`. The checks run in this order. [SECURE-ID-001]
pub fn validate_id(kind: &'static str, id: &str) -> Result<(), SecureError> {
    let reason = if id.is_empty() {
        "empty".to_owned()
    } else if id.len() > MAX_ID_LEN {
        format!("{} bytes; the maximum is {MAX_ID_LEN}", id.len())
    } else if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        format!("character {c:?} is not allowed")
    } else {
        return Ok(());
    };
    Err(SecureError::InvalidId { kind, reason })
}

/// A purpose label for agent keys. [SECURE-HIER-003]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `identity`
    Identity,
    /// `encryption`
    Encryption,
    /// `authentication`
    Authentication,
    /// `session`
    Session,
}

impl Purpose {
    /// The label in the path.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Identity => "identity",
            Purpose::Encryption => "encryption",
            Purpose::Authentication => "authentication",
            Purpose::Session => "session",
        }
    }

    /// The purpose of a label.
    pub fn from_label(s: &str) -> Option<Purpose> {
        [
            Purpose::Identity,
            Purpose::Encryption,
            Purpose::Authentication,
            Purpose::Session,
        ]
        .into_iter()
        .find(|p| p.label() == s)
    }
}

/// The session part of a path, with the two agent ids in byte-wise order so that both agents
/// derive the same key. [SECURE-HIER-004]
fn session_path(org: &str, a: &str, b: &str, session_id: &str) -> String {
    let (lo, hi) = if a.as_bytes() <= b.as_bytes() {
        (a, b)
    } else {
        (b, a)
    };
    format!("{KDF_VERSION}/{org}/session/{lo}:{hi}/{session_id}")
}

/// An organization's key hierarchy: a master secret and a validated organization id.
/// [SECURE-HIER-001]
#[derive(Debug, Clone)]
pub struct KeyHierarchy {
    master: KeyMaterial,
    org: String,
}

impl KeyHierarchy {
    /// A hierarchy for `org`, which must be a valid id. [SECURE-ID-001]
    pub fn new(master: KeyMaterial, org: &str) -> Result<Self, SecureError> {
        validate_id("organization", org)?;
        Ok(KeyHierarchy {
            master,
            org: org.to_owned(),
        })
    }

    fn derive_path(&self, path: &str) -> Result<KeyMaterial, SecureError> {
        derive(&self.master, path.as_bytes(), DERIVED_KEY_LEN)
    }

    /// `m2m/v1/{org}` from the master. [SECURE-HIER-002]
    pub fn org_key(&self) -> Result<KeyMaterial, SecureError> {
        self.derive_path(&format!("{KDF_VERSION}/{}", self.org))
    }

    /// `m2m/v1/{org}/{agent}` from the master. [SECURE-HIER-002]
    pub fn agent_key(&self, agent: &str) -> Result<KeyMaterial, SecureError> {
        validate_id("agent", agent)?;
        self.derive_path(&format!("{KDF_VERSION}/{}/{agent}", self.org))
    }

    /// `m2m/v1/{org}/{agent}/{purpose}` from the master. [SECURE-HIER-003]
    pub fn agent_purpose_key(
        &self,
        agent: &str,
        purpose: Purpose,
    ) -> Result<KeyMaterial, SecureError> {
        validate_id("agent", agent)?;
        self.derive_path(&format!(
            "{KDF_VERSION}/{}/{agent}/{}",
            self.org,
            purpose.label()
        ))
    }

    /// `m2m/v1/{org}/session/{lo}:{hi}/{session}` from the master: the hierarchy's session
    /// route. [SECURE-HIER-004]
    pub fn session_key(
        &self,
        a: &str,
        b: &str,
        session_id: &str,
    ) -> Result<KeyMaterial, SecureError> {
        validate_id("agent", a)?;
        validate_id("agent", b)?;
        self.derive_path(&session_path(&self.org, a, b, session_id))
    }

    /// `m2m/v1/{org}/shared` from the master. [SECURE-HIER-002]
    pub fn shared_key(&self) -> Result<KeyMaterial, SecureError> {
        self.derive_path(&format!("{KDF_VERSION}/{}/shared", self.org))
    }

    /// The key context an agent receives: its agent key and the organization key.
    /// [SECURE-HIER-005]
    pub fn agent_context(&self, agent: &str) -> Result<AgentKeyContext, SecureError> {
        Ok(AgentKeyContext {
            identity: self.agent_key(agent)?,
            org_key: self.org_key()?,
            agent: agent.to_owned(),
            org: self.org.clone(),
        })
    }
}

/// What one agent holds: its agent ("identity") key and the organization key, without the
/// master. Its derivations start from those keys, so they differ from the hierarchy's own
/// routes for the same path. [SECURE-HIER-005]
#[derive(Debug, Clone)]
pub struct AgentKeyContext {
    identity: KeyMaterial,
    org_key: KeyMaterial,
    agent: String,
    org: String,
}

impl AgentKeyContext {
    /// `m2m/v1/{org}/{agent}/{purpose}` with IKM = the agent key (not the master).
    /// [SECURE-HIER-005]
    pub fn purpose_key(&self, purpose: Purpose) -> Result<KeyMaterial, SecureError> {
        let path = format!(
            "{KDF_VERSION}/{}/{}/{}",
            self.org,
            self.agent,
            purpose.label()
        );
        derive(&self.identity, path.as_bytes(), DERIVED_KEY_LEN)
    }

    /// The session path with IKM = the organization key: the agent-context session route. Both
    /// agents of an organization derive the same key. [SECURE-HIER-006]
    pub fn session_key(&self, peer: &str, session_id: &str) -> Result<KeyMaterial, SecureError> {
        validate_id("agent", peer)?;
        let path = session_path(&self.org, &self.agent, peer, session_id);
        derive(&self.org_key, path.as_bytes(), DERIVED_KEY_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> KeyMaterial {
        KeyMaterial::new((0u8..32).collect())
    }

    #[test]
    fn upstream_hierarchy_vector() {
        let h = KeyHierarchy::new(master(), "test-org").unwrap();
        assert_eq!(
            hex::encode(h.agent_key("agent-001").unwrap().as_bytes()),
            "c87f687fae1cf5991cd0cc64e113ec09750b0d1c41338a41cd8ad90bdd60dba1"
        );
    }

    #[test]
    fn session_routes_differ_and_are_symmetric() {
        let h = KeyHierarchy::new(master(), "test-org").unwrap();
        let a = h.agent_context("alice").unwrap();
        let b = h.agent_context("bob").unwrap();
        let ka = a.session_key("bob", "s").unwrap();
        assert_eq!(ka, b.session_key("alice", "s").unwrap());
        assert_ne!(ka, h.session_key("alice", "bob", "s").unwrap());
        assert_eq!(
            h.session_key("alice", "bob", "s").unwrap(),
            h.session_key("bob", "alice", "s").unwrap()
        );
    }

    #[test]
    fn hkdf_limit() {
        assert_eq!(hkdf(b"k", None, b"", 8160).unwrap().len(), 8160);
        assert_eq!(
            hkdf(b"k", None, b"", 8161),
            Err(SecureError::KdfOutputTooLong(8161))
        );
    }

    #[test]
    fn ids() {
        assert!(validate_id("agent", "a-b_C9").is_ok());
        for bad in ["", "a b", "a/b", "é", &"x".repeat(129)] {
            assert!(validate_id("agent", bad).is_err(), "{bad}");
        }
        assert!(validate_id("agent", &"x".repeat(128)).is_ok());
    }
}
