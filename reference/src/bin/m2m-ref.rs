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
//! [--json] [--threshold T] [--validate]` runs the security scanner [SCAN-ALG-001] (exit 3 when
//! the text should be blocked); `classify [--model PATH]` runs Hydra [HYDRA-OUT-001].
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

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use m2m_reference::legacy::{dictionary, m3, t1, zlib, LegacyFormat};
use m2m_reference::secure::frame::{self as secure_frame, Mode};
use m2m_reference::secure::nonce::{FixedNonce, NonceSource, OsNonce};
use m2m_reference::select::{self, Options};
use m2m_reference::wire::token_native::{self, Tokenizer};
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

fn parse_hex(what: &str, text: &str) -> Result<Vec<u8>, ExitCode> {
    hex::decode(text.trim()).map_err(|e| {
        eprintln!("error: {what} is not hex: {e}");
        ExitCode::from(2)
    })
}

/// `compress -a m2m --security ...`: seal and print the text form (or the binary form).
fn compress_secure(
    io: &Io,
    text: &str,
    mode: Mode,
    key_hex: &str,
    nonce_hex: Option<&str>,
    binary: bool,
) -> ExitCode {
    let key = match parse_hex("--key-hex", key_hex) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let mut nonces: Box<dyn NonceSource> = match nonce_hex {
        None => Box::new(OsNonce),
        Some(n) => match parse_hex("--nonce-hex", n) {
            Ok(n) => match <[u8; 12]>::try_from(n.as_slice()) {
                Ok(n) => Box::new(FixedNonce(n)),
                Err(_) => return fail("invalid_nonce", "--nonce-hex must be 12 bytes"),
            },
            Err(code) => return code,
        },
    };
    match secure_frame::seal(text, mode, &key, nonces.as_mut()) {
        Ok(b) if binary => write_raw(io, &b).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
        Ok(b) => write_output(io, frame::to_text(&b).as_bytes())
            .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
        Err(e) => fail(e.class(), e),
    }
}

/// `decompress --key-hex ...`: open a secured frame (text form, or binary with `--binary`).
fn decompress_secure(
    io: &Io,
    input: Vec<u8>,
    binary: bool,
    key_hex: &str,
    mode: Option<Mode>,
    limits: &Limits,
) -> ExitCode {
    let key = match parse_hex("--key-hex", key_hex) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let bytes = if binary {
        input
    } else {
        let Ok(text) = String::from_utf8(input) else {
            return fail("invalid_utf8", "input is not valid UTF-8");
        };
        match frame::text_to_binary(&text, limits) {
            Ok(b) => b,
            Err(e) => return fail(e.class(), e),
        }
    };
    // Without --security, the receiver accepts either secured mode as labelled, never 0x00.
    let mode = mode.unwrap_or(match bytes.get(secure_frame::SECURITY_OFFSET) {
        Some(2) => Mode::Aead,
        _ => Mode::Hmac,
    });
    match secure_frame::open(&bytes, mode, &key, limits) {
        Ok(f) => write_output(io, f.payload.as_bytes())
            .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
        Err(e) => fail(e.class(), e),
    }
}

fn fail(class: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error [{class}]: {message}");
    ExitCode::from(1)
}

fn session_command(cmd: SessionCommand) -> ExitCode {
    use m2m_reference::session::{Capabilities, Message};
    use m2m_reference::testee::{dispatch, Reply};
    match cmd {
        SessionCommand::Hello { agent_id, now_ms } => {
            let now = now_ms.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64)
            });
            let caps = Capabilities::default_with_agent_id(&agent_id);
            println!("{}", Message::hello(&caps, now).to_json());
            ExitCode::SUCCESS
        }
        SessionCommand::Run { io } => {
            let input = match read_input(&io) {
                Ok(b) => b,
                Err(e) => return fail("io", e),
            };
            let args: serde_json::Value = match serde_json::from_slice(&input) {
                Ok(v) => v,
                Err(e) => return fail("bad_args", e),
            };
            match dispatch("session.run", &args) {
                Reply::Ok(v) => {
                    let text = serde_json::to_string_pretty(&v).unwrap_or_default();
                    write_output(&io, text.as_bytes())
                        .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
                }
                Reply::Error { class, message } => fail(&class, message),
                Reply::Unsupported(m) => fail("unsupported", m),
            }
        }
    }
}

/// 16 random bytes from the operating system, for session ids (I/O stays in the binary).
fn os_random() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    bytes
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The HTTP front of [`m2m_reference::server::Server`]: one request at a time.
fn serve_http(host: &str, port: u16) -> ExitCode {
    use m2m_reference::server::{Body, Server, ServerConfig};
    let http = match tiny_http::Server::http((host, port)) {
        Ok(s) => s,
        Err(e) => return fail("io", e),
    };
    eprintln!("m2m-ref server listening on http://{host}:{port}");
    let mut agent = m2m_reference::session::session_id_from_random(os_random());
    agent.insert_str(0, "m2m-ref-");
    let mut server = Server::new(
        ServerConfig {
            agent_id: agent,
            version: m2m_reference::VERSION.into(),
        },
        now_ms(),
    );
    let mut new_id = || m2m_reference::session::session_id_from_random(os_random());
    for mut request in http.incoming_requests() {
        let mut body = String::new();
        let _ = request.as_reader().read_to_string(&mut body);
        let method = request.method().as_str().to_owned();
        let url = request.url().to_owned();
        let resp = server.handle(&method, &url, &body, now_ms(), &mut new_id);
        let (text, ctype) = match resp.body {
            Body::Empty => (String::new(), None),
            Body::Text(s) => (s, Some("text/plain; charset=utf-8")),
            Body::Json(s) => (s, Some("application/json")),
        };
        let mut response = tiny_http::Response::from_string(text).with_status_code(resp.status);
        if let Some(ct) = ctype {
            if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", ct) {
                response = response.with_header(h);
            }
        }
        let _ = request.respond(response);
    }
    ExitCode::SUCCESS
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
        Command::Session(cmd) => session_command(cmd),
        Command::Stream(cmd) => {
            let (stdin, stdout) = (&mut std::io::stdin().lock(), &mut std::io::stdout().lock());
            match m2m_reference::streaming::cli::execute(&cmd, stdin, stdout) {
                Ok(()) => ExitCode::SUCCESS,
                Err((class, message)) => fail(class, message),
            }
        }
        Command::Server { port, host } => serve_http(&host, port),
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
            security,
            key_hex,
            nonce_hex,
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
            if let (Some(security), Some(key_hex)) = (security, key_hex.as_deref()) {
                if algorithm != Algorithm::M2m {
                    eprintln!("error: --security needs --algorithm m2m");
                    return ExitCode::from(2);
                }
                return compress_secure(
                    &io,
                    &text,
                    security.mode(),
                    key_hex,
                    nonce_hex.as_deref(),
                    binary,
                );
            }
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
            key_hex,
            security,
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
            if let Some(key_hex) = key_hex.as_deref() {
                let mode = security.map(SecurityArg::mode);
                return decompress_secure(&io, input, binary, key_hex, mode, &limits);
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
