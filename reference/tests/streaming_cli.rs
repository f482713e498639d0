//! `m2m-ref stream compress|decompress` byte for byte against the streaming vectors: every
//! one-chunk `stream.compress` and `stream.decompress` case (text chunks) is piped through the
//! binary, and stdout must be the concatenation of the expected events (spec chapter
//! `streaming`); a case that expects an error must exit 1 with its class on stderr.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_yaml::Value;

fn run(args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_m2m-ref"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("m2m-ref starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

#[test]
fn stream_cli_matches_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/streaming");
    let mut checked = 0;
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in doc["cases"].as_sequence().unwrap() {
            let op = str_of(case, "op").unwrap();
            let input = &case["input"];
            let chunk: Vec<u8> = if let Some(c) = input.get("chunks").and_then(Value::as_sequence) {
                match c.as_slice() {
                    [one] if one.is_string() => one.as_str().unwrap().as_bytes().to_vec(),
                    _ => continue,
                }
            } else if let Some(c) = input.get("chunks_hex").and_then(Value::as_sequence) {
                match c.as_slice().first().and_then(Value::as_str).map(hex_bytes) {
                    Some(Some(b)) if c.len() == 1 => b,
                    _ => continue,
                }
            } else {
                continue;
            };
            if str_of(case, "result") == Some("acceptable") {
                continue;
            }
            let mut args = vec!["stream"];
            match op {
                "stream.compress" => {
                    args.extend(["compress", "--mode", str_of(input, "mode").unwrap()]);
                }
                "stream.decompress" => args.push("decompress"),
                _ => continue,
            }
            if let Some(enc) = str_of(input, "encoding") {
                args.extend(["--encoding", enc]);
            }
            let id = str_of(case, "id").unwrap();
            let out = run(&args, &chunk);
            let expect = &case["expect"];
            if let Some(class) = str_of(expect, "error") {
                if class == "bad_args" {
                    continue; // argument errors of the op, not of the CLI
                }
                assert_eq!(out.status.code(), Some(1), "{id}: exit status");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    stderr.contains(&format!("[{class}]")),
                    "{id}: stderr {stderr}"
                );
            } else {
                let ok = &expect["ok"];
                let want: String = if op == "stream.compress" {
                    ok["events"][0]
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .map(|e| e.as_str().unwrap())
                        .collect()
                } else {
                    ok["texts"][0].as_str().unwrap().to_owned()
                };
                assert!(
                    out.status.success(),
                    "{id}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_eq!(String::from_utf8(out.stdout).unwrap(), want, "{id}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} CLI cases");
}

#[test]
fn stream_cli_rejects_o200k_for_abbreviation() {
    let out = run(
        &[
            "stream",
            "compress",
            "--mode",
            "abbreviation",
            "--encoding",
            "o200k",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[bad_args]"));
}
