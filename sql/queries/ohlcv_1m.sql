-- name: ohlcv_1m
-- description: 1-minute open/high/low/close candles and volume per product; prices NULL in minutes without ticks.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: minute DateTime('UTC'), product_id LowCardinality(String), open Nullable(Float64), high Nullable(Float64), low Nullable(Float64), close Nullable(Float64), volume Float64, num_trades UInt64
-- WITH FILL fills each product's empty buckets; the outer filter drops the rows it would
-- invent for no product at all when nothing matched.
SELECT *
FROM
(
    SELECT
        minute,
        product_id,
        toNullable(argMinMerge(open))  AS open,
        toNullable(toFloat64(max(high))) AS high,
        toNullable(toFloat64(min(low)))  AS low,
        toNullable(argMaxMerge(close)) AS close,
        sum(volume)                    AS volume,
        sum(num_trades)                AS num_trades
    FROM coinbase_demo.ohlcv_1m
    WHERE minute >= toStartOfMinute({from:DateTime})
      AND minute < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY product_id, minute
    ORDER BY product_id, minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
)
WHERE product_id != ''
ORDER BY product_id, minute
