-- name: backfill_gaps_over_time
-- description: Trade-id gaps per minute: detected in that minute, and filled or abandoned in that minute (newest state, by its updated_at); empty minutes as 0.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: minute DateTime('UTC'), detected UInt64, filled UInt64, abandoned UInt64
-- Each gap counts by its newest state (argMax by revision): once in the minute it was detected,
-- and once in the minute it was filled or abandoned (which may be after the minute it was detected).
WITH newest AS
(
    SELECT
        product_id,
        first_trade_id,
        any(g.detected_at)               AS gap_detected_at,
        argMax(g.state, g.revision)      AS newest_state,
        argMax(g.updated_at, g.revision) AS newest_updated_at
    FROM coinbase_demo.backfill_gaps AS g
    WHERE g.detected_at < {to:DateTime}
      AND (empty({products:Array(String)}) OR has({products:Array(String)}, g.product_id))
    GROUP BY product_id, first_trade_id
)
SELECT
    minute,
    sum(e.is_detected)  AS detected,
    sum(e.is_filled)    AS filled,
    sum(e.is_abandoned) AS abandoned
FROM
(
    SELECT toStartOfMinute(gap_detected_at) AS minute, 1 AS is_detected, 0 AS is_filled, 0 AS is_abandoned
    FROM newest
    WHERE gap_detected_at >= toStartOfMinute({from:DateTime}) AND gap_detected_at < {to:DateTime}
    UNION ALL
    SELECT toStartOfMinute(newest_updated_at), 0, newest_state = 'filled', newest_state = 'abandoned'
    FROM newest
    WHERE newest_state IN ('filled', 'abandoned')
      AND newest_updated_at >= toStartOfMinute({from:DateTime}) AND newest_updated_at < {to:DateTime}
) AS e
GROUP BY minute
ORDER BY minute WITH FILL FROM toStartOfMinute({from:DateTime}) TO {to:DateTime} STEP 60
