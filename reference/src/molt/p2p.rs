//! The Molt peer-to-peer protocol over one TCP connection: newline-delimited JSON frames, a
//! handshake that exchanges fresh X25519 keys, encrypted `message` frames acknowledged with
//! `ack`, `ping`/`pong`, and the two error replies. Sans-IO: bytes in, lines and events out.
//! [MOLT-P2P-*]

use serde_json::{json, Map, Value};

use super::crypto::{self, SecretSource};

/// The reference's cap on one frame line, in bytes, without its newline. A longer line is
/// discarded up to its newline and answered with `invalid_message`. [MOLT-P2P-004]
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The error string a listener sends for a line it cannot process. [MOLT-P2P-011]
pub const INVALID_MESSAGE: &str = "invalid_message";
/// The error string a listener sends for a `message` whose blob does not open. [MOLT-P2P-009]
pub const DECRYPTION_FAILED: &str = "decryption_failed";

/// One item cut from the byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineItem {
    /// A complete line (without `\n`), decoded as UTF-8 over the whole line (invalid
    /// sequences become U+FFFD). [MOLT-P2P-002] [MOLT-P2P-003]
    Line(String),
    /// A line longer than the cap; its bytes were discarded. [MOLT-P2P-004]
    TooLong,
}

/// Splits a byte stream into `\n`-terminated lines, with a length cap. [MOLT-P2P-001]
/// [MOLT-P2P-004]
#[derive(Debug, Clone)]
pub struct LineBuffer {
    buf: Vec<u8>,
    max: usize,
    discarding: bool,
}

impl LineBuffer {
    /// A buffer with a line cap of `max` bytes.
    pub fn new(max: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            max,
            discarding: false,
        }
    }

    /// Feed bytes; returns the complete lines (and over-long markers) in order. A line is
    /// over-long as soon as its bytes so far exceed the cap, newline or not; the buffer never
    /// holds more than the cap.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<LineItem> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let (part, ends_line, rest) = match memchr::memchr(b'\n', bytes) {
                Some(i) => (&bytes[..i], true, &bytes[i + 1..]),
                None => (bytes, false, &[][..]),
            };
            bytes = rest;
            if !self.discarding {
                if part.len() > self.max - self.buf.len() {
                    self.buf.clear();
                    self.discarding = true;
                    out.push(LineItem::TooLong);
                } else {
                    self.buf.extend_from_slice(part);
                }
            }
            if ends_line {
                if !std::mem::take(&mut self.discarding) {
                    out.push(LineItem::Line(
                        String::from_utf8_lossy(&self.buf).into_owned(),
                    ));
                }
                self.buf.clear();
            }
        }
        out
    }

    /// Bytes buffered for the current incomplete line.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// `{"type":"handshake","key":…,"from":…}`; `from` is omitted when the sender has no id.
/// [MOLT-P2P-005]
pub fn handshake_frame(key_b64: &str, from: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("handshake"));
    m.insert("key".into(), json!(key_b64));
    if let Some(f) = from {
        m.insert("from".into(), f.clone());
    }
    Value::Object(m)
}

/// `{"type":"handshake_ack","key":…}`. [MOLT-P2P-006]
pub fn handshake_ack_frame(key_b64: &str) -> Value {
    json!({"type": "handshake_ack", "key": key_b64})
}

/// `{"type":"message","messageType":…,"data":…,"correlationId":…}`; absent members omitted.
/// [MOLT-P2P-007]
pub fn message_frame(
    message_type: Option<&Value>,
    data: &str,
    correlation_id: Option<&Value>,
) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("message"));
    if let Some(t) = message_type {
        m.insert("messageType".into(), t.clone());
    }
    m.insert("data".into(), json!(data));
    if let Some(c) = correlation_id {
        m.insert("correlationId".into(), c.clone());
    }
    Value::Object(m)
}

/// `{"type":"ack","correlationId":…}`, the id copied as-is and omitted when absent.
/// [MOLT-P2P-008]
pub fn ack_frame(correlation_id: Option<&Value>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("ack"));
    if let Some(c) = correlation_id {
        m.insert("correlationId".into(), c.clone());
    }
    Value::Object(m)
}

/// `{"error":…}`. [MOLT-P2P-009] [MOLT-P2P-011]
pub fn error_frame(error: &str) -> Value {
    json!({ "error": error })
}

/// A frame as one wire line (compact JSON plus `\n`). [MOLT-P2P-001]
pub fn to_line(frame: &Value) -> String {
    let mut s = frame.to_string();
    s.push('\n');
    s
}

/// A decrypted inbound message, as a listener delivers it to its application.
/// [MOLT-P2P-010]
#[derive(Debug, Clone, PartialEq)]
pub struct MessageEvent {
    /// The `from` of the connection's last handshake (self-asserted, unauthenticated).
    pub from: Option<Value>,
    /// The frame's cleartext `messageType`.
    pub message_type: Option<Value>,
    /// The decrypted, decoded payload.
    pub payload: Value,
    /// The frame's cleartext `correlationId`.
    pub correlation_id: Option<Value>,
}

impl MessageEvent {
    /// JSON form `{from?, type?, payload, correlationId?}` (absent members omitted).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(f) = &self.from {
            m.insert("from".into(), f.clone());
        }
        if let Some(t) = &self.message_type {
            m.insert("type".into(), t.clone());
        }
        m.insert("payload".into(), self.payload.clone());
        if let Some(c) = &self.correlation_id {
            m.insert("correlationId".into(), c.clone());
        }
        Value::Object(m)
    }
}

/// What a listener produces for the input it was fed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerOutput {
    /// Frames to write back, in order.
    pub replies: Vec<Value>,
    /// Messages delivered to the application, in order.
    pub events: Vec<MessageEvent>,
}

/// The listener side of one P2P connection. [MOLT-P2P-005] … [MOLT-P2P-013]
#[derive(Debug, Clone)]
pub struct PeerServer {
    lines: LineBuffer,
    session_key: Option<[u8; 32]>,
    peer_id: Option<Value>,
}

impl Default for PeerServer {
    fn default() -> Self {
        PeerServer::new(MAX_LINE_BYTES)
    }
}

impl PeerServer {
    /// A fresh connection with line cap `max_line`.
    pub fn new(max_line: usize) -> Self {
        PeerServer {
            lines: LineBuffer::new(max_line),
            session_key: None,
            peer_id: None,
        }
    }

    /// Whether a handshake has set a session key.
    pub fn has_session(&self) -> bool {
        self.session_key.is_some()
    }

    /// Feed received bytes; every complete line is handled in order.
    pub fn receive(&mut self, bytes: &[u8], keys: &mut dyn SecretSource) -> ServerOutput {
        let mut out = ServerOutput::default();
        for item in self.lines.push(bytes) {
            match item {
                LineItem::TooLong => out.replies.push(error_frame(INVALID_MESSAGE)),
                LineItem::Line(line) => self.handle_line(&line, keys, &mut out),
            }
        }
        out
    }

    /// Handle one complete line. [MOLT-P2P-005] [MOLT-P2P-007] [MOLT-P2P-011]
    /// [MOLT-P2P-012] [MOLT-P2P-013]
    pub fn handle_line(&mut self, line: &str, keys: &mut dyn SecretSource, out: &mut ServerOutput) {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            out.replies.push(error_frame(INVALID_MESSAGE));
            return;
        };
        let obj = match msg {
            Value::Null => {
                out.replies.push(error_frame(INVALID_MESSAGE));
                return;
            }
            Value::Object(o) => o,
            // Numbers, strings, booleans and arrays have no `type`: ignored. [MOLT-P2P-013]
            _ => return,
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("handshake") => {
                // A fresh key pair per handshake, drawn before the peer key is checked.
                let secret = keys.next_secret();
                let derived = match obj.get("key") {
                    Some(Value::String(k)) => crypto::derive(&secret, k).ok(),
                    _ => None,
                };
                match derived {
                    Some(k) => {
                        self.session_key = Some(k);
                        self.peer_id = obj.get("from").cloned();
                        let own = crypto::spki_b64(&crypto::public_key(&secret));
                        out.replies.push(handshake_ack_frame(&own));
                    }
                    None => out.replies.push(error_frame(INVALID_MESSAGE)),
                }
            }
            Some("message") if self.session_key.is_some() => {
                let key = self.session_key.expect("checked");
                let payload = match obj.get("data") {
                    Some(Value::String(d)) => crypto::open_payload(&key, d).ok(),
                    _ => None,
                };
                match payload {
                    Some(payload) => {
                        let correlation_id = obj.get("correlationId").cloned();
                        out.events.push(MessageEvent {
                            from: self.peer_id.clone(),
                            message_type: obj.get("messageType").cloned(),
                            payload,
                            correlation_id: correlation_id.clone(),
                        });
                        out.replies.push(ack_frame(correlation_id.as_ref()));
                    }
                    None => out.replies.push(error_frame(DECRYPTION_FAILED)),
                }
            }
            Some("ping") => out.replies.push(json!({"type": "pong"})),
            // `message` before a handshake, unknown or missing types: no reply. [MOLT-P2P-012]
            _ => {}
        }
    }
}

/// The outcome of a sender's exchange.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientStep {
    /// Write this frame.
    Send(Value),
    /// The listener acknowledged the message: close the connection. [MOLT-P2P-014]
    Delivered,
    /// The listener answered an error frame (its `error`), or sent something unusable (no
    /// error text): close.
    Failed(Option<String>),
    /// Nothing to do (e.g. a `pong`).
    Nothing,
}

/// The sender side: one connection, one handshake, one message. [MOLT-P2P-014]
#[derive(Debug, Clone)]
pub struct PeerClient {
    secret: [u8; 32],
    from: Option<Value>,
    message_type: Value,
    plaintext: Vec<u8>,
    correlation_id: Option<Value>,
    nonce: [u8; 12],
    done: bool,
}

impl PeerClient {
    /// A sender that will deliver `plaintext` as `message_type`, using the injected key and
    /// nonce.
    pub fn new(
        secret: [u8; 32],
        from: Option<Value>,
        message_type: Value,
        plaintext: Vec<u8>,
        correlation_id: Option<Value>,
        nonce: [u8; 12],
    ) -> Self {
        PeerClient {
            secret,
            from,
            message_type,
            plaintext,
            correlation_id,
            nonce,
            done: false,
        }
    }

    /// The first frame, written on connect.
    pub fn start(&self) -> Value {
        let own = crypto::spki_b64(&crypto::public_key(&self.secret));
        handshake_frame(&own, Some(self.from.as_ref().unwrap_or(&Value::Null)))
    }

    /// Handle one line from the listener, checking `type` first and then a truthy `error`
    /// member, as the JavaScript sender does. [MOLT-P2P-014]
    pub fn on_line(&mut self, line: &str) -> ClientStep {
        if self.done {
            return ClientStep::Nothing;
        }
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            self.done = true;
            return ClientStep::Failed(None);
        };
        if msg.is_null() {
            self.done = true;
            return ClientStep::Failed(None);
        }
        match msg.get("type").and_then(Value::as_str) {
            Some("handshake_ack") => {
                let derived = match msg.get("key") {
                    Some(Value::String(k)) => crypto::derive(&self.secret, k).ok(),
                    _ => None,
                };
                let Some(key) = derived else {
                    self.done = true;
                    return ClientStep::Failed(None);
                };
                let data = crypto::seal(&key, &self.nonce, &self.plaintext);
                return ClientStep::Send(message_frame(
                    Some(&self.message_type),
                    &data,
                    self.correlation_id.as_ref(),
                ));
            }
            Some("ack") => {
                self.done = true;
                return ClientStep::Delivered;
            }
            _ => {}
        }
        match msg.get("error") {
            Some(e) if truthy(e) => {
                self.done = true;
                ClientStep::Failed(Some(
                    e.as_str().map_or_else(|| e.to_string(), str::to_owned),
                ))
            }
            _ => ClientStep::Nothing,
        }
    }
}

/// JavaScript truthiness of a JSON value.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::molt::crypto::ListSecrets;

    #[test]
    fn client_server_exchange() {
        let mut server = PeerServer::default();
        let mut keys = ListSecrets::new(vec![[9u8; 32]]);
        let mut client = PeerClient::new(
            [4u8; 32],
            Some(json!("alice")),
            json!("chat"),
            b"{\"text\":\"hi\"}".to_vec(),
            Some(json!("c1")),
            [1u8; 12],
        );
        let out = server.receive(to_line(&client.start()).as_bytes(), &mut keys);
        let ClientStep::Send(msg) = client.on_line(&out.replies[0].to_string()) else {
            panic!("expected a message frame")
        };
        let out = server.receive(to_line(&msg).as_bytes(), &mut keys);
        assert_eq!(out.events[0].payload, json!({"text": "hi"}));
        assert_eq!(out.events[0].from, Some(json!("alice")));
        assert_eq!(
            client.on_line(&out.replies[0].to_string()),
            ClientStep::Delivered
        );
    }

    #[test]
    fn long_line_discarded() {
        let mut lb = LineBuffer::new(4);
        assert_eq!(
            lb.push(b"123456\nab\n"),
            vec![LineItem::TooLong, LineItem::Line("ab".into())]
        );
    }

    /// The byte-at-a-time splitter the chunked one replaced: the oracle.
    fn bytewise(max: usize, chunks: &[Vec<u8>]) -> (Vec<LineItem>, usize) {
        let (mut out, mut buf, mut discarding) = (Vec::new(), Vec::new(), false);
        for &b in chunks.iter().flatten() {
            if b == b'\n' {
                if !discarding {
                    out.push(LineItem::Line(String::from_utf8_lossy(&buf).into_owned()));
                }
                discarding = false;
                buf.clear();
            } else if !discarding {
                buf.push(b);
                if buf.len() > max {
                    buf.clear();
                    discarding = true;
                    out.push(LineItem::TooLong);
                }
            }
        }
        (out, buf.len())
    }

    proptest::proptest! {
        #[test]
        fn chunked_split_matches_bytewise(
            max in 0usize..12,
            chunks in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(b"ab\n\xff".to_vec()), 0..30),
                0..6,
            ),
        ) {
            let mut lb = LineBuffer::new(max);
            let mut got = Vec::new();
            for c in &chunks {
                got.extend(lb.push(c));
                proptest::prop_assert!(lb.pending() <= max);
            }
            proptest::prop_assert_eq!((got, lb.pending()), bytewise(max, &chunks));
        }
    }
}
