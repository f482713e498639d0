//! JUnit XML rendering of a [`Report`]: one `testsuite` per chapter, `classname` = chapter.
//!
//! - `crash`, `timeout`, `harness-error` → `<error>`;
//! - `fail`, and any verdict that breaks a claimed profile (e.g. `unsupported` inside one) →
//!   `<failure>`;
//! - `unsupported`, `known-failure`, `skipped` outside claimed profiles → `<skipped>`;
//! - `pass`, `acceptable`, `non-strict` outside claimed profiles pass (the latter two with a
//!   `<system-out>` note).
//!
//! Every `<error>` and `<failure>` carries the request line, expected, actual, diff and
//! response in its body, and the tail of the testee's stderr in `<system-err>`. The counts of
//! `<testsuites>` are the sums of those of its `<testsuite>`s.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::Report;
use crate::judge::Verdict;
use crate::result::CaseResult;

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// What a case is in JUnit terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Passed (possibly with a note).
    Pass,
    /// `<skipped>`.
    Skipped,
    /// `<failure>`.
    Failure,
    /// `<error>`.
    Error,
}

/// The JUnit kind of a case.
pub fn kind(c: &CaseResult) -> Kind {
    match c.verdict {
        Verdict::Timeout | Verdict::Crash | Verdict::HarnessError => Kind::Error,
        Verdict::Fail => Kind::Failure,
        _ if super::console::counts_against(c) => Kind::Failure,
        Verdict::Unsupported | Verdict::KnownFailure | Verdict::Skipped => Kind::Skipped,
        Verdict::Pass | Verdict::Acceptable | Verdict::NonStrict => Kind::Pass,
    }
}

#[derive(Default)]
struct Tally {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    time_ms: f64,
}

impl Tally {
    fn add(&mut self, c: &CaseResult) {
        self.tests += 1;
        self.time_ms += c.duration_ms;
        match kind(c) {
            Kind::Pass => {}
            Kind::Skipped => self.skipped += 1,
            Kind::Failure => self.failures += 1,
            Kind::Error => self.errors += 1,
        }
    }

    fn attributes(&self, el: &mut BytesStart) {
        el.push_attribute(("tests", self.tests.to_string().as_str()));
        el.push_attribute(("failures", self.failures.to_string().as_str()));
        el.push_attribute(("errors", self.errors.to_string().as_str()));
        el.push_attribute(("skipped", self.skipped.to_string().as_str()));
        el.push_attribute(("time", format!("{:.3}", self.time_ms / 1000.0).as_str()));
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The body of a `<failure>`/`<error>`: why, reqs, request line, expected, actual, diff,
/// response line.
fn evidence(c: &CaseResult) -> String {
    let mut s = format!(
        "{}: {}\nreqs: {}\nop: {}\n",
        c.verdict.name(),
        c.reason.as_deref().unwrap_or("-"),
        c.reqs.join(", "),
        c.op
    );
    if !c.profiles.is_empty() {
        s.push_str(&format!("claimed profiles: {}\n", c.profiles.join(", ")));
    }
    if let Some(e) = &c.evidence {
        if !e.request.is_empty() {
            s.push_str(&format!("request: {}\n", e.request));
        }
    }
    if let Some(v) = c.expected.as_ref().filter(|v| !v.is_null()) {
        s.push_str(&format!("expected:\n{}\n", pretty(v)));
    }
    if let Some(v) = c.actual.as_ref().filter(|v| !v.is_null()) {
        s.push_str(&format!("actual:\n{}\n", pretty(v)));
    }
    if let Some(d) = &c.diff {
        s.push_str(&format!("diff expected → actual:\n{}\n", d.trim_end()));
    }
    if let Some(r) = c.evidence.as_ref().and_then(|e| e.response.as_deref()) {
        s.push_str(&format!("response: {r}\n"));
    }
    s
}

fn element(
    w: &mut Writer<Vec<u8>>,
    name: &str,
    attrs: &[(&str, &str)],
    body: &str,
) -> std::io::Result<()> {
    let mut el = BytesStart::new(name);
    for a in attrs {
        el.push_attribute(*a);
    }
    w.write_event(Event::Start(el)).map_err(io)?;
    w.write_event(Event::Text(BytesText::new(body)))
        .map_err(io)?;
    w.write_event(Event::End(BytesEnd::new(name))).map_err(io)?;
    Ok(())
}

/// Render the report as JUnit XML.
pub fn render(r: &Report) -> std::io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io)?;
    // Chapters in report order, then any chapter a case names that the summary lacks.
    let mut chapters: Vec<&str> = r.chapters.iter().map(|c| c.chapter.as_str()).collect();
    for c in &r.cases {
        if !chapters.contains(&c.chapter.as_str()) {
            chapters.push(&c.chapter);
        }
    }
    let mut total = Tally::default();
    for c in &r.cases {
        total.add(c);
    }
    let mut root = BytesStart::new("testsuites");
    root.push_attribute((
        "name",
        format!("m2m-conformance {} {}", r.target.name, r.target.version).as_str(),
    ));
    total.attributes(&mut root);
    w.write_event(Event::Start(root)).map_err(io)?;
    for ch in chapters {
        let cases: Vec<&CaseResult> = r.cases.iter().filter(|c| c.chapter == ch).collect();
        let mut tally = Tally::default();
        for c in &cases {
            tally.add(c);
        }
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", ch));
        tally.attributes(&mut suite);
        w.write_event(Event::Start(suite)).map_err(io)?;
        for c in cases {
            let mut tc = BytesStart::new("testcase");
            tc.push_attribute(("classname", c.chapter.as_str()));
            tc.push_attribute(("name", c.id.as_str()));
            tc.push_attribute(("time", format!("{:.6}", c.duration_ms / 1000.0).as_str()));
            w.write_event(Event::Start(tc)).map_err(io)?;
            let reason = c.reason.as_deref().unwrap_or("");
            let message = if c.verdict.is_failure() || !super::console::counts_against(c) {
                format!(
                    "{}: {}",
                    c.verdict.name(),
                    super::console::one_line(reason, 300)
                )
            } else {
                format!(
                    "{} inside claimed profile(s) {}: {}",
                    c.verdict.name(),
                    c.profiles.join(", "),
                    super::console::one_line(reason, 300)
                )
            };
            match kind(c) {
                Kind::Error | Kind::Failure => {
                    let name = if kind(c) == Kind::Error {
                        "error"
                    } else {
                        "failure"
                    };
                    element(
                        &mut w,
                        name,
                        &[("message", &message), ("type", c.verdict.name())],
                        &evidence(c),
                    )?;
                    if let Some(err) = c
                        .evidence
                        .as_ref()
                        .and_then(|e| e.stderr.as_deref())
                        .filter(|s| !s.trim().is_empty())
                    {
                        element(
                            &mut w,
                            "system-err",
                            &[],
                            &super::markdown::tail(err, super::markdown::STDERR_TAIL_LINES),
                        )?;
                    }
                }
                Kind::Skipped => {
                    element(&mut w, "skipped", &[("message", &message)], "")?;
                }
                Kind::Pass if c.verdict != Verdict::Pass => {
                    element(&mut w, "system-out", &[], &message)?;
                }
                Kind::Pass => {}
            }
            w.write_event(Event::End(BytesEnd::new("testcase")))
                .map_err(io)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))
            .map_err(io)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))
        .map_err(io)?;
    let mut s = String::from_utf8(w.into_inner()).map_err(io)?;
    s.push('\n');
    Ok(s)
}
