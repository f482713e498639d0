//! The reference and upstream `m2m-protocol` 0.4.0 measured side by side in one run, on the
//! payloads of `reference/benches/common/mod.rs` (`100b`, `2k`, `6k`, `64k`).
//!
//! Ids: `<format>/<op>/<size>/reference` and `<format>/<op>/<size>/upstream`; the raw Brotli
//! calls are `brotli-raw/<op>/<size>/brotli8` (the reference's crate) and `.../brotli7`
//! (upstream's). Before timing, every pair is run once and its outputs compared (the full
//! comparison, with the reasons where outputs differ by design, is `tests/identical.rs`).
//!
//! Run (from `adapters/m2m-protocol-0.4`): `cargo bench -p m2m-side-by-side`; ratios:
//! `python3 ../../reports/tools/perf_ratios.py target/criterion`.

use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput,
};
use m2m_side_by_side::common::{self, AEAD_KEY, AEAD_NONCE, HMAC_KEY};
use m2m_side_by_side::{raw, reference as r, upstream as u};

/// A group `<format>/<op>/<size>` measuring `bytes` per iteration.
fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
    size: &str,
    bytes: usize,
) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(format!("{name}/{size}"));
    g.throughput(Throughput::Bytes(bytes as u64));
    g
}

/// Benchmark `reference` and `upstream` on the same input, after checking once that their
/// outputs are equal.
fn pair<I: ?Sized, O: PartialEq + std::fmt::Debug>(
    c: &mut Criterion,
    name: &str,
    size: &str,
    bytes: usize,
    input: &I,
    reference: impl Fn(&I) -> O,
    upstream: impl Fn(&I) -> O,
) {
    assert_eq!(
        reference(input),
        upstream(input),
        "{name}/{size}: outputs differ"
    );
    let mut g = group(c, name, size, bytes);
    g.bench_function("reference", |b| b.iter(|| reference(black_box(input))));
    g.bench_function("upstream", |b| b.iter(|| upstream(black_box(input))));
    g.finish();
}

fn codecs(c: &mut Criterion) {
    r::warm_up();
    u::warm_up();
    for p in common::payloads() {
        let (json, size, n) = (p.text.as_str(), p.label, p.text.len());

        let binary = r::frame_encode(json);
        pair(
            c,
            "frame-binary/encode",
            size,
            n,
            json,
            r::frame_encode,
            u::frame_encode,
        );
        pair(
            c,
            "frame-binary/decode",
            size,
            n,
            &binary[..],
            r::frame_decode,
            u::frame_decode,
        );
        pair(
            c,
            "frame-binary/peek",
            size,
            n,
            &binary[..],
            r::frame_peek,
            u::frame_peek,
        );

        let text = r::frame_encode_text(json);
        pair(
            c,
            "frame-text/encode",
            size,
            n,
            json,
            r::frame_encode_text,
            u::frame_encode_text,
        );
        pair(
            c,
            "frame-text/decode",
            size,
            n,
            text.as_str(),
            r::frame_decode_text,
            u::frame_decode_text,
        );
        pair(
            c,
            "frame-text/peek",
            size,
            n,
            text.as_str(),
            r::frame_peek_text,
            u::frame_peek_text,
        );

        for (format, o200k) in [("token-c", false), ("token-o", true)] {
            let wire = r::token_encode(json, o200k);
            pair(
                c,
                &format!("{format}/encode"),
                size,
                n,
                json,
                |t| r::token_encode(t, o200k),
                |t| u::token_encode(t, o200k),
            );
            pair(
                c,
                &format!("{format}/decode"),
                size,
                n,
                wire.as_str(),
                r::token_decode,
                u::token_decode,
            );
        }

        let wire = r::brotli_encode(json);
        pair(
            c,
            "brotli/encode",
            size,
            n,
            json,
            r::brotli_encode,
            u::brotli_encode,
        );
        pair(
            c,
            "brotli/decode",
            size,
            n,
            wire.as_str(),
            r::brotli_decode,
            u::brotli_decode,
        );

        let sealed = r::hmac_seal(json, &HMAC_KEY);
        pair(
            c,
            "frame-hmac/seal",
            size,
            n,
            json,
            |j| r::hmac_seal(j, &HMAC_KEY),
            |j| u::hmac_seal(j, &HMAC_KEY),
        );
        pair(
            c,
            "frame-hmac/open",
            size,
            n,
            &sealed[..],
            |b| r::hmac_open(b, &HMAC_KEY),
            |b| u::hmac_open(b, &HMAC_KEY),
        );

        // AEAD: the reference seals with the injected nonce, upstream with a fresh random one,
        // so sealed frames differ in nonce, ciphertext and tag; the check is that each opens
        // the other's frame, and that both have the same length and the same clear headers.
        let ours = r::aead_seal(json, &AEAD_KEY, AEAD_NONCE);
        let theirs = u::aead_seal(json, &AEAD_KEY);
        assert_eq!(u::aead_open(&ours, &AEAD_KEY), json);
        assert_eq!(r::aead_open(&theirs, &AEAD_KEY), json);
        assert_eq!(ours.len(), theirs.len());
        let headers = 7 + usize::from(u16::from_le_bytes([ours[7], ours[8]]));
        assert_eq!(ours[..headers], theirs[..headers]);
        let mut g = group(c, "frame-aead/seal", size, n);
        g.bench_function("reference", |b| {
            b.iter(|| r::aead_seal(black_box(json), &AEAD_KEY, AEAD_NONCE))
        });
        g.bench_function("upstream", |b| {
            b.iter(|| u::aead_seal(black_box(json), &AEAD_KEY))
        });
        g.finish();
        pair(
            c,
            "frame-aead/open",
            size,
            n,
            &ours[..],
            |b| r::aead_open(b, &AEAD_KEY),
            |b| u::aead_open(b, &AEAD_KEY),
        );
    }
}

fn brotli_raw(c: &mut Criterion) {
    for p in common::payloads() {
        let (data, size, n) = (p.text.as_bytes(), p.label, p.text.len());
        for (op, params) in [("q5", raw::FRAME), ("q11", raw::TEXT)] {
            let stream = raw::compress8(data, params);
            assert_eq!(
                stream,
                raw::compress7(data, params),
                "brotli 7 and 8 differ"
            );
            let mut g = group(c, &format!("brotli-raw/compress-{op}"), size, n);
            g.bench_function("brotli8", |b| {
                b.iter(|| raw::compress8(black_box(data), params))
            });
            g.bench_function("brotli7", |b| {
                b.iter(|| raw::compress7(black_box(data), params))
            });
            g.finish();
            let mut g = group(c, &format!("brotli-raw/decompress-{op}"), size, n);
            g.bench_function("brotli8", |b| {
                b.iter(|| raw::decompress8(black_box(&stream)))
            });
            g.bench_function("brotli7", |b| {
                b.iter(|| raw::decompress7(black_box(&stream)))
            });
            g.finish();
        }
    }
}

fn scanner(c: &mut Criterion) {
    r::warm_up();
    u::warm_up();
    let mut inputs = common::payloads();
    inputs.push(common::adversarial());
    for p in &inputs {
        let (text, size, n) = (p.text.as_str(), p.label, p.text.len());
        pair(c, "scan/text", size, n, text, r::scan_text, u::scan_text);
        pair(c, "scan/quick", size, n, text, r::scan_quick, u::scan_quick);
    }
}

fn session(c: &mut Criterion) {
    let p = common::session_payload();
    let content = p.text.as_str();
    let count = common::SESSION_DATA_MESSAGES;
    let (ours, theirs) = (
        r::session(content, count, true),
        u::session(content, count, true),
    );
    assert_eq!(ours, theirs, "session transcripts differ");
    let mut g = group(
        c,
        "session/handshake-100-data",
        p.label,
        content.len() * count,
    );
    g.bench_function("reference", |b| {
        b.iter(|| r::session(black_box(content), count, false).0)
    });
    g.bench_function("upstream", |b| {
        b.iter(|| u::session(black_box(content), count, false).0)
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = codecs, brotli_raw, scanner, session
}
criterion_main!(benches);
