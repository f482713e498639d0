//! The embedded reference implementation, called in-process through the same dispatcher that
//! `serve-testee` uses.

use std::panic::{catch_unwind, AssertUnwindSafe};

use m2m_reference::testee::{self, Reply};
use serde_json::Value;

use super::{Evidence, Outcome, SetupError, Target, TesteeInfo};

/// The in-process reference target (`--target ref`).
pub struct ReferenceTarget;

impl Target for ReferenceTarget {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        // The vocabularies are loaded once per process and shared by every instance: load them
        // here, before a run's clock starts, rather than in whichever case first tokenizes.
        m2m_reference::wire::token_native::Tokenizer::warm();
        let h = testee::hello();
        Ok(TesteeInfo {
            target: "ref".into(),
            name: h["name"].as_str().unwrap_or_default().to_owned(),
            version: h["version"].as_str().unwrap_or_default().to_owned(),
            protocol: h["protocol"].as_u64().unwrap_or_default(),
            ops: testee::ops().map(|o| o.name.to_owned()).collect(),
        })
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        // The request is rendered by the runner only if the verdict keeps evidence.
        let _ = id;
        let evidence = Evidence {
            unrendered: true,
            ..Evidence::default()
        };
        // A panic in the reference is a bug; it must surface as a crash verdict, not abort the run.
        let outcome = match catch_unwind(AssertUnwindSafe(|| testee::dispatch(op, args))) {
            Ok(Reply::Ok(v)) => Outcome::Ok(v),
            Ok(Reply::Error { class, message }) => Outcome::Error { class, message },
            Ok(Reply::Unsupported(r)) => Outcome::Unsupported(r),
            Err(panic) => Outcome::Crash(format!(
                "reference panicked: {}",
                panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)")
            )),
        };
        (outcome, evidence)
    }
}
