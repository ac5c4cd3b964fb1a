-- Shared by the scenario scripts: scenario() (a list of lines, tokens or emails, read per thread and a
-- random pick per request), and done() printing (errors: socket errors plus wrk's status errors, HTTP 4xx/5xx) one machine-readable line: BENCH rps p50_ms p99_ms errors requests.
local M = {}

function M.lines(path)
  local list = {}
  for line in io.lines(path) do
    if #line > 0 then list[#list + 1] = line end
  end
  return list
end

function M.seed(id)
  math.randomseed(os.time() * 1000 + id)
end

-- Defines wrk's globals for a scenario: each thread reads the lines of the file named by the script's first
-- argument and seeds its own random numbers; request() sends build(a random line).
function M.scenario(build)
  local lines
  counter = 0
  function setup(thread) counter = counter + 1; thread:set("id", counter) end
  function init(args) lines = M.lines(args[1]); M.seed(id or 0) end
  function request() return build(lines[math.random(#lines)]) end
  done = M.done
end

function M.done(summary, latency)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("BENCH %.2f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.requests))
end

return M
