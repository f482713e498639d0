//! The session protocol (spec chapter `session`, `spec/12-session.md`): a sans-IO state
//! machine for the HELLO / ACCEPT / REJECT handshake, DATA exchange, keep-alive and closing.
//!
//! [`Session`] owns no socket, thread or clock. Every call takes the current time in
//! milliseconds (`now_ms`, the caller's clock: virtual in tests) and returns the messages to
//! send, as JSON text, plus the new state. Randomness is injected: the session id is given to
//! [`Session::new`] (see [`session_id_from_random`] for the id format). [SESSION-SM-001]
//!
//! The behaviour is upstream `m2m-protocol` 0.4.0's `Session` (the de facto standard), plus the
//! timers that upstream documents but does not implement (SHOULD, SESSION-TIMER-*), and one
//! intended behaviour where upstream is broken: a local HELLO outside `Initial` is refused
//! (SESSION-SM-009).

use std::fmt;

use thiserror::Error;

use crate::wire::{self, Limits, WireError};
use crate::ErrorClass;

pub mod message;
pub mod negotiate;

pub use message::{Capabilities, Message, MessageType, RejectionCode};
pub use negotiate::{negotiate, Negotiated};

/// The protocol version a default endpoint announces. [SESSION-VER-002]
pub const PROTOCOL_VERSION: &str = "3.0";
/// Idle time after which DATA is refused, in ms (strictly more than this). [SESSION-EXPIRY-001]
pub const IDLE_TIMEOUT_MS: u64 = 300_000;
/// Time a HELLO waits for ACCEPT or REJECT. [SESSION-TIMER-001]
pub const HELLO_TIMEOUT_MS: u64 = 30_000;
/// Idle time in `Established` after which a PING is sent. [SESSION-TIMER-002]
pub const PING_INTERVAL_MS: u64 = 60_000;
/// Time a PING waits for a PONG. [SESSION-TIMER-003]
pub const PONG_TIMEOUT_MS: u64 = 10_000;
/// Consecutive missed PONGs that close the session. [SESSION-TIMER-003]
pub const MAX_MISSED_PONGS: u32 = 3;
/// Time from `Closing` to the forced `Closed`. [SESSION-TIMER-004]
pub const CLOSING_TIMEOUT_MS: u64 = 5_000;

/// The five states; their names are upstream's Debug names. [SESSION-SM-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No handshake yet.
    Initial,
    /// HELLO sent, waiting for ACCEPT or REJECT.
    HelloSent,
    /// Handshake done; DATA may flow.
    Established,
    /// CLOSE sent, waiting for the peer's CLOSE.
    Closing,
    /// Finished.
    Closed,
}

impl State {
    /// The name used in results: `Initial`, `HelloSent`, `Established`, `Closing`, `Closed`.
    pub fn name(self) -> &'static str {
        match self {
            State::Initial => "Initial",
            State::HelloSent => "HelloSent",
            State::Established => "Established",
            State::Closing => "Closing",
            State::Closed => "Closed",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors of the session layer, each with a stable class. [SESSION-ERR-001]
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SessionError {
    /// The text is not a message: not JSON, unknown or lower-case `type`, missing `timestamp`.
    /// [SESSION-MSG-002] [SESSION-MSG-004]
    #[error("malformed message: {0}")]
    MalformedMessage(String),
    /// The message parsed but lacks what its type needs (capabilities, session id, data).
    /// [SESSION-MSG-006]
    #[error("invalid message: {0}")]
    InvalidMessage(&'static str),
    /// The event is not allowed in the current state. [SESSION-SM-002]
    #[error("cannot {event} in state {state}")]
    InvalidState {
        /// What was attempted.
        event: &'static str,
        /// The state it was attempted in.
        state: State,
    },
    /// An ACCEPT whose capabilities cannot be negotiated. [SESSION-NEG-007]
    #[error("negotiation failed")]
    NegotiationFailed,
    /// The peer sent REJECT. [SESSION-REJECT-002]
    #[error("rejected by peer: {0}")]
    Rejected(String),
    /// DATA before the handshake finished or after it ended. [SESSION-DATA-002]
    #[error("session not established")]
    NotEstablished,
    /// DATA after more than 300 s of inactivity. [SESSION-EXPIRY-001]
    #[error("session expired")]
    Expired,
    /// The DATA content could not be encoded or decoded. [SESSION-DATA-004]
    #[error(transparent)]
    Codec(WireError),
}

impl ErrorClass for SessionError {
    fn class(&self) -> &'static str {
        match self {
            SessionError::MalformedMessage(_) => "malformed_message",
            SessionError::InvalidMessage(_) => "invalid_message",
            SessionError::InvalidState { .. } => "invalid_state",
            SessionError::NegotiationFailed => "negotiation_failed",
            SessionError::Rejected(_) => "rejected",
            SessionError::NotEstablished => "session_not_established",
            SessionError::Expired => "session_expired",
            SessionError::Codec(e) => e.class(),
        }
    }
}

/// Local settings of one endpoint.
#[derive(Debug, Clone)]
pub struct Config {
    /// The capabilities this endpoint announces and negotiates from.
    pub local: Capabilities,
    /// The session id this endpoint starts with (injected randomness). [SESSION-ID-001]
    pub session_id: String,
    /// Whether the SHOULD timers (SESSION-TIMER-*) run. Idle expiry always applies.
    pub timers: bool,
}

/// What one event produced: messages to send (JSON text, in order) and, for a received DATA,
/// the decoded content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// Messages to send, each the compact JSON text of a [`Message`].
    pub messages: Vec<String>,
    /// The decoded content of a received DATA message.
    pub delivered: Option<String>,
}

/// Counters of one session. [SESSION-STATS-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Messages this endpoint produced.
    pub messages_sent: u64,
    /// Messages this endpoint accepted for processing.
    pub messages_received: u64,
}

/// A local call on the session. [SESSION-SM-001]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call<'a> {
    /// Start a handshake: send HELLO. [SESSION-SM-003]
    Hello,
    /// Compress this content with the negotiated algorithm and send it as DATA. [SESSION-DATA-003]
    Send(&'a str),
    /// Send CLOSE. [SESSION-SM-006]
    Close,
}

/// One endpoint of a session.
#[derive(Debug, Clone)]
pub struct Session {
    config: Config,
    id: String,
    state: State,
    negotiated: Option<Negotiated>,
    stats: Stats,
    last_activity: u64,
    hello_sent_at: u64,
    closing_since: u64,
    last_ping_at: Option<u64>,
    ping_outstanding: Option<u64>,
    missed_pongs: u32,
}

impl Session {
    /// A session in `Initial`, created at `now_ms`. [SESSION-SM-001] [SESSION-ID-001]
    pub fn new(config: Config, now_ms: u64) -> Self {
        Session {
            id: config.session_id.clone(),
            config,
            state: State::Initial,
            negotiated: None,
            stats: Stats::default(),
            last_activity: now_ms,
            hello_sent_at: now_ms,
            closing_since: now_ms,
            last_ping_at: None,
            ping_outstanding: None,
            missed_pongs: 0,
        }
    }

    /// The current session id (the responder's id once an ACCEPT was processed). [SESSION-ID-002]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The negotiated parameters, once the handshake succeeded.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// The message counters. [SESSION-STATS-001]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The next instant at which [`Session::advance`] has work to do, if any. [SESSION-TIMER-005]
    pub fn next_deadline(&self) -> Option<u64> {
        if !self.config.timers {
            return None;
        }
        match self.state {
            State::HelloSent => Some(self.hello_sent_at + HELLO_TIMEOUT_MS),
            State::Closing => Some(self.closing_since + CLOSING_TIMEOUT_MS),
            State::Established => Some(match self.ping_outstanding {
                Some(sent) => sent + PONG_TIMEOUT_MS,
                None => self.last_activity.max(self.last_ping_at.unwrap_or(0)) + PING_INTERVAL_MS,
            }),
            State::Initial | State::Closed => None,
        }
    }

    /// Let time pass up to `now_ms`: fire every timer due, in deadline order, each at its own
    /// deadline (the timestamps of the messages it sends). [SESSION-TIMER-005]
    pub fn advance(&mut self, now_ms: u64) -> Output {
        let mut out = Output::default();
        while let Some(deadline) = self.next_deadline() {
            if deadline > now_ms {
                break;
            }
            self.fire(deadline, &mut out);
        }
        out
    }

    fn fire(&mut self, at: u64, out: &mut Output) {
        match self.state {
            // [SESSION-TIMER-001]
            State::HelloSent => self.state = State::Closed,
            // [SESSION-TIMER-004]
            State::Closing => self.state = State::Closed,
            State::Established => match self.ping_outstanding.take() {
                // [SESSION-TIMER-003]
                Some(_) => {
                    self.missed_pongs += 1;
                    if self.missed_pongs >= MAX_MISSED_PONGS {
                        let close = self.close(at);
                        out.messages.push(close);
                    }
                }
                // [SESSION-TIMER-002]
                None => {
                    self.stats.messages_sent += 1;
                    self.last_ping_at = Some(at);
                    self.ping_outstanding = Some(at);
                    out.messages
                        .push(Message::control(MessageType::Ping, &self.id, at).to_json());
                }
            },
            State::Initial | State::Closed => {}
        }
    }

    fn expired(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.last_activity) > IDLE_TIMEOUT_MS
    }

    fn close(&mut self, now_ms: u64) -> String {
        self.state = State::Closing;
        self.closing_since = now_ms;
        self.stats.messages_sent += 1;
        Message::control(MessageType::Close, &self.id, now_ms).to_json()
    }

    /// Perform a local call at `now_ms`. Timers do not fire here: a driver calls
    /// [`Session::advance`] first when time has passed (see [`Session::next_deadline`]).
    /// [SESSION-SM-003] [SESSION-SM-006] [SESSION-SM-009] [SESSION-DATA-003]
    pub fn call(&mut self, call: Call<'_>, now_ms: u64) -> Result<Output, SessionError> {
        let mut out = Output::default();
        match call {
            Call::Hello => {
                if self.state != State::Initial {
                    return Err(SessionError::InvalidState {
                        event: "send HELLO",
                        state: self.state,
                    });
                }
                self.state = State::HelloSent;
                self.hello_sent_at = now_ms;
                self.stats.messages_sent += 1;
                self.last_activity = now_ms;
                out.messages
                    .push(Message::hello(&self.config.local, now_ms).to_json());
            }
            Call::Send(content) => {
                let algorithm = self.check_data(now_ms)?;
                // TokenNative uses the negotiated encoding's tokenizer, as upstream configures
                // its codec on establishing. [SESSION-DATA-003]
                let wire = match (algorithm, self.negotiated) {
                    (message::Algorithm::TokenNative, Some(n)) => {
                        wire::token_native::encode(content, n.encoding.tokenizer()).0
                    }
                    _ => wire::compress(content, algorithm.wire()).map_err(SessionError::Codec)?,
                };
                self.stats.messages_sent += 1;
                self.last_activity = now_ms;
                out.messages
                    .push(Message::data(&self.id, algorithm, wire, now_ms).to_json());
            }
            Call::Close => {
                let close = self.close(now_ms);
                out.messages.push(close);
            }
        }
        Ok(out)
    }

    /// DATA needs `Established` (checked first) and a session that has not expired.
    /// [SESSION-DATA-002] [SESSION-EXPIRY-001]
    fn check_data(&self, now_ms: u64) -> Result<message::Algorithm, SessionError> {
        if self.state != State::Established {
            return Err(SessionError::NotEstablished);
        }
        if self.expired(now_ms) {
            return Err(SessionError::Expired);
        }
        Ok(self
            .negotiated
            .map_or(message::Algorithm::M2m, |n| n.algorithm))
    }

    /// Process one received message text at `now_ms`. Timers do not fire here (see
    /// [`Session::call`]). [SESSION-SM-002]
    pub fn receive(&mut self, text: &str, now_ms: u64) -> Result<Output, SessionError> {
        let mut out = Output::default();
        let message = Message::from_json(text)?;
        if message.kind == MessageType::Data {
            out.delivered = Some(self.receive_data(&message, now_ms)?);
            return Ok(out);
        }
        // Any parsed non-DATA message counts as activity, even one that is then refused.
        // [SESSION-EXPIRY-002]
        self.last_activity = now_ms;
        match message.kind {
            MessageType::Hello => out.messages.push(self.receive_hello(&message, now_ms)?),
            MessageType::Accept => self.receive_accept(&message)?,
            MessageType::Reject => {
                // [SESSION-REJECT-002]
                self.stats.messages_received += 1;
                self.state = State::Closed;
                let reason = message.rejection().map_or_else(
                    || "no rejection payload".to_owned(),
                    |r| format!("{:?}: {}", r.code, r.message),
                );
                return Err(SessionError::Rejected(reason));
            }
            MessageType::Ping => {
                // [SESSION-PING-001]
                self.stats.messages_received += 1;
                self.stats.messages_sent += 1;
                out.messages
                    .push(Message::control(MessageType::Pong, &self.id, now_ms).to_json());
            }
            MessageType::Pong => {
                // [SESSION-PING-002]
                self.stats.messages_received += 1;
                self.ping_outstanding = None;
                self.missed_pongs = 0;
            }
            MessageType::Close => {
                // [SESSION-SM-007]
                self.stats.messages_received += 1;
                self.state = State::Closed;
            }
            MessageType::Data => {}
        }
        Ok(out)
    }

    /// HELLO: only in `Initial`; capabilities required; version, then algorithms.
    /// [SESSION-SM-004] [SESSION-VER-001] [SESSION-NEG-002] [SESSION-REJECT-003]
    fn receive_hello(&mut self, hello: &Message, now_ms: u64) -> Result<String, SessionError> {
        if self.state != State::Initial {
            return Err(SessionError::InvalidState {
                event: "process HELLO",
                state: self.state,
            });
        }
        let peer = hello
            .capabilities()
            .ok_or(SessionError::InvalidMessage("HELLO missing capabilities"))?;
        self.stats.messages_received += 1;
        let local = &self.config.local;
        if !negotiate::compatible(local, peer) {
            let text = format!(
                "Version {} not compatible with {}",
                peer.version, local.version
            );
            return Ok(Message::reject(RejectionCode::VersionMismatch, &text, now_ms).to_json());
        }
        match negotiate(local, peer) {
            Some(n) => {
                self.negotiated = Some(n);
                self.state = State::Established;
                self.stats.messages_sent += 1;
                Ok(Message::accept(&self.id, local, now_ms).to_json())
            }
            None => Ok(Message::reject(
                RejectionCode::NoCommonAlgorithm,
                "No common compression algorithm",
                now_ms,
            )
            .to_json()),
        }
    }

    /// ACCEPT: only in `HelloSent`; capabilities, then session id required; the id is adopted
    /// before negotiating. [SESSION-SM-005] [SESSION-ID-002] [SESSION-NEG-007]
    fn receive_accept(&mut self, accept: &Message) -> Result<(), SessionError> {
        if self.state != State::HelloSent {
            return Err(SessionError::InvalidState {
                event: "process ACCEPT",
                state: self.state,
            });
        }
        let peer = accept
            .capabilities()
            .ok_or(SessionError::InvalidMessage("ACCEPT missing capabilities"))?;
        let id = accept
            .session_id
            .as_ref()
            .ok_or(SessionError::InvalidMessage("ACCEPT missing session ID"))?;
        self.stats.messages_received += 1;
        self.id = id.clone();
        let n = negotiate(&self.config.local, peer).ok_or(SessionError::NegotiationFailed)?;
        self.negotiated = Some(n);
        self.state = State::Established;
        Ok(())
    }

    /// DATA: `Established`, not expired, a DATA payload; the content's own prefix decides the
    /// decoder, whatever `algorithm` says. [SESSION-DATA-002] [SESSION-DATA-004]
    fn receive_data(&mut self, data: &Message, now_ms: u64) -> Result<String, SessionError> {
        self.check_data(now_ms)?;
        let payload = data
            .data_payload()
            .ok_or(SessionError::InvalidMessage("Not a DATA message"))?;
        self.stats.messages_received += 1;
        self.last_activity = now_ms;
        wire::decompress(&payload.content, &Limits::default()).map_err(SessionError::Codec)
    }
}

/// A session id in upstream's format, a UUID version 4 in lower-case hyphenated form, from 16
/// caller-supplied random bytes. [SESSION-ID-003]
pub fn session_id_from_random(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_format() {
        let id = session_id_from_random([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let id = session_id_from_random([0; 16]);
        assert_eq!(id, "00000000-0000-4000-8000-000000000000");
    }
}
