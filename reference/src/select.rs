//! Algorithm selection (spec chapter `selection`, `spec/25-selection.md`): upstream 0.4.0's
//! heuristic `auto` choice and `compress_best`.

use std::collections::HashSet;

use serde_json::Value;

use crate::wire::{self, Algorithm, WireError};

/// Inputs shorter than this many bytes are not compressed. [SELECT-HEUR-001]
pub const MIN_COMPRESS_BYTES: usize = 100;
/// Default Brotli threshold: inputs strictly longer go to Brotli. [SELECT-HEUR-002]
pub const DEFAULT_BROTLI_THRESHOLD: usize = 1024;
/// Repetition ratio above which medium non-API content goes to Brotli. [SELECT-HEUR-004]
pub const REPETITION_THRESHOLD: f32 = 0.3;

/// What the heuristic looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Length in bytes.
    pub length: usize,
    /// The input parses as JSON.
    pub is_json: bool,
    /// The input is a JSON object with a top-level `messages`, `model` or `choices` key.
    /// [SELECT-HEUR-003]
    pub is_llm_api: bool,
    /// 1 − distinct 4-character windows / windows, in binary32; 0 below 100 bytes.
    /// [SELECT-HEUR-005]
    pub repetition_ratio: f32,
}

/// Repetition ratio of `content`. [SELECT-HEUR-005]
pub fn repetition_ratio(content: &str) -> f32 {
    if content.len() < MIN_COMPRESS_BYTES {
        return 0.0;
    }
    let chars: Vec<char> = content.chars().collect();
    let total = chars.len().saturating_sub(3);
    if total == 0 {
        return 0.0;
    }
    let distinct: HashSet<&[char]> = chars.windows(4).collect();
    1.0 - (distinct.len() as f32 / total as f32)
}

/// Analyse `content`. [SELECT-HEUR-003] [SELECT-HEUR-005]
pub fn analyze(content: &str) -> Analysis {
    let parsed: Option<Value> = serde_json::from_str(content).ok();
    let is_llm_api = parsed.as_ref().is_some_and(|v| {
        v.get("messages").is_some() || v.get("model").is_some() || v.get("choices").is_some()
    });
    Analysis {
        length: content.len(),
        is_json: parsed.is_some(),
        is_llm_api,
        repetition_ratio: repetition_ratio(content),
    }
}

/// Options of the heuristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Inputs strictly longer than this go to Brotli. [SELECT-HEUR-002]
    pub brotli_threshold: usize,
    /// Send medium LLM-API JSON as M2M. [SELECT-HEUR-003]
    pub prefer_m2m_for_api: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            brotli_threshold: DEFAULT_BROTLI_THRESHOLD,
            prefer_m2m_for_api: true,
        }
    }
}

/// The heuristic choice, rules in order. [SELECT-HEUR-001] to [SELECT-HEUR-006]
pub fn select(content: &str, options: Options) -> Algorithm {
    let a = analyze(content);
    if a.length < MIN_COMPRESS_BYTES {
        Algorithm::None
    } else if a.length > options.brotli_threshold {
        Algorithm::Brotli
    } else if a.is_llm_api && options.prefer_m2m_for_api {
        Algorithm::M2m
    } else if a.repetition_ratio > REPETITION_THRESHOLD {
        Algorithm::Brotli
    } else if a.is_json {
        Algorithm::M2m
    } else {
        Algorithm::None
    }
}

/// `auto`: select, then compress. [SELECT-AUTO-001]
pub fn compress_auto(content: &str, options: Options) -> Result<(Algorithm, String), WireError> {
    let algorithm = select(content, options);
    wire::compress(content, algorithm).map(|w| (algorithm, w))
}

/// Try M2M, TokenNative (cl100k) and Brotli, keep the shortest wire string; on a tie the
/// earlier one; an algorithm that fails (M2M on non-JSON) is skipped. [SELECT-BEST-001]
/// [SELECT-BEST-002]
pub fn compress_best(content: &str) -> (Algorithm, String) {
    let mut best: Option<(Algorithm, String)> = None;
    for algorithm in [Algorithm::M2m, Algorithm::TokenNative, Algorithm::Brotli] {
        if let Ok(w) = wire::compress(content, algorithm) {
            if best.as_ref().is_none_or(|(_, b)| w.len() < b.len()) {
                best = Some((algorithm, w));
            }
        }
    }
    // TokenNative and Brotli never fail, so `best` is always set.
    best.unwrap_or((Algorithm::None, content.to_owned()))
}
