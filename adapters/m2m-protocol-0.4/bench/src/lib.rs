//! The operations measured side by side, one function per implementation and operation, with
//! the same signature on both sides so that the benchmarks (`benches/side_by_side.rs`) and the
//! byte-identity tests (`tests/identical.rs`) call exactly the same code.
//!
//! - [`reference`]: the m2m-conformance reference (`m2m_reference`), sans-IO;
//! - [`upstream`]: the published `m2m-protocol` 0.4.0 through its public API;
//! - [`raw`]: the bare Brotli calls with each format's parameters, in the reference's brotli 8
//!   and upstream's brotli 7, to measure Brotli's share of the frame and Brotli formats.
//!
//! The payloads, keys and the criterion settings are the reference's own bench data module,
//! included by path (not copied): [`common`].
//!
//! Every function panics on an error: bench inputs are valid by construction and checked
//! once before timing, so an error here is a broken benchmark, not a measured outcome.

#[path = "../../../../reference/benches/common/mod.rs"]
pub mod common;

/// The header fields a router reads (`peek`): `header_len` and the payload's CRC-32.
pub type PeekView = (u16, u32);

/// A scan outcome reduced to what both scanners report alike: safe, should-block and the names
/// of the threats found, in report order.
pub type ScanView = (bool, bool, Vec<String>);

/// The reference (`m2m_reference`).
pub mod reference {
    use super::{PeekView, ScanView};
    use m2m_reference::scan::{self, ScanConfig};
    use m2m_reference::secure::frame as secure;
    use m2m_reference::secure::nonce::FixedNonce;
    use m2m_reference::session::{Call, Capabilities, Config, Session};
    use m2m_reference::wire::frame;
    use m2m_reference::wire::token_native::{self, Tokenizer};
    use m2m_reference::wire::{brotli, Limits};

    const LIMITS: Limits = Limits {
        max_message_bytes: m2m_reference::wire::limits::DEFAULT_LIMIT,
        max_decompressed_bytes: m2m_reference::wire::limits::DEFAULT_LIMIT,
    };

    /// Load both vocabularies and compile the scanner patterns.
    pub fn warm_up() {
        let _ = token_native::encode("warm up", Tokenizer::Cl100k);
        let _ = token_native::encode("warm up", Tokenizer::O200k);
        let _ = scan::scan("warm up", &ScanConfig::default());
    }

    /// `frame::encode`.
    pub fn frame_encode(json: &str) -> Vec<u8> {
        frame::encode(json).expect("encodes")
    }
    /// `frame::encode_text`.
    pub fn frame_encode_text(json: &str) -> String {
        frame::encode_text(json).expect("encodes")
    }
    /// `frame::decode`, the payload.
    pub fn frame_decode(bytes: &[u8]) -> String {
        frame::decode(bytes, &LIMITS).expect("decodes").payload
    }
    /// `frame::decode_text`, the payload.
    pub fn frame_decode_text(wire: &str) -> String {
        frame::decode_text(wire, &LIMITS).expect("decodes").payload
    }
    /// `frame::peek`: the headers only.
    pub fn frame_peek(bytes: &[u8]) -> PeekView {
        let h = frame::peek(bytes, &LIMITS).expect("peeks");
        (h.fixed.header_len, h.crc32)
    }
    /// `frame::peek_text`.
    pub fn frame_peek_text(wire: &str) -> PeekView {
        let h = frame::peek_text(wire, &LIMITS).expect("peeks");
        (h.fixed.header_len, h.crc32)
    }
    /// `token_native::encode` with cl100k (`C`) or o200k (`O`).
    pub fn token_encode(text: &str, o200k: bool) -> String {
        let t = if o200k {
            Tokenizer::O200k
        } else {
            Tokenizer::Cl100k
        };
        token_native::encode(text, t).0
    }
    /// `token_native::decode`.
    pub fn token_decode(wire: &str) -> String {
        token_native::decode(wire).expect("decodes")
    }
    /// `brotli::encode` (`#M2M[v3.0]|DATA:`).
    pub fn brotli_encode(text: &str) -> String {
        brotli::encode(text)
    }
    /// `brotli::decode`.
    pub fn brotli_decode(wire: &str) -> String {
        brotli::decode(wire, LIMITS.max_decompressed_bytes).expect("decodes")
    }
    /// `secure::frame::seal_hmac`.
    pub fn hmac_seal(json: &str, key: &[u8; 32]) -> Vec<u8> {
        secure::seal_hmac(json, key).expect("seals")
    }
    /// `secure::frame::open_hmac`, the payload.
    pub fn hmac_open(bytes: &[u8], key: &[u8; 32]) -> String {
        secure::open_hmac(bytes, key, &LIMITS)
            .expect("opens")
            .payload
    }
    /// `secure::frame::seal_aead` with the given (injected) nonce.
    pub fn aead_seal(json: &str, key: &[u8; 32], nonce: [u8; 12]) -> Vec<u8> {
        secure::seal_aead(json, key, &mut FixedNonce(nonce)).expect("seals")
    }
    /// `secure::frame::open_aead`, the payload.
    pub fn aead_open(bytes: &[u8], key: &[u8; 32]) -> String {
        secure::open_aead(bytes, key, &LIMITS)
            .expect("opens")
            .payload
    }
    /// `scan::scan` with the default configuration (the `scan.text` op).
    pub fn scan_text(text: &str) -> ScanView {
        view(scan::scan(text, &ScanConfig::default()).expect("scans"))
    }
    /// `scan::quick_scan` with the default configuration (the `scan.quick` op).
    pub fn scan_quick(text: &str) -> ScanView {
        view(scan::quick_scan(text, &ScanConfig::default()))
    }
    fn view(r: scan::ScanResult) -> ScanView {
        let names = r.threats.iter().map(|t| t.name.to_owned()).collect();
        (r.safe, r.should_block, names)
    }

    /// The messages of one session as JSON text, in order (HELLO, ACCEPT, then each DATA),
    /// and the contents the responder delivered.
    #[derive(Debug, Default, PartialEq)]
    pub struct Transcript {
        /// Message texts.
        pub messages: Vec<String>,
        /// Delivered DATA contents.
        pub delivered: Vec<String>,
    }

    fn endpoint(agent: &str, id: &str) -> Session {
        Session::new(
            Config {
                local: Capabilities::default_with_agent_id(agent),
                session_id: id.to_owned(),
                timers: false,
            },
            0,
        )
    }

    /// Handshake (HELLO at virtual ms 1, ACCEPT processed at 2), then `count` DATA messages of
    /// `content`, one per virtual ms from 3. With `keep`, the transcript is recorded (for the
    /// identity test); without, only the delivered byte count is kept.
    pub fn session(content: &str, count: usize, keep: bool) -> (usize, Transcript) {
        let mut t = Transcript::default();
        let mut client = endpoint(super::common::CLIENT_AGENT, "client-initial-id");
        let mut server = endpoint(super::common::SERVER_AGENT, super::common::SESSION_ID);
        let hello = client.call(Call::Hello, 1).expect("HELLO").messages;
        let accept = server.receive(&hello[0], 1).expect("ACCEPT").messages;
        client.receive(&accept[0], 2).expect("established");
        if keep {
            t.messages.push(hello[0].clone());
            t.messages.push(accept[0].clone());
        }
        let mut delivered = 0;
        for i in 0..count {
            let now = 3 + i as u64;
            let data = client
                .call(Call::Send(content), now)
                .expect("DATA")
                .messages;
            let out = server.receive(&data[0], now).expect("delivered");
            let text = out.delivered.expect("DATA delivers");
            delivered += text.len();
            if keep {
                t.messages.push(data[0].clone());
                t.delivered.push(text);
            }
        }
        (delivered, t)
    }
}

/// Upstream `m2m-protocol` 0.4.0, public API only.
pub mod upstream {
    use super::reference::Transcript;
    use super::{PeekView, ScanView};
    use m2m::codec::m2m::crypto::{KeyMaterial, SecurityContext};
    use m2m::codec::m2m::{M2MCodec, M2MFrame, SecurityMode};
    use m2m::codec::{BrotliCodec, TokenNativeCodec};
    use m2m::models::Encoding;
    use m2m::protocol::{Capabilities, Message, Session};
    use m2m::security::SecurityScanner;

    /// Load both vocabularies and compile the scanner patterns.
    pub fn warm_up() {
        let _ = TokenNativeCodec::cl100k().compress("warm up");
        let _ = TokenNativeCodec::o200k().compress("warm up");
        let _ = SecurityScanner::new().scan("warm up");
    }

    /// `M2MCodec::encode`.
    pub fn frame_encode(json: &str) -> Vec<u8> {
        M2MCodec::new().encode(json).expect("encodes")
    }
    /// `M2MCodec::encode_string`.
    pub fn frame_encode_text(json: &str) -> String {
        M2MCodec::new().encode_string(json).expect("encodes")
    }
    /// `M2MFrame::decode`, the payload.
    pub fn frame_decode(bytes: &[u8]) -> String {
        M2MFrame::decode(bytes).expect("decodes").payload
    }
    /// `M2MFrame::decode_string`, the payload.
    pub fn frame_decode_text(wire: &str) -> String {
        M2MFrame::decode_string(wire).expect("decodes").payload
    }
    /// Upstream has no header-only reader: `M2MFrame::decode` (the whole frame, payload
    /// decompressed and checked) reduced to the same view.
    pub fn frame_peek(bytes: &[u8]) -> PeekView {
        let f = M2MFrame::decode(bytes).expect("decodes");
        (f.fixed.header_len, f.checksum)
    }
    /// `M2MFrame::decode_string` reduced to the peek view (see [`frame_peek`]).
    pub fn frame_peek_text(wire: &str) -> PeekView {
        let f = M2MFrame::decode_string(wire).expect("decodes");
        (f.fixed.header_len, f.checksum)
    }
    /// `TokenNativeCodec::compress` with cl100k (`C`) or o200k (`O`).
    pub fn token_encode(text: &str, o200k: bool) -> String {
        let codec = if o200k {
            TokenNativeCodec::new(Encoding::O200kBase)
        } else {
            TokenNativeCodec::new(Encoding::Cl100kBase)
        };
        codec.compress(text).expect("encodes").data
    }
    /// `TokenNativeCodec::decompress`.
    pub fn token_decode(wire: &str) -> String {
        TokenNativeCodec::default()
            .decompress(wire)
            .expect("decodes")
    }
    /// `BrotliCodec::compress`.
    pub fn brotli_encode(text: &str) -> String {
        BrotliCodec::new().compress(text).expect("encodes").data
    }
    /// `BrotliCodec::decompress`.
    pub fn brotli_decode(wire: &str) -> String {
        BrotliCodec::new().decompress(wire).expect("decodes")
    }
    /// `M2MFrame::new_request(json)` then `encode_secure(Hmac)`. Upstream has no sealing entry
    /// point that picks request or response itself (as `M2MCodec::encode` does); every bench
    /// payload is a request, which is what the reference's detection picks too.
    pub fn hmac_seal(json: &str, key: &[u8; 32]) -> Vec<u8> {
        let mut ctx = SecurityContext::new(KeyMaterial::new(key.to_vec()));
        M2MFrame::new_request(json)
            .expect("frames")
            .encode_secure(SecurityMode::Hmac, &mut ctx)
            .expect("seals")
    }
    /// `M2MFrame::decode_secure`, the payload.
    pub fn hmac_open(bytes: &[u8], key: &[u8; 32]) -> String {
        let ctx = SecurityContext::new(KeyMaterial::new(key.to_vec()));
        M2MFrame::decode_secure(bytes, &ctx).expect("opens").payload
    }
    /// `M2MFrame::new_request(json)` then `encode_secure(Aead)`: upstream draws a random nonce
    /// from the OS for every frame; it cannot be given one.
    pub fn aead_seal(json: &str, key: &[u8; 32]) -> Vec<u8> {
        let mut ctx = SecurityContext::new(KeyMaterial::new(key.to_vec()));
        M2MFrame::new_request(json)
            .expect("frames")
            .encode_secure(SecurityMode::Aead, &mut ctx)
            .expect("seals")
    }
    /// `M2MFrame::decode_secure` of an AEAD frame, the payload.
    pub fn aead_open(bytes: &[u8], key: &[u8; 32]) -> String {
        hmac_open(bytes, key)
    }
    /// `SecurityScanner::new().scan` (the `scan.text` op).
    pub fn scan_text(text: &str) -> ScanView {
        view(SecurityScanner::new().scan(text).expect("scans"))
    }
    /// `SecurityScanner::new().quick_scan` (the `scan.quick` op).
    pub fn scan_quick(text: &str) -> ScanView {
        view(SecurityScanner::new().quick_scan(text))
    }
    fn view(r: m2m::security::ScanResult) -> ScanView {
        let names = r.threats.into_iter().map(|t| t.name).collect();
        (r.safe, r.should_block, names)
    }

    fn capabilities(agent: &str) -> Capabilities {
        // The reference's default capabilities with a fixed agent id (upstream's default draws
        // a random UUID): the same JSON, read by upstream's own serde types.
        let reference = m2m_reference::session::Capabilities::default_with_agent_id(agent);
        serde_json::from_value(serde_json::to_value(reference).expect("serializes"))
            .expect("upstream reads the capabilities")
    }

    /// Text of an upstream message. Upstream stamps messages with the wall clock; with `stamp`
    /// the public `timestamp` is set to the virtual time first (identity test only).
    fn text(mut m: Message, stamp: Option<u64>) -> String {
        if let Some(t) = stamp {
            m.timestamp = t;
        }
        m.to_json().expect("serializes")
    }

    /// The same scenario as [`super::reference::session`], through `Session::create_hello`,
    /// `process_message`, `compress` and `decompress`, every message crossing as JSON text.
    pub fn session(content: &str, count: usize, keep: bool) -> (usize, Transcript) {
        let mut t = Transcript::default();
        let mut client = Session::with_id(
            "client-initial-id",
            capabilities(super::common::CLIENT_AGENT),
        );
        let mut server = Session::with_id(
            super::common::SESSION_ID,
            capabilities(super::common::SERVER_AGENT),
        );
        let stamp = |ms: u64| keep.then_some(ms);
        let hello = text(client.create_hello(), stamp(1));
        let accept = server
            .process_message(&Message::from_json(&hello).expect("parses"))
            .expect("processes")
            .expect("ACCEPT");
        let accept = text(accept, stamp(1));
        client
            .process_message(&Message::from_json(&accept).expect("parses"))
            .expect("established");
        if keep {
            t.messages.push(hello);
            t.messages.push(accept);
        }
        let mut delivered = 0;
        for i in 0..count {
            let data = text(client.compress(content).expect("DATA"), stamp(3 + i as u64));
            let received = Message::from_json(&data).expect("parses");
            let out = server.decompress(&received).expect("delivered");
            delivered += out.len();
            if keep {
                t.messages.push(data);
                t.delivered.push(out);
            }
        }
        (delivered, t)
    }
}

/// The bare Brotli calls with the formats' parameters: quality 5 / window 22 for the frame
/// payload, quality 11 / window 22 for `#M2M[v3.0]|DATA:`, through `CompressorWriter` with a
/// 4096-byte buffer (both implementations' call), and `Decompressor` + `read_to_end`.
pub mod raw {
    use std::io::{Read, Write};

    /// Frame payload parameters (quality, lgwin).
    pub const FRAME: (u32, u32) = (5, 22);
    /// `#M2M[v3.0]|DATA:` parameters (quality, lgwin).
    pub const TEXT: (u32, u32) = (11, 22);

    /// brotli 8 (the reference's) compress.
    pub fn compress8(data: &[u8], (q, w): (u32, u32)) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut wr = brotli::CompressorWriter::new(&mut out, 4096, q, w);
            wr.write_all(data).expect("writes to a Vec");
        }
        out
    }
    /// brotli 7 (upstream's) compress.
    pub fn compress7(data: &[u8], (q, w): (u32, u32)) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut wr = brotli7::CompressorWriter::new(&mut out, 4096, q, w);
            wr.write_all(data).expect("writes to a Vec");
        }
        out
    }
    /// brotli 8 decompress.
    pub fn decompress8(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(data, 4096)
            .read_to_end(&mut out)
            .expect("valid stream");
        out
    }
    /// brotli 7 decompress.
    pub fn decompress7(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli7::Decompressor::new(data, 4096)
            .read_to_end(&mut out)
            .expect("valid stream");
        out
    }
}
