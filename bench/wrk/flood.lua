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

-- Count the answers by status (401: checked and refused; 503: the hashing queue was full), printed after BENCH.
local threads = {}
local base_setup = setup
function setup(thread) base_setup(thread); threads[#threads + 1] = thread end
unauthorized, busy, other = 0, 0, 0
function response(status)
  if status == 401 then unauthorized = unauthorized + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
local base_done = done
function done(summary, latency, requests)
  base_done(summary, latency, requests)
  local u, b, o = 0, 0, 0
  for _, t in ipairs(threads) do u, b, o = u + t:get("unauthorized"), b + t:get("busy"), o + t:get("other") end
  io.write(string.format("FLOOD 401=%d 503=%d other=%d\n", u, b, o))
end
