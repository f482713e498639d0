#!/usr/bin/env bash
# Run one fuzz target for SECONDS (default 600) with libFuzzer, then minimize its corpus.
#
#   fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
#   fuzz/run.sh --list
#
# Uses `cargo +nightly fuzz` when a nightly toolchain is installed, else the stable toolchain with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Zsanitizer=address and the -C llvm-args coverage flags,
# which a stable rustc accepts only under RUSTC_BOOTSTRAP). Needs `cargo install cargo-fuzz`.
# Crash inputs land in fuzz/artifacts/TARGET/; copy each into fuzz/regressions/TARGET/ once fixed.
# Set NO_CMIN=1 to skip the minimization step.
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${1:-}" == "--list" || $# -lt 1 ]]; then
    sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^m2m[-_]fuzz$'
    exit 0
fi
target=$1
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    cargo=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo fuzz)
fi
command -v cargo-fuzz >/dev/null || { echo "install cargo-fuzz: cargo install cargo-fuzz --locked" >&2; exit 2; }
mkdir -p "corpus/$target" "artifacts/$target"
# -O: release build with debug assertions; the corpus dir comes first so new inputs go there.
"${cargo[@]}" run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@"
if [[ -z "${NO_CMIN:-}" ]]; then
    "${cargo[@]}" cmin -O "$target" "corpus/$target"
fi
