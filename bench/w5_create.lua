-- W5: creates with distinct names (thread id, counter and a random tag).
local n = 0
local tag = tostring(math.random(1, 1e9))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local body = string.format(
    '{"name":"bench-%s-%d","kind":"openai-chat","endpoint_url":"http://127.0.0.1:9/v1/chat/completions","model":"m"}',
    tag, n)
  return wrk.format(nil, nil, nil, body)
end
function init(args) math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)); tag = tostring(math.random(1, 1e9)) end
function response(status, headers, body)
  if status == 201 then created = (created or 0) + 1 end
end
