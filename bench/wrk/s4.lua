-- S4: POST /api/auth/login with a seeded account (password "bench password"), a random account per request.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common").scenario(function(email)
  local body = string.format('{"email":"%s","password":"bench password"}', email)
  return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, body)
end)
