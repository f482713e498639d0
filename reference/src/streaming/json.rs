//! The JSON side of the streaming codec: re-serialisation with sorted keys, key abbreviation and
//! expansion, and the content lookup (spec chapter `streaming`, §2-§4 and §6).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::legacy::t1::{KEYS, MODELS, ROLES};

fn lookup<'a>(table: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn reverse<'a>(table: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    table.iter().find(|(_, v)| *v == key).map(|(k, _)| *k)
}

/// Rebuild every object of `value` with keys renamed by `rename` and string values rewritten by
/// `value_of`, visiting the original keys in bytewise order so that on a collision the last one
/// wins, and inserting the result in bytewise key order (whatever map type serde_json uses).
fn rebuild(
    value: &Value,
    rename: &dyn Fn(&str) -> Option<&'static str>,
    value_of: &dyn Fn(&str, &str, &str) -> Option<&'static str>,
) -> Value {
    match value {
        Value::Object(map) => {
            let mut originals: Vec<(&String, &Value)> = map.iter().collect();
            originals.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut out: BTreeMap<String, Value> = BTreeMap::new();
            for (key, val) in originals {
                let new_key = rename(key).unwrap_or(key.as_str());
                let mut new_val = rebuild(val, rename, value_of);
                if let Value::String(s) = &new_val {
                    if let Some(v) = value_of(key, new_key, s) {
                        new_val = Value::String(v.to_owned());
                    }
                }
                out.insert(new_key.to_owned(), new_val);
            }
            Value::Object(out.into_iter().collect::<Map<String, Value>>())
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| rebuild(v, rename, value_of)).collect())
        }
        other => other.clone(),
    }
}

/// The value with every object's keys in bytewise order. [STREAM-JSON-001]
pub fn sorted(value: &Value) -> Value {
    rebuild(value, &|_| None, &|_, _, _| None)
}

/// Compact JSON text with keys in bytewise order at every depth. [STREAM-JSON-001]
pub fn to_text(value: &Value) -> String {
    sorted(value).to_string()
}

/// Key abbreviation of a data event: keys by the key table at every depth, `role` and `model`
/// string values (by their *original* key) by the role and model tables. [STREAM-ABBR-001]
/// [STREAM-ABBR-002] [STREAM-ABBR-003] [STREAM-ABBR-004]
pub fn abbreviate(value: &Value) -> Value {
    rebuild(
        value,
        &|k| lookup(KEYS, k),
        &|original, _, s| match original {
            "role" => lookup(ROLES, s),
            "model" => lookup(MODELS, s),
            _ => None,
        },
    )
}

/// Key expansion of the decompressor: keys by the inverse key table, `role` and `model` string
/// values (by their *expanded* key) by the inverse role and model tables. [STREAM-DEC-004]
pub fn expand(value: &Value) -> Value {
    rebuild(
        value,
        &|k| reverse(KEYS, k),
        &|_, expanded, s| match expanded {
            "role" => reverse(ROLES, s),
            "model" => reverse(MODELS, s),
            _ => None,
        },
    )
}

/// The text at `choices[0].delta.content`, each step also accepting the abbreviated key at the
/// same level (`C`, `D`, `c`). [STREAM-ACC-001] [STREAM-ACC-002]
pub fn delta_content(event: &Value) -> Option<&str> {
    let choices = event.get("choices").or_else(|| event.get("C"))?;
    let first = choices.get(0)?;
    let delta = first.get("delta").or_else(|| first.get("D"))?;
    delta.get("content").or_else(|| delta.get("c"))?.as_str()
}

/// Upstream 0.4.0's lookup, which falls back to the *top-level* object for `D` and `c`
/// (STREAM-DIV-002). Kept for the comparison in tests; the codec uses [`delta_content`].
pub fn delta_content_upstream(event: &Value) -> Option<&str> {
    event
        .get("choices")
        .or_else(|| event.get("C"))?
        .get(0)?
        .get("delta")
        .or_else(|| event.get("D"))?
        .get("content")
        .or_else(|| event.get("c"))?
        .as_str()
}
