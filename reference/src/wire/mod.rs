//! The wire layer: everything needed to turn a wire string into text and back, independent of
//! sessions and security.
//!
//! | module | spec chapter |
//! |---|---|
//! | [`detect`] | `detection` — prefixes and passthrough |
//! | [`brotli`] | `brotli` — `#M2M[v3.0]|DATA:` |
//! | [`varint`] | `varint` — LEB128 |
//! | [`limits`] | `limits` — message and decompressed-size limits |
//! | [`b64`] | base64 rules shared by every text form |
//! | [`frame`] | `frame` — the M2M v1 frame `#M2M|1|` |
//! | [`token_native`] | `tokennative` — TokenNative `#TK|` |

pub mod b64;
pub mod brotli;
pub mod detect;
mod error;
pub mod frame;
pub mod limits;
pub mod token_native;
pub mod varint;

pub use detect::{detect, Format};
pub use error::WireError;
pub use limits::Limits;

/// Compression algorithms a sender can choose (the `algorithm` argument of `wire.compress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Passthrough: the content unchanged. [WIRE-PASS-002]
    None,
    /// `#M2M[v3.0]|DATA:`. [WIRE-BROTLI-001]
    Brotli,
    /// `#M2M|1|` text form.
    M2m,
    /// `#TK|` with a tokenizer (`wire.compress` uses `cl100k_base`). [TOKEN-TEXT-002]
    TokenNative,
}

impl Algorithm {
    /// Parse an algorithm name: `none`, `brotli`, `m2m`, `token-native` (the names of the
    /// testee protocol; the CLI also accepts upstream's aliases).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "none" => Some(Algorithm::None),
            "brotli" => Some(Algorithm::Brotli),
            "m2m" => Some(Algorithm::M2m),
            "token-native" => Some(Algorithm::TokenNative),
            _ => None,
        }
    }
}

/// Compress `input` with `algorithm`, returning the wire string.
/// [WIRE-PASS-002] [WIRE-BROTLI-001] [FRAME-TEXT-003]
pub fn compress(input: &str, algorithm: Algorithm) -> Result<String, WireError> {
    match algorithm {
        Algorithm::None => Ok(input.to_owned()),
        Algorithm::Brotli => Ok(brotli::encode(input)),
        Algorithm::M2m => frame::encode_text(input).map_err(WireError::from),
        Algorithm::TokenNative => {
            Ok(token_native::encode(input, token_native::Tokenizer::Cl100k).0)
        }
    }
}

impl Algorithm {
    /// The testee-protocol name of the algorithm.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::None => "none",
            Algorithm::Brotli => "brotli",
            Algorithm::M2m => "m2m",
            Algorithm::TokenNative => "token-native",
        }
    }
}

/// Detect the format of `wire` and decode it within `limits`; passthrough returns the input
/// unchanged. [WIRE-DETECT-001] [WIRE-PASS-001] [WIRE-LIMIT-002] [FRAME-TEXT-004]
pub fn decompress(wire: &str, limits: &Limits) -> Result<String, WireError> {
    limits.check_message(wire.len())?;
    match detect(wire.as_bytes()) {
        Format::Passthrough => Ok(wire.to_owned()),
        Format::Brotli => brotli::decode(wire, limits.max_decompressed_bytes),
        Format::M2mV1 => frame::decode_text(wire, limits)
            .map(|f| f.payload)
            .map_err(WireError::from),
        Format::TokenNative => token_native::decode(wire).map_err(WireError::from),
    }
}
