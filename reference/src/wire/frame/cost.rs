//! The cost estimate carried in routing and response headers (spec `frame`, COST topic).
//!
//! The estimate is informational: it is computed by the encoder from a fixed pricing table and
//! carried as an IEEE-754 binary32; decoders never check it. Its exact bits are nevertheless
//! pinned, so every step is done in `f32`, in the order below.

/// Price of one model family, in US **cents** per 1000 tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pricing {
    /// Prompt (input) tokens.
    pub input_cents_per_1k: f32,
    /// Completion (output) tokens.
    pub output_cents_per_1k: f32,
}

/// The pricing table: model-name prefixes, checked in this order, first match wins; names are
/// compared after lower-casing. [FRAME-COST-001]
pub const PRICING_TABLE: &[(&[&str], Pricing)] = &[
    (&["gpt-4o-mini"], p(0.015, 0.06)),
    (&["gpt-4o"], p(0.25, 1.00)),
    (&["gpt-4-turbo"], p(1.00, 3.00)),
    (&["gpt-4"], p(3.00, 6.00)),
    (&["gpt-3.5-turbo"], p(0.05, 0.15)),
    (&["o1-preview"], p(1.50, 6.00)),
    (&["o1-mini"], p(0.30, 1.20)),
    (&["o3-mini"], p(0.11, 0.44)),
    (&["o3"], p(2.00, 8.00)),
    (&["claude-3-opus"], p(1.50, 7.50)),
    (
        &["claude-3.5-sonnet", "claude-3-5-sonnet", "claude-3-sonnet"],
        p(0.30, 1.50),
    ),
    (&["claude-3.5-haiku", "claude-3-5-haiku"], p(0.08, 0.40)),
    (&["claude-3-haiku"], p(0.025, 0.125)),
    (&["gemini-1.5-pro"], p(0.125, 0.50)),
    (&["gemini-1.5-flash"], p(0.0075, 0.03)),
    (&["gemini-2.0-flash"], p(0.01, 0.04)),
];

/// Pricing of any model no prefix matches (including the empty name). [FRAME-COST-001]
pub const DEFAULT_PRICING: Pricing = p(0.10, 0.30);

const fn p(input_cents_per_1k: f32, output_cents_per_1k: f32) -> Pricing {
    Pricing {
        input_cents_per_1k,
        output_cents_per_1k,
    }
}

/// Pricing of `model`. Lower-casing uses Unicode rules; for these all-ASCII prefixes that is
/// the same as an ASCII case-insensitive comparison. [FRAME-COST-001]
pub fn pricing(model: &str) -> Pricing {
    let lower = model.to_lowercase();
    PRICING_TABLE
        .iter()
        .find(|(prefixes, _)| prefixes.iter().any(|pre| lower.starts_with(pre)))
        .map_or(DEFAULT_PRICING, |(_, pricing)| *pricing)
}

/// Estimated cost in USD: `((prompt/1000)·in + (completion/1000)·out) / 100`, every operation in
/// binary32 with round-to-nearest-even, in exactly this order. [FRAME-COST-002]
pub fn estimate_usd(model: &str, prompt_tokens: u32, completion_tokens: u32) -> f32 {
    let price = pricing(model);
    let input = (prompt_tokens as f32 / 1000.0) * price.input_cents_per_1k;
    let output = (completion_tokens as f32 / 1000.0) * price.output_cents_per_1k;
    (input + output) / 100.0
}

/// Completion tokens assumed for a request without a `max_tokens` field. [FRAME-COST-003]
pub const DEFAULT_COMPLETION_TOKENS: u32 = 500;

/// Prompt tokens estimated from the content hint: 4 bytes per token, rounded down.
/// [FRAME-COST-003]
pub fn prompt_tokens_from_hint(content_hint: u32) -> u32 {
    content_hint / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tolerances upstream 0.4.0's own unit tests assert for its cost estimate. [FRAME-COST-002]
    #[test]
    fn upstream_asserted_costs() {
        assert!((estimate_usd("gpt-4o", 1000, 500) - 0.0075).abs() < 1e-4);
        assert!((estimate_usd("gpt-4o-mini", 10_000, 1000) - 0.0021).abs() < 1e-4);
        assert!((estimate_usd("claude-3.5-sonnet", 5000, 2000) - 0.045).abs() < 1e-3);
        assert_eq!(pricing("some-unknown-model"), DEFAULT_PRICING);
        assert_eq!(prompt_tokens_from_hint(11), 2);
    }

    #[test]
    fn first_match_and_case() {
        assert_eq!(pricing("GPT-4O-MINI-2024"), p(0.015, 0.06));
        assert_eq!(pricing("gpt-4o-2024-08-06"), p(0.25, 1.00));
        assert_eq!(pricing("o1"), DEFAULT_PRICING);
        assert_eq!(pricing("openai/gpt-4o"), DEFAULT_PRICING);
        assert_eq!(pricing(""), DEFAULT_PRICING);
    }

    /// A cost of 0.005 is written as `0a d7 a3 3b` (binary32, little-endian), and the costs of the
    /// spec's example request and response frames. [FRAME-COST-002] [FRAME-COST-003]
    #[test]
    fn exact_bits() {
        assert_eq!(
            estimate_usd("gpt-4o", 0, 500).to_le_bytes(),
            [0x0a, 0xd7, 0xa3, 0x3b]
        );
        assert_eq!(
            estimate_usd("gpt-4o", 10, 1000).to_le_bytes(),
            [0xe6, 0x3f, 0x24, 0x3c]
        );
        assert_eq!(
            estimate_usd("gpt-4o", 50, 10).to_le_bytes(),
            [0xfb, 0xed, 0x6b, 0x39]
        );
    }
}
