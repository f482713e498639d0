//! Properties of the streaming codec (spec chapter `streaming`): any split of a stream into
//! chunks emits the same events and the same content as the unsplit stream (STREAM-SPLIT-001),
//! for the encoder in every mode and for the decompressor, including splits inside CRLF and
//! inside UTF-8 characters; and nothing panics on arbitrary bytes.

use m2m_reference::streaming::{self, Decoder, Encoder, Mode};
use m2m_reference::wire::token_native::Tokenizer;
use proptest::prelude::*;

/// Lines an SSE stream is made of, valid and not.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("data: [DONE]".to_owned()),
        Just(": keep-alive".to_owned()),
        Just("event: delta".to_owned()),
        Just("error: boom".to_owned()),
        Just("data: {\"C\":[{\"D\":{\"c\":\"x\"}}]}".to_owned()),
        "[a-zé😀 ]{0,8}".prop_map(|c| format!(
            "data: {{\"model\":\"gpt-4o\",\"choices\":[{{\"delta\":{{\"role\":\"assistant\",\"content\":\"{c}\"}}}}]}}"
        )),
        "[a-z:{}\" ]{0,12}".prop_map(|s| format!("data: {s}")),
        Just(String::new()),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((line(), prop::bool::ANY), 0..8),
        prop::bool::ANY,
    )
        .prop_map(|(lines, last_lf)| {
            let mut s = String::new();
            for (i, (l, crlf)) in lines.iter().enumerate() {
                s.push_str(l);
                if i + 1 < lines.len() || last_lf {
                    s.push_str(if *crlf { "\r\n" } else { "\n" });
                }
            }
            s.into_bytes()
        })
}

fn encode(mode: Mode, chunks: &[&[u8]]) -> (String, String, usize, usize) {
    let mut e = Encoder::new(mode, Tokenizer::Cl100k);
    let mut out = String::new();
    for c in chunks {
        out.push_str(&e.push(c).unwrap().concat());
    }
    out.push_str(&e.finish().unwrap().concat());
    let s = e.stats();
    (out, e.accumulated().to_owned(), s.bytes_in, s.bytes_out)
}

proptest! {
    #[test]
    fn encoder_split_invariant(data in stream(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4), m in 0usize..4) {
        let mode = Mode::ALL[m];
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for p in points {
            chunks.push(&data[start..p]);
            start = p;
        }
        chunks.push(&data[start..]);
        prop_assert_eq!(encode(mode, &chunks), encode(mode, &[&data]));
    }

    #[test]
    fn decoder_split_invariant(data in stream(), cut in any::<prop::sample::Index>()) {
        let k = cut.index(data.len() + 1);
        let mut d = Decoder::new();
        let split = d.push(&data[..k]).unwrap() + &d.push(&data[k..]).unwrap() + &d.finish().unwrap();
        prop_assert_eq!(split, streaming::decompress_stream(&data).unwrap());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..200), k in any::<prop::sample::Index>()) {
        let k = k.index(data.len() + 1);
        for mode in Mode::ALL {
            let mut e = Encoder::new(mode, Tokenizer::O200k);
            let _ = e.push(&data[..k]);
            let _ = e.push(&data[k..]);
            let _ = e.finish();
            let _ = e.finalize_token_native();
        }
        let _ = streaming::decompress_stream(&data);
    }
}

/// The round trip the chapter promises for normal streams: decompress(abbreviate(s)) equals
/// passthrough(s) event for event, and both accumulate the same content.
#[test]
fn abbreviation_round_trips_to_passthrough() {
    let s = "data: {\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\ndata: [DONE]\n\n";
    let abbr =
        streaming::compress_stream(Mode::Abbreviation, Tokenizer::Cl100k, s.as_bytes()).unwrap();
    let pass =
        streaming::compress_stream(Mode::Passthrough, Tokenizer::Cl100k, s.as_bytes()).unwrap();
    assert!(abbr.len() < pass.len());
    assert_eq!(streaming::decompress_stream(abbr.as_bytes()).unwrap(), pass);
}

/// STREAM-DIV-002: upstream's lookup and the chapter's differ exactly on abbreviated and
/// top-level keys.
#[test]
fn content_lookup_intended_vs_upstream() {
    use m2m_reference::streaming::json::{delta_content, delta_content_upstream};
    let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    let full = v(r#"{"choices":[{"delta":{"content":"a"}}]}"#);
    assert_eq!(delta_content(&full), Some("a"));
    assert_eq!(delta_content_upstream(&full), Some("a"));
    let abbr = v(r#"{"C":[{"D":{"c":"b"}}]}"#);
    assert_eq!(delta_content(&abbr), Some("b"));
    assert_eq!(delta_content_upstream(&abbr), None);
    let top = v(r#"{"choices":[{"delta":{"c":"inner"}}],"c":"top"}"#);
    assert_eq!(delta_content(&top), Some("inner"));
    assert_eq!(delta_content_upstream(&top), Some("top"));
}
