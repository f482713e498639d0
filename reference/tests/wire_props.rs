//! Property tests of the format-independent wire layer: round trips are exact and decoders
//! never panic, whatever the input.

use m2m_reference::wire::{self, brotli, varint, Algorithm, Limits};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// [WIRE-BROTLI-004] [WIRE-BROTLI-005]: decode(encode(t)) == t, byte for byte.
    #[test]
    fn brotli_round_trips(text in "\\PC{0,400}") {
        let wire = brotli::encode(&text);
        prop_assert!(wire.starts_with("#M2M[v3.0]|DATA:"));
        prop_assert_eq!(wire::decompress(&wire, &Limits::default()).unwrap(), text);
    }

    /// [WIRE-PASS-001] [WIRE-PASS-002]: text without a known prefix passes through unchanged.
    #[test]
    fn passthrough_is_identity(text in "[^#]\\PC{0,200}") {
        prop_assert_eq!(wire::compress(&text, Algorithm::None).unwrap(), text.clone());
        prop_assert_eq!(wire::decompress(&text, &Limits::default()).unwrap(), text);
    }

    /// [WIRE-VARINT-001] [WIRE-VARINT-002]: every u32 round-trips through its minimal encoding.
    #[test]
    fn varint_round_trips(v in any::<u32>(), tail in proptest::collection::vec(any::<u8>(), 0..4)) {
        let mut bytes = varint::encode(v);
        let len = bytes.len();
        prop_assert!(len <= varint::MAX_VARINT_LEN);
        bytes.extend_from_slice(&tail);
        prop_assert_eq!(varint::decode(&bytes).unwrap(), (v, len));
    }

    /// Decoders return a value or a typed error on arbitrary input, never panic.
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = varint::decode(&bytes);
        let _ = brotli::decompress_raw(&bytes, 4096);
        let text = String::from_utf8_lossy(&bytes);
        let _ = wire::decompress(&text, &Limits::default());
        let _ = wire::decompress(&format!("#M2M[v3.0]|DATA:{text}"), &Limits::default());
    }

    /// Arbitrary corruption of a valid Brotli wire string never panics.
    #[test]
    fn corrupted_brotli_never_panics(text in "\\PC{1,200}", pos in any::<usize>(), byte in any::<u8>()) {
        let wire = brotli::encode(&text);
        let mut raw = wire::b64::decode(&wire["#M2M[v3.0]|DATA:".len()..]).unwrap();
        let i = pos % raw.len();
        raw[i] ^= byte | 1;
        let _ = brotli::decompress_raw(&raw, 1 << 20);
        raw.truncate(i);
        let _ = brotli::decompress_raw(&raw, 1 << 20);
    }
}

/// [WIRE-LIMIT-004]: a bomb is stopped early, with its own class.
#[test]
fn bomb_is_stopped_at_the_limit() {
    let zeros = vec![0u8; 4 << 20];
    let bomb = brotli::compress_raw(&zeros, 11, 22);
    assert!(
        bomb.len() < 1024,
        "4 MiB of zeros compresses to {} bytes",
        bomb.len()
    );
    assert_eq!(
        brotli::decompress_raw(&bomb, 1 << 20),
        Err(wire::WireError::DecompressedTooLarge { limit: 1 << 20 })
    );
    assert_eq!(
        brotli::decompress_raw(&bomb, 4 << 20).unwrap().len(),
        4 << 20
    );
}
