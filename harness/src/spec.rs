//! The machine-readable side of `spec/`: chapters, the requirement index, the error-class
//! vocabulary and the op namespace.
//!
//! Requirements are written in the chapter Markdown as list items
//! `- **[AREA-TOPIC-NNN]** LEVEL: statement` (see `spec/README.md`); [`Spec::index_yaml`] renders
//! `spec/requirements.yaml` from them, and `cargo test` fails when the committed file is stale.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::yaml;

/// RFC 2119 requirement level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// Absolute requirement; a failed case breaks certification.
    #[serde(rename = "MUST")]
    Must,
    /// Recommended; a failed case is reported as `non-strict`.
    #[serde(rename = "SHOULD")]
    Should,
    /// Optional.
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        match s {
            "MUST" => Some(Level::Must),
            "SHOULD" => Some(Level::Should),
            "MAY" => Some(Level::May),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        })
    }
}

/// One requirement from the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// Stable id, e.g. `WIRE-BROTLI-006`.
    pub id: String,
    /// Chapter key, e.g. `brotli`.
    pub chapter: String,
    /// Level.
    pub level: Level,
    /// `true` when the harness enforces it on every exchange rather than through vectors.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub harness: bool,
    /// First sentence of the statement.
    pub summary: String,
}

/// One spec chapter file.
#[derive(Debug, Clone)]
pub struct Chapter {
    /// Key: file name without number and extension.
    pub key: String,
    /// First `# ` heading.
    pub title: String,
    /// Path of the Markdown file.
    pub path: PathBuf,
}

/// One op from `spec/ops.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpSpec {
    /// Name, e.g. `wire.decompress`.
    pub op: String,
    /// `active` or `planned`.
    pub status: String,
    /// Chapter key the op belongs to.
    pub chapter: String,
    /// Shape of the args.
    pub args: String,
    /// Shape of the result.
    pub result: String,
    /// One line.
    pub summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpsFile {
    ops: Vec<OpSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassesFile {
    classes: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    requirements: Vec<Requirement>,
}

/// Everything the harness needs from `spec/`.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Directory the spec was loaded from.
    pub dir: PathBuf,
    /// Chapters in file order.
    pub chapters: Vec<Chapter>,
    /// Requirements parsed from the chapters, in chapter then document order.
    pub requirements: Vec<Requirement>,
    /// Error class → description.
    pub error_classes: BTreeMap<String, String>,
    /// Op namespace.
    pub ops: Vec<OpSpec>,
}

/// A problem in `spec/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn read(path: &Path) -> Result<String, SpecError> {
    std::fs::read_to_string(path)
        .map_err(|e| SpecError(format!("{}: cannot read: {e}", path.display())))
}

/// Whether `s` is a well-formed requirement id `AREA(-PART)*-NNN`.
pub fn is_requirement_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 2 {
        return false;
    }
    let (num, names) = parts.split_last().expect("len >= 2");
    num.len() == 3
        && num.bytes().all(|b| b.is_ascii_digit())
        && names.iter().enumerate().all(|(i, p)| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && (i > 0 || p.as_bytes()[0].is_ascii_uppercase())
        })
}

/// Parse the requirement list items of one chapter's Markdown.
pub fn parse_requirements(chapter: &str, text: &str) -> Result<Vec<Requirement>, String> {
    let mut out: Vec<Requirement> = Vec::new();
    let mut current: Option<(Requirement, String)> = None;
    let mut in_code = false;
    let finish = |cur: Option<(Requirement, String)>, out: &mut Vec<Requirement>| {
        if let Some((mut r, statement)) = cur {
            r.summary = summarize(&statement);
            out.push(r);
        }
    };
    for (lineno, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_code = !in_code;
            finish(current.take(), &mut out);
            continue;
        }
        if in_code {
            continue;
        }
        let item = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "));
        if let Some(rest) = item.and_then(|i| i.strip_prefix("**[")) {
            finish(current.take(), &mut out);
            let Some((id, rest)) = rest.split_once("]**") else {
                return Err(format!("line {}: unterminated requirement id", lineno + 1));
            };
            if !is_requirement_id(id) {
                return Err(format!(
                    "line {}: malformed requirement id `{id}`",
                    lineno + 1
                ));
            }
            let rest = rest.trim_start();
            let (head, statement) = rest.split_once(':').ok_or_else(|| {
                format!("line {}: `{id}` needs `LEVEL:` after the id", lineno + 1)
            })?;
            let mut words = head.split_whitespace();
            let level_word = words.next().unwrap_or("");
            let level = Level::parse(level_word).ok_or_else(|| {
                format!(
                    "line {}: `{id}` has level `{level_word}`, expected MUST, SHOULD or MAY",
                    lineno + 1
                )
            })?;
            let harness = match words.next() {
                None => false,
                Some("(harness)") => true,
                Some(other) => {
                    return Err(format!(
                        "line {}: `{id}`: unexpected `{other}` after the level",
                        lineno + 1
                    ))
                }
            };
            current = Some((
                Requirement {
                    id: id.to_owned(),
                    chapter: chapter.to_owned(),
                    level,
                    harness,
                    summary: String::new(),
                },
                statement.trim().to_owned(),
            ));
        } else if trimmed.is_empty() || item.is_some() || trimmed.starts_with('#') {
            finish(current.take(), &mut out);
        } else if let Some((_, statement)) = current.as_mut() {
            statement.push(' ');
            statement.push_str(trimmed);
        }
    }
    finish(current.take(), &mut out);
    Ok(out)
}

/// First sentence of a statement, at most 200 characters.
fn summarize(statement: &str) -> String {
    let end = statement.find(". ").map_or(statement.len(), |i| i + 1);
    let first = statement[..end].trim();
    if first.chars().count() > 200 {
        let cut: String = first.chars().take(197).collect();
        format!("{cut}...")
    } else {
        first.to_owned()
    }
}

impl Spec {
    /// Load chapters, requirements, error classes and ops from a spec directory.
    pub fn load(dir: &Path) -> Result<Spec, Vec<SpecError>> {
        let mut errors = Vec::new();
        let mut chapters = Vec::new();
        let mut requirements: Vec<Requirement> = Vec::new();
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return Err(vec![SpecError(format!("{}: {e}", dir.display()))]),
        };
        files.sort();
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(stem) = name.strip_suffix(".md") else {
                continue;
            };
            let Some((num, key)) = stem.split_once('-') else {
                continue; // README.md and other non-chapter files
            };
            if num.len() != 2 || !num.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let text = match read(&path) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let title = text
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .unwrap_or(key)
                .trim()
                .to_owned();
            match parse_requirements(key, &text) {
                Ok(reqs) => requirements.extend(reqs),
                Err(e) => errors.push(SpecError(format!("{}: {e}", path.display()))),
            }
            chapters.push(Chapter {
                key: key.to_owned(),
                title,
                path,
            });
        }
        let mut seen = BTreeSet::new();
        for r in &requirements {
            if !seen.insert(r.id.clone()) {
                errors.push(SpecError(format!(
                    "requirement id {} is defined more than once",
                    r.id
                )));
            }
        }
        let error_classes = match read(&dir.join("error-classes.yaml"))
            .and_then(|t| yaml::from_str::<ClassesFile>(&t).map_err(SpecError))
        {
            Ok(f) => f.classes,
            Err(e) => {
                errors.push(SpecError(format!("error-classes.yaml: {e}")));
                BTreeMap::new()
            }
        };
        let ops = match read(&dir.join("ops.yaml"))
            .and_then(|t| yaml::from_str::<OpsFile>(&t).map_err(SpecError))
        {
            Ok(f) => f.ops,
            Err(e) => {
                errors.push(SpecError(format!("ops.yaml: {e}")));
                Vec::new()
            }
        };
        let keys: BTreeSet<&str> = chapters.iter().map(|c| c.key.as_str()).collect();
        for op in &ops {
            if op.status != "active" && op.status != "planned" {
                errors.push(SpecError(format!(
                    "ops.yaml: {}: status must be active or planned",
                    op.op
                )));
            }
            if op.status == "active" && !keys.contains(op.chapter.as_str()) {
                errors.push(SpecError(format!(
                    "ops.yaml: {}: chapter `{}` does not exist",
                    op.op, op.chapter
                )));
            }
        }
        if errors.is_empty() {
            Ok(Spec {
                dir: dir.to_owned(),
                chapters,
                requirements,
                error_classes,
                ops,
            })
        } else {
            Err(errors)
        }
    }

    /// The requirement with this id.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The op with this name.
    pub fn op(&self, name: &str) -> Option<&OpSpec> {
        self.ops.iter().find(|o| o.op == name)
    }

    /// Whether a chapter with this key exists.
    pub fn has_chapter(&self, key: &str) -> bool {
        self.chapters.iter().any(|c| c.key == key)
    }

    /// `spec/requirements.yaml` as it should read for the current chapters.
    pub fn index_yaml(&self) -> Result<String, String> {
        let body = yaml::to_string(&IndexFile {
            requirements: self.requirements.clone(),
        })?;
        Ok(format!(
            "# GENERATED from spec/*.md by `m2m-conformance spec-index`; do not edit by hand.\n\
             # {} requirements.\n{body}",
            self.requirements.len()
        ))
    }

    /// Path of the committed index.
    pub fn index_path(&self) -> PathBuf {
        self.dir.join("requirements.yaml")
    }

    /// Whether the committed index is what the chapters say (`spec-index --check`, and
    /// `cargo test`'s `suite::requirements_index_up_to_date`): the one place that check lives.
    pub fn index_check(&self) -> Result<(), String> {
        let want = self.index_yaml()?;
        let path = self.index_path();
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have == want {
            Ok(())
        } else {
            Err(format!(
                "{} is stale: run `m2m-conformance spec-index` in a checkout",
                path.display()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_requirement_id("WIRE-DETECT-003"));
        assert!(is_requirement_id("FRAME-CRC-002"));
        assert!(!is_requirement_id("wire-DETECT-003"));
        assert!(!is_requirement_id("WIRE-DETECT-03"));
        assert!(!is_requirement_id("WIRE--003"));
        assert!(!is_requirement_id("003"));
    }

    #[test]
    fn parses_items() {
        let md = "# T\n\n- **[A-B-001]** MUST: First sentence. Second one\n  continues.\n- **[A-B-002]** SHOULD (harness): Two\n\ntext\n```\n- **[A-B-009]** MUST: in code\n```\n";
        let reqs = parse_requirements("t", md).unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].summary, "First sentence.");
        assert_eq!(reqs[0].level, Level::Must);
        assert!(reqs[1].harness);
        assert!(parse_requirements("t", "- **[A-B-001]** MUSTN'T: x").is_err());
    }
}
