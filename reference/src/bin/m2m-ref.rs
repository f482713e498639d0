//! `m2m-ref` — command-line front end of the reference implementation.
//!
//! Mirrors the upstream `m2m` CLI's `compress` / `decompress` so the two can be swapped:
//! input from `-f FILE`, else the positional argument, else stdin (`-` or nothing) read to EOF
//! and **not trimmed**; output is the result plus a newline on stdout, or the exact bytes with
//! `-o FILE`. Exit 0 on success, 1 on an error (class and message on stderr), 2 on usage errors.
//!
//! Beyond upstream: `--binary` makes `compress -a m2m` emit, and `decompress` read, the binary
//! form of the M2M v1 frame (raw bytes, never a trailing newline); `peek` prints a frame's
//! headers as pretty JSON without touching its payload [FRAME-PEEK-001]; `scan [--json]
//! [--threshold T] [--validate]` runs the security scanner [SCAN-ALG-001] (exit 3 when the text
//! should be blocked); `classify [--model PATH]` runs Hydra [HYDRA-OUT-001].

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use m2m_reference::wire::{self, frame, Algorithm, Limits};
use m2m_reference::ErrorClass;
use m2m_reference::{hydra, scan};

#[derive(Parser)]
#[command(name = "m2m-ref", version, about = "M2M reference implementation CLI")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum AlgorithmArg {
    /// Passthrough (upstream alias: n).
    #[value(alias = "n")]
    None,
    /// `#M2M[v3.0]|DATA:` (upstream alias: br).
    #[value(alias = "br")]
    Brotli,
    /// `#M2M|1|` frame (upstream alias: m).
    #[value(alias = "m")]
    M2m,
    /// `#TK|` (upstream alias: tn).
    #[value(alias = "tn")]
    TokenNative,
}

#[derive(clap::Args)]
struct Io {
    /// Input text; `-` or absent reads stdin to EOF.
    input: Option<String>,
    /// Read the input from this file (wins over the positional argument).
    #[arg(short, long)]
    file: Option<PathBuf>,
    /// Write the output to this file, exactly, without a trailing newline.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Compress the input with one algorithm and print the wire string.
    Compress {
        #[command(flatten)]
        io: Io,
        /// Algorithm to use.
        #[arg(short, long, value_enum, ignore_case = true)]
        algorithm: AlgorithmArg,
        /// With `-a m2m`: output the binary frame (raw bytes, no trailing newline).
        #[arg(long)]
        binary: bool,
    },
    /// Detect the prefix, decode, and print the text (unknown prefixes pass through).
    Decompress {
        #[command(flatten)]
        io: Io,
        /// Decompressed-size limit in bytes (default 16 MiB).
        #[arg(long)]
        max_decompressed_bytes: Option<usize>,
        /// The input is a binary M2M v1 frame (raw bytes) rather than a wire string.
        #[arg(long)]
        binary: bool,
    },
    /// Print the headers of an M2M v1 frame as JSON, without reading its payload.
    Peek {
        #[command(flatten)]
        io: Io,
        /// The input is a binary frame (raw bytes) rather than the `#M2M|1|` text form.
        #[arg(long)]
        binary: bool,
    },
    /// Scan a text for prompt-injection, jailbreak, malformed and exfiltration patterns
    /// (spec `scanner`). Exit 0 when the text is not to be blocked, 3 when it is.
    Scan {
        #[command(flatten)]
        io: Io,
        /// Print the full result as pretty JSON (`{safe, confidence, should_block, threats}`).
        #[arg(long)]
        json: bool,
        /// Blocking threshold in [0, 1] (default 0.8).
        #[arg(long)]
        threshold: Option<f32>,
        /// Check a text starting with `{` or `[` as JSON first (depth, array length).
        #[arg(long)]
        validate: bool,
    },
    /// Classify a text with Hydra (spec `hydra`): compression choice and security verdict, as
    /// JSON. Without `--model`, the heuristic fallback answers.
    Classify {
        #[command(flatten)]
        io: Io,
        /// A Hydra safetensors file (e.g. models/hydra-tiny.safetensors, or the real model).
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Run the reference as a testee: JSON Lines requests on stdin, responses on stdout.
    ServeTestee,
}

fn read_input(io: &Io) -> std::io::Result<Vec<u8>> {
    if let Some(path) = &io.file {
        return std::fs::read(path);
    }
    match io.input.as_deref() {
        Some(text) if text != "-" => Ok(text.as_bytes().to_vec()),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf)?;
            Ok(buf)
        }
    }
}

/// Write raw bytes exactly, to `-o FILE` or stdout, with no newline.
fn write_raw(io: &Io, bytes: &[u8]) -> std::io::Result<()> {
    match &io.output {
        Some(path) => std::fs::write(path, bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
    }
}

fn write_output(io: &Io, bytes: &[u8]) -> std::io::Result<()> {
    match &io.output {
        Some(path) => std::fs::write(path, bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.write_all(b"\n")?;
            out.flush()
        }
    }
}

fn fail(class: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error [{class}]: {message}");
    ExitCode::from(1)
}

fn read_text(io: &Io) -> Result<String, ExitCode> {
    let input = read_input(io).map_err(|e| fail("io", e))?;
    String::from_utf8(input).map_err(|_| fail("invalid_utf8", "input is not valid UTF-8"))
}

fn scan_command(io: &Io, json: bool, threshold: Option<f32>, validate: bool) -> ExitCode {
    let text = match read_text(io) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut config = scan::ScanConfig::default();
    if let Some(t) = threshold {
        config = config.with_threshold(t);
    }
    let result = if validate {
        scan::scan_and_validate(&text, &config)
    } else {
        scan::scan(&text, &config)
    };
    let r = match result {
        Ok(r) => r,
        Err(e) => return fail(e.class(), e),
    };
    let out = if json {
        serde_json::to_string_pretty(&r.to_json()).expect("a JSON value always serialises")
    } else if r.safe {
        "safe".to_owned()
    } else {
        let names: Vec<String> = r
            .threats
            .iter()
            .map(|t| format!("{} ({}, {})", t.name, t.category.name(), t.severity))
            .collect();
        format!(
            "{}: confidence {} — {}",
            if r.should_block { "BLOCK" } else { "unsafe" },
            r.confidence,
            names.join(", ")
        )
    };
    match write_output(io, out.as_bytes()) {
        Err(e) => fail("io", e),
        Ok(()) if r.should_block => ExitCode::from(3),
        Ok(()) => ExitCode::SUCCESS,
    }
}

fn classify_command(io: &Io, model: Option<&PathBuf>) -> ExitCode {
    let text = match read_text(io) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let model = match model {
        None => None,
        Some(path) => {
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => return fail("model_unreadable", format!("{}: {e}", path.display())),
            };
            match hydra::Model::from_safetensors(&bytes) {
                Ok(m) => Some(m),
                Err(e) => return fail(e.class(), e),
            }
        }
    };
    let c = hydra::classify(model.as_ref(), &text);
    let pretty =
        serde_json::to_string_pretty(&c.to_json()).expect("a JSON value always serialises");
    write_output(io, pretty.as_bytes()).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan {
            io,
            json,
            threshold,
            validate,
        } => scan_command(&io, json, threshold, validate),
        Command::Classify { io, model } => classify_command(&io, model.as_ref()),
        Command::ServeTestee => match m2m_reference::testee::serve_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail("io", e),
        },
        Command::Compress {
            io,
            algorithm,
            binary,
        } => {
            let input = match read_input(&io) {
                Ok(b) => b,
                Err(e) => return fail("io", e),
            };
            let Ok(text) = String::from_utf8(input) else {
                return fail("invalid_utf8", "input is not valid UTF-8");
            };
            let algorithm = match algorithm {
                AlgorithmArg::None => Algorithm::None,
                AlgorithmArg::Brotli => Algorithm::Brotli,
                AlgorithmArg::M2m => Algorithm::M2m,
                AlgorithmArg::TokenNative => Algorithm::TokenNative,
            };
            if binary {
                if algorithm != Algorithm::M2m {
                    eprintln!("error: --binary needs --algorithm m2m");
                    return ExitCode::from(2);
                }
                return match frame::encode(&text) {
                    Ok(b) => {
                        write_raw(&io, &b).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
                    }
                    Err(e) => fail(e.class(), e),
                };
            }
            match wire::compress(&text, algorithm) {
                Ok(w) => write_output(&io, w.as_bytes())
                    .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
                Err(e) => fail(e.class(), e),
            }
        }
        Command::Decompress {
            io,
            max_decompressed_bytes,
            binary,
        } => {
            let input = match read_input(&io) {
                Ok(b) => b,
                Err(e) => return fail("io", e),
            };
            let mut limits = Limits::default();
            if let Some(max) = max_decompressed_bytes {
                limits.max_decompressed_bytes = max;
            }
            if binary {
                return match frame::decode(&input, &limits) {
                    Ok(f) => write_output(&io, f.payload.as_bytes())
                        .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
                    Err(e) => fail(e.class(), e),
                };
            }
            let Ok(text) = String::from_utf8(input) else {
                return fail("invalid_utf8", "input is not valid UTF-8");
            };
            if wire::detect(text.as_bytes()) == wire::Format::Passthrough {
                eprintln!("warning: input has no M2M prefix; passing it through");
            }
            match wire::decompress(&text, &limits) {
                Ok(t) => write_output(&io, t.as_bytes())
                    .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
                Err(e) => fail(e.class(), e),
            }
        }
        Command::Peek { io, binary } => {
            let input = match read_input(&io) {
                Ok(b) => b,
                Err(e) => return fail("io", e),
            };
            let limits = Limits::default();
            let header = if binary {
                frame::peek(&input, &limits)
            } else {
                match String::from_utf8(input) {
                    Ok(text) => frame::peek_text(&text, &limits),
                    Err(_) => return fail("invalid_utf8", "input is not valid UTF-8"),
                }
            };
            match header {
                Ok(h) => {
                    let pretty = serde_json::to_string_pretty(&h.to_json())
                        .expect("a JSON value always serialises");
                    write_output(&io, pretty.as_bytes())
                        .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
                }
                Err(e) => fail(e.class(), e),
            }
        }
    }
}
