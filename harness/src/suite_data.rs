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
//!    testees can open model files by path.
//!
//! Every report records the hash of the data it ran ([`SuiteRoot::hash`]): the same files give
//! the same hash, embedded or not.

use std::path::{Path, PathBuf};

/// The embedded suite data: a gzipped tar.
static ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/suite.tar.gz"));

/// Content hash of the embedded data (`sha256:<hex>`).
pub const EMBEDDED_HASH: &str = env!("M2M_SUITE_HASH");

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
        if SuiteRoot::from_dir(&dir, "the cache")?.hash != EMBEDDED_HASH {
            eprintln!(
                "warning: the unpacked suite in {} was modified; unpacking it again",
                dir.display()
            );
            std::fs::remove_dir_all(&dir).map_err(|source| SuiteDataError::Io {
                what: format!("removing the modified copy {}", dir.display()),
                source,
            })?;
            let dir = unpack(cache)?;
            let hash = SuiteRoot::from_dir(&dir, "the cache")?.hash;
            if hash != EMBEDDED_HASH {
                return Err(SuiteDataError::Io {
                    what: format!("verifying the unpacked suite in {}", dir.display()),
                    source: std::io::Error::other(format!(
                        "its hash {hash} differs from the embedded {EMBEDDED_HASH}"
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

/// The folder embedded suites are unpacked under.
fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("M2M_CONFORMANCE_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("m2m-conformance")
}

/// Unpack the embedded archive into `cache/suite-<hash prefix>` unless a complete copy is
/// there. Unpacks into a private folder first and renames it, so concurrent runs never see a
/// half-written suite.
fn unpack(cache: &Path) -> Result<PathBuf, SuiteDataError> {
    let hex = EMBEDDED_HASH.trim_start_matches("sha256:");
    let dest = cache.join(format!("suite-{}", &hex[..16.min(hex.len())]));
    let marker = dest.join(".complete");
    if marker.is_file() {
        return Ok(dest);
    }
    let io = |what: String| move |source| SuiteDataError::Io { what, source };
    std::fs::create_dir_all(cache).map_err(io(format!("creating {}", cache.display())))?;
    let tmp = cache.join(format!(".unpack-{}-{}", std::process::id(), &hex[..8]));
    let _ = std::fs::remove_dir_all(&tmp);
    let gz = flate2::read::GzDecoder::new(ARCHIVE);
    tar::Archive::new(gz).unpack(&tmp).map_err(io(format!(
        "unpacking the embedded suite into {}",
        tmp.display()
    )))?;
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

    #[test]
    fn embedded_equals_the_checkout_it_was_built_from() {
        let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let from_dir = SuiteRoot::from_dir(&checkout, "--root").unwrap();
        assert_eq!(from_dir.hash, EMBEDDED_HASH);
        let cache = tempfile_dir();
        let dir = unpack(&cache).unwrap();
        let unpacked = SuiteRoot::from_dir(&dir, "--root").unwrap();
        assert_eq!(
            unpacked.hash, EMBEDDED_HASH,
            "the unpacked copy hashes the same"
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
        assert_eq!(
            SuiteRoot::from_dir(&again.dir, "t").unwrap().hash,
            EMBEDDED_HASH
        );
        let _ = std::fs::remove_dir_all(cache);
    }

    #[test]
    fn a_folder_without_a_suite_is_refused_with_a_hint() {
        let e = SuiteRoot::from_dir(Path::new("/nonexistent-m2m"), "--root").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("needs spec/ and vectors/"), "{text}");
        assert!(text.contains("--root"), "{text}");
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("m2m-suite-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }
}
