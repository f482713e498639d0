//! Property tests for the scanner and Hydra: no input panics, and the invariants the spec
//! states hold for arbitrary text.

use m2m_reference::hydra::{self, synth, Model};
use m2m_reference::scan::{self, ScanConfig};
use proptest::prelude::*;

fn tiny() -> Model {
    let (_, bytes) = &synth::tiny_models()[0];
    Model::from_safetensors(bytes).expect("tiny model loads")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// [SCAN-ALG-003] [SCAN-ALG-004] [SCAN-ALG-005] [SCAN-QUICK-001]
    #[test]
    fn scan_scores_consistently(text in ".{0,300}", threshold in -1.0f32..2.0) {
        let c = ScanConfig::default().with_threshold(threshold);
        let r = scan::scan(&text, &c).expect("under the size limit");
        prop_assert_eq!(&r, &scan::quick_scan(&text, &c));
        prop_assert_eq!(r.safe, r.threats.is_empty());
        if r.safe {
            prop_assert_eq!(r.confidence, 1.0);
            prop_assert!(!r.should_block);
        } else {
            let max = r.threats.iter().map(|t| t.severity).fold(0.0f32, f32::max);
            prop_assert_eq!(r.confidence, max);
            prop_assert_eq!(r.should_block, r.confidence >= c.threshold);
        }
    }

    /// [SCAN-JSON-001] never panics on arbitrary bracket soup.
    #[test]
    fn validate_json_never_panics(text in "[\\[\\]{}\",:0-9a ]{0,400}") {
        let _ = scan::validate_json(&text);
    }

    /// [HYDRA-TOK-001] [HYDRA-TOK-002]
    #[test]
    fn tokens_are_framed_and_bounded(text in ".{0,700}") {
        let ids = hydra::tokenize(&text);
        prop_assert!(ids.len() <= hydra::MAX_TOKENS);
        prop_assert_eq!(ids.len(), text.len().min(510) + 2);
        prop_assert_eq!(ids[0], hydra::BOS);
        prop_assert_eq!(*ids.last().unwrap(), hydra::EOS);
    }

    /// [HYDRA-HEAD-001] [HYDRA-HEAD-003]: probabilities are a distribution, decisions follow them.
    #[test]
    fn classify_gives_distributions(text in ".{0,600}") {
        let c = hydra::classify(Some(&tiny()), &text);
        let sum: f32 = c.compression_probs.iter().sum();
        prop_assert!((sum - 1.0).abs() < 1e-5);
        let [ps, pu] = c.security_probs.expect("model");
        prop_assert!((ps + pu - 1.0).abs() < 1e-5);
        prop_assert_eq!(c.safe, pu <= ps);
        prop_assert!(c.compression_probs.iter().all(|p| *p <= c.compression_confidence));
    }

    /// [HYDRA-LOAD-005] arbitrary bytes never panic the loader.
    #[test]
    fn loader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Model::from_safetensors(&bytes);
    }
}
