//! Ops of the Hydra chapter: `hydra.tokenize`, `hydra.classify`, `hydra.logits` (spec `hydra`,
//! `spec/11-hydra.md`; shapes in `spec/ops.yaml`).
//!
//! This is the reference's one file-reading edge: a `model` arg names a safetensors file, read
//! here and handed to the sans-IO [`crate::hydra::Model::from_safetensors`]. A relative path is
//! resolved against the suite root [HYDRA-OP-001]: the working directory when the file exists
//! there, else `$M2M_CONFORMANCE_ROOT`, else the checkout this crate was built from.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::hydra::{self, Model};

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "hydra.tokenize",
        run: tokenize,
    },
    Op {
        name: "hydra.classify",
        run: classify,
    },
    Op {
        name: "hydra.logits",
        run: logits,
    },
];

/// Where a `model` path points. [HYDRA-OP-001]
pub fn resolve_model_path(path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() || p.exists() {
        return p.to_path_buf();
    }
    if let Some(root) = std::env::var_os("M2M_CONFORMANCE_ROOT") {
        let candidate = Path::new(&root).join(p);
        if candidate.exists() {
            return candidate;
        }
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p);
    if built_from.exists() {
        return built_from;
    }
    p.to_path_buf()
}

/// Read and load the model a `model` arg names; `model_unreadable` when the file cannot be
/// read, else the loader's error class. [HYDRA-OP-001] [HYDRA-LOAD-005]
pub fn load_model(path: &str) -> Result<Model, Reply> {
    let resolved = resolve_model_path(path);
    let bytes = std::fs::read(&resolved).map_err(|e| Reply::Error {
        class: "model_unreadable".to_owned(),
        message: format!("cannot read {}: {e}", resolved.display()),
    })?;
    Model::from_safetensors(&bytes).map_err(|e| Reply::from_error(&e))
}

fn optional_model(args: &Args) -> Result<Option<Model>, Reply> {
    if args.has("model") {
        Ok(Some(load_model(args.text("model")?)?))
    } else {
        Ok(None)
    }
}

/// `hydra.tokenize {text}` → `{ids}`. [HYDRA-TOK-001] [HYDRA-TOK-002]
pub fn tokenize(args: &Args) -> Reply {
    run(|| Ok(json!({ "ids": hydra::tokenize(args.text("text")?) })))
}

/// `hydra.classify {text, model?}` → `{source, compression, security}`; without `model` the
/// heuristic fallback answers. [HYDRA-OUT-001] [HYDRA-HEUR-001]
pub fn classify(args: &Args) -> Reply {
    run(|| {
        let text = args.text("text")?;
        let model = optional_model(args)?;
        Ok(hydra::classify(model.as_ref(), text).to_json())
    })
}

/// `hydra.logits {text, model}` → `{compression_logits, security_logits}` (the head outputs
/// before softmax). [HYDRA-OUT-002]
pub fn logits(args: &Args) -> Reply {
    run(|| {
        let text = args.text("text")?;
        let model = load_model(args.text("model")?)?;
        let out = model.heads(&hydra::tokenize(text));
        let widen = |v: &[f32]| v.iter().map(|x| f64::from(*x)).collect::<Vec<f64>>();
        Ok(json!({
            "compression_logits": widen(&out.compression_logits),
            "security_logits": widen(&out.security_logits),
        }))
    })
}
