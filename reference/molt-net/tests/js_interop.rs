//! Interoperability with the JavaScript Molt reference, through
//! `reference/molt-net/interop/run.sh`. Needs a checkout of the JavaScript code in
//! `MOLT_JS_DIR` (CI cannot fetch it), node and npm, and PostgreSQL for the JavaScript hub;
//! skipped with a message when `MOLT_JS_DIR` is unset.

use std::path::Path;
use std::process::Command;

#[test]
fn js_interop() {
    let Ok(dir) = std::env::var("MOLT_JS_DIR") else {
        eprintln!(
            "SKIPPED js_interop: set MOLT_JS_DIR to a checkout of the JavaScript Molt reference \
             (github m2mai/M2M) to run the interoperability procedure"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = tempfile_dir();
    let status = Command::new("bash")
        .arg(root.join("reference/molt-net/interop/run.sh"))
        .arg(&out)
        .env("MOLT_JS_DIR", dir)
        .status()
        .expect("bash runs");
    assert!(
        status.success(),
        "interop procedure failed; see {}",
        out.display()
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("molt-js-interop-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
