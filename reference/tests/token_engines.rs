//! TokenNative's engine agrees with upstream's (issue 22). tiktoken-rs, the library upstream
//! 0.4.0 uses, is the oracle; `token_native` encodes and decodes with bpe-openai and its own
//! table of special tokens. Checked here: both vocabularies and both special-token tables id by
//! id, encoding of every vector file, the claims corpus and generated Unicode text (with special
//! tokens, their fragments and their neighbours), and decoding of generated varint bytes
//! (valid, special, unknown, truncated, overlong, non-UTF-8) with the same result or the same
//! error.

use std::path::Path;

use m2m_reference::wire::token_native::{
    decode, decode_binary, decode_varints, detokenize, encode_varints, tokenize, TokenError,
    Tokenizer, PREFIX,
};
use proptest::prelude::*;
use tiktoken_rs::CoreBPE;

const TOKENIZERS: [Tokenizer; 2] = [Tokenizer::Cl100k, Tokenizer::O200k];

/// tiktoken-rs's copy of the vocabulary `t` names.
fn oracle(t: Tokenizer) -> &'static CoreBPE {
    match t {
        Tokenizer::Cl100k | Tokenizer::Llama => tiktoken_rs::cl100k_base_singleton(),
        Tokenizer::O200k => tiktoken_rs::o200k_base_singleton(),
    }
}

fn oracle_ids(text: &str, t: Tokenizer) -> Vec<u32> {
    oracle(t).encode_with_special_tokens(text)
}

/// Detokenizing by tiktoken-rs alone: the whole sequence at once, and only when that fails the
/// ids one by one to find the first unknown id (an id whose own bytes are not UTF-8 fails
/// `decode` too, but its bytes exist); then the UTF-8 check.
fn oracle_detokenize(ids: &[u32], t: Tokenizer) -> Result<String, TokenError> {
    let bpe = oracle(t);
    if let Ok(text) = bpe.decode(ids.to_vec()) {
        return Ok(text);
    }
    let mut bytes = Vec::new();
    for &id in ids {
        match bpe.decode(vec![id]) {
            Ok(text) => bytes.extend(text.into_bytes()),
            Err(e)
                if e.to_string()
                    .starts_with("Unable to decode into a valid UTF-8") =>
            {
                bytes.extend(bpe._decode_native_and_split(vec![id]).next().unwrap())
            }
            Err(_) => return Err(TokenError::UnknownToken(id)),
        }
    }
    String::from_utf8(bytes).map_err(|e| TokenError::InvalidUtf8(e.utf8_error().valid_up_to()))
}

/// Decoding by tiktoken-rs alone: all varints, then the ids (the order the spec gives).
fn oracle_decode_binary(bytes: &[u8]) -> Result<String, String> {
    let (&id, rest) = bytes.split_first().ok_or("empty")?;
    let t = Tokenizer::from_byte(id);
    let ids = decode_varints(rest).map_err(|e| e.to_string())?;
    oracle_detokenize(&ids, t).map_err(|e| e.to_string())
}

#[test]
fn both_vocabularies_match_id_by_id() {
    for t in TOKENIZERS {
        let fast = &t.fast().bpe;
        let n = fast.num_tokens() as u32;
        assert!(n > 100_000);
        for id in 0..n {
            let want: Vec<u8> = oracle(t)._decode_native_and_split(vec![id]).next().unwrap();
            assert_eq!(fast.token_bytes(id), &want[..], "{t:?} id {id}");
        }
        // Past the ordinary tokens tiktoken-rs knows only special tokens, each starting with
        // `<|` (why a text without `<|` can skip the special-token search), and exactly the
        // ones of our table.
        let mut specials = Vec::new();
        for id in n..n + 2_000 {
            if let Ok(text) = oracle(t).decode(vec![id]) {
                assert!(text.starts_with("<|"), "{t:?} id {id} is {text:?}");
                specials.push((text, id));
            }
        }
        let ours: Vec<(String, u32)> = t
            .special_tokens()
            .iter()
            .map(|&(text, id)| (text.to_string(), id))
            .collect();
        assert_eq!(ours, specials, "{t:?}");
        let named = oracle(t).special_tokens();
        let ours: std::collections::HashSet<&str> =
            ours.iter().map(|(text, _)| text.as_str()).collect();
        assert_eq!(named, ours, "{t:?}");
        for (text, id) in t.special_tokens() {
            assert_eq!(oracle_ids(text, t), [*id]);
            // None is a prefix of another (the encoder relies on it).
            for (other, _) in t.special_tokens() {
                assert!(other == text || !other.starts_with(text), "{other} {text}");
            }
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            out.push(text);
        }
    }
}

#[test]
fn encoding_agrees_on_every_vector_file_and_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut texts = Vec::new();
    for dir in ["vectors", "reference/benches", "spec"] {
        files_under(&root.join(dir), &mut texts);
    }
    assert!(texts.len() > 200, "{} files", texts.len());
    let mut with_special = 0;
    for text in &texts {
        // Each whole file, and each line (short texts take other paths in the pre-tokenizer).
        let pieces = std::iter::once(text.as_str()).chain(text.lines().take(2_000));
        for piece in pieces {
            with_special += usize::from(piece.contains("<|"));
            for t in TOKENIZERS {
                assert_eq!(
                    tokenize(piece, t),
                    oracle_ids(piece, t),
                    "{t:?}: {piece:.80}"
                );
            }
        }
    }
    assert!(with_special > 0, "no text exercised the special-token path");
}

/// Text built from pieces the pre-tokenizer treats differently: contractions, digits, runs of
/// spaces and newlines, punctuation, letters of several scripts, marks, emoji, special tokens.
fn unicode_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'s".to_string()),
        Just("'LL".to_string()),
        Just(" ".repeat(3)),
        Just("\n\n \n".to_string()),
        Just("\r\n".to_string()),
        Just("12345678".to_string()),
        Just("<|endoftext|>".to_string()),
        Just("<|fim_prefix|>".to_string()),
        Just("<|fim_middle|>".to_string()),
        Just("<|fim_suffix|>".to_string()),
        Just("<|endofprompt|>".to_string()),
        Just("<|".to_string()),
        Just("|>".to_string()),
        Just("<".to_string()),
        Just("<|endoftext|".to_string()),
        Just("<|endofprompt".to_string()),
        Just("<<|endoftext|>>".to_string()),
        Just("<|<|fim_suffix|>|>".to_string()),
        Just("{\"role\":\"user\",\"content\":".to_string()),
        "[a-zA-Z]{1,12}",
        "[ \\t]{0,3}[\\p{L}\\p{M}]{1,8}",
        "[\\p{N}\\p{P}\\p{S}]{1,6}",
        "[\\u{4e00}-\\u{4e80}\\u{3040}-\\u{30ff}\\u{0600}-\\u{06ff}]{1,6}",
        "[\\u{1f300}-\\u{1f64f}\\u{200d}\\u{fe0f}]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn encoding_agrees_on_generated_text(text in unicode_text()) {
        for t in TOKENIZERS {
            prop_assert_eq!(tokenize(&text, t), oracle_ids(&text, t));
        }
    }

    #[test]
    fn decoding_agrees_on_generated_ids(text in unicode_text(), cut in 0usize..8, flip in any::<u16>()) {
        for t in TOKENIZERS {
            let mut bytes = vec![t.id_byte()];
            bytes.extend(encode_varints(&oracle_ids(&text, t)));
            // As encoded; with a byte changed; cut short.
            let mut changed = bytes.clone();
            if changed.len() > 1 {
                let at = 1 + usize::from(flip) % (changed.len() - 1);
                changed[at] ^= (flip >> 8) as u8 | 1;
            }
            let mut short = bytes.clone();
            short.truncate(bytes.len().saturating_sub(cut).max(1));
            for b in [&bytes, &changed, &short] {
                let ours = decode_binary(b).map_err(|e| e.to_string());
                prop_assert_eq!(&ours, &oracle_decode_binary(b));
                let wire = format!("{PREFIX}{}|{}", t.id_char(), m2m_reference::wire::b64::encode(&b[1..]));
                prop_assert_eq!(decode(&wire).map_err(|e| e.to_string()), ours);
            }
        }
    }

    #[test]
    fn decoding_agrees_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 1..64)) {
        prop_assert_eq!(decode_binary(&bytes).map_err(|e| e.to_string()), oracle_decode_binary(&bytes));
    }

    /// Ids near the vocabulary edges: ordinary, special, unknown, and bytes that are not UTF-8.
    #[test]
    fn detokenizing_agrees_on_edge_ids(
        ids in prop::collection::vec(prop_oneof![
            0u32..300,
            100_000u32..100_300,
            199_900u32..200_100,
            any::<u32>(),
        ], 0..12)
    ) {
        for t in TOKENIZERS {
            prop_assert_eq!(detokenize(&ids, t), oracle_detokenize(&ids, t));
        }
    }
}
