//! Vector files: schema, loading, generator expansion and lint (`vectors/README.md`).
//!
//! Every file is validated on load; every problem is reported with its file, case id and field,
//! and all problems are collected rather than stopping at the first.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::spec::{Level, Spec};
use crate::yaml;

/// The `suite` string every file carries.
pub const SUITE: &str = "m2m-conformance";
/// The vector file format version this harness reads.
pub const SCHEMA_VERSION: u64 = 1;

/// Allowed values of `confirmed_by`.
pub const CONFIRMATIONS: &[&str] = &[
    "upstream-0.4.0",
    "upstream-0.4.0-tests",
    "python-zlib",
    "second-computation",
    "spec",
    "reference-only",
];

/// Whether `c` is an allowed `confirmed_by` value: one of [`CONFIRMATIONS`] or `rfc-` and
/// the RFC's number.
pub fn valid_confirmation(c: &str) -> bool {
    CONFIRMATIONS.contains(&c)
        || c.strip_prefix("rfc-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// What the testee is expected to answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Success with exactly this result.
    Ok(Value),
    /// Failure with this error class.
    Error(String),
    /// The answer `unsupported`.
    Unsupported,
}

/// Wycheproof-style result of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Result_ {
    /// The input is valid; `expect` is `ok`.
    Valid,
    /// The input is invalid; `expect` is `error`.
    Invalid,
    /// The spec prefers `expect`, another behaviour is tolerated (see `flags`).
    Acceptable,
}

impl Result_ {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Result_::Valid => "valid",
            Result_::Invalid => "invalid",
            Result_::Acceptable => "acceptable",
        }
    }
}

/// One loaded, expanded, validated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id, unique across the suite.
    pub id: String,
    /// Chapter key (the file's `spec`).
    pub chapter: String,
    /// File the case came from, relative to the vectors directory.
    pub file: String,
    /// Requirement ids.
    pub reqs: Vec<String>,
    /// One line.
    pub description: String,
    /// Testee op.
    pub op: String,
    /// Expanded args.
    pub input: Value,
    /// Expected outcome.
    pub expect: Expect,
    /// Tolerated alternative (only with `acceptable`).
    pub lenient: Option<Expect>,
    /// valid / invalid / acceptable.
    pub result: Result_,
    /// Flags, each declared in the file.
    pub flags: Vec<String>,
    /// What confirmed `expect` independently. The loader requires it, so it is always `Some`
    /// for a loaded case.
    pub confirmed_by: Option<String>,
    /// The strongest level among `reqs`.
    pub level: Level,
    /// Numeric tolerance for comparing `ok` results (absent: exact equality).
    pub tolerance: Option<Tolerance>,
}

/// How far a number in an `ok` result may be from the expected one: a number passes when
/// `|got - want| <= abs + rel * |want|`. Everything that is not a number still compares
/// exactly (vectors/README.md, "Numeric tolerance").
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// Absolute part.
    pub abs: f64,
    /// Relative part (a fraction of the expected value).
    pub rel: f64,
}

impl Tolerance {
    /// Whether `got` equals `want` within this tolerance (numbers) or exactly (anything else).
    pub fn equal(&self, want: &Value, got: &Value) -> bool {
        match (want, got) {
            (Value::Number(w), Value::Number(g)) => match (w.as_f64(), g.as_f64()) {
                (Some(w), Some(g)) => (g - w).abs() <= self.abs + self.rel * w.abs(),
                _ => w == g,
            },
            (Value::Array(w), Value::Array(g)) => {
                w.len() == g.len() && w.iter().zip(g).all(|(w, g)| self.equal(w, g))
            }
            (Value::Object(w), Value::Object(g)) => {
                w.len() == g.len()
                    && w.iter()
                        .all(|(k, w)| g.get(k).is_some_and(|g| self.equal(w, g)))
            }
            _ => want == got,
        }
    }
}

/// The flag of a case that spends its time waiting in real time (for a server's idle timeout,
/// say) rather than computing. A `certify --jobs N` run with N ≥ 2 gives such cases one more
/// instance of the target, beside the jobs, so that the wait overlaps the other cases
/// (vectors/README.md, "Cases that wait"). [TESTEE-RUN-004]
pub const WAITS: &str = "WAITS";

impl Case {
    /// `chapter::id`, the name used by `cargo test` and `--filter`.
    pub fn name(&self) -> String {
        format!("{}::{}", self.chapter, self.id)
    }

    /// Whether the case is flagged [`WAITS`].
    pub fn waits(&self) -> bool {
        self.flags.iter().any(|f| f == WAITS)
    }
}

/// A loaded vector suite.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Directory the files came from.
    pub dir: PathBuf,
    /// Every case, in file then document order.
    pub cases: Vec<Case>,
    /// Flag name → meaning, per file (relative path).
    pub flags: BTreeMap<String, BTreeMap<String, String>>,
}

/// One problem found while loading, located by file, case and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// File, relative to the vectors directory.
    pub file: String,
    /// Case id, when the problem is inside a case.
    pub case: Option<String>,
    /// Field name, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(c) = &self.case {
            write!(f, ": case `{c}`")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    suite: String,
    schema_version: u64,
    spec: String,
    /// Free text for humans; not used by the harness.
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    flags: BTreeMap<String, String>,
    /// Case fields shared by every case of the file (see [`apply_defaults`]).
    #[serde(default)]
    defaults: Option<serde_json::Map<String, Value>>,
    /// Wycheproof-style test groups: cases with shared fields, after the file's `cases`.
    #[serde(default)]
    groups: Vec<RawGroup>,
    #[serde(default)]
    cases: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    /// Free text for humans; not used by the harness.
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default)]
    defaults: Option<serde_json::Map<String, Value>>,
    cases: Vec<Value>,
}

/// Case fields a file's or a group's `defaults` may set (everything but `id` and
/// `description`, which are each case's own).
pub const DEFAULTABLE: &[&str] = &[
    "reqs",
    "op",
    "input",
    "expect",
    "lenient",
    "result",
    "flags",
    "tolerance",
    "confirmed_by",
];

/// Check a `defaults` mapping: only [`DEFAULTABLE`] keys; `input` is a mapping.
fn check_defaults(defaults: &serde_json::Map<String, Value>) -> Result<(), String> {
    for (k, v) in defaults {
        if !DEFAULTABLE.contains(&k.as_str()) {
            return Err(format!(
                "`{k}` cannot have a default (allowed: {})",
                DEFAULTABLE.join(", ")
            ));
        }
        if k == "input" && !v.is_object() {
            return Err("`input` must be a mapping".into());
        }
    }
    Ok(())
}

/// A case with `defaults` filled in (vectors/README.md, "Defaults and groups"): a field the
/// case does not have takes the default; `input` merges key by key, the case's own keys
/// winning. Anything that is not a mapping is returned unchanged (and rejected later).
pub fn apply_defaults(case: &Value, defaults: &serde_json::Map<String, Value>) -> Value {
    let Value::Object(map) = case else {
        return case.clone();
    };
    let mut out = map.clone();
    for (k, v) in defaults {
        match (k.as_str(), out.get_mut(k)) {
            ("input", Some(Value::Object(own))) => {
                if let Value::Object(shared) = v {
                    for (ik, iv) in shared {
                        if !own.contains_key(ik) {
                            own.insert(ik.clone(), iv.clone());
                        }
                    }
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    id: String,
    reqs: Vec<String>,
    description: String,
    op: String,
    input: Value,
    expect: Value,
    result: Result_,
    #[serde(default)]
    lenient: Option<Value>,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    confirmed_by: Option<String>,
    #[serde(default)]
    tolerance: Option<Tolerance>,
}

/// Expand `$repeat` / `$concat` generators anywhere inside `v`.
pub fn expand(v: &Value) -> Result<Value, String> {
    match v {
        Value::Object(map) if map.keys().any(|k| k.starts_with('$')) => {
            if let Some(s) = map.get("$repeat") {
                if map.len() != 2 {
                    return Err("`$repeat` takes exactly `count` beside it".into());
                }
                let s = expand(s)?;
                let s = s.as_str().ok_or("`$repeat` must be a string")?;
                let n = map
                    .get("count")
                    .and_then(Value::as_u64)
                    .ok_or("`$repeat` needs an unsigned integer `count`")?;
                let n = usize::try_from(n).map_err(|_| "`count` too large")?;
                if s.len().saturating_mul(n) > 64 * 1024 * 1024 {
                    return Err("`$repeat` would produce more than 64 MiB".into());
                }
                Ok(Value::String(s.repeat(n)))
            } else if let Some(parts) = map.get("$concat") {
                if map.len() != 1 {
                    return Err("`$concat` takes nothing beside it".into());
                }
                let parts = parts.as_array().ok_or("`$concat` must be a list")?;
                let mut out = String::new();
                for p in parts {
                    let p = expand(p)?;
                    out.push_str(p.as_str().ok_or("`$concat` parts must be strings")?);
                }
                Ok(Value::String(out))
            } else {
                let key = map.keys().find(|k| k.starts_with('$')).expect("checked");
                Err(format!("unknown generator `{key}`"))
            }
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                out.insert(k.clone(), expand(v)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(expand)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

fn parse_expect(v: &Value) -> Result<Expect, String> {
    let Value::Object(map) = v else {
        return Err("must be a mapping with one of `ok`, `error`, `unsupported`".into());
    };
    if map.len() != 1 {
        return Err("must have exactly one of `ok`, `error`, `unsupported`".into());
    }
    let (k, v) = map.iter().next().expect("len 1");
    match k.as_str() {
        "ok" if !v.is_null() => Ok(Expect::Ok(expand(v)?)),
        "ok" => Err("`ok` must not be null".into()),
        "error" => v
            .as_str()
            .map(|s| Expect::Error(s.to_owned()))
            .ok_or_else(|| "`error` must be a class string".into()),
        "unsupported" if v == &Value::Bool(true) => Ok(Expect::Unsupported),
        "unsupported" => Err("`unsupported` must be `true`".into()),
        other => Err(format!("unknown key `{other}`")),
    }
}

fn valid_case_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.')
}

/// Load and validate every `*.yaml` file under `dir` (recursively, sorted by path) against
/// `spec`. Returns every problem found when any file is invalid.
pub fn load(dir: &Path, spec: &Spec) -> Result<Suite, Vec<LoadError>> {
    let mut files = Vec::new();
    collect_yaml(dir, &mut files);
    files.sort();
    let sources = files
        .iter()
        .map(|path| {
            let rel = path.strip_prefix(dir).unwrap_or(path).display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| e.to_string());
            (rel, text)
        })
        .collect();
    load_sources(dir, sources, spec)
}

/// Validate vector files already read: `(path relative to dir, text or read error)`, in order.
/// The pure part of [`load`], also driven by the `vector_loader` fuzz target.
pub fn load_sources(
    dir: &Path,
    sources: Vec<(String, Result<String, String>)>,
    spec: &Spec,
) -> Result<Suite, Vec<LoadError>> {
    let mut errors = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut flags_by_file = BTreeMap::new();
    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    for (rel, text) in sources {
        let err = |case: Option<&str>, field: Option<&str>, message: String| LoadError {
            file: rel.clone(),
            case: case.map(str::to_owned),
            field: field.map(str::to_owned),
            message,
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                errors.push(err(None, None, format!("cannot read: {e}")));
                continue;
            }
        };
        let file: RawFile = match yaml::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                errors.push(err(None, None, e));
                continue;
            }
        };
        if file.suite != SUITE {
            errors.push(err(None, Some("suite"), format!("must be `{SUITE}`")));
        }
        if file.schema_version != SCHEMA_VERSION {
            errors.push(err(
                None,
                Some("schema_version"),
                format!("this harness reads version {SCHEMA_VERSION}"),
            ));
        }
        if !spec.has_chapter(&file.spec) {
            errors.push(err(
                None,
                Some("spec"),
                format!("`{}` is not a spec chapter", file.spec),
            ));
        }
        // Expand `defaults` and `groups` first: every later check and every consumer sees
        // complete cases, in file order (the file's `cases`, then each group's).
        let empty = serde_json::Map::new();
        let top = file.defaults.as_ref().unwrap_or(&empty);
        if let Err(e) = check_defaults(top) {
            errors.push(err(None, Some("defaults"), e));
        }
        let mut raw_cases: Vec<Value> = file.cases.iter().map(|c| apply_defaults(c, top)).collect();
        for (n, g) in file.groups.iter().enumerate() {
            let own = g.defaults.as_ref().unwrap_or(&empty);
            if let Err(e) = check_defaults(own) {
                errors.push(err(None, Some(&format!("groups[{n}].defaults")), e));
            }
            raw_cases.extend(
                g.cases
                    .iter()
                    .map(|c| apply_defaults(&apply_defaults(c, own), top)),
            );
        }
        if raw_cases.is_empty() {
            errors.push(err(None, Some("cases"), "the file has no cases".into()));
        }
        let mut used_flags = BTreeSet::new();
        for (index, raw) in raw_cases.iter().enumerate() {
            let hint = raw
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{}", index + 1));
            let raw: RawCase = match serde_json::from_value(raw.clone()) {
                Ok(c) => c,
                Err(e) => {
                    errors.push(err(Some(&hint), None, e.to_string()));
                    continue;
                }
            };
            let id = raw.id.as_str();
            let before = errors.len();
            if !valid_case_id(id) {
                errors.push(err(
                    Some(id),
                    Some("id"),
                    "must match [a-z0-9][a-z0-9.-]*".into(),
                ));
            }
            if let Some(other) = seen_ids.insert(id.to_owned(), rel.clone()) {
                errors.push(err(
                    Some(id),
                    Some("id"),
                    format!("duplicate id (also in {other})"),
                ));
            }
            if raw.description.trim().is_empty() {
                errors.push(err(Some(id), Some("description"), "is empty".into()));
            }
            if raw.reqs.is_empty() {
                errors.push(err(Some(id), Some("reqs"), "is empty".into()));
            }
            let mut level = Level::May;
            for r in &raw.reqs {
                match spec.requirement(r) {
                    Some(req) => level = level.min(req.level),
                    None => errors.push(err(
                        Some(id),
                        Some("reqs"),
                        format!("unknown requirement id `{r}`"),
                    )),
                }
            }
            match spec.op(&raw.op) {
                None => errors.push(err(
                    Some(id),
                    Some("op"),
                    format!("unknown op `{}` (not in spec/ops.yaml)", raw.op),
                )),
                Some(op) if op.status != "active" && !raw.op.is_empty() => {
                    // Probes of the protocol may name planned ops; they must expect unsupported.
                    if !matches!(parse_expect(&raw.expect), Ok(Expect::Unsupported)) {
                        errors.push(err(
                            Some(id),
                            Some("op"),
                            format!("op `{}` is planned, not active", raw.op),
                        ));
                    }
                }
                Some(_) => {}
            }
            if !raw.input.is_object() {
                errors.push(err(Some(id), Some("input"), "must be a mapping".into()));
            }
            let input = expand(&raw.input)
                .map_err(|e| errors.push(err(Some(id), Some("input"), e)))
                .unwrap_or(Value::Null);
            let expect = parse_expect(&raw.expect)
                .map_err(|e| errors.push(err(Some(id), Some("expect"), e)))
                .ok();
            let lenient = match &raw.lenient {
                None => None,
                Some(v) => parse_expect(v)
                    .map_err(|e| errors.push(err(Some(id), Some("lenient"), e)))
                    .ok(),
            };
            for e in expect.iter().chain(lenient.iter()) {
                if let Expect::Error(class) = e {
                    if !spec.error_classes.contains_key(class) {
                        errors.push(err(
                            Some(id),
                            Some("expect"),
                            format!("error class `{class}` is not in spec/error-classes.yaml"),
                        ));
                    }
                }
            }
            match (raw.result, &expect) {
                (Result_::Valid, Some(Expect::Error(_))) => errors.push(err(
                    Some(id),
                    Some("result"),
                    "`valid` needs an `ok` expectation".into(),
                )),
                (Result_::Invalid, Some(Expect::Ok(_))) => errors.push(err(
                    Some(id),
                    Some("result"),
                    "`invalid` needs an `error` expectation".into(),
                )),
                _ => {}
            }
            if raw.result == Result_::Acceptable && raw.flags.is_empty() {
                errors.push(err(
                    Some(id),
                    Some("flags"),
                    "an `acceptable` case must name at least one flag saying why".into(),
                ));
            }
            if raw.lenient.is_some() && raw.result != Result_::Acceptable {
                errors.push(err(
                    Some(id),
                    Some("lenient"),
                    "only `acceptable` cases have a lenient outcome".into(),
                ));
            }
            for f in &raw.flags {
                used_flags.insert(f.clone());
                if !file.flags.contains_key(f) {
                    errors.push(err(
                        Some(id),
                        Some("flags"),
                        format!("flag `{f}` is not declared in the file's `flags`"),
                    ));
                }
            }
            match &raw.confirmed_by {
                None => errors.push(err(
                    Some(id),
                    Some("confirmed_by"),
                    format!(
                        "is required: what confirmed `expect` (rfc-NNNN or one of {})",
                        CONFIRMATIONS.join(", ")
                    ),
                )),
                Some(c) if !valid_confirmation(c) => {
                    errors.push(err(
                        Some(id),
                        Some("confirmed_by"),
                        format!(
                            "`{c}` is not rfc-NNNN or one of {}",
                            CONFIRMATIONS.join(", ")
                        ),
                    ));
                }
                Some(_) => {}
            }
            if let Some(t) = raw.tolerance {
                let ok = |x: f64| x.is_finite() && x >= 0.0;
                if !ok(t.abs) || !ok(t.rel) {
                    errors.push(err(
                        Some(id),
                        Some("tolerance"),
                        "`abs` and `rel` must be finite and not negative".into(),
                    ));
                }
            }
            if errors.len() == before {
                cases.push(Case {
                    id: raw.id,
                    chapter: file.spec.clone(),
                    file: rel.clone(),
                    reqs: raw.reqs,
                    description: raw.description,
                    op: raw.op,
                    input,
                    expect: expect.expect("no errors"),
                    lenient,
                    result: raw.result,
                    flags: raw.flags,
                    confirmed_by: raw.confirmed_by,
                    level,
                    tolerance: raw.tolerance,
                });
            }
        }
        for f in file.flags.keys() {
            if !used_flags.contains(f) {
                errors.push(err(
                    None,
                    Some("flags"),
                    format!("flag `{f}` is declared but no case uses it"),
                ));
            }
        }
        flags_by_file.insert(rel.clone(), file.flags);
    }
    if errors.is_empty() {
        Ok(Suite {
            dir: dir.to_owned(),
            cases,
            flags: flags_by_file,
        })
    } else {
        Err(errors)
    }
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Generators and payload corpora live beside the vectors but are not vectors.
            if !path.ends_with("tools") && !path.ends_with("corpus") {
                collect_yaml(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generators_expand() {
        let v = json!({"a": {"$repeat": "ab", "count": 3}, "b": [{"$concat": ["x", {"$repeat": "y", "count": 2}]}]});
        assert_eq!(expand(&v).unwrap(), json!({"a": "ababab", "b": ["xyy"]}));
        assert!(expand(&json!({"$nope": 1})).is_err());
        assert!(expand(&json!({"$repeat": "a"})).is_err());
    }

    #[test]
    fn tolerance_compares_numbers_only() {
        let t = Tolerance {
            abs: 1e-6,
            rel: 1e-4,
        };
        let want = serde_json::json!({"p": [0.5, 100.0], "s": "x", "n": null});
        assert!(t.equal(
            &want,
            &serde_json::json!({"p": [0.5000005, 100.009], "s": "x", "n": null})
        ));
        assert!(!t.equal(
            &want,
            &serde_json::json!({"p": [0.5001, 100.0], "s": "x", "n": null})
        ));
        assert!(!t.equal(
            &want,
            &serde_json::json!({"p": [0.5, 100.0], "s": "y", "n": null})
        ));
        assert!(!t.equal(&want, &serde_json::json!({"p": [0.5], "s": "x", "n": null})));
    }

    #[test]
    fn expect_shapes() {
        assert_eq!(
            parse_expect(&json!({"error": "crc_mismatch"})).unwrap(),
            Expect::Error("crc_mismatch".into())
        );
        assert!(parse_expect(&json!({"ok": 1, "error": "x"})).is_err());
        assert!(parse_expect(&json!({"ok": null})).is_err());
        assert!(parse_expect(&json!({"unsupported": false})).is_err());
    }
}
