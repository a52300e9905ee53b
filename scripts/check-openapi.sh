#!/usr/bin/env bash
# The checks of http/openapi.json in CI: scripts/check-openapi.py (the project's rules: canonical
# form, schemas as JSON Schema 2020-12, $refs, parameters, an example per operation valid against
# its schema) and a standard OpenAPI 3.1 validator, Redocly CLI's `lint` (scripts/redocly.yaml),
# from the npm registry since Debian 12 packages none: pinned, installed once into a cache
# directory (about 50 s), then about 5 s per run.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 scripts/check-openapi.py
command -v npm >/dev/null || { apt-get install -y -qq npm >/dev/null; }
version=1.25.11
tools="${VUTF_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vutf-tools}/redocly-$version"
if [ ! -x "$tools/node_modules/.bin/redocly" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent "@redocly/cli@$version"
fi
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$tools/node_modules/.bin/redocly" lint --config scripts/redocly.yaml http/openapi.json
