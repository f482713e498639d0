//! `cargo run --release --manifest-path reports/tools/brotli-c-identity/Cargo.toml`
//!
//! Compares two encoders at the M2M v1 frame payload's settings (quality 5, window 22):
//!
//! - `m2m_brotli_enc::compress_raw`, the reference's encoder (the brotli crate, as upstream
//!   0.4.0 uses it, with the reference's table pool);
//! - Google's C library 1.1.0 through `brotlic`, with the same streaming call (write everything,
//!   then finish).
//!
//! Inputs: every file under `vectors/`, `spec/` and `reference/src/` (up to 8 MiB each), then
//! 3,000 generated inputs from a fixed seed (random bytes, JSON-like word soup, runs of a few
//! letters, mostly-words text; sizes up to 256 B, 4 KiB, 70 KB and 2 MiB in turn). It prints how
//! many outputs are identical, the smallest input on which they differ, and the time per
//! encode of the four benchmark payloads (median of 7 interleaved rounds).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const QUALITY: u8 = 5;
const LGWIN: u8 = 22;

fn c_encode(data: &[u8]) -> Vec<u8> {
    use brotlic::{BrotliEncoderOptions, CompressorWriter, Quality, WindowSize};
    let encoder = BrotliEncoderOptions::new()
        .quality(Quality::new(QUALITY).expect("quality 5 is valid"))
        .window_size(WindowSize::new(LGWIN).expect("window 22 is valid"))
        .build()
        .expect("the C encoder accepts these options");
    let mut writer = CompressorWriter::with_encoder(encoder, Vec::new());
    writer
        .write_all(data)
        .expect("writing to a Vec never fails");
    writer
        .into_inner()
        .expect("finishing into a Vec never fails")
}

fn reference_encode(data: &[u8]) -> Vec<u8> {
    m2m_brotli_enc::compress_raw(data, QUALITY.into(), LGWIN.into())
}

/// xorshift64: a fixed, dependency-free sequence.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn generated(rng: &mut Rng, i: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "of",
        "role",
        "content",
        "user",
        "assistant",
        "system",
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "model",
        "gpt-4o",
        "messages",
        "temperature",
        "0.7",
        "stream",
        "true",
        "null",
        "\\n",
        "\\u00e9",
        "é",
        "漢字",
        "🙂",
        "max_tokens",
    ];
    let size = match i % 4 {
        0 => rng.below(256),
        1 => rng.below(4096),
        2 => rng.below(70_000),
        _ => rng.below(2 << 20),
    };
    let kind = rng.below(4);
    let mut d = Vec::with_capacity(size + 16);
    while d.len() < size {
        match kind {
            0 => d.push(rng.next() as u8),
            1 => {
                d.extend_from_slice(WORDS[rng.below(WORDS.len() as u64)].as_bytes());
                d.push(b' ');
            }
            2 => {
                let b = b'a' + rng.below(3) as u8;
                let n = rng.below(50);
                d.extend(std::iter::repeat_n(b, n));
            }
            _ => {
                if rng.below(8) == 0 {
                    d.push(rng.next() as u8);
                } else {
                    d.extend_from_slice(WORDS[rng.below(6)].as_bytes());
                }
            }
        }
    }
    d.truncate(size);
    d
}

fn median_us(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let mut paths = Vec::new();
    for dir in ["vectors", "spec", "reference/src"] {
        files(&root.join(dir), &mut paths);
    }
    let mut inputs: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).expect("readable file"))
        .filter(|d| d.len() <= 8 << 20)
        .collect();
    let from_files = inputs.len();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    inputs.extend((0..3000).map(|i| generated(&mut rng, i)));

    let mut differ: Vec<usize> = Vec::new();
    for d in &inputs {
        if reference_encode(d) != c_encode(d) {
            differ.push(d.len());
        }
    }
    let total_mb = inputs.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!(
        "inputs: {} ({from_files} files, 3000 generated; {total_mb:.0} MB)",
        inputs.len()
    );
    println!(
        "identical: {} · different: {} · smallest input that differs: {}",
        inputs.len() - differ.len(),
        differ.len(),
        differ
            .iter()
            .min()
            .map_or("none".into(), |n| format!("{n} bytes"))
    );

    let corpus = root.join("vectors/corpus");
    println!("time per encode (median of 7 interleaved rounds):");
    for name in [
        "simple-question.json",
        "large-2k.json",
        "multiturn-16.json",
        "large-128k.json",
    ] {
        let data = std::fs::read(corpus.join(name)).expect("corpus file");
        let same = reference_encode(&data) == c_encode(&data);
        let n = (400_000 / (data.len() + 2000)).max(20);
        let (mut r, mut c) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            let t = Instant::now();
            for _ in 0..n {
                std::hint::black_box(reference_encode(std::hint::black_box(&data)));
            }
            r.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
            let t = Instant::now();
            for _ in 0..n {
                std::hint::black_box(c_encode(std::hint::black_box(&data)));
            }
            c.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
        }
        let (r, c) = (median_us(r), median_us(c));
        println!(
            "  {name} ({} bytes): reference {r:.1} µs, C {c:.1} µs, C/reference {:.2}, same bytes: {same}",
            data.len(),
            c / r
        );
    }
}
