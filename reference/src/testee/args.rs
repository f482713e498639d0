//! Typed access to an op's JSON args, with `bad_args` errors that name the field.

use serde_json::{Map, Value};

use super::Reply;

/// The `args` object of a request.
pub struct Args<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    /// Wrap an args object.
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Args { map }
    }

    /// The whole args object.
    pub fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    /// A field's raw value, if present.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    /// Whether the field is present.
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A required string field. [TESTEE-ERR-003]
    pub fn text(&self, name: &str) -> Result<&'a str, Reply> {
        match self.map.get(name) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(Reply::bad_args(format!("`{name}` must be a string"))),
            None => Err(Reply::bad_args(format!("missing `{name}`"))),
        }
    }

    /// A required hex field (whitespace ignored, case-insensitive). [TESTEE-OPS-003]
    pub fn hex(&self, name: &str) -> Result<Vec<u8>, Reply> {
        let text = self.text(name)?;
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        hex::decode(compact).map_err(|e| Reply::bad_args(format!("`{name}` is not hex: {e}")))
    }

    /// A required unsigned integer field. [TESTEE-ERR-003]
    pub fn u64(&self, name: &str) -> Result<u64, Reply> {
        match self.map.get(name) {
            Some(v) => v
                .as_u64()
                .ok_or_else(|| Reply::bad_args(format!("`{name}` must be an unsigned integer"))),
            None => Err(Reply::bad_args(format!("missing `{name}`"))),
        }
    }

    /// An optional unsigned integer field that must fit in `usize`.
    pub fn opt_usize(&self, name: &str) -> Result<Option<usize>, Reply> {
        if !self.has(name) {
            return Ok(None);
        }
        let v = self.u64(name)?;
        usize::try_from(v)
            .map(Some)
            .map_err(|_| Reply::bad_args(format!("`{name}` is too large")))
    }

    /// The frame or message bytes of an op that accepts either `hex` (binary form) or `wire`
    /// (text form, as UTF-8 bytes). Exactly one must be present.
    pub fn hex_or_wire(&self) -> Result<Input, Reply> {
        match (self.has("hex"), self.has("wire")) {
            (true, false) => Ok(Input::Binary(self.hex("hex")?)),
            (false, true) => Ok(Input::Text(self.text("wire")?.to_owned())),
            _ => Err(Reply::bad_args(
                "exactly one of `hex` or `wire` is required",
            )),
        }
    }

    /// The decoder limits, defaults overridden by `max_message_bytes` and
    /// `max_decompressed_bytes`. [WIRE-LIMIT-005]
    pub fn limits(&self) -> Result<crate::wire::Limits, Reply> {
        let mut limits = crate::wire::Limits::default();
        if let Some(v) = self.opt_usize("max_message_bytes")? {
            limits.max_message_bytes = v;
        }
        if let Some(v) = self.opt_usize("max_decompressed_bytes")? {
            limits.max_decompressed_bytes = v;
        }
        Ok(limits)
    }
}

/// Frame bytes as given to an op.
pub enum Input {
    /// From `hex`: the binary form.
    Binary(Vec<u8>),
    /// From `wire`: the text form.
    Text(String),
}
