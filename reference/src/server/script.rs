//! The `http.run` scenario interpreter (spec `http` §6, HTTP-RUN-*), shared by the in-process
//! op and the harness's `m2m-http:` target so both read scenarios identically.
//!
//! A scenario is a list of steps `{method, path, body?, capture?, redact?}`. `{name}` in `path`
//! or in any string of `body` is replaced by a value captured from an earlier response;
//! `capture: {name: POINTER}` takes a string at a JSON pointer of this step's response body;
//! `redact: [POINTER]` replaces the values at those pointers with `"*"` (for values that vary
//! between runs or implementations: ids, timestamps, versions). The pointer `""` redacts the
//! whole body.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// One request as the transport sees it: method, path, JSON body text.
pub struct Request<'a> {
    /// `GET`, `POST`, `DELETE`, …
    pub method: &'a str,
    /// Path and query, after substitution.
    pub path: &'a str,
    /// Body text, if any (sent as `application/json`).
    pub body: Option<&'a str>,
}

/// The transport: one request in, status and body text out, or a transport error.
pub type Send<'a> = dyn FnMut(Request<'_>) -> Result<(u16, String), String> + 'a;

/// Why a scenario could not be played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptError {
    /// A step is malformed (the op answers `bad_args`). [HTTP-RUN-001]
    BadStep(String),
    /// The transport failed (no answer from the server).
    Transport(String),
}

impl From<String> for ScriptError {
    fn from(s: String) -> Self {
        ScriptError::BadStep(s)
    }
}

impl From<&str> for ScriptError {
    fn from(s: &str) -> Self {
        ScriptError::BadStep(s.to_owned())
    }
}

/// Run a scenario. `send` performs one request and returns status and body text; its error
/// (a transport failure) aborts the scenario. [HTTP-RUN-001] [HTTP-RUN-002]
pub fn run(steps: &Value, send: &mut Send<'_>) -> Result<Value, ScriptError> {
    let steps = steps.as_array().ok_or("`steps` must be an array")?;
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut results = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let step = step
            .as_object()
            .ok_or_else(|| format!("step {i} is not an object"))?;
        let method = text(step, "method", i)?;
        let path = substitute(text(step, "path", i)?, &vars);
        let body = match step.get("body") {
            None => None,
            Some(Value::String(s)) => Some(substitute(s, &vars)),
            Some(v) => Some(substitute_json(v, &vars).to_string()),
        };
        let (status, raw) = send(Request {
            method,
            path: &path,
            body: body.as_deref(),
        })
        .map_err(ScriptError::Transport)?;
        let mut body = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&raw).unwrap_or(Value::String(raw))
        };
        if let Some(capture) = step.get("capture") {
            let capture = capture
                .as_object()
                .ok_or_else(|| format!("step {i}: `capture` must be an object"))?;
            for (name, pointer) in capture {
                let pointer = pointer
                    .as_str()
                    .ok_or_else(|| format!("step {i}: capture pointers are strings"))?;
                let value = body
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or("<missing>");
                vars.insert(name.clone(), value.to_owned());
            }
        }
        if let Some(redact) = step.get("redact") {
            let redact = redact
                .as_array()
                .ok_or_else(|| format!("step {i}: `redact` must be an array"))?;
            for pointer in redact {
                let pointer = pointer
                    .as_str()
                    .ok_or_else(|| format!("step {i}: redact pointers are strings"))?;
                if let Some(slot) = body.pointer_mut(pointer) {
                    *slot = json!("*");
                }
            }
        }
        results.push(json!({ "status": status, "body": body }));
    }
    Ok(json!({ "steps": results }))
}

fn text<'a>(step: &'a Map<String, Value>, name: &str, i: usize) -> Result<&'a str, String> {
    step.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("step {i}: `{name}` must be a string"))
}

fn substitute(s: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = s.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn substitute_json(v: &Value, vars: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(substitute(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute_json(x, vars)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), substitute_json(x, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}
