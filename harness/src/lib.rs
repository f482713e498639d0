//! # m2m-conformance — the conformance harness for the M2M protocol family
//!
//! ## The one flow
//!
//! ```text
//! spec/*.md (requirement ids) ──indexed──▶ spec/requirements.yaml
//!        ▲ cited by
//! vectors/**/*.yaml ──vectors::load (validate, expand)──▶ Case
//! Case ──Target::run──▶ Outcome (ok | error class | unsupported | timeout | crash | garbage)
//! Outcome + expectation ──judge──▶ Verdict ──▶ Report (JSON canonical → Markdown, JUnit)
//! ```
//!
//! - [`spec`] reads `spec/`: chapters, requirements (parsed from the Markdown), error classes,
//!   the op namespace.
//! - [`vectors`] loads and validates every vector file (errors name file, case and field).
//! - [`target`] holds the systems under test behind one trait: the in-process reference
//!   ([`target::reference`]), any testee process over stdin ([`target::stdin`]) and any
//!   running testee over HTTP ([`target::http`]); [`serve_http`] serves the reference over HTTP.
//! - [`run`] schedules cases; [`judge`] decides verdicts; [`report`] writes JSON, Markdown and
//!   JUnit; [`coverage`] maps requirements to vectors; [`known_failures`] lets a testee's CI
//!   pass on listed gaps and fail on any change.
//! - [`lint`] checks a loaded suite against the op schemas (`spec/schemas/`) and every
//!   `upstream-*` label against the committed upstream reports.
//! - [`yaml`] is the only module that touches the YAML library.
//!
//! The harness depends on the reference (for the `ref` target and `serve-testee`), never the
//! other way round.

#![warn(missing_docs)]

pub mod bench;
pub mod certify;
pub mod commands;
pub mod coverage;
#[cfg(feature = "differential")]
pub mod differential;
pub mod export;
pub mod fuzz_replay;
pub mod judge;
pub mod known_failures;
#[cfg(feature = "lint")]
pub mod lint;
pub mod measure;
pub mod profiles;
pub mod report;
pub mod result;
pub mod run;
pub mod serve_http;
pub mod show;
pub mod spec;
pub mod suite_data;
pub mod suite_files;
pub mod target;
pub mod vectors;
pub mod yaml;

use std::path::{Path, PathBuf};

/// Version of the suite, recorded in every report and sent in `hello`.
pub const SUITE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The suite root (holds `spec/` and `vectors/`): `$M2M_CONFORMANCE_ROOT` if set, else the
/// current directory if it has both, else the checkout this harness was built from.
pub fn default_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("M2M_CONFORMANCE_ROOT") {
        return PathBuf::from(dir);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    if cwd.join("spec").is_dir() && cwd.join("vectors").is_dir() {
        return cwd;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

/// Load the spec and the vectors, formatting every problem as one line.
pub fn load_suite(
    spec_dir: &Path,
    vectors_dir: &Path,
) -> Result<(spec::Spec, vectors::Suite), Vec<String>> {
    let spec = spec::Spec::load(spec_dir).map_err(|errs| {
        errs.iter()
            .map(|e| format!("spec: {e}"))
            .collect::<Vec<_>>()
    })?;
    let suite = vectors::load(vectors_dir, &spec).map_err(|errs| {
        errs.iter()
            .map(|e| format!("vectors/{e}"))
            .collect::<Vec<_>>()
    })?;
    Ok((spec, suite))
}
