//! `m2m-conformance fuzz-replay`: the robustness profile for any testee.
//!
//! Every file of a fuzz corpus (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`) is turned
//! into the testee-protocol requests that consume the same input (the frame target's bytes become
//! `frame.decode {hex}` and `frame.peek {hex}`, and so on, see [`requests`]) and sent to the
//! target. The verdict per request: an `ok` result, an error class or `unsupported` within the
//! timeout passes; a crash, a timeout or a protocol violation fails. No expectation is compared:
//! this profile checks that a testee survives hostile input, the vectors check that it is right.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::target::{Outcome, Target};

/// HMAC key the `secure_open` fuzz target uses (`fuzz/src/lib.rs`), as hex.
pub const HMAC_KEY_HEX: &str = "6d326d2d66757a7a2d686d61632d6b65792d3031323334353637383961626364";
/// AEAD key the `secure_open` fuzz target uses, as hex.
pub const AEAD_KEY_HEX: &str = "6d326d2d66757a7a2d616561642d6b65792d3031323334353637383961626364";

/// AEAD nonce the `secure_roundtrip` fuzz target uses, as hex.
pub const AEAD_NONCE_HEX: &str = "66757a7a2d6e6f6e63653132";

/// Fuzz targets and whether the testee protocol can replay their inputs.
pub const TARGETS: &[(&str, Option<&str>)] = &[
    ("wire_decompress", None),
    ("frame_decode", None),
    ("secure_open", None),
    ("token_native", None),
    ("brotli", None),
    ("legacy", None),
    ("session_message", None),
    (
        "session_fsm",
        Some("inputs are `arbitrary` encodings of event lists, not protocol input"),
    ),
    ("scanner", None),
    ("hydra_load", None),
    ("http_script", None),
    (
        "vector_loader",
        Some("the vector loader is part of the harness, not of a testee"),
    ),
    ("molt", None),
    ("molt_hub", None),
    ("sse_decode", None),
    ("wire_roundtrip", None),
    ("frame_roundtrip", None),
    ("secure_roundtrip", None),
    ("token_native_roundtrip", None),
    ("brotli_roundtrip", None),
    ("legacy_roundtrip", None),
    (
        "molt_roundtrip",
        Some("a handshake and a message sealed with keys fixed inside the fuzz target"),
    ),
];

/// The requests (op, args) that feed one corpus file of `target` to a testee. Inputs that an op
/// cannot carry (non-UTF-8 bytes for a string arg, non-JSON for `http.run`) give fewer requests,
/// possibly none.
pub fn requests(target: &str, file: &Path, data: &[u8]) -> Vec<(&'static str, Value)> {
    let text = std::str::from_utf8(data).ok();
    let hex = hex::encode(data);
    let mut out: Vec<(&'static str, Value)> = Vec::new();
    match target {
        "wire_decompress" | "brotli" => {
            if let Some(s) = text {
                out.push(("wire.decompress", json!({ "wire": s })));
            }
        }
        "frame_decode" => {
            out.push(("frame.decode", json!({ "hex": hex })));
            out.push(("frame.peek", json!({ "hex": hex })));
            if let Some(s) = text {
                out.push(("frame.decode", json!({ "wire": s })));
            }
        }
        "secure_open" => {
            for (mode, key) in [("hmac", HMAC_KEY_HEX), ("aead", AEAD_KEY_HEX)] {
                out.push((
                    "frame.open",
                    json!({ "hex": hex, "mode": mode, "key_hex": key }),
                ));
            }
        }
        "token_native" => {
            out.push(("token.decode_binary", json!({ "hex": hex })));
            if let Some(s) = text {
                out.push(("token.decode", json!({ "wire": s })));
            }
        }
        "legacy" => {
            out.push(("legacy.decode", json!({ "format": "m3", "hex": hex })));
            if let Some(s) = text {
                for format in ["t1", "dictionary", "zlib"] {
                    out.push(("legacy.decode", json!({ "format": format, "wire": s })));
                }
            }
        }
        "session_message" => {
            if let Some(s) = text {
                let local = serde_json::to_value(
                    m2m_reference::session::Capabilities::default_with_agent_id("fuzz-replay"),
                )
                .unwrap_or(Value::Null);
                out.push((
                    "session.run",
                    json!({ "local": local, "session_id": "fuzz", "steps": [{ "recv": s }] }),
                ));
            }
        }
        "scanner" => {
            if let Some(s) = text {
                out.push(("scan.text", json!({ "text": s })));
                out.push(("scan.json", json!({ "text": s })));
            }
        }
        "hydra_load" => {
            let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
            out.push((
                "hydra.classify",
                json!({ "text": "fuzz replay", "model": path.display().to_string() }),
            ));
        }
        "http_script" => {
            if let Ok(steps) = serde_json::from_slice::<Value>(data) {
                out.push(("http.run", json!({ "steps": steps })));
            }
        }
        // Round-trip targets: the input is what the encoders are given.
        "wire_roundtrip" => {
            if let Some(s) = text {
                for algorithm in ["none", "brotli", "m2m", "token-native"] {
                    out.push((
                        "wire.compress",
                        json!({ "algorithm": algorithm, "input": s }),
                    ));
                }
            }
        }
        "brotli_roundtrip" => {
            if let Some(s) = text {
                out.push((
                    "wire.compress",
                    json!({ "algorithm": "brotli", "input": s }),
                ));
            }
        }
        "frame_roundtrip" => {
            if let Some(s) = text {
                out.push(("frame.encode", json!({ "json": s })));
            }
        }
        "secure_roundtrip" => {
            if let Some(s) = text {
                out.push((
                    "frame.seal",
                    json!({ "json": s, "mode": "hmac", "key_hex": HMAC_KEY_HEX }),
                ));
                out.push((
                    "frame.seal",
                    json!({ "json": s, "mode": "aead", "key_hex": AEAD_KEY_HEX,
                            "nonce_hex": AEAD_NONCE_HEX }),
                ));
            }
        }
        "token_native_roundtrip" => {
            if let Some(s) = text {
                for tokenizer in ["C", "O", "L"] {
                    out.push(("token.encode", json!({ "text": s, "tokenizer": tokenizer })));
                }
            }
        }
        "legacy_roundtrip" => {
            if let Some(s) = text {
                for format in ["t1", "dictionary", "m3", "zlib"] {
                    out.push(("legacy.encode", json!({ "format": format, "input": s })));
                }
            }
        }
        "sse_decode" => {
            out.push(("stream.decompress", json!({ "chunks_hex": [hex] })));
        }
        "molt" => {
            out.push(("molt.peer.run", json!({ "steps": [{ "send_hex": hex }] })));
        }
        "molt_hub" => {
            if let Some(s) = text {
                let mut steps = vec![json!({ "open": "a" })];
                steps.extend(
                    s.lines()
                        .take(32)
                        .map(|l| json!({ "conn": "a", "send": l })),
                );
                out.push(("molt.hub.run", json!({ "steps": steps })));
            }
        }
        _ => {}
    }
    out
}

/// One failing request.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Corpus file.
    pub file: PathBuf,
    /// Op sent.
    pub op: String,
    /// `timeout`, `crash`, `protocol` or `harness`, with detail.
    pub what: String,
}

/// Counts for one fuzz target.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Corpus files read.
    pub inputs: usize,
    /// Requests sent.
    pub requests: usize,
    /// Answered `ok`.
    pub ok: usize,
    /// Answered with an error class, by class.
    pub errors: BTreeMap<String, usize>,
    /// Answered `unsupported`.
    pub unsupported: usize,
    /// Failing requests.
    pub failures: Vec<Failure>,
    /// Slowest answer.
    pub slowest: Duration,
    /// Why the target was not replayed, if it was not.
    pub skipped: Option<&'static str>,
}

impl Tally {
    /// Requests that passed (any answer in time).
    pub fn passed(&self) -> usize {
        self.ok + self.errors.values().sum::<usize>() + self.unsupported
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Replay every file of `dirs/<fuzz_target>/` against `target`.
pub fn replay(target: &mut dyn Target, fuzz_target: &str, dirs: &[PathBuf]) -> Tally {
    let mut t = Tally::default();
    if let Some((_, Some(why))) = TARGETS.iter().find(|(n, _)| *n == fuzz_target) {
        t.skipped = Some(why);
        return t;
    }
    let mut n = 0usize;
    for dir in dirs {
        for file in files(&dir.join(fuzz_target)) {
            let Ok(data) = std::fs::read(&file) else {
                continue;
            };
            t.inputs += 1;
            for (op, args) in requests(fuzz_target, &file, &data) {
                n += 1;
                t.requests += 1;
                let started = Instant::now();
                let (outcome, _) = target.run(&format!("fz{n}"), op, &args);
                t.slowest = t.slowest.max(started.elapsed());
                let fail = |what: String| Failure {
                    file: file.clone(),
                    op: op.to_owned(),
                    what,
                };
                match outcome {
                    Outcome::Ok(_) => t.ok += 1,
                    Outcome::Error { class, .. } => *t.errors.entry(class).or_default() += 1,
                    Outcome::Unsupported(_) => t.unsupported += 1,
                    Outcome::Timeout(d) => t
                        .failures
                        .push(fail(format!("timeout after {:.1} s", d.as_secs_f64()))),
                    Outcome::Crash(m) => t.failures.push(fail(format!("crash: {m}"))),
                    Outcome::Protocol(m) => t.failures.push(fail(format!("protocol: {m}"))),
                    Outcome::HarnessError(m) => t.failures.push(fail(format!("harness: {m}"))),
                }
            }
        }
    }
    t
}

/// A Markdown section for one testee: one row per fuzz target, then every failure.
pub fn render_markdown(testee: &str, tallies: &[(String, Tally)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### `{testee}`\n");
    let _ = writeln!(
        s,
        "| fuzz target | inputs | requests | ok | error class | unsupported | **fail** | slowest | top error classes |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for (name, t) in tallies {
        if let Some(why) = t.skipped {
            let _ = writeln!(
                s,
                "| `{name}` | – | – | – | – | – | – | – | not replayed: {why} |"
            );
            continue;
        }
        let mut top: Vec<(&String, &usize)> = t.errors.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = top
            .iter()
            .take(4)
            .map(|(c, n)| format!("`{c}` {n}"))
            .collect();
        let _ = writeln!(
            s,
            "| `{name}` | {} | {} | {} | {} | {} | **{}** | {:.0?} | {} |",
            t.inputs,
            t.requests,
            t.ok,
            t.errors.values().sum::<usize>(),
            t.unsupported,
            t.failures.len(),
            t.slowest,
            top.join(", ")
        );
    }
    let failures: Vec<(&String, &Failure)> = tallies
        .iter()
        .flat_map(|(n, t)| t.failures.iter().map(move |f| (n, f)))
        .collect();
    if failures.is_empty() {
        let _ = writeln!(s, "\nNo failures: every request was answered in time.");
    } else {
        let _ = writeln!(s, "\nFailures ({}):\n", failures.len());
        for (n, f) in failures.iter().take(50) {
            let _ = writeln!(s, "- `{n}` `{}` `{}`: {}", f.file.display(), f.op, f.what);
        }
        if failures.len() > 50 {
            let _ = writeln!(s, "- … and {} more", failures.len() - 50);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_the_fuzz_crate() {
        assert_eq!(
            hex::decode(HMAC_KEY_HEX).unwrap(),
            b"m2m-fuzz-hmac-key-0123456789abcd"
        );
        assert_eq!(
            hex::decode(AEAD_KEY_HEX).unwrap(),
            b"m2m-fuzz-aead-key-0123456789abcd"
        );
        assert_eq!(hex::decode(AEAD_NONCE_HEX).unwrap(), b"fuzz-nonce12");
    }

    /// Every target of the fuzz crate has a row here, so a new target is never silently left
    /// out of `fuzz-replay`.
    #[test]
    fn every_fuzz_target_has_a_row() {
        let cargo = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/Cargo.toml"),
        )
        .unwrap();
        let bins: Vec<&str> = cargo
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|n| *n != "m2m-fuzz" && *n != "m2m_fuzz")
            .collect();
        assert_eq!(bins.len(), TARGETS.len(), "{bins:?}");
        for b in bins {
            assert!(TARGETS.iter().any(|(n, _)| *n == b), "no row for {b}");
        }
    }

    #[test]
    fn frame_bytes_become_decode_and_peek() {
        let r = requests("frame_decode", Path::new("x"), &[0xff, 0x00]);
        let ops: Vec<&str> = r.iter().map(|(o, _)| *o).collect();
        assert_eq!(ops, ["frame.decode", "frame.peek"]);
        assert_eq!(r[0].1["hex"], "ff00");
    }

    #[test]
    fn replay_against_the_reference_passes() {
        let dir = std::env::temp_dir().join(format!("m2m-fuzz-replay-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("frame_decode")).unwrap();
        std::fs::write(dir.join("frame_decode/a"), b"#M2M|1|\xff\x00").unwrap();
        let mut target = crate::target::reference::ReferenceTarget;
        let t = replay(&mut target, "frame_decode", std::slice::from_ref(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((t.inputs, t.requests), (1, 2));
        assert_eq!(t.passed(), 2);
        assert!(t.failures.is_empty());
        assert_eq!(
            t.errors.values().sum::<usize>(),
            2,
            "a truncated frame is an error"
        );
    }
}
