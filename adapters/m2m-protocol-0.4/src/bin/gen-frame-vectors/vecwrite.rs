//! Rendering through the suite's one vector writer, `vectors/tools/vecwrite.py`.
//!
//! The generators build each file as a JSON document and hand it to `vecwrite.py --render`
//! (a subprocess), so every vector file in the suite, whichever language generated it, has the
//! same form (vectors/README.md, "File format"). The caller parses the text back and compares
//! it with the document before writing.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// The text of one vector file: `doc` rendered by `vecwrite` (the path of `vecwrite.py`)
/// with the comment `header` on top.
pub fn render(vecwrite: &Path, doc: &Value, header: &str) -> Result<String, String> {
    let request = json!({ "header": header, "doc": doc }).to_string();
    let mut child = Command::new("python3")
        .arg(vecwrite)
        .arg("--render")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start python3 {}: {e}", vecwrite.display()))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Write from a thread: the child may fill its stdout pipe before reading all of stdin.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{}: {e}", vecwrite.display()))?;
    writer
        .join()
        .expect("writer thread")
        .map_err(|e| format!("writing to {}: {e}", vecwrite.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} --render failed: {}",
            vecwrite.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{}: {e}", vecwrite.display()))
}
