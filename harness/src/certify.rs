//! Certification as a library call: [`certify`] takes a loaded suite and [`CertifyOptions`],
//! runs every selected case against the target (several instances at once where the target
//! allows it), applies the known-failure list, judges the profiles and returns the [`Report`].
//! The CLI (`src/main.rs`) only parses arguments, prints and writes files.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::judge::Policy;
use crate::known_failures::{self, KnownFailures};
use crate::profiles::{self, Profiles};
use crate::report::{Report, ReportOptions};
use crate::result::CaseResult;
use crate::run::{self, RunOptions};
use crate::spec::Spec;
use crate::suite_data::SuiteRoot;
use crate::target::{self, Target, TargetOptions, TesteeInfo};
use crate::vectors::Suite;

/// Everything a certification run is asked to do.
#[derive(Debug, Clone)]
pub struct CertifyOptions {
    /// Target spec string (`ref`, `stdin:<command>`, …; [`target::KINDS`]).
    pub target: String,
    /// Only cases whose `chapter::id` contains one of these (all when empty).
    pub filters: Vec<String>,
    /// Per-case timeout for process and network targets.
    pub timeout: Duration,
    /// Tolerate nothing: acceptable and non-strict count as failures.
    pub strict: bool,
    /// Known-failure list to apply.
    pub known_failures: Option<PathBuf>,
    /// Rewrite the known-failure list from this run (it may not exist yet).
    pub update_known_failures: bool,
    /// Testee instances at once (default per target kind; [`target::jobs`]).
    pub jobs: Option<usize>,
    /// Requests in flight per stdin testee instance (`--window`). [TESTEE-MSG-007]
    pub window: usize,
    /// Bench profile to time after the run (`--bench`).
    pub bench: Option<PathBuf>,
    /// Claimed profiles (`--profile`). [BASIS-PROFILE-003]
    pub profiles: Vec<String>,
}

impl Default for CertifyOptions {
    fn default() -> Self {
        CertifyOptions {
            target: "ref".to_owned(),
            filters: Vec::new(),
            timeout: Duration::from_secs(10),
            strict: false,
            known_failures: None,
            update_known_failures: false,
            jobs: None,
            window: target::DEFAULT_WINDOW,
            bench: None,
            profiles: Vec::new(),
        }
    }
}

/// Why a certification could not run (the CLI's exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CertifyError {
    /// The target could not be built or started, or did not complete `hello`.
    #[error(transparent)]
    Target(#[from] target::SetupError),
    /// `--jobs` is not usable with this target.
    #[error("{0}")]
    Jobs(String),
    /// Two instances of the testee introduced themselves differently.
    #[error("a second instance of the testee answered another hello ({0})")]
    InconsistentHello(String),
    /// The known-failure list is refused (each problem on its own line).
    #[error("{}", .0.join("\n"))]
    KnownFailures(Vec<String>),
    /// The bench profile is refused.
    #[error("{}", .0.join("\n"))]
    Bench(Vec<String>),
    /// `spec/profiles.yaml` or a `--profile` name is refused.
    #[error(transparent)]
    Profile(#[from] profiles::ProfileError),
    /// The filters select nothing.
    #[error("no case matches the filter ({0})")]
    NothingSelected(String),
    /// The known-failure list could not be written back.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// The result of [`certify`].
#[derive(Debug)]
pub struct Certification {
    /// The canonical report (`certified` says whether the run passes).
    pub report: Report,
    /// With `update_known_failures`: failures no list may cover (crash, timeout,
    /// harness-error), by case name, which the rewritten list leaves out.
    pub uncoverable: Vec<String>,
    /// With `update_known_failures`: entries written with an `UNEXPLAINED` reason, which the
    /// next run refuses until a person explains them.
    pub unexplained: usize,
}

impl Certification {
    /// What `--update-known-failures` did to the list at `path`, for the console.
    pub fn update_notes(&self, path: &std::path::Path) -> String {
        let mut out = format!("rewrote {} from this run\n", path.display());
        if self.unexplained > 0 {
            out.push_str(&format!(
                "  {} entries say UNEXPLAINED: write the real reason; the list is refused until then\n",
                self.unexplained
            ));
        }
        for u in &self.uncoverable {
            out.push_str(&format!(
                "  not listed (no list covers a crash, timeout or harness error): {u}\n"
            ));
        }
        out
    }
}

/// `--timeout SECONDS`: a positive, finite number of seconds.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!("`{s}` is not a positive number of seconds")),
    }
}

/// `--window N`: requests in flight per stdin testee, 1 to 1024.
pub fn parse_window(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a whole number from 1 to 1024")),
    }
}

/// Start one instance of a target and exchange `hello`.
pub fn start_target(
    target_spec: &str,
    timeout: Duration,
) -> Result<(Box<dyn Target>, TesteeInfo, TargetOptions), target::SetupError> {
    let opts = TargetOptions {
        timeout,
        ..TargetOptions::default()
    };
    start_target_with(target_spec, opts)
}

/// [`start_target`] with every target option.
pub fn start_target_with(
    target_spec: &str,
    opts: TargetOptions,
) -> Result<(Box<dyn Target>, TesteeInfo, TargetOptions), target::SetupError> {
    let mut target = target::from_spec(target_spec, opts)?;
    let info = target.hello()?;
    Ok((target, info, opts))
}

/// Run a certification. `progress` sees every case result as it completes.
pub fn certify(
    root: &SuiteRoot,
    spec: &Spec,
    suite: &Suite,
    opts: &CertifyOptions,
    progress: impl FnMut(&CaseResult),
) -> Result<Certification, CertifyError> {
    let all_profiles = Profiles::load(spec)?;
    for name in &opts.profiles {
        all_profiles.get(name)?;
    }
    let bench = match &opts.bench {
        None => None,
        Some(p) => {
            Some(crate::bench::load_profile(&root.dir, p, suite).map_err(CertifyError::Bench)?)
        }
    };
    let selected = suite
        .cases
        .iter()
        .filter(|c| run::selected(c, &opts.filters))
        .count();
    if selected == 0 {
        return Err(CertifyError::NothingSelected(opts.filters.join(", ")));
    }
    let known = match &opts.known_failures {
        None => None,
        Some(path) if opts.update_known_failures && !path.exists() => {
            Some(KnownFailures::default())
        }
        Some(path) => Some(KnownFailures::load(path, suite).map_err(CertifyError::KnownFailures)?),
    };
    let jobs = target::jobs(&opts.target, opts.jobs).map_err(CertifyError::Jobs)?;
    let wanted = TargetOptions {
        timeout: opts.timeout,
        window: opts.window,
        ..TargetOptions::default()
    };
    let (first, info, target_opts) = start_target_with(&opts.target, wanted)?;
    let another = || -> Result<Box<dyn Target>, CertifyError> {
        let (t, i, _) = start_target_with(&opts.target, wanted)?;
        if i.ops != info.ops || i.name != info.name {
            return Err(CertifyError::InconsistentHello(format!(
                "{} {} then {} {}",
                info.name, info.version, i.name, i.version
            )));
        }
        Ok(t)
    };
    let mut targets = vec![first];
    for _ in 1..jobs {
        targets.push(another()?);
    }
    // With several jobs, the cases that wait in real time get an instance of their own, so
    // that their waits overlap the other cases; not when the testee lacks their ops (they are
    // decided without it). [TESTEE-RUN-004]
    let waits = suite
        .cases
        .iter()
        .any(|c| c.waits() && run::selected(c, &opts.filters) && info.ops.contains(&c.op));
    let mut waiter = if jobs >= 2 && waits {
        Some(another()?)
    } else {
        None
    };
    let run_opts = RunOptions {
        filters: opts.filters.clone(),
        policy: Policy {
            strict: opts.strict,
        },
        known_failures: known,
    };
    let started = Instant::now();
    let mut results = match waiter.as_deref_mut() {
        Some(w) => {
            run::run_all_jobs_with_waiter(&suite.cases, &mut targets, w, &info, &run_opts, progress)
        }
        None => run::run_all_jobs(&suite.cases, &mut targets, &info, &run_opts, progress),
    };
    let elapsed = started.elapsed();
    let (mut uncoverable, mut unexplained) = (Vec::new(), 0);
    if opts.update_known_failures {
        if let (Some(path), Some(list)) = (&opts.known_failures, &run_opts.known_failures) {
            let update = list.updated(&results, suite);
            let old = std::fs::read_to_string(path).ok();
            let text = known_failures::keep_header(old.as_deref(), &update.text);
            std::fs::write(path, text).map_err(|source| CertifyError::Write {
                path: path.display().to_string(),
                source,
            })?;
            uncoverable = update.uncoverable;
            unexplained = update.unexplained;
        }
    }
    // Mark each case with the claimed profiles it belongs to.
    let by_id: std::collections::HashMap<&str, &crate::vectors::Case> =
        suite.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    for r in &mut results {
        if let Some(case) = by_id.get(r.id.as_str()) {
            r.profiles = all_profiles.claimed_containing(&opts.profiles, case);
        }
    }
    let judged = profiles::evaluate(&all_profiles, &opts.profiles, &suite.cases, &results);
    let mut report = Report::new(
        spec,
        root,
        info,
        ReportOptions {
            filters: opts.filters.clone(),
            strict: opts.strict,
            timeout_ms: target_opts.timeout.as_millis() as u64,
            known_failures: opts
                .known_failures
                .as_ref()
                .map(|p| p.display().to_string()),
            jobs,
            profiles: opts.profiles.clone(),
        },
        results,
        judged,
    );
    report.elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    if let Some((name, profile)) = &bench {
        report.bench = Some(crate::bench::profile_target(
            &opts.target,
            target_opts,
            name,
            profile,
            suite,
            Policy {
                strict: opts.strict,
            },
        ));
    }
    Ok(Certification {
        report,
        uncoverable,
        unexplained,
    })
}

/// The default report folder: `./m2m-conformance-reports/<name>-<version>/` under the current
/// folder, named by what the testee said in `hello`. [BASIS-PROFILE-005]
pub fn default_report_dir(info: &TesteeInfo) -> PathBuf {
    PathBuf::from(DEFAULT_REPORTS).join(slug(&format!("{}-{}", info.name, info.version)))
}

/// The folder [`default_report_dir`] puts reports under.
pub const DEFAULT_REPORTS: &str = "m2m-conformance-reports";

/// A file-name-safe form of `s`.
pub fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
