//! `m2m-ref` — command-line front end of the reference implementation.
//!
//! Mirrors the upstream `m2m` CLI's `compress` / `decompress` so the two can be swapped:
//! input from `-f FILE`, else the positional argument, else stdin (`-` or nothing) read to EOF
//! and **not trimmed**; output is the result plus a newline on stdout, or the exact bytes with
//! `-o FILE`. Exit 0 on success, 1 on an error (class and message on stderr), 2 on usage errors.
//!
//! Beyond upstream: `--binary` makes `compress -a m2m` emit, and `decompress` read, the binary
//! form of the M2M v1 frame (raw bytes, never a trailing newline); `peek` prints a frame's
//! headers as pretty JSON without touching its payload [FRAME-PEEK-001].
//!
//! TokenNative: `compress -a token-native --encoding c|o|l` picks the tokenizer (default `c`,
//! cl100k); with `--binary` it emits the binary mode `[id byte][varints]` [TOKEN-BIN-001].
//! `-a auto` applies the selection heuristic and `-a best` keeps the shortest of M2M,
//! TokenNative and Brotli (the chosen algorithm goes to stderr) [SELECT-AUTO-001]
//! [SELECT-BEST-001]. The legacy formats `-a t1|dictionary|m3|zlib` encode explicitly (M3 is
//! binary and written raw). `decompress --legacy` also decodes `#T1|`, `#M2M|`, `#M3|` and
//! `#M2M[v2.0]|DATA:` by prefix, which the normative engine passes through
//! [WIRE-DETECT-004]; `decompress --token-binary` reads the TokenNative binary mode.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use m2m_reference::legacy::{dictionary, m3, t1, zlib, LegacyFormat};
use m2m_reference::select::{self, Options};
use m2m_reference::wire::token_native::{self, Tokenizer};
use m2m_reference::wire::{self, frame, Algorithm, Limits};
use m2m_reference::ErrorClass;

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
    /// Upstream's heuristic selection, then that algorithm.
    Auto,
    /// The shortest of M2M, TokenNative and Brotli.
    Best,
    /// Legacy Token v1 `#T1|` (JSON input).
    T1,
    /// Legacy dictionary codec `#M2M|`.
    Dictionary,
    /// Legacy M3 `#M3|` (JSON input, binary output).
    M3,
    /// Documented zlib `#M2M[v2.0]|DATA:`.
    Zlib,
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    /// cl100k_base (`C`).
    C,
    /// o200k_base (`O`).
    O,
    /// `L` (tokenized with cl100k_base, as upstream does).
    L,
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
        /// With `-a m2m`: output the binary frame; with `-a token-native`: the binary mode
        /// (raw bytes, no trailing newline).
        #[arg(long)]
        binary: bool,
        /// Tokenizer for `-a token-native`.
        #[arg(short, long, value_enum, ignore_case = true, default_value = "c")]
        encoding: EncodingArg,
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
        /// The input is the TokenNative binary mode `[id byte][varints]`.
        #[arg(long, conflicts_with = "binary")]
        token_binary: bool,
        /// Also decode the legacy prefixes `#T1|`, `#M2M|`, `#M3|`, `#M2M[v2.0]|DATA:`.
        #[arg(long)]
        legacy: bool,
    },
    /// Print the headers of an M2M v1 frame as JSON, without reading its payload.
    Peek {
        #[command(flatten)]
        io: Io,
        /// The input is a binary frame (raw bytes) rather than the `#M2M|1|` text form.
        #[arg(long)]
        binary: bool,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::ServeTestee => match m2m_reference::testee::serve_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail("io", e),
        },
        Command::Compress {
            io,
            algorithm,
            binary,
            encoding,
        } => {
            let input = match read_input(&io) {
                Ok(b) => b,
                Err(e) => return fail("io", e),
            };
            let Ok(text) = String::from_utf8(input) else {
                return fail("invalid_utf8", "input is not valid UTF-8");
            };
            let done =
                |r: std::io::Result<()>| r.map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS);
            let algorithm = match algorithm {
                AlgorithmArg::None => Algorithm::None,
                AlgorithmArg::Brotli => Algorithm::Brotli,
                AlgorithmArg::M2m => Algorithm::M2m,
                AlgorithmArg::TokenNative => {
                    let t = match encoding {
                        EncodingArg::C => Tokenizer::Cl100k,
                        EncodingArg::O => Tokenizer::O200k,
                        EncodingArg::L => Tokenizer::Llama,
                    };
                    if binary {
                        return done(write_raw(&io, &token_native::encode_binary(&text, t)));
                    }
                    return done(write_output(
                        &io,
                        token_native::encode(&text, t).0.as_bytes(),
                    ));
                }
                AlgorithmArg::Auto => {
                    return match select::compress_auto(&text, Options::default()) {
                        Ok((a, w)) => {
                            eprintln!("algorithm: {}", a.name());
                            done(write_output(&io, w.as_bytes()))
                        }
                        Err(e) => fail(e.class(), e),
                    };
                }
                AlgorithmArg::Best => {
                    let (a, w) = select::compress_best(&text);
                    eprintln!("algorithm: {}", a.name());
                    return done(write_output(&io, w.as_bytes()));
                }
                AlgorithmArg::T1 => {
                    return match t1::encode(&text) {
                        Ok(w) => done(write_output(&io, w.as_bytes())),
                        Err(e) => fail(e.class(), e),
                    };
                }
                AlgorithmArg::Dictionary => {
                    return match dictionary::encode(&text) {
                        Ok(w) => done(write_output(&io, w.as_bytes())),
                        Err(e) => fail(e.class(), e),
                    };
                }
                AlgorithmArg::M3 => {
                    return match m3::encode(&text) {
                        Ok(b) => done(write_raw(&io, &b)),
                        Err(e) => fail(e.class(), e),
                    };
                }
                AlgorithmArg::Zlib => {
                    return done(write_output(&io, zlib::encode(&text).as_bytes()))
                }
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
            token_binary,
            legacy,
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
            if token_binary {
                return match token_native::decode_binary(&input) {
                    Ok(t) => write_output(&io, t.as_bytes())
                        .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
                    Err(e) => fail(e.class(), e),
                };
            }
            let legacy_format = if legacy && wire::detect(&input) == wire::Format::Passthrough {
                LegacyFormat::detect(&input)
            } else {
                None
            };
            if let Some(format) = legacy_format {
                let decoded = match format {
                    LegacyFormat::M3 => m3::decode(&input),
                    other => match std::str::from_utf8(&input) {
                        Ok(w) => match other {
                            LegacyFormat::T1 => t1::decode(w),
                            LegacyFormat::Dictionary => dictionary::decode(w),
                            _ => zlib::decode(w, limits.max_decompressed_bytes),
                        },
                        Err(_) => return fail("invalid_utf8", "input is not valid UTF-8"),
                    },
                };
                return match decoded {
                    Ok(t) => write_output(&io, t.as_bytes())
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
