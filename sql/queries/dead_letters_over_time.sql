-- name: dead_letters_over_time
-- description: Messages the ingester could not store (dead letters) per minute, empty minutes as 0.
-- params: from DateTime, to DateTime
-- columns: minute DateTime('UTC'), dead_letters UInt64
SELECT
    toStartOfMinute(received_at) AS minute,
    count()                      AS dead_letters
FROM coinbase_demo.ingest_dead_letters
WHERE received_at >= toStartOfMinute({from:DateTime})
  AND received_at < {to:DateTime}
GROUP BY minute
ORDER BY minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
