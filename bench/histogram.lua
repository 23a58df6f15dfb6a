-- Appends every latency wrk recorded (microseconds, "value count" per line) to $HISTOGRAM,
-- so that bench/report.py can take the p99 of all requests of a run, across its rounds.
done = function(summary, latency, requests)
  local file = assert(io.open(os.getenv("HISTOGRAM"), "a"))
  for i = 1, #latency do
    local value, count = latency(i)
    file:write(string.format("%d %d\n", value, count))
  end
  file:close()
end
