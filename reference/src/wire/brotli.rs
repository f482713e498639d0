//! The Brotli text format `#M2M[v3.0]|DATA:` (spec chapter `brotli`, `spec/02-brotli.md`) and
//! the bounded Brotli decoder shared with the M2M v1 frame payload.

use brotli::{BrotliDecompressStream, BrotliResult, BrotliState};

use super::{b64, detect::BROTLI_PREFIX, WireError};

/// Brotli quality of the `#M2M[v3.0]|DATA:` format. [WIRE-BROTLI-003]
pub const TEXT_QUALITY: u32 = 11;
/// Brotli window (lgwin) of the `#M2M[v3.0]|DATA:` format. [WIRE-BROTLI-003]
pub const TEXT_LGWIN: u32 = 22;

/// Compress `data` to a raw Brotli stream with the given quality and window, as one stream
/// without metadata blocks. [WIRE-BROTLI-003]
///
/// The encoder's largest tables come from a pool where that leaves the bytes unchanged (the
/// frame payload's quality 5, and quality 10 and 11 for inputs up to
/// [`table_pool::FOREST_INPUT_MAX`] bytes); see [`table_pool`]. The call lives in the crate
/// `m2m-brotli-enc` (`reference/brotli-enc`), which fuzz builds instrument on their own.
pub fn compress_raw(data: &[u8], quality: u32, lgwin: u32) -> Vec<u8> {
    m2m_brotli_enc::compress_raw(data, quality, lgwin)
}

pub use m2m_brotli_enc::table_pool;

/// Decompress a raw Brotli stream, stopping as soon as the output would exceed `limit` bytes.
///
/// Accepts any valid stream, including the large-window extension that brotli-decompressor
/// enables by default, as upstream does [WIRE-BROTLI-004] [WIRE-BROTLI-010].
///
/// - input ends before the stream's last meta-block → [`WireError::BrotliTruncated`]
///   [WIRE-BROTLI-006];
/// - malformed stream → [`WireError::BrotliCorrupt`] [WIRE-BROTLI-006];
/// - bytes left after the end of the stream → [`WireError::BrotliCorrupt`] [WIRE-BROTLI-007];
/// - output larger than `limit` → [`WireError::DecompressedTooLarge`], detected after at most
///   `limit + 64 KiB` bytes of output were produced [WIRE-LIMIT-004].
pub fn decompress_raw(input: &[u8], limit: usize) -> Result<Vec<u8>, WireError> {
    /// Room made for each decoder call: it starts small, so that short payloads do not pay for
    /// zeroing a large buffer, and doubles up to 64 KiB, the overshoot bound of the limit.
    const MIN_ROOM: usize = 4 * 1024;
    const MAX_ROOM: usize = 64 * 1024;
    let mut state = BrotliState::new(
        brotli::enc::StandardAlloc::default(),
        brotli::enc::StandardAlloc::default(),
        brotli::enc::StandardAlloc::default(),
    );
    let mut out = Vec::new();
    let mut available_in = input.len();
    let mut input_offset = 0usize;
    let mut total_out = 0usize;
    loop {
        // The decoder writes straight into `out`: make room after the bytes so far, then cut
        // back to what it produced.
        let start = out.len();
        let room = start.clamp(MIN_ROOM, MAX_ROOM);
        out.resize(start + room, 0);
        let mut available_out = room;
        let mut output_offset = start;
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            &mut out,
            &mut total_out,
            &mut state,
        );
        out.truncate(output_offset);
        if out.len() > limit {
            return Err(WireError::DecompressedTooLarge { limit });
        }
        match result {
            BrotliResult::ResultSuccess => {
                return if available_in == 0 {
                    Ok(out)
                } else {
                    Err(WireError::BrotliCorrupt(
                        "bytes after the end of the stream",
                    ))
                };
            }
            BrotliResult::NeedsMoreOutput => continue,
            BrotliResult::NeedsMoreInput => return Err(WireError::BrotliTruncated),
            BrotliResult::ResultFailure => {
                return Err(WireError::BrotliCorrupt("malformed stream"))
            }
        }
    }
}

/// Encode `text` as `#M2M[v3.0]|DATA:` + base64(Brotli(text, q11, lgwin 22)).
/// [WIRE-BROTLI-001] [WIRE-BROTLI-003] [WIRE-B64-001]
pub fn encode(text: &str) -> String {
    let compressed = compress_raw(text.as_bytes(), TEXT_QUALITY, TEXT_LGWIN);
    format!("{BROTLI_PREFIX}{}", b64::encode(&compressed))
}

/// Decode a `#M2M[v3.0]|…` wire string: exact prefix, canonical base64, a complete Brotli
/// stream with nothing after it, at most `limit` bytes of output, valid UTF-8, checked in
/// that order; any valid stream is accepted and the text is returned as is.
/// [WIRE-BROTLI-001] [WIRE-BROTLI-002] [WIRE-BROTLI-004] [WIRE-BROTLI-005] [WIRE-BROTLI-006]
/// [WIRE-BROTLI-007] [WIRE-BROTLI-008] [WIRE-BROTLI-009] [WIRE-BROTLI-011]
pub fn decode(wire: &str, limit: usize) -> Result<String, WireError> {
    let body = wire
        .strip_prefix(BROTLI_PREFIX)
        .ok_or(WireError::InvalidPrefix("expected #M2M[v3.0]|DATA:"))?;
    let compressed = b64::decode(body)?;
    let bytes = decompress_raw(&compressed, limit)?;
    String::from_utf8(bytes).map_err(|e| WireError::InvalidUtf8 {
        valid_up_to: e.utf8_error().valid_up_to(),
    })
}
