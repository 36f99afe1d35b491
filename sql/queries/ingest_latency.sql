-- name: ingest_latency
-- description: Per minute and product, mean and max delay from the exchange's tick time to the row being stored (ingested_at - time), in seconds.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: minute DateTime('UTC'), product_id LowCardinality(String), latency_avg_s Nullable(Float64), latency_max_s Nullable(Float64)
-- WITH FILL fills each product's empty buckets; the outer filter drops the rows it would
-- invent for no product at all when nothing matched.
SELECT *
FROM
(
    SELECT
        minute,
        product_id,
        sum(latency_sum_s) / nullIf(sum(num_ticks), 0) AS latency_avg_s,
        if(sum(num_ticks) = 0, NULL, toFloat64(max(latency_max_s))) AS latency_max_s
    FROM coinbase_demo.trades_per_minute
    WHERE minute >= toStartOfMinute({from:DateTime})
      AND minute < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY product_id, minute
    ORDER BY product_id, minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
)
WHERE product_id != ''
ORDER BY product_id, minute
