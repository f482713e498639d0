//! Session machine properties (spec `session`): no input panics, two endpoints wired together
//! complete the handshake and exchange DATA, and the default HELLO has upstream's exact bytes.

use m2m_reference::session::{Call, Capabilities, Config, Message, Session, State};
use m2m_reference::ErrorClass;
use proptest::prelude::*;

fn endpoint(id: &str, agent: &str) -> Session {
    Session::new(
        Config {
            local: Capabilities::default_with_agent_id(agent),
            session_id: id.to_owned(),
            timers: true,
        },
        0,
    )
}

/// The compact HELLO of upstream 0.4.0's default capabilities, as its `Message::to_json` writes
/// it (shape recorded from upstream's output in the protocol fact sheet, agent id and timestamp
/// substituted). [SESSION-CAPS-004] [SESSION-MSG-001] [SESSION-MSG-007]
#[test]
fn default_hello_bytes() {
    let expected = r#"{"type":"HELLO","payload":{"version":"3.0","agent_id":"a-1","agent_type":"m2m-rust","compression":{"algorithms":["m2m","tokennative","brotli","none"],"max_payload":0,"streaming":true,"ml_routing":false,"encodings":["Cl100kBase","O200kBase"],"preferred_encoding":"Cl100kBase"},"security":{"threat_detection":false,"model_version":null,"blocking_mode":false,"block_threshold":0.8},"extensions":{}},"timestamp":1700000000000}"#;
    let caps = Capabilities::default_with_agent_id("a-1");
    assert_eq!(Message::hello(&caps, 1_700_000_000_000).to_json(), expected);
}

/// Client and server endpoints of this crate talk to each other. [SESSION-SM-003]
/// [SESSION-SM-004] [SESSION-SM-005] [SESSION-DATA-003] [SESSION-DATA-004]
#[test]
fn two_endpoints_handshake_and_data() {
    let mut client = endpoint("client-own", "client");
    let mut server = endpoint("server-id", "server");
    let hello = client.call(Call::Hello, 10).unwrap().messages.remove(0);
    let accept = server.receive(&hello, 20).unwrap().messages.remove(0);
    assert!(client.receive(&accept, 30).unwrap().messages.is_empty());
    assert_eq!(client.state(), State::Established);
    assert_eq!(client.id(), "server-id");
    let doc = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"#;
    let data = client.call(Call::Send(doc), 40).unwrap().messages.remove(0);
    let got = server.receive(&data, 50).unwrap().delivered.unwrap();
    assert_eq!(got, doc);
    let close = client.call(Call::Close, 60).unwrap().messages.remove(0);
    server.receive(&close, 70).unwrap();
    assert_eq!(server.state(), State::Closed);
    assert_eq!(client.state(), State::Closing);
}

proptest! {
    /// Any text, in any state, gets an answer or a classed error, never a panic.
    /// [SESSION-ERR-001]
    #[test]
    fn receive_never_panics(text in ".{0,200}", prefix in 0usize..4, adv in 0u64..400_000) {
        let mut s = endpoint("s", "x");
        let setup: [&[&str]; 4] = [&[], &["hello"], &["close"], &["hello", "close"]];
        for step in setup[prefix] {
            let call = if *step == "hello" { Call::Hello } else { Call::Close };
            let _ = s.call(call, 0);
        }
        let _ = s.advance(adv);
        match s.receive(&text, adv) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.class().is_empty()),
        }
    }

    /// Message-shaped JSON with arbitrary field values never panics either.
    #[test]
    fn receive_json_never_panics(kind in "(HELLO|ACCEPT|REJECT|DATA|PING|PONG|CLOSE)",
                                 content in ".{0,40}", ts in any::<u64>()) {
        let mut s = endpoint("s", "x");
        let _ = s.receive(&Message::hello(&Capabilities::default_with_agent_id("p"), 0).to_json(), 0);
        let text = serde_json::json!({"type": kind, "session_id": content, "timestamp": ts,
            "payload": {"algorithm": "m2m", "content": content}}).to_string();
        let _ = s.receive(&text, 1);
    }
}
