//! The frame encoder's reused match-hash table changes no output byte (issue 22,
//! FRAME-COMPRESS): `m2m_reference::wire::brotli::compress_raw` at quality 5 / window 22, whose
//! pooled table is overwritten with random words before every call, against the brotli crate's
//! standard encoder with fresh zero-filled tables (what the reference used before, proven
//! identical to upstream by the side-by-side tests).

use std::io::Write as _;

use m2m_reference::wire::brotli::{compress_raw, table_pool};
use m2m_reference::wire::frame::{PAYLOAD_LGWIN, PAYLOAD_QUALITY};

/// The oracle: brotli's own writer with its standard (zero-filling) allocator.
fn fresh(data: &[u8], quality: u32, lgwin: u32) -> Vec<u8> {
    let mut writer = brotli::CompressorWriter::new(Vec::new(), 4096, quality, lgwin);
    writer.write_all(data).unwrap();
    writer.into_inner()
}

/// xorshift64*: a reproducible stream of words.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Text with repeats at random distances (so the hash table is used) over an alphabet of
/// random size, sometimes JSON-like.
fn input(rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let len = rng.below(max_len + 1);
    let alphabet = 1 + rng.below(255);
    let repeat_odds = rng.below(4);
    let mut out: Vec<u8> = Vec::with_capacity(len + 200);
    if rng.below(2) == 0 {
        out.extend_from_slice(
            br#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hello, how are you?"}]}"#,
        );
    }
    while out.len() < len {
        if out.len() > 8 && rng.below(4) < repeat_odds {
            let back = 1 + rng.below(out.len().min(70_000));
            let run = 3 + rng.below(60);
            for _ in 0..run {
                out.push(out[out.len() - back]);
            }
        } else {
            out.push(b' '.wrapping_add(rng.below(alphabet) as u8));
        }
    }
    out
}

fn check(data: &[u8], seed: u64) {
    table_pool::scramble(seed);
    let got = compress_raw(data, PAYLOAD_QUALITY, PAYLOAD_LGWIN);
    let want = fresh(data, PAYLOAD_QUALITY, PAYLOAD_LGWIN);
    assert!(
        got == want,
        "pooled encoder differs from a fresh one on {} bytes (seed {seed})",
        data.len()
    );
}

#[test]
fn the_frame_parameters_use_the_pool() {
    assert!(table_pool::applies(PAYLOAD_QUALITY, PAYLOAD_LGWIN));
    // After one encode the table went back to the pool: the next calls reuse it (and so the
    // other tests below do exercise stale tables).
    compress_raw(b"{\"a\":1}", PAYLOAD_QUALITY, PAYLOAD_LGWIN);
    assert!(table_pool::pooled() >= 1);
    // Quality 11 (the `#M2M[v3.0]` text format) never touches the pool.
    assert!(!table_pool::applies(11, 22));
}

#[test]
fn random_tables_change_no_byte() {
    let mut rng = Rng(0x5eed_0001);
    let reuses = table_pool::reuses();
    let mut calls = 0;
    // Mostly frame-sized inputs, some beyond the encoder's 64 KiB input block and ring buffer
    // steps.
    for (count, max_len) in [(1500, 300), (1000, 4096), (150, 70_000), (12, 600_000)] {
        for _ in 0..count {
            let data = input(&mut rng, max_len);
            check(&data, rng.next());
            calls += 1;
        }
    }
    // The scrambled tables were really used: all but a few calls (another test thread may
    // hold a table at that moment) took theirs from the pool.
    let reused = table_pool::reuses() - reuses;
    assert!(
        reused * 10 >= calls * 9,
        "only {reused} of {calls} encodes reused a table"
    );
}

#[test]
fn vector_and_bench_files_change_no_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen = 0;
    for dir in ["vectors", "reference/benches", "spec"] {
        let mut stack = vec![root.join(dir)];
        while let Some(path) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&path) else {
                continue;
            };
            for entry in entries.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(bytes) = std::fs::read(&p) {
                    check(&bytes, seen as u64 + 7);
                    // Each line alone: the short payloads frames really carry.
                    for line in bytes.split(|&b| b == b'\n').take(200) {
                        check(line, line.len() as u64 + 11);
                    }
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 20, "only {seen} files found");
}
