//! The I/O edges of the reference (feature `edge`, on by default): what puts the sans-IO core
//! on a real socket, clock and random source. Nothing else in the crate opens a socket.
//!
//! - [`http`]: one HTTP/1.1 server stack (tokio + hyper) with connection concurrency, header,
//!   idle and body timeouts and a body limit, shared by both servers below.
//! - [`api`]: `m2m-ref server`, the HTTP API of spec chapter `http` around [`crate::server`],
//!   with the session sweep driven by a timer.
//! - [`h3`] (feature `h3`): the same API over QUIC and HTTP/3 (`m2m-ref server --h3`), and
//!   [`h3_client`], the HTTP/3 client that plays `http.run` and `h3.scenario` against a server.
//! - [`testee_http`]: the HTTP testee (`serve-testee --http`, TESTEE-HTTP-*) around
//!   [`crate::testee::handle_line`], used by `m2m-ref` and `m2m-conformance` alike.
//!
//! The system clock and the operating system's random source are read here and only here
//! ([`now_ms`], [`session_id`]).

pub mod api;
#[cfg(feature = "h3")]
pub mod h3;
#[cfg(feature = "h3")]
pub mod h3_client;
pub mod http;
pub mod testee_http;

use rand_core::{OsRng, RngCore};

/// Milliseconds since the Unix epoch on the system clock (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// 16 bytes from the operating system's CSPRNG. An error (no entropy source) is returned, never
/// replaced by a fixed value.
pub fn os_random() -> Result<[u8; 16], rand_core::Error> {
    let mut bytes = [0u8; 16];
    OsRng.try_fill_bytes(&mut bytes)?;
    Ok(bytes)
}

/// A fresh session id from the OS CSPRNG (SESSION-ID format of chapter `session`).
pub fn session_id() -> Result<String, rand_core::Error> {
    os_random().map(crate::session::session_id_from_random)
}
