//! The reference as an HTTP testee: `m2m-conformance serve-testee --http ADDR`.
//!
//! The server is the reference's own edge, [`m2m_reference::edge::testee_http`] (the same one
//! `m2m-ref serve-testee --http` runs): connections served concurrently with header, idle and
//! body timeouts, bodies over 256 MiB refused with 413 unread, and every request answered by
//! [`m2m_reference::testee::handle_line`], the dispatcher of the stdin testee and the in-process
//! target. [TESTEE-HTTP-001] [TESTEE-HTTP-002] [TESTEE-HTTP-005]

pub use m2m_reference::edge::testee_http::HttpTestee;

/// Longest request body the server reads (256 MiB); a longer one is answered 413 unread.
pub const MAX_REQUEST_BYTES: u64 = m2m_reference::testee::MAX_REQUEST_BYTES as u64;
