//! Unsigned LEB128 varints as used by the M2M v1 routing and response headers
//! (spec chapter `varint`, `spec/03-varint.md`).
//!
//! A varint stores 7 bits per byte, least significant group first; the high bit (`0x80`) of a
//! byte says another byte follows. The spec restricts varints to 32-bit values, so a varint is
//! at most 5 bytes long.

use super::WireError;

/// Longest varint the spec allows: 5 bytes carry up to 35 bits, enough for a `u32`.
/// [WIRE-VARINT-003]
pub const MAX_VARINT_LEN: usize = 5;

/// Append the minimal (canonical) LEB128 encoding of `value` to `out`.
/// [WIRE-VARINT-001] [WIRE-VARINT-002]
pub fn encode_into(value: u32, out: &mut Vec<u8>) {
    let mut v = value;
    loop {
        let low = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// The minimal LEB128 encoding of `value`. [WIRE-VARINT-001] [WIRE-VARINT-002]
pub fn encode(value: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAX_VARINT_LEN);
    encode_into(value, &mut out);
    out
}

/// Number of bytes [`encode`] produces for `value`. [WIRE-VARINT-002]
pub fn encoded_len(value: u32) -> usize {
    match value {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Decode one varint from the start of `bytes`, returning the value and the number of bytes
/// it occupied. Bytes after the varint are left alone.
///
/// Errors, checked as the bytes are read:
/// - the input ends while a continuation bit is set → [`WireError::VarintTruncated`]
///   [WIRE-VARINT-004];
/// - a 5th byte has its continuation bit set → [`WireError::VarintTooLong`] [WIRE-VARINT-003];
/// - the value exceeds `u32::MAX` (bits above bit 31 set in the 5th byte) →
///   [`WireError::VarintOverflow`] [WIRE-VARINT-005].
///
/// Non-minimal encodings (e.g. `80 00` for zero) are accepted [WIRE-VARINT-006]; bytes after
/// the varint are not consumed [WIRE-VARINT-007].
pub fn decode(bytes: &[u8]) -> Result<(u32, usize), WireError> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return u32::try_from(value)
                .map(|v| (v, i + 1))
                .map_err(|_| WireError::VarintOverflow);
        }
        if i + 1 == MAX_VARINT_LEN {
            return Err(WireError::VarintTooLong);
        }
    }
    Err(WireError::VarintTruncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_len_matches_encode() {
        for v in [0, 1, 127, 128, 16383, 16384, 2_097_151, 2_097_152, u32::MAX] {
            assert_eq!(encode(v).len(), encoded_len(v), "value {v}");
            assert_eq!(decode(&encode(v)).unwrap(), (v, encoded_len(v)));
        }
    }

    #[test]
    fn rejects_sixth_byte_and_overflow() {
        assert_eq!(decode(&[0x80; 5]), Err(WireError::VarintTooLong));
        assert_eq!(
            decode(&[0xff, 0xff, 0xff, 0xff, 0x10]),
            Err(WireError::VarintOverflow)
        );
        assert_eq!(decode(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Ok((u32::MAX, 5)));
        assert_eq!(decode(&[0x80]), Err(WireError::VarintTruncated));
        assert_eq!(decode(&[]), Err(WireError::VarintTruncated));
    }
}
