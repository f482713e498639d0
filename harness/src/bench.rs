//! The performance profile of `certify --bench` (spec chapter `testee`, section 7,
//! TESTEE-BENCH-*).
//!
//! A bench profile (default `harness/bench-profile.yaml`) names existing vector cases and how
//! many times to run each. After the normal run, for every entry whose op the testee lists, the
//! harness sends `testee.bench` wrapping the case's own op and input; the testee runs it with
//! its own clock and answers its figures and the last run's outcome, which is judged against
//! the case's expectation like a normal case: a testee cannot be profiled on a no-op. The rows
//! go in the report's optional `bench` section; `report bench` puts several reports side by
//! side. Nothing here changes a verdict or the exit code. [TESTEE-BENCH-002]
//! [TESTEE-BENCH-009]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::judge::{self, Policy, Verdict};
use crate::target::{Outcome, Target, TargetOptions, TesteeInfo};
use crate::vectors::{Case, Suite};

/// The op name. [TESTEE-BENCH-001]
pub const OP: &str = "testee.bench";

/// Bounds of `iterations` and `warmup`. [TESTEE-BENCH-003]
pub const MAX_ITERATIONS: u64 = 1_000_000;

/// Default and largest `max_ms`. [TESTEE-BENCH-003]
pub const DEFAULT_MAX_MS: u64 = 5_000;
/// Largest `max_ms` a testee accepts.
pub const MAX_MAX_MS: u64 = 60_000;

/// Where the default profile lives, relative to the suite root.
pub const DEFAULT_PROFILE: &str = "harness/bench-profile.yaml";

/// A bench profile as written in YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// One line about the profile.
    pub description: String,
    /// The `max_ms` sent with every request (default [`DEFAULT_MAX_MS`]).
    #[serde(default)]
    pub max_ms: Option<u64>,
    /// The entries, in report order.
    pub entries: Vec<Entry>,
}

/// One profile entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A vector case id.
    pub case: String,
    /// Timed runs.
    pub iterations: u64,
    /// Untimed runs first (default: a tenth of `iterations`, at least 1).
    #[serde(default)]
    pub warmup: Option<u64>,
}

impl Profile {
    /// Read and check a profile: every case exists, ids are unique, numbers are in range.
    pub fn load(path: &Path, suite: &Suite) -> Result<Profile, Vec<String>> {
        let text =
            std::fs::read_to_string(path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
        let profile: Profile =
            crate::yaml::from_str(&text).map_err(|e| vec![format!("{}: {e}", path.display())])?;
        let mut errors = Vec::new();
        let mut seen = BTreeSet::new();
        if let Some(ms) = profile.max_ms {
            if !(1..=MAX_MAX_MS).contains(&ms) {
                errors.push(format!("max_ms {ms} is not in 1..={MAX_MAX_MS}"));
            }
        }
        if profile.entries.is_empty() {
            errors.push("the profile has no entries".to_owned());
        }
        for e in &profile.entries {
            if !seen.insert(e.case.as_str()) {
                errors.push(format!("case `{}` is listed twice", e.case));
            }
            match suite.cases.iter().find(|c| c.id == e.case) {
                None => errors.push(format!("case `{}` is not a vector case", e.case)),
                Some(c) if c.op == OP => {
                    errors.push(format!("case `{}` is itself a bench case", e.case))
                }
                Some(_) => {}
            }
            if !(1..=MAX_ITERATIONS).contains(&e.iterations) {
                errors.push(format!(
                    "case `{}`: iterations {} is not in 1..={MAX_ITERATIONS}",
                    e.case, e.iterations
                ));
            }
            if e.warmup.is_some_and(|w| w > MAX_ITERATIONS) {
                errors.push(format!(
                    "case `{}`: warmup is over {MAX_ITERATIONS}",
                    e.case
                ));
            }
        }
        if errors.is_empty() {
            Ok(profile)
        } else {
            Err(errors
                .into_iter()
                .map(|e| format!("{}: {e}", path.display()))
                .collect())
        }
    }

    /// `max_ms` of every request.
    pub fn max_ms(&self) -> u64 {
        self.max_ms.unwrap_or(DEFAULT_MAX_MS)
    }
}

impl Entry {
    /// The warmup sent: as given, else a tenth of the iterations, at least 1.
    pub fn warmup(&self) -> u64 {
        self.warmup.unwrap_or((self.iterations / 10).max(1))
    }
}

/// The status of one bench row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Figures valid: the outcome passed (or was acceptable) and the result was well formed.
    Ok,
    /// The outcome differs from the case's expectation, or the figures are malformed.
    Invalid,
    /// The bench request itself failed (error class, timeout, crash, protocol violation).
    Error,
    /// The testee lists neither `testee.bench` nor the op, or answered `unsupported`.
    Unsupported,
}

impl Status {
    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Invalid => "invalid",
            Status::Error => "error",
            Status::Unsupported => "unsupported",
        }
    }
}

/// One profiled case.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Case id.
    pub case: String,
    /// Chapter key.
    pub chapter: String,
    /// The wrapped op.
    pub op: String,
    /// Size of the case's args as compact JSON, in bytes (its size class).
    pub input_bytes: usize,
    /// Timed runs requested.
    pub iterations: u64,
    /// Untimed runs requested.
    pub warmup: u64,
    /// See [`Status`].
    pub status: Status,
    /// The judge's verdict on the outcome, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Mean ns per run (`total_ns / iterations`), as the testee reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns_per_op: Option<f64>,
    /// Median of the per-batch ns per run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_ns_per_op: Option<f64>,
    /// Smallest per-batch ns per run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_ns_per_op: Option<f64>,
    /// Sum of the batch times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_ns: Option<u64>,
    /// Why the row is not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Row counts per status.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// `ok` rows.
    pub ok: usize,
    /// `invalid` rows.
    pub invalid: usize,
    /// `error` rows.
    pub error: usize,
    /// `unsupported` rows.
    pub unsupported: usize,
}

/// The `bench` section of a report (absent without `--bench`).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The profile file, as given.
    pub profile: String,
    /// Whether the testee listed `testee.bench` in hello.
    pub testee_benches: bool,
    /// `max_ms` sent with every request.
    pub max_ms: u64,
    /// Row counts.
    pub counts: Counts,
    /// One row per profile entry.
    pub rows: Vec<Row>,
}

/// The wrapped outcome of a bench result, as an [`Outcome`]. [TESTEE-BENCH-007]
fn inner_outcome(v: &Value) -> Result<Outcome, String> {
    let Some(map) = v.as_object() else {
        return Err("`outcome` is not an object".into());
    };
    match (map.get("ok"), map.get("error"), map.len()) {
        (Some(ok), None, 1) => Ok(Outcome::Ok(ok.clone())),
        (None, Some(err), 1) => crate::target::error_outcome(err)
            .ok_or_else(|| "`outcome.error` has no string `class`".into()),
        _ => Err("`outcome` must have exactly one of `ok` and `error`".into()),
    }
}

/// The figures of a bench result, checked against the request. [TESTEE-BENCH-006]
struct Figures {
    total_ns: u64,
    ns_per_op: f64,
    min: f64,
    median: f64,
    outcome: Outcome,
}

fn figures(v: &Value, iterations: u64, warmup: u64) -> Result<Figures, String> {
    let int = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("`{k}` is not an unsigned integer"))
    };
    let num = |k: &str| {
        v.get(k)
            .and_then(Value::as_f64)
            .filter(|x| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| format!("`{k}` is not a non-negative number"))
    };
    if int("iterations")? != iterations {
        return Err(format!("`iterations` is not {iterations}"));
    }
    if int("warmup")? != warmup {
        return Err(format!("`warmup` is not {warmup}"));
    }
    let batches = iterations.min(10);
    if int("batches")? != batches {
        return Err(format!("`batches` is not {batches}"));
    }
    let total_ns = int("total_ns")?;
    let ns_per_op = num("ns_per_op")?;
    let (min, median) = (num("min_ns_per_op")?, num("median_ns_per_op")?);
    let want = total_ns as f64 / iterations as f64;
    if (ns_per_op - want).abs() > 1e-6 * want.max(1.0) {
        return Err(format!(
            "`ns_per_op` {ns_per_op} is not total_ns / iterations = {want}"
        ));
    }
    if min > median * (1.0 + 1e-9) {
        return Err("`min_ns_per_op` is larger than `median_ns_per_op`".into());
    }
    let outcome = inner_outcome(v.get("outcome").unwrap_or(&Value::Null))?;
    Ok(Figures {
        total_ns,
        ns_per_op,
        min,
        median,
        outcome,
    })
}

fn empty_row(case: &Case, entry: &Entry) -> Row {
    Row {
        case: case.id.clone(),
        chapter: case.chapter.clone(),
        op: case.op.clone(),
        input_bytes: serde_json::to_string(&case.input).map_or(0, |s| s.len()),
        iterations: entry.iterations,
        warmup: entry.warmup(),
        status: Status::Unsupported,
        verdict: None,
        ns_per_op: None,
        median_ns_per_op: None,
        min_ns_per_op: None,
        total_ns: None,
        reason: None,
    }
}

/// Profile one case: send the bench request and judge the answer.
pub fn bench_case(
    case: &Case,
    entry: &Entry,
    max_ms: u64,
    target: &mut dyn Target,
    info: &TesteeInfo,
    policy: Policy,
) -> Row {
    let mut row = empty_row(case, entry);
    let warmup = row.warmup;
    let listed = |op: &str| info.ops.iter().any(|o| o == op);
    if !listed(OP) {
        row.reason = Some(format!("the testee does not list `{OP}`"));
        return row;
    }
    if !listed(&case.op) {
        row.reason = Some(format!("the testee does not list `{}`", case.op));
        return row;
    }
    let args = json!({
        "op": case.op,
        "args": case.input,
        "iterations": entry.iterations,
        "warmup": warmup,
        "max_ms": max_ms,
    });
    let (outcome, _) = target.run(&format!("bench:{}", case.id), OP, &args);
    let result = match outcome {
        Outcome::Ok(v) => v,
        Outcome::Unsupported(r) => {
            row.reason = Some(format!("answered unsupported: {r}"));
            return row;
        }
        other => {
            row.status = Status::Error;
            row.reason = Some(match other {
                Outcome::Error { class, message } => format!("error `{class}`: {message}"),
                o => judge::outcome_json(&o).to_string(),
            });
            return row;
        }
    };
    let f = match figures(&result, entry.iterations, warmup) {
        Ok(f) => f,
        Err(why) => {
            row.status = Status::Invalid;
            row.reason = Some(format!("malformed bench result: {why}"));
            return row;
        }
    };
    let (verdict, why) = judge::judge(case, &f.outcome, policy);
    row.verdict = Some(verdict);
    row.ns_per_op = Some(f.ns_per_op);
    row.median_ns_per_op = Some(f.median);
    row.min_ns_per_op = Some(f.min);
    row.total_ns = Some(f.total_ns);
    if matches!(verdict, Verdict::Pass | Verdict::Acceptable) {
        row.status = Status::Ok;
    } else {
        row.status = Status::Invalid;
        row.reason = Some(format!(
            "the benched outcome is judged {}: {}",
            verdict.name(),
            why.unwrap_or_default()
        ));
    }
    row
}

/// Profile every entry against `target` (already past hello, which said `info`).
pub fn run(
    profile: &Profile,
    profile_name: &str,
    suite: &Suite,
    target: &mut dyn Target,
    info: &TesteeInfo,
    policy: Policy,
    mut progress: impl FnMut(&Row),
) -> Section {
    let mut rows = Vec::new();
    let mut counts = Counts::default();
    for entry in &profile.entries {
        let Some(case) = suite.cases.iter().find(|c| c.id == entry.case) else {
            continue; // Profile::load checked every id
        };
        let row = bench_case(case, entry, profile.max_ms(), target, info, policy);
        match row.status {
            Status::Ok => counts.ok += 1,
            Status::Invalid => counts.invalid += 1,
            Status::Error => counts.error += 1,
            Status::Unsupported => counts.unsupported += 1,
        }
        progress(&row);
        rows.push(row);
    }
    target.shutdown();
    Section {
        profile: profile_name.to_owned(),
        testee_benches: info.ops.iter().any(|o| o == OP),
        max_ms: profile.max_ms(),
        counts,
        rows,
    }
}

/// Find and load the profile of `--bench PATH`: PATH as given if it exists, else relative to
/// the suite root. Answers the name recorded in the report and the profile.
pub fn load_profile(
    root: &Path,
    path: &Path,
    suite: &Suite,
) -> Result<(String, Profile), Vec<String>> {
    let resolved = if path.exists() || path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    Profile::load(&resolved, suite).map(|p| (path.display().to_string(), p))
}

/// Profile the target of `spec` (a fresh instance, so the normal run's testee is left alone)
/// with a per-request timeout of the run's timeout plus `max_ms`. A target that cannot be
/// started gives `error` rows: the profile never stops a run. [TESTEE-BENCH-002]
/// [TESTEE-BENCH-009]
pub fn profile_target(
    spec: &str,
    opts: TargetOptions,
    name: &str,
    profile: &Profile,
    suite: &Suite,
    policy: Policy,
) -> Section {
    let opts = TargetOptions {
        timeout: opts.timeout + Duration::from_millis(profile.max_ms()),
        ..opts
    };
    let started = crate::target::from_spec(spec, opts).and_then(|mut t| {
        let info = t.hello()?;
        Ok((t, info))
    });
    match started {
        Ok((mut target, info)) => run(profile, name, suite, target.as_mut(), &info, policy, |_| {}),
        Err(e) => {
            let rows: Vec<Row> = profile
                .entries
                .iter()
                .filter_map(|entry| {
                    let case = suite.cases.iter().find(|c| c.id == entry.case)?;
                    let mut row = empty_row(case, entry);
                    row.status = Status::Error;
                    row.reason = Some(format!("bench target did not start: {e}"));
                    Some(row)
                })
                .collect();
            Section {
                profile: name.to_owned(),
                testee_benches: false,
                max_ms: profile.max_ms(),
                counts: Counts {
                    error: rows.len(),
                    ..Counts::default()
                },
                rows,
            }
        }
    }
}

/// Console lines after a profiled run: one per row and a total.
pub fn summary_lines(s: &Section) -> String {
    let mut out = String::new();
    if !s.testee_benches {
        let _ = writeln!(out, "bench: the testee does not list `{OP}`; not profiled");
        return out;
    }
    for r in &s.rows {
        let _ = writeln!(
            out,
            "  bench {:<44} {:>12} {}",
            r.case,
            match (r.status, r.ns_per_op) {
                (Status::Ok, Some(ns)) => human_ns(ns),
                _ => "-".to_owned(),
            },
            if r.status == Status::Ok {
                String::new()
            } else {
                format!("{}: {}", r.status.name(), r.reason.as_deref().unwrap_or(""))
            }
        );
    }
    let _ = writeln!(
        out,
        "bench ({}): {} ok, {} invalid, {} error, {} unsupported (no verdict depends on it)",
        s.profile, s.counts.ok, s.counts.invalid, s.counts.error, s.counts.unsupported
    );
    out
}

/// A duration in ns, in the unit that keeps 3-4 significant digits.
pub fn human_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A byte count as `123 B`, `4.5 KiB`, `1.2 MiB`.
pub fn human_bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

fn figure_cell(row: &Value) -> String {
    match (row["status"].as_str(), row["ns_per_op"].as_f64()) {
        (Some("ok"), Some(ns)) => human_ns(ns),
        (Some(status), _) => status.to_owned(),
        _ => "-".to_owned(),
    }
}

/// The Markdown table of one report's bench section (empty without one).
pub fn markdown_section(bench: Option<&Section>) -> String {
    let Some(s) = bench else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Bench profile\n\nProfile `{}`, timed by the testee itself (`testee.bench`, TESTEE-BENCH-*), \
         max {} ms per entry: {} ok, {} invalid, {} error, {} unsupported. Figures are \
         information only; they change no verdict.\n",
        s.profile, s.max_ms, s.counts.ok, s.counts.invalid, s.counts.error, s.counts.unsupported
    );
    if !s.testee_benches {
        out.push_str("The testee does not list `testee.bench`: not profiled.\n\n");
        return out;
    }
    out.push_str(
        "| case | op | input | iterations | ns/op (mean) | median batch | min batch | status |\n\
         |---|---|---:|---:|---:|---:|---:|---|\n",
    );
    for r in &s.rows {
        let f = |x: Option<f64>| x.map_or("-".to_owned(), human_ns);
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} | {} | {} | {} | {}{} |",
            r.case,
            r.op,
            human_bytes(r.input_bytes as u64),
            r.iterations,
            if r.status == Status::Ok {
                f(r.ns_per_op)
            } else {
                "-".to_owned()
            },
            f(r.median_ns_per_op),
            f(r.min_ns_per_op),
            r.status.name(),
            r.reason
                .as_deref()
                .map(|w| format!(": {}", w.replace('|', "\\|")))
                .unwrap_or_default()
        );
    }
    out.push('\n');
    out
}

fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The HTML section of one report's bench section, from the report JSON (empty without one).
pub fn html_section(report: &Value) -> String {
    let Some(s) = report.get("bench").filter(|b| b.is_object()) else {
        return String::new();
    };
    let c = &s["counts"];
    let mut b = format!(
        "<h2>Bench profile</h2><p class=\"muted\" id=\"bench-summary\">profile <code>{}</code>, timed by \
         the testee (<code>testee.bench</code>), max {} ms per entry: {} ok, {} invalid, {} error, \
         {} unsupported; information only, no verdict depends on it</p>\
         <table id=\"bench\"><tr><th class=\"name\">case</th><th class=\"name\">op</th><th>input</th>\
         <th>iterations</th><th>ns/op (mean)</th><th>median batch</th><th>min batch</th>\
         <th class=\"name\">status</th></tr>",
        esc(s["profile"].as_str().unwrap_or("")),
        s["max_ms"],
        c["ok"],
        c["invalid"],
        c["error"],
        c["unsupported"]
    );
    for r in s["rows"].as_array().into_iter().flatten() {
        let f = |k: &str| r[k].as_f64().map_or("-".to_owned(), human_ns);
        let status = r["status"].as_str().unwrap_or("");
        let _ = write!(
            b,
            "<tr data-status=\"{}\"><td class=\"name\">{}</td><td class=\"name\">{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"name {}\">{}{}</td></tr>",
            esc(status),
            esc(r["case"].as_str().unwrap_or("")),
            esc(r["op"].as_str().unwrap_or("")),
            human_bytes(r["input_bytes"].as_u64().unwrap_or(0)),
            r["iterations"],
            if status == "ok" { f("ns_per_op") } else { "-".to_owned() },
            f("median_ns_per_op"),
            f("min_ns_per_op"),
            if status == "ok" { "v-pass" } else { "v-fail" },
            esc(status),
            r["reason"]
                .as_str()
                .map(|w| format!(": {}", esc(w)))
                .unwrap_or_default()
        );
    }
    b.push_str("</table>");
    b
}

/// `report bench`: the bench sections of several reports side by side, as Markdown: one row
/// per profiled case (in the first report's order, then cases only later reports have), the
/// mean ns/op of each implementation, and each one's ratio to the first.
pub fn render_side_by_side(reports: &[Value]) -> String {
    let label = |r: &Value| {
        let t = &r["target"];
        format!(
            "{} {} (`{}`)",
            t["name"].as_str().unwrap_or("?"),
            t["version"].as_str().unwrap_or("?"),
            t["target"].as_str().unwrap_or("?")
        )
    };
    let rows_of = |r: &Value| -> Vec<Value> {
        r.get("bench")
            .and_then(|b| b.get("rows"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut order: Vec<(String, String, u64)> = Vec::new();
    for r in reports {
        for row in rows_of(r) {
            let id = row["case"].as_str().unwrap_or("").to_owned();
            if !order.iter().any(|(c, _, _)| *c == id) {
                order.push((
                    id,
                    row["op"].as_str().unwrap_or("").to_owned(),
                    row["input_bytes"].as_u64().unwrap_or(0),
                ));
            }
        }
    }
    let mut out = String::from("# Bench profile side by side\n\n");
    for (i, r) in reports.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}{}",
            i + 1,
            label(r),
            if r.get("bench").is_some_and(Value::is_object) {
                format!(
                    ", profile `{}`",
                    r["bench"]["profile"].as_str().unwrap_or("")
                )
            } else {
                " — no bench section (run `certify --bench`)".to_owned()
            }
        );
    }
    out.push_str(
        "\nMean ns per op as each testee timed it (`testee.bench`); `×` is the ratio to \
         implementation 1 (below 1 is faster). Only `ok` rows have figures.\n\n| case | op | input |",
    );
    let mut sep = String::from("|---|---|---:|");
    for i in 0..reports.len() {
        let _ = write!(out, " {} ns/op |", i + 1);
        sep.push_str("---:|");
        if i > 0 {
            let _ = write!(out, " {} × |", i + 1);
            sep.push_str("---:|");
        }
    }
    let _ = writeln!(out, "\n{sep}");
    let per_report: Vec<Vec<Value>> = reports.iter().map(rows_of).collect();
    let ok_ns = |rows: &[Value], id: &str| {
        rows.iter()
            .find(|r| r["case"] == id)
            .filter(|r| r["status"] == "ok")
            .and_then(|r| r["ns_per_op"].as_f64())
    };
    for (id, op, bytes) in &order {
        let _ = write!(out, "| `{id}` | `{op}` | {} |", human_bytes(*bytes));
        let first = ok_ns(&per_report[0], id);
        for (i, rows) in per_report.iter().enumerate() {
            let cell = rows
                .iter()
                .find(|r| r["case"] == id.as_str())
                .map_or("-".to_owned(), figure_cell);
            let _ = write!(out, " {cell} |");
            if i > 0 {
                let ratio = match (first, ok_ns(rows, id)) {
                    (Some(a), Some(b)) if a > 0.0 => format!("{:.2}", b / a),
                    _ => "-".to_owned(),
                };
                let _ = write!(out, " {ratio} |");
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_checked() {
        let good = json!({"iterations": 4, "warmup": 1, "batches": 4, "total_ns": 400,
            "ns_per_op": 100.0, "min_ns_per_op": 90.0, "median_ns_per_op": 95.0,
            "outcome": {"ok": {"x": 1}}});
        let f = figures(&good, 4, 1).unwrap();
        assert_eq!(f.outcome, Outcome::Ok(json!({"x": 1})));
        assert_eq!(f.total_ns, 400);
        for (key, bad) in [
            ("iterations", json!(5)),
            ("warmup", json!(0)),
            ("batches", json!(10)),
            ("total_ns", json!(-1)),
            ("ns_per_op", json!(101.0)),
            ("min_ns_per_op", json!(96.0)),
            ("outcome", json!({"ok": 1, "error": {"class": "x"}})),
            ("outcome", json!({"error": {"message": "no class"}})),
            ("outcome", json!(null)),
        ] {
            let mut v = good.clone();
            v[key] = bad;
            assert!(figures(&v, 4, 1).is_err(), "{key}");
        }
    }

    #[test]
    fn units() {
        assert_eq!(human_ns(12.0), "12 ns");
        assert_eq!(human_ns(1_500.0), "1.50 µs");
        assert_eq!(human_ns(2_500_000.0), "2.50 ms");
        assert_eq!(human_bytes(100), "100 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
    }
}
