//! The HTTP/3 edge serves at most `Limits::max_connections` connections at once: a handshake
//! past the cap is refused, not queued, and a slot frees when its connection ends.

use std::sync::Arc;
use std::time::Duration;

use m2m_reference::edge::h3::Loopback;
use m2m_reference::edge::h3_client::{ClientOptions, H3Client, Trust};
use m2m_reference::edge::http::{Handler, Limits, Resp};

fn client(server: &Loopback) -> H3Client {
    H3Client::new(
        &format!("https://{}", server.addr),
        ClientOptions {
            trust: Trust::Pinned(vec![server.fingerprint.clone()]),
            timeout: Duration::from_secs(5),
            server_idle_timeout: None,
        },
    )
    .expect("client")
}

#[test]
fn connections_past_the_cap_are_refused_and_a_freed_slot_is_reused() {
    let handler: Arc<Handler> = Arc::new(|_req| Resp::text(200, "{\"status\":\"ok\"}"));
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    // A short idle timeout: a client that vanishes without closing holds its slot until then.
    let idle = Duration::from_millis(300);
    let server = Loopback::start_with(handler, idle, limits).expect("server");

    // Two clients, each keeping its connection open after its request.
    let mut first = client(&server);
    let mut second = client(&server);
    assert_eq!(first.hello().expect("first connection").0, 200);
    assert_eq!(second.hello().expect("second connection").0, 200);

    // A third is refused while both are open.
    let mut third = client(&server);
    let refused = third.hello();
    assert!(
        refused.is_err(),
        "a third connection was served: {refused:?}"
    );

    // Once one is gone (dropped without a close, so it ends at the idle timeout), a new
    // connection is served again.
    drop(first);
    let served = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        client(&server)
            .hello()
            .is_ok_and(|(status, _)| status == 200)
    });
    assert!(served, "no connection was served after a slot was freed");
    drop(second);
}
