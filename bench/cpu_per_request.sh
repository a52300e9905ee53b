#!/usr/bin/env bash
# bench/cpu_per_request.sh BINARY [SECONDS]: service CPU time per request under SQLite W3
# (GET /targets/{id}, bearer token, 64 connections), or of ROUTE (e.g. ROUTE=/api/v1/health,
# the token sent all the same). Unlike req/s it hardly depends on what else
# the machine runs, so two builds can be compared by running them alternately:
#   for i in 1 2 3; do bench/cpu_per_request.sh old/violentutf-api; bench/cpu_per_request.sh build-release/violentutf-api; done
set -euo pipefail
bin=$1; secs=${2:-10}
source "$(dirname "$0")/../scripts/services.sh"  # for free_port
work=$(mktemp -d /tmp/ab.XXXXXX)
port=$(free_port)
env -i PATH="$PATH" SERVER_PORT="$port" METRICS_PORT=0 LOG_LEVEL=warning MAX_CONNECTIONS=512 \
  RATE_LIMIT_ENABLED=false DATABASE_URL="sqlite:///$work/app.db" "$bin" > "$work/out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf $work' EXIT
for _ in $(seq 200); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$port"
name="ab$RANDOM$RANDOM"
curl -s -X POST "$url/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$name\",\"email\":\"$name@example.com\",\"password\":\"passw0rd-bench\"}" >/dev/null
token=$(curl -s -X POST "$url/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$name\",\"password\":\"passw0rd-bench\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
id=$(curl -s -X POST "$url/api/v1/targets" -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
  -d '{"name":"ab","kind":"openai-chat","endpoint_url":"http://127.0.0.1:9/v1"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
route=${ROUTE:-/api/v1/targets/$id}
wrk -t2 -c64 -d1s -H "Authorization: Bearer $token" "$url$route" >/dev/null
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
out=$(wrk -t2 -c64 -d${secs}s -H "Authorization: Bearer $token" "$url$route")
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
reqs=$(grep -o '[0-9]* requests in' <<<"$out" | awk '{print $1}')
rps=$(grep Requests/sec <<<"$out" | awk '{print $2}')
hz=$(getconf CLK_TCK)
echo "rps=$rps cpu_us_per_req=$(( (t1 - t0) * 1000000 / hz / reqs ))"
