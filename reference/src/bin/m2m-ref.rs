//! `m2m-ref` — command-line front end of the reference implementation.
//!
//! Mirrors the upstream `m2m` CLI's `compress` / `decompress` so the two can be swapped:
//! input from `-f FILE`, else the positional argument, else stdin (`-` or nothing) read to EOF
//! and **not trimmed**; output is the result plus a newline on stdout, or the exact bytes with
//! `-o FILE`. Exit 0 on success, 1 on an error (class and message on stderr), 2 on usage errors.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use m2m_reference::wire::{self, Algorithm, Limits};
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
    },
    /// Detect the prefix, decode, and print the text (unknown prefixes pass through).
    Decompress {
        #[command(flatten)]
        io: Io,
        /// Decompressed-size limit in bytes (default 16 MiB).
        #[arg(long)]
        max_decompressed_bytes: Option<usize>,
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
        Command::ServeTestee => {
            let stdin = std::io::stdin().lock();
            let stdout = std::io::stdout().lock();
            match m2m_reference::testee::serve(stdin, stdout) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail("io", e),
            }
        }
        Command::Compress { io, algorithm } => {
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
            match wire::compress(&text, algorithm) {
                Ok(w) => write_output(&io, w.as_bytes()).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
                Err(e) => fail(e.class(), e),
            }
        }
        Command::Decompress {
            io,
            max_decompressed_bytes,
        } => {
            let input = match read_input(&io) {
                Ok(b) => b,
                Err(e) => return fail("io", e),
            };
            let Ok(text) = String::from_utf8(input) else {
                return fail("invalid_utf8", "input is not valid UTF-8");
            };
            let mut limits = Limits::default();
            if let Some(max) = max_decompressed_bytes {
                limits.max_decompressed_bytes = max;
            }
            if wire::detect(text.as_bytes()) == wire::Format::Passthrough {
                eprintln!("warning: input has no M2M prefix; passing it through");
            }
            match wire::decompress(&text, &limits) {
                Ok(t) => write_output(&io, t.as_bytes()).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
                Err(e) => fail(e.class(), e),
            }
        }
    }
}
