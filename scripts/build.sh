#!/usr/bin/env bash
# Builds into ${BUILD_DIR:-build} (Release unless BUILD_TYPE says otherwise): everything, or only
# the targets named (the benchmarks need two binaries, not the tests).
#   scripts/build.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BUILD_DIR:-build}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
cmake --build "$dir" -j"$(nproc)" ${1:+--target "$@"}
