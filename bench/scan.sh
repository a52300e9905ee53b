#!/usr/bin/env bash
# The scan benchmark of docs/performance.md: one scan of 1 000 prompts against the mock target
# (safe mode, zero latency) at several `concurrency` values, and with converters on, reporting
# prompts per second; then the service's memory while it streams a report of 100 000 findings in
# each format.
# (bench/run.sh measures W1-W7 while scans run.) PostgreSQL as in production;
# everything on 127.0.0.1. Writes its table between the scan-bench markers of
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh
BUILD_DIR=build-release BUILD_TYPE=Release scripts/build.sh violentutf-api vutf-mock-target >/dev/null
bin="$root/build-release/violentutf-api"
mock="$root/build-release/vutf-mock-target"
source scripts/services.sh
work=$(mktemp -d /tmp/vutf-scan-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  services_stop
  rm -rf "$work"
}
trap cleanup EXIT
services_start >/dev/null

mock_port=$(free_port)
"$mock" --mode safe --port "$mock_port" > "$work/mock.out" &
pids+=($!)
port=$(free_port)
# The mock target listens on 127.0.0.1, which OUTBOUND_BLOCK_PRIVATE refuses outside development.
env -i PATH="$PATH" SERVER_PORT="$port" METRICS_PORT=0 LOG_LEVEL=warning MAX_CONNECTIONS=512 \
  RATE_LIMIT_ENABLED=false SCAN_MAX_PROMPTS=100000 OUTBOUND_ALLOW_CIDRS=127.0.0.0/8 \
  DATABASE_URL="$VUTF_TEST_PG_URL" \
  REDIS_URL="$VUTF_TEST_REDIS_URL" "$bin" > "$work/service.out" 2> "$work/service.err" &
svc=$!
pids+=($svc)
for _ in $(seq 200); do grep -q listening "$work/service.out" 2>/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$port"
TOKEN=$(VUTF_URL=$url scripts/demo-token.sh)
auth=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
target=$(curl -s "${auth[@]}" "$url/api/v1/targets" -d "{\"name\":\"mock\",\"kind\":\"openai-chat\",\
\"endpoint_url\":\"http://127.0.0.1:$mock_port/v1\",\"max_concurrency\":64}" | field 'd["id"]')

# scan PROMPTS CONCURRENCY [CONVERTERS as a JSON array] -> prints the scan id
scan() {
  curl -s "${auth[@]}" "$url/api/v1/scans" -d "{\"target_id\":\"$target\",\
\"probes\":[\"prompt-injection\",\"jailbreak\",\"system-prompt-leak\",\"pii-leak\",\"harmful-content\"],\
\"max_prompts\":$1,\"concurrency\":$2,\"converters\":${3:-[]}}" | field 'd["id"]'
}
wait_scan() {
  while true; do
    s=$(curl -s "${auth[@]}" "$url/api/v1/scans/$1")
    case $(field 'd["status"]' <<<"$s") in completed | failed | cancelled) echo "$s"; return ;; esac
    sleep 0.1
  done
}
rows=()
# row LABEL SCAN_ARGS...: runs one scan and adds its prompts per second to the table.
row() {
  local label="$1"
  shift
  s=$(wait_scan "$(scan "$@")")
  rate=$(field '"%.0f" % (d["progress"]["done"] / max(0.001, (__import__("datetime").datetime.fromisoformat(d["finished_at"][:-1]) - __import__("datetime").datetime.fromisoformat(d["started_at"][:-1])).total_seconds()))' <<<"$s")
  rows+=("| $label | $rate prompts/s | $(field 'd["status"]' <<<"$s"), errors $(field 'd["progress"]["errors"]' <<<"$s") |")
}
for c in 1 4 16 64; do row "1 000 prompts, concurrency $c" 1000 "$c"; done
# Converters on: each prompt as written and through three converters (the variants count as
# prompts), so the same 1 000 sends include the converting.
row "1 000 prompts, concurrency 16, converters base64, leetspeak, homoglyph" 1000 16 \
  '["base64","leetspeak","homoglyph"]'
row "1 000 prompts, concurrency 64, converters base64, leetspeak, homoglyph" 1000 64 \
  '["base64","leetspeak","homoglyph"]'

# Reports stream in bounded memory: a scan of 100 000 prompts against the mock in vulnerable mode
# (every result a finding), then each format downloaded while the service's RSS is sampled.
curl -s "http://127.0.0.1:$mock_port/mode" -d '{"mode":"vulnerable"}' >/dev/null
big=$(field 'd["id"]' <<<"$(wait_scan "$(scan 100000 64)")")
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$svc/status"; }
for f in json markdown csv html junit sarif; do
  before=$(rss_kib)
  peak=$before
  curl -s -o "$work/report.$f" "${auth[@]}" "$url/api/v1/scans/$big/report?format=$f" &
  download=$!
  while kill -0 "$download" 2>/dev/null; do
    now=$(rss_kib)
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.02
  done
  rows+=("| report of 100 000 findings, format $f ($(($(stat -c %s "$work/report.$f") / 1048576)) MiB) | RSS $((before / 1024)) MiB, peak $((peak / 1024)) MiB while streaming | |")
done

table="| scan benchmark ($(nproc) cores, $(date -u +%Y-%m-%d)) | result | |
|---|---|---|
$(printf '%s\n' "${rows[@]}")"
echo "$table"
python3 - "$table" <<'PY'
import re, sys
path = "docs/performance.md"
doc = open(path).read()
block = "<!-- scan-bench:start -->\n" + sys.argv[1] + "\n<!-- scan-bench:end -->"
if "<!-- scan-bench:start -->" in doc:
    doc = re.sub(r"<!-- scan-bench:start -->.*?<!-- scan-bench:end -->", lambda m: block, doc, flags=re.S)
else:
    doc += "\n## Scans (bench/scan.sh)\n\n" + block + "\n"
open(path, "w").write(doc)
PY
