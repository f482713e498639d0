//! Hydra, the small mixture-of-experts classifier that picks a compression algorithm and
//! judges whether a text is safe (spec chapter `hydra`, `spec/11-hydra.md`).
//!
//! - [`tokenize`]: the byte tokenizer (BOS, byte + 3, EOS; at most 512 ids).
//! - [`model::Model`]: weights from safetensors bytes, strictly checked, and the forward pass
//!   (mean-pooled embeddings, 4 MoE layers, LayerNorm, semantic head, two heads).
//! - [`classify`]: the decisions, from a model or, without one, from [`heuristic`] rules.
//!
//! Sans-IO: the caller reads the model file and passes its bytes.

pub mod heuristic;
pub mod model;
pub mod synth;

use serde_json::{json, Value};

pub use model::{Model, ModelError};

/// Token id of the begin-of-sequence marker. [HYDRA-TOK-001]
pub const BOS: u32 = 2;
/// Token id of the end-of-sequence marker. [HYDRA-TOK-001]
pub const EOS: u32 = 1;
/// Offset added to each byte. [HYDRA-TOK-001]
pub const BYTE_OFFSET: u32 = 3;
/// Longest token list, markers included. [HYDRA-TOK-002]
pub const MAX_TOKENS: usize = 512;

/// `[BOS] + [b + 3 for the first 510 UTF-8 bytes] + [EOS]`. Truncation may cut a character's
/// encoding in two; that is intended. [HYDRA-TOK-001] [HYDRA-TOK-002]
pub fn tokenize(text: &str) -> Vec<u32> {
    let mut ids = Vec::with_capacity(MAX_TOKENS.min(text.len() + 2));
    ids.push(BOS);
    ids.extend(
        text.bytes()
            .take(MAX_TOKENS - 2)
            .map(|b| u32::from(b) + BYTE_OFFSET),
    );
    ids.push(EOS);
    ids
}

/// Compression choices, in the names `wire.compress` uses. [HYDRA-HEAD-002]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// No compression (NONE).
    None,
    /// TokenNative (the BPE class).
    TokenNative,
    /// Brotli (BROTLI).
    Brotli,
    /// The M2M frame (the ZLIB class slot).
    M2m,
}

impl Algorithm {
    /// `none`, `token-native`, `brotli`, `m2m`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::None => "none",
            Algorithm::TokenNative => "token-native",
            Algorithm::Brotli => "brotli",
            Algorithm::M2m => "m2m",
        }
    }
}

/// Threat types of a security verdict. [HYDRA-HEAD-005]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreatType {
    /// `prompt_injection`.
    PromptInjection,
    /// `jailbreak`.
    Jailbreak,
    /// `malformed`.
    Malformed,
    /// `data_exfil`.
    DataExfil,
    /// `unknown`.
    Unknown,
}

impl ThreatType {
    /// Lower snake case name.
    pub fn name(self) -> &'static str {
        match self {
            ThreatType::PromptInjection => "prompt_injection",
            ThreatType::Jailbreak => "jailbreak",
            ThreatType::Malformed => "malformed",
            ThreatType::DataExfil => "data_exfil",
            ThreatType::Unknown => "unknown",
        }
    }
}

/// Both decisions for one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// Whether a model produced it (else the heuristic fallback did).
    pub model: bool,
    /// Compression probabilities `[none, token-native, brotli, m2m]` (head order).
    pub compression_probs: [f32; 4],
    /// The chosen algorithm.
    pub algorithm: Algorithm,
    /// Its probability.
    pub compression_confidence: f32,
    /// `[safe, unsafe]` probabilities (model only).
    pub security_probs: Option<[f32; 2]>,
    /// The security verdict.
    pub safe: bool,
    /// Probability of the verdict (or the fallback's fixed confidence).
    pub security_confidence: f32,
    /// Threat type when unsafe.
    pub threat: Option<ThreatType>,
}

/// Map compression probabilities to a choice: the most probable class, and on equal
/// probabilities the later one in the order none, token-native, brotli, m2m. [HYDRA-HEAD-002]
pub fn choose_algorithm(p: &[f32; 4]) -> (Algorithm, f32) {
    let order = [
        Algorithm::None,
        Algorithm::TokenNative,
        Algorithm::Brotli,
        Algorithm::M2m,
    ];
    let mut best = (order[0], p[0]);
    for (alg, prob) in order.into_iter().zip(p.iter().copied()).skip(1) {
        if prob >= best.1 {
            best = (alg, prob);
        }
    }
    best
}

/// Classify `text` with `model`, or with the heuristic rules when there is none.
/// [HYDRA-HEAD-001] .. [HYDRA-HEAD-005] [HYDRA-HEUR-001] .. [HYDRA-HEUR-003]
pub fn classify(model: Option<&Model>, text: &str) -> Classification {
    let Some(m) = model else {
        let p = heuristic::compression_probs(text);
        let (algorithm, compression_confidence) = heuristic::best(&p);
        let (safe, security_confidence, threat) = heuristic::security(text);
        return Classification {
            model: false,
            compression_probs: p,
            algorithm,
            compression_confidence,
            security_probs: None,
            safe,
            security_confidence,
            threat,
        };
    };
    let out = m.heads(&tokenize(text));
    let p = [
        out.compression[0],
        out.compression[1],
        out.compression[2],
        out.compression[3],
    ];
    let (algorithm, compression_confidence) = choose_algorithm(&p);
    let (p_safe, p_unsafe) = (out.security[0], out.security[1]);
    let safe = p_unsafe <= p_safe;
    Classification {
        model: true,
        compression_probs: p,
        algorithm,
        compression_confidence,
        security_probs: Some([p_safe, p_unsafe]),
        safe,
        security_confidence: if safe { p_safe } else { p_unsafe },
        threat: (!safe).then(|| heuristic::threat_type(text)),
    }
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| f64::from(*x)).collect()
}

impl Classification {
    /// `{source, compression: {probabilities, algorithm, confidence}, security:
    /// {probabilities, safe, confidence, threat}}`; binary32 values widened exactly.
    /// [HYDRA-OUT-001]
    pub fn to_json(&self) -> Value {
        json!({
            "source": if self.model { "model" } else { "heuristic" },
            "compression": {
                "probabilities": widen(&self.compression_probs),
                "algorithm": self.algorithm.name(),
                "confidence": f64::from(self.compression_confidence),
            },
            "security": {
                "probabilities": self.security_probs.map(|p| widen(&p)),
                "safe": self.safe,
                "confidence": f64::from(self.security_confidence),
                "threat": self.threat.map(ThreatType::name),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_frames_and_truncates() {
        assert_eq!(tokenize(""), vec![BOS, EOS]);
        assert_eq!(tokenize("A"), vec![2, 68, 1]);
        let long = tokenize(&"x".repeat(600));
        assert_eq!(long.len(), MAX_TOKENS);
        assert_eq!(long[MAX_TOKENS - 1], EOS);
    }

    #[test]
    fn ties_pick_the_later_algorithm() {
        assert_eq!(choose_algorithm(&[0.25; 4]).0, Algorithm::M2m);
        assert_eq!(heuristic::best(&[0.5, 0.0, 0.0, 0.5]).0, Algorithm::None);
    }
}
