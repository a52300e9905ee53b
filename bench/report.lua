-- Appended to every workload script: counts statuses per thread and prints one machine-readable
-- line (latencies in microseconds) that bench/run.sh turns into the table.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status == 201 then created = (created or 0) + 1 end
  if status >= 400 then failed = (failed or 0) + 1 end
end
function done(summary, latency, requests)
  local made, bad = 0, 0
  for _, t in ipairs(threads) do
    made = made + (t:get("created") or 0)
    bad = bad + (t:get("failed") or 0)
  end
  local e = summary.errors
  io.write(string.format("RESULT rps=%.0f p50=%d p95=%d p99=%d errors=%d created=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout + bad, made))
end
