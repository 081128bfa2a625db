-- wrk script for `npm run bench`: GET /keys/<key> with keys drawn at random from a file
-- (one key per line; bench.mjs writes it with ~10% keys that are not in the data).
--
--   wrk -t1 -c50 -d10s --latency -s bench/wrk/random-keys.lua http://127.0.0.1:8080 -- KEYS_FILE
--
-- done() prints one line starting with WRK_RESULT and key=value pairs (latencies in
-- microseconds) for bench.mjs to parse, instead of parsing wrk's human-readable output.

local keys = {}

function init(args)
  local path = args[1] or os.getenv("KV_BENCH_KEYS")
  if not path then error("usage: wrk ... -s random-keys.lua URL -- KEYS_FILE") end
  for line in io.lines(path) do
    if #line > 0 then keys[#keys + 1] = "/keys/" .. line end
  end
  if #keys == 0 then error("no keys in " .. path) end
  -- Each wrk thread has its own Lua state; seed them differently.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
end

function request()
  return wrk.format("GET", keys[math.random(#keys)])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d non2xx=%d timeouts=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
