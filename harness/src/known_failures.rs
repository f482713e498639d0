//! Known-failure lists: let an implementation's CI pass on its known gaps and fail on any change.
//!
//! One YAML file per implementation (e.g. `reports/m2m-protocol-0.4.0/known-failures.yaml`):
//!
//! ```yaml
//! known_failures:
//!   - id: frame-dec-trailing-1          # a case id (or `chapter::id`)
//!     requirement: FRAME-DECODE-009     # required: a requirement the case cites
//!     reason: we ignore bytes after the payload (issue 12)
//!     verdict: fail                     # optional: fail or non-strict
//!   - id: "frame-enc-role-*"            # a glob (`*` = any run of characters) ...
//!     count: 4                          # ... must say exactly how many cases it matches
//!     requirement: FRAME-ENC-012
//!     reason: unknown roles are encoded instead of rejected
//! skip:                                 # never run (e.g. a case that wedges the testee)
//!   - id: limits-huge-*
//!     count: 2
//!     requirement: WIRE-LIMIT-003
//!     reason: the testee allocates the whole claimed size and is OOM-killed
//! ```
//!
//! The semantics are protobuf's conformance failure lists, made strict:
//! - a listed case that fails as expected gets `known-failure`;
//! - a listed case that passes (or is acceptable, or unsupported) is a `fail`: remove the entry;
//! - a listed case that fails with another verdict than the one pinned stays a failure;
//! - an unlisted failure fails as usual;
//! - no entry covers a `crash`, `timeout` or `harness-error`: such a case fails the run whatever
//!   the list says, and the reason says why (a testee that dies or hangs is never "known");
//! - every entry needs a real reason: an empty one, or a placeholder (`UNEXPLAINED`, `TODO`,
//!   `FIXME`, `TBD`, `?`) or one under 10 characters, refuses the whole list;
//! - an entry that matches no case, a glob whose `count` is not the number of cases it matches,
//!   a requirement the matched cases do not cite, or a case matched by two entries stops the run
//!   as a setup error: the list can never silently cover more, or less, than it says;
//! - skipped cases are not run and get the verdict `skipped` (reported, never a failure).
//!
//! `certify --update-known-failures` rewrites the list from a run ([`KnownFailures::updated`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::judge::Verdict;
use crate::result::CaseResult;
use crate::vectors::Suite;
use crate::yaml;

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    known_failures: Vec<RawEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skip: Vec<RawEntry>,
}

#[derive(Deserialize, Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
    requirement: String,
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verdict: Option<String>,
}

/// One expected failure or skip, after validation.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The id or glob as written.
    pub pattern: String,
    /// The requirement the entry is about.
    pub requirement: String,
    /// Why the case fails (or is skipped).
    pub reason: String,
    /// The failing verdict expected, if pinned.
    pub verdict: Option<Verdict>,
    /// The case ids it matches.
    pub cases: Vec<String>,
}

/// A loaded, validated list.
#[derive(Debug, Clone, Default)]
pub struct KnownFailures {
    failures: Vec<Entry>,
    skips: Vec<Entry>,
    /// case id → (is_skip, index into failures / skips)
    by_case: BTreeMap<String, (bool, usize)>,
}

/// Whether `id` matches `pattern`, where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, id: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == id;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !id.starts_with(first) || id.len() < first.len() + last.len() || !id.ends_with(last) {
        return false;
    }
    let mut rest = &id[first.len()..id.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

fn bare(id: &str) -> &str {
    id.rsplit_once("::").map_or(id, |(_, id)| id)
}

impl KnownFailures {
    /// Parse and validate a list against the suite.
    pub fn parse(text: &str, suite: &Suite) -> Result<KnownFailures, Vec<String>> {
        let file: File = yaml::from_str(text).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let mut kf = KnownFailures::default();
        for (is_skip, raws) in [(false, file.known_failures), (true, file.skip)] {
            for raw in raws {
                let section = if is_skip { "skip" } else { "known_failures" };
                let at = format!("{section}: `{}`", raw.id);
                let pattern = bare(&raw.id).to_owned();
                let cases: Vec<&crate::vectors::Case> = suite
                    .cases
                    .iter()
                    .filter(|c| glob_match(&pattern, &c.id))
                    .collect();
                let is_glob = pattern.contains('*');
                match (is_glob, raw.count) {
                    (_, _) if cases.is_empty() => {
                        errors.push(format!("{at}: matches no case in the suite"))
                    }
                    (true, None) => errors.push(format!(
                        "{at}: a glob needs `count` (it matches {} cases)",
                        cases.len()
                    )),
                    (true, Some(n)) if n != cases.len() => errors.push(format!(
                        "{at}: `count` is {n} but the glob matches {} cases",
                        cases.len()
                    )),
                    (false, Some(_)) => errors.push(format!("{at}: `count` is only for globs")),
                    _ => {}
                }
                if let Some(why) = placeholder_reason(&raw.reason) {
                    errors.push(format!("{at}: {why}"));
                }
                if let Some(c) = cases
                    .iter()
                    .find(|c| !c.reqs.iter().any(|r| r == &raw.requirement))
                {
                    errors.push(format!(
                        "{at}: case `{}` does not cite requirement {}",
                        c.id, raw.requirement
                    ));
                }
                let verdict = match raw.verdict.as_deref() {
                    None => None,
                    Some(_) if is_skip => {
                        errors.push(format!("{at}: a skip has no verdict"));
                        None
                    }
                    Some(name) => match Verdict::from_name(name) {
                        Some(v) if !coverable(v) && v.is_failure() => {
                            errors.push(format!(
                                "{at}: a known-failure entry never covers a {name}: fix the testee"
                            ));
                            None
                        }
                        Some(v) if v.is_failure() || v == Verdict::NonStrict => Some(v),
                        _ => {
                            errors.push(format!("{at}: `{name}` is not a failing verdict"));
                            None
                        }
                    },
                };
                let list = if is_skip {
                    &mut kf.skips
                } else {
                    &mut kf.failures
                };
                let index = list.len();
                for c in &cases {
                    if kf.by_case.insert(c.id.clone(), (is_skip, index)).is_some() {
                        errors.push(format!("{at}: case `{}` is matched twice", c.id));
                    }
                }
                list.push(Entry {
                    pattern,
                    requirement: raw.requirement,
                    reason: raw.reason,
                    verdict,
                    cases: cases.iter().map(|c| c.id.clone()).collect(),
                });
            }
        }
        if errors.is_empty() {
            Ok(kf)
        } else {
            Err(errors)
        }
    }

    /// Load a list from a file.
    pub fn load(path: &Path, suite: &Suite) -> Result<KnownFailures, Vec<String>> {
        let text =
            std::fs::read_to_string(path).map_err(|e| vec![format!("{}: {e}", path.display())])?;
        Self::parse(&text, suite).map_err(|errs| {
            errs.into_iter()
                .map(|e| format!("{}: {e}", path.display()))
                .collect()
        })
    }

    /// Number of expected-failure entries.
    pub fn len(&self) -> usize {
        self.failures.len()
    }

    /// Whether the list has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty() && self.skips.is_empty()
    }

    /// The skip entry for a case, if the case must not be run.
    pub fn skip(&self, id: &str) -> Option<&Entry> {
        match self.by_case.get(id) {
            Some((true, i)) => self.skips.get(*i),
            _ => None,
        }
    }

    fn failure(&self, id: &str) -> Option<&Entry> {
        match self.by_case.get(id) {
            Some((false, i)) => self.failures.get(*i),
            _ => None,
        }
    }

    /// Rewrite the verdict of a judged case according to the list, keeping the verdict the
    /// judge gave in [`CaseResult::judged`].
    pub fn apply(&self, r: &mut CaseResult) {
        let Some(entry) = self.failure(&r.id) else {
            return;
        };
        let was = r.verdict;
        r.judged = Some(was);
        let detail = r.reason.clone().unwrap_or_default();
        let failing = was.is_failure() || was == Verdict::NonStrict;
        if failing && !coverable(was) {
            r.reason = Some(format!(
                "listed as a known failure ({}), but a known-failure entry never covers a {}: {detail}",
                entry.pattern,
                was.name()
            ));
        } else if !failing {
            r.verdict = Verdict::Fail;
            r.reason = Some(format!(
                "listed as a known failure ({}, {}) but the verdict is {}: remove the entry `{}`",
                entry.requirement,
                entry.reason,
                was.name(),
                entry.pattern
            ));
        } else if entry.verdict.is_some_and(|v| v != was) {
            r.reason = Some(format!(
                "listed as a known {} ({}) but the verdict is {}: {detail}",
                entry.verdict.map_or("", Verdict::name),
                entry.reason,
                was.name()
            ));
        } else {
            r.verdict = Verdict::KnownFailure;
            r.reason = Some(format!(
                "known failure of {}: {} (was {}: {detail})",
                entry.requirement,
                entry.reason,
                was.name()
            ));
        }
    }

    /// The list rewritten from a run: entries whose cases still all fail are kept as written
    /// (reason and requirement included); entries with cases that no longer fail shrink to the
    /// ids that still do; failures nobody listed get new entries whose reason starts with
    /// `UNEXPLAINED` for a human to replace (or, for a case with flags, name the flags that explain
    /// it). Entries for cases the run did not select, and
    /// skips, are kept unchanged. Returns the YAML text.
    pub fn updated(&self, results: &[CaseResult], suite: &Suite) -> Update {
        let judged: BTreeMap<&str, &CaseResult> =
            results.iter().map(|r| (r.id.as_str(), r)).collect();
        let still_failing = |id: &str| -> Option<bool> {
            judged.get(id).map(|r| {
                let v = r.judged.unwrap_or(r.verdict);
                (v.is_failure() || v == Verdict::NonStrict) && coverable(v)
            })
        };
        let mut uncoverable = Vec::new();
        let mut unexplained = 0;
        let mut out = File::default();
        let mut covered = BTreeSet::new();
        for e in &self.failures {
            let failing: Vec<&String> = e
                .cases
                .iter()
                .filter(|id| still_failing(id).unwrap_or(true))
                .collect();
            covered.extend(e.cases.iter().cloned());
            let raw = |id: &str, count| RawEntry {
                id: id.to_owned(),
                count,
                requirement: e.requirement.clone(),
                reason: e.reason.clone(),
                verdict: e.verdict.map(|v| v.name().to_owned()),
            };
            if failing.len() == e.cases.len() {
                let count = e.pattern.contains('*').then_some(e.cases.len());
                out.known_failures.push(raw(&e.pattern, count));
            } else {
                out.known_failures
                    .extend(failing.iter().map(|id| raw(id.as_str(), None)));
            }
        }
        for r in results {
            let v = r.judged.unwrap_or(r.verdict);
            let failing = v.is_failure() || v == Verdict::NonStrict;
            if failing && !coverable(v) {
                uncoverable.push(format!("{} {}::{}", v.name(), r.chapter, r.id));
                continue;
            }
            if failing && !covered.contains(&r.id) && self.skip(&r.id).is_none() {
                let why: String = r
                    .reason
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .take(160)
                    .collect();
                // A flagged case carries its explanation in the vectors' flag declarations.
                let meanings: Vec<String> = r
                    .flags
                    .iter()
                    .map(|f| {
                        let meaning = suite.flags.get(&r.file).and_then(|m| m.get(f));
                        format!("{f} ({})", meaning.map_or("", String::as_str).trim())
                    })
                    .collect();
                let reason = if r.flags.is_empty() {
                    unexplained += 1;
                    format!("UNEXPLAINED ({}): {why}", v.name())
                } else {
                    format!("flagged {}", meanings.join("; "))
                };
                out.known_failures.push(RawEntry {
                    id: r.id.clone(),
                    count: None,
                    requirement: r.reqs.first().cloned().unwrap_or_default(),
                    reason,
                    verdict: None,
                });
            }
        }
        out.skip = self
            .skips
            .iter()
            .map(|e| RawEntry {
                id: e.pattern.clone(),
                count: e.pattern.contains('*').then_some(e.cases.len()),
                requirement: e.requirement.clone(),
                reason: e.reason.clone(),
                verdict: None,
            })
            .collect();
        let body = yaml::to_string(&out).unwrap_or_default();
        Update {
            text: format!(
                "# Known failures (see harness/src/known_failures.rs for the semantics).\n\
                 # Rewritten by `m2m-conformance certify --update-known-failures`. Every\n\
                 # UNEXPLAINED reason must be replaced by a real one: the list is refused until then.\n{body}"
            ),
            uncoverable,
            unexplained,
        }
    }
}

/// A list rewritten from a run ([`KnownFailures::updated`]).
#[derive(Debug, Clone)]
pub struct Update {
    /// The new file.
    pub text: String,
    /// Failures no entry may cover (crash, timeout, harness-error), as `verdict chapter::id`;
    /// left out of the list.
    pub uncoverable: Vec<String>,
    /// Entries written with an `UNEXPLAINED` reason.
    pub unexplained: usize,
}

/// The rewritten list `new` under the leading comment block of the file it replaces, when that
/// file had one: a rewrite keeps what its owner wrote about the list.
pub fn keep_header(old: Option<&str>, new: &str) -> String {
    let header = |text: &str| {
        text.split_inclusive('\n')
            .take_while(|l| l.starts_with('#'))
            .map(str::len)
            .sum::<usize>()
    };
    match old {
        Some(old) if header(old) > 0 => {
            let mut out = old[..header(old)].to_owned();
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&new[header(new)..]);
            out
        }
        _ => new.to_owned(),
    }
}

/// Whether a failing verdict may be listed: a crash, a timeout or a harness error never is.
pub fn coverable(v: Verdict) -> bool {
    !matches!(v, Verdict::Crash | Verdict::Timeout | Verdict::HarnessError)
}

/// Why `reason` is not a real reason, if it is not.
pub fn placeholder_reason(reason: &str) -> Option<String> {
    let r = reason.trim();
    let upper = r.to_ascii_uppercase();
    if r.is_empty() {
        return Some("a reason is required".to_owned());
    }
    for p in ["UNEXPLAINED", "TODO", "FIXME", "TBD", "XXX", "?"] {
        if upper.starts_with(p) {
            return Some(format!(
                "the reason `{}` is a placeholder: say why the case fails",
                r.chars().take(60).collect::<String>()
            ));
        }
    }
    if r.chars().count() < 10 {
        return Some(format!(
            "the reason `{r}` is too short to explain anything (10 characters at least)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_keeps_the_header_its_owner_wrote() {
        let new = "# generated header\n# two\nknown_failures:\n- id: a\n";
        let old = "# my list: why it exists\r\n# how CI runs it\nknown_failures: []\n";
        assert_eq!(
            keep_header(Some(old), new),
            "# my list: why it exists\r\n# how CI runs it\nknown_failures:\n- id: a\n"
        );
        assert_eq!(keep_header(Some("known_failures: []\n"), new), new);
        assert_eq!(keep_header(None, new), new);
        assert_eq!(
            keep_header(Some("# no newline"), new),
            "# no newline\nknown_failures:\n- id: a\n"
        );
    }
    use crate::spec::Level;
    use crate::vectors::{Case, Expect, Result_};

    fn suite() -> Suite {
        let case = |id: &str| Case {
            id: id.into(),
            chapter: "c".into(),
            file: "f.yaml".into(),
            reqs: vec!["X-Y-001".into()],
            description: "d".into(),
            op: "wire.detect".into(),
            input: serde_json::json!({}),
            expect: Expect::Unsupported,
            lenient: None,
            result: Result_::Valid,
            flags: vec![],
            confirmed_by: None,
            level: Level::Must,
            tolerance: None,
        };
        Suite {
            dir: ".".into(),
            cases: vec![
                case("a"),
                case("b"),
                case("c"),
                case("flip-1"),
                case("flip-2"),
            ],
            flags: BTreeMap::new(),
        }
    }

    fn result(id: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            id: id.into(),
            chapter: "c".into(),
            file: "f.yaml".into(),
            reqs: vec!["X-Y-001".into()],
            op: "wire.detect".into(),
            result: "valid",
            flags: vec![],
            verdict,
            profiles: Vec::new(),
            judged: None,
            reason: Some("why".into()),
            duration_ms: 0.0,
            expected: None,
            actual: None,
            diff: None,
            evidence: None,
        }
    }

    const LIST: &str = "known_failures:\n  - {id: a, requirement: X-Y-001, reason: a gap in the decoder}\n  - {id: 'c::b', requirement: X-Y-001, reason: answers the wrong class, verdict: fail}\n  - {id: 'flip-*', count: 2, requirement: X-Y-001, reason: flipped bits are not detected}\nskip:\n  - {id: c, requirement: X-Y-001, reason: wedges the testee for minutes}\n";

    #[test]
    fn strict_semantics() {
        let kf = KnownFailures::parse(LIST, &suite()).unwrap();
        assert_eq!(kf.len(), 3);
        let mut r = result("a", Verdict::Fail);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::KnownFailure);
        assert_eq!(r.judged, Some(Verdict::Fail));
        let mut r = result("a", Verdict::Pass);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::Fail, "an unexpected pass fails");
        let mut r = result("b", Verdict::NonStrict);
        kf.apply(&mut r);
        assert_eq!(
            r.verdict,
            Verdict::NonStrict,
            "another failing verdict than the pinned one stays"
        );
        let mut r = result("b", Verdict::Fail);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::KnownFailure);
        let mut r = result("flip-2", Verdict::NonStrict);
        kf.apply(&mut r);
        assert_eq!(r.verdict, Verdict::KnownFailure, "globs match");
        assert!(kf.skip("c").is_some() && kf.skip("a").is_none());
        let mut r = result("c", Verdict::Fail);
        kf.apply(&mut r);
        assert_eq!(
            r.verdict,
            Verdict::Fail,
            "a skip is not an expected failure"
        );
    }

    #[test]
    fn no_entry_covers_a_crash_a_timeout_or_a_harness_error() {
        let kf = KnownFailures::parse(LIST, &suite()).unwrap();
        for v in [Verdict::Crash, Verdict::Timeout, Verdict::HarnessError] {
            let mut r = result("a", v);
            kf.apply(&mut r);
            assert_eq!(r.verdict, v, "{v:?} stays a failure");
            assert!(
                r.reason.as_deref().unwrap().contains("never covers"),
                "{:?}",
                r.reason
            );
        }
        for v in ["timeout", "crash", "harness-error"] {
            let text = format!(
                "known_failures:\n  - {{id: a, requirement: X-Y-001, reason: it hangs on big input, verdict: {v}}}\n"
            );
            let errs = KnownFailures::parse(&text, &suite()).unwrap_err();
            assert!(errs[0].contains("never covers"), "{errs:?}");
        }
    }

    #[test]
    fn placeholder_reasons_refuse_the_list() {
        for reason in [
            "UNEXPLAINED (fail): x",
            "TODO",
            "fixme later please",
            "?",
            "gap",
            "tbd: look into it",
        ] {
            let text = format!(
                "known_failures:\n  - {{id: a, requirement: X-Y-001, reason: '{reason}'}}\n"
            );
            assert!(
                KnownFailures::parse(&text, &suite()).is_err(),
                "accepted `{reason}`"
            );
        }
        assert!(placeholder_reason("the decoder ignores trailing bytes").is_none());
    }

    #[test]
    fn bad_lists_are_rejected() {
        let s = suite();
        let bad = [
            "known_failures:\n  - {id: zz, requirement: X-Y-001, reason: x}\n",
            "known_failures:\n  - {id: a, requirement: X-Y-001, reason: ''}\n",
            "known_failures:\n  - {id: a, requirement: X-Y-001, reason: x, verdict: pass}\n",
            "known_failures:\n  - {id: a, requirement: X-Y-001, reason: x}\n  - {id: a, requirement: X-Y-001, reason: y}\n",
            "known_failures:\n  - {id: a, requirement: X-Y-001, why: x}\n",
            "known_failures:\n  - {id: a, reason: x}\n",
            "known_failures:\n  - {id: a, requirement: Z-Z-009, reason: x}\n",
            "known_failures:\n  - {id: 'flip-*', requirement: X-Y-001, reason: unbounded}\n",
            "known_failures:\n  - {id: 'flip-*', count: 3, requirement: X-Y-001, reason: wrong bound}\n",
            "known_failures:\n  - {id: a, count: 1, requirement: X-Y-001, reason: not a glob}\n",
            "skip:\n  - {id: a, requirement: X-Y-001, reason: x, verdict: fail}\n",
            "known_failures:\n  - {id: a, requirement: X-Y-001, reason: x}\nskip:\n  - {id: '*', count: 5, requirement: X-Y-001, reason: overlap}\n",
        ];
        for text in bad {
            assert!(KnownFailures::parse(text, &s).is_err(), "accepted: {text}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("flip-*", "flip-12"));
        assert!(glob_match("*-12", "flip-12"));
        assert!(glob_match("f*p*2", "flip-12"));
        assert!(!glob_match("f*x*2", "flip-12"));
        assert!(!glob_match("flip-*-*", "flip-1"));
        assert!(glob_match("exact", "exact") && !glob_match("exact", "exactly"));
    }

    #[test]
    fn update_keeps_explained_entries_drops_fixed_ones_and_adds_new_failures() {
        let kf = KnownFailures::parse(LIST, &suite()).unwrap();
        let mut results = vec![
            result("a", Verdict::Pass),      // fixed: entry dropped
            result("b", Verdict::Fail),      // still failing: kept
            result("flip-1", Verdict::Fail), // glob half fixed: shrinks to flip-1
            result("flip-2", Verdict::Pass),
        ];
        for r in &mut results {
            kf.apply(r);
        }
        let mut extra = result("a", Verdict::Fail);
        extra.id = "new".into();
        results.push(extra);
        let mut crashed = result("a", Verdict::Crash);
        crashed.id = "dies".into();
        results.push(crashed);
        let update = kf.updated(&results, &suite());
        let text = &update.text;
        assert!(!text.contains("id: a\n"), "{text}");
        assert!(
            text.contains("id: c::b") || text.contains("id: b"),
            "{text}"
        );
        assert!(
            text.contains("id: flip-1") && !text.contains("flip-*"),
            "{text}"
        );
        assert!(
            text.contains("id: new") && text.contains("UNEXPLAINED (fail)"),
            "{text}"
        );
        assert_eq!(update.unexplained, 1);
        assert!(
            !text.contains("id: dies"),
            "a crash is never listed: {text}"
        );
        assert_eq!(update.uncoverable, vec!["crash c::dies".to_owned()]);
        assert!(text.contains("skip:") && text.contains("wedges"), "{text}");
        // The rewritten list is refused until the UNEXPLAINED reason is replaced.
        let mut suite = suite();
        suite.cases.push(suite.cases[0].clone());
        suite.cases.last_mut().unwrap().id = "new".into();
        assert!(KnownFailures::parse(text, &suite).is_err());
    }
}
