//! The model registry, token counts and content analysis (spec chapter `models`,
//! `spec/15-models.md`).
//!
//! The registry is data: `registry.json`, the 112 embedded cards of upstream 0.4.0 sorted by
//! id (written by `vectors/tools/gen_models_vectors.py` from upstream's own answers), parsed
//! once. Token counts use the TokenNative tokenizers; the analysis uses the selection rule of
//! the http chapter.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::wire::token_native::{self, Tokenizer};

/// One model card. [MODELS-REG-006]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// `provider/name`.
    pub id: String,
    /// Abbreviation (unique).
    pub abbrev: String,
    /// Provider variant name (`OpenAI`, `Meta`, …).
    pub provider: String,
    /// Encoding variant name (`Cl100kBase`, `O200kBase`, `LlamaBpe`, `Heuristic`).
    pub encoding: String,
    /// Context length in tokens.
    pub context_length: u32,
    /// Streaming support (true for every embedded card).
    pub supports_streaming: bool,
    /// Tool support (false for every embedded card).
    pub supports_tools: bool,
    /// Vision support (false for every embedded card).
    pub supports_vision: bool,
    /// Pricing (none for every embedded card).
    pub pricing: Option<Value>,
}

/// The embedded cards, sorted by id. [MODELS-REG-001]
pub fn registry() -> &'static [Card] {
    static CARDS: OnceLock<Vec<Card>> = OnceLock::new();
    CARDS.get_or_init(|| {
        serde_json::from_str(include_str!("registry.json")).expect("registry.json is well-formed")
    })
}

/// The provider of an id, from its prefix. [MODELS-REG-002]
pub fn provider_of(id: &str) -> &'static str {
    let (prefix, name) = id.split_once('/').unwrap_or((id, ""));
    match prefix {
        "openai" => "OpenAI",
        "meta-llama" => "Meta",
        "mistralai" => "Mistral",
        "deepseek" => "DeepSeek",
        "qwen" => "Qwen",
        "nvidia" => "Nvidia",
        "google" if name.starts_with("gemma") => "Google",
        "allenai" => "AllenAI",
        _ => "Other",
    }
}

/// A card by exact id, else by exact abbreviation. [MODELS-REG-003]
pub fn lookup(id_or_abbrev: &str) -> Option<&'static Card> {
    let cards = registry();
    cards
        .iter()
        .find(|c| c.id == id_or_abbrev)
        .or_else(|| cards.iter().find(|c| c.abbrev == id_or_abbrev))
}

/// Cards whose lower-cased provider name contains the lower-cased filter (all without one).
/// [MODELS-REG-004]
pub fn list(provider: Option<&str>) -> Vec<&'static Card> {
    let filter = provider.map(str::to_lowercase);
    registry()
        .iter()
        .filter(|c| {
            filter
                .as_deref()
                .is_none_or(|f| c.provider.to_lowercase().contains(f))
        })
        .collect()
}

/// Cards whose id or abbreviation contains the query, case-insensitively. [MODELS-REG-005]
pub fn search(query: &str) -> Vec<&'static Card> {
    let q = query.to_lowercase();
    registry()
        .iter()
        .filter(|c| c.id.to_lowercase().contains(&q) || c.abbrev.to_lowercase().contains(&q))
        .collect()
}

/// Token count of `text` under an encoding name; `None` for an unknown name. [MODELS-TOK-001]
pub fn count_tokens(text: &str, encoding: &str) -> Option<usize> {
    Some(match encoding {
        "Cl100kBase" | "LlamaBpe" => token_native::count_tokens(text, Tokenizer::Cl100k),
        "O200kBase" => token_native::count_tokens(text, Tokenizer::O200k),
        "Heuristic" => text.len().div_ceil(4),
        _ => return None,
    })
}

/// The analysis of a text. [MODELS-ANALYZE-001] [MODELS-ANALYZE-002]
pub fn analyze(text: &str) -> Value {
    use crate::session::message::Algorithm as A;
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let has = |keys: &[&str]| {
        parsed
            .as_ref()
            .is_some_and(|v| keys.iter().any(|k| v.get(k).is_some()))
    };
    let name = |a: A| match a {
        A::None => "none",
        A::M2m => "m2m",
        A::TokenNative => "tokennative",
        A::Brotli => "brotli",
    };
    let mut sizes = Map::new();
    for alg in [A::M2m, A::TokenNative, A::Brotli] {
        if let Ok(wire) = crate::wire::compress(text, alg.wire()) {
            sizes.insert(name(alg).to_owned(), json!(wire.len()));
        }
    }
    json!({
        "length": text.len(),
        "is_json": parsed.is_some(),
        "is_llm_api": has(&["messages", "model", "choices"]),
        "has_tools": has(&["tools", "tool_calls", "functions"]),
        "repetition": f64::from(crate::hydra::heuristic::repetition(text)),
        "estimated_tokens": text.len() / 4,
        "recommended": name(crate::server::auto_select(text)),
        "compressed_bytes": sizes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_whole_and_consistent() {
        let cards = registry();
        assert_eq!(cards.len(), 112);
        let ids: std::collections::BTreeSet<_> = cards.iter().map(|c| &c.id).collect();
        let abbrevs: std::collections::BTreeSet<_> = cards.iter().map(|c| &c.abbrev).collect();
        assert_eq!((ids.len(), abbrevs.len()), (112, 112));
        for c in cards {
            assert_eq!(c.provider, provider_of(&c.id), "{}", c.id);
        }
        assert_eq!(lookup("og4o").map(|c| c.id.as_str()), Some("openai/gpt-4o"));
        assert!(lookup("gpt-4o").is_none());
    }
}
