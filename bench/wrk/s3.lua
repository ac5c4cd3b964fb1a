-- S3: authenticated POST /api/workspaces/{id}/contacts (marked with notes "bench-s3", removed on the next run).
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local tokens
counter = 0
local n = 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
function init(args) tokens = common.lines(args[1]); common.seed(id or 0) end
function request()
  n = n + 1
  local token = tokens[math.random(#tokens)]
  local workspace = token:match("^([^.]+)%.")
  local body = string.format(
    '{"firstName":"Bench%d","lastName":"Load%d","email":"bench%d@example.com","company":"Bench","notes":"bench-s3"}', n, n, n)
  return wrk.format("POST", "/api/workspaces/" .. workspace .. "/contacts",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
done = common.done
