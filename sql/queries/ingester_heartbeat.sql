-- name: ingester_heartbeat
-- description: Alert query: heartbeat rows written by any ingester in the last minute, always exactly one row (0 when the ingester is dead).
-- params:
-- columns: heartbeats UInt64
SELECT count() AS heartbeats
FROM coinbase_demo.ingest_stats
WHERE reported_at >= now64(3) - INTERVAL 1 MINUTE
