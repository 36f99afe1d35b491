-- name: ticks_last_minute
-- description: Alert query: ticks stored in the current and previous minute (a 60-120 s window), always exactly one row (0 when nothing arrived).
-- params:
-- columns: ticks UInt64
SELECT sum(num_ticks) AS ticks
FROM coinbase_demo.trades_per_minute
WHERE minute >= toStartOfMinute(now() - INTERVAL 1 MINUTE)
