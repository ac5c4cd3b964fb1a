-- S1: authenticated GET /api/me, a random session per request.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local tokens
counter = 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
function init(args) tokens = common.lines(args[1]); common.seed(id or 0) end
function request()
  return wrk.format("GET", "/api/me", { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
done = common.done
