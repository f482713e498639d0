//! The dictionary codec, prefix `#M2M|` without a version (spec chapter `dictionary`,
//! `spec/22-dictionary.md`): common JSON fragments replaced by single bytes 0x80-0xB4, then
//! base64; content shorter than 50 bytes travels raw after the prefix.

use super::LegacyError;
use crate::wire::b64;

/// The prefix (the M2M family prefix without a version). [DICT-WIRE-001]
pub const PREFIX: &str = "#M2M|";

/// Content shorter than this many bytes is sent in the raw short form. [DICT-ENC-001]
pub const MIN_LENGTH: usize = 50;

/// The code table. [DICT-CODE-001]
pub const CODES: &[(u8, &str)] = &[
    (0x80, r#"{"role":"user","content":"#),
    (0x81, r#"{"role":"assistant","content":"#),
    (0x82, r#"{"role":"system","content":"#),
    (0x83, r#""}"#),
    (0x84, r#"},"#),
    (0x85, r#""}]"#),
    (0x86, r#"{"messages":["#),
    (0x87, r#"{"model":"#),
    (0x88, r#","messages":["#),
    (0x89, r#","max_tokens":"#),
    (0x8A, r#","temperature":"#),
    (0x8B, r#","stream":true"#),
    (0x8C, r#","stream":false"#),
    (0x90, r#""gpt-4"#),
    (0x91, r#""gpt-4o"#),
    (0x92, r#""gpt-4o-mini"#),
    (0x93, r#""gpt-3.5-turbo"#),
    (0x94, r#""claude-3"#),
    (0x95, r#""llama"#),
    (0xA0, r#"{"choices":[{"#),
    (0xA1, r#""finish_reason":"stop""#),
    (0xA2, r#""finish_reason":"length""#),
    (0xA3, r#","usage":{"#),
    (0xA4, r#""prompt_tokens":"#),
    (0xA5, r#","completion_tokens":"#),
    (0xA6, r#","total_tokens":"#),
    (0xA7, r#""index":0,"#),
    (0xA8, r#""message":{"#),
    (0xA9, r#""delta":{"#),
    (0xB0, r#""tool_calls":[{"#),
    (0xB1, r#""type":"function","#),
    (0xB2, r#""function":{"#),
    (0xB3, r#""name":"#),
    (0xB4, r#","arguments":"#),
];

/// Encode: the raw short form `#M2M|<content>` when the content is shorter than
/// [`MIN_LENGTH`] bytes and cannot be mistaken for base64; otherwise greedy longest-first
/// substitution, then base64. Content of 50 bytes or more must be ASCII.
/// [DICT-ENC-001] [DICT-ENC-002] [DICT-ENC-003] [DICT-ENC-004]
pub fn encode(content: &str) -> Result<String, LegacyError> {
    if content.len() < MIN_LENGTH && b64::decode(content).is_err() {
        return Ok(format!("{PREFIX}{content}"));
    }
    if !content.is_ascii() {
        return Err(LegacyError::Unencodable(
            "the dictionary format carries only ASCII text (bytes 0x80-0xFF are codes)",
        ));
    }
    let mut by_length: Vec<&(u8, &str)> = CODES.iter().collect();
    by_length.sort_by_key(|(_, p)| std::cmp::Reverse(p.len()));
    let mut out = Vec::with_capacity(content.len());
    let mut rest = content;
    while let Some(c) = rest.as_bytes().first() {
        match by_length.iter().find(|(_, p)| rest.starts_with(p)) {
            Some((code, p)) => {
                out.push(*code);
                rest = &rest[p.len()..];
            }
            None => {
                out.push(*c);
                rest = &rest[1..];
            }
        }
    }
    Ok(format!("{PREFIX}{}", b64::encode(&out)))
}

/// Decode: after the prefix, text that is canonical base64 is decoded and its code bytes
/// expanded; any other text is the raw short form and returned as is.
/// [DICT-DEC-001] [DICT-DEC-002] [DICT-DEC-003] [DICT-DEC-004]
pub fn decode(wire: &str) -> Result<String, LegacyError> {
    let data = wire
        .strip_prefix(PREFIX)
        .ok_or(LegacyError::InvalidPrefix(PREFIX))?;
    let Ok(bytes) = b64::decode(data) else {
        return Ok(data.to_owned());
    };
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        if b < 0x80 {
            out.push(char::from(b));
        } else {
            let (_, p) = CODES
                .iter()
                .find(|(code, _)| *code == b)
                .ok_or(LegacyError::UnknownCode(b))?;
            out.push_str(p);
        }
    }
    Ok(out)
}
