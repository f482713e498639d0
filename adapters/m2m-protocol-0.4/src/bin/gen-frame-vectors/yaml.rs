//! A small, deterministic YAML writer for vector files.
//!
//! Mappings are written in block style, key order as given; sequences of scalars and the
//! `$repeat` / `$concat` generators in flow style. Strings are single-quoted when every
//! character is printable and there is no line break, otherwise double-quoted with escapes.
//! The caller parses the result back with `serde_yaml` and compares it with the intended
//! document, so any quoting mistake here is caught before a file is written.

use serde_json::{Map, Value};

/// Whether YAML can carry `c` unescaped (the YAML 1.2 printable set, minus the line
/// separators and the byte-order mark, which confuse readers).
fn printable(c: char) -> bool {
    matches!(c, ' '..='~')
        || (c >= '\u{a0}'
            && c != '\u{feff}'
            && c != '\u{2028}'
            && c != '\u{2029}'
            && c != '\u{fffe}'
            && c != '\u{ffff}')
}

/// A string as a YAML scalar.
pub fn string(s: &str) -> String {
    if s.chars().all(printable) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !k.starts_with('-');
    if plain {
        k.to_owned()
    } else {
        string(k)
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn is_generator(m: &Map<String, Value>) -> bool {
    m.keys().any(|k| k.starts_with('$'))
}

/// A value in flow style (one line).
pub fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            if m.is_empty() {
                return "{}".to_owned();
            }
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", key(k), flow(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

fn inline(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.iter().all(is_scalar),
        Value::Object(m) => m.is_empty() || is_generator(m),
        _ => true,
    }
}

/// Write `v` as the value of a mapping entry `name:` at `indent` spaces.
pub fn entry(out: &mut String, indent: usize, name: &str, v: &Value) {
    let pad = " ".repeat(indent);
    if inline(v) {
        out.push_str(&format!("{pad}{}: {}\n", key(name), flow(v)));
        return;
    }
    out.push_str(&format!("{pad}{}:\n", key(name)));
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                entry(out, indent + 2, k, child);
            }
        }
        Value::Array(a) => {
            for item in a {
                out.push_str(&format!("{pad}  - {}\n", flow(item)));
            }
        }
        _ => unreachable!("scalars are inline"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips() {
        for s in [
            "",
            "a'b",
            "x\ny",
            "\u{7f}\u{85}\u{feff}",
            "é模型😀",
            "#M2M|1|",
            " lead",
            "\"q\"",
        ] {
            let doc = format!("v: {}\n", string(s));
            let back: serde_yaml::Value = serde_yaml::from_str(&doc).unwrap();
            assert_eq!(back["v"].as_str().unwrap(), s, "{doc}");
        }
    }
}
