//! The error map: upstream `M2MError` values → the suite's error classes
//! (`spec/error-classes.yaml`).
//!
//! Upstream 0.4.0 reports almost every codec failure as `M2MError::Decompression(String)` or
//! `M2MError::Compression(String)`, so the class is recovered from the message text, like
//! BoringSSL's `ErrorMap` does for library error strings. Each row is matched with
//! `starts_with` against the variant's string; the first matching row wins, so more specific
//! prefixes come first. An error no row matches is reported with the class
//! [`UNMAPPED`], which is deliberately **not** in the suite's vocabulary: the harness then shows
//! the upstream message instead of a silently wrong class. The README repeats this table.

use m2m::M2MError;

/// Class reported for an upstream error that no row of the map matches.
pub const UNMAPPED: &str = "upstream_unmapped";

/// Which `M2MError` variant a row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `M2MError::Compression(msg)`.
    Compression,
    /// `M2MError::Decompression(msg)`.
    Decompression,
    /// `M2MError::InvalidMessage(msg)`.
    InvalidMessage,
}

/// One row of the map: variant, message prefix, suite class.
pub type Row = (Variant, &'static str, &'static str);

/// The map, most specific prefixes first within a variant.
pub const ERROR_MAP: &[Row] = &[
    // ---- encoders
    (Variant::Compression, "Invalid JSON", "invalid_json"),
    // ---- streaming codec (streaming.rs)
    (Variant::Compression, "Invalid UTF-8", "invalid_utf8"),
    (
        Variant::Compression,
        "No content accumulated to finalize",
        "nothing_to_finalize",
    ),
    // ---- M2M v1 frame decoder (frame.rs, header.rs, varint.rs)
    (
        Variant::Decompression,
        "Invalid M2M prefix",
        "invalid_prefix",
    ),
    (
        Variant::Decompression,
        "Base64 decode failed",
        "invalid_base64",
    ),
    (
        Variant::Decompression,
        "Base64 decode error",
        "invalid_base64",
    ),
    (
        Variant::Decompression,
        "Frame too short for fixed header",
        "truncated",
    ),
    (
        Variant::Decompression,
        "Fixed header too short",
        "truncated",
    ),
    (
        Variant::Decompression,
        "Invalid header_len",
        "header_len_invalid",
    ),
    (
        Variant::Decompression,
        "Frame too short for variable header",
        "truncated",
    ),
    (Variant::Decompression, "Missing model length", "truncated"),
    (Variant::Decompression, "Model truncated", "truncated"),
    (Variant::Decompression, "Missing ID length", "truncated"),
    (Variant::Decompression, "ID truncated", "truncated"),
    (Variant::Decompression, "Missing finish reason", "truncated"),
    (Variant::Decompression, "Roles truncated", "truncated"),
    (
        Variant::Decompression,
        "Invalid model UTF-8",
        "invalid_utf8",
    ),
    (Variant::Decompression, "Invalid ID UTF-8", "invalid_utf8"),
    // read_varint_slice (frame headers) parses to the end of the whole frame, so running out
    // of bytes inside a header varint means the frame itself is cut short.
    (
        Variant::Decompression,
        "VarInt: unexpected end of data",
        "truncated",
    ),
    (
        Variant::Decompression,
        "VarInt read error",
        "varint_truncated",
    ),
    (Variant::Decompression, "VarInt overflow", "varint_too_long"),
    (
        Variant::Decompression,
        "Frame too short for payload length",
        "truncated",
    ),
    (
        Variant::Decompression,
        "Frame too short for checksum",
        "truncated",
    ),
    (
        Variant::Decompression,
        "Frame too short for payload",
        "truncated",
    ),
    // brotli-decompressor 4 answers every malformed or truncated stream with the same
    // io::Error "Invalid Data", so upstream cannot tell truncation from corruption.
    (
        Variant::Decompression,
        "Brotli decompression failed",
        "brotli_corrupt",
    ),
    (Variant::Decompression, "Invalid Data", "brotli_corrupt"),
    (Variant::Decompression, "Invalid UTF-8", "invalid_utf8"),
    (Variant::Decompression, "Checksum mismatch", "crc_mismatch"),
    // ---- TokenNative (token_native.rs; chapter tokennative)
    (
        Variant::Decompression,
        "Invalid token-native format",
        "invalid_prefix",
    ),
    (
        Variant::Decompression,
        "Missing tokenizer ID",
        "missing_tokenizer_id",
    ),
    (
        Variant::Decompression,
        "Missing encoded data",
        "missing_data",
    ),
    (
        Variant::Decompression,
        "Truncated VarInt data",
        "varint_truncated",
    ),
    (Variant::Decompression, "Empty binary data", "truncated"),
    (
        Variant::Decompression,
        "Detokenization failed: Invalid token for decoding",
        "unknown_token",
    ),
    (
        Variant::Decompression,
        "Detokenization failed",
        "invalid_utf8",
    ),
    // ---- M3 (m3.rs; chapter m3). read_exact failures surface as the io::Error text.
    (
        Variant::Decompression,
        "Invalid M3 prefix",
        "invalid_prefix",
    ),
    (
        Variant::Decompression,
        "Expected ChatCompletionRequest schema",
        "unknown_schema",
    ),
    (Variant::Decompression, "Invalid role byte", "unknown_role"),
    (
        Variant::Decompression,
        "failed to fill whole buffer",
        "truncated",
    ),
    (Variant::Decompression, "invalid utf-8", "invalid_utf8"),
    (Variant::Decompression, "Invalid JSON", "invalid_json"),
    // ---- Brotli text format (brotli.rs)
    (
        Variant::InvalidMessage,
        "Invalid Brotli wire format",
        "invalid_prefix",
    ),
];

/// The suite class of an upstream error, or [`UNMAPPED`].
pub fn classify(e: &M2MError) -> &'static str {
    let (variant, message) = match e {
        M2MError::Compression(m) => (Variant::Compression, m.as_str()),
        M2MError::Decompression(m) => (Variant::Decompression, m.as_str()),
        M2MError::InvalidMessage(m) => (Variant::InvalidMessage, m.as_str()),
        _ => return UNMAPPED,
    };
    ERROR_MAP
        .iter()
        .find(|(v, prefix, _)| *v == variant && message.starts_with(prefix))
        .map_or(UNMAPPED, |(_, _, class)| class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_rows_win() {
        let e = M2MError::Decompression("Frame too short for payload length".into());
        assert_eq!(classify(&e), "truncated");
        let e = M2MError::Decompression("Frame too short for payload".into());
        assert_eq!(classify(&e), "truncated");
        let e = M2MError::Decompression("Invalid model UTF-8: x".into());
        assert_eq!(classify(&e), "invalid_utf8");
        let e = M2MError::Decompression("something new".into());
        assert_eq!(classify(&e), UNMAPPED);
    }
}

#[cfg(test)]
mod readme {
    use super::ERROR_MAP;

    #[test]
    fn readme_lists_every_row() {
        let readme = include_str!("../README.md");
        for (variant, prefix, class) in ERROR_MAP {
            let row = format!("| `{variant:?}` | `{prefix}` | `{class}` |");
            assert!(readme.contains(&row), "README is missing the row {row}");
        }
    }
}
