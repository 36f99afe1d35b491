-- name: ingestion_rate_per_minute
-- description: Ticks and trades stored per minute per product (the walk-through's trades per minute), empty minutes as 0.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: minute DateTime('UTC'), product_id LowCardinality(String), num_ticks UInt64, num_trades UInt64, volume Float64
-- WITH FILL fills each product's empty buckets; the outer filter drops the rows it would
-- invent for no product at all when nothing matched.
SELECT *
FROM
(
    SELECT
        minute,
        product_id,
        sum(num_ticks)  AS num_ticks,
        sum(num_trades) AS num_trades,
        sum(volume)     AS volume
    FROM coinbase_demo.trades_per_minute
    WHERE minute >= toStartOfMinute({from:DateTime})
      AND minute < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY product_id, minute
    ORDER BY product_id, minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
)
WHERE product_id != ''
ORDER BY product_id, minute
