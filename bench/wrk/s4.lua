-- S4: POST /api/auth/login with a seeded account (password "bench password"), a random account per request.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local common = require("common")
local emails
counter = 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
function init(args) emails = common.lines(args[1]); common.seed(id or 0) end
function request()
  local body = string.format('{"email":"%s","password":"bench password"}', emails[math.random(#emails)])
  return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, body)
end
done = common.done
