//! SSE streaming codec: the latency each mode adds per chunk (criterion), since streaming is
//! about time to first token. Run: `cargo bench -p m2m-reference --bench streaming`.
//!
//! One chunk is one OpenAI-style content delta event (about 230 bytes), as a server sends it;
//! each iteration pushes it through a warm encoder of the mode (the tokenizers are loaded
//! before measuring). `decompress` expands the abbreviation output of the same chunk.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use m2m_reference::streaming::{Decoder, Encoder, Mode};
use m2m_reference::wire::token_native::Tokenizer;

const CHUNK: &str = concat!(
    r#"data: {"id":"chatcmpl-9xK2","object":"chat.completion.chunk","created":1718000000,"#,
    r#""model":"gpt-4o","system_fingerprint":"fp_3aa7262c27","choices":[{"index":0,"#,
    r#""delta":{"content":" the schema migration"},"logprobs":null,"finish_reason":null}]}"#,
    "\n\n"
);

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("streaming_chunk");
    g.throughput(Throughput::Bytes(CHUNK.len() as u64));
    let modes = [
        ("passthrough", Mode::Passthrough, Tokenizer::Cl100k),
        ("abbreviation", Mode::Abbreviation, Tokenizer::Cl100k),
        ("hybrid", Mode::Hybrid, Tokenizer::Cl100k),
        ("token_native_cl100k", Mode::TokenNative, Tokenizer::Cl100k),
        ("token_native_o200k", Mode::TokenNative, Tokenizer::O200k),
    ];
    for (name, mode, tokenizer) in modes {
        let mut encoder = Encoder::new(mode, tokenizer);
        let _ = encoder.push(CHUNK.as_bytes()); // warm: loads the vocabulary
        g.bench_function(name, |b| {
            b.iter(|| encoder.push(black_box(CHUNK.as_bytes())).unwrap())
        });
    }
    let mut encoder = Encoder::new(Mode::Abbreviation, Tokenizer::Cl100k);
    let compressed = encoder.push(CHUNK.as_bytes()).unwrap().concat();
    let mut decoder = Decoder::new();
    g.bench_function("decompress_abbreviation", |b| {
        b.iter(|| decoder.push(black_box(compressed.as_bytes())).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
