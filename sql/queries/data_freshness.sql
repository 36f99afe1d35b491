-- name: data_freshness
-- description: Per product, seconds since the newest tick's exchange time and since the newest row was stored (looks back 7 days).
-- params: products Array(String)
-- columns: product_id LowCardinality(String), last_tick_at DateTime64(6, 'UTC'), last_ingested_at DateTime64(6, 'UTC'), seconds_since_last_tick Float64, seconds_since_last_ingest Float64
SELECT
    product_id,
    newest_tick                                                AS last_tick_at,
    newest_ingest                                              AS last_ingested_at,
    dateDiff('millisecond', newest_tick, now64(3)) / 1000       AS seconds_since_last_tick,
    dateDiff('millisecond', newest_ingest, now64(3)) / 1000     AS seconds_since_last_ingest
FROM
(
    SELECT product_id,
           toDateTime64(max(last_tick_at), 6, 'UTC') AS newest_tick,
           toDateTime64(max(last_ingested_at), 6, 'UTC') AS newest_ingest
    FROM coinbase_demo.trades_per_minute
    WHERE minute >= toStartOfMinute(now() - INTERVAL 7 DAY)
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY product_id
)
ORDER BY product_id
