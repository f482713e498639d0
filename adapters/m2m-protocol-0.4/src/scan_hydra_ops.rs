//! Scanner and Hydra ops (spec chapters `scanner` and `hydra`) on upstream's public API:
//!
//! | op | upstream call |
//! |---|---|
//! | `scan.text` | `SecurityScanner::{scan, scan_and_validate}` (`with_blocking(t)` for a threshold, `max_scan_size` field) |
//! | `scan.quick` | `SecurityScanner::quick_scan` |
//! | `scan.json` | `SecurityScanner::validate_json` |
//! | `hydra.tokenize` | `HydraByteTokenizer::encode` |
//! | `hydra.classify` | `HydraModel::{load, fallback_only}` then `predict_compression` / `predict_security`; the `[safe, unsafe]` probabilities from `HydraBitNet::predict_security` on the same tokens; a model that does not load is reported with `HydraBitNet::load`'s error |
//!
//! `hydra.logits` has no counterpart (upstream exposes probabilities only). Upstream panics
//! on some malformed models (shape mismatches inside the forward pass); the panic is caught
//! and answered as the error class `upstream_panic`, which is not in the suite's vocabulary.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use m2m::codec::Algorithm;
use m2m::inference::{HydraBitNet, HydraByteTokenizer, HydraModel, HydraTokenizer};
use m2m::security::{ScanResult, SecurityScanner};
use m2m::M2MError;
use serde_json::{json, Map, Value};

use crate::{Op, Reply};

type Args = Map<String, Value>;

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "scan.text",
        run: scan_text,
    },
    Op {
        name: "scan.quick",
        run: scan_quick,
    },
    Op {
        name: "scan.json",
        run: scan_json,
    },
    Op {
        name: "hydra.tokenize",
        run: hydra_tokenize,
    },
    Op {
        name: "hydra.classify",
        run: hydra_classify,
    },
];

pub(crate) fn guarded(f: impl FnOnce() -> Result<Value, Reply>) -> Reply {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_or_else(|e| e, Reply::Ok),
        Err(p) => Reply::Error {
            class: "upstream_panic".into(),
            message: p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panic".into()),
        },
    }
}

pub(crate) fn text<'a>(args: &'a Args, name: &str) -> Result<&'a str, Reply> {
    match args.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Reply::bad_args(format!("`{name}` must be a string"))),
        None => Err(Reply::bad_args(format!("missing `{name}`"))),
    }
}

/// Scanner errors → suite classes.
pub(crate) fn scan_error(e: &M2MError) -> Reply {
    let class = match e {
        M2MError::ContentBlocked(m) if m.starts_with("Content exceeds max scan size") => {
            "scan_too_large"
        }
        M2MError::Json(_) => "invalid_json",
        M2MError::SecurityThreat { threat_type, .. } if threat_type == "excessive_nesting" => {
            "json_too_deep"
        }
        M2MError::SecurityThreat { threat_type, .. } if threat_type == "excessive_array" => {
            "json_array_too_long"
        }
        _ => crate::errors::UNMAPPED,
    };
    Reply::Error {
        class: class.into(),
        message: e.to_string(),
    }
}

fn scanner(args: &Args) -> Result<SecurityScanner, Reply> {
    let mut s = SecurityScanner::new();
    if let Some(v) = args.get("threshold") {
        let t = v
            .as_f64()
            .ok_or_else(|| Reply::bad_args("`threshold` must be a number"))?;
        s = s.with_blocking(t as f32);
    }
    if let Some(v) = args.get("max_scan_size") {
        let n = v
            .as_u64()
            .ok_or_else(|| Reply::bad_args("`max_scan_size` must be an unsigned integer"))?;
        s.max_scan_size = usize::try_from(n).map_err(|_| Reply::bad_args("too large"))?;
    }
    Ok(s)
}

fn result_json(r: &ScanResult) -> Value {
    let threats: Vec<Value> = r
        .threats
        .iter()
        .map(|t| json!({"name": t.name, "category": t.category, "severity": f64::from(t.severity)}))
        .collect();
    json!({
        "safe": r.safe,
        "confidence": f64::from(r.confidence),
        "should_block": r.should_block,
        "threats": threats,
    })
}

fn scan_text(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let s = scanner(args)?;
        let validate = match args.get("validate") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Reply::bad_args("`validate` must be a boolean")),
        };
        let r = if validate {
            s.scan_and_validate(t)
        } else {
            s.scan(t)
        };
        r.map(|r| result_json(&r)).map_err(|e| scan_error(&e))
    })
}

fn scan_quick(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        Ok(result_json(&scanner(args)?.quick_scan(t)))
    })
}

fn scan_json(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        SecurityScanner::new()
            .validate_json(t)
            .map_err(|e| scan_error(&e))?;
        Ok(json!({"valid": true}))
    })
}

fn hydra_tokenize(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let ids = HydraByteTokenizer::new()
            .encode(t)
            .map_err(|e| Reply::upstream(&e))?;
        Ok(json!({ "ids": ids }))
    })
}

/// A relative model path is resolved against the suite root: the working directory when the
/// file is there, else `$M2M_CONFORMANCE_ROOT`, else the checkout this adapter was built in.
pub(crate) fn resolve(path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() || p.exists() {
        return p.to_path_buf();
    }
    if let Some(root) = std::env::var_os("M2M_CONFORMANCE_ROOT") {
        let c = Path::new(&root).join(p);
        if c.exists() {
            return c;
        }
    }
    let c = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p);
    if c.exists() {
        return c;
    }
    p.to_path_buf()
}

fn load_error(e: &M2MError) -> Reply {
    let msg = e.to_string();
    let inner = match e {
        M2MError::ModelLoad(m) => m.as_str(),
        _ => "",
    };
    let class = if inner.starts_with("Failed to read model file") {
        "model_unreadable"
    } else if inner.starts_with("Failed to parse safetensors") {
        "model_invalid"
    } else if inner.starts_with("Tensor '") || inner.starts_with("No weights found") {
        "model_tensor_missing"
    } else if inner.starts_with("Expected 2D tensor") || inner.starts_with("Shape mismatch") {
        "model_tensor_shape"
    } else {
        crate::errors::UNMAPPED
    };
    Reply::Error {
        class: class.into(),
        message: msg,
    }
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::None => "none",
        Algorithm::TokenNative => "token-native",
        Algorithm::Brotli => "brotli",
        Algorithm::M2M => "m2m",
    }
}

fn hydra_classify(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let (model, native) = match args.get("model") {
            None => (HydraModel::fallback_only(), None),
            Some(_) => {
                let path = resolve(text(args, "model")?);
                let model = HydraModel::load(&path).map_err(|e| Reply::upstream(&e))?;
                let native = HydraBitNet::load(&path).map_err(|e| load_error(&e))?;
                if !model.is_loaded() {
                    return Err(Reply::Error {
                        class: crate::errors::UNMAPPED.into(),
                        message: "HydraModel::load fell back to heuristics".into(),
                    });
                }
                (model, Some(native))
            }
        };
        let c = model
            .predict_compression(t)
            .map_err(|e| Reply::upstream(&e))?;
        let s = model.predict_security(t).map_err(|e| Reply::upstream(&e))?;
        let sec_probs = match &native {
            Some(n) => {
                let ids = HydraByteTokenizer::new()
                    .encode(t)
                    .map_err(|e| Reply::upstream(&e))?;
                let p = n.predict_security(&ids);
                json!([f64::from(p[0]), f64::from(p[1])])
            }
            None => Value::Null,
        };
        let p = &c.probabilities;
        Ok(json!({
            "source": if native.is_some() { "model" } else { "heuristic" },
            "compression": {
                "probabilities": [f64::from(p.none), f64::from(p.token_native), f64::from(p.brotli), f64::from(p.m2m)],
                "algorithm": algorithm_name(c.algorithm),
                "confidence": f64::from(c.confidence),
            },
            "security": {
                "probabilities": sec_probs,
                "safe": s.safe,
                "confidence": f64::from(s.confidence),
                "threat": s.threat_type.map(|t| t.to_string()),
            },
        }))
    })
}
