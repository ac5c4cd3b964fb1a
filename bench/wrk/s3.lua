-- S3: authenticated POST /api/workspaces/{id}/contacts (marked with notes "bench-s3", removed on the next run).
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local n = 0
require("common").scenario(function(token)
  n = n + 1
  local workspace = token:match("^([^.]+)%.")
  local body = string.format(
    '{"firstName":"Bench%d","lastName":"Load%d","email":"bench%d@example.com","company":"Bench","notes":"bench-s3"}', n, n, n)
  return wrk.format("POST", "/api/workspaces/" .. workspace .. "/contacts",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end)
