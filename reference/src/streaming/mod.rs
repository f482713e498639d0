//! SSE streaming codec (spec chapter `streaming`, `spec/26-streaming.md`): the encoder that
//! rewrites OpenAI-style `data: {…}` events in one of four modes, and the decompressor that
//! expands them again.
//!
//! Sans-IO: [`Encoder::push`] and [`Decoder::push`] take a chunk of bytes and return what to
//! emit; [`Encoder::finish`] and [`Decoder::finish`] end the stream. Unlike upstream 0.4.0, both
//! keep the bytes after a chunk's last LF for the next chunk (STREAM-SPLIT-001), so any split of
//! a stream emits the same events as the unsplit stream.

use serde_json::Value;
use thiserror::Error;

use crate::wire::token_native::{self, TokenError, Tokenizer};
use crate::ErrorClass;

#[cfg(feature = "cli")]
pub mod cli;
pub mod json;

/// What the encoder does with a data event. [STREAM-MODE-001] [STREAM-MODE-002]
/// [STREAM-MODE-003] [STREAM-MODE-004]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Key, role and model abbreviation (upstream's default).
    Abbreviation,
    /// TokenNative `#TK|` of each event's JSON.
    TokenNative,
    /// Abbreviation per event; TokenNative when finalizing with an o200k encoding.
    Hybrid,
    /// Re-serialised JSON.
    Passthrough,
}

impl Mode {
    /// Parse `abbreviation`, `token-native`, `hybrid` or `passthrough`.
    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "abbreviation" => Some(Mode::Abbreviation),
            "token-native" => Some(Mode::TokenNative),
            "hybrid" => Some(Mode::Hybrid),
            "passthrough" => Some(Mode::Passthrough),
            _ => None,
        }
    }

    /// The name [`Mode::from_name`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Abbreviation => "abbreviation",
            Mode::TokenNative => "token-native",
            Mode::Hybrid => "hybrid",
            Mode::Passthrough => "passthrough",
        }
    }

    /// Every mode.
    pub const ALL: [Mode; 4] = [
        Mode::Abbreviation,
        Mode::TokenNative,
        Mode::Hybrid,
        Mode::Passthrough,
    ];
}

/// Parse an encoding name: `cl100k` or `o200k`.
pub fn encoding_from_name(name: &str) -> Option<Tokenizer> {
    match name {
        "cl100k" => Some(Tokenizer::Cl100k),
        "o200k" => Some(Tokenizer::O200k),
        _ => None,
    }
}

/// Errors of the streaming codec.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StreamError {
    /// A chunk's complete lines (or the rest at the end) are not UTF-8. [STREAM-CHUNK-001]
    /// [STREAM-DEC-001]
    #[error("chunk is not valid UTF-8 (valid up to byte {0})")]
    InvalidUtf8(usize),
    /// Finalizing as TokenNative with no accumulated content. [STREAM-FIN-001]
    #[error("no content accumulated to finalize")]
    NothingToFinalize,
    /// A `data: #TK|…` line does not decode. [STREAM-DEC-003]
    #[error("TokenNative event: {0}")]
    Token(TokenError),
    /// `o200k` was asked for a mode whose codec always uses cl100k.
    #[error("mode {0} has no encoding choice")]
    EncodingNotSupported(&'static str),
}

impl ErrorClass for StreamError {
    fn class(&self) -> &'static str {
        match self {
            StreamError::InvalidUtf8(_) => "invalid_utf8",
            StreamError::NothingToFinalize => "nothing_to_finalize",
            StreamError::Token(e) => e.class(),
            StreamError::EncodingNotSupported(_) => "bad_args",
        }
    }
}

/// One classified SSE line of the encoder. [STREAM-LINE-002] … [STREAM-LINE-008]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `data: <json>`.
    Data(Value),
    /// `data: [DONE]`.
    Done,
    /// `:<text>`, the text trimmed.
    Comment(String),
    /// `error: <text>`, or `data: <not json>` as `Invalid JSON: <text>`.
    Error(String),
}

/// Classify one line (without its line ending); `None` for lines that emit nothing.
/// [STREAM-LINE-002] [STREAM-LINE-003] [STREAM-LINE-004] [STREAM-LINE-005] [STREAM-LINE-006]
/// [STREAM-LINE-007] [STREAM-LINE-008]
pub fn parse_line(line: &str) -> Option<Event> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    if let Some(comment) = line.strip_prefix(':') {
        return Some(Event::Comment(comment.trim().to_owned()));
    }
    if let Some(data) = line.strip_prefix("data: ") {
        if data == "[DONE]" {
            return Some(Event::Done);
        }
        return Some(match serde_json::from_str(data) {
            Ok(v) => Event::Data(v),
            Err(_) => Event::Error(format!("Invalid JSON: {data}")),
        });
    }
    line.strip_prefix("error: ")
        .map(|e| Event::Error(e.to_owned()))
}

/// The bytes a mode emits for one data event. [STREAM-MODE-001] [STREAM-MODE-002]
/// [STREAM-MODE-003] [STREAM-MODE-004]
pub fn encode_data(value: &Value, mode: Mode, tokenizer: Tokenizer) -> String {
    let body = match mode {
        Mode::Passthrough => json::to_text(value),
        Mode::Abbreviation | Mode::Hybrid => json::abbreviate(value).to_string(),
        Mode::TokenNative => token_native::encode(&json::to_text(value), tokenizer).0,
    };
    format!("data: {body}\n\n")
}

/// Lines split the way upstream splits them (`str::lines`: LF, with one CR before it removed).
/// [STREAM-LINE-001]
fn lines(text: &str) -> std::str::Lines<'_> {
    text.lines()
}

/// Keeps the bytes after the last LF between chunks. [STREAM-SPLIT-001]
#[derive(Debug, Default, Clone)]
struct LineBuffer {
    pending: Vec<u8>,
}

impl LineBuffer {
    /// The complete lines of `pending + chunk` as text; the rest stays pending. On a UTF-8
    /// error nothing changes.
    fn push(&mut self, chunk: &[u8]) -> Result<String, StreamError> {
        let split = match memchr::memrchr(b'\n', chunk) {
            Some(i) => i + 1,
            None => {
                self.pending.extend_from_slice(chunk);
                return Ok(String::new());
            }
        };
        let mut complete = Vec::with_capacity(self.pending.len() + split);
        complete.extend_from_slice(&self.pending);
        complete.extend_from_slice(&chunk[..split]);
        let text = String::from_utf8(complete)
            .map_err(|e| StreamError::InvalidUtf8(e.utf8_error().valid_up_to()))?;
        self.pending.clear();
        self.pending.extend_from_slice(&chunk[split..]);
        Ok(text)
    }

    /// The rest at the end of the stream, as text.
    fn finish(&mut self) -> Result<String, StreamError> {
        let rest = std::mem::take(&mut self.pending);
        String::from_utf8(rest).map_err(|e| StreamError::InvalidUtf8(e.utf8_error().valid_up_to()))
    }
}

/// Counters of an encoder. [STREAM-STATS-001] [STREAM-STATS-002]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Accepted chunks.
    pub chunks_processed: usize,
    /// Bytes of the accepted chunks.
    pub bytes_in: usize,
    /// Bytes emitted.
    pub bytes_out: usize,
    /// `bytes_in / bytes_out`, or 1.0 when nothing was emitted.
    pub compression_ratio: f64,
    /// UTF-8 bytes of the accumulated content.
    pub accumulated_length: usize,
}

/// The streaming encoder (upstream's `StreamingCodec`).
#[derive(Debug, Clone)]
pub struct Encoder {
    mode: Mode,
    tokenizer: Tokenizer,
    buffer: LineBuffer,
    accumulated: String,
    chunks_processed: usize,
    bytes_in: usize,
    bytes_out: usize,
}

impl Encoder {
    /// An encoder in `mode` whose TokenNative parts use `tokenizer`.
    pub fn new(mode: Mode, tokenizer: Tokenizer) -> Encoder {
        Encoder {
            mode,
            tokenizer,
            buffer: LineBuffer::default(),
            accumulated: String::new(),
            chunks_processed: 0,
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// Like [`Encoder::new`], but only TokenNative and Hybrid accept an encoding other than
    /// cl100k, as upstream's constructors do.
    pub fn checked(mode: Mode, tokenizer: Tokenizer) -> Result<Encoder, StreamError> {
        match (mode, tokenizer) {
            (Mode::Abbreviation | Mode::Passthrough, t) if t != Tokenizer::Cl100k => {
                Err(StreamError::EncodingNotSupported(mode.name()))
            }
            _ => Ok(Encoder::new(mode, tokenizer)),
        }
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn emit_lines(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in lines(text) {
            let Some(event) = parse_line(line) else {
                continue;
            };
            let bytes = match event {
                Event::Data(value) => {
                    if let Some(c) = json::delta_content(&value) {
                        self.accumulated.push_str(c);
                    }
                    encode_data(&value, self.mode, self.tokenizer)
                }
                Event::Done => "data: [DONE]\n\n".to_owned(),
                Event::Comment(c) => format!(": {c}\n"),
                Event::Error(e) => format!("error: {e}\n\n"),
            };
            self.bytes_out += bytes.len();
            out.push(bytes);
        }
        out
    }

    /// Process one chunk: the events of its complete lines. [STREAM-CHUNK-001]
    /// [STREAM-STATS-001] [STREAM-SPLIT-001]
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<String>, StreamError> {
        let text = self.buffer.push(chunk)?;
        self.bytes_in += chunk.len();
        let out = self.emit_lines(&text);
        self.chunks_processed += 1;
        Ok(out)
    }

    /// End the stream: the events of the rest after the last LF. [STREAM-LINE-001]
    pub fn finish(&mut self) -> Result<Vec<String>, StreamError> {
        let text = self.buffer.finish()?;
        Ok(self.emit_lines(&text))
    }

    /// The accumulated content. [STREAM-ACC-001]
    pub fn accumulated(&self) -> &str {
        &self.accumulated
    }

    /// The counters. [STREAM-STATS-001] [STREAM-STATS-002]
    pub fn stats(&self) -> Stats {
        Stats {
            chunks_processed: self.chunks_processed,
            bytes_in: self.bytes_in,
            bytes_out: self.bytes_out,
            compression_ratio: if self.bytes_out > 0 {
                self.bytes_in as f64 / self.bytes_out as f64
            } else {
                1.0
            },
            accumulated_length: self.accumulated.len(),
        }
    }

    /// The accumulated content as TokenNative text. [STREAM-FIN-001]
    pub fn finalize_token_native(&self) -> Result<String, StreamError> {
        if self.accumulated.is_empty() {
            return Err(StreamError::NothingToFinalize);
        }
        Ok(token_native::encode(&self.accumulated, self.tokenizer).0)
    }

    /// The varints of the accumulated content's token ids. [STREAM-FIN-002]
    pub fn finalize_raw(&self) -> Vec<u8> {
        token_native::encode_varints(&token_native::tokenize(&self.accumulated, self.tokenizer))
    }
}

/// The streaming decompressor (upstream's `StreamingDecompressor`).
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    buffer: LineBuffer,
    accumulated: String,
}

impl Decoder {
    /// A decompressor. The TokenNative tokenizer always comes from the wire id.
    /// [STREAM-DEC-003]
    pub fn new() -> Decoder {
        Decoder::default()
    }

    fn expand_lines(&mut self, text: &str) -> Result<String, StreamError> {
        let mut out = String::new();
        for line in lines(text) {
            let Some(data) = line.strip_prefix("data: ") else {
                if !line.is_empty() {
                    out.push_str(line);
                    out.push('\n');
                }
                continue;
            };
            if data == "[DONE]" {
                out.push_str("data: [DONE]\n\n");
            } else if data.starts_with(token_native::PREFIX) {
                let decoded = token_native::decode(data).map_err(StreamError::Token)?;
                if let Ok(v) = serde_json::from_str::<Value>(&decoded) {
                    if let Some(c) = json::delta_content(&v) {
                        self.accumulated.push_str(c);
                    }
                }
                out.push_str("data: ");
                out.push_str(&decoded);
                out.push_str("\n\n");
            } else if let Ok(v) = serde_json::from_str::<Value>(data) {
                let expanded = json::expand(&v);
                if let Some(c) = json::delta_content(&expanded) {
                    self.accumulated.push_str(c);
                }
                out.push_str("data: ");
                out.push_str(&expanded.to_string());
                out.push_str("\n\n");
            } else {
                out.push_str(line);
                out.push_str("\n\n");
            }
        }
        Ok(out)
    }

    /// Expand one chunk's complete lines. [STREAM-DEC-001] [STREAM-DEC-002] [STREAM-DEC-003]
    /// [STREAM-DEC-004] [STREAM-DEC-005] [STREAM-DEC-006] [STREAM-SPLIT-001]
    pub fn push(&mut self, chunk: &[u8]) -> Result<String, StreamError> {
        let saved = self.buffer.clone();
        let text = self.buffer.push(chunk)?;
        self.expand_lines(&text)
            .inspect_err(|_| self.buffer = saved)
    }

    /// End the stream: expand the rest after the last LF.
    pub fn finish(&mut self) -> Result<String, StreamError> {
        let text = self.buffer.finish()?;
        self.expand_lines(&text)
    }

    /// The accumulated content. [STREAM-DEC-006]
    pub fn accumulated(&self) -> &str {
        &self.accumulated
    }
}

/// Compress a whole stream given as one chunk: the emitted events concatenated (what
/// `m2m-ref stream compress` prints).
pub fn compress_stream(
    mode: Mode,
    tokenizer: Tokenizer,
    input: &[u8],
) -> Result<String, StreamError> {
    let mut encoder = Encoder::checked(mode, tokenizer)?;
    let mut out = encoder.push(input)?.concat();
    out.push_str(&encoder.finish()?.concat());
    Ok(out)
}

/// Expand a whole stream given as one chunk (what `m2m-ref stream decompress` prints).
pub fn decompress_stream(input: &[u8]) -> Result<String, StreamError> {
    let mut decoder = Decoder::new();
    let mut out = decoder.push(input)?;
    out.push_str(&decoder.finish()?);
    Ok(out)
}
