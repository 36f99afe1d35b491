-- name: trade_ohlcv_1m
-- description: Exact 1-minute open/high/low/close candles and volume per product from every trade (the trades table); prices NULL in minutes without trades; the _exact columns are the Decimal values as text.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: minute DateTime('UTC'), product_id LowCardinality(String), open Nullable(Float64), high Nullable(Float64), low Nullable(Float64), close Nullable(Float64), volume Float64, num_trades UInt64, open_exact Nullable(String), high_exact Nullable(String), low_exact Nullable(String), close_exact Nullable(String), volume_exact String
-- The first eight columns are ohlcv_1m's, so a panel can read either. open/close are the prices of
-- the first and last trade by trade_id (the exchange's execution order). The _exact columns are the Decimal(38, 12) values
-- as toString prints them (trailing zeros trimmed). WITH FILL fills each product's empty minutes
-- (volume 0, prices NULL); the outer filter drops the rows it would invent for no product at all.
SELECT
    minute,
    product_id,
    toFloat64(open_decimal)   AS open,
    toFloat64(high_decimal)   AS high,
    toFloat64(low_decimal)    AS low,
    toFloat64(close_decimal)  AS close,
    toFloat64(volume_decimal) AS volume,
    num_trades,
    toString(open_decimal)    AS open_exact,
    toString(high_decimal)    AS high_exact,
    toString(low_decimal)     AS low_exact,
    toString(close_decimal)   AS close_exact,
    toString(volume_decimal)  AS volume_exact
FROM
(
    SELECT
        minute,
        product_id,
        toNullable(argMinMerge(r.open)) AS open_decimal,
        toNullable(max(r.high))         AS high_decimal,
        toNullable(min(r.low))          AS low_decimal,
        toNullable(argMaxMerge(r.close)) AS close_decimal,
        sum(r.volume)                   AS volume_decimal,
        sum(r.num_trades)               AS num_trades
    FROM coinbase_demo.trade_ohlcv_1m AS r
    WHERE minute >= toStartOfMinute({from:DateTime})
      AND minute < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY product_id, minute
    ORDER BY product_id, minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
)
WHERE product_id != ''
ORDER BY product_id, minute
