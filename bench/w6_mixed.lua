-- W6: 70 % reads of one target (W3), 20 % pages (W4), 10 % creates (W5).
local n = 0
local tag = "0"
local target = os.getenv("TARGET_ID")
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  tag = tostring(math.random(1, 1e9))
end
request = function()
  n = n + 1
  local pick = n % 10
  if pick < 7 then
    return wrk.format("GET", "/api/v1/targets/" .. target)
  elseif pick < 9 then
    return wrk.format("GET", "/api/v1/targets?page=" .. (n % 500 + 1) .. "&per_page=20")
  end
  local body = string.format(
    '{"name":"mixed-%s-%d","kind":"openai-chat","endpoint_url":"http://127.0.0.1:9/v1"}', tag, n)
  -- A headers table replaces wrk.headers (the bearer token among them): copy, then add.
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/api/v1/targets", headers, body)
end
-- Which error statuses (the table's "status" errors), per thread for report.lua. A callback per
-- response costs wrk some CPU; W6 is slow enough for that not to matter.
statuses = {}
response = function(status)
  if status >= 400 then statuses[status] = (statuses[status] or 0) + 1 end
end
