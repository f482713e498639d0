//! Known divergences: the ones the spec already records, read from
//! `spec/differential-known.yaml`. [BASIS-DIFF-005]
//!
//! The matching language is deliberately tiny. An entry is
//!
//! ```yaml
//! - by: UPSTREAM_VARINT_UP_TO_10_BYTES   # a DIV requirement id or a vector flag
//!   op: wire.varint.decode
//!   a: error:varint_too_long             # outcome pattern of one side
//!   b: ok                                # outcome pattern of the other side
//!   args: {hex: {min_len: 12}}           # optional: every listed field must match
//!   reason: why this is the recorded divergence, in one sentence
//! ```
//!
//! An outcome pattern is `ok`, `error` (any class), `error:<class>`, `unsupported`, `crash`,
//! `timeout`, `protocol`, `harness` or `any`. Entries are written with the reference as `a`:
//! `a` matches the reference's outcome, `b` the other implementation's. When only target B is
//! the reference (`--a upstream --b ref`), the harness swaps the outcomes before matching. An
//! args condition on a field is one or more of `prefix: <text>` (the field is a string starting
//! with it), `min_len: <n>` / `max_len: <n>` (the field is a string of at least / at most n
//! characters), `contains_any: [<text>, …]` (the field is a string containing one of them; a
//! field that is not a string is searched in its compact JSON text),
//! `min_items: <n>` (the field is an array of at least n items) and `equals: <JSON>`. An entry
//! for two `ok` outcomes may add `only_at: [<JSON pointer>, …]`: it then matches only when the
//! two values are equal once those places are removed. `by` must name a requirement in `spec/requirements.yaml`
//! whose id contains `-DIV-`, or a flag declared in some vector file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::DiffError;
use crate::target::Outcome;

/// One known divergence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownEntry {
    /// The DIV requirement id or the vector flag that records it.
    pub by: String,
    /// The op it concerns.
    pub op: String,
    /// Outcome pattern of one side.
    pub a: String,
    /// Outcome pattern of the other side.
    pub b: String,
    /// Conditions on the arguments, by field name.
    #[serde(default)]
    pub args: BTreeMap<String, ArgCondition>,
    /// JSON pointers: with both outcomes `ok`, the entry matches only if the two values are
    /// equal once these places are removed (the divergence is confined to them).
    #[serde(default)]
    pub only_at: Vec<String>,
    /// Why, in one sentence.
    pub reason: String,
}

/// A condition on one argument field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgCondition {
    /// The field is a string starting with this.
    pub prefix: Option<String>,
    /// The field is a string of at least this many characters.
    pub min_len: Option<usize>,
    /// The field is a string of at most this many characters.
    pub max_len: Option<usize>,
    /// The field equals this JSON value.
    pub equals: Option<Value>,
    /// The field is a string containing at least one of these; a field of another type is
    /// searched in its compact JSON text (`[{"advance":5000}]`).
    pub contains_any: Option<Vec<String>>,
    /// The field is an array of at least this many items.
    pub min_items: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownFile {
    known: Vec<KnownEntry>,
}

const PATTERNS: &[&str] = &[
    "ok",
    "error",
    "unsupported",
    "crash",
    "timeout",
    "protocol",
    "harness",
    "any",
];

/// The kind of an outcome as patterns and dedupe keys name it: `ok`, `error:<class>`, …
pub fn kind(o: &Outcome) -> String {
    match o {
        Outcome::Ok(_) => "ok".into(),
        Outcome::Error { class, .. } => format!("error:{class}"),
        Outcome::Unsupported(_) => "unsupported".into(),
        Outcome::Timeout(_) => "timeout".into(),
        Outcome::Crash(_) => "crash".into(),
        Outcome::Protocol(_) => "protocol".into(),
        Outcome::HarnessError(_) => "harness".into(),
    }
}

fn pattern_matches(pattern: &str, o: &Outcome) -> bool {
    let k = kind(o);
    pattern == "any" || pattern == k || (pattern == "error" && k.starts_with("error:"))
}

fn valid_pattern(p: &str) -> bool {
    PATTERNS.contains(&p) || p.strip_prefix("error:").is_some_and(|c| !c.is_empty())
}

impl ArgCondition {
    fn matches(&self, v: Option<&Value>) -> bool {
        let text = v.and_then(Value::as_str);
        let len = text.map(|s| s.chars().count());
        self.prefix
            .as_ref()
            .is_none_or(|p| text.is_some_and(|s| s.starts_with(p.as_str())))
            && self.min_len.is_none_or(|n| len.is_some_and(|l| l >= n))
            && self.max_len.is_none_or(|n| len.is_some_and(|l| l <= n))
            && self.equals.as_ref().is_none_or(|e| v == Some(e))
            && self.contains_any.as_ref().is_none_or(|list| {
                let json;
                let haystack = match (text, v) {
                    (Some(s), _) => s,
                    (None, Some(other)) => {
                        json = other.to_string();
                        json.as_str()
                    }
                    (None, None) => return false,
                };
                list.iter().any(|c| haystack.contains(c.as_str()))
            })
            && self
                .min_items
                .is_none_or(|n| v.and_then(Value::as_array).is_some_and(|a| a.len() >= n))
    }
}

impl KnownEntry {
    /// Whether this entry covers a divergence of `op` on `args` with these outcomes (`a` the
    /// reference's).
    pub fn matches(&self, op: &str, args: &Value, a: &Outcome, b: &Outcome) -> bool {
        op == self.op
            && pattern_matches(&self.a, a)
            && pattern_matches(&self.b, b)
            && self.args.iter().all(|(f, c)| c.matches(args.get(f)))
            && (self.only_at.is_empty() || self.confined(a, b))
    }

    fn confined(&self, a: &Outcome, b: &Outcome) -> bool {
        let (Outcome::Ok(va), Outcome::Ok(vb)) = (a, b) else {
            return false;
        };
        let (mut va, mut vb) = (va.clone(), vb.clone());
        for pointer in &self.only_at {
            for v in [&mut va, &mut vb] {
                remove_at(v, pointer);
            }
        }
        va == vb
    }
}

/// Remove the value at a JSON pointer (`/a/b/0`), if there is one.
fn remove_at(v: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>() {
                if i < items.len() {
                    items.remove(i);
                }
            }
        }
        _ => {}
    }
}

/// The known-divergence list.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Entries in file order; the first match wins.
    pub entries: Vec<KnownEntry>,
}

impl Known {
    /// Read and check `path`; a missing file is an empty list. `ids` are the suite's DIV
    /// requirement ids and vector flags that `by` may name.
    pub fn load(path: &Path, ids: &dyn Fn(&str) -> bool) -> Result<Known, DiffError> {
        let bad = |msg: String| DiffError::KnownFile {
            path: path.display().to_string(),
            msg,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Known::default()),
            Err(e) => return Err(bad(e.to_string())),
        };
        let file: KnownFile = crate::yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for (i, e) in file.known.iter().enumerate() {
            let n = i + 1;
            for p in [&e.a, &e.b] {
                if !valid_pattern(p) {
                    return Err(bad(format!(
                        "entry {n}: `{p}` is not an outcome pattern (one of {} or error:<class>)",
                        PATTERNS.join(", ")
                    )));
                }
            }
            if !ids(&e.by) {
                return Err(bad(format!(
                    "entry {n}: `{}` is neither a DIV requirement id nor a vector flag",
                    e.by
                )));
            }
            if e.reason.trim().is_empty() {
                return Err(bad(format!("entry {n}: the reason is empty")));
            }
        }
        Ok(Known {
            entries: file.known,
        })
    }

    /// The first entry covering this divergence.
    pub fn classify(
        &self,
        op: &str,
        args: &Value,
        a: &Outcome,
        b: &Outcome,
    ) -> Option<&KnownEntry> {
        self.entries.iter().find(|e| e.matches(op, args, a, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(a: &str, b: &str) -> KnownEntry {
        KnownEntry {
            by: "X".into(),
            op: "wire.varint.decode".into(),
            a: a.into(),
            b: b.into(),
            args: BTreeMap::new(),
            only_at: Vec::new(),
            reason: "r".into(),
        }
    }

    fn err(class: &str) -> Outcome {
        Outcome::Error {
            class: class.into(),
            message: String::new(),
        }
    }

    #[test]
    fn patterns_match_in_order_and_by_class() {
        let e = entry("error:varint_too_long", "ok");
        let ok = Outcome::Ok(json!({}));
        let args = json!({"hex": "80"});
        assert!(e.matches("wire.varint.decode", &args, &err("varint_too_long"), &ok));
        assert!(!e.matches("wire.varint.decode", &args, &ok, &err("varint_too_long")));
        assert!(!e.matches("wire.varint.decode", &args, &ok, &err("varint_truncated")));
        assert!(!e.matches("wire.varint.encode", &args, &ok, &err("varint_too_long")));
        let any_error = entry("error", "ok");
        assert!(any_error.matches("wire.varint.decode", &args, &err("x"), &ok));
        assert!(!any_error.matches("wire.varint.decode", &args, &ok, &ok));
    }

    #[test]
    fn args_conditions_all_must_hold() {
        let mut e = entry("any", "any");
        e.args.insert(
            "hex".into(),
            ArgCondition {
                prefix: Some("80".into()),
                min_len: Some(4),
                ..ArgCondition::default()
            },
        );
        let ok = Outcome::Ok(json!(1));
        assert!(e.matches("wire.varint.decode", &json!({"hex": "8080"}), &ok, &ok));
        assert!(!e.matches("wire.varint.decode", &json!({"hex": "80"}), &ok, &ok));
        assert!(!e.matches("wire.varint.decode", &json!({"hex": "0080"}), &ok, &ok));
        assert!(!e.matches("wire.varint.decode", &json!({}), &ok, &ok));
        // contains_any searches a non-string field in its JSON text.
        let mut e = entry("any", "any");
        e.args.insert(
            "steps".into(),
            ArgCondition {
                contains_any: Some(vec!["\"advance\"".into()]),
                ..ArgCondition::default()
            },
        );
        let with_advance = json!({"steps": [{"call": "hello"}, {"advance": 5}]});
        assert!(e.matches("wire.varint.decode", &with_advance, &ok, &ok));
        let without = json!({"steps": [{"call": "hello"}]});
        assert!(!e.matches("wire.varint.decode", &without, &ok, &ok));
        assert!(!e.matches("wire.varint.decode", &json!({}), &ok, &ok));
    }

    #[test]
    fn only_at_confines_an_ok_divergence() {
        let mut e = entry("ok", "ok");
        e.only_at = vec!["/response/code".into()];
        let v = |code: u32, id: &str| Outcome::Ok(json!({"response": {"code": code, "id": id}}));
        let args = json!({});
        assert!(e.matches("wire.varint.decode", &args, &v(4, "x"), &v(255, "x")));
        assert!(!e.matches("wire.varint.decode", &args, &v(4, "x"), &v(255, "y")));
        assert!(!e.matches("wire.varint.decode", &args, &v(4, "x"), &err("c")));
    }

    #[test]
    fn bad_patterns_and_unknown_ids_are_refused() {
        let dir = std::env::temp_dir().join(format!("m2m-known-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.yaml");
        let write = |s: &str| std::fs::write(&path, s).unwrap();
        write("known:\n- {by: X-DIV-1, op: o, a: okay, b: ok, reason: r}\n");
        assert!(Known::load(&path, &|_| true).is_err());
        write("known:\n- {by: NOPE, op: o, a: ok, b: ok, reason: r}\n");
        assert!(Known::load(&path, &|id| id != "NOPE").is_err());
        write("known:\n- {by: X-DIV-1, op: o, a: ok, b: 'error:c', reason: r}\n");
        assert_eq!(Known::load(&path, &|_| true).unwrap().entries.len(), 1);
        assert!(Known::load(&dir.join("missing.yaml"), &|_| true)
            .unwrap()
            .entries
            .is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
