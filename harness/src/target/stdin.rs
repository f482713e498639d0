//! A testee process speaking the testee protocol over stdin/stdout (`--target stdin:<command>`).
//!
//! The command runs under `sh` in its own process group, started in the background of a shell
//! that then closes its own copy of the testee's stdout and waits: a testee that closes its
//! stdout or exits is seen at once as the end of that pipe (a simple command is exec'ed by the
//! shell, so it is then the pipe's only writer). One reader thread turns stdout into lines on a
//! small bounded channel, so every wait has a deadline and a flooding testee is throttled by its
//! own pipe; a line longer than the response cap is discarded as it arrives, never kept. A writer
//! thread owns stdin, so the harness never blocks writing while the testee blocks writing its
//! answers. Another thread keeps stderr as evidence. A testee that exits, hangs or answers
//! garbage costs that one case a verdict and is restarted for the next case: the run always
//! goes on. [TESTEE-RUN-001] [TESTEE-RUN-002] [TESTEE-RUN-003]
//!
//! Pipelining [TESTEE-MSG-007]: up to [`TargetOptions::window`] requests are written before the
//! oldest is answered. Answers come in request order, so each is matched by position and its id
//! checked. Only the oldest unanswered request (the *front*) can be judged by what goes wrong:
//! its timeout clock starts when it was written or when the answer before it arrived, whichever
//! is later, so a case waiting behind others is never charged for their time. When the front
//! times out, the testee crashes or closes its stdout, or the front's answer is a protocol
//! violation, the front alone gets that verdict; the testee is killed, restarted, and every
//! request written after the front is written again to the new process, in order, and judged by
//! its answer there. Verdicts and their order therefore never depend on the window.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{
    parse_hello, parse_response, request_line, Evidence, Outcome, Request, SetupError, Target,
    TargetOptions, TesteeInfo,
};

/// Most stderr bytes kept per case as evidence.
const STDERR_KEEP: usize = 8 * 1024;

/// How much of a discarded over-long line is kept as evidence.
const HEAD_KEEP: usize = 256;

/// How long answers already written are still awaited once writing to the testee failed (it
/// closed its stdin or exited).
const WRITE_FAILED_GRACE: Duration = Duration::from_millis(200);

/// One line of the testee's stdout, as the reader thread hands it over.
#[derive(Debug, PartialEq)]
enum Line {
    /// A line within the cap, without its line end.
    Text(String),
    /// A line longer than the cap: `bytes` read before its end (or the end of output), all
    /// discarded but the first [`HEAD_KEEP`].
    TooLong { bytes: u64, head: String },
}

/// What the reader and writer threads tell the harness.
#[derive(Debug)]
enum Event {
    /// A line of stdout.
    Line(Line),
    /// Writing a request failed: the testee closed its stdin or exited.
    WriteFailed(String),
    /// The end of stdout (the writer thread keeps the channel open, so this is said).
    Closed,
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
    /// Request lines for the writer thread; dropping it closes the testee's stdin.
    requests: Sender<String>,
    events: Receiver<Event>,
    stderr: Arc<Mutex<String>>,
    /// Writing a request failed, with the error and when.
    write_failed: Option<(String, Instant)>,
}

/// A request written (or to be written) to the testee and not answered yet.
struct Pending<'a> {
    req: Request<'a>,
    line: String,
    /// When it was last written.
    sent: Instant,
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
        let lines = tx.clone();
        thread::spawn(move || {
            read_lines(stdout, max_line, |l| lines.send(Event::Line(l)).is_ok());
            let _ = lines.send(Event::Closed);
        });
        let (req_tx, req_rx) = mpsc::channel();
        thread::spawn(move || write_lines(stdin, &req_rx, &tx));
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
            requests: req_tx,
            events: rx,
            stderr,
            write_failed: None,
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

    /// Hand request lines (one, or several joined by line feeds) to the writer thread (a writer
    /// that has stopped says so through [`Event::WriteFailed`]).
    fn send(&mut self, line: String) {
        if let Some(r) = self.running.as_mut() {
            let _ = r.requests.send(line);
        }
    }

    /// Wait until `deadline` for the next line of the running testee: `Ok` a line within the
    /// cap, `Err` the outcome of the oldest unanswered request when none comes.
    fn next_line(&mut self, deadline: Instant) -> Result<String, Outcome> {
        let timeout = self.opts.timeout;
        let cap = self.opts.max_response_bytes;
        let Some(r) = self.running.as_mut() else {
            return Err(Outcome::HarnessError("testee not running".into()));
        };
        loop {
            let until = match &r.write_failed {
                Some((_, at)) => deadline.min(*at + WRITE_FAILED_GRACE),
                None => deadline,
            };
            match r
                .events
                .recv_timeout(until.saturating_duration_since(Instant::now()))
            {
                Ok(Event::Line(Line::Text(resp))) => return Ok(resp),
                Ok(Event::Line(Line::TooLong { bytes, head })) => {
                    return Err(Outcome::Protocol(format!(
                        "response line longer than the {cap} byte cap ({bytes} bytes read, \
                         discarded); it starts: {head}"
                    )))
                }
                Ok(Event::WriteFailed(e)) => {
                    if r.write_failed.is_none() {
                        r.write_failed = Some((e, Instant::now()));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(match &r.write_failed {
                        Some((e, _)) => Outcome::Crash(format!(
                            "writing the request failed ({e}); {}",
                            exit_status(&mut r.child)
                        )),
                        None => Outcome::Timeout(timeout),
                    })
                }
                Ok(Event::Closed) | Err(RecvTimeoutError::Disconnected) => {
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
                    return Err(Outcome::Crash(format!("testee {status} before answering")));
                }
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
        self.send(hello);
        let line = match self.next_line(Instant::now() + self.opts.timeout) {
            Ok(l) => l,
            Err(o) => {
                let err = self.take_stderr().unwrap_or_default();
                self.kill();
                return Err(format!("hello failed: {o}; stderr: {err}"));
            }
        };
        let info = match parse_response("hello", &line) {
            Outcome::Ok(v) => parse_hello(&format!("stdin:{}", self.command), &v),
            other => Err(format!("hello answered {other}")),
        };
        if info.is_err() {
            self.kill();
        }
        info
    }
}

/// The writer thread: write each request line to the testee's stdin, flushing once no further
/// line is queued, until the harness drops its end (which closes stdin) or a write fails (said
/// on `events`).
fn write_lines(stdin: ChildStdin, requests: &Receiver<String>, events: &SyncSender<Event>) {
    let mut out = BufWriter::with_capacity(1 << 16, stdin);
    let write = |out: &mut BufWriter<ChildStdin>, line: &str| {
        out.write_all(line.as_bytes())
            .and_then(|_| out.write_all(b"\n"))
    };
    while let Ok(line) = requests.recv() {
        let mut result = write(&mut out, &line);
        while result.is_ok() {
            match requests.try_recv() {
                Ok(line) => result = write(&mut out, &line),
                Err(_) => break,
            }
        }
        if let Err(e) = result.and_then(|_| out.flush()) {
            let _ = events.send(Event::WriteFailed(e.to_string()));
            return;
        }
    }
}

/// The reader thread: split `stdout` into [`Line`]s of at most `max_line` bytes and hand them to
/// `sink` until the end of output or until `sink` says nobody listens. An over-long line is dropped chunk by chunk
/// as it arrives, so memory stays within one line of `max_line` bytes. [TESTEE-RUN-003]
fn read_lines(stdout: impl Read, max_line: u64, mut sink: impl FnMut(Line) -> bool) {
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
        if !sink(line) || at_end {
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
        let mut fed = false;
        let mut result = None;
        self.run_stream(
            &mut || {
                (!std::mem::replace(&mut fed, true)).then_some(Request {
                    key: 0,
                    id,
                    op,
                    args,
                })
            },
            &mut |_, outcome, evidence, _| result = Some((outcome, evidence)),
        );
        result.unwrap_or_else(|| {
            let e = Outcome::HarnessError("no outcome".into());
            (e, Evidence::default())
        })
    }

    /// Pipelined: see the module docs. [TESTEE-MSG-007]
    fn run_stream<'a>(
        &mut self,
        feed: &mut dyn FnMut() -> Option<Request<'a>>,
        done: &mut dyn FnMut(Request<'a>, Outcome, Evidence, Duration),
    ) {
        let window = self.opts.window.max(1);
        let mut queue: VecDeque<Pending<'a>> = VecDeque::new();
        let mut fed_all = false;
        // `queue[..written]` has been written to the running process.
        let mut written = 0;
        // When the last answer arrived: the front is served from then on (or from its writing).
        let mut last_answer = Instant::now();
        loop {
            // Refill once half the window is answered, so that requests go out in batches (one
            // write, one wake-up of the testee) rather than one at a time.
            while !fed_all && queue.len() < window && (queue.len() <= window / 2 || written == 0) {
                match feed() {
                    Some(req) => queue.push_back(Pending {
                        line: request_line(req.id, req.op, req.args),
                        req,
                        sent: Instant::now(),
                    }),
                    None => fed_all = true,
                }
            }
            if queue.is_empty() {
                break;
            }
            if self.running.is_none() {
                // Restart after a crash, timeout or protocol violation; what was in flight is
                // written again.
                let started = Instant::now();
                if let Err(e) = self.start() {
                    let stderr = self.take_stderr();
                    let Some(p) = queue.pop_front() else { break };
                    let evidence = Evidence {
                        request: p.line,
                        stderr,
                        ..Evidence::default()
                    };
                    let outcome = Outcome::Crash(format!("restart failed: {e}"));
                    done(p.req, outcome, evidence, started.elapsed());
                    continue;
                }
                written = 0;
                last_answer = Instant::now();
            }
            if written < queue.len() {
                let now = Instant::now();
                let mut batch = String::new();
                for p in queue.range_mut(written..) {
                    if !batch.is_empty() {
                        batch.push('\n');
                    }
                    batch.push_str(&p.line);
                    p.sent = now;
                }
                self.send(batch);
                written = queue.len();
            }
            let begun = queue[0].sent.max(last_answer);
            let got = self.next_line(begun + self.opts.timeout);
            let answered = Instant::now();
            let Some(p) = queue.pop_front() else { break };
            written -= 1;
            let mut evidence = Evidence {
                request: p.line,
                ..Evidence::default()
            };
            let outcome = match got {
                Ok(line) => {
                    let outcome = parse_response(p.req.id, &line);
                    evidence.response = Some(line);
                    outcome
                }
                Err(o) => o,
            };
            evidence.stderr = self.take_stderr();
            if matches!(
                outcome,
                Outcome::Timeout(_)
                    | Outcome::Crash(_)
                    | Outcome::Protocol(_)
                    | Outcome::HarnessError(_)
            ) {
                // Resynchronise: the requests behind this one go to a fresh process.
                self.kill();
            }
            last_answer = answered;
            done(
                p.req,
                outcome,
                evidence,
                answered.saturating_duration_since(begun),
            );
        }
    }

    fn shutdown(&mut self) {
        if let Some(r) = self.running.take() {
            let Running {
                mut child,
                requests,
                ..
            } = r;
            // Closing stdin (the writer thread ends once its queue is empty and drops it) asks
            // the testee to exit [TESTEE-MSG-004]; kill it if it has not within a second.
            drop(requests);
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
        let mut out = Vec::new();
        read_lines(input, cap, |l| {
            out.push(l);
            true
        });
        out
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
