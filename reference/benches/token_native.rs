//! TokenNative and selection speed (criterion). Run: `cargo bench -p m2m-reference --bench token_native`.
//! The vocabularies are loaded once before measuring, so the figures are per-call costs
//! (TOKEN-ID-001: a tokenizer must not be re-initialised per call).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use m2m_reference::select;
use m2m_reference::wire::token_native::{self, Tokenizer};

fn payload() -> String {
    let turn = r#"{"role":"user","content":"On Tuesday at 14:05 the billing service slowed down after the schema migration; Dana added an alert."}"#;
    format!(
        r#"{{"model":"gpt-4o","messages":[{}]}}"#,
        vec![turn; 20].join(",")
    )
}

fn bench(c: &mut Criterion) {
    let text = payload();
    // Load both vocabularies outside the measurement.
    let _ = token_native::encode("warm up", Tokenizer::Cl100k);
    let _ = token_native::encode("warm up", Tokenizer::O200k);
    let mut g = c.benchmark_group("token_native");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for (name, t) in [("cl100k", Tokenizer::Cl100k), ("o200k", Tokenizer::O200k)] {
        let (wire, _) = token_native::encode(&text, t);
        g.bench_function(format!("encode_{name}"), |b| {
            b.iter(|| token_native::encode(black_box(&text), t))
        });
        g.bench_function(format!("decode_{name}"), |b| {
            b.iter(|| token_native::decode(black_box(&wire)).unwrap())
        });
    }
    g.bench_function("select_auto", |b| {
        b.iter(|| select::select(black_box(&text), select::Options::default()))
    });
    g.bench_function("compress_best", |b| {
        b.iter(|| select::compress_best(black_box(&text)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
