//! Security-path ops (spec chapter `security`) on upstream's public API:
//!
//! | op | upstream call |
//! |---|---|
//! | `scan.ml` | `SecurityScanner` with `ml_scan = true` (no model object), or `with_model(HydraModel::load(path))`; `ml_only()` for `ml_only`; `with_blocking(t)` for a threshold; `scan` |
//! | `engine.secure_compress` | `CodecEngine::secure_compress(text, &scanner)` |
//! | `engine.secure_compress_ml` | `CodecEngine::secure_compress_ml(text)`, with `with_hydra(HydraModel::load(path))` for a model |
//!
//! `ScanMethod` lives in a private module; its Debug name is read instead.

use m2m::codec::{Algorithm, CodecEngine};
use m2m::inference::HydraModel;
use m2m::security::SecurityScanner;
use m2m::M2MError;
use serde_json::{json, Map, Value};

use crate::scan_hydra_ops::{guarded, resolve, scan_error, text};
use crate::{Op, Reply};

type Args = Map<String, Value>;

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "scan.ml",
        run: scan_ml,
    },
    Op {
        name: "engine.secure_compress",
        run: secure_compress,
    },
    Op {
        name: "engine.secure_compress_ml",
        run: secure_compress_ml,
    },
];

fn threshold(args: &Args, s: SecurityScanner) -> Result<SecurityScanner, Reply> {
    match args.get("threshold") {
        None => Ok(s),
        Some(v) => {
            let t = v
                .as_f64()
                .ok_or_else(|| Reply::bad_args("`threshold` must be a number"))?;
            Ok(s.with_blocking(t as f32))
        }
    }
}

fn flag(args: &Args, name: &str) -> Result<bool, Reply> {
    match args.get(name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Reply::bad_args(format!("`{name}` must be a boolean"))),
    }
}

/// A model the op names: upstream's loader never fails, so a file that does not load would
/// silently become the heuristic fallback; that is refused here (the vectors name real models).
fn model(args: &Args) -> Result<Option<HydraModel>, Reply> {
    match args.get("model") {
        None => Ok(None),
        Some(_) => {
            let path = resolve(text(args, "model")?);
            let m = HydraModel::load(&path).map_err(|e| Reply::upstream(&e))?;
            if !m.is_loaded() {
                return Err(Reply::Error {
                    class: crate::errors::UNMAPPED.into(),
                    message: "HydraModel::load fell back to heuristics".into(),
                });
            }
            Ok(Some(m))
        }
    }
}

fn scan_ml(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let mut s = SecurityScanner::new();
        s.ml_scan = true;
        if let Some(m) = model(args)? {
            s = s.with_model(m);
        }
        if flag(args, "ml_only")? {
            s = s.ml_only();
        }
        let s = threshold(args, s)?;
        let r = s.scan(t).map_err(|e| scan_error(&e))?;
        let threats: Vec<Value> = r
            .threats
            .iter()
            .map(|t| json!({"name": t.name, "category": t.category, "severity": f64::from(t.severity)}))
            .collect();
        Ok(json!({
            "safe": r.safe,
            "confidence": f64::from(r.confidence),
            "should_block": r.should_block,
            "method": format!("{:?}", r.method).to_lowercase(),
            "threats": threats,
        }))
    })
}

fn algorithm(a: Algorithm) -> &'static str {
    match a {
        Algorithm::None => "none",
        Algorithm::TokenNative => "tokennative",
        Algorithm::Brotli => "brotli",
        Algorithm::M2M => "m2m",
    }
}

fn engine_error(e: &M2MError) -> Reply {
    match e {
        M2MError::ContentBlocked(m) if !m.starts_with("Content exceeds max scan size") => {
            Reply::Error {
                class: "content_blocked".into(),
                message: e.to_string(),
            }
        }
        M2MError::ContentBlocked(_) | M2MError::Json(_) | M2MError::SecurityThreat { .. } => {
            scan_error(e)
        }
        _ => Reply::upstream(e),
    }
}

fn secure_compress(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let s = threshold(args, SecurityScanner::new())?;
        let r = CodecEngine::new()
            .secure_compress(t, &s)
            .map_err(|e| engine_error(&e))?;
        Ok(json!({"algorithm": algorithm(r.algorithm), "wire": r.data}))
    })
}

fn secure_compress_ml(args: &Args) -> Reply {
    guarded(|| {
        let t = text(args, "text")?;
        let mut engine = CodecEngine::new();
        if let Some(m) = model(args)? {
            engine = engine.with_hydra(m);
        }
        let (r, safe) = engine.secure_compress_ml(t).map_err(|e| engine_error(&e))?;
        Ok(json!({"algorithm": algorithm(r.algorithm), "wire": r.data, "safe": safe}))
    })
}
