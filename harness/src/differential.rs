//! `m2m-conformance differential`: run generated cases on two targets, compare the outcomes,
//! shrink every disagreement to a minimal input and report each distinct cause once.
//! [BASIS-DIFF-001]
//!
//! - Generators ([`generate`]) are proptest strategies, one per deterministic op.
//! - Outcomes compare by kind (ok, error, crash, timeout, protocol, harness), then by error
//!   class, then by JSON equality of the ok values; a case one side answers `unsupported` is not
//!   compared but counted per op and per side. [BASIS-DIFF-003]
//! - A disagreement is shrunk with proptest's `simplify`/`complicate` while the shrunk input still
//!   shows the same cause. The cause ([`cause`]) is the dedupe key: op, the two outcome kinds
//!   (with error classes) and, for two different ok values, the sorted top-level fields whose
//!   values differ. [BASIS-DIFF-004]
//! - A divergence the spec already records ([`known`]) is reported as known. [BASIS-DIFF-005]
//! - A crash or timeout is an outcome like any other; process targets restart themselves.
//!   [BASIS-DIFF-003]

pub mod generate;
pub mod known;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::suite_data::SuiteRoot;
use crate::target::{self, Outcome, SetupError, Target, TargetOptions, TesteeInfo};
use known::{kind, Known};

/// Default `--cases` per op.
pub const DEFAULT_CASES: u32 = 256;
/// Default `--report-dir`.
pub const DEFAULT_REPORT_DIR: &str = "m2m-conformance-reports/differential";
/// The known-divergence file inside the suite's `spec/`.
pub const KNOWN_FILE: &str = "differential-known.yaml";
/// Most shrink steps (each one case on both targets) spent on one divergence.
pub const MAX_SHRINK_STEPS: u32 = 2048;

/// Arguments of `differential`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The first target (as `certify --target`).
    #[arg(long, long_help = target_help())]
    pub a: String,
    /// The second target.
    #[arg(long, long_help = target_help())]
    pub b: String,
    /// Only this op (repeatable; default: every op both targets list that has a generator).
    #[arg(long = "op")]
    pub ops: Vec<String>,
    /// Generated cases per op.
    #[arg(long, default_value_t = DEFAULT_CASES)]
    pub cases: u32,
    /// Seed of the generators (default: random; printed and recorded so a run can be replayed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where to write report.json and report.md.
    #[arg(long, default_value = DEFAULT_REPORT_DIR)]
    pub report_dir: PathBuf,
    /// Known-divergence list (default: spec/differential-known.yaml of the suite).
    #[arg(long)]
    pub known: Option<PathBuf>,
    /// Per-case timeout in seconds for process and network targets.
    #[arg(long, default_value = "10", value_parser = crate::certify::parse_timeout)]
    pub timeout: Duration,
}

fn target_help() -> String {
    format!("A target, one of:\n{}", target::KINDS)
}

/// What stops a differential run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// A target could not be built or did not answer `hello`.
    #[error("target {side} ({spec}): {source}")]
    Target {
        /// `a` or `b`.
        side: &'static str,
        /// The target string.
        spec: String,
        /// Why.
        source: SetupError,
    },
    /// An `--op` has no generator.
    #[error("no generator for op `{0}`; ops with generators: {ops}", ops = generate::OPS.join(", "))]
    NoGenerator(String),
    /// An `--op` is not listed by one of the targets.
    #[error("op `{op}` is not listed in the hello of target {side}")]
    NotListed {
        /// The op.
        op: String,
        /// `a` or `b`.
        side: &'static str,
    },
    /// Nothing to compare.
    #[error("the two targets share no op that has a generator")]
    NoOps,
    /// `--cases 0`.
    #[error("--cases must be at least 1")]
    NoCases,
    /// The known-divergence file is unreadable or invalid.
    #[error("known-divergence file {path}: {msg}")]
    KnownFile {
        /// Its path.
        path: String,
        /// What is wrong.
        msg: String,
    },
    /// A report could not be written.
    #[error("cannot write {path}: {msg}")]
    Report {
        /// The file.
        path: String,
        /// Why.
        msg: String,
    },
}

/// One outcome as reports record it.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeRecord {
    /// `ok`, `error`, `unsupported`, `crash`, `timeout`, `protocol` or `harness`.
    pub kind: String,
    /// The ok value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The error class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The error message or the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<&Outcome> for OutcomeRecord {
    fn from(o: &Outcome) -> Self {
        let k = kind(o);
        let kind = k.split(':').next().unwrap_or_default().to_owned();
        let (value, class, message) = match o {
            Outcome::Ok(v) => (Some(v.clone()), None, None),
            Outcome::Error { class, message } => (None, Some(class.clone()), Some(message.clone())),
            other => (None, None, Some(other.to_string())),
        };
        OutcomeRecord {
            kind,
            value,
            class,
            message,
        }
    }
}

/// One distinct divergence, shrunk.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    /// The op.
    pub op: String,
    /// The dedupe key. [BASIS-DIFF-004]
    pub cause: String,
    /// The shrunk arguments.
    pub args: Value,
    /// Target A's outcome on them.
    pub a: OutcomeRecord,
    /// Target B's outcome on them.
    pub b: OutcomeRecord,
    /// The run seed (replay with `--seed` and the same `--op` list).
    pub seed: u64,
    /// Index of the generated case (per op) that first showed it.
    pub case: u32,
    /// Whether the spec already records it.
    pub known: bool,
    /// The DIV requirement id or vector flag that records it.
    pub known_by: Option<String>,
    /// The known entry's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_reason: Option<String>,
    /// The arguments as first generated.
    pub original_args: Value,
    /// Shrink steps taken.
    pub shrink_steps: u32,
    /// Cases (of the generated ones) that showed the same cause.
    pub occurrences: u32,
}

/// Who took part.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// Implementation name (from hello).
    pub name: String,
    /// Its version.
    pub version: String,
    /// The target string.
    pub target: String,
}

impl From<&TesteeInfo> for Side {
    fn from(i: &TesteeInfo) -> Self {
        Side {
            name: i.name.clone(),
            version: i.version.clone(),
            target: i.target.clone(),
        }
    }
}

/// Cases of one op that each side answered `unsupported`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SideCounts {
    /// Answered `unsupported` by target A.
    pub a: u32,
    /// Answered `unsupported` by target B.
    pub b: u32,
}

/// `report.json`. [BASIS-DIFF-006]
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// Version of the suite.
    pub suite_version: String,
    /// The run seed.
    pub seed: u64,
    /// Target A.
    pub a: Side,
    /// Target B.
    pub b: Side,
    /// Ops compared.
    pub ops: Vec<String>,
    /// Generated cases per op.
    pub cases_per_op: u32,
    /// Generated cases run on both targets (shrink steps not included).
    pub cases_run: u64,
    /// Shrink steps run on both targets.
    pub shrink_runs: u64,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Per op, generated cases that one side answered `unsupported`: not comparable, so not
    /// divergences, but counted. [BASIS-DIFF-003]
    pub unsupported: BTreeMap<String, u32>,
    /// Per op, how many of those cases each side answered `unsupported` (a case both sides
    /// refuse counts for both).
    pub unsupported_by_side: BTreeMap<String, SideCounts>,
    /// Distinct divergences, new ones first.
    pub divergences: Vec<Divergence>,
}

/// The cause of a disagreement, or `None` when the outcomes agree. [BASIS-DIFF-003]
/// [BASIS-DIFF-004]
pub fn cause(op: &str, a: &Outcome, b: &Outcome) -> Option<String> {
    let (ka, kb) = (kind(a), kind(b));
    if ka != kb {
        return Some(format!("{op}: {ka} vs {kb}"));
    }
    match (a, b) {
        (Outcome::Ok(va), Outcome::Ok(vb)) if va != vb => {
            let fields = match (va, vb) {
                (Value::Object(ma), Value::Object(mb)) => {
                    let keys: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
                    keys.into_iter()
                        .filter(|k| ma.get(*k) != mb.get(*k))
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                }
                _ => "value".into(),
            };
            Some(format!("{op}: ok vs ok, differs in {fields}"))
        }
        _ => None,
    }
}

/// Both targets, with their run counter.
struct Pair {
    a: Box<dyn Target>,
    b: Box<dyn Target>,
    runs: u64,
    /// Only B is the reference: known entries (written with the reference as `a`) match the
    /// outcomes swapped.
    ref_is_b: bool,
}

impl Pair {
    fn run(&mut self, op: &str, args: &Value) -> (Outcome, Outcome) {
        self.runs += 1;
        let id = format!("d{}", self.runs);
        let (oa, _) = self.a.run(&id, op, args);
        let (ob, _) = self.b.run(&id, op, args);
        (oa, ob)
    }
}

fn start(side: &'static str, spec: &str, timeout: Duration) -> Result<Box<dyn Target>, DiffError> {
    let opts = TargetOptions {
        timeout,
        ..TargetOptions::default()
    };
    let wrap = |source| DiffError::Target {
        side,
        spec: spec.to_owned(),
        source,
    };
    target::from_spec(spec, opts).map_err(wrap)
}

/// The generator seed of one op: SHA-256 of the run seed and the op name, so an op's cases do not
/// depend on which other ops run.
fn op_rng(seed: u64, op: &str) -> TestRng {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(op.as_bytes());
    let bytes: [u8; 32] = h.finalize().into();
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

fn random_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ (u64::from(std::process::id()) << 32)
}

/// Whether `by` names a DIV requirement of the suite or a flag of some vector file.
fn known_ids(root: &Path) -> impl Fn(&str) -> bool {
    let reqs = std::fs::read_to_string(root.join("spec/requirements.yaml")).unwrap_or_default();
    let mut flags = String::new();
    for e in walkdir::WalkDir::new(root.join("vectors"))
        .into_iter()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "yaml") {
            flags.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    move |id: &str| {
        if id.contains("-DIV-") {
            reqs.contains(&format!("- id: {id}\n"))
        } else {
            // Flags are upper-case names declared as keys of a file's `flags:` map.
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                && flags.contains(&format!("\n  {id}:"))
        }
    }
}

/// Run the command: `Ok((console text, no divergence))`, or a setup error.
pub fn command(root: &SuiteRoot, args: &DiffArgs) -> Result<(String, bool), DiffError> {
    let started = Instant::now();
    if args.cases == 0 {
        return Err(DiffError::NoCases);
    }
    let known_path = args
        .known
        .clone()
        .unwrap_or_else(|| root.dir.join("spec").join(KNOWN_FILE));
    let known = Known::load(&known_path, &known_ids(&root.dir))?;
    let mut pair = Pair {
        a: start("a", &args.a, args.timeout)?,
        b: start("b", &args.b, args.timeout)?,
        runs: 0,
        ref_is_b: false,
    };
    let hello = |t: &mut Box<dyn Target>, side, spec: &str| {
        t.hello().map_err(|source| DiffError::Target {
            side,
            spec: spec.to_owned(),
            source,
        })
    };
    let result = (|| {
        let ia = hello(&mut pair.a, "a", &args.a)?;
        let ib = hello(&mut pair.b, "b", &args.b)?;
        let ops = choose_ops(&args.ops, &ia, &ib)?;
        let reference = m2m_reference::testee::hello()["name"].clone();
        pair.ref_is_b = ib.name == reference && ia.name != reference;
        let seed = args.seed.unwrap_or_else(random_seed);
        eprintln!(
            "differential: seed {seed}, {} op(s), {} case(s) each",
            ops.len(),
            args.cases
        );
        let (mut divergences, mut unsupported) = (Vec::new(), Unsupported::default());
        for op in &ops {
            let found = run_op(&mut pair, op, args.cases, seed, &known, &mut unsupported);
            divergences.extend(found);
        }
        let shrink_runs = pair.runs - u64::from(args.cases) * ops.len() as u64;
        divergences.sort_by_key(|d| d.known);
        Ok(DiffReport {
            suite_version: crate::SUITE_VERSION.to_owned(),
            seed,
            a: Side::from(&ia),
            b: Side::from(&ib),
            cases_per_op: args.cases,
            cases_run: u64::from(args.cases) * ops.len() as u64,
            shrink_runs,
            ops,
            seconds: started.elapsed().as_secs_f64(),
            unsupported: unsupported.cases,
            unsupported_by_side: unsupported.sides,
            divergences,
        })
    })();
    pair.a.shutdown();
    pair.b.shutdown();
    let report = result?;
    write_reports(&report, &args.report_dir)?;
    let mut text = console(&report);
    let _ = writeln!(
        text,
        "reports: {}/{{report.json, report.md}}",
        args.report_dir.display()
    );
    Ok((text, report.divergences.is_empty()))
}

fn choose_ops(wanted: &[String], a: &TesteeInfo, b: &TesteeInfo) -> Result<Vec<String>, DiffError> {
    if wanted.is_empty() {
        let ops: Vec<String> = generate::OPS
            .iter()
            .filter(|op| a.ops.iter().any(|o| o == *op) && b.ops.iter().any(|o| o == *op))
            .map(|s| (*s).to_owned())
            .collect();
        return if ops.is_empty() {
            Err(DiffError::NoOps)
        } else {
            Ok(ops)
        };
    }
    let mut ops = Vec::new();
    for op in wanted {
        if generate::strategy(op).is_none() {
            return Err(DiffError::NoGenerator(op.clone()));
        }
        for (side, info) in [("a", a), ("b", b)] {
            if !info.ops.contains(op) {
                return Err(DiffError::NotListed {
                    op: op.clone(),
                    side,
                });
            }
        }
        if !ops.contains(op) {
            ops.push(op.clone());
        }
    }
    Ok(ops)
}

/// Counts of cases not compared because a side answered `unsupported`.
#[derive(Default)]
struct Unsupported {
    cases: BTreeMap<String, u32>,
    sides: BTreeMap<String, SideCounts>,
}

/// Run `cases` generated cases of `op`; shrink and report each new cause once.
fn run_op(
    pair: &mut Pair,
    op: &str,
    cases: u32,
    seed: u64,
    known: &Known,
    unsupported: &mut Unsupported,
) -> Vec<Divergence> {
    let Some(strategy) = generate::strategy(op) else {
        return Vec::new();
    };
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, op_rng(seed, op));
    let mut found: BTreeMap<String, Divergence> = BTreeMap::new();
    for case in 0..cases {
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let args = tree.current();
        let (oa, ob) = pair.run(op, &args);
        let (ua, ub) = (
            matches!(oa, Outcome::Unsupported(_)),
            matches!(ob, Outcome::Unsupported(_)),
        );
        if ua || ub {
            *unsupported.cases.entry(op.to_owned()).or_default() += 1;
            let sides = unsupported.sides.entry(op.to_owned()).or_default();
            sides.a += u32::from(ua);
            sides.b += u32::from(ub);
            continue;
        }
        let Some(why) = cause(op, &oa, &ob) else {
            continue;
        };
        if let Some(d) = found.get_mut(&why) {
            d.occurrences += 1;
            continue;
        }
        let (shrunk, sa, sb, steps) = shrink(pair, op, &mut tree, &why, (args.clone(), oa, ob));
        let by = if pair.ref_is_b {
            known.classify(op, &shrunk, &sb, &sa)
        } else {
            known.classify(op, &shrunk, &sa, &sb)
        };
        found.insert(
            why.clone(),
            Divergence {
                op: op.to_owned(),
                cause: why,
                a: OutcomeRecord::from(&sa),
                b: OutcomeRecord::from(&sb),
                args: shrunk,
                seed,
                case,
                known: by.is_some(),
                known_by: by.map(|e| e.by.clone()),
                known_reason: by.map(|e| e.reason.clone()),
                original_args: args,
                shrink_steps: steps,
                occurrences: 1,
            },
        );
    }
    found.into_values().collect()
}

/// Proptest's shrinking loop: simplify while the input still shows the same cause, complicate
/// when it stops showing it. Returns the smallest input seen with that cause and its outcomes.
/// [BASIS-DIFF-004]
fn shrink(
    pair: &mut Pair,
    op: &str,
    tree: &mut impl ValueTree<Value = Value>,
    why: &str,
    first: (Value, Outcome, Outcome),
) -> (Value, Outcome, Outcome, u32) {
    let mut best = first;
    let mut steps = 0;
    if !tree.simplify() {
        return (best.0, best.1, best.2, steps);
    }
    while steps < MAX_SHRINK_STEPS {
        steps += 1;
        let args = tree.current();
        let (oa, ob) = pair.run(op, &args);
        if cause(op, &oa, &ob).as_deref() == Some(why) {
            best = (args, oa, ob);
            if !tree.simplify() {
                break;
            }
        } else if !tree.complicate() {
            break;
        }
    }
    (best.0, best.1, best.2, steps)
}

fn write_reports(report: &DiffReport, dir: &Path) -> Result<(), DiffError> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| DiffError::Report {
        path: path.display().to_string(),
        msg: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, &e))?;
    let json_path = dir.join("report.json");
    let mut text = serde_json::to_string_pretty(report).map_err(|e| fail(&json_path, &e))?;
    text.push('\n');
    std::fs::write(&json_path, text).map_err(|e| fail(&json_path, &e))?;
    let md_path = dir.join("report.md");
    std::fs::write(&md_path, markdown(report)).map_err(|e| fail(&md_path, &e))
}

fn cut(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

fn outcome_line(o: &OutcomeRecord) -> String {
    match (&o.value, &o.class, &o.message) {
        (Some(v), _, _) => format!("ok {}", cut(&v.to_string(), 300)),
        (None, Some(c), m) => format!("error {c}: {}", cut(m.as_deref().unwrap_or(""), 200)),
        (None, None, m) => format!("{}: {}", o.kind, cut(m.as_deref().unwrap_or(""), 200)),
    }
}

/// The console summary: counts, then each new divergence, then each known one.
pub fn console(r: &DiffReport) -> String {
    let (new, known): (Vec<_>, Vec<_>) = r.divergences.iter().partition(|d| !d.known);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "differential: {} {} ({}) vs {} {} ({}), seed {}",
        r.a.name, r.a.version, r.a.target, r.b.name, r.b.version, r.b.target, r.seed
    );
    let _ = writeln!(
        s,
        "{} op(s), {} case(s) run, {} shrink run(s), {:.1} s: {} new divergence(s), {} known",
        r.ops.len(),
        r.cases_run,
        r.shrink_runs,
        r.seconds,
        new.len(),
        known.len()
    );
    for (op, n) in &r.unsupported {
        let sides = r.unsupported_by_side.get(op).copied().unwrap_or_default();
        let _ = writeln!(
            s,
            "  {op}: {n} of {} case(s) not compared (answered unsupported: a {}, b {})",
            r.cases_per_op, sides.a, sides.b
        );
    }
    for (title, list) in [("NEW", &new), ("known", &known)] {
        for d in list.iter() {
            let by = d
                .known_by
                .as_deref()
                .map(|b| format!(" [{b}]"))
                .unwrap_or_default();
            let _ = writeln!(s, "  {title}{by} {}", d.cause);
            let _ = writeln!(s, "    args: {}", cut(&d.args.to_string(), 300));
            let _ = writeln!(s, "    a: {}", outcome_line(&d.a));
            let _ = writeln!(s, "    b: {}", outcome_line(&d.b));
        }
    }
    s
}

/// `report.md`: new divergences first, then known ones.
pub fn markdown(r: &DiffReport) -> String {
    let (new, known): (Vec<_>, Vec<_>) = r.divergences.iter().partition(|d| !d.known);
    let mut s = String::new();
    let _ = writeln!(s, "# Differential run: {} vs {}\n", r.a.name, r.b.name);
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| a | {} {} (`{}`) |", r.a.name, r.a.version, r.a.target);
    let _ = writeln!(s, "| b | {} {} (`{}`) |", r.b.name, r.b.version, r.b.target);
    let _ = writeln!(s, "| seed | {} |", r.seed);
    let _ = writeln!(s, "| suite | {} |", r.suite_version);
    let _ = writeln!(s, "| ops | {} |", r.ops.join(", "));
    let _ = writeln!(
        s,
        "| cases | {} ({} per op), {} shrink runs |",
        r.cases_run, r.cases_per_op, r.shrink_runs
    );
    let _ = writeln!(
        s,
        "| divergences | {} new, {} known |\n",
        new.len(),
        known.len()
    );
    if !r.unsupported.is_empty() {
        let _ = writeln!(
            s,
            "## Cases not compared ({} op(s))\n\nA case one side answers `unsupported` is not \
             compared. An op with all of its {} cases here was not compared at all.\n",
            r.unsupported.len(),
            r.cases_per_op
        );
        let _ = writeln!(
            s,
            "| op | cases not compared | answered unsupported by a ({}) | by b ({}) |",
            r.a.name, r.b.name
        );
        let _ = writeln!(s, "|---|---|---|---|");
        for (op, n) in &r.unsupported {
            let sides = r.unsupported_by_side.get(op).copied().unwrap_or_default();
            let all = if *n == r.cases_per_op { " (all)" } else { "" };
            let _ = writeln!(s, "| `{op}` | {n}{all} | {} | {} |", sides.a, sides.b);
        }
        s.push('\n');
    }
    for (title, list) in [("New divergences", &new), ("Known divergences", &known)] {
        let _ = writeln!(s, "## {title} ({})\n", list.len());
        if list.is_empty() {
            let _ = writeln!(s, "None.\n");
        }
        for d in list.iter() {
            let _ = writeln!(s, "### {}\n", d.cause);
            if let (Some(by), Some(why)) = (&d.known_by, &d.known_reason) {
                let _ = writeln!(s, "Known: **{by}**, {why}\n");
            }
            let _ = writeln!(
                s,
                "- args (shrunk, {} steps): `{}`",
                d.shrink_steps,
                cut(&d.args.to_string(), 400)
            );
            let _ = writeln!(s, "- a: `{}`", outcome_line(&d.a).replace('`', "'"));
            let _ = writeln!(s, "- b: `{}`", outcome_line(&d.b).replace('`', "'"));
            let _ = writeln!(
                s,
                "- first seen: case {} of seed {}, {} occurrence(s); original args `{}`\n",
                d.case,
                d.seed,
                d.occurrences,
                cut(&d.original_args.to_string(), 300)
            );
        }
    }
    s
}

/// The args of a case as JSON, for tests.
pub fn example_args(op: &str, seed: u64) -> Option<Value> {
    let strategy = generate::strategy(op)?;
    let mut runner = TestRunner::new_with_rng(Config::default(), op_rng(seed, op));
    strategy.new_tree(&mut runner).ok().map(|t| t.current())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn causes_compare_kind_class_and_value() {
        let ok = |v: Value| Outcome::Ok(v);
        let err = |c: &str| Outcome::Error {
            class: c.into(),
            message: "m".into(),
        };
        assert_eq!(cause("o", &ok(json!({"a": 1})), &ok(json!({"a": 1}))), None);
        assert_eq!(cause("o", &err("x"), &err("x")), None);
        assert_eq!(
            cause("o", &err("x"), &err("y")).as_deref(),
            Some("o: error:x vs error:y")
        );
        assert_eq!(
            cause(
                "o",
                &ok(json!({"a": 1, "b": 2})),
                &ok(json!({"a": 1, "b": 3, "c": 0}))
            )
            .as_deref(),
            Some("o: ok vs ok, differs in b,c")
        );
        assert_eq!(
            cause("o", &ok(json!(1)), &Outcome::Crash("x".into())).as_deref(),
            Some("o: ok vs crash")
        );
    }

    #[test]
    fn the_committed_known_file_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let known = Known::load(&root.join("spec").join(KNOWN_FILE), &known_ids(root)).unwrap();
        assert!(known.entries.len() >= 10);
        assert!(!known_ids(root)("NOT_A_FLAG"));
        assert!(!known_ids(root)("value"), "a vector field is not a flag");
        assert!(known_ids(root)("UPSTREAM_LONG_VARINTS"));
        assert!(known_ids(root)("BASIS-DIV-010"));
    }

    /// Most generated cases reach the op's real code: the reference answers `ok` for a good
    /// share of each op's cases, and no op is answered `unsupported`. [BASIS-DIFF-002]
    #[test]
    fn generated_cases_are_mostly_valid() {
        const CASES: u32 = 48;
        let (mut report, mut failures) = (String::new(), Vec::new());
        for op in generate::OPS {
            let strategy = generate::strategy(op).unwrap();
            let mut runner = TestRunner::new_with_rng(Config::default(), op_rng(11, op));
            let (mut ok, mut errors) = (0, BTreeMap::<String, u32>::new());
            for _ in 0..CASES {
                let args = strategy.new_tree(&mut runner).unwrap().current();
                match m2m_reference::testee::dispatch(op, &args) {
                    m2m_reference::testee::Reply::Ok(_) => ok += 1,
                    m2m_reference::testee::Reply::Error { class, .. } => {
                        *errors.entry(class).or_default() += 1;
                    }
                    m2m_reference::testee::Reply::Unsupported(why) => {
                        panic!("{op}: unsupported: {why}; args {args}")
                    }
                }
            }
            let _ = writeln!(report, "{op}: {ok}/{CASES} ok, errors {errors:?}");
            let bad_args = errors.get("bad_args").copied().unwrap_or(0);
            if ok * 4 < CASES || bad_args * 4 > CASES {
                failures.push(*op);
            }
        }
        eprintln!("{report}");
        assert!(
            failures.is_empty(),
            "too few ok or too many bad_args: {failures:?}"
        );
    }

    #[test]
    fn every_listed_op_has_a_generator_and_generation_is_seeded() {
        for op in generate::OPS {
            let a = example_args(op, 7).expect("generator");
            assert!(a.is_object(), "{op}");
            assert_eq!(Some(a), example_args(op, 7), "{op}");
        }
    }
}
