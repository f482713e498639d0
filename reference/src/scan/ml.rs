//! Scans that add the Hydra security verdict to the pattern scan (spec chapter `security` §6,
//! SEC-ML-*), and the codec engine's scan-then-compress entry points (§8, SEC-ENGINE-*).
//!
//! Sans-IO: the model, when there is one, is already loaded by the caller.

use serde_json::{json, Value};

use super::{scan_and_validate, threats, ScanConfig, ScanError};
use crate::hydra::{self, Model};
use crate::ErrorClass;

/// How an ML scan is set up. [SEC-ML-001] [SEC-ML-003]
#[derive(Clone, Copy)]
pub struct MlScan<'a> {
    /// Pattern scanning on (`false` = upstream's `ml_only`).
    pub patterns: bool,
    /// The model object, if the scanner holds one; without it the heuristic rules answer.
    pub model: Option<&'a Model>,
}

/// How the threats of an unsafe result were found. [SEC-ML-003]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Patterns (every safe result; and patterns with the heuristic fallback).
    Pattern,
    /// The Hydra verdict alone.
    Ml,
    /// Patterns plus a model object.
    Combined,
}

impl Method {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Pattern => "pattern",
            Method::Ml => "ml",
            Method::Combined => "combined",
        }
    }
}

/// One threat of an ML scan: a pattern's, or `ml_<type>` from the Hydra verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct MlThreat {
    /// `dan_mode`, … or `ml_prompt_injection`, ….
    pub name: String,
    /// `injection`, … or the Hydra threat type.
    pub category: String,
    /// Severity (binary32).
    pub severity: f32,
}

/// The result of an ML scan.
#[derive(Debug, Clone, PartialEq)]
pub struct MlResult {
    /// No threat was found.
    pub safe: bool,
    /// 1.0 when safe, else the highest severity.
    pub confidence: f32,
    /// Unsafe and `confidence` at least the threshold.
    pub should_block: bool,
    /// How the threats were found.
    pub method: Method,
    /// Pattern threats, then the Hydra threat.
    pub threats: Vec<MlThreat>,
}

impl MlResult {
    /// `{safe, confidence, should_block, method, threats: [{name, category, severity}]}`.
    /// [SEC-ML-004]
    pub fn to_json(&self) -> Value {
        let threats: Vec<Value> = self
            .threats
            .iter()
            .map(|t| json!({"name": t.name, "category": t.category, "severity": f64::from(t.severity)}))
            .collect();
        json!({
            "safe": self.safe,
            "confidence": f64::from(self.confidence),
            "should_block": self.should_block,
            "method": self.method.name(),
            "threats": threats,
        })
    }
}

/// Scan `text` with patterns (unless off) and the Hydra verdict, and score both together.
/// [SEC-ML-001] [SEC-ML-002] [SEC-ML-003]
pub fn scan_ml(text: &str, config: &ScanConfig, ml: MlScan<'_>) -> Result<MlResult, ScanError> {
    if text.len() > config.max_scan_size {
        return Err(ScanError::TooLarge {
            len: text.len(),
            max: config.max_scan_size,
        });
    }
    let mut found: Vec<MlThreat> = if ml.patterns {
        threats(text, config)
            .into_iter()
            .map(|t| MlThreat {
                name: t.name.to_owned(),
                category: t.category.name().to_owned(),
                severity: t.severity,
            })
            .collect()
    } else {
        Vec::new()
    };
    let verdict = hydra::classify(ml.model, text);
    if !verdict.safe {
        let kind = verdict.threat.unwrap_or(hydra::ThreatType::Unknown).name();
        found.push(MlThreat {
            name: format!("ml_{kind}"),
            category: kind.to_owned(),
            severity: verdict.security_confidence,
        });
    }
    if found.is_empty() {
        return Ok(MlResult {
            safe: true,
            confidence: 1.0,
            should_block: false,
            method: Method::Pattern,
            threats: found,
        });
    }
    let confidence = found.iter().map(|t| t.severity).fold(0.0f32, f32::max);
    let method = match (ml.patterns, ml.model.is_some()) {
        (false, _) => Method::Ml,
        (true, true) => Method::Combined,
        (true, false) => Method::Pattern,
    };
    Ok(MlResult {
        safe: false,
        confidence,
        should_block: confidence >= config.threshold,
        method,
        threats: found,
    })
}

/// Why [`secure_compress`] produced nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecureError {
    /// The scan says the content should be blocked. [SEC-ENGINE-001]
    #[error("content blocked: {threat} (confidence: {confidence:.2})")]
    Blocked {
        /// The first threat's name.
        threat: String,
        /// The scan's confidence.
        confidence: f32,
    },
    /// The scan or the JSON check failed.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// The encoder failed (e.g. `m2m` for text that is not JSON).
    #[error(transparent)]
    Encode(#[from] crate::wire::WireError),
}

impl ErrorClass for SecureError {
    fn class(&self) -> &'static str {
        match self {
            SecureError::Blocked { .. } => "content_blocked",
            SecureError::Scan(e) => e.class(),
            SecureError::Encode(e) => e.class(),
        }
    }
}

/// The heuristic algorithm choice (HTTP-COMPRESS-002) as a wire algorithm and its session name.
fn heuristic(text: &str) -> crate::session::message::Algorithm {
    crate::server::auto_select(text)
}

fn encode(
    text: &str,
    alg: crate::session::message::Algorithm,
) -> Result<(&'static str, String), SecureError> {
    use crate::session::message::Algorithm as A;
    let wire = crate::wire::compress(text, alg.wire())?;
    let name = match alg {
        A::None => "none",
        A::M2m => "m2m",
        A::TokenNative => "tokennative",
        A::Brotli => "brotli",
    };
    Ok((name, wire))
}

/// Scan with JSON validation, refuse blocked content, else compress with the heuristic choice;
/// answers the algorithm's session name and the wire string. [SEC-ENGINE-001] [SEC-ENGINE-002]
pub fn secure_compress(
    text: &str,
    config: &ScanConfig,
) -> Result<(&'static str, String), SecureError> {
    let r = scan_and_validate(text, config)?;
    if r.should_block {
        return Err(SecureError::Blocked {
            threat: r.threats.first().map_or("unknown", |t| t.name).to_owned(),
            confidence: r.confidence,
        });
    }
    encode(text, heuristic(text))
}

/// The Hydra verdict plus compression, never blocking: with a model its compression choice,
/// else the heuristic one. Answers `(algorithm, wire, safe)`. [SEC-ENGINE-003]
pub fn secure_compress_ml(
    text: &str,
    model: Option<&Model>,
) -> Result<(&'static str, String, bool), SecureError> {
    let verdict = hydra::classify(model, text);
    use crate::session::message::Algorithm as A;
    let alg = match model {
        Some(_) => match verdict.algorithm {
            hydra::Algorithm::None => A::None,
            hydra::Algorithm::TokenNative => A::TokenNative,
            hydra::Algorithm::Brotli => A::Brotli,
            hydra::Algorithm::M2m => A::M2m,
        },
        None => heuristic(text),
    };
    let (name, wire) = encode(text, alg)?;
    Ok((name, wire, verdict.safe))
}
