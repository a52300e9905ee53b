#!/usr/bin/env bash
# Installs, builds, runs clang-tidy and the whole test suite against a throwaway PostgreSQL 15
# and Redis started on free loopback ports (stopped again on exit, whatever happens).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" scripts/build.sh
# Static checks first: naming and bug-prone findings fail the run like a failing test.
scripts/tidy.sh
source scripts/services.sh
trap services_stop EXIT
services_start
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 300 "$@"
