//! The rule-based answers used when no model is loaded (spec `hydra`, [HYDRA-HEUR-*]), and the
//! keyword rule that names the threat type of a model's unsafe verdict [HYDRA-HEAD-005].

use std::collections::HashSet;

use super::{Algorithm, ThreatType};

/// Fallback compression probabilities, in head order `[none, token-native (BPE), brotli,
/// m2m (ZLIB slot)]`, set by the first rule that applies. [HYDRA-HEUR-001]
pub fn compression_probs(text: &str) -> [f32; 4] {
    let len = text.len();
    let t = text.trim_start();
    let is_json = t.starts_with('{') || t.starts_with('[');
    let is_llm_api = text.contains("messages") && text.contains("role");
    // [none, token_native, brotli, m2m]
    if is_llm_api {
        if len < 2048 {
            [0.0, 0.1, 0.05, 0.85]
        } else {
            [0.0, 0.1, 0.6, 0.3]
        }
    } else if len < 100 || len / 4 < 25 {
        [0.9, 0.0, 0.0, 0.1]
    } else if len > 1024 && repetition(text) > 0.3 {
        [0.0, 0.05, 0.8, 0.15]
    } else if is_json && len > 200 && len < 1024 {
        [0.0, 0.35, 0.15, 0.5]
    } else if is_json && len >= 1024 {
        [0.0, 0.15, 0.6, 0.25]
    } else {
        [0.2, 0.3, 0.0, 0.5]
    }
}

/// The fallback's choice: start from none and take m2m, then token-native, then brotli only
/// when strictly more probable than the current choice. [HYDRA-HEUR-002]
pub fn best(probs: &[f32; 4]) -> (Algorithm, f32) {
    let mut best = (Algorithm::None, probs[0]);
    for (alg, p) in [
        (Algorithm::M2m, probs[3]),
        (Algorithm::TokenNative, probs[1]),
        (Algorithm::Brotli, probs[2]),
    ] {
        if p > best.1 {
            best = (alg, p);
        }
    }
    best
}

/// Share of repeated character 4-grams: `1 - distinct / windows`, over Unicode scalar values;
/// 0 for texts under 100 bytes. Computed in binary32. [HYDRA-HEUR-001]
pub fn repetition(text: &str) -> f32 {
    if text.len() < 100 {
        return 0.0;
    }
    let chars: Vec<char> = text.chars().collect();
    let total = chars.len().saturating_sub(3);
    if total == 0 {
        return 0.0;
    }
    let distinct: HashSet<&[char]> = chars.windows(4).collect();
    1.0 - (distinct.len() as f32 / total as f32)
}

const INJECTION: &[&str] = &[
    "ignore previous",
    "ignore all previous",
    "disregard previous",
    "forget your instructions",
    "new instructions",
    "you are now",
    "act as if",
    "pretend you are",
    "system:",
    "[system]",
    "```system",
];
const JAILBREAK: &[&str] = &[
    "dan mode",
    "developer mode",
    "jailbreak",
    "bypass",
    "unrestricted mode",
    "no restrictions",
    "evil mode",
];

/// Fallback security verdict `(safe, confidence, threat)`: keyword lists on the lower-cased
/// text, first match wins. [HYDRA-HEUR-003]
pub fn security(text: &str) -> (bool, f32, Option<ThreatType>) {
    let lower = text.to_lowercase();
    if INJECTION.iter().any(|k| lower.contains(k)) {
        return (false, 0.85, Some(ThreatType::PromptInjection));
    }
    if JAILBREAK.iter().any(|k| lower.contains(k)) {
        return (false, 0.8, Some(ThreatType::Jailbreak));
    }
    if text.contains("\\u0000") || text.contains('\0') {
        return (false, 0.9, Some(ThreatType::Malformed));
    }
    (true, 0.95, None)
}

/// Threat type of an unsafe model verdict, from keywords on the lower-cased text.
/// [HYDRA-HEAD-005]
pub fn threat_type(text: &str) -> ThreatType {
    let lower = text.to_lowercase();
    let has = |keys: &[&str]| keys.iter().any(|k| lower.contains(k));
    if has(&[
        "ignore previous",
        "disregard",
        "new instructions",
        "system:",
    ]) {
        ThreatType::PromptInjection
    } else if has(&["dan mode", "developer mode", "jailbreak", "bypass"]) {
        ThreatType::Jailbreak
    } else if has(&["env", "password", "secret", "api_key", "/etc/"]) {
        ThreatType::DataExfil
    } else {
        ThreatType::Unknown
    }
}
