//! Token v1 `#T1|` (spec chapter `t1`, `spec/21-t1.md`): JSON with abbreviated keys, role and
//! model values, defaults and nulls dropped. Lossy by design; see the chapter.

use serde_json::{Map, Value};

use super::{parse_json, LegacyError};

/// The prefix. [T1-WIRE-001]
pub const PREFIX: &str = "#T1|";

/// Key abbreviations (full → short); the decoder uses the exact inverse. [T1-KEY-001]
pub const KEYS: &[(&str, &str)] = &[
    ("content", "c"),
    ("model", "M"),
    ("temperature", "T"),
    ("max_tokens", "x"),
    ("stream", "s"),
    ("stop", "S"),
    ("top_p", "p"),
    ("frequency_penalty", "f"),
    ("presence_penalty", "P"),
    ("function_call", "fc"),
    ("arguments", "a"),
    ("tool_calls", "tc"),
    ("tool_choice", "tx"),
    ("response_format", "rf"),
    ("logit_bias", "lb"),
    ("logprobs", "lp"),
    ("top_logprobs", "tlp"),
    ("choices", "C"),
    ("finish_reason", "fr"),
    ("prompt_tokens", "pt"),
    ("completion_tokens", "ct"),
    ("total_tokens", "tt"),
    ("delta", "D"),
    ("system_fingerprint", "sf"),
    ("error", "E"),
];

/// Role value abbreviations (`user` is kept). [T1-ROLE-001]
pub const ROLES: &[(&str, &str)] = &[
    ("system", "S"),
    ("assistant", "A"),
    ("function", "F"),
    ("tool", "T"),
];

/// Model value abbreviations (exact match only). [T1-MODEL-001]
pub const MODELS: &[(&str, &str)] = &[
    ("gpt-4o", "g4o"),
    ("gpt-4o-mini", "g4om"),
    ("gpt-4-turbo", "g4t"),
    ("gpt-4", "g4"),
    ("gpt-3.5-turbo", "g35t"),
    ("llama-3.1-405b", "l31405"),
    ("llama-3.1-70b", "l3170"),
    ("llama-3.1-8b", "l318"),
    ("llama-3.3-70b", "l3370"),
    ("mistral-large-latest", "mll"),
    ("mistral-small-latest", "msl"),
    ("mixtral-8x7b", "mx87"),
    ("mixtral-8x22b", "mx822"),
    ("deepseek-v3", "dv3"),
    ("deepseek-r1", "dr1"),
    ("deepseek-coder", "dc"),
    ("qwen-2.5-72b", "q2572"),
    ("qwen-2.5-32b", "q2532"),
    ("qwen-2.5-coder-32b", "qc32"),
];

/// Pattern codes U+0001..U+000D that a decoder expands before parsing. [T1-PAT-001]
pub const PATTERNS: &[(char, &str)] = &[
    ('\u{1}', r#"{"role":"user","content":""#),
    ('\u{2}', r#"{"role":"assistant","content":""#),
    ('\u{3}', r#"{"role":"system","content":""#),
    ('\u{4}', r#"{"role":"tool","content":""#),
    ('\u{5}', r#"{"index":0,"delta":{"#),
    ('\u{6}', r#"{"index":0,"message":{"#),
    ('\u{7}', r#""finish_reason":"stop""#),
    ('\u{8}', r#""finish_reason":"length""#),
    ('\u{9}', r#""finish_reason":"tool_calls""#),
    ('\u{a}', r#"{"type":"function","function":{"#),
    ('\u{b}', r#""choices":[{"#),
    ('\u{c}', r#"{"messages":["#),
    ('\u{d}', r#"],"model":""#),
];

fn lookup<'a>(table: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn reverse<'a>(table: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    table.iter().find(|(_, v)| *v == key).map(|(k, _)| *k)
}

/// Whether an entry is a default the encoder drops (by key name, at any depth). [T1-DEF-001]
pub fn is_default(key: &str, value: &Value) -> bool {
    let near_one = |v: &Value| v.as_f64().is_some_and(|f| (f - 1.0).abs() < 0.001);
    match (key, value) {
        ("temperature" | "T", Value::Number(_)) | ("top_p" | "p", Value::Number(_)) => {
            near_one(value)
        }
        ("n", Value::Number(n)) => n.as_i64() == Some(1),
        ("stream" | "s", Value::Bool(b)) => !b,
        ("frequency_penalty" | "f" | "presence_penalty" | "P", Value::Number(n)) => {
            n.as_i64() == Some(0) || n.as_f64() == Some(0.0)
        }
        ("logit_bias" | "lb", Value::Object(m)) => m.is_empty(),
        ("stop" | "S", Value::Null) => true,
        _ => false,
    }
}

/// Abbreviate a string value under `key` (`role`/`r` → role table, `model`/`M` → model table).
fn abbreviate_value(key: &str, s: &str) -> Option<&'static str> {
    if key == "role" || key == "r" {
        if let Some(a) = lookup(ROLES, s) {
            return Some(a);
        }
    }
    if key == "model" || key == "M" {
        return lookup(MODELS, s);
    }
    None
}

fn expand_value_str(key: &str, s: &str) -> Option<&'static str> {
    if key == "role" || key == "r" {
        if let Some(e) = reverse(ROLES, s) {
            return Some(e);
        }
    }
    if key == "model" || key == "M" {
        return reverse(MODELS, s);
    }
    None
}

/// Encoder transform of one value found under `key` (the *original* key).
fn compress(value: &Value, key: &str) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if v.is_null() || is_default(k, v) {
                    continue;
                }
                let short = lookup(KEYS, k).unwrap_or(k);
                out.insert(short.to_owned(), compress(v, k));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| compress(v, key)).collect()),
        Value::String(s) => abbreviate_value(key, s).map_or_else(|| value.clone(), Value::from),
        other => other.clone(),
    }
}

/// Decoder transform of one value found under `key` (the *expanded* key).
fn expand(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let long = reverse(KEYS, k).unwrap_or(k);
                out.insert(long.to_owned(), expand(v, Some(long)));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| expand(v, key)).collect()),
        Value::String(s) => key
            .and_then(|k| expand_value_str(k, s))
            .map_or_else(|| value.clone(), Value::from),
        other => other.clone(),
    }
}

/// Add the documented defaults to every object that has `messages` or `model` (its children
/// are not visited); other objects and arrays are searched recursively. [T1-DEF-002]
fn restore_defaults(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.contains_key("messages") || map.contains_key("model") => {
            let mut out = map.clone();
            let defaults: [(&str, Value); 6] = [
                ("temperature", Value::from(1.0)),
                ("top_p", Value::from(1.0)),
                ("n", Value::from(1)),
                ("stream", Value::Bool(false)),
                ("frequency_penalty", Value::from(0)),
                ("presence_penalty", Value::from(0)),
            ];
            for (k, v) in defaults {
                out.entry(k.to_owned()).or_insert(v);
            }
            Value::Object(out)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), restore_defaults(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(restore_defaults).collect()),
        other => other.clone(),
    }
}

/// Encode JSON text as `#T1|` + compact JSON with sorted keys. [T1-ENC-001] [T1-ENC-002]
/// [T1-KEY-001] [T1-ROLE-001] [T1-MODEL-001] [T1-DEF-001] [T1-NULL-001]
pub fn encode(json: &str) -> Result<String, LegacyError> {
    let value = parse_json(json)?;
    let body = serde_json::to_string(&compress(&value, "")).unwrap_or_default();
    Ok(format!("{PREFIX}{body}"))
}

/// Decode a `#T1|` string to compact JSON with sorted keys: expand pattern codes, parse,
/// expand keys and values, restore defaults. [T1-DEC-001] [T1-DEC-002] [T1-DEC-003]
/// [T1-PAT-001] [T1-DEF-002]
pub fn decode(wire: &str) -> Result<String, LegacyError> {
    let body = wire
        .strip_prefix(PREFIX)
        .ok_or(LegacyError::InvalidPrefix(PREFIX))?;
    let mut text = String::with_capacity(body.len());
    for c in body.chars() {
        match PATTERNS.iter().find(|(code, _)| *code == c) {
            Some((_, pattern)) => text.push_str(pattern),
            None => text.push(c),
        }
    }
    let value = parse_json(&text)?;
    let out = restore_defaults(&expand(&value, None));
    Ok(serde_json::to_string(&out).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_example() {
        let input = r#"{"model":"gpt-4o","messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"Hello!"}],"temperature":1.0,"max_tokens":100,"stream":false}"#;
        assert_eq!(
            encode(input).unwrap(),
            r##"#T1|{"M":"g4o","messages":[{"c":"You are helpful.","role":"S"},{"c":"Hello!","role":"user"}],"x":100}"##
        );
    }
}
