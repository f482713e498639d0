//! The CLI's smaller commands as library calls: each returns what to print and whether it
//! succeeded (`Ok((text, true))` exits 0, `Ok((text, false))` exits 1), or a setup error (exit 2).
//! `src/main.rs` only parses arguments and prints.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::profiles::Profiles;
use crate::report::{self, diff, html};
use crate::spec::Spec;
#[cfg(feature = "lint")]
use crate::suite_data::SuiteRoot;
use crate::target::Target;
use crate::vectors::Suite;

/// What a command printed and whether it succeeded; `Err` is a setup error.
pub type Outcome = Result<(String, bool), String>;

/// `lint`: the spec, the profiles and every vector file load and agree; every case matches its
/// op's schemas and every `upstream-*` label is backed by the committed upstream reports
/// ([`crate::lint`]). The reports live in a checkout, not in the embedded suite: they are read
/// from `--root` / `$M2M_CONFORMANCE_ROOT` when given, else from the current folder.
#[cfg(feature = "lint")]
pub fn lint(root: &SuiteRoot, spec: &Spec, suite: &Suite) -> Outcome {
    let p = Profiles::load(spec).map_err(|e| e.to_string())?;
    // Not `SuiteRoot::checkout`: main points $M2M_CONFORMANCE_ROOT at the unpacked suite.
    let checkout = if root.source == "embedded" {
        PathBuf::from(".")
    } else {
        root.dir.clone()
    };
    let lint = crate::lint::lint(&checkout, spec, suite);
    let mut out = String::new();
    for problem in &lint.problems {
        let _ = writeln!(out, "{problem}");
    }
    if !lint.problems.is_empty() {
        let _ = writeln!(out, "lint: {} problem(s)", lint.problems.len());
        return Ok((out, false));
    }
    let _ = writeln!(
        out,
        "ok: {} chapters, {} requirements, {} error classes, {} ops, {} profiles, {} cases\nok: {lint}",
        spec.chapters.len(),
        spec.requirements.len(),
        spec.error_classes.len(),
        spec.ops.len(),
        p.list.len(),
        suite.cases.len()
    );
    Ok((out, true))
}

/// What `list` lists.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ListWhat {
    /// Spec chapters with requirement and case counts.
    Chapters,
    /// Ops with status and case counts.
    Ops,
    /// Conformance profiles with case counts.
    Profiles,
    /// Every case (matching the filters).
    Vectors,
}

/// `list chapters|ops|profiles|vectors`.
pub fn list(spec: &Spec, suite: &Suite, what: ListWhat, filters: &[String]) -> Outcome {
    let count =
        |f: &dyn Fn(&crate::vectors::Case) -> bool| suite.cases.iter().filter(|c| f(c)).count();
    let mut out = String::new();
    match what {
        ListWhat::Chapters => {
            for ch in &spec.chapters {
                let r = spec
                    .requirements
                    .iter()
                    .filter(|r| r.chapter == ch.key)
                    .count();
                let n = count(&|c| c.chapter == ch.key);
                let _ = writeln!(out, "{:<12} {r:>4} reqs {n:>5} cases  {}", ch.key, ch.title);
            }
        }
        ListWhat::Ops => {
            for op in &spec.ops {
                let n = count(&|c| c.op == op.op);
                let _ = writeln!(
                    out,
                    "{:<24} {:<8} {n:>5} cases  {}",
                    op.op, op.status, op.summary
                );
            }
        }
        ListWhat::Profiles => {
            for p in &Profiles::load(spec).map_err(|e| e.to_string())?.list {
                let n = count(&|c| p.contains(c));
                let _ = writeln!(out, "{:<14} {n:>5} cases  {}", p.name, p.title);
            }
        }
        ListWhat::Vectors => {
            for c in suite
                .cases
                .iter()
                .filter(|c| crate::run::selected(c, filters))
            {
                let _ = writeln!(
                    out,
                    "{:<60} {:<11} {:<18} {}",
                    c.name(),
                    c.result.name(),
                    c.op,
                    c.reqs.join(",")
                );
            }
        }
    }
    Ok((out, true))
}

/// `coverage [--chapter C] [--check]`.
pub fn coverage(spec: &Spec, suite: &Suite, chapter: Option<&str>, check: bool) -> Outcome {
    let rows: Vec<_> = crate::coverage::rows(spec, suite)
        .into_iter()
        .filter(|r| chapter.is_none_or(|c| r.chapter == c))
        .collect();
    let missing = rows
        .iter()
        .any(|r| r.level == crate::spec::Level::Must && r.uncovered());
    Ok((crate::coverage::render(&rows), !check || !missing))
}

/// `spec-index [--check]` on a checkout's spec folder.
pub fn spec_index(spec_dir: &Path, check: bool) -> Outcome {
    let spec = Spec::load(spec_dir).map_err(|errs| {
        errs.iter()
            .map(|e| format!("spec: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let n = spec.requirements.len();
    if check {
        return Ok(match spec.index_check() {
            Ok(()) => (
                format!("spec/requirements.yaml is up to date ({n} requirements)\n"),
                true,
            ),
            Err(e) => (format!("{e}\n"), false),
        });
    }
    let text = spec.index_yaml()?;
    std::fs::write(spec.index_path(), text)
        .map_err(|e| format!("{}: {e}", spec.index_path().display()))?;
    Ok((
        format!("wrote {} ({n} requirements)\n", spec.index_path().display()),
        true,
    ))
}

/// `measure [--check]`.
pub fn measure(corpus: &Path, out_dir: &Path, check: bool) -> Outcome {
    match crate::measure::run(corpus, out_dir, check) {
        Ok(n) if check => Ok((
            format!("{n} payloads: the committed claims report is up to date\n"),
            true,
        )),
        Err(e) if check => Ok((format!("{e}\n"), false)),
        Ok(n) => Ok((
            format!(
                "measured {n} payloads; wrote {}/claims.{{md,svg}}\n",
                out_dir.display()
            ),
            true,
        )),
        Err(e) => Err(e),
    }
}

/// The `report` subcommands (parsed by clap in the CLI).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ReportCommand {
    /// Render one report.json as a self-contained HTML page.
    Html {
        /// The report.json of a run.
        report: PathBuf,
        /// Output file (default: report.html next to the input).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Render one report.json as Markdown, failures first (what certify writes as report.md).
    Md {
        /// The report.json of a run.
        report: PathBuf,
        /// Output file (default: report.md next to the input).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Combine report.json files into one requirement × implementation HTML matrix.
    Matrix {
        /// The report.json files, one per implementation.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Output file.
        #[arg(long, short, default_value = "matrix.html")]
        output: PathBuf,
    },
    /// Put the bench sections of report.json files side by side (Markdown).
    Bench {
        /// The report.json files of `certify --bench` runs; the first is the baseline.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Also write the table to this file.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Compare two report.json files (Markdown). Exit 1 when a case or a profile regressed:
    /// pass → unsupported, known-failure, skipped or any failure counts.
    Diff {
        /// The older report.json.
        old: PathBuf,
        /// The newer report.json.
        new: PathBuf,
    },
}

fn write(path: &Path, text: &str) -> Result<String, String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(format!("wrote {}\n", path.display()))
}

/// `report html|md|matrix|bench|diff`.
pub fn report(what: ReportCommand) -> Outcome {
    let read_all = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| report::read_json(p))
            .collect::<Result<Vec<_>, _>>()
    };
    match what {
        ReportCommand::Html { report, output } => {
            let v = report::read_json(&report)?;
            let out = output.unwrap_or_else(|| report.with_file_name("report.html"));
            Ok((write(&out, &html::render(&v))?, true))
        }
        ReportCommand::Md { report, output } => {
            let v = report::read_json(&report)?;
            let out = output.unwrap_or_else(|| report.with_file_name("report.md"));
            Ok((write(&out, &report::markdown::render_json(&v))?, true))
        }
        ReportCommand::Matrix { reports, output } => Ok((
            write(&output, &html::render_matrix(&read_all(&reports)?))?,
            true,
        )),
        ReportCommand::Bench { reports, output } => {
            let table = crate::bench::render_side_by_side(&read_all(&reports)?);
            let mut out = table.clone();
            if let Some(path) = output {
                out.push_str(&write(&path, &table)?);
            }
            Ok((out, true))
        }
        ReportCommand::Diff { old, new } => {
            let (a, b) = (report::read_json(&old)?, report::read_json(&new)?);
            Ok((diff::render(&a, &b), !diff::diff(&a, &b).regressed()))
        }
    }
}

/// `fuzz-replay`: every corpus input of the chosen fuzz targets through a started testee.
pub fn fuzz_replay(
    target: &mut dyn Target,
    testee: &str,
    dirs: &[PathBuf],
    only: &[String],
    output: Option<&Path>,
) -> Outcome {
    use crate::fuzz_replay;
    let mut tallies = Vec::new();
    for (name, _) in fuzz_replay::TARGETS {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let t = fuzz_replay::replay(target, name, dirs);
        eprintln!(
            "{name:16} inputs {:5} requests {:5} passed {:5} fail {}",
            t.inputs,
            t.requests,
            t.passed(),
            t.failures.len()
        );
        tallies.push((name.to_string(), t));
    }
    target.shutdown();
    let md = fuzz_replay::render_markdown(testee, &tallies);
    if let Some(path) = output {
        std::fs::write(path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok((md, tallies.iter().all(|(_, t)| t.failures.is_empty())))
}

/// `show ID [--target T]`: the case, and with a target its outcome (exit 1 when it fails).
pub fn show(
    spec: &Spec,
    suite: &Suite,
    id: &str,
    target: Option<&str>,
    timeout: std::time::Duration,
) -> Outcome {
    let case = crate::show::find(suite, id).ok_or_else(|| format!("no case `{id}`"))?;
    let mut out = crate::show::describe(spec, case);
    let Some(target_spec) = target else {
        return Ok((out, true));
    };
    let (mut target, info, _) =
        crate::certify::start_target(target_spec, timeout).map_err(|e| e.to_string())?;
    let r = crate::run::run_case(case, target.as_mut(), &info, Default::default());
    target.shutdown();
    out.push_str(&crate::show::outcome(&r));
    Ok((out, !r.verdict.is_failure()))
}
