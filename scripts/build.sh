#!/usr/bin/env bash
# Builds into ${BUILD_DIR:-build} (Release unless BUILD_TYPE says otherwise): everything, or only
# the targets named (the benchmarks need two binaries, not the tests). BUILD_FLAGS, when set,
# replaces the build type's compiler flags (scripts/test.sh: line tables only).
#   scripts/build.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BUILD_DIR:-build}"
type="${BUILD_TYPE:-Release}"
args=(-DCMAKE_BUILD_TYPE="$type")
if [ -n "${BUILD_FLAGS:-}" ]; then args+=("-DCMAKE_CXX_FLAGS_${type^^}=$BUILD_FLAGS"); fi
cmake -S . -B "$dir" "${args[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" ${1:+--target "$@"}
