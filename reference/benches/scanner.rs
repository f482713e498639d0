//! Security scanner speed: the full scan (`scan.text` with the default configuration: size
//! check, the 20 patterns, the unicode-control check) and the quick scan (no size check) on the
//! four corpus payloads of `common/mod.rs`, plus one adversarial 64 KB input of pattern near
//! misses. The patterns are compiled before measuring.
//!
//! Ids are `scan/<op>/<size>` with op `text` or `quick`. Run:
//! `cargo bench -p m2m-reference --bench scanner`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use m2m_reference::scan::{self, ScanConfig};

mod common;

fn bench(c: &mut Criterion) {
    let config = ScanConfig::default();
    let _ = scan::scan("warm up: compile the patterns", &config);
    let mut inputs = common::payloads();
    inputs.push(common::adversarial());
    for p in &inputs {
        let text = p.text.as_str();
        let mut g = c.benchmark_group("scan/text");
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(p.label), |b| {
            b.iter(|| scan::scan(black_box(text), &config))
        });
        g.finish();
        let mut g = c.benchmark_group("scan/quick");
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(p.label), |b| {
            b.iter(|| scan::quick_scan(black_box(text), &config))
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
