#!/usr/bin/env bash
# Prints an access token for the demo account on ${VUTF_URL:-http://127.0.0.1:8000}, registering
# the account first if it does not exist yet. For the README's demo; not for production use.
set -euo pipefail
url="${VUTF_URL:-http://127.0.0.1:8000}"
curl -s -o /dev/null -H 'Content-Type: application/json' \
  -d '{"username":"demo","email":"demo@example.com","password":"demo-passw0rd"}' \
  "$url/api/v1/auth/register" || true
curl -sf -H 'Content-Type: application/json' \
  -d '{"username":"demo","password":"demo-passw0rd"}' "$url/api/v1/auth/login" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
