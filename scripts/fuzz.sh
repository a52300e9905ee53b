#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz, built by `scripts/sanitize.sh asan` into
# ${BUILD_DIR:-build-asan}, each for FUZZ_SECONDS (default 30) from its seed corpus
# tests/fuzz/corpus/<target>/ with its dictionary, two at a time, in a network namespace of
# their own (nothing an input stores can make the service call out). Fails when any target
# finds a crash, a sanitizer report, a leak, an input slower than 10 s or one over 2 GB; the
# input is kept as $dir/fuzz/<target>/crash-* (or timeout-*, leak-*, oom-*) and its path printed.
#   scripts/fuzz.sh [target...]     (default: every target in $dir/fuzz_targets.txt)
# Reproduce one finding: $dir/tests/fuzz/fuzz_<target> <that file>
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
dir="${BUILD_DIR:-build-asan}"
seconds="${FUZZ_SECONDS:-30}"
[ -f "$dir/fuzz_targets.txt" ] || { echo "no $dir/fuzz_targets.txt: run scripts/sanitize.sh asan" >&2; exit 2; }
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(grep -v '^$' "$dir/fuzz_targets.txt"); fi

if unshare -n true 2>/dev/null; then isolate=(unshare -n)
elif unshare -rn true 2>/dev/null; then isolate=(unshare -rn)
else echo "fuzz.sh: cannot make a network namespace (unshare -n); not fuzzing" >&2; exit 2; fi

export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"

# Longest input per target: a request head plus a body, a prompt as long as a probe set holds,
# a reply big enough for super-linear detectors and deep nesting to show, a token just past
# verify's 4 KiB limit.
max_len() {
  case "$1" in
    request | converters) echo 16384 ;;
    target_reply | detectors) echo 65536 ;;
    json_path) echo 16384 ;;
    judge) echo 98304 ;;  # past the 64 KiB searched for a verdict
    token) echo 5000 ;;
    *) echo 8192 ;;
  esac
}

fuzz_one() {
  local t="$1" work="$dir/fuzz/$1" args=()
  rm -rf "$work" && mkdir -p "$work/corpus"
  [ -f "tests/fuzz/$t.dict" ] && args+=("-dict=tests/fuzz/$t.dict")
  # New inputs go to the work corpus (first directory); the committed seeds are only read.
  if "${isolate[@]}" "$dir/tests/fuzz/fuzz_$t" "${args[@]}" -max_total_time="$seconds" \
      -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/corpus" "tests/fuzz/corpus/$t" >"$work/log" 2>&1; then
    echo "fuzz $t: ok, $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$') inputs in ${seconds}s"
  else
    tail -60 "$work/log"
    echo "fuzz $t: FAILED; the input is kept: $(ls "$work"/{crash,timeout,leak,oom,slow-unit}-* 2>/dev/null | tr '\n' ' ')"
    echo "  reproduce: $dir/tests/fuzz/fuzz_$t <that file>   (full log: $work/log)"
    return 1
  fi
}

failed=0
pids=()
names=()
for t in "${targets[@]}"; do
  fuzz_one "$t" & pids+=($!) names+=("$t")
  # Two at a time: the 2 cores of CI.
  if [ ${#pids[@]} -ge "${FUZZ_JOBS:-2}" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}") names=("${names[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
[ "$failed" -eq 0 ] || { echo "fuzzing found problems (inputs kept under $dir/fuzz/)" >&2; exit 1; }
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no findings"
