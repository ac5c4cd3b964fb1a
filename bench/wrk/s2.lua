-- S2: authenticated GET /api/workspaces/{id}/contacts?limit=20, a random session per request, the path
-- built from the token's workspace.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local tokens
counter = 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
function init(args) tokens = common.lines(args[1]); common.seed(id or 0) end
function request()
  local token = tokens[math.random(#tokens)]
  local workspace = token:match("^([^.]+)%.")
  return wrk.format("GET", "/api/workspaces/" .. workspace .. "/contacts?limit=20",
    { ["Authorization"] = "Bearer " .. token })
end
done = common.done
