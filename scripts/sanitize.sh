#!/usr/bin/env bash
# The sanitizer jobs of the test run (docs/security.md, "Proof"), each in a clang build
# directory of its own:
#   scripts/sanitize.sh asan [ctest args]  build-asan: every target under ASan+UBSan (undefined
#                                          behaviour aborts), plus the libFuzzer targets of
#                                          tests/fuzz; runs the whole ctest suite.
#   scripts/sanitize.sh tsan [ctest args]  build-tsan: the tests that drive the concurrent core
#                                          (actors, pool, cache, engine, socket frontend) under TSan.
#   scripts/sanitize.sh asan|tsan --build  only builds (e.g. the fuzzers for scripts/fuzz.sh).
# The integration tests need the services of scripts/services.sh (scripts/test.sh starts them).
set -euo pipefail
cd "$(dirname "$0")/.."
job="${1:?usage: scripts/sanitize.sh asan|tsan [--build | ctest args]}"
shift
build_only=0
if [ "${1:-}" = "--build" ]; then build_only=1; shift; fi
root="$PWD"
export CXX="${CXX:-clang++}"
# ccache, when there is one, across checkouts (a CI clone reuses what a session compiled).
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR=1
fi
# -O1 and line tables only: readable stacks at a fraction of the build time of full debug info.
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only")
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1"
export TSAN_OPTIONS="suppressions=$root/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1:print_suppressions=0"

case "$job" in
  asan)
    dir="${BUILD_DIR:-build-asan}"
    cmake -S . -B "$dir" "${flags[@]}" -DVUTF_SANITIZE=address,undefined -DVUTF_FUZZ=ON >/dev/null
    cmake --build "$dir" -j"$(nproc)"
    [ "$build_only" = 1 ] && exit 0
    # The browser test (label browser: Chromium driving the console) runs in the main suite
    # only: what it adds under sanitizers is the service's console routes, which the in-process
    # tests already cover here, for a minute of the CI budget.
    ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 600 -LE browser "$@"
    ;;
  tsan)
    dir="${BUILD_DIR:-build-tsan}"
    # Only these test binaries are built; ctest's placeholders for the others are excluded.
    targets=(service_test pool_pgtest cache_redistest engine_test scan_test server_test outbound_test
      resources_pgtest near_cache_test near_cache_redistest list_index_test)
    cmake -S . -B "$dir" "${flags[@]}" -DVUTF_SANITIZE=thread >/dev/null
    cmake --build "$dir" -j"$(nproc)" --target "${targets[@]}"
    [ "$build_only" = 1 ] && exit 0
    # Not built here: the placeholders of the other binaries and dns_deadline_test. Left out:
    # the browser test (label browser: it drives the console, not the concurrent core) and
    # the hostile-reply scan (megabytes of JSON and digits through the detectors: CPU, not
    # concurrency, and ten times slower under TSan than its request deadlines allow).
    ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 600 -LE browser \
      -E '_NOT_BUILT$|^dns_deadline_test$|hostile_replies_become_errors' "$@"
    ;;
  *)
    echo "unknown job $job: asan or tsan" >&2
    exit 2
    ;;
esac
