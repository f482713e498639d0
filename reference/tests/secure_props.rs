//! Property tests of the secure chapter: sealed frames open to their document, and any change
//! to a sealed frame is refused (SECURE-TAMPER-001); plus the `m2m-ref` secured round trip.

use m2m_reference::secure::frame::{open, open_text, seal, Mode};
use m2m_reference::secure::nonce::{FixedNonce, SequenceNonce};
use m2m_reference::wire::{frame, Limits};
use proptest::prelude::*;

fn doc(content: &str) -> String {
    format!(
        r#"{{"model":"gpt-4o","messages":[{{"role":"user","content":{}}}]}}"#,
        serde_json::to_string(content).unwrap()
    )
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Hmac), Just(Mode::Aead)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// [SECURE-HMAC-FRAME-001] [SECURE-AEAD-FRAME-001] [SECURE-TEXT-001]
    #[test]
    fn sealed_frames_open(content in ".{0,300}", key in any::<[u8; 32]>(), nonce in any::<[u8; 12]>(), m in mode()) {
        let json = doc(&content);
        let sealed = seal(&json, m, &key, &mut FixedNonce(nonce)).unwrap();
        let opened = open(&sealed, m, &key, &Limits::default()).unwrap();
        prop_assert_eq!(&opened.payload, &json);
        prop_assert_eq!(opened.header.fixed.security, m.byte());
        let text = open_text(&frame::to_text(&sealed), m, &key, &Limits::default()).unwrap();
        prop_assert_eq!(text.payload, json);
    }

    /// [SECURE-TAMPER-001]
    #[test]
    fn any_bit_flip_is_refused(content in ".{0,120}", key in any::<[u8; 32]>(), m in mode(), pick in any::<prop::sample::Index>(), bit in 0u8..8) {
        let sealed = seal(&doc(&content), m, &key, &mut SequenceNonce::new(7)).unwrap();
        let mut bad = sealed.clone();
        let at = pick.index(bad.len());
        bad[at] ^= 1 << bit;
        prop_assert!(open(&bad, m, &key, &Limits::default()).is_err());
    }

    /// Opening arbitrary bytes never panics, and every failure has a class.
    /// [SECURE-HMAC-FRAME-002] [SECURE-AEAD-FRAME-003]
    #[test]
    fn open_never_panics(prefix in prop::bool::ANY, body in prop::collection::vec(any::<u8>(), 0..200), key in prop::collection::vec(any::<u8>(), 0..40), m in mode()) {
        let mut data = if prefix { b"#M2M|1|".to_vec() } else { Vec::new() };
        data.extend(body);
        if let Err(e) = open(&data, m, &key, &Limits::default()) {
            prop_assert!(!m2m_reference::ErrorClass::class(&e).is_empty());
        }
    }

    /// [SECURE-HMAC-FRAME-002] [SECURE-AEAD-FRAME-003] [SECURE-TAMPER-001]
    #[test]
    fn truncation_and_wrong_keys_are_refused(content in ".{0,120}", key in any::<[u8; 32]>(), other in any::<[u8; 32]>(), m in mode(), cut in 1usize..40) {
        prop_assume!(key != other);
        let sealed = seal(&doc(&content), m, &key, &mut SequenceNonce::new(0)).unwrap();
        prop_assert!(open(&sealed, m, &other, &Limits::default()).is_err());
        prop_assert!(open(&sealed[..sealed.len() - cut], m, &key, &Limits::default()).is_err());
    }
}

/// `m2m-ref compress --security … --key-hex …` and `decompress --key-hex …` round-trip, and a
/// receiver pinned to the other mode refuses. [SECURE-DOWNGRADE-001]
#[test]
fn cli_round_trip() {
    let bin = env!("CARGO_BIN_EXE_m2m-ref");
    let key = "42".repeat(32);
    let json = doc("Hi");
    for (mode, other) in [("hmac", "aead"), ("aead", "hmac")] {
        let out = std::process::Command::new(bin)
            .args([
                "compress",
                "-a",
                "m2m",
                "--security",
                mode,
                "--key-hex",
                &key,
                &json,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let wire = String::from_utf8(out.stdout).unwrap().trim_end().to_owned();
        let back = std::process::Command::new(bin)
            .args(["decompress", "--key-hex", &key, &wire])
            .output()
            .unwrap();
        assert!(
            back.status.success(),
            "{}",
            String::from_utf8_lossy(&back.stderr)
        );
        assert_eq!(String::from_utf8(back.stdout).unwrap().trim_end(), json);
        let pinned = std::process::Command::new(bin)
            .args(["decompress", "--key-hex", &key, "--security", other, &wire])
            .output()
            .unwrap();
        assert_eq!(pinned.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&pinned.stderr).contains("security_mode_mismatch"));
    }
}
