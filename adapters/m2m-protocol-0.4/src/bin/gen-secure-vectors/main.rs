//! `gen-secure-vectors` — writes `vectors/secure/*.yaml`, the vectors of spec chapter `secure`.
//!
//! Deterministic: the corpus is code ([`corpus`]); expected values are typed in only where an
//! RFC or upstream's own tests give them, and computed otherwise:
//!
//! - **RFC and spec goldens** (`Want::Golden`) are the published values; the reference
//!   must reproduce them and upstream 0.4.0 (through the adapter) is compared too.
//! - **reference goldens** (`Want::Reference`) take the reference's outcome and are confirmed
//!   by upstream's when upstream can express the op.
//! - **upstream goldens** (`Want::Upstream`) take upstream's outcome (HMAC frames, and AEAD
//!   frames upstream sealed with its own random nonces); the reference must reproduce them.
//! - **negative cases** name the class the spec requires; where upstream is lenient the case is
//!   `acceptable` with a declared flag and upstream's outcome as `lenient`.
//!
//! Cases upstream cannot confirm (AEAD frames sealed with a given nonce, tampered frames upstream
//! treats differently) are recomputed by `vectors/tools/check_secure_vectors.py` (Python,
//! `cryptography`), and labelled `second-computation`.
//!
//! AEAD frames sealed by upstream carry random nonces, so they are produced once and kept in
//! `vectors/tools/secure-upstream-frames.json`; `--fresh-upstream-frames` replaces them.
//!
//! Usage:
//! ```text
//! gen-secure-vectors [--reference target/debug/m2m-ref] [--out vectors/secure]
//!                    [--frames vectors/tools/secure-upstream-frames.json]
//!                    [--fresh-upstream-frames] [--vecwrite vectors/tools/vecwrite.py] [--check]
//! ```
//! Files are rendered by the suite's one writer, `vectors/tools/vecwrite.py`, run with `python3`.

mod corpus;
#[allow(dead_code)]
#[path = "../gen-frame-vectors/testee.rs"]
mod testee;
#[path = "../gen-frame-vectors/vecwrite.rs"]
mod vecwrite;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Map, Value};

pub use testee::{Outcome, Reference};

/// How a case's expected outcome is obtained.
#[derive(Debug, Clone)]
pub enum Want {
    /// A published value (RFC, upstream's own tests, a worked example of the spec). The reference must
    /// reproduce it; upstream is compared (a difference needs the flag).
    Golden(Outcome, &'static str, Option<&'static str>),
    /// The reference's outcome; upstream confirms it or differs under the flag.
    Reference(Option<&'static str>),
    /// Upstream's outcome; the reference must reproduce it.
    Upstream,
    /// The op must fail with this class; upstream may differ under the flag.
    Error(&'static str, Option<&'static str>),
    /// The op must fail with this class; upstream is known (from its code) to answer the given
    /// outcome instead, even where the adapter cannot express the input.
    ErrorKnownLenient(&'static str, &'static str, Outcome),
    /// A tampered frame: the reference's outcome must be an error. If upstream accepts it the
    /// case is acceptable under `UPSTREAM_READS_MODE_FROM_FRAME`; if upstream fails with
    /// another class, under `UPSTREAM_DIFFERENT_CHECK_ORDER`.
    Tamper,
}

/// A case before it is run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub file: &'static str,
    pub id: String,
    pub reqs: Vec<&'static str>,
    pub description: String,
    pub op: &'static str,
    pub input: Value,
    pub want: Want,
    pub near_miss: bool,
}

#[derive(Debug, Clone)]
struct Case {
    spec: Spec,
    expect: Value,
    result: &'static str,
    lenient: Option<Value>,
    flags: Vec<&'static str>,
    confirmed_by: &'static str,
}

/// Every flag a secure vector may use.
pub const FLAGS: &[(&str, &str)] = &[
    ("UPSTREAM_READS_MODE_FROM_FRAME", "upstream m2m-protocol 0.4.0's decode_secure takes the security mode from the frame's own security byte (0x00 and undefined values go to the plain decoder, which ignores the trailing tag), so a receiver cannot require a mode and a downgraded or mislabelled frame is accepted"),
    ("UPSTREAM_DIFFERENT_CHECK_ORDER", "upstream m2m-protocol 0.4.0 rejects this frame too, but with another class: it parses the variable header before authenticating it, or sends an undefined security byte to the plain decoder"),
    ("UPSTREAM_CHECKS_KEY_LATE", "upstream m2m-protocol 0.4.0 checks a frame key only where it first uses it (SECURE-DIV-005): encode_secure is given a frame already built from the JSON, decode_secure reads the prefix, the frame length and (AEAD) the headers first, and a frame whose security byte is 0x00 or undefined goes to the plain decoder, which takes no key; so an invalid key with a broken input fails on the input, and with a plain frame not at all"),
    ("UPSTREAM_TRUNCATES_AEAD_KEY", "upstream m2m-protocol 0.4.0 accepts AEAD keys longer than 32 bytes and silently uses the first 32"),
    ("UPSTREAM_NO_LOW_ORDER_CHECK", "upstream m2m-protocol 0.4.0's KeyPair::diffie_hellman returns the all-zero shared secret of a low-order peer key without any check (exchange.rs); the adapter cannot pass a raw public key, so this is known from the code"),
    ("UPSTREAM_IGNORES_RESERVED", "upstream m2m-protocol 0.4.0 never checks reserved bytes or reserved flag bits, also not in an authenticated header"),
    ("UPSTREAM_IGNORES_TRAILING_BYTES", "upstream m2m-protocol 0.4.0 ignores bytes after the payload, also when they are covered by the HMAC tag"),
    ("UPSTREAM_NO_SIZE_LIMIT", "upstream m2m-protocol 0.4.0 enforces no message-size limit"),
    ("NEAR_MISS", "the input lies just outside the condition of the cited requirement; an implementation that applied the rule loosely answers differently"),
];

/// The topic files with their descriptions.
pub const FILES: &[(&str, &str)] = &[
    ("hmac", "HMAC-SHA256: RFC 4231 cases, key sizes, verification and truncated tags"),
    ("aead", "ChaCha20-Poly1305 sealed boxes: RFC 8439 section 2.8.2, key and nonce sizes, tampering"),
    ("hkdf", "HKDF-SHA256: RFC 5869 A.1-A.3, no-salt derivation, output length limits"),
    ("hierarchy", "the m2m/v1 key hierarchy: every derivation path, both session routes, id validation"),
    ("x25519", "X25519: RFC 7748 sections 5.2 and 6.1, session keys, low-order points"),
    ("keyring", "the keyring: add, default, remove, set_default, session-key derivation"),
    ("frame-hmac", "HMAC frames (security byte 0x01): sealing, opening, tampering, downgrade"),
    ("frame-aead", "AEAD frames (security byte 0x02): sealing with fixed nonces, opening, tampering, downgrade"),
    ("frame-upstream", "AEAD frames sealed by upstream m2m-protocol 0.4.0 with its own random nonces, opened by the implementation"),
    ("bitflip-hmac", "every single-bit flip of one HMAC frame is rejected"),
    ("bitflip-aead", "every single-bit flip of one AEAD frame is rejected"),
];

fn flag_meaning(name: &str) -> &'static str {
    FLAGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
        .unwrap_or_else(|| panic!("flag {name} is not in FLAGS"))
}

#[derive(Default)]
struct Report {
    failures: Vec<String>,
    undeclared: Vec<String>,
    notes: Vec<String>,
    upstream_agreed: usize,
    upstream_unsupported: usize,
}

fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(300).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

fn evaluate(spec: Spec, reference: &mut Reference, report: &mut Report) -> Case {
    let args = spec.input.clone();
    let up = testee::upstream(spec.op, &args);
    let re = reference
        .run(spec.op, &args)
        .unwrap_or_else(|e| panic!("{}: {e}", spec.id));
    let tag = format!("{}::{}", spec.file, spec.id);
    let result_of = |o: &Outcome| match o {
        Outcome::Ok(_) => "valid",
        _ => "invalid",
    };
    let mut case = Case {
        spec: spec.clone(),
        expect: Value::Null,
        result: "valid",
        lenient: None,
        flags: Vec::new(),
        confirmed_by: "reference-only",
    };
    if up == Outcome::Unsupported {
        report.upstream_unsupported += 1;
    }
    // The golden outcome, the upstream flag, and the default confirmation.
    let (golden, flag, confirmed): (Outcome, Option<&'static str>, &'static str) = match &spec.want
    {
        Want::Golden(o, src, flag) => (o.clone(), *flag, src),
        Want::Reference(flag) => (re.clone(), *flag, "reference-only"),
        Want::Upstream => (up.clone(), None, "upstream-0.4.0"),
        Want::Error(c, flag) => (Outcome::Error((*c).to_owned()), *flag, "spec"),
        Want::ErrorKnownLenient(c, _, _) => (Outcome::Error((*c).to_owned()), None, "spec"),
        Want::Tamper => {
            let flag = match &up {
                Outcome::Ok(_) => Some("UPSTREAM_READS_MODE_FROM_FRAME"),
                _ => Some("UPSTREAM_DIFFERENT_CHECK_ORDER"),
            };
            (re.clone(), flag, "reference-only")
        }
    };
    if matches!(spec.want, Want::Tamper) && !matches!(re, Outcome::Error(_)) {
        report.failures.push(format!(
            "{tag}: the reference accepts a tampered frame: {}",
            re.brief()
        ));
    }
    if re != golden {
        report.failures.push(format!(
            "{tag}: the reference does not reproduce the golden value\n    input:     {}\n    golden:    {}\n    reference: {}",
            brief(&spec.input),
            golden.brief(),
            re.brief()
        ));
    }
    case.expect = golden.to_value();
    case.result = result_of(&golden);
    case.confirmed_by = confirmed;
    if let Want::ErrorKnownLenient(_, f, lenient) = &spec.want {
        case.result = "acceptable";
        case.flags.push(f);
        case.lenient = Some(lenient.to_value());
        if up != Outcome::Unsupported && &up != lenient {
            report.failures.push(format!(
                "{tag}: upstream answers {}, not the recorded lenient outcome",
                up.brief()
            ));
        }
    } else if up == golden {
        report.upstream_agreed += 1;
        if matches!(
            spec.want,
            Want::Reference(_) | Want::Error(..) | Want::Tamper
        ) {
            case.confirmed_by = "upstream-0.4.0";
        }
        if let (Some(f), false) = (flag, matches!(spec.want, Want::Tamper)) {
            report
                .notes
                .push(format!("{tag}: {f} declared but upstream agrees"));
        }
    } else if up == Outcome::Unsupported {
        // nothing independent from upstream; keep the default confirmation
    } else if let Some(f) = flag {
        case.result = "acceptable";
        case.flags.push(f);
        case.lenient = Some(up.to_value());
    } else {
        report.undeclared.push(format!(
            "{tag}: upstream differs (no flag)\n    input:    {}\n    expected: {}\n    upstream: {}",
            brief(&spec.input),
            golden.brief(),
            up.brief()
        ));
    }
    // Where upstream cannot confirm, the Python second computation does:
    // vectors/tools/check_secure_vectors.py recomputes AEAD frame seals (from upstream's plain
    // frames) and frame opens up to authentication, and fails for any case labelled
    // `second-computation` that it cannot recompute.
    if case.confirmed_by == "reference-only"
        && (spec.op == "frame.open" || (spec.op == "frame.seal" && spec.input["mode"] == "aead"))
    {
        case.confirmed_by = "second-computation";
    }
    if spec.near_miss {
        if case.result == "valid" {
            case.flags.push("NEAR_MISS");
        } else {
            report
                .failures
                .push(format!("{tag}: a near miss must be a valid case"));
        }
    }
    case
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
    m.insert("confirmed_by".into(), json!(c.confirmed_by));
    Value::Object(m)
}

fn document(description: &str, cases: &[&Case]) -> Value {
    let mut flags: Vec<&str> = cases.iter().flat_map(|c| c.flags.iter().copied()).collect();
    flags.sort_unstable();
    flags.dedup();
    let mut doc = Map::new();
    doc.insert("suite".into(), json!("m2m-conformance"));
    doc.insert("schema_version".into(), json!(1));
    doc.insert("spec".into(), json!("secure"));
    doc.insert("description".into(), json!(description));
    if !flags.is_empty() {
        let m: Map<String, Value> = flags
            .iter()
            .map(|f| ((*f).to_owned(), json!(flag_meaning(f))))
            .collect();
        doc.insert("flags".into(), Value::Object(m));
    }
    doc.insert(
        "cases".into(),
        Value::Array(cases.iter().map(|c| case_value(c)).collect()),
    );
    Value::Object(doc)
}

const HEADER: &str =
    "GENERATED by adapters/m2m-protocol-0.4 (gen-secure-vectors); do not edit by hand.\n\
    Regenerate: cargo run --release --manifest-path adapters/m2m-protocol-0.4/Cargo.toml \\\n  \
    --bin gen-secure-vectors -- --reference target/debug/m2m-ref --out vectors/secure";

fn same_document(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
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

fn main() -> ExitCode {
    let mut reference_path = PathBuf::from("target/debug/m2m-ref");
    let mut out_dir = PathBuf::from("vectors/secure");
    let mut frames_path = PathBuf::from("vectors/tools/secure-upstream-frames.json");
    let mut fresh = false;
    let mut check = false;
    let mut vecwrite_path = PathBuf::from("vectors/tools/vecwrite.py");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reference" => reference_path = args.next().expect("--reference PATH").into(),
            "--out" => out_dir = args.next().expect("--out DIR").into(),
            "--vecwrite" => vecwrite_path = args.next().expect("--vecwrite PATH").into(),
            "--frames" => frames_path = args.next().expect("--frames FILE").into(),
            "--fresh-upstream-frames" => fresh = true,
            "--check" => check = true,
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
    if let Err(e) = reference.hello() {
        eprintln!("{e}");
        return ExitCode::from(2);
    }

    // Upstream-sealed AEAD frames: kept on disk (random nonces), made afresh on request.
    let frames = if fresh || !frames_path.exists() {
        let f = corpus::upstream_frames();
        if !check {
            let text = serde_json::to_string_pretty(&f).expect("json") + "\n";
            std::fs::write(&frames_path, text).expect("write upstream frames");
            eprintln!(
                "wrote {} upstream-sealed frames to {}",
                f.len(),
                frames_path.display()
            );
        }
        f
    } else {
        let text = std::fs::read_to_string(&frames_path).expect("read upstream frames");
        serde_json::from_str(&text).expect("upstream frames json")
    };
    let frame_failures = corpus::check_upstream_frames(&frames);

    let specs = corpus::all(&mut reference, &frames);
    let mut seen = std::collections::BTreeSet::new();
    for s in &specs {
        assert!(seen.insert(s.id.clone()), "duplicate case id {}", s.id);
        assert!(
            FILES.iter().any(|(f, _)| *f == s.file),
            "unknown file {}",
            s.file
        );
    }
    let mut report = Report::default();
    report.failures.extend(frame_failures);
    let cases: Vec<Case> = specs
        .into_iter()
        .map(|s| evaluate(s, &mut reference, &mut report))
        .collect();

    let mut stale = Vec::new();
    for (file, description) in FILES {
        let in_file: Vec<&Case> = cases.iter().filter(|c| c.spec.file == *file).collect();
        if in_file.is_empty() {
            continue;
        }
        let doc = document(description, &in_file);
        let text = match vecwrite::render(&vecwrite_path, &doc, HEADER) {
            Ok(t) => t,
            Err(e) => {
                report.failures.push(format!("{file}.yaml: {e}"));
                continue;
            }
        };
        let back: Value = serde_yaml::from_str::<serde_yaml::Value>(&text)
            .map_err(|e| e.to_string())
            .and_then(|y| serde_json::to_value(y).map_err(|e| e.to_string()))
            .unwrap_or_else(|e| panic!("{file}.yaml does not parse back: {e}"));
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
            std::fs::create_dir_all(&out_dir).expect("create output dir");
            std::fs::write(&path, &text).expect("write vector file");
        }
        eprintln!("{file}.yaml: {} cases", in_file.len());
    }

    let count = |f: &dyn Fn(&Case) -> bool| cases.iter().filter(|c| f(c)).count();
    eprintln!(
        "\n{} cases: {} valid, {} invalid, {} acceptable",
        cases.len(),
        count(&|c| c.result == "valid"),
        count(&|c| c.result == "invalid"),
        count(&|c| c.result == "acceptable"),
    );
    let mut by_conf: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &cases {
        *by_conf.entry(c.confirmed_by).or_default() += 1;
    }
    for (k, n) in &by_conf {
        eprintln!("  confirmed_by {k}: {n}");
    }
    eprintln!(
        "upstream agreed with the expected outcome on {} cases; unsupported on {}",
        report.upstream_agreed, report.upstream_unsupported
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
    corpus::both_ways_summary(
        &cases
            .iter()
            .map(|c| (c.spec.id.as_str(), c.result, c.confirmed_by))
            .collect::<Vec<_>>(),
    );
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    for u in &report.undeclared {
        eprintln!("UPSTREAM-DIFF: {u}");
    }
    for f in &report.failures {
        eprintln!("FAIL: {f}");
    }
    for s in &stale {
        eprintln!("stale: {s}");
    }
    if report.failures.is_empty() && report.undeclared.is_empty() && stale.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
