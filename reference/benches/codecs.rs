//! Encode and decode speed of every wire format on the corpus payloads (see `common/mod.rs`
//! for the four sizes): the M2M v1 frame in text and binary form (encode, decode, peek),
//! TokenNative with cl100k (`C`) and o200k (`O`), the Brotli format `#M2M[v3.0]|DATA:`, HMAC
//! frames and ChaCha20-Poly1305 frames (seal with an injected fixed nonce, open).
//!
//! Ids are `<format>/<op>/<size>`, e.g. `frame-binary/encode/2k`; throughput is the JSON
//! payload's length in bytes for every op. Tokenizers are loaded before measuring.
//!
//! Run: `cargo bench -p m2m-reference --bench codecs` (add `-- frame-binary/` to filter).

use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use m2m_reference::secure::frame::{open_aead, open_hmac, seal_aead, seal_hmac};
use m2m_reference::secure::nonce::FixedNonce;
use m2m_reference::wire::frame;
use m2m_reference::wire::token_native::{self, Tokenizer};
use m2m_reference::wire::{brotli, Limits};

mod common;

/// A group named `<format>/<op>` measuring `size` bytes per iteration.
fn group<'a>(c: &'a mut Criterion, name: &str, size: &Throughput) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(size.clone());
    g
}

fn bench(c: &mut Criterion) {
    let payloads = common::payloads();
    let limits = Limits::default();
    // Load both vocabularies outside the measurement.
    let _ = token_native::encode("warm up", Tokenizer::Cl100k);
    let _ = token_native::encode("warm up", Tokenizer::O200k);

    for p in &payloads {
        let json = p.text.as_str();
        let size = Throughput::Bytes(json.len() as u64);
        let id = || BenchmarkId::from_parameter(p.label);

        // M2M v1 frame, binary form.
        let binary = frame::encode(json).expect("corpus JSON encodes");
        let mut g = group(c, "frame-binary/encode", &size);
        g.bench_function(id(), |b| b.iter(|| frame::encode(black_box(json))));
        g.finish();
        let mut g = group(c, "frame-binary/decode", &size);
        g.bench_function(id(), |b| {
            b.iter(|| frame::decode(black_box(&binary), &limits))
        });
        g.finish();
        let mut g = group(c, "frame-binary/peek", &size);
        g.bench_function(id(), |b| {
            b.iter(|| frame::peek(black_box(&binary), &limits))
        });
        g.finish();

        // M2M v1 frame, text form.
        let text = frame::encode_text(json).expect("corpus JSON encodes");
        let mut g = group(c, "frame-text/encode", &size);
        g.bench_function(id(), |b| b.iter(|| frame::encode_text(black_box(json))));
        g.finish();
        let mut g = group(c, "frame-text/decode", &size);
        g.bench_function(id(), |b| {
            b.iter(|| frame::decode_text(black_box(&text), &limits))
        });
        g.finish();
        let mut g = group(c, "frame-text/peek", &size);
        g.bench_function(id(), |b| {
            b.iter(|| frame::peek_text(black_box(&text), &limits))
        });
        g.finish();

        // TokenNative, both vocabularies.
        for (format, tokenizer) in [
            ("token-c", Tokenizer::Cl100k),
            ("token-o", Tokenizer::O200k),
        ] {
            let (wire, _) = token_native::encode(json, tokenizer);
            let mut g = group(c, &format!("{format}/encode"), &size);
            g.bench_function(id(), |b| {
                b.iter(|| token_native::encode(black_box(json), tokenizer))
            });
            g.finish();
            let mut g = group(c, &format!("{format}/decode"), &size);
            g.bench_function(id(), |b| b.iter(|| token_native::decode(black_box(&wire))));
            g.finish();
        }

        // Brotli text format.
        let wire = brotli::encode(json);
        let mut g = group(c, "brotli/encode", &size);
        g.bench_function(id(), |b| b.iter(|| brotli::encode(black_box(json))));
        g.finish();
        let mut g = group(c, "brotli/decode", &size);
        g.bench_function(id(), |b| {
            b.iter(|| brotli::decode(black_box(&wire), limits.max_decompressed_bytes))
        });
        g.finish();

        // HMAC frames.
        let sealed = seal_hmac(json, &common::HMAC_KEY).expect("seals");
        let mut g = group(c, "frame-hmac/seal", &size);
        g.bench_function(id(), |b| {
            b.iter(|| seal_hmac(black_box(json), &common::HMAC_KEY))
        });
        g.finish();
        let mut g = group(c, "frame-hmac/open", &size);
        g.bench_function(id(), |b| {
            b.iter(|| open_hmac(black_box(&sealed), &common::HMAC_KEY, &limits))
        });
        g.finish();

        // AEAD frames, with the injected fixed nonce.
        let mut nonce = FixedNonce(common::AEAD_NONCE);
        let sealed = seal_aead(json, &common::AEAD_KEY, &mut nonce).expect("seals");
        let mut g = group(c, "frame-aead/seal", &size);
        g.bench_function(id(), |b| {
            b.iter(|| seal_aead(black_box(json), &common::AEAD_KEY, &mut nonce))
        });
        g.finish();
        let mut g = group(c, "frame-aead/open", &size);
        g.bench_function(id(), |b| {
            b.iter(|| open_aead(black_box(&sealed), &common::AEAD_KEY, &limits))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench
}
criterion_main!(benches);
