//! The `m2m-h3:https://HOST:PORT[,OPTION]…` target: a running M2M server's HTTP API over
//! QUIC and HTTP/3 (spec chapter `h3`, `spec/16-h3.md`), e.g. `m2m-ref server --h3` or a
//! program serving upstream's router through its `QuicTransport`.
//!
//! It answers `http.run` exactly as the `m2m-http:` target does (same step interpreter, same
//! `/status` settings check: [`super::m2m_http::run_http`]), each step one HTTP/3 request on one
//! kept connection, and `h3.scenario` (0-RTT, migration, concurrent streams, idle timeout)
//! through [`m2m_reference::edge::h3_client`]. Every other op is `unsupported`.
//!
//! Options, comma-separated after the URL (for a host that is not loopback, one of the first
//! two is required; a loopback host without either is `insecure`):
//!
//! | option | meaning |
//! |---|---|
//! | `cert-sha256=HEX` | trust the certificate whose DER has this SHA-256 (repeatable) |
//! | `cert=PATH` | trust the certificates of this PEM file (pinned by their SHA-256) |
//! | `insecure` | trust any certificate; only for a loopback host |
//! | `idle-timeout-ms=N` | the idle timeout the server advertises; without it the idle-timeout scenario is `unsupported` |
//!
//! [H3-TLS-003] [H3-RUN-001] [H3-RUN-002]

use std::time::Duration;

use super::{SetupError, Target, TargetOptions};

/// The options of an `m2m-h3:` target string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `https://HOST:PORT`.
    pub url: String,
    /// SHA-256 fingerprints to pin (lower-case hex).
    pub fingerprints: Vec<String>,
    /// PEM files whose certificates are pinned.
    pub cert_files: Vec<String>,
    /// Accept any certificate (loopback only).
    pub insecure: bool,
    /// The idle timeout the server advertises, if stated.
    pub idle_timeout_ms: Option<u64>,
}

/// Parse what follows `m2m-h3:`.
pub fn parse(rest: &str) -> Result<Spec, String> {
    let mut parts = rest.split(',');
    let url = parts.next().unwrap_or("").trim().to_owned();
    let (host, _) = parse_url(&url)?;
    let mut spec = Spec {
        url,
        fingerprints: Vec::new(),
        cert_files: Vec::new(),
        insecure: false,
        idle_timeout_ms: None,
    };
    for part in parts.map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        match key {
            "cert-sha256" => {
                let hex: String = value.chars().filter(|c| *c != ':').collect();
                if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(format!(
                        "cert-sha256 wants 64 hex digits (colons allowed), got `{value}`"
                    ));
                }
                spec.fingerprints.push(hex.to_ascii_lowercase());
            }
            "cert" if !value.is_empty() => spec.cert_files.push(value.to_owned()),
            "insecure" if value.is_empty() => spec.insecure = true,
            "idle-timeout-ms" => {
                spec.idle_timeout_ms = Some(value.parse().map_err(|_| {
                    format!("idle-timeout-ms wants a number of milliseconds, got `{value}`")
                })?)
            }
            _ => {
                return Err(format!(
                "unknown option `{part}` (cert-sha256=HEX, cert=PATH, insecure, idle-timeout-ms=N)"
            ))
            }
        }
    }
    let pinned = !spec.fingerprints.is_empty() || !spec.cert_files.is_empty();
    if !pinned && !spec.insecure {
        if !loopback(&host) {
            return Err(format!(
                "say how to trust the certificate of `{host}`: cert-sha256=HEX or cert=PATH"
            ));
        }
        // A development server on this machine: its self-signed certificate is accepted.
        spec.insecure = true;
    }
    if spec.insecure && !loopback(&host) {
        return Err(format!(
            "`insecure` is only allowed for a loopback host, not `{host}`"
        ));
    }
    Ok(spec)
}

fn loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `https://HOST:PORT` → host and port.
fn parse_url(url: &str) -> Result<(String, u16), String> {
    #[cfg(feature = "h3")]
    {
        m2m_reference::edge::h3_client::parse_url(url)
    }
    #[cfg(not(feature = "h3"))]
    {
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| format!("`{url}`: an HTTP/3 URL starts with https://"))?;
        let (host, port) = rest
            .trim_end_matches('/')
            .rsplit_once(':')
            .ok_or_else(|| format!("`{url}`: the port is required"))?;
        let port = port.parse().map_err(|_| format!("`{url}`: bad port"))?;
        Ok((host.trim_matches(['[', ']']).to_owned(), port))
    }
}

/// Build the target (a setup error without the `h3` feature).
pub fn from_spec(rest: &str, opts: TargetOptions) -> Result<Box<dyn Target>, SetupError> {
    let spec = parse(rest).map_err(SetupError::BadTarget)?;
    #[cfg(feature = "h3")]
    {
        Ok(Box::new(imp::H3Target::new(spec, opts)))
    }
    #[cfg(not(feature = "h3"))]
    {
        let _ = (spec, opts);
        Err(SetupError::BadTarget(
            "this m2m-conformance was built without the `h3` feature (m2m-h3: targets)".into(),
        ))
    }
}

/// The per-request time of a case: the harness's per-case timeout, at most 30 s (as `m2m-http:`).
pub fn request_timeout(opts: &TargetOptions) -> Duration {
    opts.timeout.min(Duration::from_secs(30))
}

#[cfg(feature = "h3")]
mod imp {
    use serde_json::Value;

    use m2m_reference::edge::h3_client::{ClientOptions, H3Client, ScenarioError, Trust};

    use super::super::m2m_http::{hello_over, run_http, Settings};
    use super::super::{request_line, Evidence, Outcome, SetupError, Target, TargetOptions};
    use super::*;

    /// A server reached over HTTP/3.
    pub struct H3Target {
        spec: Spec,
        opts: TargetOptions,
        client: Option<H3Client>,
        reported: Option<Settings>,
    }

    impl H3Target {
        pub fn new(spec: Spec, opts: TargetOptions) -> Self {
            H3Target {
                spec,
                opts,
                client: None,
                reported: None,
            }
        }

        fn trust(&self) -> Result<Trust, String> {
            if self.spec.insecure {
                return Ok(Trust::Any);
            }
            let mut pins = self.spec.fingerprints.clone();
            for file in &self.spec.cert_files {
                match Trust::from_pem_file(std::path::Path::new(file))? {
                    Trust::Pinned(more) => pins.extend(more),
                    Trust::Any => {}
                }
            }
            Ok(Trust::Pinned(pins))
        }
    }

    /// A request that got no answer in time is the case's timeout, not a crash.
    fn transport_outcome(e: String, timeout: Duration) -> Outcome {
        if e.starts_with("no answer within") {
            Outcome::Timeout(timeout)
        } else {
            Outcome::Crash(e)
        }
    }

    impl Target for H3Target {
        fn hello(&mut self) -> Result<TesteeInfo, SetupError> {
            let trust = self.trust().map_err(SetupError::BadTarget)?;
            let mut client = H3Client::new(
                &self.spec.url,
                ClientOptions {
                    trust,
                    timeout: request_timeout(&self.opts),
                    server_idle_timeout: self.spec.idle_timeout_ms.map(Duration::from_millis),
                },
            )
            .map_err(SetupError::BadTarget)?;
            let (version, reported) = hello_over(&mut |r| client.send(r))?;
            self.reported = reported;
            self.client = Some(client);
            let mut ops = vec!["http.run".to_owned(), "h3.scenario".to_owned()];
            ops.sort();
            Ok(TesteeInfo {
                target: format!("m2m-h3:{}", self.spec.url),
                name: format!("m2m-h3 {}", self.spec.url),
                version,
                protocol: 1,
                ops,
            })
        }

        fn run(&mut self, id: &str, op: &str, args: &Value) -> (Outcome, Evidence) {
            let timeout = request_timeout(&self.opts);
            let Some(client) = self.client.as_mut() else {
                let evidence = Evidence {
                    request: request_line(id, op, args),
                    ..Evidence::default()
                };
                return (Outcome::HarnessError("no hello yet".into()), evidence);
            };
            if op == "h3.scenario" {
                let evidence = Evidence {
                    request: request_line(id, op, args),
                    ..Evidence::default()
                };
                let outcome = match client.scenario(args) {
                    Ok(v) => Outcome::Ok(v),
                    Err(ScenarioError::BadArgs(e)) => Outcome::Error {
                        class: "bad_args".into(),
                        message: e,
                    },
                    Err(ScenarioError::Unsupported(e)) => Outcome::Unsupported(e),
                    Err(ScenarioError::Transport(e)) => transport_outcome(e, timeout),
                    Err(ScenarioError::Timeout) => Outcome::Timeout(timeout),
                };
                return (outcome, evidence);
            }
            let (outcome, evidence) =
                run_http(id, op, args, self.reported.as_ref(), "m2m-h3", &mut |r| {
                    client.send(r)
                });
            let outcome = match outcome {
                Outcome::Crash(e) => transport_outcome(e, timeout),
                other => other,
            };
            (outcome, evidence)
        }
    }

    use super::super::TesteeInfo;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let fp = "ab".repeat(32);
        let s = parse(&format!(
            "https://127.0.0.1:4433,cert-sha256={fp},idle-timeout-ms=1000"
        ))
        .unwrap();
        assert_eq!(s.fingerprints, vec![fp]);
        assert_eq!(s.idle_timeout_ms, Some(1000));
        assert!(
            parse("https://127.0.0.1:4433").unwrap().insecure,
            "loopback default"
        );
        assert!(parse("https://example.com:4433").is_err(), "no trust given");
        assert!(parse("https://127.0.0.1:4433,insecure").is_ok());
        assert!(parse("https://example.com:4433,insecure").is_err());
        assert!(parse("https://127.0.0.1:4433,cert-sha256=zz").is_err());
        assert!(parse("http://127.0.0.1:4433,insecure").is_err());
        assert!(
            parse("https://127.0.0.1,insecure").is_err(),
            "port required"
        );
        assert!(parse("https://127.0.0.1:1,insecure,bogus").is_err());
    }
}
