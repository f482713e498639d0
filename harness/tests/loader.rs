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
    confirmed_by: spec
"#;

fn spec_dir(root: &Path) -> Spec {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let dir = root.join("spec");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["ops.yaml", "error-classes.yaml"] {
        std::fs::copy(real.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("01-detection.md"), CHAPTER).unwrap();
    // ops.yaml names the chapters of its active ops; give each of them (but detection, written
    // above) an empty stub, read from the real ops.yaml so that new chapters need no edit here.
    let ops = std::fs::read_to_string(real.join("ops.yaml")).unwrap();
    let mut active = false;
    let mut keys: Vec<String> = Vec::new();
    for line in ops.lines().map(str::trim) {
        if let Some(status) = line.strip_prefix("status:") {
            active = status.trim() == "active";
        } else if let Some(key) = line.strip_prefix("chapter:") {
            let key = key.trim().to_owned();
            if active && key != "detection" && !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    for (n, key) in keys.iter().enumerate() {
        std::fs::write(
            dir.join(format!("{:02}-{key}.md", 50 + n)),
            format!("# {key}\n"),
        )
        .unwrap();
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

#[test]
fn confirmed_by_is_required_and_checked() {
    let c = GOOD_CASE.replace("    confirmed_by: spec\n", "");
    expect_error(
        "",
        &c,
        Some("good-one"),
        Some("confirmed_by"),
        "is required",
    );
    let c = GOOD_CASE.replace("confirmed_by: spec", "confirmed_by: a-fact-sheet");
    expect_error(
        "",
        &c,
        Some("good-one"),
        Some("confirmed_by"),
        "`a-fact-sheet`",
    );
    let c = GOOD_CASE.replace("confirmed_by: spec", "confirmed_by: rfc-");
    expect_error("", &c, Some("good-one"), Some("confirmed_by"), "`rfc-`");
    let c = GOOD_CASE.replace("confirmed_by: spec", "confirmed_by: rfc-8439");
    assert_eq!(load("", &c).unwrap(), 1);
}

/// Load one file's full text (no standard header added) from `vectors/detection/f.yaml`.
fn load_text(text: &str) -> Result<vectors::Suite, Vec<LoadError>> {
    let root = tempfile::tempdir().unwrap();
    let spec = spec_dir(root.path());
    let vdir = root.path().join("vectors/detection");
    std::fs::create_dir_all(&vdir).unwrap();
    std::fs::write(vdir.join("f.yaml"), text).unwrap();
    vectors::load(&root.path().join("vectors"), &spec)
}

const HEAD: &str = "suite: m2m-conformance\nschema_version: 1\nspec: detection\n";

#[test]
fn defaults_and_groups_expand_to_complete_cases_in_file_order() {
    let text = format!(
        r#"{HEAD}defaults:
  op: wire.detect
  result: valid
  confirmed_by: spec
  input:
    wire: shared
    extra: 1
cases:
  - id: top
    reqs: [WIRE-DETECT-001]
    description: file defaults only
    input: {{}}
    expect: {{ ok: {{ format: passthrough }} }}
groups:
  - description: a group overriding one input key
    defaults:
      reqs: [WIRE-DETECT-002]
      input:
        wire: grouped
    cases:
      - id: g-one
        description: group and file defaults
        input: {{}}
        expect: {{ ok: {{ format: passthrough }} }}
      - id: g-two
        description: the case's own key wins
        input: {{ wire: own }}
        expect: {{ ok: {{ format: passthrough }} }}
        confirmed_by: reference-only
  - cases:
      - id: g-bare
        reqs: [WIRE-DETECT-001]
        description: a group without defaults still gets the file's
        input: {{ extra: 2 }}
        expect: {{ ok: {{ format: passthrough }} }}
"#
    );
    let suite = load_text(&text).unwrap();
    let got: Vec<(&str, serde_json::Value, Vec<String>, Option<&str>)> = suite
        .cases
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.input.clone(),
                c.reqs.clone(),
                c.confirmed_by.as_deref(),
            )
        })
        .collect();
    use serde_json::json;
    assert_eq!(
        got,
        vec![
            (
                "top",
                json!({"wire": "shared", "extra": 1}),
                vec!["WIRE-DETECT-001".to_owned()],
                Some("spec")
            ),
            (
                "g-one",
                json!({"wire": "grouped", "extra": 1}),
                vec!["WIRE-DETECT-002".to_owned()],
                Some("spec")
            ),
            (
                "g-two",
                json!({"wire": "own", "extra": 1}),
                vec!["WIRE-DETECT-002".to_owned()],
                Some("reference-only")
            ),
            (
                "g-bare",
                json!({"wire": "shared", "extra": 2}),
                vec!["WIRE-DETECT-001".to_owned()],
                Some("spec")
            ),
        ]
    );
    assert!(suite.cases.iter().all(|c| c.op == "wire.detect"));
}

#[test]
fn bad_defaults_are_rejected() {
    let errs = load_text(&format!(
        "{HEAD}defaults:\n  id: shared-id\ncases:\n{GOOD_CASE}"
    ))
    .unwrap_err();
    assert!(
        errs.iter().any(|e| e.field.as_deref() == Some("defaults")
            && e.message.contains("`id` cannot have a default")),
        "{errs:#?}"
    );
    let errs = load_text(&format!(
        "{HEAD}groups:\n  - defaults:\n      input: [1]\n    cases:\n{}",
        GOOD_CASE.replace("\n  ", "\n      ")
    ))
    .unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.field.as_deref() == Some("groups[0].defaults")
                && e.message.contains("`input` must be a mapping")),
        "{errs:#?}"
    );
    let errs = load_text(HEAD).unwrap_err();
    assert!(
        errs.iter().any(|e| e.message.contains("no cases")),
        "{errs:#?}"
    );
}

/// Long strings as `vectors/tools/vecwrite.py` folds them: double-quoted, a `\` at the end of
/// a line joining the next line with nothing in between (the next line's indentation is not
/// content), breaks after a space (kept), after escapes, and before an escape. The expected
/// values are what PyYAML reads from the same text (checked when this fixture was written,
/// and again below whenever python3 with PyYAML is available).
const FOLDED: &str = r#"
  - id: folded
    reqs: [WIRE-DETECT-001]
    description: "a description folded after a space: one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one \
      twenty-two"
    op: wire.detect
    input:
      a: "aé\"\\ \tword word \
          word \u200b😀\u0007\n\r end"
      b: "\\\\\\\
          \\\\"
      c: "xx\
          x y\u2028z\
          \u00e9z"
      d: "{\"k0\": \"v v\", \
          \"k1\": \"v \
          v\"}"
    expect: { ok: { format: passthrough } }
    result: valid
    confirmed_by: spec
"#;

fn folded_expected() -> serde_json::Value {
    serde_json::json!({
        "a": "aé\"\\ \tword word word \u{200b}\u{1f600}\u{7}\n\r end",
        "b": "\\\\\\\\\\",
        "c": "xxx y\u{2028}z\u{e9}z",
        "d": "{\"k0\": \"v v\", \"k1\": \"v v\"}",
    })
}

#[test]
fn folded_double_quoted_scalars_read_back_exactly() {
    let suite = load_text(&format!("{HEAD}cases:{FOLDED}")).unwrap();
    let case = &suite.cases[0];
    assert_eq!(case.input, folded_expected());
    assert_eq!(
        case.description,
        "a description folded after a space: one two three four five six seven eight nine ten \
         eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty \
         twenty-one twenty-two"
    );
}

/// The same text read by PyYAML (the generators' loader) gives the same values as serde_yaml
/// (the harness's). Needs python3 with PyYAML; CI has both (.ci/run installs PyYAML).
#[test]
fn folded_scalars_read_the_same_in_pyyaml() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let have = Command::new("python3")
        .args(["-c", "import yaml"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have && std::env::var_os("M2M_REQUIRE_PYYAML").is_none() {
        eprintln!(
            "skipped: python3 with PyYAML not found (set M2M_REQUIRE_PYYAML=1 to require it)"
        );
        return;
    }
    let text = format!("{HEAD}cases:{FOLDED}");
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; d = yaml.safe_load(sys.stdin.read()); \
             c = d['cases'][0]; print(json.dumps({'input': c['input'], 'description': c['description']}))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let py: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let suite = load_text(&text).unwrap();
    assert_eq!(py["input"], suite.cases[0].input);
    assert_eq!(py["description"], suite.cases[0].description.as_str());
}

/// spec/ops.yaml is read whole: a `#` inside a summary is text, not a YAML comment.
#[test]
fn ops_summaries_keep_their_hash_signs() {
    let spec = Spec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")).unwrap();
    let op = spec.op("token.encode").expect("token.encode");
    assert!(
        op.summary.contains("#TK|<id>|<base64 varints>")
            && op.summary.ends_with("(TOKEN-TEXT-002)"),
        "{}",
        op.summary
    );
}
