//! Property tests for the TokenNative, legacy and selection chapters: encoders and decoders are
//! inverse where the spec says they are.

use m2m_reference::legacy::{dictionary, zlib};
use m2m_reference::select;
use m2m_reference::wire::token_native::{self, Tokenizer};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// TOKEN-TEXT-002 / TOKEN-TEXT-006: any text round-trips through both vocabularies, in the
    /// text form and in the binary mode.
    #[test]
    fn token_native_round_trips(text in "\\PC{0,80}") {
        for t in [Tokenizer::Cl100k, Tokenizer::O200k, Tokenizer::Llama] {
            let (wire, ids) = token_native::encode(&text, t);
            prop_assert_eq!(token_native::decode(&wire).unwrap(), text.clone());
            prop_assert_eq!(token_native::parse(&wire).unwrap().ids, ids);
            let bin = token_native::encode_binary(&text, t);
            prop_assert_eq!(token_native::decode_binary(&bin).unwrap(), text.clone());
        }
    }

    /// TOKEN-VARINT-001: the varint layer is lossless for every u32.
    #[test]
    fn token_varints_round_trip(ids in proptest::collection::vec(any::<u32>(), 0..50)) {
        let bytes = token_native::encode_varints(&ids);
        prop_assert_eq!(token_native::decode_varints(&bytes).unwrap(), ids);
    }

    /// DICT-ENC-* / DICT-DEC-*: ASCII text round-trips through the dictionary codec, short or long.
    #[test]
    fn dictionary_round_trips_ascii(text in "[ -~\\t\\n]{0,120}") {
        let wire = dictionary::encode(&text).unwrap();
        prop_assert_eq!(dictionary::decode(&wire).unwrap(), text);
    }

    /// V2-*: the reference's zlib encoder and decoder are inverse.
    #[test]
    fn zlib_round_trips(text in "\\PC{0,200}") {
        let wire = zlib::encode(&text);
        prop_assert_eq!(zlib::decode(&wire, 1 << 20).unwrap(), text);
    }

    /// SELECT-BEST-001: compress_best never returns a longer wire string than any of the three
    /// candidates and always decodes back to the input.
    #[test]
    fn compress_best_is_shortest(text in "\\PC{0,150}") {
        let (_, best) = select::compress_best(&text);
        let limits = m2m_reference::wire::Limits::default();
        prop_assert_eq!(m2m_reference::wire::decompress(&best, &limits).unwrap(), text.clone());
        let (tk, _) = token_native::encode(&text, Tokenizer::Cl100k);
        prop_assert!(best.len() <= tk.len());
        prop_assert!(best.len() <= m2m_reference::wire::brotli::encode(&text).len());
    }
}
