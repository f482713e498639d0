//! Requirement coverage: which vectors cite each requirement, split into positive (`valid`)
//! and negative (`invalid` / `acceptable`) cases.

use serde::Serialize;

use crate::spec::{Level, Spec};
use crate::vectors::{Result_, Suite};

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
    /// Ids of `valid` cases citing it.
    pub positive: Vec<String>,
    /// Ids of `invalid` or `acceptable` cases citing it.
    pub negative: Vec<String>,
    /// One line.
    pub summary: String,
}

impl Row {
    /// No vector and not harness-enforced.
    pub fn uncovered(&self) -> bool {
        !self.harness && self.positive.is_empty() && self.negative.is_empty()
    }

    /// Has vectors, but only of one polarity.
    pub fn one_sided(&self) -> bool {
        !self.harness && (self.positive.is_empty() != self.negative.is_empty())
    }
}

/// Coverage rows, ordered: uncovered MUSTs first, then one-sided MUSTs, then the rest in spec
/// order.
pub fn rows(spec: &Spec, suite: &Suite) -> Vec<Row> {
    let mut rows: Vec<Row> = spec
        .requirements
        .iter()
        .map(|r| {
            let citing = suite.cases.iter().filter(|c| c.reqs.contains(&r.id));
            let (pos, neg): (Vec<_>, Vec<_>) = citing.partition(|c| c.result == Result_::Valid);
            Row {
                id: r.id.clone(),
                chapter: r.chapter.clone(),
                level: r.level,
                harness: r.harness,
                positive: pos.into_iter().map(|c| c.id.clone()).collect(),
                negative: neg.into_iter().map(|c| c.id.clone()).collect(),
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
    let uncovered: Vec<_> = rows
        .iter()
        .filter(|r| r.level == Level::Must && r.uncovered())
        .collect();
    let _ = writeln!(
        out,
        "MUST requirements without any vector: {}",
        uncovered.len()
    );
    for r in &uncovered {
        let _ = writeln!(out, "  {} [{}] {}", r.id, r.chapter, r.summary);
    }
    let one: Vec<_> = rows
        .iter()
        .filter(|r| r.level == Level::Must && r.one_sided())
        .collect();
    let _ = writeln!(
        out,
        "MUST requirements with only positive or only negative vectors: {}",
        one.len()
    );
    for r in &one {
        let _ = writeln!(
            out,
            "  {} [{}] +{} -{}",
            r.id,
            r.chapter,
            r.positive.len(),
            r.negative.len()
        );
    }
    let _ = writeln!(
        out,
        "\n{:<22} {:<10} {:<7} {:>4} {:>4}  vectors",
        "requirement", "chapter", "level", "+", "-"
    );
    for r in rows {
        let mut ids: Vec<&str> = r
            .positive
            .iter()
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
            "{:<22} {:<10} {:<7} {:>4} {:>4}  {}",
            r.id,
            r.chapter,
            r.level.to_string(),
            r.positive.len(),
            r.negative.len(),
            list
        );
    }
    out
}
