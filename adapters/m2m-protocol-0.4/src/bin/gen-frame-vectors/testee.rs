//! The two implementations the generator consults: upstream (in-process, through the adapter's
//! own dispatcher) and the reference (`m2m-ref serve-testee`, a child process speaking the
//! testee protocol).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

/// What an op did, in the shape of a vector's `expect` / `lenient`.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `{ok: VALUE}`
    Ok(Value),
    /// `{error: CLASS}`
    Error(String),
    /// `{unsupported: true}`
    Unsupported,
}

impl Outcome {
    /// The vector form.
    pub fn to_value(&self) -> Value {
        match self {
            Outcome::Ok(v) => json!({ "ok": v }),
            Outcome::Error(c) => json!({ "error": c }),
            Outcome::Unsupported => json!({ "unsupported": true }),
        }
    }

    /// One line for reports.
    pub fn brief(&self) -> String {
        let s = match self {
            Outcome::Ok(v) => format!("ok {v}"),
            Outcome::Error(c) => format!("error {c}"),
            Outcome::Unsupported => "unsupported".to_owned(),
        };
        if s.len() > 300 {
            format!(
                "{}…",
                &s[..s.char_indices().nth(300).map_or(s.len(), |(i, _)| i)]
            )
        } else {
            s
        }
    }

    /// From a testee response line's object (`ok` / `error` / `unsupported`).
    fn from_response(v: &Value) -> Result<Outcome, String> {
        if let Some(ok) = v.get("ok") {
            Ok(Outcome::Ok(ok.clone()))
        } else if let Some(err) = v.get("error") {
            err.get("class")
                .and_then(Value::as_str)
                .map(|c| Outcome::Error(c.to_owned()))
                .ok_or_else(|| format!("error without class: {v}"))
        } else if v.get("unsupported").is_some() {
            Ok(Outcome::Unsupported)
        } else {
            Err(format!("response has none of ok/error/unsupported: {v}"))
        }
    }
}

/// Run an op on upstream 0.4.0 through the adapter.
pub fn upstream(op: &str, args: &Value) -> Outcome {
    let reply = m2m_upstream_adapter::dispatch(op, args).to_json();
    Outcome::from_response(&reply).expect("the adapter always answers in shape")
}

/// The reference implementation as a child process.
pub struct Reference {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Reference {
    /// Start `command serve-testee`.
    pub fn start(command: &str) -> Result<Reference, String> {
        let mut child = Command::new(command)
            .arg("serve-testee")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{command} serve-testee`: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Reference {
            child,
            stdin,
            stdout,
            next_id: 0,
        })
    }

    /// Run one op.
    pub fn run(&mut self, op: &str, args: &Value) -> Result<Outcome, String> {
        self.next_id += 1;
        let request = json!({ "id": self.next_id, "op": op, "args": args });
        writeln!(self.stdin, "{request}").map_err(|e| format!("write to reference: {e}"))?;
        self.stdin.flush().map_err(|e| format!("flush: {e}"))?;
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| format!("read from reference: {e}"))?;
        if n == 0 {
            return Err("the reference closed its output (crash?)".to_owned());
        }
        let v: Value =
            serde_json::from_str(&line).map_err(|e| format!("reference sent garbage: {e}"))?;
        if v.get("id") != Some(&json!(self.next_id)) {
            return Err(format!("reference answered with the wrong id: {line}"));
        }
        Outcome::from_response(&v)
    }

    /// The reference's `hello` result.
    pub fn hello(&mut self) -> Result<Value, String> {
        match self.run("hello", &json!({}))? {
            Outcome::Ok(v) => Ok(v),
            other => Err(format!("hello failed: {}", other.brief())),
        }
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        // Closing stdin ends `serve-testee`; wait so no zombie is left behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
