-- name: ingester_stats
-- description: The ingester's own heartbeat rows: stored and rejected per second between heartbeats, buffer depth, spool size and reconnects, per instance.
-- params: from DateTime, to DateTime
-- columns: reported_at DateTime64(3, 'UTC'), instance LowCardinality(String), stored_per_s Float64, rejected_per_s Float64, duplicates_per_s Float64, buffer_depth UInt64, spool_bytes UInt64, reconnects UInt64, gaps UInt64
SELECT
    reported_at,
    instance,
    greatest(stored - lagInFrame(stored, 1, stored) OVER w, 0) / greatest(dateDiff('millisecond', lagInFrame(reported_at, 1, reported_at) OVER w, reported_at) / 1000, 1) AS stored_per_s,
    greatest(rejected - lagInFrame(rejected, 1, rejected) OVER w, 0) / greatest(dateDiff('millisecond', lagInFrame(reported_at, 1, reported_at) OVER w, reported_at) / 1000, 1) AS rejected_per_s,
    greatest(duplicates - lagInFrame(duplicates, 1, duplicates) OVER w, 0) / greatest(dateDiff('millisecond', lagInFrame(reported_at, 1, reported_at) OVER w, reported_at) / 1000, 1) AS duplicates_per_s,
    buffer_depth,
    spool_bytes,
    reconnects,
    gaps
FROM coinbase_demo.ingest_stats
WHERE reported_at >= {from:DateTime} AND reported_at < {to:DateTime}
WINDOW w AS (PARTITION BY instance, started_at ORDER BY reported_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
ORDER BY instance, reported_at
