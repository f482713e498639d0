//! JUnit XML rendering of a [`Report`]: one `testsuite` per chapter, `classname` = chapter.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::Report;
use crate::judge::Verdict;

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Render the report as JUnit XML. `fail`/`non-strict` → `<failure>`, `timeout`/`crash`/
/// `harness-error` → `<error>`, `unsupported`, `known-failure` and `skipped` → `<skipped>`; `acceptable` passes with a
/// `<system-out>` note.
pub fn render(r: &Report) -> std::io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io)?;
    let mut root = BytesStart::new("testsuites");
    root.push_attribute((
        "name",
        format!("m2m-conformance {}", r.target.name).as_str(),
    ));
    root.push_attribute(("tests", r.summary.total.to_string().as_str()));
    root.push_attribute(("failures", r.summary.failures().to_string().as_str()));
    w.write_event(Event::Start(root)).map_err(io)?;
    for ch in &r.chapters {
        let cases: Vec<_> = r.cases.iter().filter(|c| c.chapter == ch.chapter).collect();
        let mut suite = BytesStart::new("testsuite");
        let failures = cases
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::NonStrict))
            .count();
        let errors = cases
            .iter()
            .filter(|c| {
                matches!(
                    c.verdict,
                    Verdict::Timeout | Verdict::Crash | Verdict::HarnessError
                )
            })
            .count();
        let skipped = cases
            .iter()
            .filter(|c| {
                matches!(
                    c.verdict,
                    Verdict::Unsupported | Verdict::KnownFailure | Verdict::Skipped
                )
            })
            .count();
        let time: f64 = cases.iter().map(|c| c.duration_ms).sum::<f64>() / 1000.0;
        suite.push_attribute(("name", ch.chapter.as_str()));
        suite.push_attribute(("tests", cases.len().to_string().as_str()));
        suite.push_attribute(("failures", failures.to_string().as_str()));
        suite.push_attribute(("errors", errors.to_string().as_str()));
        suite.push_attribute(("skipped", skipped.to_string().as_str()));
        suite.push_attribute(("time", format!("{time:.3}").as_str()));
        w.write_event(Event::Start(suite)).map_err(io)?;
        for c in cases {
            let mut tc = BytesStart::new("testcase");
            tc.push_attribute(("classname", c.chapter.as_str()));
            tc.push_attribute(("name", c.id.as_str()));
            tc.push_attribute(("time", format!("{:.6}", c.duration_ms / 1000.0).as_str()));
            w.write_event(Event::Start(tc)).map_err(io)?;
            let reason = c.reason.clone().unwrap_or_default();
            let body = match &c.diff {
                Some(d) => format!("{reason}\nreqs: {}\n{d}", c.reqs.join(", ")),
                None => reason.clone(),
            };
            let element = match c.verdict {
                Verdict::Fail | Verdict::NonStrict => Some("failure"),
                Verdict::Timeout | Verdict::Crash | Verdict::HarnessError => Some("error"),
                Verdict::Unsupported | Verdict::KnownFailure | Verdict::Skipped => Some("skipped"),
                Verdict::Acceptable => Some("system-out"),
                Verdict::Pass => None,
            };
            if let Some(name) = element {
                let mut el = BytesStart::new(name);
                if name != "system-out" {
                    el.push_attribute((
                        "message",
                        format!("{}: {reason}", c.verdict.name()).as_str(),
                    ));
                    el.push_attribute(("type", c.verdict.name()));
                }
                w.write_event(Event::Start(el)).map_err(io)?;
                w.write_event(Event::Text(BytesText::new(&body)))
                    .map_err(io)?;
                w.write_event(Event::End(BytesEnd::new(name))).map_err(io)?;
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
