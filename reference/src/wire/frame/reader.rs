//! A bounds-checked cursor over frame bytes. Every read names the field it reads, so a short
//! input becomes [`FrameError::Truncated`] naming that field, never a panic.

use super::FrameError;
use crate::wire::{varint, WireError};

/// Reads fields front to back from a byte slice.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes, or `truncated` naming `field`.
    pub(crate) fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FrameError> {
        if n > self.remaining() {
            return Err(FrameError::Truncated(field));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// One byte.
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, FrameError> {
        Ok(self.bytes(1, field)?[0])
    }

    /// A little-endian `u32`.
    pub(crate) fn u32_le(&mut self, field: &'static str) -> Result<u32, FrameError> {
        let b = self.bytes(4, field)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian IEEE-754 binary32.
    pub(crate) fn f32_le(&mut self, field: &'static str) -> Result<f32, FrameError> {
        Ok(f32::from_bits(self.u32_le(field)?))
    }

    /// A length-prefixed (u8) UTF-8 string: model or id.
    pub(crate) fn short_string(
        &mut self,
        len_field: &'static str,
        field: &'static str,
    ) -> Result<String, FrameError> {
        let len = self.u8(len_field)? as usize;
        let bytes = self.bytes(len, field)?;
        String::from_utf8(bytes.to_vec()).map_err(|e| {
            FrameError::Wire(WireError::InvalidUtf8 {
                valid_up_to: e.utf8_error().valid_up_to(),
            })
        })
    }

    /// A LEB128 varint of at most 5 bytes and 32 bits. Running off the end of the data is
    /// `truncated` (the field does not fit), not `varint_truncated`. [FRAME-DECODE-006]
    pub(crate) fn varint(&mut self, field: &'static str) -> Result<u32, FrameError> {
        match varint::decode(&self.data[self.pos..]) {
            Ok((value, used)) => {
                self.pos += used;
                Ok(value)
            }
            Err(WireError::VarintTruncated) => Err(FrameError::Truncated(field)),
            Err(e) => Err(FrameError::Wire(e)),
        }
    }
}
