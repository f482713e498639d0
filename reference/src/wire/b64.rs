//! Base64 as used by every text form: the standard alphabet with `=` padding, canonical only
//! (spec `WIRE-B64-001`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::WireError;

/// Encode with the standard alphabet and padding. [WIRE-B64-001]
pub fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decode canonical standard padded base64; whitespace, URL-safe characters, missing padding
/// and non-zero trailing bits are errors. [WIRE-B64-001] [WIRE-B64-002]
pub fn decode(text: &str) -> Result<Vec<u8>, WireError> {
    STANDARD
        .decode(text)
        .map_err(|e| WireError::InvalidBase64(e.to_string()))
}
