//! The ONE module that touches YAML. Everything else sees `serde` types and `serde_json::Value`,
//! so swapping the YAML library later changes this file only.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parse YAML text into `T`. The error text includes the line and column when known.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml::from_str(text).map_err(|e| e.to_string())
}

/// Render `value` as YAML.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|e| e.to_string())
}
