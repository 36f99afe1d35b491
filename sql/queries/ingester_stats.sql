-- name: ingester_stats
-- description: The ingester's own heartbeat rows: stored and rejected per second between heartbeats, buffer depth, spool size and reconnects, per instance.
-- params: from DateTime, to DateTime
-- columns: reported_at DateTime64(3, 'UTC'), instance LowCardinality(String), stored_per_s Float64, rejected_per_s Float64, duplicates_per_s Float64, buffer_depth UInt64, spool_bytes UInt64, reconnects UInt64, gaps UInt64
-- The totals in ingest_stats count from the run's start (started_at), so a rate needs the previous
-- heartbeat of the same run: rows from one minute before the window are read for that (heartbeats
-- come every few seconds), and the run's first heartbeat counts from started_at. Only a run whose
-- heartbeats stopped for over a minute shows 0 at the window's left edge.
SELECT
    reported_at,
    instance,
    greatest(stored - prev_stored, 0) / seconds AS stored_per_s,
    greatest(rejected - prev_rejected, 0) / seconds AS rejected_per_s,
    greatest(duplicates - prev_duplicates, 0) / seconds AS duplicates_per_s,
    buffer_depth,
    spool_bytes,
    reconnects,
    gaps
FROM
(
    SELECT
        reported_at,
        instance,
        stored,
        rejected,
        duplicates,
        buffer_depth,
        spool_bytes,
        reconnects,
        gaps,
        -- The first row read of a run that started before the rows read has no known predecessor.
        row_number() OVER w = 1 AND started_at < {from:DateTime} - INTERVAL 1 MINUTE AS unknown_previous,
        if(unknown_previous, stored, lagInFrame(stored, 1, 0) OVER w) AS prev_stored,
        if(unknown_previous, rejected, lagInFrame(rejected, 1, 0) OVER w) AS prev_rejected,
        if(unknown_previous, duplicates, lagInFrame(duplicates, 1, 0) OVER w) AS prev_duplicates,
        greatest(dateDiff('millisecond', lagInFrame(reported_at, 1, started_at) OVER w, reported_at) / 1000, 1) AS seconds
    FROM coinbase_demo.ingest_stats
    WHERE reported_at >= {from:DateTime} - INTERVAL 1 MINUTE AND reported_at < {to:DateTime}
    WINDOW w AS (PARTITION BY instance, started_at ORDER BY reported_at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
WHERE reported_at >= {from:DateTime}
ORDER BY instance, reported_at
