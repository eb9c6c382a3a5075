-- An open-loop (scheduled-time) load script for wrk 4 (Debian's `wrk`), used by `npm run bench:api`.
--
-- Run with one connection per thread (`-t N -c N`). Every thread sends its share of the total rate on a
-- fixed schedule, one request in flight on its connection. A request's latency is measured from the
-- time it was scheduled when it went out late because the previous answer came late (so queueing in the
-- server is counted, as wrk2 does), and from the time it was sent otherwise (so the timer's millisecond
-- granularity is not blamed on the server).
--
-- Environment: WRK_REQUESTS (file of `METHOD<TAB>path<TAB>token` lines, rotated over), WRK_RATE (total
-- requests per second), WRK_THREADS (the -t value), WRK_BODY (the request body, or empty), WRK_OUT (file
-- the latencies in microseconds and the non-2xx count are written to).
local ffi = require('ffi')
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } confab_timespec;
  int clock_gettime(int clock, confab_timespec *ts);
]])
local ts = ffi.new('confab_timespec')
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set('index', counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local shapes = {}
local interval_us, body, thread_count
local scheduled, sent_at, started_at, answered_late
local sent = 0
latencies = {}
non2xx = 0

function init()
  for line in io.lines(os.getenv('WRK_REQUESTS')) do
    local method, path, token = line:match('^(%S+)\t(%S+)\t(%S+)$')
    if method then
      table.insert(shapes, { method = method, path = path, token = token })
    end
  end
  body = os.getenv('WRK_BODY')
  if body == '' then
    body = nil
  end
  -- Each request's text is built once, here, rather than per request.
  for i, shape in ipairs(shapes) do
    local headers = { ['Authorization'] = 'Bearer ' .. shape.token }
    if body then
      headers['Content-Type'] = 'application/json'
    end
    shapes[i] = wrk.format(shape.method, shape.path, headers, body)
  end
  local rate = tonumber(os.getenv('WRK_RATE'))
  thread_count = tonumber(os.getenv('WRK_THREADS'))
  interval_us = 1e6 * thread_count / rate
  -- Threads start spread over one interval, so that the total rate is steady rather than in bursts.
  scheduled = now_us() + interval_us * index / thread_count
  answered_late = false
end

function delay()
  local wait = scheduled - now_us()
  if wait <= 0 then
    answered_late = true
    return 0
  end
  answered_late = false
  return math.ceil(wait / 1000)
end

function request()
  local shape = shapes[((index + sent * thread_count) % #shapes) + 1]
  sent = sent + 1
  sent_at = now_us()
  -- Late because the server answered late: count from the schedule. Otherwise from the send itself.
  if answered_late or sent == 1 then
    started_at = math.min(sent_at, scheduled)
  else
    started_at = sent_at
  end
  return shape
end

function response(status)
  -- The first answer of each connection also waited for the connection itself: not recorded.
  if sent > 1 then
    table.insert(latencies, now_us() - started_at)
  end
  if status < 200 or status >= 300 then
    non2xx = non2xx + 1
  end
  scheduled = scheduled + interval_us
end

function done()
  local out = io.open(os.getenv('WRK_OUT'), 'w')
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get('non2xx')
    for _, value in ipairs(thread:get('latencies')) do
      out:write(string.format('%.1f\n', value))
    end
  end
  out:write(string.format('non2xx %d\n', bad))
  out:close()
end
