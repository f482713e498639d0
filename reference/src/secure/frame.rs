//! Secured M2M v1 frames: HMAC (security byte 0x01) and AEAD (0x02) (spec `secure`, FRAME
//! topics).
//!
//! ```text
//! HMAC  #M2M|1| ‖ fixed(sec=01) ‖ variable ‖ payload_len ‖ crc32 ‖ payload ‖ tag(32)
//!               \__________________ HMAC-SHA256 input _______________/
//! AEAD  #M2M|1| ‖ fixed(sec=02) ‖ variable ‖ nonce(12) ‖ ChaCha20-Poly1305(payload_len ‖ crc32 ‖ payload) ‖ tag(16)
//!               \___ associated data ___/
//! ```
//!
//! Both are built from the plain frame of chapter `frame`: an HMAC frame is the plain frame with
//! its security byte set and a tag appended; an AEAD frame keeps the plain frame's headers in
//! the clear and seals everything after them. Opening reverses this, authenticating before any
//! byte covered by the tag is interpreted, and then decodes the recovered plain frame strictly.

use crate::wire::frame::{self, fixed, Frame, PREFIX, VARIABLE_HEADER_OFFSET};
use crate::wire::Limits;

use super::nonce::NonceSource;
use super::{aead, hmac, SecureError, AEAD_TAG_LEN, HMAC_TAG_LEN, NONCE_LEN};

/// Offset of the security byte in the binary form. [SECURE-HMAC-FRAME-001] [SECURE-AEAD-FRAME-001]
pub const SECURITY_OFFSET: usize = PREFIX.len() + 3;

/// The two security modes of a secured frame. [SECURE-HMAC-FRAME-001] [SECURE-AEAD-FRAME-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Security byte 0x01: HMAC-SHA256 tag over the frame.
    Hmac,
    /// Security byte 0x02: ChaCha20-Poly1305 over the payload section, headers as AAD.
    Aead,
}

impl Mode {
    /// The security byte of this mode.
    pub fn byte(self) -> u8 {
        match self {
            Mode::Hmac => fixed::SECURITY_HMAC,
            Mode::Aead => fixed::SECURITY_AEAD,
        }
    }

    /// The mode named `hmac` or `aead`.
    pub fn from_name(s: &str) -> Option<Mode> {
        match s {
            "hmac" => Some(Mode::Hmac),
            "aead" => Some(Mode::Aead),
            _ => None,
        }
    }
}

/// End of the headers (`7 + header_len`) of a frame whose fixed header is present.
fn header_end(data: &[u8]) -> usize {
    PREFIX.len() + usize::from(u16::from_le_bytes([data[7], data[8]]))
}

/// Seal a JSON document as an HMAC frame: the plain frame of chapter `frame` with security byte
/// 0x01, followed by `HMAC-SHA256(key, every byte after the prefix)`. [SECURE-HMAC-FRAME-001]
/// [SECURE-KEY-001]
pub fn seal_hmac(json: &str, key: &[u8]) -> Result<Vec<u8>, SecureError> {
    hmac::check_key(key)?; // key rule first, before any encoding work
    let mut out = frame::encode(json)?;
    out[SECURITY_OFFSET] = fixed::SECURITY_HMAC;
    let tag = hmac::sign(key, &out[PREFIX.len()..])?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Seal a JSON document as an AEAD frame with a nonce from `nonces`: the plain frame's prefix
/// and headers with security byte 0x02, then `nonce ‖ ciphertext ‖ tag` of the plain frame's
/// payload section (`payload_len ‖ crc32 ‖ payload`), with every header byte after the prefix
/// as associated data. [SECURE-AEAD-FRAME-001]
pub fn seal_aead(
    json: &str,
    key: &[u8],
    nonces: &mut dyn NonceSource,
) -> Result<Vec<u8>, SecureError> {
    aead::check_key(key)?; // key rule first
    let plain = frame::encode(json)?;
    let end = header_end(&plain);
    let mut out = plain[..end].to_vec();
    out[SECURITY_OFFSET] = fixed::SECURITY_AEAD;
    let nonce = nonces.next_nonce()?;
    let sealed = aead::seal(key, &nonce, &out[PREFIX.len()..], &plain[end..])?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Seal in either mode. HMAC frames need no nonce; `nonces` is not consulted for them.
pub fn seal(
    json: &str,
    mode: Mode,
    key: &[u8],
    nonces: &mut dyn NonceSource,
) -> Result<Vec<u8>, SecureError> {
    match mode {
        Mode::Hmac => seal_hmac(json, key),
        Mode::Aead => seal_aead(json, key, nonces),
    }
}

/// The security byte must be the required mode's: another defined mode (a downgrade to 0x00
/// among them) is `security_mode_mismatch`, an undefined byte `unknown_security_mode`.
/// [SECURE-DOWNGRADE-001] [SECURE-DOWNGRADE-002]
fn check_mode(found: u8, mode: Mode) -> Result<(), SecureError> {
    match found {
        b if b == mode.byte() => Ok(()),
        fixed::SECURITY_NONE | fixed::SECURITY_HMAC | fixed::SECURITY_AEAD => {
            Err(SecureError::ModeMismatch {
                expected: mode.byte(),
                found,
            })
        }
        b => Err(SecureError::UnknownMode(b)),
    }
}

/// Decode a plain frame recovered from a secured one: its security byte is cleared for the
/// strict decoder of chapter `frame` and restored in the result.
fn decode_recovered(mut plain: Vec<u8>, mode: Mode, limits: &Limits) -> Result<Frame, SecureError> {
    plain[SECURITY_OFFSET] = fixed::SECURITY_NONE;
    let mut decoded = frame::decode(&plain, limits)?;
    decoded.header.fixed.security = mode.byte();
    Ok(decoded)
}

/// Open an HMAC frame. Checks, first failure wins [SECURE-HMAC-FRAME-002]:
/// message limit (`message_too_large`); key of at least 16 bytes (`invalid_key`); prefix
/// (`invalid_prefix`); at least 7 + 20 + 32 bytes (`truncated`); security byte 0x01
/// (`security_mode_mismatch` / `unknown_security_mode`); the tag over bytes 7..len−32
/// (`auth_failed`); then the strict decode of chapter `frame` of the frame without its tag.
pub fn open_hmac(data: &[u8], key: &[u8], limits: &Limits) -> Result<Frame, SecureError> {
    limits.check_message(data.len())?;
    hmac::check_key(key)?;
    if !data.starts_with(PREFIX) {
        return Err(crate::wire::WireError::InvalidPrefix("expected #M2M|1|").into());
    }
    if data.len() < VARIABLE_HEADER_OFFSET + HMAC_TAG_LEN {
        return Err(SecureError::Truncated("fixed header and HMAC tag"));
    }
    check_mode(data[SECURITY_OFFSET], Mode::Hmac)?;
    let (body, tag) = data.split_at(data.len() - HMAC_TAG_LEN);
    hmac::verify(key, &body[PREFIX.len()..], tag)?;
    decode_recovered(body.to_vec(), Mode::Hmac, limits)
}

/// Open an AEAD frame. Checks, first failure wins [SECURE-AEAD-FRAME-003]:
/// message limit; key of 32 bytes (`invalid_key`); prefix; the 20 fixed-header bytes
/// (`truncated`); `header_len` ≥ 20 (`header_len_invalid`); security byte 0x02; `7 +
/// header_len` bytes present (`truncated`); at least 28 bytes after the headers (`truncated`);
/// decryption with the headers as AAD (`auth_failed`); at least 8 plaintext bytes
/// (`truncated`); `payload_len` equal to the remaining plaintext (`payload_length_mismatch`);
/// then the strict decode of chapter `frame` of headers ‖ plaintext.
pub fn open_aead(data: &[u8], key: &[u8], limits: &Limits) -> Result<Frame, SecureError> {
    limits.check_message(data.len())?;
    aead::check_key(key)?;
    if !data.starts_with(PREFIX) {
        return Err(crate::wire::WireError::InvalidPrefix("expected #M2M|1|").into());
    }
    if data.len() < VARIABLE_HEADER_OFFSET {
        return Err(SecureError::Truncated("fixed header"));
    }
    let header_len = u16::from_le_bytes([data[7], data[8]]);
    if usize::from(header_len) < fixed::FIXED_HEADER_LEN {
        return Err(frame::FrameError::HeaderLenInvalid(header_len).into());
    }
    check_mode(data[SECURITY_OFFSET], Mode::Aead)?;
    let end = header_end(data);
    if data.len() < end {
        return Err(SecureError::Truncated("variable header"));
    }
    if data.len() - end < NONCE_LEN + AEAD_TAG_LEN {
        return Err(SecureError::Truncated("AEAD nonce and tag"));
    }
    let plaintext = aead::open(key, &data[PREFIX.len()..end], &data[end..])?;
    if plaintext.len() < 8 {
        return Err(SecureError::Truncated("payload length and checksum"));
    }
    let stored = u32::from_le_bytes([plaintext[0], plaintext[1], plaintext[2], plaintext[3]]);
    let actual = plaintext.len() - 8;
    if stored as usize != actual {
        return Err(SecureError::PayloadLengthMismatch { stored, actual });
    }
    let mut plain = data[..end].to_vec();
    plain.extend_from_slice(&plaintext);
    decode_recovered(plain, Mode::Aead, limits)
}

/// Open a frame that must be in `mode`. The receiver decides the mode; the frame's security
/// byte only has to agree. [SECURE-DOWNGRADE-001]
pub fn open(data: &[u8], mode: Mode, key: &[u8], limits: &Limits) -> Result<Frame, SecureError> {
    match mode {
        Mode::Hmac => open_hmac(data, key, limits),
        Mode::Aead => open_aead(data, key, limits),
    }
}

/// Open the text form: message limit on the string, prefix and canonical base64 as in chapter
/// `frame`, then [`open`]. [SECURE-TEXT-001]
pub fn open_text(
    wire: &str,
    mode: Mode,
    key: &[u8],
    limits: &Limits,
) -> Result<Frame, SecureError> {
    let binary = frame::text_to_binary(wire, limits)?;
    open(&binary, mode, key, limits)
}

#[cfg(test)]
mod tests {
    use super::super::nonce::FixedNonce;
    use super::*;

    const DOC: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;

    #[test]
    fn hmac_matches_fact_sheet_tag() {
        let f = seal_hmac(DOC, &[0x42; 32]).unwrap();
        assert_eq!(f.len(), 143);
        assert_eq!(
            hex::encode(&f[f.len() - 32..]),
            "f68418f2ce190619a2c4ccf635f0e9e9c0651a3bbbc6627037da630e16bc6672"
        );
        let opened = open_hmac(&f, &[0x42; 32], &Limits::default()).unwrap();
        assert_eq!(opened.payload, DOC);
        assert_eq!(opened.header.fixed.security, 1);
    }

    #[test]
    fn every_bit_flip_is_rejected() {
        let key = [9u8; 32];
        for mode in [Mode::Hmac, Mode::Aead] {
            let f = seal(DOC, mode, &key, &mut FixedNonce([5; 12])).unwrap();
            for bit in 0..f.len() * 8 {
                let mut g = f.clone();
                g[bit / 8] ^= 1 << (bit % 8);
                assert!(
                    open(&g, mode, &key, &Limits::default()).is_err(),
                    "{mode:?} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn downgrade_rejected() {
        let mut f = seal_hmac(DOC, &[1; 16]).unwrap();
        f[SECURITY_OFFSET] = 0;
        assert!(matches!(
            open_hmac(&f, &[1; 16], &Limits::default()),
            Err(SecureError::ModeMismatch { .. })
        ));
    }
}
