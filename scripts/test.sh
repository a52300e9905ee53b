#!/usr/bin/env bash
# Installs, builds, runs clang-tidy and the whole test suite against a throwaway PostgreSQL 15
# and Redis started on free loopback ports (stopped again on exit, whatever happens). Before the
# suite, the proof jobs (docs/security.md, "Proof"): the suite under ASan+UBSan, every fuzzer for
# FUZZ_SECONDS, the concurrency tests under TSan. VUTF_PROOF=0 skips them for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
times=()
# Runs a step and notes its wall-clock time for the summary (docs/operations.md, "CI").
timed() {
  local label="$1" start=$SECONDS
  shift
  echo "== $label"
  "$@"
  times+=("$(printf '%-34s %4d s' "$label" $((SECONDS - start)))")
}
# -O1 and line tables: the tests' stacks stay readable, and the build takes about half the time of
# -O2 -g (full debug info makes gcc's objects 15 times larger; docs/operations.md, "CI").
timed "build" env BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" BUILD_FLAGS="${BUILD_FLAGS:--O1 -g1}" \
  scripts/build.sh
# The deployment files against the fresh build (seconds): unit, package, dashboards, rules.
timed "deploy checks" scripts/check-deploy.sh
timed "OpenAPI check" scripts/check-openapi.sh
# Static checks first: naming and bug-prone findings fail the run like a failing test.
timed "clang-tidy" scripts/tidy.sh
source scripts/services.sh
trap services_stop EXIT
services_start
if [ "${VUTF_PROOF:-1}" != 0 ]; then
  timed "ASan+UBSan build, whole suite" scripts/sanitize.sh asan
  timed "fuzzing" scripts/fuzz.sh
  timed "TSan build, concurrency tests" scripts/sanitize.sh tsan
fi
printf '%s\n' "== times" "${times[@]}"
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 300 "$@"
