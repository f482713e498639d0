//! `gen-frame-vectors` — writes `vectors/frame/*.yaml`, the M2M v1 frame vectors.
//!
//! Deterministic: the input corpus is defined in code ([`corpus`]), and every expected value is
//! computed, never typed in:
//!
//! - **encode goldens** take their `{hex, wire}` from upstream m2m-protocol 0.4.0 (linked
//!   through the adapter) and are run through the reference too; each disagreement is reported.
//! - **decode / peek goldens** take their expected value from the reference and are cross-checked
//!   against upstream's decoder through the adapter; `confirmed_by: upstream-0.4.0` when they
//!   agree.
//! - **negative cases** name the error class the spec requires; the reference must produce it.
//!   Where upstream is lenient by design the case is `acceptable`, carries the declared flag,
//!   and `lenient:` records what upstream actually does.
//!
//! Usage:
//! ```text
//! gen-frame-vectors [--reference PATH/TO/m2m-ref] [--out DIR] [--vecwrite PATH] [--check]
//! ```
//! Files are rendered by the suite's one writer, `vectors/tools/vecwrite.py` (`--vecwrite`,
//! run with `python3`). `--check` compares the files that would be written with those on disk
//! and writes nothing.
//! The exit code is 1 when the reference disagrees with a value it should reproduce, or when a
//! written file does not parse back to the intended document.

mod corpus;
mod frames;
mod testee;
mod vecwrite;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Map, Value};

use testee::{Outcome, Reference};

/// How a case's expected outcome is obtained.
#[derive(Debug, Clone)]
pub enum Want {
    /// Upstream's outcome is the golden value; the reference must reproduce it.
    Upstream,
    /// The reference's outcome is the golden value. If upstream differs, the case is
    /// `acceptable` under the given flag (an undeclared difference is reported).
    Reference(Option<&'static str>),
    /// The op must fail with this class. If upstream does something else, the case is
    /// `acceptable` under the given flag.
    Error(&'static str, Option<&'static str>),
    /// Like `Error` with a flag, but upstream's outcome is too large to record: no `lenient`.
    ErrorNoLenient(&'static str, &'static str),
}

/// A case before it is run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub file: &'static str,
    pub id: String,
    pub reqs: Vec<&'static str>,
    pub description: String,
    pub op: &'static str,
    /// The op's args; may contain `$repeat` / `$concat` generators.
    pub input: Value,
    pub want: Want,
    /// A near miss: a `valid` case whose input lies just outside the condition of the
    /// requirements it cites. It gets the `NEAR_MISS` flag and counts as negative coverage.
    pub near_miss: bool,
}

/// A finished case, ready to be written.
#[derive(Debug, Clone)]
struct Case {
    spec: Spec,
    expect: Value,
    result: &'static str,
    lenient: Option<Value>,
    flags: Vec<&'static str>,
    confirmed_by: Option<&'static str>,
}

/// Every flag a frame vector may use, with its meaning.
pub const FLAGS: &[(&str, &str)] = &[
    ("UPSTREAM_WRAPS_LENGTH_BYTE", "upstream m2m-protocol 0.4.0 writes a model or id longer than 255 bytes with its length byte taken modulo 256 (all bytes are still written), producing a frame its own decoder misreads"),
    ("UPSTREAM_WRAPS_HEADER_LEN", "upstream m2m-protocol 0.4.0 writes header_len modulo 65536 when the variable header is too large, producing an inconsistent frame"),
    ("UPSTREAM_FLAGS_UNWRITTEN_MAX_TOKENS", "upstream m2m-protocol 0.4.0 sets has_max_tokens whenever the max_tokens key exists, but writes the field only for unsigned integers, so the flag can announce a field that is absent"),
    ("UPSTREAM_SKIPS_UNKNOWN_ROLES", "upstream m2m-protocol 0.4.0 silently skips messages without a system/developer/user/assistant/tool role, so the packed roles no longer line up with msg_count"),
    ("UPSTREAM_IGNORES_TRAILING_BYTES", "upstream m2m-protocol 0.4.0 ignores bytes after the payload"),
    ("UPSTREAM_IGNORES_RESERVED", "upstream m2m-protocol 0.4.0 never checks reserved bytes, reserved flag bits or the padding bits of the packed roles"),
    ("UPSTREAM_ACCEPTS_UNKNOWN_SCHEMA", "upstream m2m-protocol 0.4.0 decodes any undefined schema byte as Unknown (0xFF) and skips its variable header"),
    ("UPSTREAM_IGNORES_SECURITY_BYTE", "upstream m2m-protocol 0.4.0's plain decoder ignores the security byte (an HMAC frame decodes, its tag being treated as trailing bytes)"),
    ("UPSTREAM_UNBOUNDED_HEADER_PARSE", "upstream m2m-protocol 0.4.0 parses the variable header up to the end of the whole frame instead of header_len, and then jumps to 7 + header_len whatever it consumed"),
    ("UPSTREAM_LONG_VARINTS", "upstream m2m-protocol 0.4.0 reads header varints of up to 10 bytes into a u64 and truncates the value to 32 bits"),
    ("UPSTREAM_NO_SIZE_LIMIT", "upstream m2m-protocol 0.4.0 enforces neither a message-size nor a decompressed-size limit"),
    ("UPSTREAM_IGNORES_BROTLI_TRAILER", "upstream m2m-protocol 0.4.0 (brotli-decompressor 4 reader) ignores bytes after the end of the Brotli stream"),
    ("UPSTREAM_BROTLI_ERRORS_UNDIFFERENTIATED", "upstream m2m-protocol 0.4.0 reports a truncated and a corrupt Brotli stream with the same error (`Invalid Data`), which the adapter maps to brotli_corrupt"),
    ("UPSTREAM_LOSES_FINAL_PADDING_ERROR", "brotli-decompressor 4.0.3, which upstream m2m-protocol 0.4.0 uses, detects non-zero padding bits after the last meta-block but loses that error when it still has output to flush in the same call, so upstream returns the payload"),
    ("UPSTREAM_LOSES_FINISH_CODE", "upstream m2m-protocol 0.4.0 decodes an undefined finish-reason code as Unknown and keeps no raw byte, so finish_reason_code reads 255"),
    ("UPSTREAM_PEEK_DECODES_PAYLOAD", "upstream m2m-protocol 0.4.0 has no header-only reader; its adapter peeks by decoding the whole frame, so payload-section errors surface in peek"),
    ("NEAR_MISS", "the input lies just outside the condition of the cited requirement; an implementation that applied the rule loosely answers differently"),
    ("UPSTREAM_MISSING_COST_FROM_PAYLOAD_LEN", "upstream m2m-protocol 0.4.0 treats the request cost as optional and, when it is missing from the routing header, reads the next 4 bytes of the frame (payload_len) as the cost"),
];

fn flag_meaning(name: &str) -> &'static str {
    FLAGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
        .unwrap_or_else(|| panic!("flag {name} is not in FLAGS"))
}

/// The topic files, in writing order, with their descriptions.
pub const FILES: &[(&str, &str)] = &[
    ("encode-request", "M2M v1 frame encoder, request documents: exact binary and text forms (goldens from upstream m2m-protocol 0.4.0)"),
    ("encode-response", "M2M v1 frame encoder, response documents: exact binary and text forms (goldens from upstream m2m-protocol 0.4.0)"),
    ("decode", "M2M v1 frame decoder, valid frames (binary form): payload and parsed headers"),
    ("peek", "M2M v1 frame peek: the headers without the payload section"),
    ("decode-errors", "M2M v1 frame decoder, malformed frames: one error class per defect, in the normative check order"),
    ("text-form", "M2M v1 frame text form (`#M2M|1|` + base64) and the engine ops wire.compress / wire.decompress"),
    ("negative", "M2M v1 frame: negative cases for rules whose other vectors are all valid: frames and documents the spec rejects, and near misses (valid inputs just outside a rule's condition, flag NEAR_MISS)"),
];

/// Expand `$repeat` / `$concat` generators (vectors/README.md) in a value.
pub fn expand(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("$repeat") => {
            let s = expand(&m["$repeat"]);
            let n = m["count"].as_u64().expect("count") as usize;
            Value::String(s.as_str().expect("string").repeat(n))
        }
        Value::Object(m) if m.contains_key("$concat") => {
            let parts = m["$concat"].as_array().expect("array");
            Value::String(
                parts
                    .iter()
                    .map(|p| expand(p).as_str().expect("string").to_owned())
                    .collect(),
            )
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), expand(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(expand).collect()),
        other => other.clone(),
    }
}

/// Replace long strings in `v` that equal a known generator's expansion by the generator,
/// and squeeze long runs of any other long string.
pub fn compact(v: &Value, known: &BTreeMap<String, Value>) -> Value {
    match v {
        Value::String(s) if s.len() > 512 => known.get(s).cloned().unwrap_or_else(|| {
            let squeezed = squeeze(s);
            assert_eq!(
                expand(&squeezed).as_str(),
                Some(s.as_str()),
                "squeeze must round-trip"
            );
            squeezed
        }),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), compact(x, known)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| compact(x, known)).collect()),
        other => other.clone(),
    }
}

/// A long string as `$concat` of literal pieces and `$repeat` runs: every run of at least
/// 1024 bytes made of one repeated unit of 1 to 8 ASCII bytes is replaced by a `$repeat`.
/// Strings without such runs come back unchanged.
pub fn squeeze(s: &str) -> Value {
    const MIN_RUN: usize = 1024;
    if s.len() < MIN_RUN || !s.is_ascii() {
        return Value::String(s.to_owned());
    }
    let b = s.as_bytes();
    let mut parts: Vec<Value> = Vec::new();
    let mut lit_start = 0;
    let mut i = 0;
    while i < b.len() {
        // the longest run starting at i, over unit lengths 1..=8
        let mut best: Option<(usize, usize)> = None; // (unit, repeats)
        for unit in 1..=8usize {
            if i + unit > b.len() {
                break;
            }
            let mut n = 1;
            while i + (n + 1) * unit <= b.len()
                && b[i + n * unit..i + (n + 1) * unit] == b[i..i + unit]
            {
                n += 1;
            }
            if n * unit >= MIN_RUN && best.is_none_or(|(u, r)| n * unit > u * r) {
                best = Some((unit, n));
            }
        }
        match best {
            Some((unit, n)) => {
                if lit_start < i {
                    parts.push(Value::String(s[lit_start..i].to_owned()));
                }
                parts.push(json!({ "$repeat": &s[i..i + unit], "count": n }));
                i += unit * n;
                lit_start = i;
            }
            None => i += 1,
        }
    }
    if parts.is_empty() {
        return Value::String(s.to_owned());
    }
    if lit_start < b.len() {
        parts.push(Value::String(s[lit_start..].to_owned()));
    }
    if parts.len() == 1 {
        return parts.pop().expect("one part");
    }
    json!({ "$concat": parts })
}

/// Collect every generator inside `v` (outermost first) keyed by its expansion.
fn register_generators(v: &Value, known: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) if m.keys().any(|k| k.starts_with('$')) => {
            if let Value::String(s) = expand(v) {
                known.entry(s).or_insert_with(|| v.clone());
            }
        }
        Value::Object(m) => m.values().for_each(|x| register_generators(x, known)),
        Value::Array(a) => a.iter().for_each(|x| register_generators(x, known)),
        _ => {}
    }
}

struct Report {
    /// Problems that make the run fail (the reference must reproduce these).
    failures: Vec<String>,
    /// Upstream outcomes that differ from the golden value without a declared flag.
    undeclared: Vec<String>,
    /// Flags declared but not needed (upstream agreed).
    unneeded_flags: Vec<String>,
    encode_compared: usize,
    encode_matched: usize,
}

fn largest_string_len(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Object(m) => m.values().map(largest_string_len).max().unwrap_or(0),
        Value::Array(a) => a.iter().map(largest_string_len).max().unwrap_or(0),
        _ => 0,
    }
}

fn evaluate(
    spec: Spec,
    reference: &mut Reference,
    report: &mut Report,
    known: &BTreeMap<String, Value>,
) -> Case {
    let args = expand(&spec.input);
    let up = testee::upstream(spec.op, &args);
    let re = reference
        .run(spec.op, &args)
        .unwrap_or_else(|e| panic!("{}: {e}", spec.id));
    let tag = format!("{}::{}", spec.file, spec.id);
    let mut case = Case {
        spec: spec.clone(),
        expect: Value::Null,
        result: "valid",
        lenient: None,
        flags: Vec::new(),
        confirmed_by: None,
    };
    let set_expect = |case: &mut Case, o: &Outcome| {
        case.expect = compact(&o.to_value(), known);
        case.result = match o {
            Outcome::Ok(_) => "valid",
            _ => "invalid",
        };
    };
    match &spec.want {
        Want::Upstream => {
            set_expect(&mut case, &up);
            case.confirmed_by = Some("upstream-0.4.0");
            if spec.op == "frame.encode" || spec.op == "wire.compress" {
                report.encode_compared += 1;
                if re == up {
                    report.encode_matched += 1;
                }
            }
            if re != up {
                report.failures.push(format!(
                    "{tag}: reference differs from upstream golden\n    input:     {}\n    upstream:  {}\n    reference: {}",
                    brief_input(&spec.input),
                    up.brief(),
                    re.brief()
                ));
            }
        }
        Want::Reference(flag) => {
            set_expect(&mut case, &re);
            if up == re {
                case.confirmed_by = Some("upstream-0.4.0");
                if let Some(f) = flag {
                    report
                        .unneeded_flags
                        .push(format!("{tag}: {f} declared but upstream agrees"));
                }
            } else if let Some(f) = flag {
                case.result = "acceptable";
                case.flags.push(f);
                case.lenient = Some(compact(&up.to_value(), known));
                case.confirmed_by = Some("reference-only");
            } else {
                case.confirmed_by = Some("reference-only");
                report.undeclared.push(format!(
                    "{tag}: upstream differs from the reference (no flag)\n    input:     {}\n    upstream:  {}\n    reference: {}",
                    brief_input(&spec.input),
                    up.brief(),
                    re.brief()
                ));
            }
        }
        Want::Error(..) | Want::ErrorNoLenient(..) => {
            let (class, flag, record) = match &spec.want {
                Want::Error(c, f) => (*c, *f, true),
                Want::ErrorNoLenient(c, f) => (*c, Some(*f), false),
                _ => unreachable!(),
            };
            let want = Outcome::Error(class.to_owned());
            set_expect(&mut case, &want);
            case.confirmed_by = Some("spec");
            if re != want {
                report.failures.push(format!(
                    "{tag}: reference does not give `{class}`\n    input:     {}\n    reference: {}",
                    brief_input(&spec.input),
                    re.brief()
                ));
            }
            if up == want {
                case.confirmed_by = Some("upstream-0.4.0");
                if let Some(f) = flag {
                    report
                        .unneeded_flags
                        .push(format!("{tag}: {f} declared but upstream agrees"));
                }
            } else if let Some(f) = flag {
                case.result = "acceptable";
                case.flags.push(f);
                let lenient = compact(&up.to_value(), known);
                if record && largest_string_len(&lenient) <= 4096 {
                    case.lenient = Some(lenient);
                } else if record {
                    report.unneeded_flags.push(format!(
                        "{tag}: upstream outcome too large to record as lenient ({} bytes)",
                        largest_string_len(&lenient)
                    ));
                }
            } else {
                report.undeclared.push(format!(
                    "{tag}: upstream does not give `{class}` (no flag)\n    input:     {}\n    upstream:  {}",
                    brief_input(&spec.input),
                    up.brief()
                ));
            }
        }
    }
    if spec.near_miss {
        if case.result == "valid" {
            case.flags.push("NEAR_MISS");
        } else {
            report.failures.push(format!(
                "{tag}: a near miss must be a valid case, but it is `{}`",
                case.result
            ));
        }
    }
    case
}

fn brief_input(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 400 {
        let cut = s.char_indices().nth(400).map_or(s.len(), |(i, _)| i);
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

/// The document of one file as a JSON value (the shape the loader sees).
fn document(file: &str, description: &str, cases: &[&Case]) -> Value {
    let mut flags: Vec<&str> = cases.iter().flat_map(|c| c.flags.iter().copied()).collect();
    flags.sort_unstable();
    flags.dedup();
    let mut doc = Map::new();
    doc.insert("suite".into(), json!("m2m-conformance"));
    doc.insert("schema_version".into(), json!(1));
    doc.insert("spec".into(), json!("frame"));
    doc.insert("description".into(), json!(description));
    if !flags.is_empty() {
        let m: Map<String, Value> = flags
            .iter()
            .map(|f| ((*f).to_owned(), json!(flag_meaning(f))))
            .collect();
        doc.insert("flags".into(), Value::Object(m));
    }
    let _ = file;
    let list: Vec<Value> = cases.iter().map(|c| case_value(c)).collect();
    doc.insert("cases".into(), Value::Array(list));
    Value::Object(doc)
}

fn case_value(c: &Case) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.spec.id));
    m.insert("reqs".into(), json!(c.spec.reqs));
    m.insert("description".into(), json!(c.spec.description));
    m.insert("op".into(), json!(c.spec.op));
    m.insert("input".into(), c.spec.input.clone());
    m.insert("expect".into(), c.expect.clone());
    m.insert("result".into(), json!(c.result));
    if let Some(l) = &c.lenient {
        m.insert("lenient".into(), l.clone());
    }
    if !c.flags.is_empty() {
        m.insert("flags".into(), json!(c.flags));
    }
    if let Some(cb) = c.confirmed_by {
        m.insert("confirmed_by".into(), json!(cb));
    }
    Value::Object(m)
}

const HEADER: &str =
    "GENERATED by adapters/m2m-protocol-0.4 (gen-frame-vectors); do not edit by hand.\n\
    Regenerate: cargo run --release --manifest-path adapters/m2m-protocol-0.4/Cargo.toml \\\n  \
    --bin gen-frame-vectors -- --reference target/debug/m2m-ref --out vectors/frame";

fn main() -> ExitCode {
    let mut reference_path = PathBuf::from("target/debug/m2m-ref");
    let mut out_dir = PathBuf::from("vectors/frame");
    let mut check = false;
    let mut spec_path = PathBuf::from("spec/05-frame.md");
    let mut vecwrite_path = PathBuf::from("vectors/tools/vecwrite.py");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reference" => reference_path = args.next().expect("--reference PATH").into(),
            "--out" => out_dir = args.next().expect("--out DIR").into(),
            "--check" => check = true,
            "--spec" => spec_path = args.next().expect("--spec FILE").into(),
            "--vecwrite" => vecwrite_path = args.next().expect("--vecwrite PATH").into(),
            other => {
                eprintln!("unknown argument `{other}`");
                return ExitCode::from(2);
            }
        }
    }
    let mut reference = match Reference::start(&reference_path.to_string_lossy()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match reference.hello() {
        Ok(h) => eprintln!("reference: {h}"),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }

    let specs = corpus::all();
    let mut known = BTreeMap::new();
    for s in &specs {
        register_generators(&s.input, &mut known);
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &specs {
        assert!(seen.insert(s.id.clone()), "duplicate case id {}", s.id);
        assert!(
            FILES.iter().any(|(f, _)| *f == s.file),
            "unknown file {}",
            s.file
        );
    }
    let mut report = Report {
        failures: Vec::new(),
        undeclared: Vec::new(),
        unneeded_flags: Vec::new(),
        encode_compared: 0,
        encode_matched: 0,
    };
    let cases: Vec<Case> = specs
        .into_iter()
        .map(|s| evaluate(s, &mut reference, &mut report, &known))
        .collect();

    let mut written = 0;
    let mut stale = Vec::new();
    for (file, description) in FILES {
        let in_file: Vec<&Case> = cases.iter().filter(|c| c.spec.file == *file).collect();
        if in_file.is_empty() {
            continue;
        }
        let doc = document(file, description, &in_file);
        let text = match vecwrite::render(&vecwrite_path, &doc, HEADER) {
            Ok(t) => t,
            Err(e) => {
                report.failures.push(format!("{file}.yaml: {e}"));
                continue;
            }
        };
        // Parse back: the YAML must mean exactly the intended document.
        let back: Value = match serde_yaml::from_str::<serde_yaml::Value>(&text)
            .map_err(|e| e.to_string())
            .and_then(|y| serde_json::to_value(y).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                report
                    .failures
                    .push(format!("{file}.yaml does not parse back: {e}"));
                continue;
            }
        };
        if !same_document(&back, &doc) {
            report
                .failures
                .push(format!("{file}.yaml parses back to a different document"));
            continue;
        }
        let path = out_dir.join(format!("{file}.yaml"));
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            write(&path, &text);
            written += 1;
        }
        eprintln!("{file}.yaml: {} cases", in_file.len());
    }

    let by_result = |r: &str| cases.iter().filter(|c| c.result == r).count();
    let confirmed = cases
        .iter()
        .filter(|c| c.confirmed_by == Some("upstream-0.4.0"))
        .count();
    let near_misses = cases
        .iter()
        .filter(|c| c.result == "valid" && c.flags.contains(&"NEAR_MISS"))
        .count();
    eprintln!(
        "\n{} cases: {} valid (of which {} near misses), {} invalid, {} acceptable; {} confirmed_by upstream-0.4.0",
        cases.len(),
        by_result("valid"),
        near_misses,
        by_result("invalid"),
        by_result("acceptable"),
        confirmed
    );
    eprintln!(
        "encode goldens compared with upstream: {}, reference matched: {}",
        report.encode_compared, report.encode_matched
    );
    let mut flag_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        for f in &c.flags {
            *flag_counts.entry(f).or_default() += 1;
        }
    }
    for (f, n) in &flag_counts {
        eprintln!("  flag {f}: {n} cases");
    }
    match std::fs::read_to_string(&spec_path) {
        Ok(text) => coverage(&text, &cases, &mut report),
        Err(e) => report
            .failures
            .push(format!("cannot read {}: {e}", spec_path.display())),
    }
    for line in &report.unneeded_flags {
        eprintln!("note: {line}");
    }
    for line in &report.undeclared {
        eprintln!("UPSTREAM-DIFF: {line}");
    }
    for line in &report.failures {
        eprintln!("FAIL: {line}");
    }
    if check && !stale.is_empty() {
        for s in &stale {
            eprintln!("stale: {s}");
        }
        return ExitCode::FAILURE;
    }
    if !check {
        eprintln!("wrote {written} files to {}", out_dir.display());
    }
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Every MUST of the chapter needs a valid vector and a negative one citing it (invalid,
/// acceptable, or a valid case flagged `NEAR_MISS`); every cited id must exist in the chapter.
fn coverage(spec_text: &str, cases: &[Case], report: &mut Report) {
    let mut levels: BTreeMap<String, String> = BTreeMap::new();
    for line in spec_text.lines() {
        let Some(rest) = line.strip_prefix("- **[") else {
            continue;
        };
        let Some((id, tail)) = rest.split_once("]** ") else {
            continue;
        };
        let level = tail.split([' ', ':']).next().unwrap_or("").to_owned();
        levels.insert(id.to_owned(), level);
    }
    let mut positive: BTreeMap<&str, usize> = BTreeMap::new();
    let mut negative: BTreeMap<&str, usize> = BTreeMap::new();
    let mut near: BTreeMap<&str, usize> = BTreeMap::new();
    for c in cases {
        let near_miss = c.result == "valid" && c.flags.contains(&"NEAR_MISS");
        for r in &c.spec.reqs {
            if !levels.contains_key(*r) {
                report.failures.push(format!(
                    "{}: cites {r}, which the chapter does not define",
                    c.spec.id
                ));
            }
            if near_miss {
                *near.entry(r).or_default() += 1;
            } else if c.result == "valid" {
                *positive.entry(r).or_default() += 1;
            } else {
                *negative.entry(r).or_default() += 1;
            }
        }
    }
    let mut gaps = 0;
    for (id, level) in &levels {
        let p = positive.get(id.as_str()).copied().unwrap_or(0);
        let m = near.get(id.as_str()).copied().unwrap_or(0);
        let n = negative.get(id.as_str()).copied().unwrap_or(0);
        if level == "MUST" && (p == 0 || m + n == 0) {
            gaps += 1;
            eprintln!(
                "coverage gap: {id} ({level}): {p} valid, {m} near misses, {n} invalid/acceptable"
            );
        } else if p + m + n == 0 {
            eprintln!("coverage gap: {id} ({level}) has no vector");
        }
    }
    eprintln!(
        "coverage: {} requirements, {} MUST gaps",
        levels.len(),
        gaps
    );
}

/// JSON equality where numbers compare by value (YAML may read `1` back as an integer of a
/// different internal kind).
fn same_document(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64() == y.as_f64() && x.as_u64() == y.as_u64() && x.as_i64() == y.as_i64()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_document(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_document(v, w)))
        }
        _ => a == b,
    }
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create output dir");
    }
    std::fs::write(path, text).expect("write vector file");
}
