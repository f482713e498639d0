//! The vector loader rejects malformed suites, naming file, case and field.

use std::path::Path;

use m2m_conformance::spec::Spec;
use m2m_conformance::vectors::{self, LoadError};

const CHAPTER: &str = "# Detection\n\n- **[WIRE-DETECT-001]** MUST: Detect.\n- **[WIRE-DETECT-002]** SHOULD: Order.\n";

const GOOD_CASE: &str = r#"
  - id: good-one
    reqs: [WIRE-DETECT-001]
    description: fine
    op: wire.detect
    input: { wire: "x" }
    expect: { ok: { format: passthrough } }
    result: valid
"#;

fn spec_dir(root: &Path) -> Spec {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let dir = root.join("spec");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["ops.yaml", "error-classes.yaml"] {
        std::fs::copy(real.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("01-detection.md"), CHAPTER).unwrap();
    // ops.yaml names the chapters of its active ops; give every real chapter but detection an
    // empty stub, so that adding a chapter needs no edit here.
    for entry in std::fs::read_dir(&real).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && name != "README.md" && name != "01-detection.md" {
            let key = name.trim_end_matches(".md");
            std::fs::write(dir.join(&name), format!("# {key}\n")).unwrap();
        }
    }
    Spec::load(&dir).expect("spec loads")
}

/// Load one vector file with the given body after the standard header.
fn load(header_extra: &str, cases: &str) -> Result<usize, Vec<LoadError>> {
    let root = tempfile::tempdir().unwrap();
    let spec = spec_dir(root.path());
    let vdir = root.path().join("vectors/detection");
    std::fs::create_dir_all(&vdir).unwrap();
    std::fs::write(
        vdir.join("t.yaml"),
        format!("suite: m2m-conformance\nschema_version: 1\nspec: detection\n{header_extra}cases:\n{cases}"),
    )
    .unwrap();
    vectors::load(&root.path().join("vectors"), &spec).map(|s| s.cases.len())
}

fn expect_error(
    header_extra: &str,
    cases: &str,
    case: Option<&str>,
    field: Option<&str>,
    needle: &str,
) {
    let errs = load(header_extra, cases).expect_err("must be rejected");
    assert!(
        errs.iter().any(|e| e.file.ends_with("t.yaml")
            && e.case.as_deref() == case
            && e.field.as_deref() == field
            && e.message.contains(needle)),
        "no error {case:?}/{field:?}/{needle:?} in {errs:#?}"
    );
}

#[test]
fn a_good_file_loads() {
    assert_eq!(load("", GOOD_CASE).unwrap(), 1);
}

#[test]
fn duplicate_ids_are_rejected() {
    expect_error(
        "",
        &format!("{GOOD_CASE}{GOOD_CASE}"),
        Some("good-one"),
        Some("id"),
        "duplicate",
    );
}

#[test]
fn unknown_requirement_ids_are_rejected() {
    let c = GOOD_CASE.replace("WIRE-DETECT-001", "WIRE-DETECT-999");
    expect_error(
        "",
        &c,
        Some("good-one"),
        Some("reqs"),
        "unknown requirement id `WIRE-DETECT-999`",
    );
}

#[test]
fn undeclared_and_unused_flags_are_rejected() {
    let c = GOOD_CASE.replace("result: valid", "result: valid\n    flags: [NOPE]");
    expect_error(
        "",
        &c,
        Some("good-one"),
        Some("flags"),
        "`NOPE` is not declared",
    );
    expect_error(
        "flags:\n  UNUSED: never used\n",
        GOOD_CASE,
        None,
        Some("flags"),
        "`UNUSED` is declared but no case uses it",
    );
}

#[test]
fn unknown_ops_classes_and_fields_are_rejected() {
    expect_error(
        "",
        &GOOD_CASE.replace("wire.detect", "wire.nope"),
        Some("good-one"),
        Some("op"),
        "unknown op",
    );
    let c = GOOD_CASE
        .replace(
            "expect: { ok: { format: passthrough } }",
            "expect: { error: no_such_class }",
        )
        .replace("result: valid", "result: invalid");
    expect_error("", &c, Some("good-one"), Some("expect"), "`no_such_class`");
    let c = GOOD_CASE.replace("result: valid", "result: valid\n    colour: red");
    expect_error("", &c, Some("good-one"), None, "unknown field `colour`");
}

#[test]
fn result_must_agree_with_expect() {
    let c = GOOD_CASE.replace("result: valid", "result: invalid");
    expect_error(
        "",
        &c,
        Some("good-one"),
        Some("result"),
        "`invalid` needs an `error`",
    );
    let c = GOOD_CASE.replace("result: valid", "result: acceptable");
    expect_error(
        "",
        &c,
        Some("good-one"),
        Some("flags"),
        "must name at least one flag",
    );
    let c = GOOD_CASE.replace(
        "result: valid",
        "result: valid\n    lenient: { error: crc_mismatch }",
    );
    expect_error(
        "",
        &c,
        Some("good-one"),
        Some("lenient"),
        "only `acceptable`",
    );
}

#[test]
fn file_header_is_checked() {
    let root = tempfile::tempdir().unwrap();
    let spec = spec_dir(root.path());
    let vdir = root.path().join("vectors");
    std::fs::create_dir_all(&vdir).unwrap();
    std::fs::write(
        vdir.join("h.yaml"),
        format!("suite: other\nschema_version: 2\nspec: nowhere\ncases:\n{GOOD_CASE}"),
    )
    .unwrap();
    let errs = vectors::load(&vdir, &spec).unwrap_err();
    for field in ["suite", "schema_version", "spec"] {
        assert!(
            errs.iter().any(|e| e.field.as_deref() == Some(field)),
            "{field}: {errs:#?}"
        );
    }
    let shown = errs[0].to_string();
    assert!(shown.starts_with("h.yaml: field `"), "{shown}");
}

#[test]
fn generators_are_expanded_and_bad_ones_rejected() {
    let c = GOOD_CASE.replace(
        r#"input: { wire: "x" }"#,
        r#"input: { wire: { $repeat: "ab", count: 2 } }"#,
    );
    let root = tempfile::tempdir().unwrap();
    let spec = spec_dir(root.path());
    let vdir = root.path().join("vectors");
    std::fs::create_dir_all(&vdir).unwrap();
    std::fs::write(
        vdir.join("g.yaml"),
        format!("suite: m2m-conformance\nschema_version: 1\nspec: detection\ncases:\n{c}"),
    )
    .unwrap();
    let suite = vectors::load(&vdir, &spec).unwrap();
    assert_eq!(suite.cases[0].input, serde_json::json!({"wire": "abab"}));
    let c = GOOD_CASE.replace(
        r#"input: { wire: "x" }"#,
        r#"input: { wire: { $nope: 1 } }"#,
    );
    expect_error("", &c, Some("good-one"), Some("input"), "unknown generator");
}
