//! Every vector case as its own named trial (libtest-mimic), three times:
//!
//! - `<chapter>::<id>` runs the case against the reference in-process;
//! - `stdin::<chapter>::<id>` runs it through `m2m-conformance serve-testee` over stdin, so the
//!   process path (framing, restarts, hello) is tested end to end on every case;
//! - `http::<chapter>::<id>` runs it through the reference's HTTP testee (`serve-testee --http`,
//!   started in-process on a free port) with the `http:` target.
//!
//! Plus suite self-checks: `suite::lint`, `suite::requirements_index_up_to_date`,
//! `suite::coverage_every_must`, `suite::coverage_both_polarities` (every MUST has a positive
//! and a negative case: `invalid`, `acceptable` or a `NEAR_MISS` boundary case).
//!
//! Filter like any test binary: `cargo test -p m2m-conformance --test vectors -- brotli::`.
//! The reference must produce exactly `expect`: `acceptable` is not good enough for it.

use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};
use m2m_conformance::judge::{Policy, Verdict};
use m2m_conformance::run::{run_case, CaseResult};
use m2m_conformance::serve_http::HttpTestee;
use m2m_conformance::spec::Level;
use m2m_conformance::target::http::HttpTarget;
use m2m_conformance::target::reference::ReferenceTarget;
use m2m_conformance::target::stdin::StdinTarget;
use m2m_conformance::target::{Target, TargetOptions, TesteeInfo};
use m2m_conformance::{coverage, load_suite};

fn explain(r: &CaseResult) -> Failed {
    let mut msg = format!(
        "verdict {} — {}\n",
        r.verdict.name(),
        r.reason.as_deref().unwrap_or("")
    );
    if let Some(d) = &r.diff {
        msg.push_str(d);
    }
    if let Some(e) = &r.evidence {
        msg.push_str(&format!("\nrequest: {}\n", e.request));
        if let Some(resp) = &e.response {
            msg.push_str(&format!("response: {resp}\n"));
        }
        if let Some(err) = &e.stderr {
            msg.push_str(&format!("stderr: {err}\n"));
        }
    }
    msg.into()
}

fn main() {
    let args = Arguments::from_args();
    let root = m2m_conformance::default_root();
    let mut trials = Vec::new();
    let loaded = load_suite(&root.join("spec"), &root.join("vectors"));
    let (spec, suite) = match loaded {
        Ok(x) => x,
        Err(errs) => {
            let msg = errs.join("\n");
            trials.push(Trial::test("suite::lint", move || Err(msg.into())));
            libtest_mimic::run(&args, trials).exit();
        }
    };
    trials.push(Trial::test("suite::lint", || Ok(())));

    let index_spec = spec.clone();
    trials.push(Trial::test(
        "suite::requirements_index_up_to_date",
        move || index_spec.index_check().map_err(Into::into),
    ));

    let rows = coverage::rows(&spec, &suite);
    let uncovered: Vec<String> = rows
        .iter()
        .filter(|r| r.level == Level::Must && r.uncovered())
        .map(|r| format!("{} ({})", r.id, r.summary))
        .collect();
    trials.push(Trial::test("suite::coverage_every_must", move || {
        if uncovered.is_empty() {
            Ok(())
        } else {
            Err(format!("MUSTs without a vector:\n{}", uncovered.join("\n")).into())
        }
    }));
    let one_sided: Vec<String> = rows
        .iter()
        .filter(|r| r.level == Level::Must && r.one_sided())
        .map(|r| {
            format!(
                "{} [{}] (+{} ~{} -{})",
                r.id,
                r.chapter,
                r.positive.len(),
                r.near_miss.len(),
                r.negative.len()
            )
        })
        .collect();
    trials.push(Trial::test("suite::coverage_both_polarities", move || {
        if one_sided.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "MUSTs lacking a positive or a negative vector:\n{}",
                one_sided.join("\n")
            )
            .into())
        }
    }));

    let policy = Policy { strict: true };
    let mut reference = ReferenceTarget;
    let ref_info = reference.hello().expect("the reference always says hello");
    for case in suite.cases.clone() {
        let info = ref_info.clone();
        trials.push(Trial::test(case.name(), move || {
            let r = run_case(&case, &mut ReferenceTarget, &info, policy);
            if r.verdict == Verdict::Pass {
                Ok(())
            } else {
                Err(explain(&r))
            }
        }));
    }

    // One serve-testee process shared by all stdin trials; it restarts itself after failures.
    let command = format!("'{}' serve-testee", env!("CARGO_BIN_EXE_m2m-conformance"));
    type Shared = Arc<Mutex<Option<(StdinTarget, TesteeInfo)>>>;
    let shared: Shared = Arc::new(Mutex::new(None));
    // One in-process HTTP testee shared by all http trials.
    type SharedHttp = Arc<Mutex<Option<(HttpTarget, TesteeInfo)>>>;
    let shared_http: SharedHttp = Arc::new(Mutex::new(None));
    for case in suite.cases {
        let http_case = case.clone();
        let shared_http = Arc::clone(&shared_http);
        trials.push(Trial::test(format!("http::{}", case.name()), move || {
            let mut guard = shared_http.lock().unwrap_or_else(|p| p.into_inner());
            if guard.is_none() {
                let server = HttpTestee::bind("127.0.0.1:0")?;
                let addr = server.local_addr().ok_or("no local address")?;
                std::thread::spawn(move || server.run());
                let mut t = HttpTarget::new(&format!("http://{addr}"), TargetOptions::default())?;
                let info = t.hello().map_err(|e| e.to_string())?;
                *guard = Some((t, info));
            }
            let (target, info) = guard.as_mut().expect("set above");
            let r = run_case(&http_case, target, info, policy);
            if r.verdict == Verdict::Pass {
                Ok(())
            } else {
                Err(explain(&r))
            }
        }));
        let shared = Arc::clone(&shared);
        let command = command.clone();
        trials.push(Trial::test(format!("stdin::{}", case.name()), move || {
            let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
            if guard.is_none() {
                let mut t = StdinTarget::new(&command, TargetOptions::default());
                let info = t.hello().map_err(|e| e.to_string())?;
                *guard = Some((t, info));
            }
            let (target, info) = guard.as_mut().expect("set above");
            let r = run_case(&case, target, info, policy);
            if r.verdict == Verdict::Pass {
                Ok(())
            } else {
                Err(explain(&r))
            }
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
