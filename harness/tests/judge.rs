//! The judge, branch by branch (harness/src/judge.rs), and the scheduler around it: a fake
//! testee that answers wrongly in every way a real one can, run through `run_all` with a
//! known-failure list, gets exactly the verdicts the README's verdict table promises.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use m2m_conformance::judge::{judge, Policy, Verdict};
use m2m_conformance::known_failures::KnownFailures;
use m2m_conformance::run::{run_all, run_case, RunOptions};
use m2m_conformance::spec::Level;
use m2m_conformance::target::{Evidence, Outcome, SetupError, Target, TesteeInfo};
use m2m_conformance::vectors::{Case, Expect, Result_, Suite, Tolerance};

fn case(id: &str, expect: Expect) -> Case {
    Case {
        id: id.into(),
        chapter: "c".into(),
        file: "f.yaml".into(),
        reqs: vec!["X-Y-001".into()],
        description: "d".into(),
        op: "wire.detect".into(),
        input: json!({"wire": "x"}),
        result: match expect {
            Expect::Error(_) => Result_::Invalid,
            _ => Result_::Valid,
        },
        expect,
        lenient: None,
        flags: vec![],
        confirmed_by: Some("spec".into()),
        level: Level::Must,
        tolerance: None,
    }
}

fn ok(v: Value) -> Outcome {
    Outcome::Ok(v)
}

fn err(class: &str) -> Outcome {
    Outcome::Error {
        class: class.into(),
        message: "m".into(),
    }
}

const LAX: Policy = Policy { strict: false };
const STRICT: Policy = Policy { strict: true };

fn acceptable(lenient: Option<Expect>) -> Case {
    let mut c = case("acc", Expect::Error("message_too_large".into()));
    c.result = Result_::Acceptable;
    c.flags = vec!["UPSTREAM_NO_SIZE_LIMIT".into()];
    c.lenient = lenient;
    c
}

#[test]
fn pass_needs_equal_json_whatever_the_key_order() {
    let c = case("p", Expect::Ok(json!({"a": 1, "b": [1, 2]})));
    let got = serde_json::from_str(r#"{"b":[1,2],"a":1}"#).unwrap();
    assert_eq!(judge(&c, &ok(got), LAX), (Verdict::Pass, None));
    assert_eq!(
        judge(&c, &ok(json!({"a": 1, "b": [2, 1]})), LAX).0,
        Verdict::Fail,
        "array order counts"
    );
    assert_eq!(
        judge(&c, &ok(json!({"a": 1.0, "b": [1, 2]})), LAX).0,
        Verdict::Fail,
        "1.0 is not 1 without tolerance"
    );
}

#[test]
fn an_error_case_passes_on_its_class_only() {
    let c = case("e", Expect::Error("invalid_base64".into()));
    assert_eq!(judge(&c, &err("invalid_base64"), LAX).0, Verdict::Pass);
    let (v, why) = judge(&c, &err("brotli_corrupt"), LAX);
    assert_eq!(v, Verdict::Fail);
    assert!(why
        .unwrap()
        .contains("expected error class `invalid_base64`, got `brotli_corrupt`"));
    let (v, why) = judge(&c, &ok(json!({"text": "x"})), LAX);
    assert_eq!(v, Verdict::Fail);
    assert!(why.unwrap().contains("but the op succeeded"));
}

#[test]
fn acceptable_with_lenient_tolerates_exactly_the_lenient_outcome() {
    let c = acceptable(Some(Expect::Ok(json!({"text": "a"}))));
    let (v, why) = judge(&c, &ok(json!({"text": "a"})), LAX);
    assert_eq!(v, Verdict::Acceptable);
    assert!(
        why.unwrap().contains("UPSTREAM_NO_SIZE_LIMIT"),
        "the flag explains it"
    );
    assert_eq!(
        judge(&c, &ok(json!({"text": "b"})), LAX).0,
        Verdict::Fail,
        "another value is not tolerated"
    );
    assert_eq!(judge(&c, &err("brotli_corrupt"), LAX).0, Verdict::Fail);
    assert_eq!(
        judge(&c, &err("message_too_large"), LAX).0,
        Verdict::Pass,
        "the preferred outcome passes"
    );
}

#[test]
fn acceptable_without_lenient_tolerates_any_answer_but_not_a_broken_testee() {
    let c = acceptable(None);
    assert_eq!(judge(&c, &ok(json!(1)), LAX).0, Verdict::Acceptable);
    assert_eq!(judge(&c, &err("other"), LAX).0, Verdict::Acceptable);
    assert_eq!(
        judge(&c, &Outcome::Crash("gone".into()), LAX).0,
        Verdict::Crash
    );
    assert_eq!(
        judge(&c, &Outcome::Protocol("garbage".into()), LAX).0,
        Verdict::Fail
    );
}

#[test]
fn strict_turns_acceptable_and_non_strict_into_fail() {
    let c = acceptable(Some(Expect::Ok(json!({"text": "a"}))));
    let (v, why) = judge(&c, &ok(json!({"text": "a"})), STRICT);
    assert_eq!(v, Verdict::Fail);
    assert!(why.unwrap().contains("--strict"));
    let mut should = case("s", Expect::Ok(json!(true)));
    should.level = Level::Should;
    assert_eq!(judge(&should, &ok(json!(false)), STRICT).0, Verdict::Fail);
}

#[test]
fn a_failed_should_or_may_is_non_strict_and_a_failed_must_is_fail() {
    for (level, want) in [
        (Level::Should, Verdict::NonStrict),
        (Level::May, Verdict::NonStrict),
        (Level::Must, Verdict::Fail),
    ] {
        let mut c = case("l", Expect::Ok(json!(true)));
        c.level = level;
        assert_eq!(judge(&c, &ok(json!(false)), LAX).0, want, "{level:?}");
    }
}

#[test]
fn unsupported_is_its_own_verdict_except_for_a_probe_that_expects_it() {
    let c = case("u", Expect::Ok(json!(1)));
    let (v, why) = judge(&c, &Outcome::Unsupported("not here".into()), LAX);
    assert_eq!(
        (v, why.as_deref()),
        (Verdict::Unsupported, Some("not here"))
    );
    let probe = case("probe", Expect::Unsupported);
    assert_eq!(
        judge(&probe, &Outcome::Unsupported("no".into()), LAX).0,
        Verdict::Pass
    );
    assert_eq!(judge(&probe, &ok(json!(1)), LAX).0, Verdict::Fail);
}

#[test]
fn a_broken_testee_gets_timeout_crash_harness_error_or_fail() {
    let c = case("b", Expect::Ok(json!(1)));
    let (v, why) = judge(&c, &Outcome::Timeout(Duration::from_millis(2500)), LAX);
    assert_eq!(v, Verdict::Timeout);
    assert_eq!(why.as_deref(), Some("no answer within 2.5 s"));
    assert_eq!(
        judge(&c, &Outcome::Crash("exit 3".into()), LAX).0,
        Verdict::Crash
    );
    assert_eq!(
        judge(&c, &Outcome::HarnessError("spawn".into()), LAX).0,
        Verdict::HarnessError
    );
    let (v, why) = judge(&c, &Outcome::Protocol("not JSON".into()), LAX);
    assert_eq!(v, Verdict::Fail);
    assert!(why.unwrap().contains("protocol violation"));
}

#[test]
fn tolerance_applies_to_numbers_only() {
    let mut c = case("t", Expect::Ok(json!({"p": [0.5, 0.25], "label": "SAFE"})));
    c.tolerance = Some(Tolerance {
        abs: 1e-6,
        rel: 1e-4,
    });
    assert_eq!(
        judge(
            &c,
            &ok(json!({"p": [0.500_000_5, 0.25], "label": "SAFE"})),
            LAX
        )
        .0,
        Verdict::Pass
    );
    assert_eq!(
        judge(&c, &ok(json!({"p": [0.51, 0.25], "label": "SAFE"})), LAX).0,
        Verdict::Fail
    );
    assert_eq!(
        judge(&c, &ok(json!({"p": [0.5, 0.25], "label": "safe"})), LAX).0,
        Verdict::Fail,
        "strings stay exact"
    );
    assert_eq!(
        judge(&c, &ok(json!({"p": [0.5], "label": "SAFE"})), LAX).0,
        Verdict::Fail,
        "lengths stay exact"
    );
}

/// A testee with a canned outcome per case id.
struct Canned {
    ops: Vec<String>,
    answers: BTreeMap<String, Outcome>,
    sent: Vec<String>,
}

impl Target for Canned {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        Ok(info(&self.ops))
    }
    fn run(&mut self, id: &str, _op: &str, _args: &Value) -> (Outcome, Evidence) {
        self.sent.push(id.to_owned());
        let o = self
            .answers
            .get(id)
            .cloned()
            .unwrap_or(Outcome::HarnessError("no answer canned".into()));
        (
            o,
            Evidence {
                request: format!("{{\"id\":\"{id}\"}}"),
                ..Evidence::default()
            },
        )
    }
}

fn info(ops: &[String]) -> TesteeInfo {
    TesteeInfo {
        target: "canned".into(),
        name: "canned".into(),
        version: "1".into(),
        protocol: 1,
        ops: ops.to_vec(),
    }
}

#[test]
fn a_testee_that_answers_wrongly_in_every_way_gets_every_verdict() {
    let mut cases = vec![
        case("right", Expect::Ok(json!(1))),
        case("wrong-value", Expect::Ok(json!(1))),
        case("wrong-class", Expect::Error("a".into())),
        case("hangs", Expect::Ok(json!(1))),
        case("dies", Expect::Ok(json!(1))),
        case("garbage", Expect::Ok(json!(1))),
        case("declines", Expect::Ok(json!(1))),
        case("listed", Expect::Ok(json!(1))),
        case("listed-but-passes", Expect::Ok(json!(1))),
        case("never-run", Expect::Ok(json!(1))),
        acceptable(Some(Expect::Ok(json!(7)))),
    ];
    let mut should = case("soft", Expect::Ok(json!(1)));
    should.level = Level::Should;
    cases.push(should);
    let mut other_op = case("other-op", Expect::Ok(json!(1)));
    other_op.op = "frame.decode".into();
    cases.push(other_op);
    let answers: BTreeMap<String, Outcome> = [
        ("right", ok(json!(1))),
        ("wrong-value", ok(json!(2))),
        ("wrong-class", err("b")),
        ("hangs", Outcome::Timeout(Duration::from_secs(1))),
        ("dies", Outcome::Crash("closed stdout".into())),
        ("garbage", Outcome::Protocol("line is not JSON: hi".into())),
        ("declines", Outcome::Unsupported("later".into())),
        ("listed", ok(json!(2))),
        ("listed-but-passes", ok(json!(1))),
        ("acc", ok(json!(7))),
        ("soft", ok(json!(0))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let suite = Suite {
        dir: ".".into(),
        cases: cases.clone(),
        flags: BTreeMap::new(),
    };
    let list = "known_failures:\n  - {id: listed, requirement: X-Y-001, reason: returns the wrong value on purpose}\n  - {id: listed-but-passes, requirement: X-Y-001, reason: was broken in an older version}\nskip:\n  - {id: never-run, requirement: X-Y-001, reason: wedges the testee for minutes}\n";
    let opts = RunOptions {
        filters: vec![],
        policy: LAX,
        known_failures: Some(KnownFailures::parse(list, &suite).unwrap()),
    };
    let ops = vec!["wire.detect".to_owned()];
    let mut t = Canned {
        ops: ops.clone(),
        answers,
        sent: vec![],
    };
    let results = run_all(&cases, &mut t, &info(&ops), &opts, |_| {});
    let got: BTreeMap<&str, Verdict> = results.iter().map(|r| (r.id.as_str(), r.verdict)).collect();
    let want = [
        ("right", Verdict::Pass),
        ("wrong-value", Verdict::Fail),
        ("wrong-class", Verdict::Fail),
        ("hangs", Verdict::Timeout),
        ("dies", Verdict::Crash),
        ("garbage", Verdict::Fail),
        ("declines", Verdict::Unsupported),
        ("listed", Verdict::KnownFailure),
        ("listed-but-passes", Verdict::Fail),
        ("never-run", Verdict::Skipped),
        ("acc", Verdict::Acceptable),
        ("soft", Verdict::NonStrict),
        ("other-op", Verdict::Unsupported),
    ];
    for (id, v) in want {
        assert_eq!(got.get(id), Some(&v), "{id}");
    }
    assert!(
        !t.sent.iter().any(|s| s == "never-run" || s == "other-op"),
        "skipped and unlisted ops are never sent: {:?}",
        t.sent
    );
    let wrong = results.iter().find(|r| r.id == "wrong-value").unwrap();
    let diff = wrong.diff.as_deref().unwrap();
    assert!(
        diff.contains("-  \"ok\": 1") && diff.contains("+  \"ok\": 2"),
        "{diff}"
    );
    assert!(wrong
        .evidence
        .as_ref()
        .unwrap()
        .request
        .contains("wrong-value"));
    let listed = results.iter().find(|r| r.id == "listed").unwrap();
    assert_eq!(
        listed.judged,
        Some(Verdict::Fail),
        "the judge's own verdict is kept"
    );
    let pass = results.iter().find(|r| r.id == "right").unwrap();
    assert!(
        pass.diff.is_none() && pass.expected.is_none(),
        "passing cases keep no detail"
    );
}

#[test]
fn run_case_marks_an_op_missing_from_hello_unsupported_without_sending_it() {
    let c = case("x", Expect::Ok(json!(1)));
    let mut t = Canned {
        ops: vec![],
        answers: BTreeMap::new(),
        sent: vec![],
    };
    let r = run_case(&c, &mut t, &info(&[]), LAX);
    assert_eq!(r.verdict, Verdict::Unsupported);
    assert!(t.sent.is_empty());
    assert!(r.reason.unwrap().contains("not listed in hello"));
}
