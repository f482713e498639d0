//! zlib `#M2M[v2.0]|DATA:` (spec chapter `zlib`, `spec/24-zlib.md`): documented by upstream,
//! implemented nowhere in its code. This module is the spec's MAY-level decoder and encoder:
//! base64 of one zlib stream (RFC 1950) holding UTF-8 text.

use std::io::{Read, Write};

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::LegacyError;
use crate::wire::b64;

/// The prefix. [V2-WIRE-001]
pub const PREFIX: &str = "#M2M[v2.0]|DATA:";

/// Encode with zlib at the default level (any valid zlib stream conforms). [V2-ENC-001]
pub fn encode(text: &str) -> String {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(text.as_bytes());
    let bytes = enc.finish().unwrap_or_default();
    format!("{PREFIX}{}", b64::encode(&bytes))
}

/// Decode: exact prefix, canonical base64, exactly one complete zlib stream with a correct
/// Adler-32 and nothing after it, at most `limit` bytes of output, UTF-8.
/// [V2-DEC-001] [V2-DEC-002] [V2-DEC-003] [V2-DEC-004] [V2-DEC-005]
pub fn decode(wire: &str, limit: usize) -> Result<String, LegacyError> {
    let data = wire
        .strip_prefix(PREFIX)
        .ok_or(LegacyError::InvalidPrefix(PREFIX))?;
    let bytes = b64::decode(data).map_err(|e| LegacyError::InvalidBase64(e.to_string()))?;
    let mut dec = ZlibDecoder::new(bytes.as_slice());
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    (&mut dec)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| LegacyError::ZlibCorrupt(e.to_string()))?;
    if out.len() > limit {
        return Err(LegacyError::DecompressedTooLarge(limit));
    }
    if dec.total_in() != bytes.len() as u64 {
        return Err(LegacyError::ZlibCorrupt(
            "bytes after the end of the stream".into(),
        ));
    }
    String::from_utf8(out).map_err(|_| LegacyError::InvalidUtf8)
}
