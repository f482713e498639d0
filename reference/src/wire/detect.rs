//! Prefix detection (spec chapter `detection`, `spec/01-detection.md`).
//!
//! A wire string is classified by its first bytes, checked in a fixed order. Anything without a
//! known prefix is passthrough: the decoder returns it unchanged.

/// Prefix of the M2M v1 frame, binary and text form. [WIRE-DETECT-002]
pub const M2M_V1_PREFIX: &str = "#M2M|1|";
/// Prefix of TokenNative. [WIRE-DETECT-002]
pub const TOKEN_NATIVE_PREFIX: &str = "#TK|";
/// The prefix that *selects* the Brotli format during detection. [WIRE-DETECT-002]
pub const BROTLI_FAMILY_PREFIX: &str = "#M2M[v3.0]|";
/// The full prefix of a Brotli wire string. [WIRE-BROTLI-001]
pub const BROTLI_PREFIX: &str = "#M2M[v3.0]|DATA:";

/// The formats a decoder tells apart by prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `#M2M|1|` — the M2M v1 frame.
    M2mV1,
    /// `#TK|` — TokenNative.
    TokenNative,
    /// `#M2M[v3.0]|` — Brotli + base64.
    Brotli,
    /// No known prefix: the content is carried as is. [WIRE-PASS-001]
    Passthrough,
}

impl Format {
    /// The stable name used by the testee protocol (`wire.detect`). [WIRE-DETECT-005]
    pub fn name(self) -> &'static str {
        match self {
            Format::M2mV1 => "m2m-v1",
            Format::TokenNative => "token-native",
            Format::Brotli => "brotli",
            Format::Passthrough => "passthrough",
        }
    }
}

/// Classify `wire` by prefix, in the normative order: `#M2M|1|`, `#TK|`, `#M2M[v3.0]|`, then
/// passthrough. Matching is on exact bytes (case-sensitive, no leading whitespace skipped).
/// Legacy prefixes (`#T1|`, `#M2M|` without version, `#M3|`, `#M2M[v2.0]|DATA:`) are
/// passthrough. [WIRE-DETECT-001] [WIRE-DETECT-002] [WIRE-DETECT-003] [WIRE-DETECT-004]
pub fn detect(wire: &[u8]) -> Format {
    if wire.starts_with(M2M_V1_PREFIX.as_bytes()) {
        Format::M2mV1
    } else if wire.starts_with(TOKEN_NATIVE_PREFIX.as_bytes()) {
        Format::TokenNative
    } else if wire.starts_with(BROTLI_FAMILY_PREFIX.as_bytes()) {
        Format::Brotli
    } else {
        Format::Passthrough
    }
}
