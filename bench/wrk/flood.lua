-- FLOOD: POST /api/auth/login with a wrong password for an account that does not exist, a new email per request:
-- every request costs a full password check (the dummy hash) and no account's failed-login limit ever stops it.
-- Run beside S1 to see whether a login storm takes the API down. The file argument is unused (any lines file).
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
local n = 0
require("common").scenario(function(_)
  n = n + 1
  local body = string.format('{"email":"flood-%d-%d-%d@example.com","password":"not the password"}', id or 0, n, math.random(1e9))
  return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, body)
end)
