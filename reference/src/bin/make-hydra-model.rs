//! `make-hydra-model` — writes the deterministic, seeded Hydra weight files of
//! [`m2m_reference::hydra::synth`] (spec `hydra`, `models/README.md`).
//!
//! ```text
//! make-hydra-model --tiny [--out-dir models]     # the committed test models and corrupt files
//! make-hydra-model --full PATH [--seed N]        # full size (32000 x 192, 4 layers, 4 experts)
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use m2m_reference::hydra::synth;

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
    Ok(())
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 2026u64;
    let mut out_dir = PathBuf::from("models");
    let mut tiny = false;
    let mut full: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--tiny" => tiny = true,
            "--full" => full = Some(PathBuf::from(it.next().ok_or("--full needs a path")?)),
            "--seed" => {
                seed = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seed needs an integer")?
            }
            "--out-dir" => out_dir = PathBuf::from(it.next().ok_or("--out-dir needs a path")?),
            "-h" | "--help" => {
                println!("usage: make-hydra-model --tiny [--out-dir DIR] | --full PATH [--seed N]");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if !tiny && full.is_none() {
        return Err("nothing to do: pass --tiny or --full PATH".into());
    }
    if tiny {
        for (name, bytes) in synth::tiny_models() {
            write(&out_dir.join(name), &bytes)?;
        }
        for (name, bytes) in synth::corrupt_files() {
            write(
                &out_dir.join("corrupt").join(format!("{name}.safetensors")),
                &bytes,
            )?;
        }
    }
    if let Some(path) = full {
        write(&path, &synth::full_model(seed))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("make-hydra-model: {e}");
            ExitCode::from(2)
        }
    }
}
