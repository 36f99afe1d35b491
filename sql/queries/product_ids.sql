-- name: product_ids
-- description: Products with rows in the per-minute rollup in the last 7 days, for product pickers (Grafana's product variable).
-- params:
-- columns: product_id LowCardinality(String)
SELECT DISTINCT product_id
FROM coinbase_demo.trades_per_minute
WHERE minute >= toStartOfMinute(now() - INTERVAL 7 DAY)
ORDER BY product_id
