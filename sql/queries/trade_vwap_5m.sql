-- name: trade_vwap_5m
-- description: Exact volume-weighted average price per product in 5-minute buckets from every trade (the trades table), NULL where a bucket had no trade; the _exact columns are the Decimal results as text.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: bucket DateTime('UTC'), product_id LowCardinality(String), vwap Nullable(Float64), volume Float64, num_trades UInt64, vwap_exact Nullable(String), volume_exact String
-- The first five columns are vwap_5m's, so a panel can read either. The VWAP is computed in
-- Decimal(76, 24) (sum(price x size) / sum(size), truncated at 24 digits) and only then turned
-- into Float64; vwap_exact and volume_exact are the Decimal values as toString prints them
-- (trailing zeros trimmed). WITH FILL fills each product's empty buckets (volume 0, prices NULL);
-- the outer filter drops the rows it would invent for no product at all when nothing matched.
SELECT
    bucket,
    product_id,
    toFloat64(vwap_decimal)   AS vwap,
    toFloat64(volume_decimal) AS volume,
    num_trades,
    toString(vwap_decimal)    AS vwap_exact,
    toString(volume_decimal)  AS volume_exact
FROM
(
    SELECT
        bucket,
        product_id,
        sum(r.price_volume) / nullIf(sum(r.volume), 0) AS vwap_decimal,
        sum(r.volume)                                  AS volume_decimal,
        sum(r.num_trades)                              AS num_trades
    FROM coinbase_demo.trade_vwap_5m AS r
    WHERE bucket >= toStartOfInterval({from:DateTime}, INTERVAL 5 MINUTE)
      AND bucket < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY product_id, bucket
    ORDER BY product_id, bucket WITH FILL FROM toStartOfInterval({from:DateTime}, INTERVAL 5 MINUTE) TO {to:DateTime} STEP 300
)
WHERE product_id != ''
ORDER BY product_id, bucket
