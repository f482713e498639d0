#!/usr/bin/env bash
# Run one fuzz target for SECONDS (default 600) with libFuzzer, then minimize its corpus.
#
#   fuzz/run.sh [cargo-fuzz options] TARGET [SECONDS] [libFuzzer flags...]
#   fuzz/run.sh --list
#
# cargo-fuzz options come BEFORE the target and go to `cargo fuzz run` / `cargo fuzz cmin`
# (e.g. `-s none` to build without AddressSanitizer, `--dev`, `-j N`); flags after SECONDS go to
# libFuzzer (e.g. `-only_ascii=1`). Every run uses the dictionary fuzz/m2m.dict
# (fuzz/tools/dict.py) unless a `-dict=` flag is given.
#
# Uses `cargo +nightly fuzz` when a nightly toolchain is installed, else the stable toolchain with
# RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Zsanitizer=address and the -C llvm-args coverage flags,
# which a stable rustc accepts only under RUSTC_BOOTSTRAP, and fuzz/Cargo.toml's per-crate flags
# use the nightly cargo feature profile-rustflags). Needs `cargo install cargo-fuzz`.
# Crash inputs land in fuzz/artifacts/TARGET/; copy each into fuzz/regressions/TARGET/ once fixed.
# Set NO_CMIN=1 to skip the minimization step.
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${1:-}" == "--list" || $# -lt 1 ]]; then
    sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^m2m[-_]fuzz$'
    exit 0
fi
fuzz_opts=()
while [[ $# -gt 0 && "$1" == -* ]]; do
    case "$1" in
        # cargo-fuzz options that take a value
        -s|--sanitizer|-j|--jobs|--target|--features|--build-std|-a|--careful|--profile)
            [[ $# -ge 2 ]] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
            fuzz_opts+=("$1" "$2"); shift 2 ;;
        *) fuzz_opts+=("$1"); shift ;;
    esac
done
[[ $# -ge 1 ]] || { echo "run.sh: no target (fuzz/run.sh --list)" >&2; exit 2; }
target=$1
if ! sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -qx "$target"; then
    echo "run.sh: unknown target '$target' (fuzz/run.sh --list)" >&2
    exit 2
fi
seconds=${2:-600}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "run.sh: SECONDS must be a number, got '$seconds'" >&2; exit 2; }
shift $(( $# >= 2 ? 2 : 1 ))
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    cargo=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    cargo=(cargo fuzz)
fi
command -v cargo-fuzz >/dev/null || { echo "install cargo-fuzz: cargo install cargo-fuzz --locked" >&2; exit 2; }
dict=(-dict=m2m.dict)
for f in "$@"; do [[ "$f" == -dict=* ]] && dict=(); done
mkdir -p "corpus/$target" "artifacts/$target"
# -O: release build with debug assertions; the corpus dir comes first so new inputs go there.
"${cargo[@]}" run -O "${fuzz_opts[@]}" "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" "$@"
if [[ -z "${NO_CMIN:-}" ]]; then
    "${cargo[@]}" cmin -O "${fuzz_opts[@]}" "$target" "corpus/$target"
fi
