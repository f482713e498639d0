#!/usr/bin/env bash
# The one script behind action.yml (and tested by .ci/run on every change): install the
# m2m-conformance harness from this checkout, certify a target, keep the reports, exit with
# certify's code (0 certified, 1 not, 2 setup error).
#
# Environment (the Action's inputs):
#   M2M_TARGET          required: target string (see `m2m-conformance certify --help`)
#   M2M_PROFILES        profiles claimed, separated by spaces or commas
#   M2M_KNOWN_FAILURES  path of a known-failure list
#   M2M_REPORT_DIR      report folder (default: m2m-conformance-reports)
#   M2M_FILTER          space-separated --filter values
#   M2M_STRICT          `true` for --strict
# And for the install:
#   M2M_SUITE_DIR       the suite checkout to install from (default: this script's repository)
#   M2M_CONFORMANCE_BIN use this binary instead of installing one
#   M2M_INSTALL_ROOT    cargo install --root (default: $RUNNER_TEMP/m2m-conformance or a temp dir)
#   M2M_INSTALL_FLAGS   extra `cargo install` flags (CI here passes --debug to reuse its build)
set -euo pipefail

: "${M2M_TARGET:?M2M_TARGET, the target input of the action, is required}"
suite_dir="${M2M_SUITE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
report_dir="${M2M_REPORT_DIR:-m2m-conformance-reports}"

bin="${M2M_CONFORMANCE_BIN:-}"
if [[ -z "$bin" ]]; then
  root="${M2M_INSTALL_ROOT:-${RUNNER_TEMP:-$(mktemp -d)}/m2m-conformance}"
  echo "::group::install m2m-conformance from $suite_dir"
  # shellcheck disable=SC2086
  cargo install --locked --quiet ${M2M_INSTALL_FLAGS:-} --path "$suite_dir/harness" --root "$root"
  echo "::endgroup::"
  bin="$root/bin/m2m-conformance"
fi
"$bin" --version

args=(certify --target "$M2M_TARGET" --report-dir "$report_dir")
profiles="${M2M_PROFILES:-}"
for p in ${profiles//,/ }; do args+=(--profile "$p"); done
for f in ${M2M_FILTER:-}; do args+=(--filter "$f"); done
[[ -n "${M2M_KNOWN_FAILURES:-}" ]] && args+=(--known-failures "$M2M_KNOWN_FAILURES")
[[ "${M2M_STRICT:-false}" == "true" ]] && args+=(--strict)

set +e
"$bin" "${args[@]}"
code=$?
set -e

certified=false
[[ $code -eq 0 ]] && certified=true
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  echo "certified=$certified" >>"$GITHUB_OUTPUT"
fi
if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$report_dir/report.md" ]]; then
  head -n 80 "$report_dir/report.md" >>"$GITHUB_STEP_SUMMARY"
fi
echo "m2m-conformance: exit $code (certified=$certified); reports in $report_dir"
exit $code
