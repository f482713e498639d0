//! `export --format json`: the export holds exactly the loaded suite (every case, expanded, in a
//! stable order), its schema is the committed `spec/export.schema.json` and agrees with the
//! harness's vocabularies, and the independent Python runner (`examples/export/run_export.py`,
//! which reads only the export) gives the same verdict as the harness for every case, on the
//! example testee and on a testee that misbehaves on purpose (`examples/export/perturb.py`).
//! With PyPI `jsonschema` installed, `examples/export/validate.py` validates the export too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{json, Value};

use m2m_conformance::certify::{self, CertifyOptions};
use m2m_conformance::export::{self, Exported};
use m2m_conformance::judge::{expect_json, Verdict};
use m2m_conformance::spec::Spec;
use m2m_conformance::suite_data::SuiteRoot;
use m2m_conformance::vectors::{Case, Suite, CONFIRMATIONS};

struct Fixture {
    root: SuiteRoot,
    spec: Spec,
    suite: Suite,
    /// The export, in this process's folder from [`export_dir`].
    dir: ExportDir,
    exported: Exported,
}

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The suite of this checkout, exported once for all tests of this file.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = SuiteRoot::from_dir(&checkout(), "--root").expect("suite root");
        let (spec, suite) =
            m2m_conformance::load_suite(&root.dir.join("spec"), &root.dir.join("vectors"))
                .expect("suite loads");
        let dir = ExportDir(export_dir());
        let exported = export::export(&spec, &suite, &root, dir.path()).expect("export");
        Fixture {
            root,
            spec,
            suite,
            dir,
            exported,
        }
    })
}

/// A folder that `path()` names, like `tempfile::TempDir`.
struct ExportDir(PathBuf);

impl ExportDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

/// A fresh folder for this process's export under cargo's per-target temporary folder. The
/// fixture lives in a static, which Rust never drops, so a `TempDir` here was never removed:
/// every run left a 226 MB export in the system's temporary folder. Instead each run removes
/// the folders of earlier runs whose process has ended (where `/proc` tells; elsewhere at most
/// one folder per process id is kept).
fn export_dir() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let ours = std::process::id();
    if let Ok(entries) = std::fs::read_dir(base) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix("export-test-"))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let ended = Path::new("/proc/self").exists()
                && !Path::new("/proc").join(pid.to_string()).exists();
            if pid == ours || ended {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("export-test-{ours}"));
    std::fs::create_dir_all(&dir).expect("export folder");
    dir
}

fn read(path: &Path) -> Value {
    let f = std::fs::File::open(path).expect("open");
    serde_json::from_reader(std::io::BufReader::new(f)).expect("valid JSON")
}

/// A case as the export must hold it, built from the loaded case field by field.
fn expected_case(c: &Case) -> Value {
    let mut v = json!({
        "id": c.id, "reqs": c.reqs, "description": c.description, "op": c.op, "args": c.input,
        "expect": expect_json(&c.expect), "result": c.result.name(), "flags": c.flags,
        "confirmed_by": c.confirmed_by, "level": c.level.to_string(),
    });
    if let Some(l) = &c.lenient {
        v["lenient"] = expect_json(l);
    }
    if let Some(t) = c.tolerance {
        v["tolerance"] = json!({"abs": t.abs, "rel": t.rel});
    }
    v
}

fn has_generator(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.keys().any(|k| k.starts_with('$')) || m.values().any(has_generator),
        Value::Array(a) => a.iter().any(has_generator),
        _ => false,
    }
}

#[test]
fn the_export_holds_exactly_the_loaded_suite_in_a_stable_order() {
    let f = fixture();
    assert_eq!(f.exported.cases(), f.suite.cases.len());
    let mut order = Vec::new();
    for (chapter, path, count, bytes) in &f.exported.files {
        assert_eq!(std::fs::metadata(path).unwrap().len(), *bytes);
        let doc = read(path);
        assert_eq!(
            path.file_name().unwrap(),
            format!("{chapter}.json").as_str()
        );
        assert_eq!(doc["format"], export::FORMAT);
        assert_eq!(doc["chapter"], chapter.as_str());
        assert_eq!(doc["suite_hash"], f.root.hash.as_str());
        assert_eq!(doc["suite_version"], m2m_conformance::SUITE_VERSION);
        let title = &f
            .spec
            .chapters
            .iter()
            .find(|c| &c.key == chapter)
            .unwrap()
            .title;
        assert_eq!(doc["title"], title.as_str());
        let cases = doc["cases"].as_array().unwrap();
        assert_eq!(cases.len(), *count);
        let reqs: BTreeMap<&str, &Value> = doc["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_str().unwrap(), r))
            .collect();
        for got in cases {
            let id = got["id"].as_str().unwrap();
            let case = f.suite.cases.iter().find(|c| c.id == id).expect("known id");
            assert_eq!(case.chapter, *chapter);
            // Exact, 16 MiB strings included.
            assert!(
                *got == expected_case(case),
                "{id} differs from the loaded case"
            );
            assert!(!has_generator(got), "{id} keeps a generator");
            for r in &case.reqs {
                let req = f.spec.requirement(r).unwrap();
                let text = reqs
                    .get(r.as_str())
                    .unwrap_or_else(|| panic!("{r} not in header"));
                assert_eq!(text["text"], req.summary.as_str());
                assert_eq!(text["level"], req.level.to_string());
            }
            for flag in &case.flags {
                assert!(doc["flags"].get(flag).is_some(), "{id}: flag {flag}");
            }
            order.push(case.name());
        }
    }
    // Chapters in spec order, cases in suite order within a chapter.
    let mut want = Vec::new();
    for ch in &f.spec.chapters {
        want.extend(
            f.suite
                .cases
                .iter()
                .filter(|c| c.chapter == ch.key)
                .map(Case::name),
        );
    }
    assert_eq!(order, want);
    // The same suite exports to the same bytes.
    let again = tempfile::tempdir().unwrap();
    export::export(&f.spec, &f.suite, &f.root, again.path()).unwrap();
    for (_, path, _, _) in &f.exported.files {
        let other = again.path().join(path.file_name().unwrap());
        assert!(
            std::fs::read(path).unwrap() == std::fs::read(other).unwrap(),
            "{} is not deterministic",
            path.display()
        );
    }
}

#[test]
fn the_schema_is_the_committed_one_and_matches_the_harness_vocabularies() {
    let f = fixture();
    let committed = std::fs::read_to_string(checkout().join("spec/export.schema.json")).unwrap();
    let written = std::fs::read_to_string(f.dir.path().join(export::SCHEMA_FILE)).unwrap();
    assert_eq!(written, committed);
    let schema: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let defs = &schema["$defs"];
    assert_eq!(defs["level"]["enum"], json!(["MUST", "SHOULD", "MAY"]));
    assert_eq!(
        defs["case"]["properties"]["result"]["enum"],
        json!(["valid", "invalid", "acceptable"])
    );
    let confirmed = &defs["case"]["properties"]["confirmed_by"]["anyOf"][1]["enum"];
    assert_eq!(*confirmed, json!(CONFIRMATIONS));
    // Every key a case can carry is a property of the schema's case, and the other way round.
    let props: Vec<&String> = defs["case"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let mut keys = std::collections::BTreeSet::new();
    for c in &f.suite.cases {
        keys.extend(expected_case(c).as_object().unwrap().keys().cloned());
    }
    assert_eq!(props, keys.iter().collect::<Vec<_>>());
}

fn python(args: &[&str]) -> Option<std::process::Output> {
    Command::new("python3")
        .args(args)
        .current_dir(checkout())
        .output()
        .ok()
}

#[test]
fn validate_py_accepts_the_export_when_jsonschema_is_installed() {
    if !python(&["-c", "import jsonschema"]).is_some_and(|o| o.status.success()) {
        eprintln!("SKIPPED: python3 with jsonschema is not installed (pip install jsonschema)");
        return;
    }
    let f = fixture();
    let scratch = tempfile::tempdir().unwrap();
    let list = scratch.path().join("list.txt");
    let names: Vec<String> = f.suite.cases.iter().map(Case::name).collect();
    std::fs::write(&list, names.join("\n")).unwrap();
    // It does reject: one case too many in the list.
    let long_list = scratch.path().join("long-list.txt");
    std::fs::write(
        &long_list,
        format!("{}\nvarint::no-such-case", names.join("\n")),
    )
    .unwrap();
    let dir = f.dir.path().to_str().unwrap();
    let script = "examples/export/validate.py";
    let ok = python(&[script, dir, "--list", list.to_str().unwrap()]).unwrap();
    let bad = python(&[script, dir, "--list", long_list.to_str().unwrap()]).unwrap();
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.contains("exactly the"), "{out}");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("only listed: ['varint::no-such-case']"));
    // And a broken chapter file.
    let broken = tempfile::tempdir().unwrap();
    std::fs::copy(
        f.dir.path().join("schema.json"),
        broken.path().join("schema.json"),
    )
    .unwrap();
    let mut doc = read(&f.dir.path().join("varint.json"));
    doc["cases"][0]["result"] = json!("maybe");
    std::fs::write(broken.path().join("varint.json"), doc.to_string()).unwrap();
    let bad = python(&[script, broken.path().to_str().unwrap()]).unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/cases/0/result"));
}

/// The verdicts of the harness and of the Python runner on `testee`, each case given `timeout`
/// to answer. The two run one after the other: run side by side (with the other tests of this
/// file) they loaded two cores so much that a 16 MiB case through the perturbing proxy, 0.4 s
/// when idle, took over 3 s.
fn both_verdicts(
    testee: &str,
    f: &Fixture,
    timeout: Duration,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    (
        harness_verdicts(testee, f, timeout),
        python_verdicts(testee, f, timeout),
    )
}

fn harness_verdicts(testee: &str, f: &Fixture, timeout: Duration) -> BTreeMap<String, String> {
    let opts = CertifyOptions {
        target: format!("stdin:{testee}"),
        timeout,
        ..CertifyOptions::default()
    };
    let c = certify::certify(&f.root, &f.spec, &f.suite, &opts, |_| {}).expect("certify");
    c.report
        .cases
        .iter()
        .map(|r| {
            (
                format!("{}::{}", r.chapter, r.id),
                r.verdict.name().to_owned(),
            )
        })
        .collect()
}

fn python_verdicts(testee: &str, f: &Fixture, timeout: Duration) -> BTreeMap<String, String> {
    let scratch = tempfile::tempdir().unwrap();
    let verdicts = scratch.path().join("verdicts.json");
    let run = python(&[
        "examples/export/run_export.py",
        "--export",
        f.dir.path().to_str().unwrap(),
        "--testee",
        testee,
        "--timeout",
        &timeout.as_secs().to_string(),
        "--verdicts",
        verdicts.to_str().unwrap(),
    ])
    .unwrap();
    assert!(
        run.status.code().is_some_and(|c| c < 2),
        "runner: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let doc = read(&verdicts);
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                format!(
                    "{}::{}",
                    c["chapter"].as_str().unwrap(),
                    c["id"].as_str().unwrap()
                ),
                c["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn assert_same(harness: &BTreeMap<String, String>, python: &BTreeMap<String, String>) {
    let differ: Vec<_> = harness
        .iter()
        .filter(|(k, v)| python.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: harness {v}, python {:?}", python.get(k)))
        .take(20)
        .collect();
    assert!(differ.is_empty(), "verdicts differ:\n{}", differ.join("\n"));
    assert_eq!(harness.len(), python.len());
}

#[test]
fn the_python_runner_judges_every_case_as_the_harness_does() {
    if python(&["--version"]).is_none() {
        eprintln!("SKIPPED: python3 is not installed");
        return;
    }
    let f = fixture();
    let testee = format!(
        "python3 '{}'",
        checkout().join("examples/testee.py").display()
    );
    // The example testee answers every case: a timeout here costs nothing unless it is hit.
    let (harness, python) = both_verdicts(&testee, f, Duration::from_secs(10));
    assert_same(&harness, &python);
    assert!(harness.values().filter(|v| *v == "pass").count() >= 100);

    // The same testee misbehaving on purpose: every failing verdict must agree too.
    let perturbed = format!(
        "python3 '{}' --hang 150 {testee}",
        checkout().join("examples/export/perturb.py").display()
    );
    // The perturbed testee never answers some cases, and each costs both runners this timeout.
    // The slowest answered case, 16 MiB that the proxy passes through, takes about 0.3 s on an
    // idle machine: 3 s leaves ten times that.
    let (harness, python) = both_verdicts(&perturbed, f, Duration::from_secs(3));
    assert_same(&harness, &python);
    for v in [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Crash,
        Verdict::Timeout,
        Verdict::Unsupported,
    ] {
        assert!(
            harness.values().any(|h| h == v.name()),
            "the perturbed testee never got {v:?}"
        );
    }
}
