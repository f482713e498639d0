//! Session messages and their JSON form (spec `session`, `spec/12-session.md` §2-§3).
//!
//! The JSON shapes are those upstream `m2m-protocol` 0.4.0 writes and reads: a compact object
//! whose keys appear in declaration order, an untagged payload tried as capabilities, then
//! rejection, then data, then "empty" (any object). The types below are declared in that order so
//! that `serde` reproduces both the output bytes and the parsing quirks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `type` of a message; upper case on the wire, and nothing else parses.
/// [SESSION-MSG-002]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MessageType {
    /// Opens a handshake.
    Hello,
    /// Accepts a handshake.
    Accept,
    /// Refuses a handshake.
    Reject,
    /// Carries compressed content.
    Data,
    /// Keep-alive probe.
    Ping,
    /// Keep-alive answer.
    Pong,
    /// Ends the session.
    Close,
}

/// The envelope of every session message. [SESSION-MSG-001]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Message type, the `type` key.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// Session id; left out of the JSON when absent. [SESSION-MSG-003]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Payload; left out of the JSON when absent. [SESSION-MSG-003]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Payload>,
    /// Unix time in milliseconds; required on input. [SESSION-MSG-004]
    pub timestamp: u64,
}

/// The payload, parsed by trying each variant in declaration order. [SESSION-MSG-005]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Payload {
    /// Capabilities of HELLO and ACCEPT.
    Capabilities(Capabilities),
    /// Reason of a REJECT.
    Rejection(Rejection),
    /// Content of a DATA message.
    Data(DataPayload),
    /// Any other object, serialized as `{}` (PING, PONG, CLOSE). [SESSION-MSG-006]
    Empty {},
}

/// A REJECT's payload; both keys required. [SESSION-REJECT-001]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejection {
    /// Reason code.
    pub code: RejectionCode,
    /// Human-readable reason.
    pub message: String,
}

/// Rejection codes, in SCREAMING_SNAKE_CASE on the wire. [SESSION-REJECT-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RejectionCode {
    /// The major versions differ.
    VersionMismatch,
    /// No algorithm in common.
    NoCommonAlgorithm,
    /// Refused by security policy (never sent by upstream).
    SecurityPolicy,
    /// Refused by rate limiting (never sent by upstream).
    RateLimited,
    /// Other.
    Unknown,
}

/// A DATA payload. [SESSION-DATA-001]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataPayload {
    /// The algorithm the sender used.
    pub algorithm: Algorithm,
    /// The wire string.
    pub content: String,
    /// Original size, written only when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_size: Option<u64>,
    /// Scan result, written only when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_status: Option<SecurityStatus>,
}

/// A scan result attached to DATA (never produced by a session).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityStatus {
    /// Whether the content was scanned.
    pub scanned: bool,
    /// Whether it was found safe.
    pub safe: bool,
    /// Threat type, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat_type: Option<String>,
    /// Confidence, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

/// Session algorithm names: lower case, `tokennative` without separator. [SESSION-CAPS-003]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Passthrough.
    None,
    /// The M2M v1 frame.
    M2m,
    /// TokenNative.
    TokenNative,
    /// `#M2M[v3.0]|DATA:`.
    Brotli,
}

impl Algorithm {
    /// The wire-layer algorithm this name stands for.
    pub fn wire(self) -> crate::wire::Algorithm {
        match self {
            Algorithm::None => crate::wire::Algorithm::None,
            Algorithm::M2m => crate::wire::Algorithm::M2m,
            Algorithm::TokenNative => crate::wire::Algorithm::TokenNative,
            Algorithm::Brotli => crate::wire::Algorithm::Brotli,
        }
    }
}

/// Tokenizer encodings, written by their variant names. [SESSION-CAPS-003]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Encoding {
    /// cl100k_base (the default).
    #[default]
    Cl100kBase,
    /// o200k_base.
    O200kBase,
    /// Llama BPE.
    LlamaBpe,
    /// ~4 characters per token.
    Heuristic,
}

impl Encoding {
    /// The TokenNative tokenizer a session uses for DATA under this negotiated encoding:
    /// `Heuristic` falls back to cl100k, `LlamaBpe` is the `L` id (tokenized with cl100k).
    /// [SESSION-DATA-003]
    pub fn tokenizer(self) -> crate::wire::token_native::Tokenizer {
        use crate::wire::token_native::Tokenizer;
        match self {
            Encoding::Cl100kBase | Encoding::Heuristic => Tokenizer::Cl100k,
            Encoding::O200kBase => Tokenizer::O200k,
            Encoding::LlamaBpe => Tokenizer::Llama,
        }
    }
}

/// An agent's capabilities, the payload of HELLO and ACCEPT. [SESSION-CAPS-001]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Capabilities {
    /// Protocol version, e.g. `"3.0"`.
    pub version: String,
    /// Agent id.
    pub agent_id: String,
    /// Agent type.
    pub agent_type: String,
    /// Compression capabilities.
    pub compression: CompressionCaps,
    /// Security capabilities.
    pub security: SecurityCaps,
    /// Free-form extensions; `{}` when missing. Key order is not significant. [SESSION-CAPS-002]
    #[serde(default)]
    pub extensions: BTreeMap<String, String>,
}

/// Compression capabilities. [SESSION-CAPS-001] [SESSION-CAPS-002]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompressionCaps {
    /// Algorithms in preference order.
    pub algorithms: Vec<Algorithm>,
    /// Largest payload (0 = unlimited); carried, never used.
    pub max_payload: u64,
    /// Streaming support.
    pub streaming: bool,
    /// ML routing support.
    pub ml_routing: bool,
    /// Encodings; `[]` when missing.
    #[serde(default)]
    pub encodings: Vec<Encoding>,
    /// Preferred encoding; `Cl100kBase` when missing.
    #[serde(default)]
    pub preferred_encoding: Encoding,
}

/// Security capabilities. [SESSION-CAPS-001] [SESSION-CAPS-002]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityCaps {
    /// Threat detection.
    pub threat_detection: bool,
    /// Model version; written as `null` when absent, may be missing on input.
    #[serde(default)]
    pub model_version: Option<String>,
    /// Blocking mode.
    pub blocking_mode: bool,
    /// Blocking threshold, a binary32.
    pub block_threshold: f32,
}

impl Capabilities {
    /// The default capabilities of an endpoint, with the given agent id (upstream draws a random
    /// UUID here; this crate leaves randomness to the caller). [SESSION-CAPS-004]
    pub fn default_with_agent_id(agent_id: &str) -> Self {
        Capabilities {
            version: super::PROTOCOL_VERSION.to_owned(),
            agent_id: agent_id.to_owned(),
            agent_type: "m2m-rust".to_owned(),
            compression: CompressionCaps {
                algorithms: vec![
                    Algorithm::M2m,
                    Algorithm::TokenNative,
                    Algorithm::Brotli,
                    Algorithm::None,
                ],
                max_payload: 0,
                streaming: true,
                ml_routing: false,
                encodings: vec![Encoding::Cl100kBase, Encoding::O200kBase],
                preferred_encoding: Encoding::Cl100kBase,
            },
            security: SecurityCaps {
                threat_detection: false,
                model_version: None,
                blocking_mode: false,
                block_threshold: 0.8,
            },
            extensions: BTreeMap::new(),
        }
    }
}

impl Message {
    fn new(kind: MessageType, session_id: Option<&str>, payload: Payload, now_ms: u64) -> Self {
        Message {
            kind,
            session_id: session_id.map(str::to_owned),
            payload: Some(payload),
            timestamp: now_ms,
        }
    }

    /// HELLO carrying the sender's own capabilities, without session id. [SESSION-MSG-007]
    pub fn hello(caps: &Capabilities, now_ms: u64) -> Self {
        Self::new(
            MessageType::Hello,
            None,
            Payload::Capabilities(caps.clone()),
            now_ms,
        )
    }

    /// ACCEPT carrying the responder's session id and its full local capabilities.
    /// [SESSION-MSG-007] [SESSION-NEG-006]
    pub fn accept(session_id: &str, caps: &Capabilities, now_ms: u64) -> Self {
        Self::new(
            MessageType::Accept,
            Some(session_id),
            Payload::Capabilities(caps.clone()),
            now_ms,
        )
    }

    /// REJECT, without session id. [SESSION-MSG-007] [SESSION-REJECT-001]
    pub fn reject(code: RejectionCode, message: &str, now_ms: u64) -> Self {
        Self::new(
            MessageType::Reject,
            None,
            Payload::Rejection(Rejection {
                code,
                message: message.to_owned(),
            }),
            now_ms,
        )
    }

    /// DATA with algorithm and content only. [SESSION-DATA-001]
    pub fn data(session_id: &str, algorithm: Algorithm, content: String, now_ms: u64) -> Self {
        Self::new(
            MessageType::Data,
            Some(session_id),
            Payload::Data(DataPayload {
                algorithm,
                content,
                original_size: None,
                security_status: None,
            }),
            now_ms,
        )
    }

    /// PING, PONG or CLOSE: session id and an empty payload. [SESSION-MSG-007]
    pub fn control(kind: MessageType, session_id: &str, now_ms: u64) -> Self {
        Self::new(kind, Some(session_id), Payload::Empty {}, now_ms)
    }

    /// Parse a message from its JSON text. [SESSION-MSG-001]
    pub fn from_json(text: &str) -> Result<Self, super::SessionError> {
        serde_json::from_str(text).map_err(|e| super::SessionError::MalformedMessage(e.to_string()))
    }

    /// The compact JSON text, keys in declaration order. [SESSION-MSG-001]
    pub fn to_json(&self) -> String {
        // Serializing these plain data types cannot fail (string keys, no non-finite floats
        // reach here except through block_threshold, which serde_json writes as null).
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The capabilities, if the payload parsed as such.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        match &self.payload {
            Some(Payload::Capabilities(c)) => Some(c),
            _ => None,
        }
    }

    /// The rejection, if the payload parsed as such.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.payload {
            Some(Payload::Rejection(r)) => Some(r),
            _ => None,
        }
    }

    /// The DATA payload, if the payload parsed as such.
    pub fn data_payload(&self) -> Option<&DataPayload> {
        match &self.payload {
            Some(Payload::Data(d)) => Some(d),
            _ => None,
        }
    }
}
