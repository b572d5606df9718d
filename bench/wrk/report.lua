-- Shared by the wrk runs of bench/control_plane.py: counts responses by status in every thread
-- (when COUNT_STATUS=1) and prints one line "CPJSON {...}" with the latency percentiles
-- (microseconds), the request count and wrk's error counters.
local threads = {}
local count_status = os.getenv("COUNT_STATUS") == "1"

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

if count_status then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local by_status = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses") or {}) do
      by_status[tostring(k)] = (by_status[tostring(k)] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(by_status) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  local e = summary.errors
  io.write(string.format(
    'CPJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(parts, ",")))
end
