//! `m2m-upstream-testee` — the published m2m-protocol 0.4.0 crate behind the suite's testee
//! protocol (JSON Lines on stdin/stdout). See the adapter README.

fn main() -> std::process::ExitCode {
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    match m2m_upstream_adapter::serve(stdin, stdout) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("m2m-upstream-testee: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
