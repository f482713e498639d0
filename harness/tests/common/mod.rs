//! Helpers shared by integration tests (`mod common;` in each test file that uses them).

use std::path::Path;

/// A fresh folder for one test's files, removed when the test ends; usable as a `&Path`.
pub struct Temp(tempfile::TempDir);

impl std::ops::Deref for Temp {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

/// A [`Temp`] in the system's temporary folder, its name starting with `prefix`.
pub fn temp(prefix: &str) -> Temp {
    Temp(
        tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("temporary folder"),
    )
}
