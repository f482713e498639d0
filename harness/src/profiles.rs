//! Conformance profiles: named claim sets (`spec/profiles.yaml`, prose in spec/00-basis.md
//! BASIS-PROFILE-*). An implementation claims profiles with `certify --profile NAME`; inside a
//! claimed profile every case must run and pass, so `unsupported`, `non-strict`, `known-failure`
//! and `skipped` break the claim as surely as `fail` does. Without claims, a report still says
//! which profiles the run fully meets.

use serde::{Deserialize, Serialize};

use crate::judge::Verdict;
use crate::run::CaseResult;
use crate::spec::{Level, Spec};
use crate::vectors::Case;

/// The file, relative to the spec directory.
pub const FILE: &str = "profiles.yaml";

/// One selector of a profile. [BASIS-PROFILE-002]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Chapter keys.
    pub chapters: Vec<String>,
    /// Levels (default: all three).
    #[serde(default)]
    pub levels: Vec<Level>,
    /// Op prefixes (default: any op).
    #[serde(default)]
    pub ops: Vec<String>,
    /// Op prefixes excluded.
    #[serde(default)]
    pub except_ops: Vec<String>,
}

impl Selector {
    fn matches(&self, case: &Case) -> bool {
        self.chapters.iter().any(|c| c == &case.chapter)
            && (self.levels.is_empty() || self.levels.contains(&case.level))
            && (self.ops.is_empty() || self.ops.iter().any(|p| case.op.starts_with(p.as_str())))
            && !self
                .except_ops
                .iter()
                .any(|p| case.op.starts_with(p.as_str()))
    }
}

/// A named claim set. [BASIS-PROFILE-001]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name given to `--profile`.
    pub name: String,
    /// One line.
    pub title: String,
    /// What it covers.
    pub description: String,
    /// A case belongs to the profile when one selector matches.
    pub include: Vec<Selector>,
}

impl Profile {
    /// Whether `case` belongs to this profile.
    pub fn contains(&self, case: &Case) -> bool {
        self.include.iter().any(|s| s.matches(case))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    profiles: Vec<Profile>,
}

/// Every profile of the suite, in file order.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    /// The profiles.
    pub list: Vec<Profile>,
}

/// Problems in `spec/profiles.yaml`.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file cannot be read.
    #[error("spec/{FILE}: {0}")]
    Read(#[from] std::io::Error),
    /// It is not the documented shape.
    #[error("spec/{FILE}: {0}")]
    Parse(String),
    /// Two profiles share a name.
    #[error("spec/{FILE}: profile `{0}` is defined twice")]
    Duplicate(String),
    /// A name is not `[a-z0-9-]+`.
    #[error("spec/{FILE}: profile name `{0}` is not lower-case letters, digits and dashes")]
    BadName(String),
    /// A selector names a chapter the spec does not have.
    #[error(
        "spec/{FILE}: profile `{profile}` names chapter `{chapter}`, which is not a spec chapter"
    )]
    UnknownChapter {
        /// Profile.
        profile: String,
        /// Chapter.
        chapter: String,
    },
    /// A selector names an op prefix no op has.
    #[error("spec/{FILE}: profile `{profile}` names op prefix `{op}`, which matches no op of spec/ops.yaml")]
    UnknownOp {
        /// Profile.
        profile: String,
        /// Op prefix.
        op: String,
    },
    /// A profile has no selector.
    #[error("spec/{FILE}: profile `{0}` includes nothing")]
    Empty(String),
    /// `--profile` names no profile.
    #[error("no profile `{name}`; the profiles are: {known}")]
    Unknown {
        /// Asked for.
        name: String,
        /// Known names, comma-separated.
        known: String,
    },
}

impl Profiles {
    /// Read and check `spec/profiles.yaml` against the spec's chapters and ops.
    pub fn load(spec: &Spec) -> Result<Profiles, ProfileError> {
        let text = std::fs::read_to_string(spec.dir.join(FILE))?;
        Profiles::parse(&text, spec)
    }

    /// Parse and check.
    pub fn parse(text: &str, spec: &Spec) -> Result<Profiles, ProfileError> {
        let file: File =
            crate::yaml::from_str(text).map_err(|e| ProfileError::Parse(e.to_string()))?;
        let mut seen = std::collections::BTreeSet::new();
        for p in &file.profiles {
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(ProfileError::BadName(p.name.clone()));
            }
            if !seen.insert(p.name.clone()) {
                return Err(ProfileError::Duplicate(p.name.clone()));
            }
            if p.include.is_empty() {
                return Err(ProfileError::Empty(p.name.clone()));
            }
            for s in &p.include {
                for c in &s.chapters {
                    if !spec.chapters.iter().any(|ch| &ch.key == c) {
                        return Err(ProfileError::UnknownChapter {
                            profile: p.name.clone(),
                            chapter: c.clone(),
                        });
                    }
                }
                for o in s.ops.iter().chain(&s.except_ops) {
                    if !spec.ops.iter().any(|op| op.op.starts_with(o.as_str())) {
                        return Err(ProfileError::UnknownOp {
                            profile: p.name.clone(),
                            op: o.clone(),
                        });
                    }
                }
            }
        }
        Ok(Profiles {
            list: file.profiles,
        })
    }

    /// The profile called `name`.
    pub fn get(&self, name: &str) -> Result<&Profile, ProfileError> {
        self.list
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ProfileError::Unknown {
                name: name.to_owned(),
                known: self
                    .list
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Names of the claimed profiles `case` belongs to.
    pub fn claimed_containing(&self, claimed: &[String], case: &Case) -> Vec<String> {
        self.list
            .iter()
            .filter(|p| claimed.contains(&p.name) && p.contains(case))
            .map(|p| p.name.clone())
            .collect()
    }
}

/// Whether a verdict keeps a case's profiles from being met. [BASIS-PROFILE-003]
pub fn meets(v: Verdict) -> bool {
    matches!(v, Verdict::Pass | Verdict::Acceptable)
}

/// How one profile fared in a run. [BASIS-PROFILE-004]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProfileResult {
    /// Profile name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Claimed with `--profile`.
    pub claimed: bool,
    /// Every case of the profile ran and met it.
    pub conformant: bool,
    /// Cases of the profile in the suite.
    pub cases: usize,
    /// Of those, how many ran (the rest were filtered out).
    pub ran: usize,
    /// Of those that ran, how many met it (pass or acceptable).
    pub met: usize,
    /// Verdicts of the cases that ran, by verdict name (only verdicts that occur).
    pub verdicts: std::collections::BTreeMap<String, usize>,
    /// For a claimed profile that is not met: the case names (`chapter::id`) that break it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaking: Vec<String>,
}

impl ProfileResult {
    /// `CONFORMANT` or `NOT CONFORMANT`.
    pub fn status(&self) -> &'static str {
        if self.conformant {
            "CONFORMANT"
        } else {
            "NOT CONFORMANT"
        }
    }

    /// One line: `core CONFORMANT (712/712 cases)` or with what is missing.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} {} ({}/{} cases met",
            self.name,
            self.status(),
            self.met,
            self.cases
        );
        if self.ran < self.cases {
            s.push_str(&format!(", {} not run", self.cases - self.ran));
        }
        let other: Vec<String> = self
            .verdicts
            .iter()
            .filter(|(v, _)| Verdict::from_name(v).is_some_and(|v| !meets(v)))
            .map(|(v, n)| format!("{n} {v}"))
            .collect();
        if !other.is_empty() {
            s.push_str(&format!("; {}", other.join(", ")));
        }
        s.push(')');
        s
    }
}

/// Judge every profile on a run: `cases` are all cases of the suite, `results` those that ran.
pub fn evaluate(
    profiles: &Profiles,
    claimed: &[String],
    cases: &[Case],
    results: &[CaseResult],
) -> Vec<ProfileResult> {
    let by_id: std::collections::HashMap<&str, &CaseResult> =
        results.iter().map(|r| (r.id.as_str(), r)).collect();
    profiles
        .list
        .iter()
        .map(|p| {
            let mut r = ProfileResult {
                name: p.name.clone(),
                title: p.title.clone(),
                claimed: claimed.contains(&p.name),
                conformant: false,
                cases: 0,
                ran: 0,
                met: 0,
                verdicts: Default::default(),
                breaking: Vec::new(),
            };
            for case in cases.iter().filter(|c| p.contains(c)) {
                r.cases += 1;
                match by_id.get(case.id.as_str()) {
                    Some(res) => {
                        r.ran += 1;
                        *r.verdicts.entry(res.verdict.name().to_owned()).or_default() += 1;
                        if meets(res.verdict) {
                            r.met += 1;
                        } else if r.claimed {
                            r.breaking.push(case.name());
                        }
                    }
                    None if r.claimed => r.breaking.push(format!("{} (not run)", case.name())),
                    None => {}
                }
            }
            r.conformant = r.cases > 0 && r.met == r.cases;
            r
        })
        .collect()
}
