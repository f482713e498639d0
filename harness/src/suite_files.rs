//! Which files make up the suite data, and their content hash. Shared by the build script (which
//! embeds them) and [`crate::suite_data`] (which hashes a `--root` directory the same way), so
//! the same files give the same hash wherever they come from.

use std::path::Path;

use sha2::{Digest, Sha256};

/// The parts of the suite data, relative to the repository's root: each directory whole (minus
/// the excluded subdirectories), and single files. The suite hash covers them all.
pub const PARTS: &[&str] = &[
    "spec",
    "vectors",
    "models",
    "fuzz/corpus",
    "fuzz/regressions",
    "harness/bench-profile.yaml",
];

/// The parts only `fuzz-replay` reads: tens of thousands of small files, which the embedded
/// suite unpacks only when they are asked for (unpacking them took most of a first run's
/// time).
pub const CORPUS_PARTS: &[&str] = &["fuzz/corpus", "fuzz/regressions"];

/// [`PARTS`] without [`CORPUS_PARTS`]: what certification reads.
pub fn cert_parts() -> Vec<&'static str> {
    PARTS
        .iter()
        .copied()
        .filter(|p| !CORPUS_PARTS.contains(p))
        .collect()
}

/// Whether a suite file (path relative to the root, `/` separators) belongs to the corpora.
pub fn is_corpus(rel: &str) -> bool {
    CORPUS_PARTS
        .iter()
        .any(|p| rel.strip_prefix(p).is_some_and(|r| r.starts_with('/')))
}

/// Subdirectories left out: generators and their inputs, never read by a run.
pub const EXCLUDED: &[&str] = &["vectors/tools", "models/tools"];

/// Every file of the suite data under `root`, as (path with `/` separators, bytes), sorted by
/// path. Hidden files and Python caches are left out.
pub fn collect(root: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    collect_parts(root, PARTS)
}

/// [`collect`] restricted to `parts` (a subset of [`PARTS`]).
pub fn collect_parts(root: &Path, parts: &[&str]) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for part in parts {
        let start = root.join(part);
        if !start.exists() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&start).sort_by_file_name() {
            // A file that vanishes between the listing and the read (a fuzz campaign rewriting
            // its corpus, say) is not part of the snapshot; any other error is.
            let entry = match entry {
                Ok(e) => e,
                Err(e) if vanished(e.io_error()) => continue,
                Err(e) => return Err(std::io::Error::other(e)),
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .map_err(std::io::Error::other)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let hidden = rel
                .split('/')
                .any(|c| c.starts_with('.') || c == "__pycache__");
            if hidden || EXCLUDED.iter().any(|x| rel.starts_with(&format!("{x}/"))) {
                continue;
            }
            match std::fs::read(entry.path()) {
                Ok(bytes) => files.push((rel, bytes)),
                Err(e) if vanished(Some(&e)) => continue,
                Err(e) => return Err(e),
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

fn vanished(e: Option<&std::io::Error>) -> bool {
    e.is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

/// `sha256:<hex>` over every (path, bytes) pair in order: the path, a NUL, the length as a
/// little-endian u64, the bytes.
pub fn hash(files: &[(String, Vec<u8>)]) -> String {
    let mut h = Sha256::new();
    for (path, bytes) in files {
        h.update(path.as_bytes());
        h.update([0u8]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}
