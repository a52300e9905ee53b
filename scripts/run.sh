#!/usr/bin/env bash
# Installs, builds Release and runs the service on its embedded defaults:
# SQLite file ./app.db, in-process cache, API on 127.0.0.1:8000, metrics on 9090.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/violentutf-api
