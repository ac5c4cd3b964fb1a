-- S1: authenticated GET /api/me, a random session per request.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common").scenario(function(token)
  return wrk.format("GET", "/api/me", { ["Authorization"] = "Bearer " .. token })
end)
