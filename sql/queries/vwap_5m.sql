-- name: vwap_5m
-- description: Volume-weighted average price per product in 5-minute buckets (dashboards ask for the last 24 h); NULL where a bucket had no trade.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: bucket DateTime('UTC'), product_id LowCardinality(String), vwap Nullable(Float64), volume Float64, num_trades UInt64
-- WITH FILL fills each product's empty buckets; the outer filter drops the rows it would
-- invent for no product at all when nothing matched.
SELECT *
FROM
(
    SELECT
        bucket,
        product_id,
        sum(r.price_volume) / nullIf(sum(r.volume), 0) AS vwap,
        sum(r.volume)                                  AS volume,
        sum(r.num_trades)                              AS num_trades
    FROM coinbase_demo.vwap_5m AS r
    WHERE bucket >= toStartOfInterval({from:DateTime}, INTERVAL 5 MINUTE)
      AND bucket < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY product_id, bucket
    ORDER BY product_id, bucket WITH FILL FROM toStartOfInterval({from:DateTime}, INTERVAL 5 MINUTE) TO {to:DateTime} STEP 300
)
WHERE product_id != ''
ORDER BY product_id, bucket
