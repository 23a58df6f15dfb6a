-- POST /api/v1/applications for bench/applications.sh: every request a different citizen's
-- token (one open application per person) and a unique photo receipt number.
-- $TOKENS: "user_id token" lines; $FIRST: the first line (0-based) not used by an earlier slice;
-- $NEXT_FILE: where done() writes the first line this slice has not used.
-- $THREADS: wrk's -t. Thread i of n takes lines FIRST + i, FIRST + i + n, ...; every latency goes to $HISTOGRAM.
dofile("bench/histogram.lua")
local histogram_done = done

local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
  tokens[#tokens + 1] = line:match("^%d+ (%S+)$")
end
local first = tonumber(os.getenv("FIRST") or "0")
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  nthreads = tonumber(os.getenv("THREADS"))
  used = 0
end

local body = '{"kind": "first", "route": "residence_employment", "photo_receipt": "BENCH%010d", '
  .. '"delivery": {"method": "pickup"}, "family_members": []}'

function request()
  local index = first + id + used * nthreads -- 0-based line
  used = used + 1
  local token = tokens[index + 1]
  if token == nil then
    error("out of tokens at line " .. index .. ": create more citizens (APPLY_CITIZENS)")
  end
  return wrk.format("POST", "/api/v1/applications", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, string.format(body, index))
end

done = function(summary, latency, requests)
  histogram_done(summary, latency, requests)
  local most = 0
  for _, thread in ipairs(threads) do
    most = math.max(most, thread:get("used") or 0)
  end
  local file = assert(io.open(os.getenv("NEXT_FILE"), "w"))
  file:write(string.format("%d\n", first + most * #threads))
  file:close()
end
