//! Requirement coverage: which vectors cite each requirement, split into positive and negative
//! cases.
//!
//! A case is **negative** for the requirements it cites when its `result` is `invalid` or
//! `acceptable`, or when it is a `valid` case flagged [`NEAR_MISS`]: an input just outside the
//! condition of the rule, on which an implementation that applied the rule loosely answers
//! differently (the only kind of negative a pure encoder rule such as "set the stream flag only
//! for the literal `true`" can have). Reports keep the two kinds apart.

use serde::Serialize;

use crate::spec::{Level, Spec};
use crate::vectors::{Case, Result_, Suite};

/// The case flag that makes a `valid` case a negative (boundary) check of its requirements.
pub const NEAR_MISS: &str = "NEAR_MISS";

/// Whether a `valid` case is a near-miss boundary check.
pub fn is_near_miss(case: &Case) -> bool {
    case.result == Result_::Valid && case.flags.iter().any(|f| f == NEAR_MISS)
}

/// Coverage of one requirement.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Requirement id.
    pub id: String,
    /// Chapter key.
    pub chapter: String,
    /// Level.
    pub level: Level,
    /// Enforced by the harness on every exchange.
    pub harness: bool,
    /// Ids of `valid` cases citing it (near misses excluded).
    pub positive: Vec<String>,
    /// Ids of `valid` cases flagged [`NEAR_MISS`] citing it.
    pub near_miss: Vec<String>,
    /// Ids of `invalid` or `acceptable` cases citing it.
    pub negative: Vec<String>,
    /// One line.
    pub summary: String,
}

impl Row {
    /// No vector and not harness-enforced.
    pub fn uncovered(&self) -> bool {
        !self.harness && self.positive.is_empty() && !self.has_negative()
    }

    /// Has an invalid, acceptable or near-miss case.
    pub fn has_negative(&self) -> bool {
        !self.negative.is_empty() || !self.near_miss.is_empty()
    }

    /// Has vectors, but only positive or only negative ones.
    pub fn one_sided(&self) -> bool {
        !self.harness && (self.positive.is_empty() == self.has_negative())
    }
}

/// Coverage rows, ordered: uncovered MUSTs first, then one-sided MUSTs, then the rest in spec
/// order.
pub fn rows(spec: &Spec, suite: &Suite) -> Vec<Row> {
    let mut rows: Vec<Row> = spec
        .requirements
        .iter()
        .map(|r| {
            let citing: Vec<&Case> = suite
                .cases
                .iter()
                .filter(|c| c.reqs.contains(&r.id))
                .collect();
            let ids = |keep: &dyn Fn(&Case) -> bool| -> Vec<String> {
                citing
                    .iter()
                    .filter(|c| keep(c))
                    .map(|c| c.id.clone())
                    .collect()
            };
            Row {
                id: r.id.clone(),
                chapter: r.chapter.clone(),
                level: r.level,
                harness: r.harness,
                positive: ids(&|c| c.result == Result_::Valid && !is_near_miss(c)),
                near_miss: ids(&is_near_miss),
                negative: ids(&|c| c.result != Result_::Valid),
                summary: r.summary.clone(),
            }
        })
        .collect();
    let rank = |r: &Row| match (r.level, r.uncovered(), r.one_sided()) {
        (Level::Must, true, _) => 0,
        (Level::Must, _, true) => 1,
        _ => 2,
    };
    rows.sort_by_key(|r| rank(r)); // stable: spec order within a rank
    rows
}

/// Render the coverage table as plain text.
pub fn render(rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let must = |keep: fn(&Row) -> bool| -> Vec<&Row> {
        rows.iter()
            .filter(|r| r.level == Level::Must && keep(r))
            .collect()
    };
    let uncovered = must(Row::uncovered);
    let _ = writeln!(
        out,
        "MUST requirements without any vector: {}",
        uncovered.len()
    );
    for r in &uncovered {
        let _ = writeln!(out, "  {} [{}] {}", r.id, r.chapter, r.summary);
    }
    let one = must(Row::one_sided);
    let _ = writeln!(
        out,
        "MUST requirements with only positive or only negative vectors: {}",
        one.len()
    );
    for r in &one {
        let _ = writeln!(
            out,
            "  {} [{}] +{} ~{} -{}",
            r.id,
            r.chapter,
            r.positive.len(),
            r.near_miss.len(),
            r.negative.len()
        );
    }
    let _ = writeln!(
        out,
        "\n+ valid, ~ valid near miss (flag {NEAR_MISS}), - invalid or acceptable\n"
    );
    let _ = writeln!(
        out,
        "{:<22} {:<10} {:<7} {:>4} {:>4} {:>4}  vectors",
        "requirement", "chapter", "level", "+", "~", "-"
    );
    for r in rows {
        let mut ids: Vec<&str> = r
            .positive
            .iter()
            .chain(&r.near_miss)
            .chain(&r.negative)
            .map(String::as_str)
            .collect();
        let more = ids.len().saturating_sub(4);
        ids.truncate(4);
        let list = if r.harness {
            "(enforced by the harness)".to_owned()
        } else if more > 0 {
            format!("{} … +{more}", ids.join(", "))
        } else {
            ids.join(", ")
        };
        let _ = writeln!(
            out,
            "{:<22} {:<10} {:<7} {:>4} {:>4} {:>4}  {}",
            r.id,
            r.chapter,
            r.level.to_string(),
            r.positive.len(),
            r.near_miss.len(),
            r.negative.len(),
            list
        );
    }
    out
}
