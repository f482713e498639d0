//! # m2m-reference — the readable reference implementation of the M2M protocol family
//!
//! This crate is the executable form of the normative spec in `spec/`. It is written to be read:
//! one module per spec chapter, and every public item cites the requirement ids
//! (`[AREA-TOPIC-NNN]`) it implements, so `grep -rn WIRE-BROTLI-006` finds the spec sentence, the
//! code, the vectors that test it and the report rows that judged it.
//!
//! ## Architecture
//!
//! - **Sans-IO and deterministic.** The protocol modules ([`wire`], [`secure`], [`scan`],
//!   [`hydra`], [`session`], [`server`], [`select`], [`legacy`], [`molt`]) read no socket, file,
//!   clock or environment and draw no randomness themselves: callers pass bytes, times and
//!   random sources in and get bytes or typed errors out. Exactly these places do I/O:
//!   - [`testee`]: [`testee::serve`] / [`testee::serve_stdio`] read requests from stdin and write
//!     answers to stdout; the `hydra.*` ops read the model file their `model` arg names (resolved
//!     against the working directory, the environment variable `M2M_CONFORMANCE_ROOT`, then
//!     the source checkout); `testee.bench` reads the
//!     monotonic clock through [`testee::MonotonicClock`] (injectable).
//!   - [`secure::nonce::OsNonce`] draws AEAD nonces from the OS CSPRNG when a caller chooses it
//!     (the [`secure::nonce::NonceSource`] is always injected).
//!   - `edge` (feature `edge`, default): HTTP servers (tokio + hyper), the system clock and OS
//!     randomness for `m2m-ref server` and `serve-testee --http`.
//!
//!   Built with `--no-default-features`, the crate has no clap, no async runtime and no HTTP
//!   stack; the `m2m-ref` binary needs feature `cli`.
//! - **Typed errors, never panics.** Each area has one error enum; every variant maps to a stable
//!   class string from `spec/error-classes.yaml` through [`ErrorClass`]. Vectors compare
//!   classes, never messages.
//! - **One dispatcher.** [`testee`] maps a testee-protocol op name and its JSON args to a call
//!   into this crate. The harness's in-process target and `m2m-conformance serve-testee` both
//!   go through it, so the in-process and the stdin paths test exactly the same code.
//!
//! ## Chapters → modules
//!
//! | spec chapter | module |
//! |---|---|
//! | `01-detection` (prefixes, passthrough) | [`wire::detect`], [`wire::compress`], [`wire::decompress`] |
//! | `02-brotli` (`#M2M[v3.0]|DATA:`) | [`wire::brotli`], [`wire::b64`] |
//! | `03-varint` | [`wire::varint`] |
//! | `04-limits` | [`wire::limits`] |
//! | `05-frame` (`#M2M|1|`) | [`wire::frame`] |
//! | `06-secure` (HMAC and AEAD frames, HKDF hierarchy, X25519, keyring) | [`secure`] |
//! | `10-scanner` (security scanner) | [`scan`] |
//! | `11-hydra` (Hydra classifier) | [`hydra`] |
//! | `12-session` (handshake, DATA, keep-alive, close) | [`session`] |
//! | `13-http` (the server's HTTP API, sans-IO) | [`server`] |
//! | `14-security` (/scan, blocking, ML scans, secure compression) | [`server::security`], [`scan::ml`], [`scan::report`] |
//! | `15-models` (model registry, token counts, analysis, CLI text) | [`models`], [`console`] |
//! | `16-h3` (the server API over HTTP/3; feature `h3`) | `edge::h3`, `edge::h3_client` |
//! | `20-tokennative` (`#TK|`) | [`wire::token_native`] |
//! | `21-t1`, `22-dictionary`, `23-m3`, `24-zlib` (legacy formats) | [`legacy`] |
//! | `25-selection` (auto selection, compress_best) | [`select`] |
//! | `30-molt` (Molt-to-Molt hub and P2P) | [`molt`] |
//! | `90-testee` (testee protocol) | [`testee`] |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod console;
#[cfg(feature = "edge")]
pub mod edge;
pub mod hydra;
pub mod legacy;
pub mod models;
pub mod molt;
pub mod scan;
pub mod secure;
pub mod select;
pub mod server;
pub mod session;
pub mod streaming;
pub mod testee;
pub mod wire;

/// Maps an error value to its stable class string from `spec/error-classes.yaml`.
pub trait ErrorClass {
    /// The class string compared by vectors, e.g. `"brotli_truncated"`.
    fn class(&self) -> &'static str;
}

/// Version of this reference implementation, reported in the testee `hello`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
