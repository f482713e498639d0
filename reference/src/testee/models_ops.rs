//! Ops of the models chapter: `models.lookup`, `models.list`, `models.search`, `token.count`,
//! `content.analyze` (spec `models`, `spec/15-models.md`; shapes in `spec/ops.yaml`).

use serde_json::json;

use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::models::{self, Card};

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

fn ids(cards: Vec<&Card>) -> serde_json::Value {
    json!({ "ids": cards.iter().map(|c| c.id.as_str()).collect::<Vec<_>>() })
}

/// `models.lookup {id}` → CARD or `model_not_found`. [MODELS-REG-003] [MODELS-REG-006]
pub fn lookup(args: &Args) -> Reply {
    run(|| {
        let id = args.text("id")?;
        let card = models::lookup(id).ok_or_else(|| Reply::Error {
            class: "model_not_found".into(),
            message: format!("Model not found: {id}"),
        })?;
        serde_json::to_value(card).map_err(|e| Reply::bad_args(e.to_string()))
    })
}

/// `models.list {provider?}` → `{ids}`. [MODELS-REG-004]
pub fn list(args: &Args) -> Reply {
    run(|| {
        let p = if args.has("provider") {
            Some(args.text("provider")?)
        } else {
            None
        };
        Ok(ids(models::list(p)))
    })
}

/// `models.search {query}` → `{ids}`. [MODELS-REG-005]
pub fn search(args: &Args) -> Reply {
    run(|| Ok(ids(models::search(args.text("query")?))))
}

/// `token.count {text, encoding}` → `{count}`. [MODELS-TOK-001]
pub fn count(args: &Args) -> Reply {
    run(|| {
        let e = args.text("encoding")?;
        let n = models::count_tokens(args.text("text")?, e)
            .ok_or_else(|| Reply::bad_args(format!("unknown encoding {e}")))?;
        Ok(json!({ "count": n }))
    })
}

/// `content.analyze {text}`. [MODELS-ANALYZE-001] [MODELS-ANALYZE-002]
pub fn analyze(args: &Args) -> Reply {
    run(|| Ok(models::analyze(args.text("text")?)))
}
