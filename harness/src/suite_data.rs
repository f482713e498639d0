//! Where a run's suite data comes from. [BASIS-PROFILE-005]
//!
//! The build script embeds everything `certify`, `show`, `coverage`, `lint`, `export`,
//! `fuzz-replay` and `--bench` read (spec, requirement index, ops, error classes, profiles,
//! vectors, models, fuzz corpora, bench profile) into the binary, with a content hash. At run
//! time the suite root is, in order:
//!
//! 1. `--root DIR`;
//! 2. `$M2M_CONFORMANCE_ROOT`;
//! 3. the embedded data, unpacked once into a cache folder named by its hash
//!    (`$M2M_CONFORMANCE_CACHE`, else the user's cache folder, else the temporary folder), so
//!    testees can open model files by path. The fuzz corpora (about 29,000 small files) are
//!    unpacked there only when `fuzz-replay` first needs them ([`SuiteRoot::corpora`]).
//!
//! Every report records the hash of the data it ran ([`SuiteRoot::hash`]): the same files give
//! the same hash, embedded or not.

use std::path::{Path, PathBuf};

/// The embedded suite data without the fuzz corpora: a gzipped tar.
static ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/suite.tar.gz"));

/// The embedded fuzz corpora (`fuzz/corpus`, `fuzz/regressions`): a gzipped tar, unpacked only
/// when `fuzz-replay` needs them ([`SuiteRoot::corpora`]).
static CORPUS_ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/corpus.tar.gz"));

/// Content hash of the embedded data (`sha256:<hex>`), corpora included.
pub const EMBEDDED_HASH: &str = env!("M2M_SUITE_HASH");

/// Content hash of [`ARCHIVE`]'s files, which an unpacked copy is checked against on every use.
const CERT_HASH: &str = env!("M2M_SUITE_CERT_HASH");

/// Content hash of [`CORPUS_ARCHIVE`]'s files.
const CORPUS_HASH: &str = env!("M2M_SUITE_CORPUS_HASH");

/// Number of embedded files.
pub const EMBEDDED_FILES: &str = env!("M2M_SUITE_FILES");

/// A resolved suite root.
#[derive(Debug, Clone)]
pub struct SuiteRoot {
    /// The folder holding `spec/`, `vectors/`, `models/` ….
    pub dir: PathBuf,
    /// Content hash of its suite data.
    pub hash: String,
    /// `embedded`, or the folder given by `--root` / `$M2M_CONFORMANCE_ROOT`.
    pub source: String,
}

/// Why the suite data could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SuiteDataError {
    /// An override names a folder without `spec/` and `vectors/`.
    #[error("{dir} (from {from}) holds no suite: it needs spec/ and vectors/ (omit --root and unset M2M_CONFORMANCE_ROOT to use the suite built into this binary)")]
    NotASuite {
        /// The folder.
        dir: String,
        /// `--root` or `M2M_CONFORMANCE_ROOT`.
        from: &'static str,
    },
    /// Reading a folder or unpacking the embedded data failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
}

impl SuiteRoot {
    /// Resolve the suite root: `root` (from `--root`), else `$M2M_CONFORMANCE_ROOT`, else the
    /// embedded data.
    pub fn resolve(root: Option<&Path>) -> Result<SuiteRoot, SuiteDataError> {
        if let Some(dir) = root {
            return SuiteRoot::from_dir(dir, "--root");
        }
        if let Some(dir) = std::env::var_os("M2M_CONFORMANCE_ROOT").filter(|d| !d.is_empty()) {
            return SuiteRoot::from_dir(Path::new(&dir), "M2M_CONFORMANCE_ROOT");
        }
        SuiteRoot::embedded()
    }

    /// A folder holding the suite (a checkout, or an unpacked copy).
    pub fn from_dir(dir: &Path, from: &'static str) -> Result<SuiteRoot, SuiteDataError> {
        if !dir.join("spec").is_dir() || !dir.join("vectors").is_dir() {
            return Err(SuiteDataError::NotASuite {
                dir: dir.display().to_string(),
                from,
            });
        }
        let files = crate::suite_files::collect(dir).map_err(|source| SuiteDataError::Io {
            what: format!("reading {}", dir.display()),
            source,
        })?;
        Ok(SuiteRoot {
            dir: dir.to_path_buf(),
            hash: crate::suite_files::hash(&files),
            source: dir.display().to_string(),
        })
    }

    /// A checkout, for the commands that write into one (`spec-index`, `measure`): `root`, else
    /// `$M2M_CONFORMANCE_ROOT`, else the current folder; it must hold spec/ and vectors/.
    pub fn checkout(root: Option<&Path>) -> Result<PathBuf, SuiteDataError> {
        let dir = root
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("M2M_CONFORMANCE_ROOT").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."));
        if dir.join("spec").is_dir() && dir.join("vectors").is_dir() {
            Ok(dir)
        } else {
            Err(SuiteDataError::NotASuite {
                dir: dir.display().to_string(),
                from: "the current folder (this command works on a checkout; or pass --root)",
            })
        }
    }

    /// The embedded data, unpacked into the cache (once per hash). The cached copy is hashed
    /// on every use: a copy that was edited after unpacking is replaced by a fresh one, so a
    /// report's `suite_hash` is always the hash of the data that ran. [BASIS-PROFILE-005]
    pub fn embedded() -> Result<SuiteRoot, SuiteDataError> {
        Self::embedded_in(&cache_dir())
    }

    fn embedded_in(cache: &Path) -> Result<SuiteRoot, SuiteDataError> {
        let dir = unpack(cache)?;
        if cert_hash(&dir)? != CERT_HASH {
            discard_modified(
                &dir,
                "the unpacked suite in {} was modified; unpacking it again",
            )?;
            let dir = unpack(cache)?;
            let hash = cert_hash(&dir)?;
            if hash != CERT_HASH {
                return Err(SuiteDataError::Io {
                    what: format!("verifying the unpacked suite in {}", dir.display()),
                    source: std::io::Error::other(format!(
                        "its hash {hash} differs from the embedded {CERT_HASH}"
                    )),
                });
            }
        }
        Ok(SuiteRoot {
            dir,
            hash: EMBEDDED_HASH.to_owned(),
            source: "embedded".to_owned(),
        })
    }
}

impl SuiteRoot {
    /// Make sure the fuzz corpora are in [`SuiteRoot::dir`]: for the embedded data, unpack them
    /// next to the rest on first use (and again if the copy there was edited); a `--root` or
    /// `$M2M_CONFORMANCE_ROOT` folder is taken as it is.
    pub fn corpora(&self) -> Result<(), SuiteDataError> {
        if self.source != "embedded" {
            return Ok(());
        }
        unpack_corpora(&self.dir)
    }
}

/// The hash of the files of `dir` that [`ARCHIVE`] holds (every part but the corpora).
fn cert_hash(dir: &Path) -> Result<String, SuiteDataError> {
    part_hash(dir, &crate::suite_files::cert_parts())
}

fn part_hash(dir: &Path, parts: &[&str]) -> Result<String, SuiteDataError> {
    let files =
        crate::suite_files::collect_parts(dir, parts).map_err(|source| SuiteDataError::Io {
            what: format!("reading {}", dir.display()),
            source,
        })?;
    Ok(crate::suite_files::hash(&files))
}

/// Unpack [`CORPUS_ARCHIVE`] into `dir/fuzz` unless an unedited copy is there. Unpacks into a
/// private folder first and renames its `fuzz` into place, so concurrent runs never see half
/// of it.
fn unpack_corpora(dir: &Path) -> Result<(), SuiteDataError> {
    unpack_corpora_from(dir, CORPUS_ARCHIVE, CORPUS_HASH)
}

fn unpack_corpora_from(dir: &Path, archive: &[u8], hash: &str) -> Result<(), SuiteDataError> {
    let fuzz = dir.join("fuzz");
    if fuzz.is_dir() {
        if part_hash(dir, crate::suite_files::CORPUS_PARTS)? == hash {
            return Ok(());
        }
        discard_modified(
            &fuzz,
            "the unpacked fuzz corpora in {} were modified; unpacking them again",
        )?;
    }
    let tmp = dir.join(format!(".unpack-corpora-{}", std::process::id()));
    untar_gz(archive, &tmp, "the embedded fuzz corpora")?;
    let moved = if tmp.join("fuzz").is_dir() {
        std::fs::rename(tmp.join("fuzz"), &fuzz)
    } else {
        Ok(()) // a suite without corpora
    };
    let _ = std::fs::remove_dir_all(&tmp);
    match moved {
        Ok(()) => Ok(()),
        // Another run got there first with the same content.
        Err(_) if fuzz.is_dir() => Ok(()),
        Err(e) => Err(SuiteDataError::Io {
            what: format!("moving the unpacked fuzz corpora to {}", fuzz.display()),
            source: e,
        }),
    }
}

/// Unpack a gzipped tar `archive` into a fresh folder `into` (whatever was there goes);
/// `what` names the archive in the error.
fn untar_gz(archive: &[u8], into: &Path, what: &str) -> Result<(), SuiteDataError> {
    let _ = std::fs::remove_dir_all(into);
    let gz = flate2::read::GzDecoder::new(archive);
    tar::Archive::new(gz)
        .unpack(into)
        .map_err(|source| SuiteDataError::Io {
            what: format!("unpacking {what} into {}", into.display()),
            source,
        })
}

/// An unpacked suite of another version not used for this long is removed.
const UNUSED_SUITE: std::time::Duration = std::time::Duration::from_secs(14 * 24 * 3600);
/// A half-written unpack folder this old belongs to a run that died.
const ABANDONED_UNPACK: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Remove from the cache what no run needs any more, so that it does not grow by a suite copy
/// (and its fuzz corpora, over 100 MiB) with every new version: other versions' copies unused
/// for [`UNUSED_SUITE`] (their `.complete` marker is touched on each use) and unpack folders
/// older than [`ABANDONED_UNPACK`]. Runs when a new version is unpacked; best effort.
fn prune(cache: &Path, now: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let (stamp, max_age) = if name.starts_with("suite-") {
            (path.join(".complete"), UNUSED_SUITE)
        } else if name.starts_with(".unpack-") {
            (path.clone(), ABANDONED_UNPACK)
        } else {
            continue;
        };
        let modified = std::fs::metadata(&stamp)
            .or_else(|_| std::fs::metadata(&path))
            .and_then(|m| m.modified());
        let old = modified.is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > max_age));
        if old {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Warn (`warning` with `{}` replaced by the folder) and remove an unpacked copy whose hash no
/// longer matches the embedded one, so that it is unpacked again.
fn discard_modified(dir: &Path, warning: &str) -> Result<(), SuiteDataError> {
    eprintln!(
        "warning: {}",
        warning.replacen("{}", &dir.display().to_string(), 1)
    );
    std::fs::remove_dir_all(dir).map_err(|source| SuiteDataError::Io {
        what: format!("removing the modified copy {}", dir.display()),
        source,
    })
}

/// The folder embedded suites are unpacked under.
fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("M2M_CONFORMANCE_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("m2m-conformance")
}

/// Unpack the embedded archive (all but the corpora) into `cache/suite-<hash prefix>` unless a
/// complete copy is there. Unpacks into a private folder first and renames it, so concurrent runs never see a
/// half-written suite.
fn unpack(cache: &Path) -> Result<PathBuf, SuiteDataError> {
    let hex = EMBEDDED_HASH.trim_start_matches("sha256:");
    let dest = cache.join(format!("suite-{}", &hex[..16.min(hex.len())]));
    let marker = dest.join(".complete");
    if marker.is_file() {
        // Mark the copy used (what `prune` goes by); best effort.
        let _ = std::fs::File::options()
            .append(true)
            .open(&marker)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        return Ok(dest);
    }
    let io = |what: String| move |source| SuiteDataError::Io { what, source };
    std::fs::create_dir_all(cache).map_err(io(format!("creating {}", cache.display())))?;
    prune(cache, std::time::SystemTime::now());
    let tmp = cache.join(format!(".unpack-{}-{}", std::process::id(), &hex[..8]));
    untar_gz(ARCHIVE, &tmp, "the embedded suite")?;
    std::fs::write(tmp.join(".complete"), EMBEDDED_HASH)
        .map_err(io(format!("writing {}", tmp.display())))?;
    match std::fs::rename(&tmp, &dest) {
        Ok(()) => Ok(dest),
        // Another run got there first with the same content.
        Err(_) if marker.is_file() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dest)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(SuiteDataError::Io {
                what: format!("moving the unpacked suite to {}", dest.display()),
                source: e,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of a gzipped tar, read in memory, as [`crate::suite_files::collect`] lists a
    /// folder's: regular files, `/`-separated paths, sorted.
    fn archive_files(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
        use std::io::Read;
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
        let mut files = Vec::new();
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let path = entry.path().unwrap().to_string_lossy().replace('\\', "/");
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files.push((path, bytes));
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    }

    /// The embedded data is the checkout's: the unpacked suite hashes as its archive says, and
    /// with the corpora archive's files it hashes as the checkout. The corpora are read in
    /// memory here: writing out their 29,000 files took 10 s of kernel time on the CI machine,
    /// and `edited_corpora_are_unpacked_again` tests the writing on a small archive.
    #[test]
    fn embedded_equals_the_checkout_it_was_built_from() {
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let from_dir = SuiteRoot::from_dir(&checkout, "--root").unwrap();
        assert_eq!(from_dir.hash, EMBEDDED_HASH);
        let cache = tempfile_dir();
        let dir = unpack(&cache).unwrap();
        // The corpora are not unpacked until asked for.
        assert!(!dir.join("fuzz").exists());
        assert_eq!(cert_hash(&dir).unwrap(), CERT_HASH);
        let corpora = archive_files(CORPUS_ARCHIVE);
        assert!(corpora.len() > 1000, "{} corpus files", corpora.len());
        assert!(corpora
            .iter()
            .all(|(path, _)| crate::suite_files::is_corpus(path)));
        assert_eq!(crate::suite_files::hash(&corpora), CORPUS_HASH);
        let mut all = crate::suite_files::collect(&dir).unwrap();
        all.extend(corpora);
        all.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            crate::suite_files::hash(&all),
            EMBEDDED_HASH,
            "the unpacked copy with the corpora hashes as the checkout"
        );
        // A second unpack reuses the copy.
        assert_eq!(unpack(&cache).unwrap(), dir);
        // A copy edited after unpacking is not trusted: embedded() replaces it.
        let one = std::fs::read_dir(dir.join("vectors/varint"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::write(&one, "cases: []\n").unwrap();
        assert_ne!(SuiteRoot::from_dir(&dir, "t").unwrap().hash, EMBEDDED_HASH);
        let again = SuiteRoot::embedded_in(&cache).unwrap();
        assert_eq!(cert_hash(&again.dir).unwrap(), CERT_HASH);
        let _ = std::fs::remove_dir_all(cache);
    }

    /// Corpora are unpacked once, kept while unedited and unpacked again once edited (on a
    /// small archive: the real one takes tens of seconds to write out).
    #[test]
    fn edited_corpora_are_unpacked_again() {
        let files = vec![
            ("fuzz/corpus/t/a".to_owned(), b"one".to_vec()),
            ("fuzz/regressions/t/b".to_owned(), b"two".to_vec()),
        ];
        let hash = crate::suite_files::hash(&files);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        {
            let mut tar = tar::Builder::new(&mut gz);
            for (name, bytes) in &files {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, name, bytes.as_slice())
                    .unwrap();
            }
            tar.finish().unwrap();
        }
        let archive = gz.finish().unwrap();
        let dir = std::env::temp_dir().join(format!("m2m-corpora-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let corpus_hash = |d: &Path| part_hash(d, crate::suite_files::CORPUS_PARTS).unwrap();

        unpack_corpora_from(&dir, &archive, &hash).unwrap();
        assert_eq!(corpus_hash(&dir), hash);
        // Kept as it is while unedited (a marker file there survives).
        std::fs::write(dir.join("fuzz/.kept"), "").unwrap();
        unpack_corpora_from(&dir, &archive, &hash).unwrap();
        assert!(
            dir.join("fuzz/.kept").exists(),
            "an unedited copy was unpacked again"
        );
        // Edited: unpacked again.
        std::fs::write(dir.join("fuzz/corpus/t/a"), "edited").unwrap();
        assert_ne!(corpus_hash(&dir), hash);
        unpack_corpora_from(&dir, &archive, &hash).unwrap();
        assert_eq!(corpus_hash(&dir), hash);
        assert!(!dir.join("fuzz/.kept").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_folder_without_a_suite_is_refused_with_a_hint() {
        let e = SuiteRoot::from_dir(Path::new("/nonexistent-m2m"), "--root").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("needs spec/ and vectors/"), "{text}");
        assert!(text.contains("--root"), "{text}");
    }

    /// Old copies of other versions and abandoned unpack folders go; recent ones stay.
    #[test]
    fn prune_removes_only_what_no_run_needs() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().to_path_buf();
        let now = std::time::SystemTime::now();
        let day = std::time::Duration::from_secs(24 * 3600);
        let make = |name: &str, marker: bool, age: std::time::Duration| {
            let dir = cache.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            let stamp = if marker {
                let m = dir.join(".complete");
                std::fs::write(&m, "x").unwrap();
                m
            } else {
                dir.clone()
            };
            std::fs::File::open(&stamp)
                .unwrap()
                .set_modified(now - age)
                .unwrap();
            dir
        };
        let old_suite = make("suite-old", true, 20 * day);
        let used_suite = make("suite-used", true, 3 * day);
        let dead_unpack = make(".unpack-1-abcd", false, 2 * day);
        let live_unpack = make(".unpack-2-abcd", false, std::time::Duration::ZERO);
        let other = make("not-ours", false, 400 * day);
        prune(&cache, now);
        assert!(!old_suite.exists() && !dead_unpack.exists());
        assert!(used_suite.exists() && live_unpack.exists() && other.exists());
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("m2m-suite-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }
}
