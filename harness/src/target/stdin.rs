//! A testee process speaking the testee protocol over stdin/stdout (`--target stdin:<command>`).
//!
//! The command runs under `sh` in its own process group, started in the background of a shell
//! that then closes its own copy of the testee's stdout and waits: a testee that closes its
//! stdout or exits is seen at once as the end of that pipe (a simple command is exec'ed by the
//! shell, so it is then the pipe's only writer). One reader thread turns stdout into lines on a
//! small bounded channel, so every wait has a deadline and a flooding testee is throttled by its
//! own pipe; a line longer than the response cap is discarded as it arrives, never kept. Another
//! thread keeps stderr as evidence. A testee that exits, hangs or answers garbage costs that one
//! case a verdict and is restarted for the next case: the run always goes on.
//! [TESTEE-RUN-001] [TESTEE-RUN-002] [TESTEE-RUN-003]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{
    parse_hello, parse_response, request_line, Evidence, Outcome, SetupError, Target,
    TargetOptions, TesteeInfo,
};

/// Most stderr bytes kept per case as evidence.
const STDERR_KEEP: usize = 8 * 1024;

/// How much of a discarded over-long line is kept as evidence.
const HEAD_KEEP: usize = 256;

/// One line of the testee's stdout, as the reader thread hands it over.
#[derive(Debug, PartialEq)]
enum Line {
    /// A line within the cap, without its line end.
    Text(String),
    /// A line longer than the cap: `bytes` read before its end (or the end of output), all
    /// discarded but the first [`HEAD_KEEP`].
    TooLong { bytes: u64, head: String },
}

/// The shell script that runs `command` in the background with the shell's stdin (saved on fd 3:
/// a background job's own stdin would be `/dev/null`), closes the shell's own stdout and waits,
/// exiting with the testee's status. The shell thus holds no copy of the testee's stdout, and a
/// simple command is exec'ed in the background job: the pipe ends when the testee closes it or
/// exits. [TESTEE-RUN-001]
fn launcher(command: &str) -> String {
    format!("exec 3<&0\n{{ {command}\n}} <&3 3<&- &\nexec >&- 3<&-\nwait $!")
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<String>>,
}

/// See the module docs.
pub struct StdinTarget {
    command: String,
    opts: TargetOptions,
    running: Option<Running>,
    info: Option<TesteeInfo>,
    /// How many times the testee was (re)started.
    pub starts: u32,
}

impl StdinTarget {
    /// A target for `command` (not started until [`Target::hello`] or the first case).
    pub fn new(command: &str, opts: TargetOptions) -> Self {
        StdinTarget {
            command: command.to_owned(),
            opts,
            running: None,
            info: None,
            starts: 0,
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(launcher(&self.command))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", self.command))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let mut stderr_pipe = child.stderr.take().ok_or("no stderr pipe")?;
        // Room for one line besides the one being read: a testee that writes faster than the
        // harness reads is held back by its own pipe, and memory stays about two lines.
        let (tx, rx) = mpsc::sync_channel(1);
        let max_line = self.opts.max_response_bytes;
        thread::spawn(move || read_lines(stdout, max_line, &tx));
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                s.push_str(&String::from_utf8_lossy(&chunk[..n]));
                if s.len() > 4 * STDERR_KEEP {
                    let cut = s.len() - STDERR_KEEP;
                    let cut = (cut..s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                    s.drain(..cut);
                }
            }
        });
        self.running = Some(Running {
            child,
            stdin,
            lines: rx,
            stderr,
        });
        self.starts += 1;
        Ok(())
    }

    /// Kill the whole process group and reap the child.
    fn kill(&mut self) {
        if let Some(mut r) = self.running.take() {
            kill_group(&mut r.child);
        }
    }

    fn take_stderr(&self) -> Option<String> {
        let r = self.running.as_ref()?;
        let mut s = r.stderr.lock().unwrap_or_else(|p| p.into_inner());
        if s.is_empty() {
            return None;
        }
        let out = std::mem::take(&mut *s);
        Some(if out.len() > STDERR_KEEP {
            let start = out.len() - STDERR_KEEP;
            let start = (start..out.len())
                .find(|i| out.is_char_boundary(*i))
                .unwrap_or(0);
            format!("…{}", &out[start..])
        } else {
            out
        })
    }

    /// Send one line and wait for one line back.
    fn exchange(&mut self, line: &str) -> Result<String, Outcome> {
        let timeout = self.opts.timeout;
        let Some(r) = self.running.as_mut() else {
            return Err(Outcome::HarnessError("testee not running".into()));
        };
        let write = r
            .stdin
            .write_all(line.as_bytes())
            .and_then(|_| r.stdin.write_all(b"\n"))
            .and_then(|_| r.stdin.flush());
        let deadline = Instant::now() + timeout;
        if let Err(e) = write {
            // The testee may have died; collect its status for the evidence.
            thread::sleep(Duration::from_millis(20));
            return Err(Outcome::Crash(format!(
                "writing the request failed ({e}); {}",
                exit_status(&mut r.child)
            )));
        }
        match r
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(Line::Text(resp)) => Ok(resp),
            Ok(Line::TooLong { bytes, head }) => Err(Outcome::Protocol(format!(
                "response line longer than the {} byte cap ({bytes} bytes read, discarded); \
                 it starts: {head}",
                self.opts.max_response_bytes
            ))),
            Err(RecvTimeoutError::Timeout) => Err(Outcome::Timeout(timeout)),
            Err(RecvTimeoutError::Disconnected) => {
                // Give the process a moment to be reapable so the status is known (evidence
                // only: a testee that closed its stdout and lives on is not waited for).
                let status = (0..5)
                    .find_map(|_| match r.child.try_wait() {
                        Ok(Some(s)) => Some(format!("exited with {s}")),
                        _ => {
                            thread::sleep(Duration::from_millis(10));
                            None
                        }
                    })
                    .unwrap_or_else(|| "closed its stdout".into());
                Err(Outcome::Crash(format!("testee {status} before answering")))
            }
        }
    }

    fn start(&mut self) -> Result<TesteeInfo, String> {
        self.kill();
        self.spawn()?;
        let hello = json!({
            "id": "hello",
            "op": "hello",
            "args": {"protocol": 1, "suite": "m2m-conformance", "suite_version": crate::SUITE_VERSION},
        })
        .to_string();
        let line = match self.exchange(&hello) {
            Ok(l) => l,
            Err(o) => {
                let err = self.take_stderr().unwrap_or_default();
                self.kill();
                return Err(format!("hello failed: {o}; stderr: {err}"));
            }
        };
        let info = match parse_response("hello", &line) {
            Outcome::Ok(v) => parse_hello(&format!("stdin:{}", self.command), &v),
            other => Err(format!("hello answered {other:?}")),
        };
        if info.is_err() {
            self.kill();
        }
        info
    }
}

/// The reader thread: split `stdout` into [`Line`]s of at most `max_line` bytes and send them
/// until the end of output or until nobody listens. An over-long line is dropped chunk by chunk
/// as it arrives, so memory stays within one line of `max_line` bytes. [TESTEE-RUN-003]
fn read_lines(stdout: impl Read, max_line: u64, tx: &SyncSender<Line>) {
    // A pipe hands over at most 64 KiB per read: read that much at a time.
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let max_line = usize::try_from(max_line).unwrap_or(usize::MAX);
    let mut buf: Vec<u8> = Vec::new();
    let mut head: Option<Vec<u8>> = None;
    let mut bytes: u64 = 0;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        let at_end = chunk.is_empty();
        let newline = chunk.iter().position(|b| *b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        bytes += part.len() as u64;
        match head.as_mut() {
            Some(_) => {}
            None if buf.len() + part.len() <= max_line => buf.extend_from_slice(part),
            None => {
                // Over the cap: keep a short head as evidence and free the buffer.
                let mut h: Vec<u8> = buf.iter().chain(part).take(HEAD_KEEP).copied().collect();
                h.shrink_to_fit();
                buf = Vec::new();
                head = Some(h);
            }
        }
        let used = newline.map_or(chunk.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_none() {
            if !at_end {
                continue;
            }
            if bytes == 0 {
                return;
            }
        }
        let line = match head.take() {
            Some(h) => Line::TooLong {
                bytes,
                head: String::from_utf8_lossy(&h).into_owned(),
            },
            None => {
                let mut b = std::mem::take(&mut buf);
                if b.last() == Some(&b'\r') {
                    b.pop();
                }
                // Valid UTF-8 (the rule) is moved, not copied; anything else is shown lossily
                // and fails to parse as a response.
                Line::Text(
                    String::from_utf8(b)
                        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                )
            }
        };
        bytes = 0;
        if tx.send(line).is_err() || at_end {
            return;
        }
    }
}

/// Kill the testee's whole process group (its children too) and reap it.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group created with
        // process_group(0); it has no memory-safety preconditions.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn exit_status(child: &mut Child) -> String {
    match child.try_wait() {
        Ok(Some(s)) => format!("testee exited with {s}"),
        _ => "testee still running".into(),
    }
}

impl Target for StdinTarget {
    fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
        let info = self.start().map_err(SetupError::Start)?;
        self.info = Some(info.clone());
        Ok(info)
    }

    fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
        let mut evidence = Evidence {
            request: request_line(id, op, args),
            ..Evidence::default()
        };
        if self.running.is_none() {
            // Restart after a crash, timeout or protocol violation.
            if let Err(e) = self.start() {
                evidence.stderr = self.take_stderr();
                return (Outcome::Crash(format!("restart failed: {e}")), evidence);
            }
        }
        let outcome = match self.exchange(&evidence.request.clone()) {
            Ok(line) => {
                let outcome = parse_response(id, &line);
                evidence.response = Some(line);
                outcome
            }
            Err(o) => o,
        };
        // Give stderr written just before the answer a moment to arrive.
        evidence.stderr = self.take_stderr();
        if matches!(
            outcome,
            Outcome::Timeout(_) | Outcome::Crash(_) | Outcome::Protocol(_)
        ) {
            // Resynchronise: the next case starts with a fresh process.
            self.kill();
        }
        (outcome, evidence)
    }

    fn shutdown(&mut self) {
        if let Some(r) = self.running.take() {
            let Running {
                mut child, stdin, ..
            } = r;
            // Closing stdin asks the testee to exit [TESTEE-MSG-004]; kill it if it has not
            // within a second.
            drop(stdin);
            let deadline = Instant::now() + Duration::from_secs(1);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(10));
            }
            kill_group(&mut child);
        }
    }
}

impl Drop for StdinTarget {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: u64) -> Vec<Line> {
        let (tx, rx) = mpsc::sync_channel(100);
        read_lines(input, cap, &tx);
        drop(tx);
        rx.iter().collect()
    }

    /// Issue 18 defect 7: a line over the cap is discarded, not cut into pieces that each become
    /// a line; only its head is kept.
    #[test]
    fn an_overlong_line_is_one_discarded_line() {
        let mut input = vec![b'x'; 10_000];
        input.extend_from_slice(b"\n{\"id\":\"a\"}\r\nend");
        let got = lines(&input, 1000);
        assert_eq!(got.len(), 3, "{got:?}");
        match &got[0] {
            Line::TooLong { bytes, head } => {
                assert_eq!(*bytes, 10_000);
                assert_eq!(head.len(), HEAD_KEEP);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(got[1], Line::Text("{\"id\":\"a\"}".into()));
        assert_eq!(got[2], Line::Text("end".into()));
    }

    #[test]
    fn lines_at_the_cap_are_kept_and_empty_output_is_nothing() {
        assert_eq!(lines(b"abc\n", 3), vec![Line::Text("abc".into())]);
        assert!(matches!(
            lines(b"abcd\n", 3)[0],
            Line::TooLong { bytes: 4, .. }
        ));
        assert!(lines(b"", 3).is_empty());
    }
}
