#!/usr/bin/env bash
# A fuzzing campaign: every target (or the ones named) for SECONDS each, JOBS at a time, on the
# binaries `cargo fuzz build -O` left (build first: `cd fuzz && cargo +nightly fuzz build -O`),
# so source edits during a campaign trigger no rebuild. Each target then has its corpus
# minimized (`-merge=1` into a fresh folder, what `cargo fuzz cmin` runs), and
# fuzz/tools/stats.py prints the table of reports/fuzzing.md from the logs.
#
#   fuzz/campaign.sh [-j JOBS] [-t SECONDS] [-l LOGDIR] [-n] [TARGET...]
#
# -n: throughput only: each target fuzzes a scratch copy of its corpus, the committed corpus is
# neither grown nor minimized (for measuring execs/s, e.g. `-n -t 60`).
#
# Defaults: 1 job, 600 s, logs in /tmp/fuzzlogs. One job per core you can spare. The table shows
# libFuzzer's own average (wall clock, per job) and execs per CPU second (user + system time of
# the job, from /usr/bin/time), which is what the job does on a core of its own.
set -euo pipefail
cd "$(dirname "$0")"
jobs=1 seconds=600 logdir=/tmp/fuzzlogs scratch=
while getopts "j:t:l:n" o; do
    case $o in
        j) jobs=$OPTARG ;; t) seconds=$OPTARG ;; l) logdir=$OPTARG ;; n) scratch=1 ;;
        *) echo "usage: fuzz/campaign.sh [-j JOBS] [-t SECONDS] [-l LOGDIR] [-n] [TARGET...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || mapfile -t targets < <(./run.sh --list)
bin_dir=target/x86_64-unknown-linux-gnu/release
for t in "${targets[@]}"; do
    [[ -x "$bin_dir/$t" ]] || { echo "no binary for $t in fuzz/$bin_dir (build first)" >&2; exit 2; }
done
mkdir -p "$logdir"
one() {  # one target: fuzz, then minimize the corpus into a fresh folder
    local t=$1 log="$logdir/campaign-$1.log" corpus="corpus/$1"
    mkdir -p "corpus/$t" "artifacts/$t"
    if [[ -n "$scratch" ]]; then
        corpus=$(mktemp -d) && cp -r "corpus/$t/." "$corpus/"
    fi
    echo "$(date -u +%H:%M:%S) start $t" >&2
    # The CPU time the fuzzing took (user + system) gives execs per CPU second, the rate on one
    # core of its own, however many jobs shared the machine.
    /usr/bin/time -f "cpu_seconds: %U %S" -o "$log.time" \
        "$bin_dir/$t" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -dict=m2m.dict -artifact_prefix="artifacts/$t/" >"$log" 2>&1 || true
    if [[ -n "$scratch" ]]; then
        rm -rf "$corpus"
        echo "$(date -u +%H:%M:%S) done  $t" >&2
        return
    fi
    rm -rf "corpus/$t.min" && mkdir "corpus/$t.min"
    # The merge restarts the target, whose first input loads the tokenizer vocabularies (about
    # 1 s with ASan on an idle core): a generous timeout keeps a loaded machine from writing
    # timeout-* artifacts for inputs that are not slow.
    "$bin_dir/$t" -merge=1 -timeout=60 -rss_limit_mb=2048 -artifact_prefix="artifacts/$t/" \
        "corpus/$t.min" "corpus/$t" >>"$log" 2>&1 &&
        rm -rf "corpus/$t" && mv "corpus/$t.min" "corpus/$t"
    echo "$(date -u +%H:%M:%S) done  $t" >&2
}
export -f one
export logdir seconds bin_dir scratch
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'one {}'
python3 tools/stats.py "$logdir"
