-- name: backfill_status
-- description: Trade-id gaps detected in the time range by their newest state (detected, filling, filled, abandoned; open = detected + filling), with the trades missing and backfilled; every state present, 0 when none.
-- params: from DateTime, to DateTime, products Array(String)
-- columns: state LowCardinality(String), gaps UInt64, missing_trades UInt64, backfilled_trades UInt64
-- backfill_gaps has one row per state change of a gap; its newest state is the row with the
-- highest revision (argMax by revision: right before and after merges). The four states are
-- listed first and the counts joined to them, so a state with no gap shows 0.
SELECT
    toLowCardinality(s.state)   AS state,
    c.gaps                      AS gaps,
    c.missing_trades            AS missing_trades,
    c.backfilled_trades         AS backfilled_trades
FROM
(
    SELECT arrayJoin(['detected', 'filling', 'filled', 'abandoned']) AS state
) AS s
LEFT JOIN
(
    SELECT
        newest_state,
        count()              AS gaps,
        sum(newest_missing)  AS missing_trades,
        sum(newest_backfilled) AS backfilled_trades
    FROM
    (
        SELECT
            product_id,
            first_trade_id,
            argMax(g.state, g.revision)      AS newest_state,
            argMax(g.missing, g.revision)    AS newest_missing,
            argMax(g.backfilled, g.revision) AS newest_backfilled
        FROM coinbase_demo.backfill_gaps AS g
        WHERE g.detected_at >= {from:DateTime}
          AND g.detected_at < {to:DateTime}
          AND (empty({products:Array(String)}) OR has({products:Array(String)}, g.product_id))
        GROUP BY product_id, first_trade_id
    )
    GROUP BY newest_state
) AS c ON c.newest_state = s.state
ORDER BY indexOf(['detected', 'filling', 'filled', 'abandoned'], state)
