//! `export --format json`: the whole suite as plain JSON that any language can read, with no
//! harness and no YAML. [BASIS-PROFILE-005]
//!
//! One file per chapter, `<chapter>.json`, in the style of Wycheproof: a header (chapter, title,
//! suite version and content hash, the requirements its cases cite, its flags) and the cases,
//! exactly as [`crate::vectors::load`] loaded them, generators expanded. Beside them,
//! `schema.json` (JSON Schema 2020-12, committed as `spec/export.schema.json`) describes every
//! chapter file. The output is deterministic: chapters in spec order, cases in suite order,
//! object keys sorted.
//!
//! `examples/export/run_export.py` is a second interpreter of the suite that reads only this
//! export; `harness/tests/export.rs` checks that it judges a testee as the harness does.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::spec::{Level, Spec};
use crate::suite_data::SuiteRoot;
use crate::vectors::{Case, Expect, Suite};

/// The JSON Schema of a chapter file, written as `schema.json` beside them.
pub const SCHEMA: &str = include_str!("../../spec/export.schema.json");

/// The `format` string of every chapter file.
pub const FORMAT: &str = "m2m-conformance-export";

/// The version of the export format ([`SCHEMA`]).
pub const FORMAT_VERSION: u64 = 1;

/// The file [`SCHEMA`] is written to.
pub const SCHEMA_FILE: &str = "schema.json";

/// Output formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON file per chapter plus `schema.json`.
    Json,
}

/// The arguments of `export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Folder to write into (created if needed; other files in it are left alone).
    #[arg(long)]
    pub out: PathBuf,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// What [`export`] wrote.
#[derive(Debug, Clone, Default)]
pub struct Exported {
    /// Per chapter file: (chapter key, path, cases, bytes).
    pub files: Vec<(String, PathBuf, usize, u64)>,
}

impl Exported {
    /// Cases written, over all files.
    pub fn cases(&self) -> usize {
        self.files.iter().map(|f| f.2).sum()
    }

    /// Bytes written, over all chapter files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.3).sum()
    }
}

#[derive(Serialize)]
struct ChapterFile<'a> {
    format: &'static str,
    format_version: u64,
    chapter: &'a str,
    title: &'a str,
    suite: &'static str,
    suite_version: &'static str,
    suite_hash: &'a str,
    requirements: Vec<RequirementOut<'a>>,
    flags: BTreeMap<&'a str, String>,
    cases: Vec<CaseOut<'a>>,
}

#[derive(Serialize)]
struct RequirementOut<'a> {
    id: &'a str,
    level: Level,
    text: &'a str,
}

/// `{"ok": value}`, `{"error": class}` or `{"unsupported": true}`, as in the vector files.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum ExpectOut<'a> {
    Ok(&'a Value),
    Error(&'a str),
    Unsupported(bool),
}

impl<'a> From<&'a Expect> for ExpectOut<'a> {
    fn from(e: &'a Expect) -> Self {
        match e {
            Expect::Ok(v) => ExpectOut::Ok(v),
            Expect::Error(c) => ExpectOut::Error(c),
            Expect::Unsupported => ExpectOut::Unsupported(true),
        }
    }
}

#[derive(Serialize)]
struct ToleranceOut {
    abs: f64,
    rel: f64,
}

/// One case. Borrowed, so a 16 MiB argument is serialised straight from the loaded suite.
#[derive(Serialize)]
struct CaseOut<'a> {
    id: &'a str,
    reqs: &'a [String],
    description: &'a str,
    op: &'a str,
    args: &'a Value,
    expect: ExpectOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lenient: Option<ExpectOut<'a>>,
    result: &'static str,
    flags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    tolerance: Option<ToleranceOut>,
    confirmed_by: Option<&'a str>,
    level: Level,
}

impl<'a> From<&'a Case> for CaseOut<'a> {
    fn from(c: &'a Case) -> Self {
        CaseOut {
            id: &c.id,
            reqs: &c.reqs,
            description: &c.description,
            op: &c.op,
            args: &c.input,
            expect: (&c.expect).into(),
            lenient: c.lenient.as_ref().map(Into::into),
            result: c.result.name(),
            flags: &c.flags,
            tolerance: c.tolerance.map(|t| ToleranceOut {
                abs: t.abs,
                rel: t.rel,
            }),
            confirmed_by: c.confirmed_by.as_deref(),
            level: c.level,
        }
    }
}

/// Write the suite `spec` + `suite` (loaded from `root`) into `out` as `schema.json` and one
/// `<chapter>.json` per chapter that has cases. `out` is created if needed; other files in it are
/// left alone.
pub fn export(
    spec: &Spec,
    suite: &Suite,
    root: &SuiteRoot,
    out: &Path,
) -> Result<Exported, ExportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ExportError::Write { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let schema = out.join(SCHEMA_FILE);
    std::fs::write(&schema, SCHEMA).map_err(io(&schema))?;
    let mut exported = Exported::default();
    for chapter in &spec.chapters {
        let cases: Vec<&Case> = suite
            .cases
            .iter()
            .filter(|c| c.chapter == chapter.key)
            .collect();
        if cases.is_empty() {
            continue;
        }
        let file = chapter_file(spec, suite, root, chapter, &cases);
        let path = out.join(format!("{}.json", chapter.key));
        let bytes = write_json(&path, &file).map_err(io(&path))?;
        exported
            .files
            .push((chapter.key.clone(), path, cases.len(), bytes));
    }
    Ok(exported)
}

fn chapter_file<'a>(
    spec: &'a Spec,
    suite: &'a Suite,
    root: &'a SuiteRoot,
    chapter: &'a crate::spec::Chapter,
    cases: &[&'a Case],
) -> ChapterFile<'a> {
    let cited: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.reqs.iter().map(String::as_str))
        .collect();
    let requirements = cited
        .into_iter()
        .filter_map(|id| spec.requirement(id))
        .map(|r| RequirementOut {
            id: &r.id,
            level: r.level,
            text: &r.summary,
        })
        .collect();
    // The flags of the chapter's files; a name two files explain differently keeps both texts.
    let files: BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    let mut flags: BTreeMap<&str, String> = BTreeMap::new();
    for f in files {
        for (name, meaning) in suite.flags.get(f).into_iter().flatten() {
            let entry = flags.entry(name.as_str()).or_default();
            if entry.is_empty() {
                entry.push_str(meaning);
            } else if entry != meaning {
                entry.push_str(&format!(" | {f}: {meaning}"));
            }
        }
    }
    ChapterFile {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        chapter: &chapter.key,
        title: &chapter.title,
        suite: crate::vectors::SUITE,
        suite_version: crate::SUITE_VERSION,
        suite_hash: &root.hash,
        requirements,
        flags,
        cases: cases.iter().map(|c| CaseOut::from(*c)).collect(),
    }
}

/// Write `value` as pretty JSON plus a final newline; returns the bytes written.
fn write_json(path: &Path, value: &impl Serialize) -> std::io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut w = BufWriter::with_capacity(1 << 20, CountingWriter { inner: file, n: 0 });
    serde_json::to_writer_pretty(&mut w, value).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    let counted = w.into_inner().map_err(|e| e.into_error())?;
    Ok(counted.n)
}

struct CountingWriter<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The `export` command: export, then one summary line per file and a total.
pub fn command(
    spec: &Spec,
    suite: &Suite,
    root: &SuiteRoot,
    args: &ExportArgs,
) -> crate::commands::Outcome {
    let Format::Json = args.format;
    let e = export(spec, suite, root, &args.out).map_err(|e| e.to_string())?;
    Ok((summary(&e, &args.out), true))
}

/// One summary line per file and a total, as `export` prints them.
pub fn summary(e: &Exported, out: &Path) -> String {
    let mut s = String::new();
    for (chapter, _, cases, bytes) in &e.files {
        s.push_str(&format!(
            "{chapter:<12} {cases:>5} cases {bytes:>11} bytes\n"
        ));
    }
    s.push_str(&format!(
        "wrote {} chapter files ({} cases, {:.1} MiB) and {SCHEMA_FILE} to {}\n",
        e.files.len(),
        e.cases(),
        e.bytes() as f64 / (1024.0 * 1024.0),
        out.display()
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_shapes_serialise_as_in_the_vector_files() {
        let ok = Expect::Ok(serde_json::json!({"x": 1}));
        let err = Expect::Error("crc_mismatch".into());
        let j = |e: &Expect| serde_json::to_value(ExpectOut::from(e)).unwrap();
        assert_eq!(j(&ok), serde_json::json!({"ok": {"x": 1}}));
        assert_eq!(j(&err), serde_json::json!({"error": "crc_mismatch"}));
        assert_eq!(
            j(&Expect::Unsupported),
            serde_json::json!({"unsupported": true})
        );
    }
}
