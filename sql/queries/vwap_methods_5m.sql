-- name: vwap_methods_5m
-- description: The 5-minute VWAP two ways per product: from ticker messages (the walk-through's method, vwap_5m) and from every trade (trade_vwap_5m), with the difference in basis points.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: bucket DateTime('UTC'), product_id LowCardinality(String), ticker_vwap Nullable(Float64), trade_vwap Nullable(Float64), difference_bps Nullable(Float64), ticker_volume Float64, trade_volume Float64
-- The ticker feed can skip trades (a ticker message may cover several matches, and only the last
-- one's size is sent), so its VWAP and volume differ from the trades'. difference_bps =
-- (ticker_vwap - trade_vwap) / trade_vwap x 10000, NULL where either side has no trade. The two
-- rollups are stacked with UNION ALL (zeros on the other side) and summed per bucket. WITH FILL
-- fills each product's empty buckets; the outer filter drops the rows it would invent for no product.
SELECT *
FROM
(
    SELECT
        bucket,
        product_id,
        sum(u.ticker_pv) / nullIf(sum(u.ticker_v), 0)                AS ticker_vwap,
        toFloat64(sum(u.trade_pv) / nullIf(sum(u.trade_v), 0))       AS trade_vwap,
        (ticker_vwap - trade_vwap) / trade_vwap * 10000              AS difference_bps,
        sum(u.ticker_v)                                              AS ticker_volume,
        toFloat64(sum(u.trade_v))                                    AS trade_volume
    FROM
    (
        SELECT product_id, bucket, price_volume AS ticker_pv, volume AS ticker_v,
               toDecimal256(0, 24) AS trade_pv, toDecimal128(0, 12) AS trade_v
        FROM coinbase_demo.vwap_5m
        WHERE bucket >= toStartOfInterval({from:DateTime}, INTERVAL 5 MINUTE)
          AND bucket < {to:DateTime}
          AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
        UNION ALL
        SELECT product_id, bucket, toFloat64(0) AS ticker_pv, toFloat64(0) AS ticker_v,
               price_volume AS trade_pv, volume AS trade_v
        FROM coinbase_demo.trade_vwap_5m
        WHERE bucket >= toStartOfInterval({from:DateTime}, INTERVAL 5 MINUTE)
          AND bucket < {to:DateTime}
          AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    ) AS u
    GROUP BY product_id, bucket
    ORDER BY product_id, bucket WITH FILL FROM toStartOfInterval({from:DateTime}, INTERVAL 5 MINUTE) TO {to:DateTime} STEP 300
)
WHERE product_id != ''
ORDER BY product_id, bucket
