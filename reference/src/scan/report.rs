//! What the server's `/scan` and the CLI's `scan --json` report for a scan (spec chapter
//! `security` §2): the result with each threat's description.

use serde_json::json;

use super::patterns::PATTERNS;
use super::ScanResult;

/// The description `/scan` reports for a threat. [SEC-SCAN-003] [SEC-SCAN-005]
pub fn description(name: &str) -> &'static str {
    const TABLE: [(&str, &str); 21] = [
        (
            "ignore_instructions",
            "Attempts to override system instructions",
        ),
        (
            "disregard_instructions",
            "Attempts to disregard system prompt",
        ),
        (
            "forget_instructions",
            "Attempts to make model forget constraints",
        ),
        ("new_instructions", "Attempts to inject new instructions"),
        ("system_prompt_extract", "Attempts to extract system prompt"),
        ("fake_system", "Fake system message injection"),
        ("role_override", "Attempts to override model role"),
        ("pretend_mode", "Attempts to enter pretend/roleplay bypass"),
        ("dan_mode", "DAN (Do Anything Now) jailbreak"),
        ("developer_mode", "Fake developer mode activation"),
        ("jailbreak_explicit", "Explicit jailbreak mention"),
        ("bypass_explicit", "Explicit bypass attempt"),
        ("unrestricted_mode", "Unrestricted mode request"),
        ("no_limits", "No limits request"),
        ("evil_mode", "Evil mode request"),
        ("null_bytes", "Null byte injection"),
        ("excessive_nesting", "Excessive JSON nesting"),
        ("unicode_override", "Unicode override characters"),
        ("env_access", "Environment variable access"),
        ("file_read", "Sensitive file read attempt"),
        (
            "unicode_control",
            "Invisible or bidirectional control character",
        ),
    ];
    debug_assert_eq!(PATTERNS.len() + 1, TABLE.len());
    TABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, d)| d)
}

/// The `/scan` body: `{safe, confidence, should_block, threats: [{name, category, severity,
/// description}]}`, binary32 values widened exactly. [SEC-SCAN-001] [SEC-SCAN-003]
pub fn scan_body(r: &ScanResult) -> serde_json::Value {
    let threats: Vec<serde_json::Value> = r
        .threats
        .iter()
        .map(|t| {
            json!({"name": t.name, "category": t.category.name(), "severity": f64::from(t.severity),
                   "description": description(t.name)})
        })
        .collect();
    json!({
        "safe": r.safe,
        "confidence": f64::from(r.confidence),
        "should_block": r.should_block,
        "threats": threats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_has_a_description() {
        for p in PATTERNS.iter() {
            assert!(!description(p.name).is_empty(), "{}", p.name);
        }
        assert!(!description("unicode_control").is_empty());
    }
}
