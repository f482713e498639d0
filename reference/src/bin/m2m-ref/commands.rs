//! The commands of `m2m-ref` behind its argument parsing: input and output, and the calls into
//! the library for every subcommand (`compress`, `decompress`, `peek`, `scan`, `classify`,
//! `session`, `server`, `serve-testee`, ...).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use m2m_reference::legacy::{dictionary, m3, t1, zlib, LegacyFormat};
use m2m_reference::secure::frame::{self as secure_frame, Mode};
use m2m_reference::secure::nonce::{FixedNonce, NonceSource, OsNonce};
use m2m_reference::select::{self, Options};
use m2m_reference::wire::token_native::{self, Tokenizer};
use m2m_reference::wire::{self, frame, Algorithm, Limits};
use m2m_reference::ErrorClass;
use m2m_reference::{hydra, scan};

use m2m_reference::server::security::Security;
use m2m_reference::{console, edge};

use super::{AlgorithmArg, EncodingArg, Io, ModelsCommand, SecurityArg, SessionCommand};

pub fn read_input(io: &Io) -> std::io::Result<Vec<u8>> {
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

pub fn write_output(io: &Io, bytes: &[u8]) -> std::io::Result<()> {
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
    let mode = mode.unwrap_or_else(|| labelled_mode(&bytes));
    match secure_frame::open(&bytes, mode, &key, limits) {
        Ok(f) => write_output(io, f.payload.as_bytes())
            .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
        Err(e) => fail(e.class(), e),
    }
}

/// The secured mode a frame's security byte names: without `--security` the receiver opens a
/// frame as labelled. A frame labelled neither (0x00 or garbage) is opened as HMAC, which
/// refuses it, so an unsecured frame is never accepted with a key. [SECURE-DOWNGRADE-001]
fn labelled_mode(frame: &[u8]) -> Mode {
    if frame.get(secure_frame::SECURITY_OFFSET) == Some(&Mode::Aead.byte()) {
        Mode::Aead
    } else {
        Mode::Hmac
    }
}

/// Print `error [class]: message` on stderr and exit 1.
pub fn fail(class: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error [{class}]: {message}");
    ExitCode::from(1)
}

pub fn session(cmd: SessionCommand) -> ExitCode {
    use m2m_reference::session::{Capabilities, Message};
    use m2m_reference::testee::{dispatch, Reply};
    match cmd {
        SessionCommand::Hello { agent_id, now_ms } => {
            let now = now_ms.unwrap_or_else(m2m_reference::edge::now_ms);
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

fn read_text(io: &Io) -> Result<String, ExitCode> {
    let input = read_input(io).map_err(|e| fail("io", e))?;
    String::from_utf8(input).map_err(|_| fail("invalid_utf8", "input is not valid UTF-8"))
}

/// Print a command's [`console::Output`] and exit with its status.
fn emit(out: console::Output) -> ExitCode {
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    let _ = std::io::stdout().flush();
    ExitCode::from(out.code)
}

/// `scan [-b] [-t T] [--json] [--validate]`: upstream `m2m scan`'s output and exit status
/// (1 only with `-b` when the text should be blocked). [MODELS-CLI-001]
pub fn scan(io: &Io, json: bool, blocking: bool, threshold: f32, validate: bool) -> ExitCode {
    let text = match read_text(io) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if validate {
        if let Err(e) = scan::scan_and_validate(&text, &scan::ScanConfig::default()) {
            return fail(e.class(), e);
        }
    }
    match console::scan(&text, blocking, threshold, json) {
        Ok(out) => emit(out),
        Err(e) => fail(e.class(), e),
    }
}

/// `analyze`: upstream `m2m analyze`'s report. [MODELS-CLI-004]
pub fn analyze(io: &Io) -> ExitCode {
    match read_text(io) {
        Ok(t) => emit(console::Output {
            stdout: console::analyze(&t),
            ..Default::default()
        }),
        Err(code) => code,
    }
}

/// `models [list [-p P] | search Q | info ID]`. [MODELS-CLI-004]
pub fn models(action: Option<ModelsCommand>) -> ExitCode {
    emit(match action {
        None | Some(ModelsCommand::List { provider: None }) => console::models("list", None),
        Some(ModelsCommand::List { provider: Some(p) }) => console::models("list", Some(&p)),
        Some(ModelsCommand::Search { query }) => console::models("search", Some(&query)),
        Some(ModelsCommand::Info { model }) => console::models("info", Some(&model)),
    })
}

/// `tokens [-e ENCODING|MODEL]`: the token count. [MODELS-TOK-001]
pub fn tokens(io: &Io, encoding: &str) -> ExitCode {
    let text = match read_text(io) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let enc = m2m_reference::models::lookup(encoding).map_or(encoding, |c| c.encoding.as_str());
    match m2m_reference::models::count_tokens(&text, enc) {
        Some(n) => emit(console::Output {
            stdout: format!("{n}\n"),
            ..Default::default()
        }),
        None => {
            eprintln!("error: unknown encoding or model {encoding}");
            ExitCode::from(2)
        }
    }
}

/// The security settings of `m2m-ref server`'s flags; a `--model` must load.
/// [SEC-CONF-001] .. [SEC-CONF-005]
pub fn server_security(
    no_security: bool,
    blocking: bool,
    threshold: f32,
    model: Option<&PathBuf>,
) -> Result<Security, ExitCode> {
    if let Some(path) = model {
        let bytes = std::fs::read(path).map_err(|e| fail("model_unreadable", e))?;
        hydra::Model::from_safetensors(&bytes).map_err(|e| fail(e.class(), e))?;
    }
    Ok(Security {
        enabled: !no_security,
        blocking,
        threshold,
        model: model.is_some(),
    })
}

pub fn classify(io: &Io, model: Option<&PathBuf>) -> ExitCode {
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

/// `compress`: one algorithm, or a sealed frame with `--security`.
#[allow(clippy::too_many_arguments)] // one parameter per command-line flag
pub fn compress(
    io: &Io,
    algorithm: AlgorithmArg,
    binary: bool,
    security: Option<SecurityArg>,
    key_hex: Option<String>,
    nonce_hex: Option<String>,
    encoding: EncodingArg,
    stats: bool,
) -> ExitCode {
    let input = match read_input(io) {
        Ok(b) => b,
        Err(e) => return fail("io", e),
    };
    let Ok(text) = String::from_utf8(input) else {
        return fail("invalid_utf8", "input is not valid UTF-8");
    };
    let done = |r: std::io::Result<()>| r.map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS);
    // The wire string, with upstream's statistics on stderr under `--stats`. [MODELS-CLI-002]
    let wire_out = |a: Algorithm, w: &str| {
        if stats {
            let name = match a {
                Algorithm::None => "None",
                Algorithm::Brotli => "Brotli",
                Algorithm::M2m => "M2M",
                Algorithm::TokenNative => "TokenNative",
            };
            eprint!("{}", console::compress_stats(name, text.len(), w.len()));
        }
        done(write_output(io, w.as_bytes()))
    };
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
                return done(write_raw(io, &token_native::encode_binary(&text, t)));
            }
            return wire_out(Algorithm::TokenNative, &token_native::encode(&text, t).0);
        }
        AlgorithmArg::Auto => {
            return match select::compress_auto(&text, Options::default()) {
                Ok((a, w)) => {
                    eprintln!("algorithm: {}", a.name());
                    wire_out(a, &w)
                }
                Err(e) => fail(e.class(), e),
            };
        }
        AlgorithmArg::Best => {
            let (a, w) = select::compress_best(&text);
            eprintln!("algorithm: {}", a.name());
            return wire_out(a, &w);
        }
        AlgorithmArg::T1 => {
            return match t1::encode(&text) {
                Ok(w) => done(write_output(io, w.as_bytes())),
                Err(e) => fail(e.class(), e),
            };
        }
        AlgorithmArg::Dictionary => {
            return match dictionary::encode(&text) {
                Ok(w) => done(write_output(io, w.as_bytes())),
                Err(e) => fail(e.class(), e),
            };
        }
        AlgorithmArg::M3 => {
            return match m3::encode(&text) {
                Ok(b) => done(write_raw(io, &b)),
                Err(e) => fail(e.class(), e),
            };
        }
        AlgorithmArg::Zlib => return done(write_output(io, zlib::encode(&text).as_bytes())),
    };
    if let (Some(security), Some(key_hex)) = (security, key_hex.as_deref()) {
        if algorithm != Algorithm::M2m {
            eprintln!("error: --security needs --algorithm m2m");
            return ExitCode::from(2);
        }
        return compress_secure(
            io,
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
            Ok(b) => write_raw(io, &b).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
            Err(e) => fail(e.class(), e),
        };
    }
    match wire::compress(&text, algorithm) {
        Ok(w) => wire_out(algorithm, &w),
        Err(e) => fail(e.class(), e),
    }
}

/// `decompress`: detect and decode, or open a sealed frame with `--key-hex`.
#[allow(clippy::too_many_arguments)] // one parameter per command-line flag
pub fn decompress(
    io: &Io,
    max_decompressed_bytes: Option<usize>,
    binary: bool,
    key_hex: Option<String>,
    security: Option<SecurityArg>,
    token_binary: bool,
    legacy: bool,
    pretty: bool,
) -> ExitCode {
    let input = match read_input(io) {
        Ok(b) => b,
        Err(e) => return fail("io", e),
    };
    let mut limits = Limits::default();
    if let Some(max) = max_decompressed_bytes {
        limits.max_decompressed_bytes = max;
    }
    if let Some(key_hex) = key_hex.as_deref() {
        let mode = security.map(SecurityArg::mode);
        return decompress_secure(io, input, binary, key_hex, mode, &limits);
    }
    if binary {
        return match frame::decode(&input, &limits) {
            Ok(f) => write_output(io, f.payload.as_bytes())
                .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS),
            Err(e) => fail(e.class(), e),
        };
    }
    if token_binary {
        return match token_native::decode_binary(&input) {
            Ok(t) => {
                write_output(io, t.as_bytes()).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
            }
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
            Ok(t) => {
                write_output(io, t.as_bytes()).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
            }
            Err(e) => fail(e.class(), e),
        };
    }
    let Ok(text) = String::from_utf8(input) else {
        return fail("invalid_utf8", "input is not valid UTF-8");
    };
    if console::warns_not_m2m(&text) {
        eprintln!("Warning: Input does not appear to be in M2M format");
    }
    match wire::decompress(&text, &limits) {
        Ok(t) => {
            // [MODELS-CLI-003]
            let t = if pretty { console::pretty(&t) } else { t };
            write_output(io, t.as_bytes()).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
        }
        Err(e) => fail(e.class(), e),
    }
}

/// `peek`: a frame's headers as pretty JSON.
pub fn peek(io: &Io, binary: bool) -> ExitCode {
    let input = match read_input(io) {
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
            let pretty =
                serde_json::to_string_pretty(&h.to_json()).expect("a JSON value always serialises");
            write_output(io, pretty.as_bytes())
                .map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
        }
        Err(e) => fail(e.class(), e),
    }
}

/// `m2m-ref server --h3` settings: certificate and key files (else self-signed) and the idle
/// timeout. [H3-API-001]
pub struct H3Flags {
    /// `--cert` and `--key`.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// `--h3-idle-timeout`.
    pub idle: std::time::Duration,
}

/// `m2m-ref server`: bind the HTTP API, print where it listens, serve until killed. With
/// `--h3`, HTTP/3 on the same port number over UDP, and the certificate's SHA-256 fingerprint
/// on stderr. [HTTP-API-001] [SEC-CONF-001] [H3-API-001] [H3-TLS-002]
pub fn server(
    host: &str,
    port: u16,
    bind_all: bool,
    session_idle_secs: u64,
    security: Result<Security, ExitCode>,
    h3: Option<H3Flags>,
) -> ExitCode {
    let host = if bind_all { "0.0.0.0" } else { host };
    one_heap();
    let mut opts = edge::api::Options::new(&format!("{host}:{port}"));
    opts.session_idle_ms = session_idle_secs.saturating_mul(1000);
    opts.after_sweep = Some(trim_heap);
    opts.security = match security {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut server = match edge::api::ApiServer::bind(opts) {
        Ok(s) => s,
        Err(e) => return fail("io", e),
    };
    let mut fingerprint = None;
    if let Some(flags) = h3 {
        let identity = match &flags.cert {
            Some((cert, key)) => edge::h3::Identity::from_pem_files(cert, key),
            None => edge::h3::Identity::self_signed(),
        };
        let identity = match identity {
            Ok(i) => i,
            Err(e) => return fail("io", e),
        };
        fingerprint = Some(identity.fingerprint());
        if let Err(e) = server.enable_h3(identity, flags.idle) {
            return fail("io", e);
        }
    }
    if let Some(addr) = server.local_addr() {
        eprintln!("m2m-ref server listening on http://{addr}");
        if let Some(fp) = fingerprint {
            // One stable line a script can parse: URL, then the certificate's fingerprint.
            eprintln!(
                "m2m-ref server listening on https://{addr} (HTTP/3) certificate sha256 {fp}"
            );
        }
    }
    server
        .run()
        .map_or_else(|e| fail("io", e), |()| ExitCode::SUCCESS)
}

/// `m2m-ref serve-testee [--http ADDR]`: the testee protocol over stdin/stdout or HTTP.
/// [TESTEE-MSG-001]
pub fn serve_testee(http: Option<&str>) -> ExitCode {
    let Some(addr) = http else {
        return m2m_reference::testee::serve_stdio()
            .map_or_else(|e| fail("io", e), |()| ExitCode::SUCCESS);
    };
    let server = match edge::testee_http::HttpTestee::bind(addr) {
        Ok(s) => s,
        Err(e) => return fail("io", e),
    };
    if let Some(bound) = server.local_addr() {
        eprintln!("serving the reference testee on http://{bound}");
    }
    server
        .run()
        .map_or_else(|e| fail("io", e), |()| ExitCode::SUCCESS)
}

/// After a sweep freed sessions: give glibc's free heap back to the system, so the server's RSS
/// follows its live sessions (reports/robustness.md, session churn). [HTTP-SESSION-004]
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only returns unused heap pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Before the server's threads start: one glibc heap for all of them. With an arena per worker
/// thread, `malloc_trim` leaves much of a swept wave's memory in the workers' arenas (50,000
/// expired sessions: 5.5 -> 50 -> 9..22 MiB, varying by wave); with one heap it returns to
/// 8 MiB after every wave. [HTTP-SESSION-004]
fn one_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
