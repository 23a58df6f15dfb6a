-- GET /api/v1/applications/{id} for bench/applications.sh: each request the owner's token and
-- the id of their application, taken in turn from $PAIRS ("token id" lines); every latency
-- goes to $HISTOGRAM.
dofile("bench/histogram.lua")

local pairs_ = {}
for line in io.lines(os.getenv("PAIRS")) do
  local token, id = line:match("^(%S+) (%d+)$")
  pairs_[#pairs_ + 1] = { token, "/api/v1/applications/" .. id }
end
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  next_ = id + 1
end

function request()
  local pair = pairs_[next_]
  next_ = next_ % #pairs_ + 1
  return wrk.format("GET", pair[2], { ["Authorization"] = "Bearer " .. pair[1] })
end
