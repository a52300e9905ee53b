-- W4: pages of 20 over 10 000 targets, every page in turn.
local page = 0
request = function()
  page = page % 500 + 1
  return wrk.format("GET", "/api/v1/targets?page=" .. page .. "&per_page=20")
end
