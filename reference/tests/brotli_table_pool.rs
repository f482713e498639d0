//! The Brotli encoder's pooled tables change no output byte (issues 21 and 22):
//! `m2m_reference::wire::brotli::compress_raw`, whose pooled tables are overwritten with
//! pseudo-random words before the call that takes them, against the brotli crate's standard
//! encoder with fresh zero-filled tables (what the reference used before, proven identical to
//! upstream by the side-by-side tests), at the frame payload's quality 5 (the match-hash table)
//! and the text format's quality 11 (the hasher's buckets and binary-tree forest), both at
//! window 22.

use m2m_reference::wire::brotli::{compress_raw, table_pool, TEXT_LGWIN, TEXT_QUALITY};
use m2m_reference::wire::frame::{PAYLOAD_LGWIN, PAYLOAD_QUALITY};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The pool is one per process and the test harness runs these tests on parallel threads. The
/// tests that encode share this lock; the one that counts what sits in the pool takes it alone,
/// or another thread could take the table it just gave back before it looks (CI saw that).
static POOL_USERS: RwLock<()> = RwLock::new(());

fn encoding() -> RwLockReadGuard<'static, ()> {
    POOL_USERS.read().unwrap_or_else(|e| e.into_inner())
}

fn counting() -> RwLockWriteGuard<'static, ()> {
    POOL_USERS.write().unwrap_or_else(|e| e.into_inner())
}

/// The two parameter sets that use the pool: (quality, window).
const FRAME: (u32, u32) = (PAYLOAD_QUALITY, PAYLOAD_LGWIN);
const TEXT: (u32, u32) = (TEXT_QUALITY, TEXT_LGWIN);

/// The oracle: brotli's own writer with its standard (zero-filling) allocator.
fn fresh(data: &[u8], quality: u32, lgwin: u32) -> Vec<u8> {
    m2m_brotli_enc::compress_unpooled(data, quality, lgwin)
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

fn check(data: &[u8], seed: u64, (quality, lgwin): (u32, u32)) {
    table_pool::scramble(seed, &table_pool::pooled_lens(quality, lgwin, data.len()));
    let got = compress_raw(data, quality, lgwin);
    let want = fresh(data, quality, lgwin);
    assert!(
        got == want,
        "pooled encoder differs from a fresh one on {} bytes at quality {quality} (seed {seed})",
        data.len()
    );
}

#[test]
fn which_encodes_use_the_pool() {
    let _alone = counting();
    let (q, w) = FRAME;
    assert_eq!(
        table_pool::pooled_lens(q, w, 10 << 20),
        [table_pool::BUCKETS_LEN]
    );
    let (q, w) = TEXT;
    let forest = 2 << TEXT_LGWIN;
    let h10 = [table_pool::H10_BUCKETS_LEN, forest];
    assert_eq!(table_pool::pooled_lens(q, w, 0), h10);
    let max = table_pool::FOREST_INPUT_MAX;
    assert_eq!(table_pool::pooled_lens(q, w, max), h10);
    assert!(table_pool::pooled_lens(q, w, max + 1).is_empty());
    assert!(table_pool::pooled_lens(9, 22, 100).is_empty());
    // After one encode of each kind its table went back to the pool: the next calls reuse it
    // (and so the other tests below do exercise stale tables).
    compress_raw(b"{\"a\":1}", FRAME.0, FRAME.1);
    compress_raw(b"{\"a\":1}", TEXT.0, TEXT.1);
    assert!(table_pool::pooled(table_pool::BUCKETS_LEN) >= 1);
    assert!(table_pool::pooled(table_pool::H10_BUCKETS_LEN) >= 1);
    assert!(table_pool::pooled(forest) >= 1);
}

/// Encode `count` inputs of up to `max_len` bytes for each (count, max_len) with pooled,
/// scrambled tables; all but a few of the tables these calls pool (another test thread may hold
/// one at that moment) must really have come from the pool.
fn random_inputs(params: (u32, u32), seed: u64, sizes: &[(usize, usize)]) {
    let _shared = encoding();
    let mut rng = Rng(seed);
    let reuses = table_pool::reuses();
    let mut pooled = 0;
    for &(count, max_len) in sizes {
        for _ in 0..count {
            let data = input(&mut rng, max_len);
            check(&data, rng.next(), params);
            pooled += table_pool::pooled_lens(params.0, params.1, data.len()).len() as u64;
        }
    }
    let reused = table_pool::reuses() - reuses;
    assert!(
        reused * 10 >= pooled * 9,
        "only {reused} of {pooled} pooled tables came from the pool"
    );
}

#[test]
fn random_match_hash_tables_change_no_byte() {
    // Mostly frame-sized inputs, some beyond the encoder's 64 KiB input block and ring buffer
    // steps.
    random_inputs(
        FRAME,
        0x5eed_0001,
        &[(1500, 300), (1000, 4096), (150, 70_000), (12, 600_000)],
    );
}

#[test]
fn random_forests_change_no_byte() {
    // Up to the largest input that takes a pooled forest (beyond one 64 KiB input block).
    random_inputs(
        TEXT,
        0x5eed_0011,
        &[
            (600, 300),
            (250, 4096),
            (25, 70_000),
            (4, table_pool::FOREST_INPUT_MAX),
        ],
    );
}

#[test]
fn vector_and_bench_files_change_no_byte() {
    let _shared = encoding();
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
                    check(&bytes, seen as u64 + 7, FRAME);
                    // Quality 11 is slow: whole files up to 16 KiB here, longer random
                    // inputs up to the pool's bound in `random_forests_change_no_byte`.
                    if bytes.len() <= 16 * 1024 {
                        check(&bytes, seen as u64 + 8, TEXT);
                    }
                    // Each line alone: the short payloads frames and texts really carry.
                    for line in bytes.split(|&b| b == b'\n').take(200) {
                        check(line, line.len() as u64 + 11, FRAME);
                    }
                    for line in bytes.split(|&b| b == b'\n').take(5) {
                        check(line, line.len() as u64 + 12, TEXT);
                    }
                    seen += 1;
                }
            }
        }
    }
    assert!(seen > 20, "only {seen} files found");
}
