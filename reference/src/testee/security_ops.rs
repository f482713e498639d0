//! Ops of the security chapter's library side: `scan.ml`, `engine.secure_compress`,
//! `engine.secure_compress_ml` (spec `security`, `spec/14-security.md`; shapes in
//! `spec/ops.yaml`).

use serde_json::{json, Value};

use super::hydra_ops::load_model;
use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::scan::ml::{self, MlScan};
use crate::scan::ScanConfig;

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

fn config(args: &Args) -> Result<ScanConfig, Reply> {
    let mut c = ScanConfig::default();
    if let Some(v) = args.get("threshold") {
        let t = v
            .as_f64()
            .ok_or_else(|| Reply::bad_args("`threshold` must be a number"))?;
        c = c.with_threshold(t as f32);
    }
    Ok(c)
}

fn flag(args: &Args, name: &str) -> Result<bool, Reply> {
    match args.get(name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Reply::bad_args(format!("`{name}` must be a boolean"))),
    }
}

fn model(args: &Args) -> Result<Option<crate::hydra::Model>, Reply> {
    if args.has("model") {
        Ok(Some(load_model(args.text("model")?)?))
    } else {
        Ok(None)
    }
}

/// `scan.ml {text, model?, ml_only?, threshold?}` → `{safe, confidence, should_block, method,
/// threats}`. [SEC-ML-001] .. [SEC-ML-004]
pub fn scan_ml(args: &Args) -> Reply {
    run(|| {
        let text = args.text("text")?;
        let c = config(args)?;
        let m = model(args)?;
        let setup = MlScan {
            patterns: !flag(args, "ml_only")?,
            model: m.as_ref(),
        };
        let r = ml::scan_ml(text, &c, setup).map_err(|e| Reply::from_error(&e))?;
        Ok(r.to_json())
    })
}

/// `engine.secure_compress {text, threshold?}` → `{algorithm, wire}` or `content_blocked`.
/// [SEC-ENGINE-001] [SEC-ENGINE-002]
pub fn secure_compress(args: &Args) -> Reply {
    run(|| {
        let text = args.text("text")?;
        let (algorithm, wire) =
            ml::secure_compress(text, &config(args)?).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({"algorithm": algorithm, "wire": wire}))
    })
}

/// `engine.secure_compress_ml {text, model?}` → `{algorithm, wire, safe}`. [SEC-ENGINE-003]
pub fn secure_compress_ml(args: &Args) -> Reply {
    run(|| {
        let text = args.text("text")?;
        let m = model(args)?;
        let (algorithm, wire, safe) =
            ml::secure_compress_ml(text, m.as_ref()).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({"algorithm": algorithm, "wire": wire, "safe": safe}))
    })
}
