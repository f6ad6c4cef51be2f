-- wrk script for figure 1: POSTs the body file given as first argument and counts every reply that is
-- not a success. /ai answers 200 even when an action failed, so the body must contain the marker given
-- as second argument ("success":true for /ai, "choices" for a Chat Completions reply).
-- Usage: wrk ... -s post.lua URL -- BODY_FILE MARKER
-- done() prints one machine-readable line that bench/run.sh parses: BENCH key=value ...

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    local file = assert(io.open(args[1], "rb"))
    wrk.method = "POST"
    wrk.body = file:read("*a")
    wrk.headers["Content-Type"] = "application/json"
    file:close()
    marker = args[2]
    failed = 0
    checked = 0
end

function response(status, headers, body)
    checked = checked + 1
    if status ~= 200 or not string.find(body, marker, 1, true) then
        failed = failed + 1
    end
end

function done(summary, latency, requests)
    local failed_total, checked_total = 0, 0
    for _, thread in ipairs(threads) do
        failed_total = failed_total + thread:get("failed")
        checked_total = checked_total + thread:get("checked")
    end
    local errors = summary.errors
    io.write(string.format(
        "BENCH requests=%d checked=%d failed=%d socket_errors=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
        summary.requests, checked_total, failed_total,
        errors.connect + errors.read + errors.write + errors.timeout,
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
