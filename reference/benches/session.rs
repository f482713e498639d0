//! A full session between two sans-IO endpoints on a virtual clock: the handshake (HELLO →
//! ACCEPT, both endpoints with the default capabilities, so the negotiated algorithm is the M2M
//! v1 frame) and then 100 DATA messages of the `2k` corpus payload sent by the initiator and
//! delivered by the responder. Every message crosses as JSON text, as on a real transport.
//!
//! Ids: `session/handshake/none` (handshake alone) and `session/handshake-100-data/2k`
//! (throughput: 100 × the payload's bytes). Run: `cargo bench -p m2m-reference --bench session`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use m2m_reference::session::{Call, Capabilities, Config, Session};

mod common;

/// The two endpoints, in `Initial`, at virtual time 0. The responder's session id is injected.
fn endpoints() -> (Session, Session) {
    let endpoint = |agent: &str, id: &str| {
        Session::new(
            Config {
                local: Capabilities::default_with_agent_id(agent),
                session_id: id.to_owned(),
                timers: false,
            },
            0,
        )
    };
    (
        endpoint(common::CLIENT_AGENT, "client-initial-id"),
        endpoint(common::SERVER_AGENT, common::SESSION_ID),
    )
}

/// HELLO → ACCEPT at virtual time 1 and 2; returns the established endpoints.
fn handshake() -> (Session, Session) {
    let (mut client, mut server) = endpoints();
    let hello = client.call(Call::Hello, 1).expect("HELLO").messages;
    let accept = server.receive(&hello[0], 1).expect("ACCEPT").messages;
    client.receive(&accept[0], 2).expect("established");
    (client, server)
}

/// The handshake, then `count` DATA messages of `content`, one per virtual millisecond.
/// Returns the number of bytes delivered (so nothing can be optimised away).
fn run(content: &str, count: usize) -> usize {
    let (mut client, mut server) = handshake();
    let mut delivered = 0;
    for i in 0..count {
        let now = 3 + i as u64;
        let data = client
            .call(Call::Send(content), now)
            .expect("DATA")
            .messages;
        let out = server.receive(&data[0], now).expect("delivered");
        delivered += out.delivered.map_or(0, |d| d.len());
    }
    delivered
}

fn bench(c: &mut Criterion) {
    let payload = common::session_payload();
    let content = payload.text.as_str();
    // The DATA round trip is lossless (checked once, outside the measurement).
    assert_eq!(
        run(content, common::SESSION_DATA_MESSAGES),
        content.len() * common::SESSION_DATA_MESSAGES
    );
    let mut g = c.benchmark_group("session/handshake");
    g.bench_function("none", |b| b.iter(handshake));
    g.finish();
    let mut g = c.benchmark_group("session/handshake-100-data");
    g.throughput(Throughput::Bytes(
        (content.len() * common::SESSION_DATA_MESSAGES) as u64,
    ));
    g.bench_function(payload.label, |b| {
        b.iter(|| run(black_box(content), common::SESSION_DATA_MESSAGES))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = bench
}
criterion_main!(benches);
