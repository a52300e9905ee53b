-- Appended to every workload script: prints one machine-readable line (latencies in
-- microseconds) that bench/run.sh turns into the table. No response() callback here: calling
-- into Lua for every response would make wrk, not the service, the bottleneck on 2 cores.
-- HTTP statuses >= 400 are in summary.errors.status; `kinds` splits the errors (a timeout is
-- wrk's 2 s without an answer). A script that counts creates (W5) keeps
-- them per thread in `created`; one that counts error statuses (W6) keeps `statuses` (code -> n).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local made, statuses = 0, {}
  for _, t in ipairs(threads) do
    made = made + (t:get("created") or 0)
    for code, n in pairs(t:get("statuses") or {}) do statuses[code] = (statuses[code] or 0) + n end
  end
  local codes = {}
  for code, n in pairs(statuses) do table.insert(codes, code .. ":" .. n) end
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.0f p50=%d p95=%d p99=%d errors=%d created=%d kinds=connect:%d,read:%d,write:%d,timeout:%d,status:%d statuses=%s\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status, made,
    e.connect, e.read, e.write, e.timeout, e.status, table.concat(codes, ",")))
end
