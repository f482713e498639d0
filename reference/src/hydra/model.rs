//! Hydra weights and the forward pass (spec `hydra`, [HYDRA-LOAD-*], [HYDRA-FWD-*]).
//!
//! Weights are plain binary32 matrices stored row-major as `[out, in]` (PyTorch layout); a
//! linear layer computes `y = W·x (+ b)`. The maths is written out in plain loops, with
//! several accumulators in the dot product so it stays fast without a BLAS.

use safetensors::{Dtype, SafeTensors};

use crate::ErrorClass;

/// Number of MoE layers. [HYDRA-LOAD-003]
pub const NUM_LAYERS: usize = 4;
/// Experts per layer. [HYDRA-LOAD-003]
pub const NUM_EXPERTS: usize = 4;
/// Experts used per layer. [HYDRA-FWD-003]
pub const TOP_K: usize = 2;
/// Output classes of the compression head: NONE, BPE, BROTLI, ZLIB. [HYDRA-HEAD-001]
pub const COMPRESSION_CLASSES: usize = 4;
/// Output classes of the security head: SAFE, UNSAFE. [HYDRA-HEAD-003]
pub const SECURITY_CLASSES: usize = 2;
/// Highest `net.{i}` index probed for an expert's linear layers (0..=9). [HYDRA-LOAD-004]
pub const MAX_EXPERT_INDEX: usize = 9;
/// LayerNorm epsilon. [HYDRA-FWD-005]
pub const LAYER_NORM_EPS: f32 = 1e-5;

/// Why a model file was refused. [HYDRA-LOAD-005] [HYDRA-LOAD-006]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The bytes are not a safetensors file.
    #[error("not a safetensors file: {0}")]
    Invalid(String),
    /// A required tensor is absent (or an expert has no linear layer).
    #[error("missing tensor `{0}`")]
    Missing(String),
    /// A tensor has a shape other than the one required.
    #[error("tensor `{name}` has shape {got:?}, expected {want}")]
    Shape {
        /// Tensor name.
        name: String,
        /// Shape found.
        got: Vec<usize>,
        /// Shape required, in words.
        want: String,
    },
    /// A tensor's dtype is not F32.
    #[error("tensor `{name}` has dtype {dtype}, expected F32")]
    Dtype {
        /// Tensor name.
        name: String,
        /// Dtype found.
        dtype: String,
    },
}

impl ErrorClass for ModelError {
    fn class(&self) -> &'static str {
        match self {
            ModelError::Invalid(_) => "model_invalid",
            ModelError::Missing(_) => "model_tensor_missing",
            ModelError::Shape { .. } => "model_tensor_shape",
            ModelError::Dtype { .. } => "model_tensor_dtype",
        }
    }
}

/// A dense layer `y = W·x (+ b)` with `W` of shape `[rows, cols]`.
#[derive(Debug, Clone)]
pub struct Linear {
    /// Output size.
    pub rows: usize,
    /// Input size.
    pub cols: usize,
    /// Row-major weights, `rows * cols` values.
    pub weight: Vec<f32>,
    /// Optional bias of `rows` values.
    pub bias: Option<Vec<f32>>,
}

/// Dot product with eight independent accumulators (lets the compiler use SIMD lanes).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (ca, cb) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

impl Linear {
    /// `W·x (+ b)`. [HYDRA-FWD-001]
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let mut y: Vec<f32> = self
            .weight
            .chunks_exact(self.cols)
            .map(|row| dot(row, x))
            .collect();
        if let Some(b) = &self.bias {
            for (v, bi) in y.iter_mut().zip(b) {
                *v += bi;
            }
        }
        y
    }
}

/// SiLU, `x·σ(x)`. [HYDRA-FWD-004]
pub fn silu(x: f32) -> f32 {
    x * (1.0 / (1.0 + (-x).exp()))
}

/// Softmax with the maximum subtracted first. [HYDRA-FWD-002]
pub fn softmax(x: &[f32]) -> Vec<f32> {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = x.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

/// One expert: linear layers with SiLU between them (none after the last). [HYDRA-FWD-004]
#[derive(Debug, Clone)]
pub struct Expert {
    /// The layers, in ascending `net.{i}` order.
    pub layers: Vec<Linear>,
}

impl Expert {
    /// Run the expert.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let mut h = x.to_vec();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if i + 1 < self.layers.len() {
                h.iter_mut().for_each(|v| *v = silu(*v));
            }
        }
        h
    }
}

/// One mixture-of-experts layer: a gate and [`NUM_EXPERTS`] experts.
#[derive(Debug, Clone)]
pub struct MoeLayer {
    /// Gate, `[NUM_EXPERTS, H]` with an optional bias.
    pub gate: Linear,
    /// The experts.
    pub experts: Vec<Expert>,
}

/// The two experts with the highest gate probability, highest first; on equal probabilities
/// the lower index comes first. [HYDRA-FWD-003]
pub fn top_k(probs: &[f32]) -> Vec<(usize, f32)> {
    let mut ranked: Vec<(usize, f32)> = probs.iter().copied().enumerate().collect();
    // A stable sort, so equal probabilities keep index order.
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    ranked.truncate(TOP_K);
    ranked
}

impl MoeLayer {
    /// `h + Σ w_k · expert_k(h)` over the top-2 experts, weights renormalised to sum 1.
    /// [HYDRA-FWD-002] [HYDRA-FWD-003]
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let probs = softmax(&self.gate.forward(x));
        let chosen = top_k(&probs);
        let total: f32 = chosen.iter().map(|(_, p)| p).sum();
        let mut out = vec![0.0f32; x.len()];
        for (idx, p) in chosen {
            let w = p / total;
            for (o, e) in out.iter_mut().zip(self.experts[idx].forward(x)) {
                *o += e * w;
            }
        }
        for (o, xi) in out.iter_mut().zip(x) {
            *o += xi;
        }
        out
    }
}

/// Probabilities of both heads for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadOutputs {
    /// Compression head logits `[NONE, BPE, BROTLI, ZLIB]`.
    pub compression_logits: Vec<f32>,
    /// Softmax of the compression logits.
    pub compression: Vec<f32>,
    /// Security head logits `[SAFE, UNSAFE]`.
    pub security_logits: Vec<f32>,
    /// Softmax of the security logits.
    pub security: Vec<f32>,
}

/// A loaded Hydra model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Vocabulary size V (rows of `embed.weight`).
    pub vocab: usize,
    /// Hidden size H.
    pub hidden: usize,
    /// Embeddings, `V * H` values.
    pub embed: Vec<f32>,
    /// The MoE layers.
    pub layers: Vec<MoeLayer>,
    /// LayerNorm scale.
    pub norm_weight: Vec<f32>,
    /// LayerNorm shift.
    pub norm_bias: Vec<f32>,
    /// Semantic head `[H, H]`.
    pub semantic_head: Linear,
    /// Compression head `[4, H]`.
    pub compression_head: Linear,
    /// Security head `[2, H]`.
    pub security_head: Linear,
}

struct Reader<'a> {
    st: SafeTensors<'a>,
}

impl Reader<'_> {
    fn has(&self, name: &str) -> bool {
        self.st.tensor(name).is_ok()
    }

    /// A required F32 tensor of exactly `shape` (use `usize::MAX` for "any size").
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        let view = self
            .st
            .tensor(name)
            .map_err(|_| ModelError::Missing(name.to_owned()))?;
        if view.dtype() != Dtype::F32 {
            return Err(ModelError::Dtype {
                name: name.to_owned(),
                dtype: format!("{:?}", view.dtype()),
            });
        }
        let got = view.shape().to_vec();
        let fits = got.len() == shape.len()
            && got
                .iter()
                .zip(shape)
                .all(|(g, w)| (*w == usize::MAX && *g > 0) || g == w);
        if !fits {
            let want: Vec<String> = shape
                .iter()
                .map(|w| {
                    if *w == usize::MAX {
                        "N".to_owned()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            return Err(ModelError::Shape {
                name: name.to_owned(),
                got,
                want: format!("[{}]", want.join(", ")),
            });
        }
        let data = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok((got, data))
    }

    fn linear(&self, name: &str, rows: usize, cols: usize) -> Result<Linear, ModelError> {
        let (shape, weight) = self.tensor(name, &[rows, cols])?;
        Ok(Linear {
            rows: shape[0],
            cols: shape[1],
            weight,
            bias: None,
        })
    }
}

impl Model {
    /// Load a model from the bytes of a safetensors file. Every required tensor must be
    /// present, F32, and of its required shape; anything else is a typed error, never a silent
    /// misread. Tensors not listed are ignored, and so are biases other than the gates'.
    /// [HYDRA-LOAD-001] .. [HYDRA-LOAD-006]
    pub fn from_safetensors(bytes: &[u8]) -> Result<Model, ModelError> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| ModelError::Invalid(e.to_string()))?;
        let r = Reader { st };
        let any = usize::MAX;
        let (shape, embed) = r.tensor("embed.weight", &[any, any])?;
        let (vocab, hidden) = (shape[0], shape[1]);
        let mut layers = Vec::with_capacity(NUM_LAYERS);
        for l in 0..NUM_LAYERS {
            let mut gate = r.linear(&format!("layers.{l}.gate.weight"), NUM_EXPERTS, hidden)?;
            let bias_name = format!("layers.{l}.gate.bias");
            if r.has(&bias_name) {
                gate.bias = Some(r.tensor(&bias_name, &[NUM_EXPERTS])?.1);
            }
            let mut experts = Vec::with_capacity(NUM_EXPERTS);
            for e in 0..NUM_EXPERTS {
                let prefix = format!("layers.{l}.experts.{e}.net");
                let present: Vec<usize> = (0..=MAX_EXPERT_INDEX)
                    .filter(|i| r.has(&format!("{prefix}.{i}.weight")))
                    .collect();
                if present.is_empty() {
                    return Err(ModelError::Missing(format!("{prefix}.0.weight")));
                }
                let mut layers_e = Vec::with_capacity(present.len());
                let mut input = hidden;
                for (k, i) in present.iter().enumerate() {
                    let name = format!("{prefix}.{i}.weight");
                    let out = if k + 1 == present.len() { hidden } else { any };
                    let lin = r.linear(&name, out, input)?;
                    input = lin.rows;
                    layers_e.push(lin);
                }
                experts.push(Expert { layers: layers_e });
            }
            layers.push(MoeLayer { gate, experts });
        }
        let norm_weight = r.tensor("norm.weight", &[hidden])?.1;
        let norm_bias = r.tensor("norm.bias", &[hidden])?.1;
        Ok(Model {
            vocab,
            hidden,
            embed,
            layers,
            norm_weight,
            norm_bias,
            semantic_head: r.linear("semantic_head.weight", hidden, hidden)?,
            compression_head: r.linear("compression_head.weight", COMPRESSION_CLASSES, hidden)?,
            security_head: r.linear("security_head.weight", SECURITY_CLASSES, hidden)?,
        })
    }

    /// Mean of the embedding rows of `ids` (each id clamped to V-1), then the MoE layers,
    /// LayerNorm and the semantic head. `ids` must not be empty.
    /// [HYDRA-FWD-001] .. [HYDRA-FWD-006]
    pub fn encode(&self, ids: &[u32]) -> Vec<f32> {
        let h = self.hidden;
        let mut pooled = vec![0.0f32; h];
        for &id in ids {
            let row = (id as usize).min(self.vocab - 1);
            for (p, e) in pooled.iter_mut().zip(&self.embed[row * h..(row + 1) * h]) {
                *p += e;
            }
        }
        let n = ids.len().max(1) as f32;
        pooled.iter_mut().for_each(|p| *p /= n);
        let mut x = pooled;
        for layer in &self.layers {
            x = layer.forward(&x);
        }
        let x = layer_norm(&x, &self.norm_weight, &self.norm_bias);
        self.semantic_head.forward(&x)
    }

    /// Logits and probabilities of both heads for a token list. [HYDRA-HEAD-001] [HYDRA-HEAD-003]
    pub fn heads(&self, ids: &[u32]) -> HeadOutputs {
        let z = self.encode(ids);
        let compression_logits = self.compression_head.forward(&z);
        let security_logits = self.security_head.forward(&z);
        HeadOutputs {
            compression: softmax(&compression_logits),
            security: softmax(&security_logits),
            compression_logits,
            security_logits,
        }
    }
}

/// LayerNorm with the population variance and epsilon [`LAYER_NORM_EPS`]. [HYDRA-FWD-005]
pub fn layer_norm(x: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    let n = x.len() as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let std = (var + LAYER_NORM_EPS).sqrt();
    x.iter()
        .zip(weight.iter().zip(bias))
        .map(|(v, (w, b))| (v - mean) / std * w + b)
        .collect()
}
