//! Model registry, token counting and content analysis ops (spec chapter `models`) on
//! upstream's public API:
//!
//! | op | upstream call |
//! |---|---|
//! | `models.lookup` | `ModelRegistry::new().get(id)` |
//! | `models.list` | `ModelRegistry::iter`, filtered as `m2m models list -p P` does (lower-cased Debug name of the provider contains lower-cased P) |
//! | `models.search` | `ModelRegistry::search` (what `m2m models search` matches) |
//! | `token.count` | `m2m::tokenizer::count_tokens_with_encoding` |
//! | `content.analyze` | `CodecEngine::analyze`, `select_algorithm`, and `compress` per algorithm as `m2m analyze` does |
//!
//! The registry iterates a HashMap, so lists are sorted by id here.

use m2m::codec::{Algorithm, CodecEngine};
use m2m::models::{Encoding, ModelCard, ModelRegistry};
use serde_json::{json, Map, Value};

use crate::scan_hydra_ops::{guarded, text};
use crate::{Op, Reply};

type Args = Map<String, Value>;

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "models.lookup",
        run: lookup,
    },
    Op {
        name: "models.list",
        run: list,
    },
    Op {
        name: "models.search",
        run: search,
    },
    Op {
        name: "token.count",
        run: count,
    },
    Op {
        name: "content.analyze",
        run: analyze,
    },
];

/// A card as the ops answer it.
pub fn card_json(c: &ModelCard) -> Value {
    json!({
        "id": c.id,
        "abbrev": c.abbrev,
        "provider": format!("{:?}", c.provider),
        "encoding": format!("{:?}", c.encoding),
        "context_length": c.context_length,
        "supports_streaming": c.supports_streaming,
        "supports_tools": c.supports_tools,
        "supports_vision": c.supports_vision,
        "pricing": c.pricing.as_ref().map(|p| json!({"prompt": p.prompt, "completion": p.completion})),
    })
}

fn ids(mut cards: Vec<ModelCard>) -> Value {
    cards.sort_by(|a, b| a.id.cmp(&b.id));
    json!({ "ids": cards.iter().map(|c| c.id.clone()).collect::<Vec<_>>() })
}

fn lookup(args: &Args) -> Reply {
    guarded(|| {
        let id = text(args, "id")?;
        match ModelRegistry::new().get(id) {
            Some(c) => Ok(card_json(&c)),
            None => Err(Reply::Error {
                class: "model_not_found".into(),
                message: format!("Model not found: {id}"),
            }),
        }
    })
}

fn list(args: &Args) -> Reply {
    guarded(|| {
        let r = ModelRegistry::new();
        let cards: Vec<ModelCard> = match args.get("provider") {
            None => r.iter().cloned().collect(),
            Some(_) => {
                let p = text(args, "provider")?.to_lowercase();
                r.iter()
                    .filter(|c| format!("{:?}", c.provider).to_lowercase().contains(&p))
                    .cloned()
                    .collect()
            }
        };
        Ok(ids(cards))
    })
}

fn search(args: &Args) -> Reply {
    guarded(|| Ok(ids(ModelRegistry::new().search(text(args, "query")?))))
}

fn count(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let e = match text(args, "encoding")? {
            "Cl100kBase" => Encoding::Cl100kBase,
            "O200kBase" => Encoding::O200kBase,
            "LlamaBpe" => Encoding::LlamaBpe,
            "Heuristic" => Encoding::Heuristic,
            other => return Err(Reply::bad_args(format!("unknown encoding {other}"))),
        };
        Ok(json!({ "count": m2m::tokenizer::count_tokens_with_encoding(t, e) }))
    })
}

fn name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::None => "none",
        Algorithm::TokenNative => "tokennative",
        Algorithm::Brotli => "brotli",
        Algorithm::M2M => "m2m",
    }
}

fn analyze(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let engine = CodecEngine::new();
        let a = engine.analyze(t);
        let mut sizes = Map::new();
        for alg in [Algorithm::M2M, Algorithm::TokenNative, Algorithm::Brotli] {
            if let Ok(r) = engine.compress(t, alg) {
                sizes.insert(name(alg).to_owned(), json!(r.compressed_bytes));
            }
        }
        Ok(json!({
            "length": a.length,
            "is_json": a.is_json,
            "is_llm_api": a.is_llm_api,
            "has_tools": a.has_tools,
            "repetition": f64::from(a.repetition_ratio),
            "estimated_tokens": a.estimated_tokens,
            "recommended": name(engine.select_algorithm(&a)),
            "compressed_bytes": sizes,
        }))
    })
}
