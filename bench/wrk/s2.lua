-- S2: authenticated GET /api/workspaces/{id}/contacts?limit=20, a random session per request, the path
-- built from the token's workspace.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common").scenario(function(token)
  local workspace = token:match("^([^.]+)%.")
  return wrk.format("GET", "/api/workspaces/" .. workspace .. "/contacts?limit=20",
    { ["Authorization"] = "Bearer " .. token })
end)
