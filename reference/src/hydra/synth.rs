//! Deterministic, seeded Hydra weight files (spec `hydra`, `models/README.md`), built in memory.
//!
//! The weights come from a SplitMix64 stream (seeded), mapped to uniform values in [-1, 1) and
//! scaled per tensor, so the same call always gives the same bytes. The files use the tensor
//! names and shapes upstream `m2m-protocol` 0.4.0 loads. The `make-hydra-model` binary writes
//! them to disk; the benchmark builds the full-size model here without touching the disk.

use std::collections::BTreeMap;

use safetensors::tensor::TensorView;
use safetensors::Dtype;

/// SplitMix64: a tiny, well-known deterministic generator.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1), exactly representable (24 random bits).
    fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32) / (1u32 << 23) as f32 - 1.0
    }

    fn fill(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform() * scale).collect()
    }
}

/// One tensor to write: dtype, shape, raw little-endian bytes.
pub struct Tensor {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

fn f32_tensor(shape: &[usize], values: &[f32]) -> Tensor {
    Tensor {
        dtype: Dtype::F32,
        shape: shape.to_vec(),
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

/// Tensors by name.
pub type Tensors = BTreeMap<String, Tensor>;

/// How to shape a model.
struct Config {
    vocab: usize,
    hidden: usize,
    seed: u64,
    /// Hidden widths of expert e's inner layers (empty: one H→H layer).
    expert_widths: fn(usize, usize) -> Vec<usize>,
    /// Zero gates (every layer's four experts tie) and tied head rows.
    ties: bool,
    /// Also write biases the loader must ignore.
    ignored_biases: bool,
}

fn heterogeneous(e: usize, h: usize) -> Vec<usize> {
    match e % 4 {
        0 => vec![],
        1 => vec![2 * h],
        2 => vec![h / 2],
        _ => vec![2 * h, h],
    }
}

fn single(_e: usize, _h: usize) -> Vec<usize> {
    vec![]
}

fn build(c: &Config) -> Tensors {
    let mut rng = Rng(c.seed);
    let h = c.hidden;
    let mut t = Tensors::new();
    t.insert(
        "embed.weight".into(),
        f32_tensor(&[c.vocab, h], &rng.fill(c.vocab * h, 1.0)),
    );
    for l in 0..4 {
        let gate_scale = if c.ties { 0.0 } else { 2.0 / (h as f32).sqrt() };
        t.insert(
            format!("layers.{l}.gate.weight"),
            f32_tensor(&[4, h], &rng.fill(4 * h, gate_scale)),
        );
        if l % 2 == 0 && !c.ties {
            t.insert(
                format!("layers.{l}.gate.bias"),
                f32_tensor(&[4], &rng.fill(4, 0.5)),
            );
        }
        for e in 0..4 {
            let mut widths = (c.expert_widths)(e, h);
            widths.push(h);
            let mut input = h;
            for (k, out) in widths.iter().enumerate() {
                let idx = 2 * k; // nn.Sequential with an activation between linears
                let scale = 1.5 / (input as f32).sqrt();
                t.insert(
                    format!("layers.{l}.experts.{e}.net.{idx}.weight"),
                    f32_tensor(&[*out, input], &rng.fill(out * input, scale)),
                );
                if c.ignored_biases {
                    t.insert(
                        format!("layers.{l}.experts.{e}.net.{idx}.bias"),
                        f32_tensor(&[*out], &rng.fill(*out, 1.0)),
                    );
                }
                input = *out;
            }
        }
    }
    let norm_w: Vec<f32> = rng.fill(h, 0.25).iter().map(|v| 1.0 + v).collect();
    t.insert("norm.weight".into(), f32_tensor(&[h], &norm_w));
    t.insert("norm.bias".into(), f32_tensor(&[h], &rng.fill(h, 0.1)));
    let head = 1.0 / (h as f32).sqrt();
    t.insert(
        "semantic_head.weight".into(),
        f32_tensor(&[h, h], &rng.fill(h * h, head)),
    );
    let mut comp = rng.fill(4 * h, 4.0 * head);
    let mut sec = rng.fill(2 * h, 4.0 * head);
    if c.ties {
        // Rows: none = token-native = -brotli, brotli = m2m; safe = unsafe.
        for i in 0..h {
            let r = comp[2 * h + i];
            comp[i] = -r;
            comp[h + i] = -r;
            comp[3 * h + i] = r;
            sec[h + i] = sec[i];
        }
    }
    t.insert("compression_head.weight".into(), f32_tensor(&[4, h], &comp));
    t.insert("security_head.weight".into(), f32_tensor(&[2, h], &sec));
    if c.ignored_biases {
        t.insert(
            "compression_head.bias".into(),
            f32_tensor(&[4], &rng.fill(4, 5.0)),
        );
        t.insert(
            "semantic_head.bias".into(),
            f32_tensor(&[h], &rng.fill(h, 5.0)),
        );
    }
    t
}

/// The safetensors bytes of a tensor set.
pub fn serialize(t: &Tensors) -> Vec<u8> {
    let views: Vec<(String, TensorView<'_>)> = t
        .iter()
        .map(|(name, x)| {
            let view = TensorView::new(x.dtype, x.shape.clone(), &x.bytes)
                .expect("shape and byte length agree");
            (name.clone(), view)
        })
        .collect();
    safetensors::tensor::serialize(views, &None).expect("serializable")
}

/// F16 bits of a value (round toward zero; enough for a wrong-dtype test file).
fn f16_bits(v: f32) -> u16 {
    let b = v.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32 - 127 + 15;
    if exp <= 0 {
        return sign;
    }
    sign | ((exp.min(30) as u16) << 10) | ((b >> 13) & 0x3ff) as u16
}

fn to_f16(t: &Tensor) -> Tensor {
    let bytes = t
        .bytes
        .chunks_exact(4)
        .flat_map(|b| f16_bits(f32::from_le_bytes([b[0], b[1], b[2], b[3]])).to_le_bytes())
        .collect();
    Tensor {
        dtype: Dtype::F16,
        shape: t.shape.clone(),
        bytes,
    }
}

/// A fresh F32 tensor of another shape, in place of `_old`.
fn reshaped(_old: &Tensor, shape: &[usize], rng: &mut Rng) -> Tensor {
    let n: usize = shape.iter().product();
    f32_tensor(shape, &rng.fill(n, 0.5))
}

/// The committed corrupt files: each is the micro model with one defect.
pub fn corrupt_files() -> Vec<(&'static str, Vec<u8>)> {
    let micro = Config {
        vocab: 8,
        hidden: 4,
        seed: 7,
        expert_widths: single,
        ties: false,
        ignored_biases: false,
    };
    let base = build(&micro);
    let mut rng = Rng(99);
    let mut out = Vec::new();
    let valid = serialize(&base);
    out.push(("micro-valid", valid.clone()));
    out.push(("truncated", valid[..valid.len() / 2].to_vec()));
    out.push(("empty", Vec::new()));
    out.push(("not-safetensors", b"this is not a model\n".to_vec()));
    let edit = |f: &mut dyn FnMut(&mut Tensors)| {
        let mut t = build(&micro);
        f(&mut t);
        serialize(&t)
    };
    out.push((
        "missing-norm-bias",
        edit(&mut |t| {
            t.remove("norm.bias");
        }),
    ));
    out.push((
        "missing-security-head",
        edit(&mut |t| {
            t.remove("security_head.weight");
        }),
    ));
    out.push((
        "missing-expert",
        edit(&mut |t| {
            t.remove("layers.1.experts.2.net.0.weight");
        }),
    ));
    out.push((
        "missing-gate",
        edit(&mut |t| {
            t.remove("layers.3.gate.weight");
        }),
    ));
    out.push((
        "embed-3d",
        edit(&mut |t| {
            let e = reshaped(&t["embed.weight"], &[8, 4, 1], &mut rng);
            t.insert("embed.weight".into(), e);
        }),
    ));
    out.push((
        "embed-f16",
        edit(&mut |t| {
            let e = to_f16(&t["embed.weight"]);
            t.insert("embed.weight".into(), e);
        }),
    ));
    out.push((
        "norm-weight-f16",
        edit(&mut |t| {
            let e = to_f16(&t["norm.weight"]);
            t.insert("norm.weight".into(), e);
        }),
    ));
    out.push((
        "gate-3-experts",
        edit(&mut |t| {
            let e = reshaped(&t["layers.0.gate.weight"], &[3, 4], &mut rng);
            t.insert("layers.0.gate.weight".into(), e);
        }),
    ));
    out.push((
        "semantic-head-4x5",
        edit(&mut |t| {
            let e = reshaped(&t["semantic_head.weight"], &[4, 5], &mut rng);
            t.insert("semantic_head.weight".into(), e);
        }),
    ));
    out.push((
        "compression-head-5",
        edit(&mut |t| {
            let e = reshaped(&t["compression_head.weight"], &[5, 4], &mut rng);
            t.insert("compression_head.weight".into(), e);
        }),
    ));
    out.push((
        "security-head-1",
        edit(&mut |t| {
            let e = reshaped(&t["security_head.weight"], &[1, 4], &mut rng);
            t.insert("security_head.weight".into(), e);
        }),
    ));
    out.push((
        "expert-chain-mismatch",
        edit(&mut |t| {
            let a = reshaped(&t["layers.2.experts.1.net.0.weight"], &[6, 4], &mut rng);
            let b = reshaped(&t["layers.2.experts.1.net.0.weight"], &[4, 5], &mut rng);
            t.insert("layers.2.experts.1.net.0.weight".into(), a);
            t.insert("layers.2.experts.1.net.2.weight".into(), b);
        }),
    ));
    out.push((
        "norm-bias-5",
        edit(&mut |t| {
            let e = reshaped(&t["norm.bias"], &[5], &mut rng);
            t.insert("norm.bias".into(), e);
        }),
    ));
    out
}

/// The tiny test models: `(file name, bytes)` for `hydra-tiny` (V 260, H 16),
/// `hydra-tiny-v64` (V 64, ids above 63 clamp) and `hydra-tie` (zero gates, tied head rows).
pub fn tiny_models() -> Vec<(&'static str, Vec<u8>)> {
    let cfg = |vocab, seed, ties| Config {
        vocab,
        hidden: 16,
        seed,
        expert_widths: heterogeneous,
        ties,
        ignored_biases: !ties,
    };
    vec![
        (
            "hydra-tiny.safetensors",
            serialize(&build(&cfg(260, 1, false))),
        ),
        (
            "hydra-tiny-v64.safetensors",
            serialize(&build(&cfg(64, 2, false))),
        ),
        (
            "hydra-tie.safetensors",
            serialize(&build(&cfg(260, 3, true))),
        ),
    ]
}

/// The full-size model: V 32000, H 192, 4 layers of 4 heterogeneous experts (about 34 MB).
pub fn full_model(seed: u64) -> Vec<u8> {
    serialize(&build(&Config {
        vocab: 32000,
        hidden: 192,
        seed,
        expert_widths: heterogeneous,
        ties: false,
        ignored_biases: false,
    }))
}
