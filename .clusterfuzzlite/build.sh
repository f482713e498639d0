#!/bin/bash -eu
# Build every cargo-fuzz target of fuzz/ into $OUT, each with its seed corpus
# ($OUT/<target>_seed_corpus.zip, from fuzz/corpus/<target>/ and fuzz/regressions/<target>/) and
# the shared dictionary ($OUT/<target>.dict, fuzz/m2m.dict). ClusterFuzzLite runs it inside the
# image of .clusterfuzzlite/Dockerfile (cwd = the repository, $SANITIZER applied by OSS-Fuzz's
# cargo wrapper); CI here runs it directly (`OUT=DIR bash .clusterfuzzlite/build.sh`), which
# needs cargo-fuzz and uses the nightly toolchain when rustup has one, else stable with
# RUSTC_BOOTSTRAP=1, as fuzz/run.sh does (fuzz/Cargo.toml uses the nightly cargo feature
# profile-rustflags, so even reading it needs one or the other).
root=$PWD
[[ -f "$root/fuzz/Cargo.toml" ]] || root=$(cd "$(dirname "$0")/.." && pwd)
: "${OUT:?set OUT to the output folder}"
mkdir -p "$OUT"
cd "$root/fuzz"
cargo=(cargo)
if [[ -z "${SANITIZER:-}" ]]; then  # outside OSS-Fuzz's image
    command -v cargo-fuzz >/dev/null || { echo "build.sh: needs cargo-fuzz (cargo install cargo-fuzz --locked)" >&2; exit 2; }
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        cargo=(cargo +nightly)
    else
        export RUSTC_BOOTSTRAP=1
    fi
fi
"${cargo[@]}" fuzz build -O
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^m2m[-_]fuzz$')
bin_dir=target/x86_64-unknown-linux-gnu/release
for t in $targets; do
    cp "$bin_dir/$t" "$OUT/$t"
    cp m2m.dict "$OUT/$t.dict"
    rm -f "$OUT/${t}_seed_corpus.zip"
    # A flat archive of the corpus and regression files; names are content hashes, so a
    # regression input that is also in the corpus is stored once.
    find "corpus/$t" "regressions/$t" -maxdepth 1 -type f 2>/dev/null \
        | python3 -c 'import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    seen = set()
    for p in sys.stdin.read().split():
        if os.path.basename(p) not in seen:
            seen.add(os.path.basename(p))
            z.write(p, os.path.basename(p))' "$OUT/${t}_seed_corpus.zip"
done
echo "build.sh: $(wc -w <<<"$targets") targets in $OUT"
