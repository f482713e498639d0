//! `m2m-conformance lint`: the checks on a loaded suite that go beyond loading it.
//!
//! Loading ([`crate::vectors::load`]) already rejects malformed files. Lint adds:
//!
//! 1. **Op schemas.** Every active op in `spec/ops.yaml` has two JSON Schema 2020-12 files,
//!    `spec/schemas/<op>.args.json` (its arguments) and `spec/schemas/<op>.ok.json` (its
//!    answer). Every case's `input` must match the args schema, except cases whose strict
//!    expectation is `bad_args` (they exist to break it) or `unsupported` (protocol probes);
//!    every `expect.ok` and `lenient.ok` must match the ok schema.
//! 2. **Provenance.** Every case labelled `confirmed_by: upstream-*` must have the verdict
//!    `pass` in one of the committed upstream reports ([`UPSTREAM_REPORTS`]): a label that
//!    upstream does not actually confirm is a defect.
//!
//! Every problem is collected, each as one line naming the file, case and what is wrong.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::spec::Spec;
use crate::vectors::{Case, Expect, Suite};

/// The committed reports of upstream m2m-protocol 0.4.0 (through the adapter, its HTTP server,
/// and its router over HTTP/3 through its QuicTransport), relative to the suite root: the evidence behind every `upstream-*` label.
pub const UPSTREAM_REPORTS: &[&str] = &[
    "reports/m2m-protocol-0.4.0/report.json",
    "reports/m2m-protocol-0.4.0-server/report.json",
    "reports/m2m-protocol-0.4.0-server-no-security/report.json",
    "reports/m2m-protocol-0.4.0-server-model/report.json",
    "reports/m2m-protocol-0.4.0-h3/report.json",
];

/// The `$schema` every op schema declares.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// What lint found and how much it checked.
#[derive(Debug, Default)]
pub struct LintReport {
    /// One line per problem; empty when the suite is clean.
    pub problems: Vec<String>,
    /// Schema files loaded.
    pub schemas: usize,
    /// Case inputs validated against an args schema.
    pub inputs_validated: usize,
    /// `ok` values (expect and lenient) validated against an ok schema.
    pub results_validated: usize,
    /// Cases labelled `upstream-*` found passing in an upstream report.
    pub upstream_confirmed: usize,
}

impl std::fmt::Display for LintReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} op schemas; {} inputs and {} results match them; {} upstream labels confirmed \
             by a pass in the upstream reports",
            self.schemas, self.inputs_validated, self.results_validated, self.upstream_confirmed
        )
    }
}

/// The compiled schemas of every op, keyed by op name.
pub struct OpSchemas {
    by_op: BTreeMap<String, (jsonschema::Validator, jsonschema::Validator)>,
}

impl OpSchemas {
    /// Load and compile `dir/<op>.args.json` and `dir/<op>.ok.json` for every active op of
    /// `spec`. Problems (a missing, unreadable or invalid schema file, a file for an op that
    /// does not exist) are appended to `problems`.
    pub fn load(dir: &Path, spec: &Spec, problems: &mut Vec<String>) -> OpSchemas {
        let mut by_op = BTreeMap::new();
        for op in spec.ops.iter().filter(|o| o.status == "active") {
            let args = compile(dir, &op.op, "args", problems);
            let ok = compile(dir, &op.op, "ok", problems);
            if let (Some(a), Some(o)) = (args, ok) {
                by_op.insert(op.op.clone(), (a, o));
            }
        }
        if let Ok(rd) = std::fs::read_dir(dir) {
            let mut names: Vec<String> = rd
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let op = name
                    .strip_suffix(".args.json")
                    .or_else(|| name.strip_suffix(".ok.json"));
                match op {
                    Some(op) if spec.op(op).is_some() => {}
                    Some(op) => problems.push(format!(
                        "{}: `{op}` is not an op in spec/ops.yaml",
                        dir.join(&name).display()
                    )),
                    None => problems.push(format!(
                        "{}: schema files are named <op>.args.json or <op>.ok.json",
                        dir.join(&name).display()
                    )),
                }
            }
        }
        OpSchemas { by_op }
    }

    /// Number of compiled schema files.
    pub fn len(&self) -> usize {
        self.by_op.len() * 2
    }

    /// Whether no schema was compiled.
    pub fn is_empty(&self) -> bool {
        self.by_op.is_empty()
    }

    /// Problems of one case against its op's schemas; the counters say what was validated.
    pub fn check_case(&self, case: &Case, report: &mut LintReport) {
        let Some((args, ok)) = self.by_op.get(&case.op) else {
            return; // a planned op (probes expect `unsupported`) or one whose schemas failed
        };
        let exempt = matches!(&case.expect, Expect::Unsupported)
            || matches!(&case.expect, Expect::Error(c) if c == "bad_args");
        if !exempt {
            report.inputs_validated += 1;
            for e in args.iter_errors(&case.input).take(3) {
                report.problems.push(format!(
                    "vectors/{}: case `{}`: input does not match {}: {}: {}",
                    case.file,
                    case.id,
                    self.path(&case.op, "args"),
                    location(&e.instance_path.to_string()),
                    cut(&e.to_string()),
                ));
            }
        }
        for (field, want) in [
            ("expect", Some(&case.expect)),
            ("lenient", case.lenient.as_ref()),
        ] {
            let Some(Expect::Ok(value)) = want else {
                continue;
            };
            report.results_validated += 1;
            for e in ok.iter_errors(value).take(3) {
                report.problems.push(format!(
                    "vectors/{}: case `{}`: {field}.ok does not match {}: {}: {}",
                    case.file,
                    case.id,
                    self.path(&case.op, "ok"),
                    location(&e.instance_path.to_string()),
                    cut(&e.to_string()),
                ));
            }
        }
    }

    /// The schema's path as the suite names it (`spec/schemas/…`), wherever the suite lives.
    fn path(&self, op: &str, kind: &str) -> String {
        format!("spec/schemas/{op}.{kind}.json")
    }
}

/// A validation message cut to 200 characters: the instance it quotes may be a megabyte.
fn cut(message: &str) -> String {
    match message.char_indices().nth(200) {
        Some((at, _)) => format!(
            "{}… ({} characters in all)",
            &message[..at],
            message.chars().count()
        ),
        None => message.to_owned(),
    }
}

fn location(pointer: &str) -> String {
    if pointer.is_empty() {
        "at the top".to_owned()
    } else {
        format!("at {pointer}")
    }
}

fn compile(
    dir: &Path,
    op: &str,
    kind: &str,
    problems: &mut Vec<String>,
) -> Option<jsonschema::Validator> {
    let path = dir.join(format!("{op}.{kind}.json"));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!(
                "{}: op `{op}` has no {kind} schema ({e})",
                path.display()
            ));
            return None;
        }
    };
    let schema: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("{}: not JSON: {e}", path.display()));
            return None;
        }
    };
    if schema.get("$schema").and_then(Value::as_str) != Some(DRAFT_2020_12) {
        problems.push(format!(
            "{}: `$schema` must be \"{DRAFT_2020_12}\"",
            path.display()
        ));
    }
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        problems.push(format!(
            "{}: not a valid JSON Schema 2020-12: {e}",
            path.display()
        ));
        return None;
    }
    match jsonschema::draft202012::new(&schema) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("{}: {e}", path.display()));
            None
        }
    }
}

/// Case id → the verdicts it has in the upstream reports under `root`.
pub fn upstream_verdicts(root: &Path, problems: &mut Vec<String>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rel in UPSTREAM_REPORTS {
        let path = root.join(rel);
        let report: Value = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{rel}: cannot read the upstream report: {e}"));
                continue;
            }
        };
        for c in report["cases"].as_array().into_iter().flatten() {
            if let (Some(id), Some(v)) = (c["id"].as_str(), c["verdict"].as_str()) {
                out.entry(id.to_owned()).or_default().push(v.to_owned());
            }
        }
    }
    out
}

/// Every `upstream-*` label must be backed by a `pass` in an upstream report.
pub fn check_provenance(
    suite: &Suite,
    verdicts: &BTreeMap<String, Vec<String>>,
    report: &mut LintReport,
) {
    for case in &suite.cases {
        let Some(label) = case.confirmed_by.as_deref() else {
            continue; // the loader already rejects a case without `confirmed_by`
        };
        if !label.starts_with("upstream-") {
            continue;
        }
        match verdicts.get(&case.id) {
            Some(v) if v.iter().any(|v| v == "pass") => report.upstream_confirmed += 1,
            Some(v) => report.problems.push(format!(
                "vectors/{}: case `{}`: confirmed_by {label}, but upstream's verdict is {} ({}): \
                 label it with what really confirms `expect`",
                case.file,
                case.id,
                v.join(", "),
                UPSTREAM_REPORTS.join(", ")
            )),
            None => report.problems.push(format!(
                "vectors/{}: case `{}`: confirmed_by {label}, but the case is in no upstream \
                 report ({}): certify upstream again (reports/regenerate.sh) or relabel it",
                case.file,
                case.id,
                UPSTREAM_REPORTS.join(", ")
            )),
        }
    }
}

/// Run every lint check on a loaded suite whose root (holding `spec/`, `reports/`) is `root`.
pub fn lint(root: &Path, spec: &Spec, suite: &Suite) -> LintReport {
    let mut report = LintReport::default();
    let schemas = OpSchemas::load(&spec.dir.join("schemas"), spec, &mut report.problems);
    report.schemas = schemas.len();
    for case in &suite.cases {
        schemas.check_case(case, &mut report);
    }
    let verdicts = upstream_verdicts(root, &mut report.problems);
    check_provenance(suite, &verdicts, &mut report);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Level;
    use crate::vectors::Result_;
    use serde_json::json;
    use std::path::PathBuf;

    fn case(id: &str, input: Value, expect: Expect, confirmed_by: &str) -> Case {
        Case {
            id: id.into(),
            chapter: "varint".into(),
            file: "varint/t.yaml".into(),
            reqs: vec!["WIRE-VARINT-001".into()],
            description: "d".into(),
            op: "wire.varint.decode".into(),
            input,
            expect,
            lenient: None,
            result: Result_::Valid,
            flags: vec![],
            confirmed_by: Some(confirmed_by.into()),
            level: Level::Must,
            tolerance: None,
        }
    }

    fn schemas() -> OpSchemas {
        let v = |s: Value| jsonschema::draft202012::new(&s).unwrap();
        let args = v(json!({"$schema": DRAFT_2020_12, "type": "object",
            "properties": {"hex": {"type": "string"}}, "required": ["hex"],
            "additionalProperties": false}));
        let ok = v(json!({"$schema": DRAFT_2020_12, "type": "object",
            "properties": {"value": {"type": "integer"}, "consumed": {"type": "integer"}},
            "required": ["value", "consumed"], "additionalProperties": false}));
        OpSchemas {
            by_op: BTreeMap::from([("wire.varint.decode".to_owned(), (args, ok))]),
        }
    }

    #[test]
    fn inputs_and_results_are_validated() {
        let s = schemas();
        let mut r = LintReport::default();
        let ok = Expect::Ok(json!({"value": 1, "consumed": 1}));
        s.check_case(
            &case("good", json!({"hex": "01"}), ok.clone(), "spec"),
            &mut r,
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        s.check_case(
            &case("typo", json!({"hx": "01"}), ok.clone(), "spec"),
            &mut r,
        );
        s.check_case(
            &case(
                "bad-ok",
                json!({"hex": "01"}),
                Expect::Ok(json!({"value": "1"})),
                "spec",
            ),
            &mut r,
        );
        let huge = "x".repeat(1_000_000);
        s.check_case(
            &case("huge", json!({"hex": {"k": huge}}), ok.clone(), "spec"),
            &mut r,
        );
        assert!(
            r.problems.iter().all(|p| p.len() < 600),
            "a megabyte instance is quoted whole"
        );
        assert!(r
            .problems
            .iter()
            .any(|p| p.contains("case `huge`") && p.contains("characters in all)")));
        assert_eq!(r.inputs_validated, 4);
        assert_eq!(r.results_validated, 4);
        assert!(r
            .problems
            .iter()
            .any(|p| p.contains("case `typo`: input does not match")));
        assert!(
            r.problems
                .iter()
                .any(|p| p.contains("case `bad-ok`: expect.ok does not match")
                    && p.contains("/value"))
        );
        let mut lenient = case("lenient", json!({"hex": "01"}), ok, "spec");
        lenient.lenient = Some(Expect::Ok(json!({"value": 1})));
        let before = r.problems.len();
        s.check_case(&lenient, &mut r);
        assert!(r.problems[before..]
            .iter()
            .any(|p| p.contains("lenient.ok does not match")));
    }

    #[test]
    fn bad_args_and_probes_are_exempt_from_the_args_schema() {
        let s = schemas();
        let mut r = LintReport::default();
        s.check_case(
            &case(
                "bad",
                json!({"hex": 7}),
                Expect::Error("bad_args".into()),
                "spec",
            ),
            &mut r,
        );
        s.check_case(
            &case("probe", json!({}), Expect::Unsupported, "spec"),
            &mut r,
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.inputs_validated, 0);
        s.check_case(
            &case(
                "other",
                json!({"hex": 7}),
                Expect::Error("truncated".into()),
                "spec",
            ),
            &mut r,
        );
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    }

    #[test]
    fn upstream_labels_need_a_pass_in_upstream_reports() {
        let ok = Expect::Ok(json!({"value": 1, "consumed": 1}));
        let suite = Suite {
            dir: PathBuf::new(),
            cases: vec![
                case("passes", json!({}), ok.clone(), "upstream-0.4.0"),
                case("lenient-there", json!({}), ok.clone(), "upstream-0.4.0"),
                case("missing", json!({}), ok.clone(), "upstream-0.4.0-tests"),
                case("not-upstream", json!({}), ok, "spec"),
            ],
            flags: BTreeMap::new(),
        };
        let verdicts = BTreeMap::from([
            ("passes".to_owned(), vec!["pass".to_owned()]),
            ("lenient-there".to_owned(), vec!["acceptable".to_owned()]),
            ("not-upstream".to_owned(), vec!["unsupported".to_owned()]),
        ]);
        let mut r = LintReport::default();
        check_provenance(&suite, &verdicts, &mut r);
        assert_eq!(r.upstream_confirmed, 1);
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
        assert!(r.problems[0].contains("`lenient-there`") && r.problems[0].contains("acceptable"));
        assert!(
            r.problems[1].contains("`missing`") && r.problems[1].contains("no upstream report")
        );
    }
}
