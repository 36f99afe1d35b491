-- name: trades_per_minute_by_source
-- description: Trades stored per minute by where they came from: ws (the matches channel) and rest (backfilled gaps), both sources in every minute, empty minutes as 0.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: minute DateTime('UTC'), source LowCardinality(String), trades UInt64
-- Read from trade_ohlcv_1m's ws_trades / rest_trades: the minutes are filled first (WITH FILL),
-- then each minute becomes one row per source.
SELECT
    minute,
    toLowCardinality(src)   AS source,
    if(src = 'ws', ws, rest) AS trades
FROM
(
    SELECT
        minute,
        sum(r.ws_trades)   AS ws,
        sum(r.rest_trades) AS rest
    FROM coinbase_demo.trade_ohlcv_1m AS r
    WHERE minute >= toStartOfMinute({from:DateTime})
      AND minute < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
    GROUP BY minute
    ORDER BY minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
)
ARRAY JOIN ['ws', 'rest'] AS src
ORDER BY minute, indexOf(['ws', 'rest'], src)
