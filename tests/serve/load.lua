-- load.lua - wrk script for serve-load: counts responses that are not 2xx
-- in every thread and prints one summary line per figure at the end.
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	non2xx = 0
end

function response(status, headers, body)
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
	end
end

function done(summary, latency, requests)
	local n = 0
	for _, t in ipairs(threads) do
		n = n + t:get("non2xx")
	end
	local e = summary.errors
	io.write(string.format("non2xx %d\n", n))
	io.write(string.format("socket_errors %d (connect %d, read %d, write %d, timeout %d)\n",
		e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout))
	io.write(string.format("requests %d in %.1f s: %.0f requests/s\n", summary.requests,
		summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
	io.write(string.format("latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
