//! `m2m-ref` — command-line front end of the reference implementation.
//!
//! Mirrors the upstream `m2m` CLI's `compress` / `decompress` so the two can be swapped:
//! input from `-f FILE`, else the positional argument, else stdin (`-` or nothing) read to EOF
//! and **not trimmed**; output is the result plus a newline on stdout, or the exact bytes with
//! `-o FILE`. Exit 0 on success, 1 on an error (class and message on stderr), 2 on usage errors.
//!
//! Beyond upstream: `--binary` makes `compress -a m2m` emit, and `decompress` read, the binary
//! form of the M2M v1 frame (raw bytes, never a trailing newline); `peek` prints a frame's
//! headers as pretty JSON without touching its payload [FRAME-PEEK-001]; `session hello` prints a
//! default HELLO and `session run` plays a `session.run` scenario [SESSION-RUN-001]; `scan
//! [--json] [-b] [-t T] [--validate]` runs the security scanner as upstream `m2m scan` does
//! [MODELS-CLI-001] (exit 1 only with `-b` when the text should be blocked); `classify [--model
//! PATH]` runs Hydra [HYDRA-OUT-001]; `analyze`, `models list|search|info` and `tokens` follow
//! upstream's `analyze` and `models` [MODELS-CLI-004]; `compress --stats` and `decompress
//! --pretty` as upstream's [MODELS-CLI-002] [MODELS-CLI-003]; `server` takes upstream's security
//! flags [MODELS-CLI-005].
//!
//! Secured frames (spec `secure`): `compress -a m2m --security hmac|aead --key-hex HEX` seals
//! the frame (AEAD nonces come from the OS CSPRNG unless `--nonce-hex` fixes one), and
//! `decompress --key-hex HEX [--security hmac|aead]` opens it. With a key, a frame that is not
//! secured is refused; `--security` additionally pins the mode [SECURE-DOWNGRADE-001].
//!
//! TokenNative: `compress -a token-native --encoding c|o|l` picks the tokenizer (default `c`,
//! cl100k); with `--binary` it emits the binary mode `[id byte][varints]` [TOKEN-BIN-001].
//! `-a auto` applies the selection heuristic and `-a best` keeps the shortest of M2M,
//! TokenNative and Brotli (the chosen algorithm goes to stderr) [SELECT-AUTO-001]
//! [SELECT-BEST-001]. The legacy formats `-a t1|dictionary|m3|zlib` encode explicitly (M3 is
//! binary and written raw). `decompress --legacy` also decodes `#T1|`, `#M2M|`, `#M3|` and
//! `#M2M[v2.0]|DATA:` by prefix, which the normative engine passes through
//! [WIRE-DETECT-004]; `decompress --token-binary` reads the TokenNative binary mode.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use m2m_reference::secure::frame::Mode;

#[path = "m2m-ref/commands.rs"]
mod commands;

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

#[derive(Clone, Copy, ValueEnum)]
enum SecurityArg {
    /// HMAC-SHA256 tag (security byte 0x01).
    Hmac,
    /// ChaCha20-Poly1305 (security byte 0x02).
    Aead,
}

impl SecurityArg {
    fn mode(self) -> Mode {
        match self {
            SecurityArg::Hmac => Mode::Hmac,
            SecurityArg::Aead => Mode::Aead,
        }
    }
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
        /// With `-a m2m`: seal the frame with HMAC or AEAD (needs `--key-hex`).
        #[arg(long, value_enum, requires = "key_hex")]
        security: Option<SecurityArg>,
        /// The frame key as hex (HMAC: at least 16 bytes; AEAD: 32 bytes).
        #[arg(long, requires = "security")]
        key_hex: Option<String>,
        /// AEAD only: use this 12-byte nonce (hex) instead of a random one. Never reuse a
        /// nonce with the same key.
        #[arg(long, requires = "security")]
        nonce_hex: Option<String>,
        /// Tokenizer for `-a token-native`.
        #[arg(short, long, value_enum, ignore_case = true, default_value = "c")]
        encoding: EncodingArg,
        /// Print compression statistics on stderr, as upstream `m2m compress --stats`.
        #[arg(short, long)]
        stats: bool,
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
        /// Open a secured frame with this key (hex); frames that are not secured are refused.
        #[arg(long)]
        key_hex: Option<String>,
        /// With `--key-hex`: the mode the frame must have (default: HMAC or AEAD, as labelled).
        #[arg(long, value_enum, requires = "key_hex")]
        security: Option<SecurityArg>,
        /// The input is the TokenNative binary mode `[id byte][varints]`.
        #[arg(long, conflicts_with = "binary")]
        token_binary: bool,
        /// Also decode the legacy prefixes `#T1|`, `#M2M|`, `#M3|`, `#M2M[v2.0]|DATA:`.
        #[arg(long)]
        legacy: bool,
        /// Re-print a JSON result with two-space indentation and sorted keys.
        #[arg(long)]
        pretty: bool,
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
    /// (spec `scanner`), printing what upstream `m2m scan` prints. Exit 1 only with
    /// `--blocking` when the text should be blocked (spec MODELS-CLI-001).
    Scan {
        #[command(flatten)]
        io: Io,
        /// Print the result as pretty JSON (the `/scan` body, with descriptions).
        #[arg(long)]
        json: bool,
        /// Blocking mode: use `--threshold` and exit 1 when the text should be blocked.
        #[arg(short, long)]
        blocking: bool,
        /// Blocking threshold in [0, 1], clamped; used only with `--blocking`.
        #[arg(short, long, default_value_t = 0.8)]
        threshold: f32,
        /// Check a text starting with `{` or `[` as JSON first (depth, array length).
        #[arg(long)]
        validate: bool,
    },
    /// Analyze a text for compression, as upstream `m2m analyze` (spec MODELS-ANALYZE-*).
    Analyze {
        #[command(flatten)]
        io: Io,
    },
    /// The model registry: `list [-p P]`, `search Q`, `info ID` (spec `models`).
    Models {
        #[command(subcommand)]
        action: Option<ModelsCommand>,
    },
    /// Count the tokens of a text under a model encoding (spec MODELS-TOK-001).
    Tokens {
        #[command(flatten)]
        io: Io,
        /// Encoding: Cl100kBase, O200kBase, LlamaBpe or Heuristic; or a model id or
        /// abbreviation from the registry, whose encoding is used.
        #[arg(short, long, default_value = "Cl100kBase")]
        encoding: String,
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
    /// Run the reference as a testee: JSON Lines requests on stdin, responses on stdout; with
    /// `--http ADDR` an HTTP server (`GET /v1/hello`, `POST /v1/run`) instead.
    ServeTestee {
        /// Serve over HTTP on this address (e.g. 127.0.0.1:8765) instead of stdin/stdout.
        #[arg(long, value_name = "ADDR")]
        http: Option<String>,
    },
    /// Session protocol helpers: print a HELLO, or play a scripted scenario.
    #[command(subcommand)]
    Session(SessionCommand),
    /// SSE streaming codec (spec 26-streaming): stdin as one chunk, the output exactly.
    #[command(subcommand)]
    Stream(m2m_reference::streaming::cli::StreamCommand),
    /// Serve the M2M HTTP API (spec 13-http) on 127.0.0.1 until killed.
    Server {
        /// TCP port.
        #[arg(short, long, default_value_t = 3000)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Session lifetime: a session idle this long is dropped (spec HTTP-SESSION-004).
        #[arg(long, default_value_t = 300)]
        session_idle_secs: u64,
        /// Listen on 0.0.0.0 (overrides `--host`).
        #[arg(long)]
        bind_all: bool,
        /// Do not scan `/compress` and `/compress/auto` (spec SEC-CONF-001).
        #[arg(long)]
        no_security: bool,
        /// Use `--threshold` as the blocking threshold (spec SEC-CONF-002).
        #[arg(long)]
        blocking: bool,
        /// Blocking threshold, used only with `--blocking`.
        #[arg(long, default_value_t = 0.8)]
        threshold: f32,
        /// A Hydra model (safetensors); it must load (spec SEC-CONF-005).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Also serve HTTP/3 (QUIC, ALPN h3) on UDP, same port number (spec 16-h3).
        #[arg(long)]
        h3: bool,
        /// HTTP/3 certificate chain (PEM); without it a self-signed one is made at start.
        #[arg(long, requires = "key", requires = "h3")]
        cert: Option<PathBuf>,
        /// HTTP/3 private key (PEM) of `--cert`.
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
        /// HTTP/3 idle timeout advertised to clients, in seconds, fractions allowed (`0.25`),
        /// from 0.001 to 600 (spec H3-IDLE-001).
        #[arg(long, default_value = "30", value_name = "SECS", value_parser = idle_secs)]
        h3_idle_timeout: std::time::Duration,
    },
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Every card, or those whose provider contains `--provider`.
    List {
        /// Provider filter (case-insensitive substring, e.g. `open`).
        #[arg(short, long)]
        provider: Option<String>,
    },
    /// Cards whose id or abbreviation contains the query.
    Search {
        /// Query (case-insensitive).
        query: String,
    },
    /// One card by exact id or abbreviation.
    Info {
        /// Id or abbreviation.
        model: String,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Print the HELLO of a default endpoint (compact JSON) [SESSION-CAPS-004].
    Hello {
        /// The agent id to announce.
        #[arg(long, default_value = "m2m-ref")]
        agent_id: String,
        /// The timestamp in ms (default: the system clock).
        #[arg(long)]
        now_ms: Option<u64>,
    },
    /// Play a scenario: the input is the args object of the `session.run` op (spec 12-session
    /// section 8); prints the result as pretty JSON, exit 1 on an error.
    Run {
        #[command(flatten)]
        io: Io,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Session(cmd) => commands::session(cmd),
        Command::Stream(cmd) => {
            let (stdin, stdout) = (&mut std::io::stdin().lock(), &mut std::io::stdout().lock());
            match m2m_reference::streaming::cli::execute(&cmd, stdin, stdout) {
                Ok(()) => ExitCode::SUCCESS,
                Err((class, message)) => commands::fail(class, message),
            }
        }
        Command::Server {
            port,
            host,
            session_idle_secs,
            bind_all,
            no_security,
            blocking,
            threshold,
            model,
            h3,
            cert,
            key,
            h3_idle_timeout,
        } => commands::server(
            &host,
            port,
            bind_all,
            session_idle_secs,
            commands::server_security(no_security, blocking, threshold, model.as_ref()),
            h3.then(|| commands::H3Flags {
                cert: cert.zip(key),
                idle: h3_idle_timeout,
            }),
        ),
        Command::Scan {
            io,
            json,
            blocking,
            threshold,
            validate,
        } => commands::scan(&io, json, blocking, threshold, validate),
        Command::Analyze { io } => commands::analyze(&io),
        Command::Models { action } => commands::models(action),
        Command::Tokens { io, encoding } => commands::tokens(&io, &encoding),
        Command::Classify { io, model } => commands::classify(&io, model.as_ref()),
        Command::ServeTestee { http } => commands::serve_testee(http.as_deref()),
        Command::Compress {
            io,
            algorithm,
            binary,
            security,
            key_hex,
            nonce_hex,
            encoding,
            stats,
        } => commands::compress(
            &io, algorithm, binary, security, key_hex, nonce_hex, encoding, stats,
        ),
        Command::Decompress {
            io,
            max_decompressed_bytes,
            binary,
            key_hex,
            security,
            token_binary,
            legacy,
            pretty,
        } => commands::decompress(
            &io,
            max_decompressed_bytes,
            binary,
            key_hex,
            security,
            token_binary,
            legacy,
            pretty,
        ),
        Command::Peek { io, binary } => commands::peek(&io, binary),
    }
}

/// `--h3-idle-timeout SECS`: seconds, fractions allowed, 1 ms to 600 s. [H3-IDLE-001]
fn idle_secs(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if (0.001..=600.0).contains(&secs) => Ok(std::time::Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "`{text}` is not a number of seconds from 0.001 to 600"
        )),
    }
}
