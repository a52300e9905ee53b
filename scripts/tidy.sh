#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: naming and bug-prone checks) over every translation unit of the
# service and its tests, using the compile commands of ${BUILD_DIR:-build}. Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${BUILD_DIR:-build}"
[ -f "$dir/compile_commands.json" ] || { echo "no $dir/compile_commands.json: build first" >&2; exit 2; }
# Only the tree's own files: generated sources (migrations, probe data, OpenAPI) are data.
files=$(git ls-files '*.cpp')
run-clang-tidy -quiet -p "$dir" -j "$(nproc)" $files > "$dir/tidy.log" 2>&1 || {
  grep -E "(warning|error):" "$dir/tidy.log" | sort -u | head -50
  echo "clang-tidy found problems (full output in $dir/tidy.log)" >&2
  exit 1
}
echo "clang-tidy: no findings"
