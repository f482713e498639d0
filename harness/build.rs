//! Embeds the suite data (spec, vectors, models, fuzz corpora, bench profile) into the harness
//! binary, so an installed `m2m-conformance` needs no checkout (see `src/suite_data.rs`): a
//! gzipped tar in OUT_DIR for certification and another for the fuzz corpora, the content
//! hash of all of it in `M2M_SUITE_HASH` and of each archive in `M2M_SUITE_CERT_HASH` and
//! `M2M_SUITE_CORPUS_HASH`.

#[path = "src/suite_files.rs"]
#[allow(dead_code)]
mod suite_files;

use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest
        .parent()
        .expect("the harness sits in the repository")
        .to_path_buf();
    for part in suite_files::PARTS {
        println!("cargo:rerun-if-changed={}", root.join(part).display());
    }
    println!("cargo:rerun-if-changed=src/suite_files.rs");
    let files = suite_files::collect(&root).expect("reading the suite data");
    let hash = suite_files::hash(&files);
    // Two archives: what certification reads, unpacked on first use, and the fuzz corpora,
    // unpacked only for `fuzz-replay`. Each has its own hash to verify an unpacked copy by.
    let (corpus, cert): (Vec<_>, Vec<_>) = files
        .iter()
        .cloned()
        .partition(|(name, _)| suite_files::is_corpus(name));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    write_archive(&out.join("suite.tar.gz"), &cert).expect("writing the suite archive");
    write_archive(&out.join("corpus.tar.gz"), &corpus).expect("writing the corpus archive");
    println!("cargo:rustc-env=M2M_SUITE_HASH={hash}");
    println!("cargo:rustc-env=M2M_SUITE_FILES={}", files.len());
    println!(
        "cargo:rustc-env=M2M_SUITE_CERT_HASH={}",
        suite_files::hash(&cert)
    );
    println!(
        "cargo:rustc-env=M2M_SUITE_CORPUS_HASH={}",
        suite_files::hash(&corpus)
    );
}

/// A deterministic tar (fixed mode, owner and time) of the files, gzipped.
fn write_archive(path: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let gz =
        flate2::write::GzEncoder::new(std::fs::File::create(path)?, flate2::Compression::new(6));
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes.as_slice())?;
    }
    tar.into_inner()?.finish()?.flush()
}
