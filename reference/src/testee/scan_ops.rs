//! Ops of the scanner chapter: `scan.text`, `scan.quick`, `scan.json` (spec `scanner`,
//! `spec/10-scanner.md`; shapes in `spec/ops.yaml`).

use serde_json::{json, Value};

use super::wire_ops::run;
use super::{Args, Op, Reply};
use crate::scan::{self, ScanConfig};

/// The ops of this area, in `spec/ops.yaml` order.
pub const OPS: &[Op] = &[
    Op {
        name: "scan.text",
        run: text,
    },
    Op {
        name: "scan.quick",
        run: quick,
    },
    Op {
        name: "scan.json",
        run: json_check,
    },
];

/// The scanner settings from the optional args `threshold` (a number, read as binary32 and
/// clamped to [0, 1]) and `max_scan_size` (bytes). [SCAN-ALG-006] [SCAN-SIZE-001]
fn config(args: &Args, map: &serde_json::Map<String, Value>) -> Result<ScanConfig, Reply> {
    let mut c = ScanConfig::default();
    if let Some(v) = map.get("threshold") {
        let t = v
            .as_f64()
            .ok_or_else(|| Reply::bad_args("`threshold` must be a number"))?;
        c = c.with_threshold(t as f32);
    }
    if let Some(max) = args.opt_usize("max_scan_size")? {
        c.max_scan_size = max;
    }
    Ok(c)
}

fn bool_arg(map: &serde_json::Map<String, Value>, name: &str) -> Result<bool, Reply> {
    match map.get(name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Reply::bad_args(format!("`{name}` must be a boolean"))),
    }
}

/// `scan.text {text, threshold?, max_scan_size?, validate?}` → `{safe, confidence,
/// should_block, threats}`; with `validate: true` a text starting with `{` or `[` is first
/// checked as JSON. [SCAN-ALG-001] [SCAN-JSON-005] [SCAN-OUT-001]
pub fn text(args: &Args) -> Reply {
    run(|| {
        let map = args.map();
        let t = args.text("text")?;
        let c = config(args, map)?;
        let r = if bool_arg(map, "validate")? {
            scan::scan_and_validate(t, &c)
        } else {
            scan::scan(t, &c)
        }
        .map_err(|e| Reply::from_error(&e))?;
        Ok(r.to_json())
    })
}

/// `scan.quick {text, threshold?}` → the same shape, without the size check. [SCAN-QUICK-001]
pub fn quick(args: &Args) -> Reply {
    run(|| {
        let t = args.text("text")?;
        let c = config(args, args.map())?;
        Ok(scan::quick_scan(t, &c).to_json())
    })
}

/// `scan.json {text}` → `{valid: true}` or a JSON-structure error. [SCAN-JSON-001]
pub fn json_check(args: &Args) -> Reply {
    run(|| {
        let t = args.text("text")?;
        scan::validate_json(t).map_err(|e| Reply::from_error(&e))?;
        Ok(json!({ "valid": true }))
    })
}
