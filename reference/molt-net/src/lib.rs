//! # m2m-molt — runnable Molt-to-Molt hub and agent
//!
//! Thin tokio / axum shells around the sans-IO core in [`m2m_reference::molt`] (spec chapter
//! `molt`, `spec/30-molt.md`): every protocol decision is made by the core; this crate only
//! moves bytes, reads the clock and draws randomness.
//!
//! - [`hub`]: `GET /ws` (WebSocket), `/`, `/info`, `/health`, `/agents`, `/stats`, with the
//!   in-memory registry [`m2m_reference::molt::hub::Hub`]. [MOLT-HUB-*]
//! - [`agent`]: registers at a hub, listens for peers on TCP, sends, requests, responds and
//!   broadcasts. [MOLT-P2P-*]

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::time::{SystemTime, UNIX_EPOCH};

use m2m_reference::molt::crypto::SecretSource;
use m2m_reference::molt::hub::IdSource;

pub mod agent;
pub mod hub;
pub mod store;

/// Milliseconds since the Unix epoch, the hub's and agent's clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Randomness from the operating system: agent ids, X25519 private keys, nonces.
/// [MOLT-HUB-010] [MOLT-KEY-006] [MOLT-BLOB-007]
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl OsRandom {
    /// `N` random bytes.
    pub fn bytes<const N: usize>() -> [u8; N] {
        let mut b = [0u8; N];
        getrandom::getrandom(&mut b).expect("the operating system's random source is available");
        b
    }
}

impl IdSource for OsRandom {
    fn next_id(&mut self) -> String {
        hex::encode(Self::bytes::<16>())
    }
}

impl SecretSource for OsRandom {
    fn next_secret(&mut self) -> [u8; 32] {
        Self::bytes::<32>()
    }
}

pub mod load;
