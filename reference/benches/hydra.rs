//! Hydra speed on the full-size model (V 32000, H 192, 4 layers x 4 experts), built in memory
//! by the seeded generator: model load from safetensors bytes, and classification of 64, 512
//! and 2048-byte inputs. Goals (issue 8): < 0.5 ms per 512-byte classification and < 50 ms
//! load on one core. Run: `cargo bench -p m2m-reference --bench hydra`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use m2m_reference::hydra::{self, synth, Model};

fn text(len: usize) -> String {
    let base = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the quarterly report and list three risks.\"}]} ";
    base.repeat(len / base.len() + 1)[..len].to_owned()
}

fn bench(c: &mut Criterion) {
    let bytes = synth::full_model(2026);
    let mut g = c.benchmark_group("hydra");
    g.sample_size(20);
    g.bench_function("load-full", |b| {
        b.iter(|| Model::from_safetensors(black_box(&bytes)).expect("loads"))
    });
    let model = Model::from_safetensors(&bytes).expect("loads");
    for len in [64usize, 512, 2048] {
        let t = text(len);
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::new("classify", len), &t, |b, t| {
            b.iter(|| hydra::classify(Some(&model), black_box(t)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
