//! Size limits a receiver enforces (spec chapter `limits`, `spec/04-limits.md`).

/// 16 MiB, the default for both limits. [WIRE-LIMIT-001] [WIRE-LIMIT-003]
pub const DEFAULT_LIMIT: usize = 16 * 1024 * 1024;

/// The limits a decoder enforces. Both default to [`DEFAULT_LIMIT`]; a caller (or a vector, via
/// the `max_message_bytes` / `max_decompressed_bytes` op arguments) may lower or raise them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest wire message accepted, in bytes of the wire string or frame.
    /// [WIRE-LIMIT-001] [WIRE-LIMIT-002]
    pub max_message_bytes: usize,
    /// Largest decoded (decompressed) output, in bytes. Enforced *while* decompressing, so a
    /// decompression bomb is stopped after at most this many bytes of output.
    /// [WIRE-LIMIT-003] [WIRE-LIMIT-004]
    pub max_decompressed_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: DEFAULT_LIMIT,
            max_decompressed_bytes: DEFAULT_LIMIT,
        }
    }
}

impl Limits {
    /// Check the size of an incoming wire message. [WIRE-LIMIT-002]
    pub fn check_message(&self, len: usize) -> Result<(), super::WireError> {
        if len > self.max_message_bytes {
            Err(super::WireError::MessageTooLarge {
                len,
                limit: self.max_message_bytes,
            })
        } else {
            Ok(())
        }
    }
}
