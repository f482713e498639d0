//! Reports. JSON ([`Report`]) is canonical; Markdown, JUnit XML and HTML are rendered from it;
//! [`diff`] compares two JSON reports and [`html::render_matrix`] combines several.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::judge::Verdict;
use crate::run::CaseResult;
use crate::spec::Spec;
use crate::target::TesteeInfo;

pub mod console;
pub mod diff;
pub mod html;
pub mod junit;
pub mod markdown;

/// Version of the report JSON layout.
pub const REPORT_FORMAT: u32 = 1;

/// Verdict counts.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Number of cases.
    pub total: usize,
    /// Per verdict name; every verdict is present.
    pub verdicts: BTreeMap<&'static str, usize>,
}

impl Default for Counts {
    fn default() -> Self {
        Counts::new()
    }
}

impl Counts {
    fn new() -> Self {
        Counts {
            total: 0,
            verdicts: Verdict::ALL.iter().map(|v| (v.name(), 0)).collect(),
        }
    }

    fn add(&mut self, v: Verdict) {
        self.total += 1;
        *self.verdicts.entry(v.name()).or_default() += 1;
    }

    /// Count of one verdict.
    pub fn get(&self, v: Verdict) -> usize {
        self.verdicts.get(v.name()).copied().unwrap_or(0)
    }

    /// Cases whose verdict fails certification.
    pub fn failures(&self) -> usize {
        Verdict::ALL
            .iter()
            .filter(|v| v.is_failure())
            .map(|v| self.get(*v))
            .sum()
    }
}

/// Per-chapter summary row.
#[derive(Debug, Clone, Serialize)]
pub struct ChapterSummary {
    /// Chapter key.
    pub chapter: String,
    /// Chapter title.
    pub title: String,
    /// Counts.
    pub counts: Counts,
}

/// Per-requirement summary row.
#[derive(Debug, Clone, Serialize)]
pub struct RequirementSummary {
    /// Requirement id.
    pub id: String,
    /// Level.
    pub level: String,
    /// The requirement's first sentence, as indexed in `spec/requirements.yaml`.
    pub text: String,
    /// Counts of the cases citing it that ran.
    pub counts: Counts,
}

/// Options recorded in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportOptions {
    /// `--filter` values.
    pub filters: Vec<String>,
    /// `--strict`.
    pub strict: bool,
    /// Per-case timeout for process targets.
    pub timeout_ms: u64,
    /// The known-failures list used, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_failures: Option<String>,
    /// Testee instances run at once (`--jobs`). [TESTEE-RUN-004]
    pub jobs: usize,
    /// Profiles claimed with `--profile`. [BASIS-PROFILE-003]
    pub profiles: Vec<String>,
}

/// The canonical report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`REPORT_FORMAT`].
    pub report_format: u32,
    /// Always `m2m-conformance`.
    pub suite: &'static str,
    /// Version of the suite (harness crate version).
    pub suite_version: &'static str,
    /// Vector file format version.
    pub vectors_schema_version: u64,
    /// Content hash of the suite data the run used (`sha256:<hex>` over spec, vectors, models,
    /// fuzz corpora and bench profile; [`crate::suite_data`]): two reports with the same hash ran
    /// the same suite.
    pub suite_hash: String,
    /// Where the suite data came from: `embedded` or the `--root` directory.
    pub suite_source: String,
    /// Commit of the suite checkout, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite_commit: Option<String>,
    /// RFC 3339 UTC time of the run.
    pub generated_at: String,
    /// Who was tested.
    pub target: TesteeInfo,
    /// How.
    pub options: ReportOptions,
    /// Totals; `certified` is true when no case failed.
    pub summary: Counts,
    /// `true` when no verdict is a failure and every claimed profile is met.
    pub certified: bool,
    /// Every conformance profile of `spec/profiles.yaml`, claimed (`--profile`) or not, judged
    /// on this run ([`crate::profiles`]).
    pub profiles: Vec<crate::profiles::ProfileResult>,
    /// Per chapter.
    pub chapters: Vec<ChapterSummary>,
    /// Per requirement cited by a case that ran.
    pub requirements: Vec<RequirementSummary>,
    /// Wall time of the whole run (all cases, all jobs), in milliseconds; `cases / elapsed` is
    /// the run's throughput. Each case's own `duration_ms` is its exchange alone.
    pub elapsed_ms: f64,
    /// Every case.
    pub cases: Vec<CaseResult>,
    /// The bench profile of `certify --bench` (absent without it). [TESTEE-BENCH-009]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bench: Option<crate::bench::Section>,
}

impl Report {
    /// Build the report of a run.
    /// `suite` is where the suite data came from; `profiles` is every profile judged on this
    /// run ([`crate::profiles::evaluate`]). [BASIS-PROFILE-004]
    pub fn new(
        spec: &Spec,
        suite: &crate::suite_data::SuiteRoot,
        target: TesteeInfo,
        options: ReportOptions,
        cases: Vec<CaseResult>,
        profiles: Vec<crate::profiles::ProfileResult>,
    ) -> Report {
        let mut summary = Counts::new();
        let mut by_chapter: BTreeMap<String, Counts> = BTreeMap::new();
        let mut by_req: BTreeMap<String, Counts> = BTreeMap::new();
        for c in &cases {
            summary.add(c.verdict);
            by_chapter
                .entry(c.chapter.clone())
                .or_default()
                .add(c.verdict);
            for r in &c.reqs {
                by_req.entry(r.clone()).or_default().add(c.verdict);
            }
        }
        let chapters = spec
            .chapters
            .iter()
            .filter_map(|ch| {
                by_chapter.remove(&ch.key).map(|counts| ChapterSummary {
                    chapter: ch.key.clone(),
                    title: ch.title.clone(),
                    counts,
                })
            })
            .collect();
        let requirements = spec
            .requirements
            .iter()
            .filter_map(|r| {
                by_req.remove(&r.id).map(|counts| RequirementSummary {
                    id: r.id.clone(),
                    level: r.level.to_string(),
                    text: r.summary.clone(),
                    counts,
                })
            })
            .collect();
        Report {
            report_format: REPORT_FORMAT,
            suite: crate::vectors::SUITE,
            suite_version: crate::SUITE_VERSION,
            vectors_schema_version: crate::vectors::SCHEMA_VERSION,
            suite_hash: suite.hash.clone(),
            suite_source: suite.source.clone(),
            suite_commit: git_commit(&spec.dir),
            generated_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string(),
            target,
            options,
            certified: summary.failures() == 0
                && profiles.iter().all(|p| !p.claimed || p.conformant),
            profiles,
            summary,
            chapters,
            requirements,
            elapsed_ms: 0.0,
            cases,
            bench: None,
        }
    }

    /// Write `report.json`, `report.md`, `junit.xml` and `report.html` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let value = serde_json::to_value(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.html"), html::render(&value))?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json + "\n")?;
        std::fs::write(dir.join("report.md"), markdown::render(self))?;
        std::fs::write(dir.join("junit.xml"), junit::render(self)?)?;
        Ok(())
    }
}

fn git_commit(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Read a `report.json` of this layout ([`REPORT_FORMAT`]) as JSON, for `report html`,
/// `matrix`, `bench` and `diff`.
pub fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a report.json: {e}", path.display()))?;
    if value
        .get("report_format")
        .and_then(serde_json::Value::as_u64)
        != Some(u64::from(REPORT_FORMAT))
    {
        return Err(format!(
            "{}: not a report.json of format {REPORT_FORMAT}",
            path.display()
        ));
    }
    Ok(value)
}
