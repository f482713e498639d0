//! `m2m-ref stream compress|decompress`: the whole stream from stdin as one chunk, the output
//! exactly as the codec emits it, nothing added (spec chapter `streaming`).

use clap::{Subcommand, ValueEnum};

use super::{compress_stream, decompress_stream, Mode, StreamError};
use crate::wire::token_native::Tokenizer;

/// A mode on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CliMode {
    /// Key, role and model abbreviation.
    Abbreviation,
    /// `#TK|` per event.
    TokenNative,
    /// Abbreviation per event (TokenNative only when finalizing).
    Hybrid,
    /// Re-serialised JSON.
    Passthrough,
}

/// An encoding on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CliEncoding {
    /// tiktoken cl100k_base.
    Cl100k,
    /// tiktoken o200k_base (token-native and hybrid only).
    O200k,
}

/// The `stream` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum StreamCommand {
    /// Compress an SSE stream read from stdin; prints the compressed stream exactly.
    Compress {
        /// The streaming mode.
        #[arg(long, value_enum)]
        mode: CliMode,
        /// The TokenNative encoding.
        #[arg(long, value_enum, default_value = "cl100k")]
        encoding: CliEncoding,
    },
    /// Expand a compressed SSE stream read from stdin; prints the expansion exactly.
    Decompress {
        /// Accepted for symmetry; `#TK|` events name their own tokenizer.
        #[arg(long, value_enum, default_value = "cl100k")]
        encoding: CliEncoding,
    },
}

/// The bytes to print for `input`.
pub fn run(cmd: &StreamCommand, input: &[u8]) -> Result<String, StreamError> {
    match cmd {
        StreamCommand::Compress { mode, encoding } => {
            let mode = match mode {
                CliMode::Abbreviation => Mode::Abbreviation,
                CliMode::TokenNative => Mode::TokenNative,
                CliMode::Hybrid => Mode::Hybrid,
                CliMode::Passthrough => Mode::Passthrough,
            };
            let tokenizer = match encoding {
                CliEncoding::Cl100k => Tokenizer::Cl100k,
                CliEncoding::O200k => Tokenizer::O200k,
            };
            compress_stream(mode, tokenizer, input)
        }
        StreamCommand::Decompress { .. } => decompress_stream(input),
    }
}

/// Read all of `input`, run `cmd`, write the output to `output` exactly. Errors are
/// `(class, message)`: `io` for I/O, otherwise the codec's error class.
pub fn execute(
    cmd: &StreamCommand,
    input: &mut impl std::io::Read,
    output: &mut impl std::io::Write,
) -> Result<(), (&'static str, String)> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| ("io", e.to_string()))?;
    let out = run(cmd, &bytes).map_err(|e| (crate::ErrorClass::class(&e), e.to_string()))?;
    output
        .write_all(out.as_bytes())
        .and_then(|()| output.flush())
        .map_err(|e| ("io", e.to_string()))
}
