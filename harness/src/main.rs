//! `m2m-conformance` — certify an implementation against the M2M conformance vectors.
//!
//! Argument parsing and printing only: certification, reports, profiles, the suite data and
//! every other command live in the library (`m2m_conformance`).
//!
//! Exit codes: 0 = every case passed (or was acceptable / unsupported / non-strict) and every
//! claimed profile is met, 1 = some case failed, timed out, crashed or hit a harness error, or a
//! claimed profile is not met, 2 = usage or setup error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use m2m_conformance::certify::{self, CertifyOptions};
use m2m_conformance::profiles::Profiles;
use m2m_conformance::report::{self, console};
use m2m_conformance::suite_data::SuiteRoot;
use m2m_conformance::{coverage, load_suite, run, spec::Spec};

const ROOT_HELP: &str = "Suite data to use instead of the one built into this binary: a folder \
holding spec/ and vectors/ (a checkout). Also $M2M_CONFORMANCE_ROOT. Default: the embedded suite, \
unpacked once into $M2M_CONFORMANCE_CACHE or the user's cache folder.";

#[derive(Parser)]
#[command(
    name = "m2m-conformance",
    version,
    about = "M2M protocol conformance suite"
)]
struct Cli {
    #[arg(long, global = true, help = ROOT_HELP)]
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
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
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
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
    },
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
    /// CPU core for those, 1 for the others).
    #[arg(long, short)]
    jobs: Option<usize>,
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

#[derive(Subcommand)]
enum ReportCommand {
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

#[derive(Clone, Copy, ValueEnum)]
enum ListWhat {
    Chapters,
    Ops,
    Profiles,
    Vectors,
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

fn timeout(secs: f64) -> Result<Duration, ExitCode> {
    if secs > 0.0 && secs.is_finite() {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(setup_error(
            "--timeout must be a positive number of seconds",
        ))
    }
}

/// A checkout for the commands that write into one (spec-index, measure): --root, else
/// $M2M_CONFORMANCE_ROOT, else the current folder.
fn checkout(root: Option<&Path>) -> Result<PathBuf, ExitCode> {
    let dir = root
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("M2M_CONFORMANCE_ROOT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."));
    if dir.join("spec").is_dir() && dir.join("vectors").is_dir() {
        Ok(dir)
    } else {
        Err(setup_error(format!(
            "{} is not a checkout of the suite (run this in one, or pass --root)",
            dir.display()
        )))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Report { what } => report_command(what),
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
                    server.run();
                    ExitCode::SUCCESS
                }
                Err(e) => setup_error(e),
            }
        }
        Command::SpecIndex { check } => {
            let dir = match checkout(cli.root.as_deref()) {
                Ok(d) => d,
                Err(code) => return code,
            };
            let spec = match Spec::load(&dir.join("spec")) {
                Ok(s) => s,
                Err(errs) => return setup_error(join(errs)),
            };
            if check {
                return match spec.index_check() {
                    Ok(()) => {
                        println!(
                            "spec/requirements.yaml is up to date ({} requirements)",
                            spec.requirements.len()
                        );
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        ExitCode::from(1)
                    }
                };
            }
            match spec
                .index_yaml()
                .and_then(|t| std::fs::write(spec.index_path(), t).map_err(|e| e.to_string()))
            {
                Ok(()) => {
                    println!(
                        "wrote {} ({} requirements)",
                        spec.index_path().display(),
                        spec.requirements.len()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => setup_error(e),
            }
        }
        Command::Measure {
            corpus,
            out_dir,
            check,
        } => {
            let dir = match checkout(cli.root.as_deref()) {
                Ok(d) => d,
                Err(code) => return code,
            };
            let corpus = corpus.unwrap_or_else(|| dir.join("vectors/corpus"));
            let out_dir = out_dir.unwrap_or_else(|| dir.join("reports"));
            match m2m_conformance::measure::run(&corpus, &out_dir, check) {
                Ok(n) if check => {
                    println!("{n} payloads: the committed claims report is up to date");
                    ExitCode::SUCCESS
                }
                Err(e) if check => {
                    eprintln!("{e}");
                    ExitCode::from(1)
                }
                Ok(n) => {
                    println!(
                        "measured {n} payloads; wrote {}/claims.{{md,svg}}",
                        out_dir.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => setup_error(e),
            }
        }
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

fn join(errs: impl IntoIterator<Item = impl std::fmt::Display>) -> String {
    errs.into_iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn with_suite(root: &SuiteRoot, command: Command) -> ExitCode {
    if let Command::FuzzReplay(a) = command {
        return fuzz_replay(root, a);
    }
    let (spec, suite) = match load_suite(&root.dir.join("spec"), &root.dir.join("vectors")) {
        Ok(x) => x,
        Err(errs) => {
            let n = errs.len();
            return setup_error(format!(
                "{}\n{n} problem(s) in spec/ or vectors/ of {}",
                join(errs),
                root.source
            ));
        }
    };
    match command {
        Command::Lint => match Profiles::load(&spec) {
            Ok(p) => {
                println!(
                    "ok: {} chapters, {} requirements, {} error classes, {} ops, {} profiles, {} cases",
                    spec.chapters.len(),
                    spec.requirements.len(),
                    spec.error_classes.len(),
                    spec.ops.len(),
                    p.list.len(),
                    suite.cases.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => setup_error(e),
        },
        Command::List { what, filter } => {
            let count = |f: &dyn Fn(&m2m_conformance::vectors::Case) -> bool| {
                suite.cases.iter().filter(|c| f(c)).count()
            };
            match what {
                ListWhat::Chapters => {
                    for ch in &spec.chapters {
                        let r = spec
                            .requirements
                            .iter()
                            .filter(|r| r.chapter == ch.key)
                            .count();
                        println!(
                            "{:<12} {:>4} reqs {:>5} cases  {}",
                            ch.key,
                            r,
                            count(&|c| c.chapter == ch.key),
                            ch.title
                        );
                    }
                }
                ListWhat::Ops => {
                    for op in &spec.ops {
                        println!(
                            "{:<24} {:<8} {:>5} cases  {}",
                            op.op,
                            op.status,
                            count(&|c| c.op == op.op),
                            op.summary
                        );
                    }
                }
                ListWhat::Profiles => match Profiles::load(&spec) {
                    Ok(p) => {
                        for p in &p.list {
                            println!(
                                "{:<14} {:>5} cases  {}",
                                p.name,
                                count(&|c| p.contains(c)),
                                p.title
                            );
                        }
                    }
                    Err(e) => return setup_error(e),
                },
                ListWhat::Vectors => {
                    for c in suite.cases.iter().filter(|c| run::selected(c, &filter)) {
                        println!(
                            "{:<60} {:<11} {:<18} {}",
                            c.name(),
                            c.result.name(),
                            c.op,
                            c.reqs.join(",")
                        );
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Command::Coverage { chapter, check } => {
            let rows: Vec<_> = coverage::rows(&spec, &suite)
                .into_iter()
                .filter(|r| chapter.as_ref().is_none_or(|c| &r.chapter == c))
                .collect();
            print!("{}", coverage::render(&rows));
            let level = m2m_conformance::spec::Level::Must;
            exit(!check || !rows.iter().any(|r| r.level == level && r.uncovered()))
        }
        Command::Certify(a) => certify_command(root, &spec, &suite, a),
        Command::Show {
            id,
            target,
            timeout: secs,
        } => {
            let Some(case) = m2m_conformance::show::find(&suite, &id) else {
                return setup_error(format!("no case `{id}`"));
            };
            print!("{}", m2m_conformance::show::describe(&spec, case));
            let Some(target_spec) = target else {
                return ExitCode::SUCCESS;
            };
            let t = match timeout(secs) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let (mut target, info, _) = match certify::start_target(&target_spec, t) {
                Ok(x) => x,
                Err(e) => return setup_error(e),
            };
            let r = run::run_case(case, target.as_mut(), &info, Default::default());
            target.shutdown();
            print!("{}", m2m_conformance::show::outcome(&r));
            exit(!r.verdict.is_failure())
        }
        _ => unreachable!("handled in main"),
    }
}

fn certify_command(
    root: &SuiteRoot,
    spec: &Spec,
    suite: &m2m_conformance::vectors::Suite,
    a: CertifyArgs,
) -> ExitCode {
    let t = match timeout(a.target.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let opts = CertifyOptions {
        target: a.target.target,
        filters: a.filter,
        timeout: t,
        strict: a.strict,
        known_failures: a.known_failures,
        update_known_failures: a.update_known_failures,
        jobs: a.jobs,
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
    if let Some(path) = &opts.known_failures {
        if opts.update_known_failures {
            println!("rewrote {} from this run", path.display());
            if c.unexplained > 0 {
                println!("  {} entr(ies) say UNEXPLAINED: write the real reason; the list is refused until then", c.unexplained);
            }
            for u in &c.uncoverable {
                println!("  not listed (no list covers a crash, timeout or harness error): {u}");
            }
        }
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

fn report_command(what: ReportCommand) -> ExitCode {
    use m2m_conformance::report::{diff, html};
    let write = |path: &Path, text: String| match std::fs::write(path, text) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => setup_error(format!("{}: {e}", path.display())),
    };
    let read_all = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| report::read_json(p))
            .collect::<Result<Vec<_>, _>>()
    };
    match what {
        ReportCommand::Html { report, output } => match report::read_json(&report) {
            Ok(v) => write(
                &output.unwrap_or_else(|| report.with_file_name("report.html")),
                html::render(&v),
            ),
            Err(e) => setup_error(e),
        },
        ReportCommand::Md { report, output } => match report::read_json(&report) {
            Ok(v) => write(
                &output.unwrap_or_else(|| report.with_file_name("report.md")),
                report::markdown::render_json(&v),
            ),
            Err(e) => setup_error(e),
        },
        ReportCommand::Matrix { reports, output } => match read_all(&reports) {
            Ok(values) => write(&output, html::render_matrix(&values)),
            Err(e) => setup_error(e),
        },
        ReportCommand::Bench { reports, output } => match read_all(&reports) {
            Ok(values) => {
                let table = m2m_conformance::bench::render_side_by_side(&values);
                print!("{table}");
                output.map_or(ExitCode::SUCCESS, |path| write(&path, table))
            }
            Err(e) => setup_error(e),
        },
        ReportCommand::Diff { old, new } => {
            match (report::read_json(&old), report::read_json(&new)) {
                (Ok(a), Ok(b)) => {
                    print!("{}", diff::render(&a, &b));
                    exit(!diff::diff(&a, &b).regressed())
                }
                (Err(e), _) | (_, Err(e)) => setup_error(e),
            }
        }
    }
}

fn fuzz_replay(root: &SuiteRoot, a: FuzzReplayArgs) -> ExitCode {
    use m2m_conformance::fuzz_replay;
    let t = match timeout(a.target.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let (mut target, info, _) = match certify::start_target(&a.target.target, t) {
        Ok(x) => x,
        Err(e) => return setup_error(e),
    };
    let dirs = if a.corpus.is_empty() {
        vec![
            root.dir.join("fuzz/corpus"),
            root.dir.join("fuzz/regressions"),
        ]
    } else {
        a.corpus
    };
    let mut tallies = Vec::new();
    for (name, _) in fuzz_replay::TARGETS {
        if !a.only.is_empty() && !a.only.iter().any(|o| o == name) {
            continue;
        }
        let t = fuzz_replay::replay(target.as_mut(), name, &dirs);
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
    let md = fuzz_replay::render_markdown(&format!("{} {}", info.name, info.version), &tallies);
    print!("{md}");
    if let Some(path) = a.output {
        if let Err(e) = std::fs::write(&path, &md) {
            return setup_error(format!("{}: {e}", path.display()));
        }
    }
    exit(tallies.iter().all(|(_, t)| t.failures.is_empty()))
}
