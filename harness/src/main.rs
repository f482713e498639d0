//! `m2m-conformance` — certify an implementation against the M2M conformance vectors.
//!
//! Exit codes: 0 = every case passed (or was acceptable / unsupported / non-strict),
//! 1 = some case failed, timed out, crashed or hit a harness error, 2 = usage or setup error.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use m2m_conformance::judge::{Policy, Verdict};
use m2m_conformance::known_failures::KnownFailures;
use m2m_conformance::report::{Report, ReportOptions};
use m2m_conformance::run::{self, RunOptions};
use m2m_conformance::spec::Spec;
use m2m_conformance::target::{self, TargetOptions};
use m2m_conformance::{coverage, load_suite};

#[derive(Parser)]
#[command(
    name = "m2m-conformance",
    version,
    about = "M2M protocol conformance suite"
)]
struct Cli {
    /// Repository root holding spec/ and vectors/ (default: the current directory if it has
    /// them, else the checkout this binary was built from).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the vectors against a target, print a per-chapter summary and write reports.
    Certify {
        /// `ref` (the embedded reference, default) or `stdin:<command>` (a testee process).
        #[arg(long, short, default_value = "ref")]
        target: String,
        /// Where to write report.json, report.md and junit.xml
        /// (default: reports/reference for `ref`, reports/<testee name> otherwise).
        #[arg(long)]
        report_dir: Option<PathBuf>,
        /// Only cases whose `chapter::id` contains this text (repeatable).
        #[arg(long, short)]
        filter: Vec<String>,
        /// Per-case timeout in seconds for process targets.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// Tolerate nothing: acceptable and non-strict outcomes count as failures.
        #[arg(long)]
        strict: bool,
        /// Do not write report files.
        #[arg(long)]
        no_report: bool,
        /// YAML list of expected failures (see `harness/src/known_failures.rs`): listed cases
        /// that fail get `known-failure`; listed cases that pass fail the run.
        #[arg(long)]
        known_failures: Option<PathBuf>,
        /// After the run, rewrite the --known-failures file from its results: keep entries
        /// that still fail, drop fixed ones, add new failures marked UNEXPLAINED.
        #[arg(long, requires = "known_failures")]
        update_known_failures: bool,
        /// Run this many instances of the testee at once (`ref` and `stdin:` targets only;
        /// default: the number of CPU cores for those, 1 for the others). [TESTEE-RUN-004]
        #[arg(long, short)]
        jobs: Option<usize>,
        /// After the run, ask the testee to time the cases of a bench profile itself
        /// (`testee.bench`; default profile harness/bench-profile.yaml). Adds a `bench`
        /// section to the reports; changes no verdict.
        #[arg(long, value_name = "PROFILE", num_args = 0..=1, default_missing_value = m2m_conformance::bench::DEFAULT_PROFILE)]
        bench: Option<PathBuf>,
    },
    /// List chapters, ops or vectors.
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
    /// Run the reference implementation as a testee: JSON Lines on stdin/stdout, or with
    /// --http ADDR an HTTP server (`GET /v1/hello`, `POST /v1/run`).
    ServeTestee {
        /// Serve over HTTP on this address (e.g. 127.0.0.1:8765) instead of stdin/stdout.
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
        /// Where to write claims.md and claims.svg (default: reports).
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// Write nothing; exit 1 if the committed report is stale.
        #[arg(long)]
        check: bool,
    },
    /// Regenerate spec/requirements.yaml from the chapters (or, with --check, verify it).
    SpecIndex {
        /// Exit 1 if the committed index is stale instead of rewriting it.
        #[arg(long)]
        check: bool,
    },
    /// Validate the spec and every vector file.
    Lint,
    /// Send every fuzz corpus input through the testee protocol; fail on a crash, a timeout or
    /// a protocol violation (see `harness/src/fuzz_replay.rs`).
    FuzzReplay(FuzzReplayArgs),
    /// Show one case (its requirements, the exact request line and the expectation) and, with
    /// --target, run it and show the outcome, verdict and diff.
    Show {
        /// Case id (or `chapter::id`).
        id: String,
        /// Also run the case against this target (`ref` or `stdin:<command>`).
        #[arg(long, short)]
        target: Option<String>,
        /// Per-case timeout in seconds for process targets.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
    },
}

#[derive(clap::Args)]
struct FuzzReplayArgs {
    /// Testee: `ref` (default) or `stdin:<command>`.
    #[arg(long, short, default_value = "ref")]
    target: String,
    /// Corpus directories holding `<fuzz target>/` folders (repeatable; default
    /// `fuzz/corpus` and `fuzz/regressions` under the suite root).
    #[arg(long)]
    corpus: Vec<PathBuf>,
    /// Only this fuzz target (repeatable; default all).
    #[arg(long)]
    only: Vec<String>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
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
    /// Combine several report.json files into one requirement × implementation HTML matrix.
    Matrix {
        /// The report.json files, one per implementation.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Output file.
        #[arg(long, short, default_value = "matrix.html")]
        output: PathBuf,
    },
    /// Put the bench sections of several report.json files side by side (Markdown): ns/op of
    /// each implementation and the ratio to the first.
    Bench {
        /// The report.json files of `certify --bench` runs; the first is the baseline.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Also write the table to this file.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Compare two report.json files: fixed, broken, changed, new and removed cases (Markdown on
    /// stdout, for pull requests). Exit 1 when a case broke.
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
    Vectors,
}

fn setup_error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(m2m_conformance::default_root);
    let spec_dir = root.join("spec");
    let vectors_dir = root.join("vectors");
    match cli.command {
        Command::Report { what } => report_command(what),
        Command::FuzzReplay(args) => fuzz_replay(&root, args),
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
        Command::Measure {
            corpus,
            out_dir,
            check,
        } => {
            let corpus = corpus.unwrap_or_else(|| vectors_dir.join("corpus"));
            let out_dir = out_dir.unwrap_or_else(|| root.join("reports"));
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
                        "measured {n} payloads; wrote {} and {}",
                        out_dir.join("claims.md").display(),
                        out_dir.join("claims.svg").display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => setup_error(e),
            }
        }
        Command::SpecIndex { check } => {
            let spec = match Spec::load(&spec_dir) {
                Ok(s) => s,
                Err(errs) => {
                    errs.iter().for_each(|e| eprintln!("spec: {e}"));
                    return ExitCode::from(2);
                }
            };
            let want = match spec.index_yaml() {
                Ok(t) => t,
                Err(e) => return setup_error(e),
            };
            let path = spec.index_path();
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            if check {
                if have == want {
                    println!(
                        "{} is up to date ({} requirements)",
                        path.display(),
                        spec.requirements.len()
                    );
                    ExitCode::SUCCESS
                } else {
                    eprintln!(
                        "{} is stale: run `m2m-conformance spec-index`",
                        path.display()
                    );
                    ExitCode::from(1)
                }
            } else {
                match std::fs::write(&path, want) {
                    Ok(()) => {
                        println!(
                            "wrote {} ({} requirements)",
                            path.display(),
                            spec.requirements.len()
                        );
                        ExitCode::SUCCESS
                    }
                    Err(e) => setup_error(e),
                }
            }
        }
        command => {
            let (spec, suite) = match load_suite(&spec_dir, &vectors_dir) {
                Ok(x) => x,
                Err(errs) => {
                    errs.iter().for_each(|e| eprintln!("{e}"));
                    eprintln!("{} problem(s) in spec/ or vectors/", errs.len());
                    return ExitCode::from(2);
                }
            };
            match command {
                Command::Lint => {
                    println!(
                        "ok: {} chapters, {} requirements, {} error classes, {} ops, {} cases",
                        spec.chapters.len(),
                        spec.requirements.len(),
                        spec.error_classes.len(),
                        spec.ops.len(),
                        suite.cases.len()
                    );
                    ExitCode::SUCCESS
                }
                Command::List { what, filter } => {
                    match what {
                        ListWhat::Chapters => {
                            for ch in &spec.chapters {
                                let n = suite.cases.iter().filter(|c| c.chapter == ch.key).count();
                                let r = spec
                                    .requirements
                                    .iter()
                                    .filter(|r| r.chapter == ch.key)
                                    .count();
                                println!(
                                    "{:<12} {:>4} reqs {:>5} cases  {}",
                                    ch.key, r, n, ch.title
                                );
                            }
                        }
                        ListWhat::Ops => {
                            for op in &spec.ops {
                                let n = suite.cases.iter().filter(|c| c.op == op.op).count();
                                println!(
                                    "{:<20} {:<8} {:>5} cases  {}",
                                    op.op, op.status, n, op.summary
                                );
                            }
                        }
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
                    let missing = rows
                        .iter()
                        .filter(|r| r.level == m2m_conformance::spec::Level::Must && r.uncovered())
                        .count();
                    if check && missing > 0 {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Command::Certify {
                    target,
                    report_dir,
                    filter,
                    timeout,
                    strict,
                    no_report,
                    known_failures,
                    update_known_failures,
                    jobs,
                    bench,
                } => certify(
                    &root,
                    &spec,
                    &suite,
                    &target,
                    report_dir,
                    filter,
                    timeout,
                    strict,
                    no_report,
                    known_failures,
                    update_known_failures,
                    jobs,
                    bench,
                ),
                Command::Show {
                    id,
                    target,
                    timeout,
                } => show(&spec, &suite, &id, target.as_deref(), timeout),
                Command::ServeTestee { .. }
                | Command::SpecIndex { .. }
                | Command::Report { .. }
                | Command::FuzzReplay(_)
                | Command::Measure { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn certify(
    root: &std::path::Path,
    spec: &Spec,
    suite: &m2m_conformance::vectors::Suite,
    target_spec: &str,
    report_dir: Option<PathBuf>,
    filters: Vec<String>,
    timeout: f64,
    strict: bool,
    no_report: bool,
    known_failures: Option<PathBuf>,
    update_known_failures: bool,
    jobs: Option<usize>,
    bench: Option<PathBuf>,
) -> ExitCode {
    let bench = match bench.map(|p| m2m_conformance::bench::load_profile(root, &p, suite)) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(errs)) => {
            errs.iter().for_each(|e| eprintln!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    let (first, info, opts) = match start_target(target_spec, timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut targets = vec![first];
    let jobs = match target::jobs(target_spec, jobs) {
        Ok(n) => n,
        Err(e) => return setup_error(e),
    };
    for _ in 1..jobs {
        match start_target(target_spec, timeout) {
            Ok((t, i, _)) if i.ops == info.ops && i.name == info.name => targets.push(t),
            Ok(_) => return setup_error("a second instance of the testee answered another hello"),
            Err(code) => return code,
        }
    }
    let known = match &known_failures {
        None => None,
        // --update-known-failures may create the list.
        Some(path) if update_known_failures && !path.exists() => Some(KnownFailures::default()),
        Some(path) => match KnownFailures::load(path, suite) {
            Ok(k) => Some(k),
            Err(errs) => {
                errs.iter().for_each(|e| eprintln!("error: {e}"));
                return ExitCode::from(2);
            }
        },
    };
    let run_opts = RunOptions {
        filters: filters.clone(),
        policy: Policy { strict },
        known_failures: known,
    };
    let selected = suite
        .cases
        .iter()
        .filter(|c| run::selected(c, &filters))
        .count();
    if selected == 0 {
        return setup_error("no case matches the filter");
    }
    // A progress bar on stderr, only on a terminal and only once the run takes a moment.
    let bar = ProgressBar::with_draw_target(Some(selected as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut shown = false;
    let results = run::run_all_jobs(&suite.cases, &mut targets, &info, &run_opts, |r| {
        if tty && !shown && started.elapsed() > Duration::from_millis(300) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_message(format!("{}::{}", r.chapter, r.id));
        bar.inc(1);
    });
    bar.finish_and_clear();
    if update_known_failures {
        if let (Some(path), Some(list)) = (&known_failures, &run_opts.known_failures) {
            if let Err(e) = std::fs::write(path, list.updated(&results, suite)) {
                return setup_error(format!("cannot write {}: {e}", path.display()));
            }
            println!(
                "rewrote {} from this run; review every UNEXPLAINED reason",
                path.display()
            );
        }
    }
    let mut report = Report::new(
        spec,
        info.clone(),
        ReportOptions {
            filters,
            strict,
            timeout_ms: opts.timeout.as_millis() as u64,
            known_failures: known_failures.map(|p| p.display().to_string()),
            jobs,
        },
        results,
    );
    report.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    print_summary(&report, started.elapsed());
    if let Some((name, profile)) = &bench {
        let section = m2m_conformance::bench::profile_target(
            target_spec,
            opts,
            name,
            profile,
            suite,
            Policy { strict },
        );
        print!("{}", m2m_conformance::bench::summary_lines(&section));
        report.bench = Some(section);
    }
    if !no_report {
        let dir = report_dir.unwrap_or_else(|| {
            let name = if target_spec == "ref" || target_spec == "reference" {
                "reference".to_owned()
            } else {
                slug(&format!("{}-{}", info.name, info.version))
            };
            root.join("reports").join(name)
        });
        if let Err(e) = report.write(&dir) {
            return setup_error(format!("cannot write reports to {}: {e}", dir.display()));
        }
        println!(
            "reports: {}/{{report.json, report.md, report.html, junit.xml}}",
            dir.display()
        );
    }
    if report.certified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn show(
    spec: &Spec,
    suite: &m2m_conformance::vectors::Suite,
    id: &str,
    target_spec: Option<&str>,
    timeout: f64,
) -> ExitCode {
    let bare = id.rsplit_once("::").map_or(id, |(_, i)| i);
    let Some(case) = suite.cases.iter().find(|c| c.id == bare) else {
        return setup_error(format!("no case `{id}`"));
    };
    println!("case:        {}", case.name());
    println!("file:        vectors/{}", case.file);
    println!("description: {}", case.description);
    for r in &case.reqs {
        let summary = spec.requirement(r).map_or("", |q| q.summary.as_str());
        println!("requirement: {r} {summary}");
    }
    println!(
        "result:      {}{}",
        case.result.name(),
        if case.flags.is_empty() {
            String::new()
        } else {
            format!(" (flags: {})", case.flags.join(", "))
        }
    );
    if let Some(c) = &case.confirmed_by {
        println!("confirmed:   {c}");
    }
    println!(
        "request:     {}",
        target::request_line(&case.id, &case.op, &case.input)
    );
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    println!(
        "expect:      {}",
        pretty(&m2m_conformance::judge::expect_json(&case.expect))
    );
    if let Some(l) = &case.lenient {
        println!(
            "lenient:     {}",
            pretty(&m2m_conformance::judge::expect_json(l))
        );
    }
    let Some(target_spec) = target_spec else {
        return ExitCode::SUCCESS;
    };
    let (mut target, info, _) = match start_target(target_spec, timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let r = run::run_case(case, target.as_mut(), &info, Policy::default());
    target.shutdown();
    println!(
        "verdict:     {} {}",
        r.verdict.name(),
        r.reason.as_deref().unwrap_or("")
    );
    if let Some(e) = &r.evidence {
        if let Some(resp) = &e.response {
            println!("response:    {resp}");
        }
        if let Some(err) = &e.stderr {
            println!("stderr:      {}", err.trim_end());
        }
    }
    if let Some(d) = &r.diff {
        print!("{d}");
    }
    if r.verdict.is_failure() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Build a target from its spec string and exchange `hello`; setup errors exit with 2.
fn start_target(
    target_spec: &str,
    timeout: f64,
) -> Result<(Box<dyn target::Target>, target::TesteeInfo, TargetOptions), ExitCode> {
    if !(timeout > 0.0 && timeout.is_finite()) {
        return Err(setup_error(
            "--timeout must be a positive number of seconds",
        ));
    }
    let opts = TargetOptions {
        timeout: Duration::from_secs_f64(timeout),
        ..TargetOptions::default()
    };
    let mut target = target::from_spec(target_spec, opts).map_err(setup_error)?;
    let info = target.hello().map_err(setup_error)?;
    Ok((target, info, opts))
}

fn slug(s: &str) -> String {
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

fn print_summary(r: &Report, elapsed: Duration) {
    let cols: Vec<Verdict> = Verdict::ALL.to_vec();
    print!("{:<14} {:>6}", "chapter", "total");
    for v in &cols {
        print!(" {:>8}", short(*v));
    }
    println!();
    let line = |label: &str, c: &m2m_conformance::report::Counts| {
        print!("{:<14} {:>6}", label, c.total);
        for v in &cols {
            print!(" {:>8}", c.get(*v));
        }
        println!();
    };
    for ch in &r.chapters {
        line(&ch.chapter, &ch.counts);
    }
    line("all", &r.summary);
    for c in r.cases.iter().filter(|c| c.verdict.is_failure()).take(20) {
        println!(
            "  {} {}::{} — {}",
            c.verdict.name(),
            c.chapter,
            c.id,
            c.reason.as_deref().unwrap_or("")
        );
    }
    let secs = elapsed.as_secs_f64();
    println!(
        "{}: {} {} — {} cases in {:.2}s ({:.0} cases/s, {} job{}), {} failing",
        m2m_conformance::report::markdown::verdict_line(r),
        r.target.name,
        r.target.version,
        r.summary.total,
        secs,
        r.summary.total as f64 / secs.max(1e-9),
        r.options.jobs,
        if r.options.jobs == 1 { "" } else { "s" },
        r.summary.failures()
    );
}

fn read_report(path: &std::path::Path) -> Result<serde_json::Value, ExitCode> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| setup_error(format!("{}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| setup_error(format!("{}: not a report.json: {e}", path.display())))?;
    if value
        .get("report_format")
        .and_then(serde_json::Value::as_u64)
        != Some(u64::from(m2m_conformance::report::REPORT_FORMAT))
    {
        return Err(setup_error(format!(
            "{}: not a report.json of format {}",
            path.display(),
            m2m_conformance::report::REPORT_FORMAT
        )));
    }
    Ok(value)
}

fn report_command(what: ReportCommand) -> ExitCode {
    use m2m_conformance::report::{diff, html};
    let write = |path: &std::path::Path, text: String| match std::fs::write(path, text) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => setup_error(format!("{}: {e}", path.display())),
    };
    match what {
        ReportCommand::Html { report, output } => match read_report(&report) {
            Ok(v) => write(
                &output.unwrap_or_else(|| report.with_file_name("report.html")),
                html::render(&v),
            ),
            Err(code) => code,
        },
        ReportCommand::Matrix { reports, output } => {
            match reports
                .iter()
                .map(|p| read_report(p))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(values) => write(&output, html::render_matrix(&values)),
                Err(code) => code,
            }
        }
        ReportCommand::Bench { reports, output } => {
            match reports
                .iter()
                .map(|p| read_report(p))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(values) => {
                    let table = m2m_conformance::bench::render_side_by_side(&values);
                    print!("{table}");
                    match output {
                        Some(path) => write(&path, table),
                        None => ExitCode::SUCCESS,
                    }
                }
                Err(code) => code,
            }
        }
        ReportCommand::Diff { old, new } => match (read_report(&old), read_report(&new)) {
            (Ok(a), Ok(b)) => {
                print!("{}", diff::render(&a, &b));
                if diff::diff(&a, &b).broken.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            (Err(code), _) | (_, Err(code)) => code,
        },
    }
}

fn short(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Acceptable => "accept",
        Verdict::NonStrict => "nonstrct",
        Verdict::Unsupported => "unsupp",
        Verdict::KnownFailure => "known",
        Verdict::Skipped => "skipped",
        Verdict::Fail => "fail",
        Verdict::Timeout => "timeout",
        Verdict::Crash => "crash",
        Verdict::HarnessError => "harn-err",
    }
}

fn fuzz_replay(root: &std::path::Path, a: FuzzReplayArgs) -> ExitCode {
    use m2m_conformance::fuzz_replay;
    let (mut target, info, _) = match start_target(&a.target, a.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let dirs = if a.corpus.is_empty() {
        vec![root.join("fuzz/corpus"), root.join("fuzz/regressions")]
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
    let failed: usize = tallies.iter().map(|(_, t)| t.failures.len()).sum();
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
