//! Check functions of the fuzz targets: one plain function per target, taking the fuzzer's bytes.
//!
//! Each `fuzz_targets/<target>.rs` is a one-line call into this file, and the stable test
//! `harness/tests/fuzz_corpus.rs` includes this same file (via `#[path]`) to replay every
//! committed corpus and regression input in-process under `cargo test`. A check returns normally
//! on any input the code under test handles correctly (a typed error is a correct answer) and
//! panics when an invariant is broken; the library under test must never panic by itself.
//!
//! Invariants checked beyond "no panic" (requirement ids in brackets):
//! - `frame_decode`: peek agrees with full decode (same header, or same error class when the
//!   header itself is bad) [FRAME-PEEK-002]; text and binary forms decode alike [FRAME-TEXT-002];
//!   decode(encode(x)) == x for every JSON payload [FRAME-PAYLOAD-001].
//! - `secure_open`: a frame sealed with the fixed key opens to the same payload; the same frame
//!   with any one bit flipped never opens [SECURE-HMAC-FRAME-002] [SECURE-AEAD-FRAME-003].
//! - `wire_decompress`, `brotli`, `token_native`, `legacy`: decode(encode(x)) == x where an
//!   encoder exists (TokenNative on valid UTF-8 [TOKEN-TEXT-006], Brotli, zlib).
//! - `session_message`: a parsed message re-serializes to a fixed point [SESSION-MSG-001].
//! - `session_fsm`: every transition is one chapter `session` allows [SESSION-SM-001]; refused
//!   input that does not parse changes nothing [SESSION-SM-002]; every message sent parses.
//! - `scanner`: the result is self-consistent [SCAN-ALG-003]..[SCAN-ALG-005].
//! - `molt`: line splitting does not depend on how the stream is chunked [MOLT-P2P-001]; a
//!   handshake with a fixed key followed by a sealed message delivers the message
//!   [MOLT-P2P-005] [MOLT-P2P-007].

#![allow(clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use m2m_reference::hydra;
use m2m_reference::legacy::{dictionary, m3, t1, zlib};
use m2m_reference::scan::{self, ScanConfig};
use m2m_reference::secure::frame as secure_frame;
use m2m_reference::secure::nonce::FixedNonce;
use m2m_reference::session::message::{Algorithm as SessionAlgorithm, RejectionCode};
use m2m_reference::session::{Call, Capabilities, Config, Message, MessageType, Session, State};
use m2m_reference::wire::frame;
use m2m_reference::wire::token_native::{self, Tokenizer};
use m2m_reference::wire::{self, Algorithm, Format, Limits};
use m2m_reference::ErrorClass;

/// Limits used by every decoding target. The limits are receiver settings (WIRE-LIMIT-005) and
/// run the same code at any value: 64 KiB each way lets the fuzzer reach the limit checks with
/// inputs of a few bytes (a Brotli bomb) while no execution decompresses more than 64 KiB, which
/// at 1 MiB made bombs dominate the decode targets' time.
pub const LIMITS: Limits = Limits {
    max_message_bytes: 64 << 10,
    max_decompressed_bytes: 64 << 10,
};

/// Largest input that the encode-side round trips run on (encoders are slower than decoders).
pub const ROUND_TRIP_MAX: usize = 1024;

/// Brotli at quality 11 with a 4 MiB window costs milliseconds per call even on tiny inputs;
/// the Brotli round trips run on inputs up to this size only.
pub const BROTLI_ROUND_TRIP_MAX: usize = 256;

/// The fixed HMAC key of `secure_open` (32 bytes, hex in `fuzz-replay`).
pub const HMAC_KEY: [u8; 32] = *b"m2m-fuzz-hmac-key-0123456789abcd";
/// The fixed AEAD key of `secure_open`.
pub const AEAD_KEY: [u8; 32] = *b"m2m-fuzz-aead-key-0123456789abcd";
/// The fixed AEAD nonce of `secure_open`.
pub const AEAD_NONCE: [u8; 12] = *b"fuzz-nonce12";

/// A target's check: the fuzzer's bytes in, a panic on a broken invariant.
pub type Check = fn(&[u8]);

/// Every target: name and check function. The replay test and `run.sh` list come from here.
pub const TARGETS: &[(&str, Check)] = &[
    // Decode side only: no encoder on the hot path (>= 10,000 execs/s with ASan, one core).
    ("wire_decompress", wire_decompress),
    ("frame_decode", frame_decode),
    ("secure_open", secure_open),
    ("token_native", token_native_check),
    ("brotli", brotli),
    ("legacy", legacy),
    ("session_message", session_message),
    ("molt", molt),
    ("molt_hub", molt_hub),
    ("sse_decode", sse_decode),
    // Round trips: encoder then decoder on inputs of bounded size (>= 1,000 execs/s).
    ("wire_roundtrip", wire_roundtrip),
    ("frame_roundtrip", frame_roundtrip),
    ("secure_roundtrip", secure_roundtrip),
    ("token_native_roundtrip", token_native_roundtrip),
    ("brotli_roundtrip", brotli_roundtrip),
    ("legacy_roundtrip", legacy_roundtrip),
    ("molt_roundtrip", molt_roundtrip),
    // Whole components driven by structured input.
    ("session_fsm", session_fsm),
    ("scanner", scanner),
    ("hydra_load", hydra_load),
    ("http_script", http_script),
    ("vector_loader", vector_loader),
];

/// Whether a target runs an encoder (a round trip); the others decode only.
pub fn is_round_trip(target: &str) -> bool {
    target.ends_with("_roundtrip")
}

/// Loads the tokenizer vocabularies before the first input. The targets that reach
/// TokenNative call it from libFuzzer's init hook: loaded lazily, the vocabularies made the first
/// input take about a second with ASan (more on a loaded machine), over libFuzzer's per-input
/// timeout, and every restart (merge, fork) paid it again inside the timed input.
pub fn warm_up() {
    // Both engines (tiktoken-rs and bpe-openai) of both vocabularies; Llama shares cl100k's.
    Tokenizer::warm();
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `wire::detect` + `wire::decompress` on any string; passthrough returns its input.
/// [WIRE-DETECT-001] [WIRE-PASS-001]
pub fn wire_decompress(data: &[u8]) {
    let format = wire::detect(data);
    let Some(s) = text(data) else { return };
    let out = wire::decompress(s, &LIMITS);
    if format == Format::Passthrough {
        assert_eq!(
            out.as_deref(),
            Ok(s),
            "passthrough must return the input unchanged"
        );
    }
}

/// `wire::compress` with TokenNative, M2M and passthrough, then `wire::decompress`:
/// decompress(compress(x)) == x for inputs up to [`ROUND_TRIP_MAX`] bytes.
/// [WIRE-PASS-001] [TOKEN-TEXT-006] [FRAME-PAYLOAD-001]
pub fn wire_roundtrip(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if s.len() > ROUND_TRIP_MAX {
        return;
    }
    let format = wire::detect(data);
    // Brotli is left to `brotli_roundtrip` (the same `wire::brotli::encode`): at quality 11 it
    // costs milliseconds per call whatever the input size, and would hold this target to its rate.
    for algorithm in [Algorithm::TokenNative, Algorithm::M2m, Algorithm::None] {
        if algorithm == Algorithm::None && format != Format::Passthrough {
            continue; // a prefixed text sent as passthrough is ambiguous by design
        }
        if let Ok(w) = wire::compress(s, algorithm) {
            let back = wire::decompress(&w, &Limits::default());
            assert_eq!(
                back.as_deref(),
                Ok(s),
                "round trip through {}",
                algorithm.name()
            );
        }
    }
}

/// Binary and text frame decode and peek (no encoder). [FRAME-DECODE-001] [FRAME-PEEK-002] [FRAME-TEXT-002]
pub fn frame_decode(data: &[u8]) {
    let peeked = frame::peek(data, &LIMITS);
    let decoded = frame::decode(data, &LIMITS);
    check_peek_agrees(&peeked, &decoded);
    if data.starts_with(b"#M2M|1|") {
        // The same frame in text form decodes alike.
        let wire = frame::to_text(data);
        let from_text = frame::decode_text(&wire, &LIMITS);
        match (&decoded, &from_text) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.payload, b.payload);
                assert_eq!(a.header.to_json(), b.header.to_json());
            }
            (Err(a), Err(b)) => assert_eq!(a.class(), b.class()),
            // A text form is longer: only the message limit may tell them apart.
            (Ok(_), Err(e)) => assert_eq!(e.class(), "message_too_large"),
            (Err(e), Ok(_)) => panic!("binary fails with {} but text decodes", e.class()),
        }
    }
    if let Some(s) = text(data) {
        let p = frame::peek_text(s, &LIMITS);
        let d = frame::decode_text(s, &LIMITS);
        check_peek_agrees(&p, &d);
    }
}

/// Frame encode then decode, peek and text decode of a JSON input up to [`ROUND_TRIP_MAX`]
/// bytes: decode(encode(x)) == x. [FRAME-PAYLOAD-001] [FRAME-PEEK-002] [FRAME-TEXT-002]
pub fn frame_roundtrip(data: &[u8]) {
    if let Some(s) = text(data) {
        round_trip_json(s);
    }
}

fn check_peek_agrees(
    peeked: &Result<frame::FrameHeader, frame::FrameError>,
    decoded: &Result<frame::Frame, frame::FrameError>,
) {
    match (peeked, decoded) {
        (Ok(h), Ok(f)) => assert_eq!(h.to_json(), f.header.to_json(), "peek != decode header"),
        (Err(p), Err(d)) => assert_eq!(p.class(), d.class(), "peek and decode fail differently"),
        (Err(p), Ok(_)) => panic!("peek fails with {} but decode succeeds", p.class()),
        (Ok(_), Err(_)) => {} // a bad payload section: peek never looks at it
    }
}

/// decode(encode(x)) == x for a JSON document x (when the encoder accepts it).
fn round_trip_json(json: &str) {
    if json.len() > ROUND_TRIP_MAX {
        return;
    }
    if let Ok(bin) = frame::encode(json) {
        let f = frame::decode(&bin, &Limits::default()).expect("an encoded frame decodes");
        assert_eq!(f.payload, json, "decode(encode(x)) != x");
        let p = frame::peek(&bin, &Limits::default()).expect("an encoded frame peeks");
        assert_eq!(p.to_json(), f.header.to_json());
        let t = frame::decode_text(&frame::to_text(&bin), &Limits::default())
            .expect("an encoded text frame decodes");
        assert_eq!(t.payload, json);
    }
}

/// Secured-frame open with fixed keys, binary and text form (no sealing).
/// [SECURE-HMAC-FRAME-002] [SECURE-AEAD-FRAME-003] [SECURE-DOWNGRADE-001]
pub fn secure_open(data: &[u8]) {
    let _ = secure_frame::open(data, secure_frame::Mode::Hmac, &HMAC_KEY, &LIMITS);
    let _ = secure_frame::open(data, secure_frame::Mode::Aead, &AEAD_KEY, &LIMITS);
    if let Some(s) = text(data) {
        let _ = secure_frame::open_text(s, secure_frame::Mode::Hmac, &HMAC_KEY, &LIMITS);
        let _ = secure_frame::open_text(s, secure_frame::Mode::Aead, &AEAD_KEY, &LIMITS);
    }
}

/// Seal a JSON input up to [`ROUND_TRIP_MAX`] bytes with the fixed keys: it opens to itself,
/// and never with one bit flipped or one byte cut.
/// [SECURE-HMAC-FRAME-002] [SECURE-AEAD-FRAME-003]
pub fn secure_roundtrip(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if s.len() > ROUND_TRIP_MAX {
        return;
    }
    let flip = crc32fast::hash(data) as usize;
    if let Ok(sealed) = secure_frame::seal_hmac(s, &HMAC_KEY) {
        seal_open_flip(&sealed, secure_frame::Mode::Hmac, &HMAC_KEY, s, flip);
    }
    if let Ok(sealed) = secure_frame::seal_aead(s, &AEAD_KEY, &mut FixedNonce(AEAD_NONCE)) {
        seal_open_flip(&sealed, secure_frame::Mode::Aead, &AEAD_KEY, s, flip);
    }
}

fn seal_open_flip(sealed: &[u8], mode: secure_frame::Mode, key: &[u8], json: &str, flip: usize) {
    let opened = secure_frame::open(sealed, mode, key, &Limits::default())
        .unwrap_or_else(|e| panic!("a sealed {mode:?} frame does not open: {}", e.class()));
    assert_eq!(opened.payload, json);
    let mut bad = sealed.to_vec();
    let at = flip % bad.len();
    bad[at] ^= 1 << ((flip >> 24) % 8);
    assert!(
        secure_frame::open(&bad, mode, key, &Limits::default()).is_err(),
        "a {mode:?} frame with a flipped bit at byte {at} opened"
    );
    assert!(
        secure_frame::open(&sealed[..sealed.len() - 1], mode, key, &Limits::default()).is_err(),
        "a truncated {mode:?} frame opened"
    );
}

/// TokenNative text and binary decode (no tokenizer). [TOKEN-TEXT-003] [TOKEN-BIN-002]
pub fn token_native_check(data: &[u8]) {
    let _ = token_native::decode_binary(data);
    if let Some(s) = text(data) {
        let _ = token_native::decode(s);
    }
}

/// TokenNative encode then decode, text and binary mode, on valid UTF-8 up to
/// [`ROUND_TRIP_MAX`] bytes; the first byte picks the tokenizer. [TOKEN-TEXT-006]
/// [TOKEN-BIN-002]
pub fn token_native_roundtrip(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if s.len() > ROUND_TRIP_MAX {
        return;
    }
    let t = match data.first().map(|b| b % 3) {
        Some(1) => Tokenizer::O200k,
        Some(2) => Tokenizer::Llama,
        _ => Tokenizer::Cl100k,
    };
    let (w, _) = token_native::encode(s, t);
    assert_eq!(
        token_native::decode(&w).as_deref(),
        Ok(s),
        "text round trip"
    );
    let b = token_native::encode_binary(s, t);
    assert_eq!(
        token_native::decode_binary(&b).as_deref(),
        Ok(s),
        "binary round trip"
    );
}

/// Brotli wire decode and raw decompression (no encoder). [WIRE-BROTLI-001]
pub fn brotli(data: &[u8]) {
    let _ = wire::brotli::decompress_raw(data, LIMITS.max_decompressed_bytes);
    if let Some(s) = text(data) {
        let _ = wire::brotli::decode(s, LIMITS.max_decompressed_bytes);
    }
}

/// Brotli encode (quality 11, as specified) then decode, on UTF-8 inputs up to
/// [`BROTLI_ROUND_TRIP_MAX`] bytes. [WIRE-BROTLI-001]
pub fn brotli_roundtrip(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if s.len() <= BROTLI_ROUND_TRIP_MAX {
        let w = wire::brotli::encode(s);
        assert_eq!(wire::brotli::decode(&w, 1 << 20).as_deref(), Ok(s));
    }
}

/// The legacy decoders (T1, Dictionary, M3, zlib), decode side only.
pub fn legacy(data: &[u8]) {
    let _ = m3::decode(data);
    let Some(s) = text(data) else { return };
    let _ = t1::decode(s);
    let _ = dictionary::decode(s);
    let _ = zlib::decode(s, LIMITS.max_decompressed_bytes);
}

/// The legacy encoders on UTF-8 inputs up to [`ROUND_TRIP_MAX`] bytes: zlib decode(encode(x))
/// == x; the T1, Dictionary and M3 encoders do not panic and their output decodes.
pub fn legacy_roundtrip(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if s.len() > ROUND_TRIP_MAX {
        return;
    }
    assert_eq!(zlib::decode(&zlib::encode(s), 1 << 20).as_deref(), Ok(s));
    if let Ok(w) = t1::encode(s) {
        let _ = t1::decode(&w);
    }
    if let Ok(w) = dictionary::encode(s) {
        let _ = dictionary::decode(&w);
    }
    if let Ok(b) = m3::encode(s) {
        let _ = m3::decode(&b);
    }
}

/// Session message parse; a parsed message re-serializes to a fixed point. [SESSION-MSG-001]
pub fn session_message(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(m) = Message::from_json(s) {
        let once = m.to_json();
        let again = Message::from_json(&once).expect("a serialized message parses");
        assert_eq!(again.to_json(), once, "serialization is not a fixed point");
    }
}

/// A session event, built by `arbitrary` from the fuzzer's bytes.
#[derive(Debug, Arbitrary)]
pub enum Event {
    /// Time passes by this many milliseconds (scaled so timers fire).
    Advance(u16),
    /// A well-formed message of this kind arrives.
    Recv(RecvKind),
    /// Any text arrives.
    RecvText(String),
    /// Local call hello.
    Hello,
    /// Local call send.
    Send(String),
    /// Local call close.
    Close,
}

/// Well-formed messages the fuzzer can send to the session.
#[derive(Debug, Arbitrary)]
pub enum RecvKind {
    /// HELLO with default capabilities, optionally another major version or no algorithm.
    Hello { version_ok: bool, algorithms: u8 },
    /// ACCEPT with a session id.
    Accept { id: String, algorithms: u8 },
    /// REJECT.
    Reject,
    /// DATA with some content and algorithm.
    Data { algorithm: u8, content: String },
    /// PING.
    Ping,
    /// PONG.
    Pong,
    /// CLOSE.
    Close,
}

fn caps(version_ok: bool, algorithms: u8) -> Capabilities {
    let mut c = Capabilities::default_with_agent_id("fuzz-peer");
    if !version_ok {
        c.version = "9.0".into();
    }
    let all = [
        SessionAlgorithm::M2m,
        SessionAlgorithm::TokenNative,
        SessionAlgorithm::Brotli,
        SessionAlgorithm::None,
    ];
    c.compression.algorithms = all
        .iter()
        .enumerate()
        .filter(|(i, _)| algorithms & (1 << i) != 0)
        .map(|(_, a)| *a)
        .collect();
    c
}

fn message(kind: &RecvKind, now: u64) -> String {
    let m = match kind {
        RecvKind::Hello {
            version_ok,
            algorithms,
        } => Message::hello(&caps(*version_ok, *algorithms), now),
        RecvKind::Accept { id, algorithms } => Message::accept(id, &caps(true, *algorithms), now),
        RecvKind::Reject => Message::reject(RejectionCode::Unknown, "no", now),
        RecvKind::Data { algorithm, content } => {
            let a = match algorithm % 4 {
                0 => SessionAlgorithm::None,
                1 => SessionAlgorithm::M2m,
                2 => SessionAlgorithm::TokenNative,
                _ => SessionAlgorithm::Brotli,
            };
            Message::data("peer", a, content.clone(), now)
        }
        RecvKind::Ping => Message::control(MessageType::Ping, "peer", now),
        RecvKind::Pong => Message::control(MessageType::Pong, "peer", now),
        RecvKind::Close => Message::control(MessageType::Close, "peer", now),
    };
    m.to_json()
}

/// Drive one session with an arbitrary sequence of events; every transition must be one the
/// chapter allows. [SESSION-SM-001]..[SESSION-SM-009] [SESSION-TIMER-001]..[SESSION-TIMER-006]
pub fn session_fsm(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let timers = bool::arbitrary(&mut u).unwrap_or(true);
    let Ok(events) = Vec::<Event>::arbitrary(&mut u) else {
        return;
    };
    let mut now: u64 = 1_000;
    let mut s = Session::new(
        Config {
            local: Capabilities::default_with_agent_id("fuzz-local"),
            session_id: "fuzz-session".into(),
            timers,
        },
        now,
    );
    for ev in events.iter().take(64) {
        let before = s.state();
        let stats = s.stats();
        let (result, allowed): (Result<_, _>, &[State]) = match ev {
            Event::Advance(ms) => {
                now += u64::from(*ms) * 16;
                let out = s.advance(now);
                let allowed: &[State] = match (timers, before) {
                    (false, _) => &[],
                    (true, State::HelloSent | State::Closing) => &[State::Closed],
                    // Three missed PINGs close; 5 s later Closing times out: both may fire
                    // within one advance (SESSION-TIMER-005).
                    (true, State::Established) => &[State::Closing, State::Closed],
                    (true, _) => &[],
                };
                if !timers {
                    assert!(out.messages.is_empty(), "timers off, yet advance sent");
                }
                (Ok(out), allowed)
            }
            Event::Hello => {
                let r = s.call(Call::Hello, now);
                if r.is_ok() {
                    assert_eq!(before, State::Initial, "hello accepted outside Initial");
                }
                (r, &[State::HelloSent])
            }
            Event::Close => {
                let r = s.call(Call::Close, now);
                assert!(r.is_ok(), "close is allowed in every state");
                assert_eq!(s.state(), State::Closing);
                (r, &[State::Closing])
            }
            Event::Send(content) => {
                let r = s.call(Call::Send(content), now);
                if r.is_err() {
                    assert_eq!(s.stats(), stats, "a refused send counted something");
                }
                (r, &[])
            }
            Event::Recv(kind) => {
                let t = message(kind, now);
                let r = s.receive(&t, now);
                let allowed: &[State] = match (kind, before) {
                    (RecvKind::Hello { .. }, State::Initial) => &[State::Established],
                    (RecvKind::Accept { .. }, State::HelloSent) => &[State::Established],
                    (RecvKind::Reject | RecvKind::Close, _) => &[State::Closed],
                    _ => &[],
                };
                if matches!(kind, RecvKind::Reject | RecvKind::Close) {
                    assert_eq!(s.state(), State::Closed);
                }
                if matches!(kind, RecvKind::Ping) {
                    let out = r.as_ref().expect("PING is answered in every state");
                    assert_eq!(out.messages.len(), 1, "PING gets exactly one PONG");
                }
                (r, allowed)
            }
            Event::RecvText(t) => {
                let parses = Message::from_json(t).is_ok();
                let r = s.receive(t, now);
                if !parses {
                    assert!(r.is_err(), "an unparsable message was accepted");
                    assert_eq!(s.state(), before, "an unparsable message changed the state");
                    assert_eq!(s.stats(), stats, "an unparsable message was counted");
                }
                (r, &[State::Established, State::Closed])
            }
        };
        let after = s.state();
        assert!(
            after == before || allowed.contains(&after),
            "transition {before:?} -> {after:?} on {ev:?} is not in the chapter"
        );
        let st = s.stats();
        assert!(st.messages_sent >= stats.messages_sent);
        assert!(st.messages_received >= stats.messages_received);
        if let Ok(out) = result {
            assert!(
                st.messages_sent - stats.messages_sent <= out.messages.len() as u64,
                "counted more messages than were sent"
            );
            for m in &out.messages {
                Message::from_json(m).expect("every message sent parses");
            }
        }
    }
}

/// The scanner on any text: no panic, a self-consistent result, quick scan == scan when the
/// size check passes. [SCAN-ALG-001] [SCAN-ALG-003] [SCAN-ALG-005] [SCAN-JSON-001]
pub fn scanner(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let c = ScanConfig::default();
    let _ = scan::validate_json(s);
    let _ = scan::scan_and_validate(s, &c);
    let q = scan::quick_scan(s, &c);
    assert_eq!(q.safe, q.threats.is_empty());
    assert!(
        (0.0..=1.0).contains(&q.confidence),
        "confidence {}",
        q.confidence
    );
    assert!(!(q.safe && q.should_block));
    assert_eq!(q.should_block, !q.safe && q.confidence >= c.threshold);
    if let Ok(full) = scan::scan(s, &c) {
        assert_eq!(full, q);
    }
}

/// Hydra safetensors loading; a loaded model classifies without panicking. [HYDRA-LOAD-001]
/// [HYDRA-LOAD-005]
pub fn hydra_load(data: &[u8]) {
    if let Ok(model) = hydra::Model::from_safetensors(data) {
        let _ = hydra::classify(Some(&model), "fuzz: classify this {\"a\":1}");
        let _ = model.heads(&hydra::tokenize("x"));
    }
}

/// The `http.run` scenario interpreter against a fresh in-process server. [HTTP-RUN-001]
pub fn http_script(data: &[u8]) {
    let Ok(steps) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let args = serde_json::json!({ "steps": steps });
    let _ = m2m_reference::testee::dispatch("http.run", &args);
}

/// The suite root (holds `spec/`): `$M2M_CONFORMANCE_ROOT`, else the checkout.
pub fn suite_root() -> PathBuf {
    if let Some(d) = std::env::var_os("M2M_CONFORMANCE_ROOT") {
        return PathBuf::from(d);
    }
    // This file is `fuzz/src/lib.rs`; the crate including it is one level below the root.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The harness's vector YAML loader on one file's text, against the real spec: the checkout's
/// (or `$M2M_CONFORMANCE_ROOT`'s), else the suite embedded in the harness, so the target also
/// runs where the source tree is absent (a ClusterFuzzLite runner).
pub fn vector_loader(data: &[u8]) {
    static SPEC: OnceLock<Option<m2m_conformance::spec::Spec>> = OnceLock::new();
    let spec = SPEC.get_or_init(|| {
        m2m_conformance::spec::Spec::load(&suite_root().join("spec"))
            .ok()
            .or_else(|| {
                let embedded = m2m_conformance::suite_data::SuiteRoot::embedded().ok()?;
                m2m_conformance::spec::Spec::load(&embedded.dir.join("spec")).ok()
            })
    });
    let Some(spec) = spec else {
        panic!(
            "cannot load spec/ from {} or from the embedded suite",
            suite_root().display()
        );
    };
    let Some(s) = text(data) else { return };
    let _ = m2m_conformance::vectors::load_sources(
        Path::new("vectors"),
        vec![("fuzz.yaml".to_owned(), Ok(s.to_owned()))],
        spec,
    );
}

/// Largest input of the Molt decode targets: their cost grows with input size (JSON parses per
/// line), and the listener's line cap in [`molt`] is below this bound, so over-long lines
/// stay reachable.
pub const MOLT_MAX: usize = 512;

/// Molt P2P, decode side: line splitting, and the listener fed arbitrary bytes, on inputs up to
/// [`MOLT_MAX`] bytes with a line cap of 256. [MOLT-P2P-001] [MOLT-P2P-004]
pub fn molt(data: &[u8]) {
    use m2m_reference::molt::{crypto, p2p};
    if data.len() > MOLT_MAX {
        return;
    }
    // Line splitting: one push or two pushes split anywhere give the same items.
    let split = data.first().map_or(0, |b| usize::from(*b)) % (data.len() + 1);
    let whole = p2p::LineBuffer::new(64).push(data);
    let mut lb = p2p::LineBuffer::new(64);
    let mut parts = lb.push(&data[..split]);
    parts.extend(lb.push(&data[split..]));
    assert_eq!(whole, parts, "line items depend on chunking");
    assert!(lb.pending() <= 64);
    // The listener on arbitrary bytes.
    const SERVER: [u8; 32] = [7; 32];
    let mut server = p2p::PeerServer::new(256);
    let out = server.receive(data, &mut crypto::ListSecrets::new(vec![SERVER]));
    assert!(
        out.replies.len() >= out.events.len(),
        "a delivered message without a reply"
    );
}

/// The Molt hub, decode side: every line of a UTF-8 input up to [`MOLT_MAX`] bytes is one
/// WebSocket text frame (up to 32), then the stats and the first line as an HTTP path; every
/// reply is a JSON object. [MOLT-HUB-002]
pub fn molt_hub(data: &[u8]) {
    use m2m_reference::molt::hub;
    if data.len() > MOLT_MAX {
        return;
    }
    let Some(s) = text(data) else { return };
    let mut h = hub::Hub::new(1_000);
    let mut ids = hub::SeededIds::new(1);
    h.open(1, "::ffff:127.0.0.1", None);
    for (i, line) in s.lines().take(32).enumerate() {
        let reply = h.handle_frame(1, line, 1_000 + i as u64, &mut ids);
        assert!(reply.is_object(), "hub reply is not an object: {reply}");
    }
    let _ = h.stats(2_000);
    let _ = h.http(s.lines().next().unwrap_or("/"), 2_000);
    h.close(1).expect("the memory store does not fail");
}

/// Molt handshake with fixed keys, then a message sealed with the derived key carrying the
/// input (when it is JSON): the listener delivers exactly that payload, or nothing when the
/// plaintext reads as JSON `null`. [MOLT-P2P-005] [MOLT-P2P-007] [MOLT-PAYLOAD-003]
pub fn molt_roundtrip(data: &[u8]) {
    use m2m_reference::molt::{crypto, p2p};
    if data.len() > ROUND_TRIP_MAX {
        return;
    }
    const SERVER: [u8; 32] = [7; 32];
    const CLIENT: [u8; 32] = [9; 32];
    // A real handshake, then the input as the message payload.
    if let Ok(payload) = serde_json::from_slice::<serde_json::Value>(data) {
        let mut server = p2p::PeerServer::new(p2p::MAX_LINE_BYTES);
        let client_key = crypto::spki_b64(&crypto::public_key(&CLIENT));
        let hs = p2p::to_line(&p2p::handshake_frame(&client_key, None));
        let out = server.receive(hs.as_bytes(), &mut crypto::ListSecrets::new(vec![SERVER]));
        assert!(
            server.has_session(),
            "a valid handshake was refused: {:?}",
            out.replies
        );
        let server_key = crypto::spki_b64(&crypto::public_key(&SERVER));
        let key = crypto::derive(&CLIENT, &server_key).expect("derive");
        let blob = crypto::seal(
            &key,
            &[3; crypto::NONCE_LEN],
            &crypto::encode_payload(&payload),
        );
        let line = p2p::to_line(&serde_json::json!({"type": "message", "data": blob}));
        let out = server.receive(line.as_bytes(), &mut crypto::ListSecrets::default());
        match crypto::decode_payload(&crypto::encode_payload(&payload)) {
            Ok(expected) => {
                assert_eq!(
                    out.events.len(),
                    1,
                    "a sealed message was not delivered: {:?}",
                    out.replies
                );
                assert_eq!(out.events[0].payload, expected);
            }
            // A plaintext that reads as JSON `null` (the payload null, or the string "null") is
            // the JavaScript receiver's failure sentinel and is refused (MOLT-PAYLOAD-003).
            Err(_) => assert!(
                out.events.is_empty(),
                "a null plaintext was delivered: {:?}",
                out.events
            ),
        }
    }
}

/// Largest input of [`sse_decode`]: its cost grows with the input (a JSON parse per line, twice),
/// and a few events with compressed payloads fit in it.
pub const SSE_MAX: usize = 1024;

/// SSE streaming, decode side only, on inputs up to [`SSE_MAX`] bytes: the encoder's line
/// classifier on every line, and the decompressor fed the input whole and split at a point
/// chosen by the first byte, which must agree (same output, or both an error: of the same class
/// unless one is `invalid_utf8`). [STREAM-LINE-002] [STREAM-DEC-001] [STREAM-SPLIT-001]
pub fn sse_decode(data: &[u8]) {
    use m2m_reference::streaming::{self, Decoder};
    if data.len() > SSE_MAX {
        return;
    }
    if let Ok(s) = std::str::from_utf8(data) {
        for line in s.lines() {
            let _ = streaming::parse_line(line);
        }
    }
    let whole = streaming::decompress_stream(data);
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let mut d = Decoder::new();
    let split = d.push(&data[..cut]).and_then(|a| {
        let b = d.push(&data[cut..])?;
        Ok(a + &b + &d.finish()?)
    });
    match (&whole, &split) {
        (Ok(w), Ok(s)) => assert_eq!(w, s, "split at {cut} changed the output"),
        // UTF-8 is checked per chunk over its complete lines before any line is decoded
        // (STREAM-DEC-001), so where a bad line and an invalid UTF-8 line follow each other,
        // the cut decides which error comes first; any other error class must not move.
        (Err(a), Err(b)) => assert!(
            a.class() == b.class() || a.class() == "invalid_utf8" || b.class() == "invalid_utf8",
            "split at {cut} changed the error: {} vs {}",
            a.class(),
            b.class()
        ),
        _ => panic!("split at {cut}: whole {whole:?}, split {split:?}"),
    }
}
