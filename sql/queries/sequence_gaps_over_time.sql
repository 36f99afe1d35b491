-- name: sequence_gaps_over_time
-- description: Real message losses recorded by the ingester (matches trade_id jumps, reconnect windows) per minute, empty minutes as 0.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: minute DateTime('UTC'), gaps UInt64, missing UInt64
SELECT
    toStartOfMinute(detected_at) AS minute,
    count()                      AS gaps,
    sum(missing)                 AS missing
FROM coinbase_demo.sequence_gaps
WHERE detected_at >= toStartOfMinute({from:DateTime})
  AND detected_at < {to:DateTime}
  AND (empty({products:Array(String)}) OR has({products:Array(String)}, product_id))
GROUP BY minute
ORDER BY minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
