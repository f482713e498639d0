//! Interleaved A/B timing of the side-by-side pairs, for a machine whose load drifts (shared
//! CI runners, other jobs): criterion measures `reference` and then `upstream` seconds apart,
//! so a load change between the two shows up as a ratio. Here each round times a batch of the
//! reference and a batch of upstream back to back (alternating which goes first) and the
//! reported ratio is the median of the per-round ratios.
//!
//! Run (from `adapters/m2m-protocol-0.4`):
//! `cargo run --release -p m2m-side-by-side --example interleaved [FILTER]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use m2m_side_by_side::common::{self, AEAD_KEY, AEAD_NONCE, HMAC_KEY};
use m2m_side_by_side::{raw, reference as r, upstream as u};

type Job<'a> = Box<dyn Fn() + 'a>;

const ROUNDS: usize = 41;
/// Time of one batch. At 3 ms a quality-11 Brotli encode (about 0.5-1 ms a call on a slow
/// day) got 3 calls per batch, and its ratio moved between 1.01 and 1.15 from run to run.
const BATCH: Duration = Duration::from_millis(10);

fn time(f: &dyn Fn(), n: u32) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median per-call time of each side and median per-round ratio.
fn ab(a: &dyn Fn(), b: &dyn Fn()) -> (f64, f64, f64) {
    let once = time(a, 1).max(time(b, 1)).max(1.0);
    let n = ((BATCH.as_nanos() as f64 / once) as u32).max(1);
    let (_, _) = (time(a, n), time(b, n)); // warm-up
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (x, y) = if round % 2 == 0 {
            let x = time(a, n);
            (x, time(b, n))
        } else {
            let y = time(b, n);
            (time(a, n), y)
        };
        ta.push(x);
        tb.push(y);
        ratios.push(x / y);
    }
    (median(ta), median(tb), median(ratios))
}

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    r::warm_up();
    u::warm_up();
    let payloads = common::payloads();
    let mut scan_inputs = common::payloads();
    scan_inputs.push(common::adversarial());
    let sp = common::session_payload();
    let content = sp.text.as_str();
    let mut jobs: Vec<(String, Job, Job)> = Vec::new();
    for p in &payloads {
        let (j, s) = (p.text.as_str(), p.label);
        let bin = r::frame_encode(j);
        let text = r::frame_encode_text(j);
        let hmac = r::hmac_seal(j, &HMAC_KEY);
        let aead = r::aead_seal(j, &AEAD_KEY, AEAD_NONCE);
        let tk_c = r::token_encode(j, false);
        let tk_o = r::token_encode(j, true);
        let br = r::brotli_encode(j);
        macro_rules! job {
            ($name:expr, $a:expr, $b:expr) => {
                jobs.push((
                    format!("{}/{}", $name, s),
                    Box::new(move || {
                        black_box($a);
                    }),
                    Box::new(move || {
                        black_box($b);
                    }),
                ))
            };
        }
        let (b2, t2, h2, a2) = (bin.clone(), text.clone(), hmac.clone(), aead.clone());
        job!(
            "frame-binary/encode",
            r::frame_encode(black_box(j)),
            u::frame_encode(black_box(j))
        );
        job!(
            "frame-binary/decode",
            r::frame_decode(black_box(&bin)),
            u::frame_decode(black_box(&b2))
        );
        job!(
            "frame-text/encode",
            r::frame_encode_text(black_box(j)),
            u::frame_encode_text(black_box(j))
        );
        job!(
            "frame-text/decode",
            r::frame_decode_text(black_box(&text)),
            u::frame_decode_text(black_box(&t2))
        );
        job!(
            "frame-hmac/seal",
            r::hmac_seal(black_box(j), &HMAC_KEY),
            u::hmac_seal(black_box(j), &HMAC_KEY)
        );
        job!(
            "frame-hmac/open",
            r::hmac_open(black_box(&hmac), &HMAC_KEY),
            u::hmac_open(black_box(&h2), &HMAC_KEY)
        );
        job!(
            "frame-aead/seal",
            r::aead_seal(black_box(j), &AEAD_KEY, AEAD_NONCE),
            u::aead_seal(black_box(j), &AEAD_KEY)
        );
        job!(
            "frame-aead/open",
            r::aead_open(black_box(&aead), &AEAD_KEY),
            u::aead_open(black_box(&a2), &AEAD_KEY)
        );
        let (c2, o2, br2) = (tk_c.clone(), tk_o.clone(), br.clone());
        job!(
            "token-c/encode",
            r::token_encode(black_box(j), false),
            u::token_encode(black_box(j), false)
        );
        job!(
            "token-c/decode",
            r::token_decode(black_box(&tk_c)),
            u::token_decode(black_box(&c2))
        );
        job!(
            "token-o/encode",
            r::token_encode(black_box(j), true),
            u::token_encode(black_box(j), true)
        );
        job!(
            "token-o/decode",
            r::token_decode(black_box(&tk_o)),
            u::token_decode(black_box(&o2))
        );
        job!(
            "brotli/encode",
            r::brotli_encode(black_box(j)),
            u::brotli_encode(black_box(j))
        );
        job!(
            "brotli/decode",
            r::brotli_decode(black_box(&br)),
            u::brotli_decode(black_box(&br2))
        );
        // The bare Brotli calls: brotli 8 (the reference's crate) in the reference column,
        // brotli 7 (upstream's) in the upstream column.
        for (op, params) in [("q5", raw::FRAME), ("q11", raw::TEXT)] {
            job!(
                format!("brotli-raw/compress-{op}"),
                raw::compress8(black_box(j.as_bytes()), params),
                raw::compress7(black_box(j.as_bytes()), params)
            );
        }
    }
    for p in &scan_inputs {
        let (t, s) = (p.text.as_str(), p.label);
        jobs.push((
            format!("scan/text/{s}"),
            Box::new(move || {
                black_box(r::scan_text(black_box(t)));
            }),
            Box::new(move || {
                black_box(u::scan_text(black_box(t)));
            }),
        ));
        jobs.push((
            format!("scan/quick/{s}"),
            Box::new(move || {
                black_box(r::scan_quick(black_box(t)));
            }),
            Box::new(move || {
                black_box(u::scan_quick(black_box(t)));
            }),
        ));
    }
    let n = common::SESSION_DATA_MESSAGES;
    jobs.push((
        "session/handshake-100-data/2k".into(),
        Box::new(move || {
            black_box(r::session(content, n, false).0);
        }),
        Box::new(move || {
            black_box(u::session(content, n, false).0);
        }),
    ));
    println!(
        "{:<32} {:>12} {:>12} {:>9}",
        "benchmark", "reference", "upstream", "ratio"
    );
    for (name, a, b) in &jobs {
        if !name.contains(&filter) {
            continue;
        }
        let (ta, tb, ratio) = ab(a.as_ref(), b.as_ref());
        println!(
            "{name:<32} {:>10.2}µs {:>10.2}µs {ratio:>9.3}",
            ta / 1e3,
            tb / 1e3
        );
    }
}
