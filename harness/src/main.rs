//! `m2m-conformance` — certify an implementation against the M2M conformance vectors.
//!
//! Argument parsing and printing only: certification, reports, profiles, the suite data and
//! every other command live in the library (`m2m_conformance`).
//!
//! Exit codes: 0 = every case passed (or was acceptable / unsupported / non-strict) and every
//! claimed profile is met, 1 = some case failed, timed out, crashed or hit a harness error, or a
//! claimed profile is not met, 2 = usage or setup error.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use m2m_conformance::certify::{self, CertifyOptions};
use m2m_conformance::commands::{self, ListWhat, ReportCommand};
use m2m_conformance::report::console;
use m2m_conformance::suite_data::SuiteRoot;
use m2m_conformance::{load_suite, run, spec::Spec};

#[derive(Parser)]
#[command(
    name = "m2m-conformance",
    version,
    about = "M2M protocol conformance suite"
)]
struct Cli {
    /// Suite data to use instead of the one built into this binary: a folder holding spec/ and
    /// vectors/ (a checkout); also $M2M_CONFORMANCE_ROOT. Default: the embedded suite, unpacked
    /// once into $M2M_CONFORMANCE_CACHE or the user's cache folder.
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct TargetArg {
    /// The implementation under test (see the list below).
    #[arg(long, short, default_value = "ref", long_help = target_help())]
    target: String,
    /// Per-case timeout in seconds for process and network targets.
    #[arg(long, default_value = "10", value_parser = certify::parse_timeout)]
    timeout: Duration,
}

fn target_help() -> String {
    format!(
        "The implementation under test, one of:\n{}",
        m2m_conformance::target::KINDS
    )
}

#[derive(Subcommand)]
enum Command {
    /// Run the vectors against a target, print failures first and write reports.
    Certify(CertifyArgs),
    /// List chapters, ops, profiles or vectors.
    List {
        /// What to list.
        #[arg(value_enum, default_value = "vectors")]
        what: ListWhat,
        /// Only vectors whose `chapter::id` contains this text.
        #[arg(long, short)]
        filter: Vec<String>,
    },
    /// Show each requirement with its vectors; MUSTs without any are listed first.
    Coverage {
        /// Only this chapter.
        #[arg(long)]
        chapter: Option<String>,
        /// Exit 1 if a MUST has no vector.
        #[arg(long)]
        check: bool,
    },
    /// Run the reference as a testee: JSON Lines on stdin/stdout, or with --http ADDR an HTTP
    /// server (`GET /v1/hello`, `POST /v1/run`).
    ServeTestee {
        /// Serve over HTTP on this address (e.g. 127.0.0.1:8765).
        #[arg(long, value_name = "ADDR")]
        http: Option<String>,
    },
    /// Render, combine or compare report.json files.
    Report {
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// Measure the claims corpus through every format; writes claims.md and claims.svg.
    Measure {
        /// Directory of *.json payloads (default: vectors/corpus).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Where to write claims.md and claims.svg (default: reports/ of the checkout).
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// Write nothing; exit 1 if the committed report is stale.
        #[arg(long)]
        check: bool,
    },
    /// Regenerate spec/requirements.yaml of a checkout (or, with --check, verify it).
    SpecIndex {
        /// Exit 1 if the committed index is stale instead of rewriting it.
        #[arg(long)]
        check: bool,
    },
    /// Validate the spec and every vector file.
    Lint,
    /// Send every fuzz corpus input through the testee protocol; fail on a crash, a timeout or
    /// a protocol violation.
    FuzzReplay(FuzzReplayArgs),
    /// Show one case (requirements, request line, expectation) and, with --target, run it.
    Show {
        /// Case id (or `chapter::id`).
        id: String,
        /// Also run the case against this target (see `certify --help`).
        #[arg(long, short, long_help = target_help())]
        target: Option<String>,
        /// Per-case timeout in seconds.
        #[arg(long, default_value = "10", value_parser = certify::parse_timeout)]
        timeout: Duration,
    },
    /// Write the whole suite, expanded, as one JSON file per chapter plus schema.json.
    Export(m2m_conformance::export::ExportArgs),
    /// Run generated cases on two targets, shrink and report every disagreement.
    #[cfg(feature = "differential")]
    Differential(m2m_conformance::differential::DiffArgs),
    /// Run generated cases on two targets (not in this build: feature `differential`).
    #[cfg(not(feature = "differential"))]
    Differential {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
}

/// The setup error of a command whose feature this build leaves out.
#[cfg(not(all(feature = "lint", feature = "differential")))]
fn missing_feature(command: &str, feature: &str) -> ExitCode {
    setup_error(format!(
        "`{command}` is not in this build: rebuild m2m-conformance with the feature `{feature}` \
         (on by default; this build used --no-default-features)"
    ))
}

#[derive(clap::Args)]
struct CertifyArgs {
    #[command(flatten)]
    target: TargetArg,
    /// Where to write report.json, report.md, report.html and junit.xml (default:
    /// ./m2m-conformance-reports/<name>-<version>/, named by the testee's hello).
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Only cases whose `chapter::id` contains this text (repeatable).
    #[arg(long, short)]
    filter: Vec<String>,
    /// Claim a conformance profile (repeatable; `list profiles`): inside it `unsupported` is a
    /// failure, and the run exits 1 unless every claimed profile is met.
    #[arg(long = "profile", short = 'p', value_name = "NAME")]
    profiles: Vec<String>,
    /// Tolerate nothing: acceptable and non-strict outcomes count as failures.
    #[arg(long)]
    strict: bool,
    /// Do not write report files.
    #[arg(long)]
    no_report: bool,
    /// YAML list of expected failures (harness/src/known_failures.rs). No entry covers a
    /// crash, timeout or harness error; every entry needs a real reason.
    #[arg(long)]
    known_failures: Option<PathBuf>,
    /// Rewrite the --known-failures file from this run (new failures get UNEXPLAINED reasons,
    /// which the next run refuses until a person replaces them).
    #[arg(long, requires = "known_failures")]
    update_known_failures: bool,
    /// Run this many testee instances at once (`ref` and `stdin:` targets; default: one per
    /// CPU core for those, 1 for the others). With 2 or more, one extra instance runs the cases
    /// flagged WAITS (they wait out a timeout) beside the others, and cases of a megabyte or
    /// more of data are handed out first.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Requests written to each `stdin:` testee before the oldest is answered (1: one at a
    /// time). Verdicts do not depend on it.
    #[arg(long, value_name = "N", default_value_t = m2m_conformance::target::DEFAULT_WINDOW, value_parser = certify::parse_window)]
    window: usize,
    /// After the run, ask the testee to time a bench profile itself (`testee.bench`; default
    /// harness/bench-profile.yaml of the suite). Changes no verdict.
    #[arg(long, value_name = "PROFILE", num_args = 0..=1, default_missing_value = m2m_conformance::bench::DEFAULT_PROFILE)]
    bench: Option<PathBuf>,
    /// How many failing cases the console lists before "…and N more".
    #[arg(long, default_value_t = console::DEFAULT_CAP)]
    max_failures_shown: usize,
}

#[derive(clap::Args)]
struct FuzzReplayArgs {
    #[command(flatten)]
    target: TargetArg,
    /// Corpus directories holding `<fuzz target>/` folders (repeatable; default
    /// `fuzz/corpus` and `fuzz/regressions` of the suite).
    #[arg(long)]
    corpus: Vec<PathBuf>,
    /// Only this fuzz target (repeatable; default all).
    #[arg(long)]
    only: Vec<String>,
    /// Also write the Markdown section to this file.
    #[arg(long)]
    output: Option<PathBuf>,
}

/// Print a command's text and exit with its status.
fn done(outcome: commands::Outcome) -> ExitCode {
    match outcome {
        Ok((text, ok)) => {
            print!("{text}");
            exit(ok)
        }
        Err(e) => setup_error(e),
    }
}

fn setup_error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Report { what } => done(commands::report(what)),
        Command::ServeTestee { http: None } => match m2m_reference::testee::serve_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => setup_error(e),
        },
        Command::ServeTestee { http: Some(addr) } => {
            match m2m_conformance::serve_http::HttpTestee::bind(&addr) {
                Ok(server) => {
                    if let Some(bound) = server.local_addr() {
                        eprintln!("serving the reference testee on http://{bound}");
                    }
                    match server.run() {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(e) => setup_error(e),
                    }
                }
                Err(e) => setup_error(e),
            }
        }
        Command::SpecIndex { check } => match SuiteRoot::checkout(cli.root.as_deref()) {
            Ok(dir) => done(commands::spec_index(&dir.join("spec"), check)),
            Err(e) => setup_error(e),
        },
        Command::Measure {
            corpus,
            out_dir,
            check,
        } => match SuiteRoot::checkout(cli.root.as_deref()) {
            Ok(dir) => done(commands::measure(
                &corpus.unwrap_or_else(|| dir.join("vectors/corpus")),
                &out_dir.unwrap_or_else(|| dir.join("reports")),
                check,
            )),
            Err(e) => setup_error(e),
        },
        command => {
            let root = match SuiteRoot::resolve(cli.root.as_deref()) {
                Ok(r) => r,
                Err(e) => return setup_error(e),
            };
            // Testees (the in-process reference and child processes) open model files by path
            // relative to the suite root. [HYDRA-OP-001]
            std::env::set_var("M2M_CONFORMANCE_ROOT", &root.dir);
            with_suite(&root, command)
        }
    }
}

fn with_suite(root: &SuiteRoot, command: Command) -> ExitCode {
    #[cfg(feature = "differential")]
    if let Command::Differential(a) = command {
        return done(m2m_conformance::differential::command(root, &a).map_err(|e| e.to_string()));
    }
    #[cfg(not(feature = "differential"))]
    if let Command::Differential { .. } = command {
        return missing_feature("differential", "differential");
    }
    if let Command::FuzzReplay(a) = command {
        let t = a.target.timeout;
        let (mut target, info, _) = match certify::start_target(&a.target.target, t) {
            Ok(x) => x,
            Err(e) => return setup_error(e),
        };
        let dirs = if a.corpus.is_empty() {
            if let Err(e) = root.corpora() {
                return setup_error(e);
            }
            vec![
                root.dir.join("fuzz/corpus"),
                root.dir.join("fuzz/regressions"),
            ]
        } else {
            a.corpus
        };
        let name = format!("{} {}", info.name, info.version);
        return done(commands::fuzz_replay(
            target.as_mut(),
            &name,
            &dirs,
            &a.only,
            a.output.as_deref(),
        ));
    }
    let (spec, suite) = match load_suite(&root.dir.join("spec"), &root.dir.join("vectors")) {
        Ok(x) => x,
        Err(errs) => {
            let n = errs.len();
            return setup_error(format!(
                "{}\n{n} problem(s) in spec/ or vectors/ of {}",
                errs.join("\n"),
                root.source
            ));
        }
    };
    match command {
        Command::Export(a) => done(m2m_conformance::export::command(&spec, &suite, root, &a)),
        #[cfg(feature = "lint")]
        Command::Lint => done(commands::lint(root, &spec, &suite)),
        #[cfg(not(feature = "lint"))]
        Command::Lint => missing_feature("lint", "lint"),
        Command::List { what, filter } => done(commands::list(&spec, &suite, what, &filter)),
        Command::Coverage { chapter, check } => {
            done(commands::coverage(&spec, &suite, chapter.as_deref(), check))
        }
        Command::Certify(a) => certify_command(root, &spec, &suite, a),
        Command::Show {
            id,
            target,
            timeout,
        } => done(commands::show(
            &spec,
            &suite,
            &id,
            target.as_deref(),
            timeout,
        )),
        _ => unreachable!("handled in main"),
    }
}

fn certify_command(
    root: &SuiteRoot,
    spec: &Spec,
    suite: &m2m_conformance::vectors::Suite,
    a: CertifyArgs,
) -> ExitCode {
    let t = a.target.timeout;
    let opts = CertifyOptions {
        target: a.target.target,
        filters: a.filter,
        timeout: t,
        strict: a.strict,
        known_failures: a.known_failures,
        update_known_failures: a.update_known_failures,
        jobs: a.jobs,
        window: a.window,
        bench: a.bench,
        profiles: a.profiles,
    };
    let selected = suite
        .cases
        .iter()
        .filter(|c| run::selected(c, &opts.filters))
        .count() as u64;
    // A progress bar on stderr, only on a terminal and only once the run takes a moment.
    let bar = ProgressBar::with_draw_target(Some(selected), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (started, tty, mut shown) = (Instant::now(), std::io::stderr().is_terminal(), false);
    let result = certify::certify(root, spec, suite, &opts, |r| {
        if tty && !shown && started.elapsed() > Duration::from_millis(300) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_message(format!("{}::{}", r.chapter, r.id));
        bar.inc(1);
    });
    bar.finish_and_clear();
    let c = match result {
        Ok(c) => c,
        Err(e) => return setup_error(e),
    };
    if let (Some(path), true) = (&opts.known_failures, opts.update_known_failures) {
        print!("{}", c.update_notes(path));
    }
    let dir = a
        .report_dir
        .unwrap_or_else(|| certify::default_report_dir(&c.report.target));
    let full = (!a.no_report).then(|| dir.join("report.md").display().to_string());
    print!(
        "{}",
        console::render(&c.report, a.max_failures_shown, full.as_deref())
    );
    if let Some(section) = &c.report.bench {
        print!("{}", m2m_conformance::bench::summary_lines(section));
    }
    println!(
        "suite {} ({}, {})",
        c.report.suite_version, c.report.suite_hash, c.report.suite_source
    );
    if !a.no_report {
        if let Err(e) = c.report.write(&dir) {
            return setup_error(format!("cannot write reports to {}: {e}", dir.display()));
        }
        println!(
            "reports: {}/{{report.json, report.md, report.html, junit.xml}}",
            dir.display()
        );
    }
    exit(c.report.certified)
}
