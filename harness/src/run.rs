//! The scheduler: runs cases against one target, in order, and records verdicts with evidence.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::judge::{self, Policy, Verdict};
use crate::target::{Evidence, Outcome, Request, Target, TesteeInfo};
use crate::vectors::{Case, Expect};

pub use crate::result::CaseResult;

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only cases whose `chapter::id` contains one of these substrings (all when empty).
    pub filters: Vec<String>,
    /// Judging policy.
    pub policy: Policy,
    /// Expected failures, if any.
    pub known_failures: Option<crate::known_failures::KnownFailures>,
}

/// Whether `case` is selected by the filters.
pub fn selected(case: &Case, filters: &[String]) -> bool {
    filters.is_empty() || {
        let name = case.name();
        filters.iter().any(|f| name.contains(f.as_str()))
    }
}

/// Run one case against `target`, which said `info` in hello. Ops the testee did not list are
/// judged `unsupported` without being sent, except protocol probes that expect `unsupported`.
/// [TESTEE-HELLO-003]
pub fn run_case(
    case: &Case,
    target: &mut dyn Target,
    info: &TesteeInfo,
    policy: Policy,
) -> CaseResult {
    let started = Instant::now();
    let (outcome, evidence) = match unlisted(case, info) {
        Some(outcome) => (outcome, Evidence::default()),
        None => target.run(&case.id, &case.op, &case.input),
    };
    let duration = started.elapsed();
    judged(case, outcome, evidence, duration, policy)
}

/// `unsupported` for a case whose op the testee did not list in hello (unless the case is a
/// protocol probe expecting `unsupported`, which is sent). [TESTEE-HELLO-003]
fn unlisted(case: &Case, info: &TesteeInfo) -> Option<Outcome> {
    (case.expect != Expect::Unsupported && !info.ops.iter().any(|o| o == &case.op))
        .then(|| Outcome::Unsupported(format!("op `{}` not listed in hello", case.op)))
}

fn judged(
    case: &Case,
    outcome: Outcome,
    evidence: Evidence,
    duration: Duration,
    policy: Policy,
) -> CaseResult {
    let (verdict, reason) = judge::judge(case, &outcome, policy);
    // Passing cases keep no detail, so nothing is rendered for them: a 16 MiB result is compared,
    // never copied or printed.
    let detail = verdict != Verdict::Pass;
    let (expected, actual) = if detail {
        (
            judge::expect_json(&case.expect),
            judge::outcome_json(&outcome),
        )
    } else {
        (Value::Null, Value::Null)
    };
    let mut evidence = evidence;
    if detail && evidence.unrendered {
        evidence.unrendered = false;
        evidence.request = crate::target::request_line(&case.id, &case.op, &case.input);
    }
    CaseResult {
        id: case.id.clone(),
        chapter: case.chapter.clone(),
        file: case.file.clone(),
        reqs: case.reqs.clone(),
        op: case.op.clone(),
        result: case.result.name(),
        flags: case.flags.clone(),
        verdict,
        profiles: Vec::new(),
        judged: None,
        reason,
        duration_ms: duration.as_secs_f64() * 1000.0,
        diff: (detail && verdict != Verdict::Unsupported).then(|| judge::diff(&expected, &actual)),
        expected: detail.then(|| judge::abbreviate(&expected)),
        actual: detail.then(|| judge::abbreviate(&actual)),
        evidence: detail.then(|| abbreviate_evidence(evidence)),
    }
}

/// The result of a case a known-failures list says to skip: never sent.
fn skipped(case: &Case, entry: &crate::known_failures::Entry) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        chapter: case.chapter.clone(),
        file: case.file.clone(),
        reqs: case.reqs.clone(),
        op: case.op.clone(),
        result: case.result.name(),
        flags: case.flags.clone(),
        verdict: Verdict::Skipped,
        profiles: Vec::new(),
        judged: None,
        reason: Some(format!("skipped ({}): {}", entry.requirement, entry.reason)),
        duration_ms: 0.0,
        diff: None,
        expected: None,
        actual: None,
        evidence: None,
    }
}

fn abbreviate_evidence(mut e: Evidence) -> Evidence {
    const KEEP: usize = 4096;
    let cut = |s: &mut String| {
        if s.len() > KEEP {
            let end = (0..=KEEP)
                .rev()
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(0);
            let extra = s.len() - end;
            s.truncate(end);
            s.push_str(&format!("…(+{extra} bytes)"));
        }
    };
    cut(&mut e.request);
    if let Some(r) = e.response.as_mut() {
        cut(r);
    }
    e
}

/// Run every selected case, calling `progress` after each.
pub fn run_all(
    cases: &[Case],
    target: &mut dyn Target,
    info: &TesteeInfo,
    opts: &RunOptions,
    progress: impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let chosen: Vec<&Case> = cases
        .iter()
        .filter(|c| selected(c, &opts.filters))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let order: Vec<usize> = (0..chosen.len()).collect();
    let slots = std::cell::RefCell::new(empty_slots(chosen.len()));
    let progress = std::cell::RefCell::new(progress);
    drive(&chosen, &order, &next, target, info, opts, &|i, r| {
        (progress.borrow_mut())(&r);
        slots.borrow_mut()[i] = Some(r);
    });
    target.shutdown();
    slots.into_inner().into_iter().flatten().collect()
}

fn empty_slots(n: usize) -> Vec<Option<CaseResult>> {
    let mut slots = Vec::new();
    slots.resize_with(n, || None);
    slots
}

/// Run every selected case on several independent instances of one target at once (`certify
/// --jobs N`), one thread per instance, each taking the next case not yet taken (a pipelining
/// instance takes up to its window ahead). Results come back in case order, exactly as
/// [`run_all`] would give them; `progress` sees them in completion order. Every instance must
/// have answered `hello` with the same ops as `info`. [TESTEE-RUN-004]
pub fn run_all_jobs(
    cases: &[Case],
    targets: &mut [Box<dyn Target>],
    info: &TesteeInfo,
    opts: &RunOptions,
    progress: impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    run_all_instances(cases, targets, None, info, opts, progress)
}

/// [`run_all_jobs`], with one more instance, `waiter`, that runs only the cases flagged
/// [`WAITS`](crate::vectors::WAITS) (they spend their time waiting in real time, such as for a
/// server's idle timeout) while the jobs run all the others, so that a wait overlaps work
/// instead of holding a job. Results still come back in case order. [TESTEE-RUN-004]
pub fn run_all_jobs_with_waiter(
    cases: &[Case],
    targets: &mut [Box<dyn Target>],
    waiter: &mut (dyn Target + 'static),
    info: &TesteeInfo,
    opts: &RunOptions,
    progress: impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    run_all_instances(cases, targets, Some(waiter), info, opts, progress)
}

fn run_all_instances(
    cases: &[Case],
    targets: &mut [Box<dyn Target>],
    mut waiter: Option<&mut (dyn Target + 'static)>,
    info: &TesteeInfo,
    opts: &RunOptions,
    mut progress: impl FnMut(&CaseResult),
) -> Vec<CaseResult> {
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;

    let chosen: Vec<&Case> = cases
        .iter()
        .filter(|c| selected(c, &opts.filters))
        .collect();
    let (waiting, mut working): (Vec<usize>, Vec<usize>) =
        (0..chosen.len()).partition(|&i| waiter.is_some() && chosen[i].waits());
    large_first(&chosen, &mut working);
    if waiting.is_empty() {
        if let Some(w) = waiter.take() {
            w.shutdown();
        }
        if let [only] = targets {
            return run_all(cases, only.as_mut(), info, opts, progress);
        }
    }
    let (next, next_waiting) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut slots = empty_slots(chosen.len());
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, CaseResult)>();
        let lanes = targets
            .iter_mut()
            .map(|t| (t.as_mut(), &working, &next))
            .chain(waiter.as_deref_mut().map(|w| (w, &waiting, &next_waiting)));
        for (target, order, next) in lanes {
            let (tx, chosen) = (tx.clone(), &chosen);
            scope.spawn(move || {
                drive(chosen, order, next, target, info, opts, &|i, r| {
                    let _ = tx.send((i, r));
                });
            });
        }
        drop(tx);
        for (i, r) in rx {
            progress(&r);
            slots[i] = Some(r);
        }
    });
    targets.iter_mut().for_each(|t| t.shutdown());
    if let Some(w) = waiter {
        w.shutdown();
    }
    slots.into_iter().flatten().collect()
}

/// Cases whose input or expected result holds at least this many bytes of strings and
/// elements of arrays are sent first when several instances share the work.
const LARGE_CASE: usize = 1 << 20;

/// Put the large cases (by [`weight`]) first, largest first, the others after them in case
/// order: with several instances taking cases from one queue, a large case taken last would
/// leave the other instances idle until it ends (longest-processing-time-first scheduling).
fn large_first(chosen: &[&Case], order: &mut [usize]) {
    let weights: Vec<usize> = order.iter().map(|&i| weight(chosen[i])).collect();
    let mut keyed: Vec<(usize, usize)> = order
        .iter()
        .zip(&weights)
        .map(|(&i, &w)| (if w >= LARGE_CASE { w } else { 0 }, i))
        .collect();
    // Stable: equal keys (every small case) keep case order.
    keyed.sort_by_key(|&(w, _)| std::cmp::Reverse(w));
    for (slot, (_, i)) in order.iter_mut().zip(keyed) {
        *slot = i;
    }
}

/// The size of a case's data: string bytes and array and object elements in its args and its
/// expected result, counted up to [`LARGE_CASE`] and no further (the walk stops there, so a
/// case of 262,000 messages costs no more to weigh than a small one).
fn weight(case: &Case) -> usize {
    /// Adds `v`'s size to `total`; false once the total is large (stop walking).
    fn walk(v: &Value, total: &mut usize) -> bool {
        *total += match v {
            Value::String(s) => s.len(),
            Value::Array(a) => a.len(),
            Value::Object(m) => m.len(),
            _ => 1,
        };
        *total < LARGE_CASE
            && match v {
                Value::Array(a) => a.iter().all(|x| walk(x, total)),
                Value::Object(m) => m.values().all(|x| walk(x, total)),
                _ => true,
            }
    }
    let mut total = 0;
    if walk(&case.input, &mut total) {
        if let Expect::Ok(v) = &case.expect {
            walk(v, &mut total);
        }
    }
    total
}

/// Run the cases `chosen[order[next..]]` on one target, taking each next position from `next`
/// (shared by the instances of a `--jobs` run), and hand every result to `emit` with its index
/// in `chosen`. A case the known-failures list skips, or whose op the testee did not list, is
/// decided without the target.
fn drive(
    chosen: &[&Case],
    order: &[usize],
    next: &std::sync::atomic::AtomicUsize,
    target: &mut dyn Target,
    info: &TesteeInfo,
    opts: &RunOptions,
    emit: &dyn Fn(usize, CaseResult),
) {
    let finish = |mut r: CaseResult| {
        if let Some(kf) = &opts.known_failures {
            kf.apply(&mut r);
        }
        r
    };
    let mut feed = || loop {
        let position = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let i = *order.get(position)?;
        let case = chosen[i];
        if let Some(entry) = opts.known_failures.as_ref().and_then(|k| k.skip(&case.id)) {
            emit(i, skipped(case, entry));
            continue;
        }
        if let Some(outcome) = unlisted(case, info) {
            let r = judged(
                case,
                outcome,
                Evidence::default(),
                Duration::ZERO,
                opts.policy,
            );
            emit(i, finish(r));
            continue;
        }
        return Some(Request {
            key: i,
            id: &case.id,
            op: &case.op,
            args: &case.input,
        });
    };
    let mut done = |req: Request<'_>, outcome, evidence, duration| {
        let case = chosen[req.key];
        let r = judged(case, outcome, evidence, duration, opts.policy);
        emit(req.key, finish(r));
    };
    target.run_stream(&mut feed, &mut done);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Level;
    use crate::vectors::Result_;
    use serde_json::json;

    fn case(id: &str, input: Value, expect: Expect) -> Case {
        Case {
            id: id.into(),
            chapter: "t".into(),
            file: "t/t.yaml".into(),
            reqs: vec![],
            description: String::new(),
            op: "op".into(),
            input,
            expect,
            lenient: None,
            result: Result_::Valid,
            flags: vec![],
            confirmed_by: Some("test".into()),
            level: Level::Must,
            tolerance: None,
        }
    }

    /// [TESTEE-RUN-004] large cases first, largest first; small ones after, in case order; the
    /// weighing stops at the threshold.
    #[test]
    fn large_cases_go_first() {
        let mib = 1 << 20;
        let cases = [
            case("small-0", json!({"a": "x"}), Expect::Ok(json!(1))),
            case(
                "input-2mib",
                json!({"a": "x".repeat(2 * mib)}),
                Expect::Error("e".into()),
            ),
            case("small-2", json!({}), Expect::Unsupported),
            case(
                "output-1.5mib",
                json!({}),
                Expect::Ok(json!("y".repeat(3 * mib / 2))),
            ),
            case(
                "many-ids",
                json!({"ids": vec![7; 600_000]}),
                Expect::Ok(json!(1)),
            ),
            case(
                "just-under",
                json!({"a": "z".repeat(mib - 2)}),
                Expect::Unsupported,
            ),
        ];
        assert_eq!(weight(&cases[4]), LARGE_CASE);
        assert_eq!(weight(&cases[5]), LARGE_CASE - 1);
        let chosen: Vec<&Case> = cases.iter().collect();
        let mut order: Vec<usize> = (0..cases.len()).collect();
        large_first(&chosen, &mut order);
        assert_eq!(order, [1, 3, 4, 0, 2, 5]);
    }
}
