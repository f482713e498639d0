//! The benchmark data shared by every benchmark of the reference (`reference/benches/*.rs`,
//! `mod common;`) and by the side-by-side bench crate `m2m-side-by-side`
//! (`adapters/m2m-protocol-0.4/bench`, included there by path), so both measure the very same
//! bytes. Everything here is deterministic: fixed corpus files, fixed keys, a fixed nonce.
//!
//! | size label | source | bytes |
//! |---|---|---|
//! | `100b` | `vectors/corpus/simple-question.json` | 111 |
//! | `2k` | `vectors/corpus/large-2k.json` | 2,349 |
//! | `6k` | `vectors/corpus/multiturn-16.json` | 5,488 |
//! | `64k` | `vectors/corpus/large-128k.json`, its system document cut at the last sentence end that keeps the document within 65,536 bytes | 65,300 |
//!
//! The corpus has no file of about 64 KB; rather than add one to `gen_corpus.py` (which would
//! change the claims corpus that `m2m-conformance measure` reads), the `64k` payload is derived
//! here from the 128 KB file. It is still a real chat request of distinct sentences, not a
//! repetition, so compressors see realistic data (a repeated 32 KB block would be nearly free
//! for Brotli's 4 MB window). The byte counts above are asserted by [`payloads`].

#![allow(dead_code)] // each bench file uses a different part of this module

use std::time::Duration;

/// A benchmark payload: a JSON chat request from the corpus.
pub struct Payload {
    /// The size label used in benchmark ids: `100b`, `2k`, `6k`, `64k`.
    pub label: &'static str,
    /// Where the bytes come from (a corpus file name, or a derivation of one).
    pub source: &'static str,
    /// The JSON text.
    pub text: String,
}

const SIMPLE_QUESTION: &str = include_str!("../../../vectors/corpus/simple-question.json");
const LARGE_2K: &str = include_str!("../../../vectors/corpus/large-2k.json");
const MULTITURN_16: &str = include_str!("../../../vectors/corpus/multiturn-16.json");
const LARGE_128K: &str = include_str!("../../../vectors/corpus/large-128k.json");

/// Largest size of the `64k` payload.
pub const SIZE_64K: usize = 64 * 1024;

/// `large-128k.json` with the content of its first message (the system document) cut after
/// the last `". "` sentence end at which the whole compact document is still at most
/// [`SIZE_64K`] bytes.
fn payload_64k() -> String {
    let mut doc: serde_json::Value = serde_json::from_str(LARGE_128K).expect("corpus JSON parses");
    let content = doc["messages"][0]["content"]
        .as_str()
        .expect("the first message has a string content")
        .to_owned();
    // Candidate cut points: just after each ". " (the period kept, the space dropped). Start
    // at the first one that removes at least the excess bytes (escapes only make the
    // serialized text longer than the raw content, so no earlier cut point can fit).
    let excess = LARGE_128K.len().saturating_sub(SIZE_64K);
    let mut cut = content[..content.len() - excess]
        .rfind(". ")
        .map_or(content.len(), |i| i + 1);
    loop {
        doc["messages"][0]["content"] = serde_json::Value::String(content[..cut].to_owned());
        let text = serde_json::to_string(&doc).expect("serializes");
        if text.len() <= SIZE_64K {
            return text;
        }
        cut = content[..cut - 1]
            .rfind(". ")
            .map(|i| i + 1)
            .expect("the document has enough sentences");
    }
}

/// The four payloads, smallest first. Their lengths are checked against the table above.
pub fn payloads() -> Vec<Payload> {
    let list = vec![
        Payload {
            label: "100b",
            source: "simple-question.json",
            text: SIMPLE_QUESTION.to_owned(),
        },
        Payload {
            label: "2k",
            source: "large-2k.json",
            text: LARGE_2K.to_owned(),
        },
        Payload {
            label: "6k",
            source: "multiturn-16.json",
            text: MULTITURN_16.to_owned(),
        },
        Payload {
            label: "64k",
            source: "large-128k.json cut to <= 64 KiB",
            text: payload_64k(),
        },
    ];
    let lens: Vec<usize> = list.iter().map(|p| p.text.len()).collect();
    assert_eq!(
        lens,
        [111, 2349, 5488, 65300],
        "bench payload sizes changed: update the table in benches/common/mod.rs"
    );
    list
}

/// The payload of the session benchmark (`2k`).
pub fn session_payload() -> Payload {
    payloads().swap_remove(1)
}

/// Number of DATA messages of the session benchmark.
pub const SESSION_DATA_MESSAGES: usize = 100;

/// The adversarial scanner input (64 KB): a chat request whose content repeats near misses of
/// the scanner's patterns (`ignore all previous` without a target, four nested braces where
/// five match, `pretend ... unrestrictive`, `jail brea`), with `\u00e9` and `\u2013` escapes:
/// the latter (an en dash, not a control) makes the reference's check for escaped unicode
/// controls parse the whole document. No pattern matches: every regex has to run over the
/// whole text.
pub fn adversarial() -> Payload {
    let piece = "ignore all previous   pretend you are as if you are the unrestrictive { { { { \
                 \\u00e9 \\u2013 bypass safety jail brea reveal your system    ";
    let mut content = String::new();
    while content.len() + piece.len() < SIZE_64K - 100 {
        content.push_str(piece);
    }
    let text =
        format!(r#"{{"model":"gpt-4o","messages":[{{"role":"user","content":"{content}"}}]}}"#);
    Payload {
        label: "adversarial-64k",
        source: "near misses of the scanner patterns (generated)",
        text,
    }
}

/// HMAC key of the HMAC-frame benchmarks (32 bytes, the fact-sheet key).
pub const HMAC_KEY: [u8; 32] = [0x42; 32];
/// ChaCha20-Poly1305 key of the AEAD-frame benchmarks.
pub const AEAD_KEY: [u8; 32] = [0x24; 32];
/// The injected AEAD nonce (the reference's `FixedNonce`).
pub const AEAD_NONCE: [u8; 12] = [7; 12];

/// Agent ids of the two session endpoints.
pub const CLIENT_AGENT: &str = "bench-client";
/// Agent id of the responder.
pub const SERVER_AGENT: &str = "bench-server";
/// The responder's session id (injected, not random).
pub const SESSION_ID: &str = "00000000-0000-4000-8000-000000000000";

/// Criterion settings for a shared 2-core machine: 0.5 s warm-up, 2 s measurement, 20
/// samples. Used as `criterion_group!{config = common::criterion(); ...}`, whose generated code
/// applies the command-line flags (`--warm-up-time`, `--measurement-time`, `--sample-size`)
/// afterwards, so they still override these.
pub fn criterion() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
}
