-- The wrk script of bench/load.sh. Arguments (after `--`): MODE [ROWS]
--   get     GET the URL's path as is (JSON index, HTML index)
--   show    GET /api/items/<random id in 1..ROWS>
--   create  POST the URL's path with a JSON item
-- Counts the responses whose status is not 2xx/3xx and prints one summary line for
-- bench/load.sh to read:
--   axgen-load: requests=N rps=R p99_ms=P bad_status=B socket_errors=E first_bad_status=S

local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("thread_id", counter)
    table.insert(threads, thread)
end

function init(args)
    mode = args[1] or "get"
    rows = tonumber(args[2] or "1")
    bad = 0
    first_bad = 0
    math.randomseed(os.time() * 100 + thread_id)
    if mode == "create" then
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        wrk.body = '{"item":{"name":"Load test item","price":42}}'
    end
end

function request()
    if mode == "show" then
        return wrk.format(nil, "/api/items/" .. math.random(rows))
    end
    return wrk.format()
end

function response(status, headers, body)
    if status < 200 or status > 399 then
        bad = bad + 1
        if first_bad == 0 then
            first_bad = status
        end
    end
end

function done(summary, latency, requests)
    local bad_total, first = 0, 0
    for _, thread in ipairs(threads) do
        bad_total = bad_total + thread:get("bad")
        if first == 0 then
            first = thread:get("first_bad")
        end
    end
    local e = summary.errors
    io.write(string.format(
        "axgen-load: requests=%d rps=%.1f p99_ms=%.2f bad_status=%d socket_errors=%d first_bad_status=%d\n",
        summary.requests, summary.requests / summary.duration * 1e6, latency:percentile(99) / 1000,
        math.max(bad_total, e.status), e.connect + e.read + e.write + e.timeout, first))
end
