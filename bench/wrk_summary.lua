-- wrk script for bench/peers.sh: prints one JSON line with what the run measured, so that
-- the harness reads numbers rather than wrk's rounded text. Times are in microseconds.
done = function(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, '
            .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, '
            .. '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
        summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
        errors.write, errors.status, errors.timeout, latency:percentile(50),
        latency:percentile(99), latency.max))
end
