//! The commands of `m2m-ref` behind its argument parsing: input and output, and the calls into
//! the library for `compress`, `decompress`, `peek`, `scan`, `classify` and `session`.

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

use super::{AlgorithmArg, EncodingArg, Io, SecurityArg, SessionCommand};

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

pub fn scan(io: &Io, json: bool, threshold: Option<f32>, validate: bool) -> ExitCode {
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
pub fn compress(
    io: &Io,
    algorithm: AlgorithmArg,
    binary: bool,
    security: Option<SecurityArg>,
    key_hex: Option<String>,
    nonce_hex: Option<String>,
    encoding: EncodingArg,
) -> ExitCode {
    let input = match read_input(io) {
        Ok(b) => b,
        Err(e) => return fail("io", e),
    };
    let Ok(text) = String::from_utf8(input) else {
        return fail("invalid_utf8", "input is not valid UTF-8");
    };
    let done = |r: std::io::Result<()>| r.map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS);
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
            return done(write_output(
                io,
                token_native::encode(&text, t).0.as_bytes(),
            ));
        }
        AlgorithmArg::Auto => {
            return match select::compress_auto(&text, Options::default()) {
                Ok((a, w)) => {
                    eprintln!("algorithm: {}", a.name());
                    done(write_output(io, w.as_bytes()))
                }
                Err(e) => fail(e.class(), e),
            };
        }
        AlgorithmArg::Best => {
            let (a, w) = select::compress_best(&text);
            eprintln!("algorithm: {}", a.name());
            return done(write_output(io, w.as_bytes()));
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
        Ok(w) => {
            write_output(io, w.as_bytes()).map_or_else(|e| fail("io", e), |_| ExitCode::SUCCESS)
        }
        Err(e) => fail(e.class(), e),
    }
}

/// `decompress`: detect and decode, or open a sealed frame with `--key-hex`.
pub fn decompress(
    io: &Io,
    max_decompressed_bytes: Option<usize>,
    binary: bool,
    key_hex: Option<String>,
    security: Option<SecurityArg>,
    token_binary: bool,
    legacy: bool,
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
    if wire::detect(text.as_bytes()) == wire::Format::Passthrough {
        eprintln!("warning: input has no M2M prefix; passing it through");
    }
    match wire::decompress(&text, &limits) {
        Ok(t) => {
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
