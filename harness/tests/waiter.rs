//! With several jobs, the cases flagged `WAITS` run on an instance of their own and every other
//! case on the jobs; the results come back in case order, the same as one instance gives.
//! [TESTEE-RUN-004]

use std::sync::{Arc, Mutex};

use m2m_conformance::load_suite;
use m2m_conformance::run::{run_all_jobs, run_all_jobs_with_waiter, RunOptions};
use m2m_conformance::target::{Evidence, Outcome, SetupError, Target, TesteeInfo};
use m2m_conformance::vectors::Case;
use serde_json::Value;

/// A target that answers every op `unsupported` and records which cases it was sent and
/// whether it was shut down.
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    shut: Arc<Mutex<bool>>,
}

/// What a [`Recorder`] saw: the case ids sent to it, and whether it was shut down.
type Seen = (Arc<Mutex<Vec<String>>>, Arc<Mutex<bool>>);

impl Recorder {
    fn new() -> (Self, Seen) {
        let (seen, shut) = (Arc::default(), Arc::default());
        let r = Recorder {
            seen: Arc::clone(&seen),
            shut: Arc::clone(&shut),
        };
        (r, (seen, shut))
    }
}

impl Target for Recorder {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        unreachable!("the test builds the hello itself")
    }
    fn run(&mut self, id: &str, _op: &str, _args: &Value) -> (Outcome, Evidence) {
        self.seen.lock().unwrap().push(id.to_owned());
        (Outcome::Unsupported("recorder".into()), Evidence::default())
    }
    fn shutdown(&mut self) {
        *self.shut.lock().unwrap() = true;
    }
}

fn cases() -> (Vec<Case>, TesteeInfo) {
    let root = m2m_conformance::default_root();
    let (_spec, suite) =
        load_suite(&root.join("spec"), &root.join("vectors")).expect("suite loads");
    // The h3 chapter (it holds the suite's WAITS case) and a few hundred others around it.
    let cases: Vec<Case> = suite
        .cases
        .into_iter()
        .filter(|c| c.chapter == "h3" || c.chapter == "varint" || c.chapter == "frame")
        .collect();
    let mut ops: Vec<String> = cases.iter().map(|c| c.op.clone()).collect();
    ops.sort();
    ops.dedup();
    let info = TesteeInfo {
        target: "recorder".into(),
        name: "recorder".into(),
        version: "0".into(),
        protocol: 1,
        ops,
    };
    (cases, info)
}

#[test]
fn waiting_cases_run_on_the_waiter_and_only_there() {
    let (cases, info) = cases();
    let waiting: Vec<String> = cases
        .iter()
        .filter(|c| c.waits())
        .map(|c| c.id.clone())
        .collect();
    assert!(
        waiting.iter().any(|id| id == "h3-idle-timeout"),
        "the suite flags h3-idle-timeout WAITS: {waiting:?}"
    );
    let (a, (seen_a, shut_a)) = Recorder::new();
    let (b, (seen_b, shut_b)) = Recorder::new();
    let (mut w, (seen_w, shut_w)) = Recorder::new();
    let mut jobs: Vec<Box<dyn Target>> = vec![Box::new(a), Box::new(b)];
    let opts = RunOptions::default();
    let results = run_all_jobs_with_waiter(&cases, &mut jobs, &mut w, &info, &opts, |_| {});

    assert_eq!(
        *seen_w.lock().unwrap(),
        waiting,
        "the waiter ran exactly the WAITS cases"
    );
    let mut ran: Vec<String> = seen_a.lock().unwrap().clone();
    ran.extend(seen_b.lock().unwrap().iter().cloned());
    assert!(
        ran.iter().all(|id| !waiting.contains(id)),
        "a job ran a WAITS case"
    );
    assert_eq!(
        ran.len() + waiting.len(),
        cases.len(),
        "every case ran once"
    );
    assert!(*shut_a.lock().unwrap() && *shut_b.lock().unwrap() && *shut_w.lock().unwrap());

    // In case order, and the same as one instance gives.
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    let want: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, want);
    let (one, _) = Recorder::new();
    let alone = run_all_jobs(
        &cases,
        &mut [Box::new(one) as Box<dyn Target>],
        &info,
        &opts,
        |_| {},
    );
    let key = |r: &m2m_conformance::run::CaseResult| (r.id.clone(), r.verdict, r.reason.clone());
    assert_eq!(
        results.iter().map(key).collect::<Vec<_>>(),
        alone.iter().map(key).collect::<Vec<_>>()
    );
}

#[test]
fn without_waiting_cases_the_waiter_is_not_sent_anything() {
    let (cases, info) = cases();
    let cases: Vec<Case> = cases.into_iter().filter(|c| !c.waits()).collect();
    let (a, (seen_a, _)) = Recorder::new();
    let (mut w, (seen_w, _)) = Recorder::new();
    let mut jobs: Vec<Box<dyn Target>> = vec![Box::new(a)];
    let results = run_all_jobs_with_waiter(
        &cases,
        &mut jobs,
        &mut w,
        &info,
        &RunOptions::default(),
        |_| {},
    );
    assert_eq!(results.len(), cases.len());
    assert!(seen_w.lock().unwrap().is_empty());
    assert_eq!(seen_a.lock().unwrap().len(), cases.len());
}
