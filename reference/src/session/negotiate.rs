//! Capability negotiation (spec `session` §4, SESSION-VER-* and SESSION-NEG-*).
//!
//! Each side negotiates on its own, from its own preference lists; the two results need not
//! agree. Nothing here is symmetric by design: `negotiate(local, peer)` favours `local`.

use super::message::{Algorithm, Capabilities, Encoding};

/// The outcome of a successful negotiation. [SESSION-NEG-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// First algorithm of the local list that the peer also lists. [SESSION-NEG-002]
    pub algorithm: Algorithm,
    /// Local preferred encoding if the peer lists it, else the first local encoding the peer
    /// lists, else `Cl100kBase`. [SESSION-NEG-003]
    pub encoding: Encoding,
    /// Both sides stream. [SESSION-NEG-004]
    pub streaming: bool,
    /// Both sides route with ML. [SESSION-NEG-004]
    pub ml_routing: bool,
    /// Either side detects threats. [SESSION-NEG-004]
    pub threat_detection: bool,
    /// Either side blocks. [SESSION-NEG-004]
    pub blocking_mode: bool,
}

/// The major version: the text before the first `.`, compared as text. [SESSION-VER-001]
pub fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// Whether two versions are compatible: equal major parts, as strings. [SESSION-VER-001]
pub fn compatible(local: &Capabilities, peer: &Capabilities) -> bool {
    major(&local.version) == major(&peer.version)
}

/// Negotiate from the local side. `None` on a version mismatch or when no algorithm is common.
/// `max_payload`, `block_threshold` and `extensions` play no part. [SESSION-NEG-001]
/// [SESSION-NEG-005]
pub fn negotiate(local: &Capabilities, peer: &Capabilities) -> Option<Negotiated> {
    if !compatible(local, peer) {
        return None;
    }
    let (mine, theirs) = (&local.compression, &peer.compression);
    let algorithm = *mine
        .algorithms
        .iter()
        .find(|a| theirs.algorithms.contains(a))?;
    let encoding = if theirs.encodings.contains(&mine.preferred_encoding) {
        mine.preferred_encoding
    } else {
        mine.encodings
            .iter()
            .copied()
            .find(|e| theirs.encodings.contains(e))
            .unwrap_or(Encoding::Cl100kBase)
    };
    Some(Negotiated {
        algorithm,
        encoding,
        streaming: mine.streaming && theirs.streaming,
        ml_routing: mine.ml_routing && theirs.ml_routing,
        threat_detection: local.security.threat_detection || peer.security.threat_detection,
        blocking_mode: local.security.blocking_mode || peer.security.blocking_mode,
    })
}
