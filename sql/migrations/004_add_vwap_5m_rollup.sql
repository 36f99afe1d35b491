-- Adds the per-product 5-minute VWAP components (sum of price x size, sum of size) and backfills them.
-- VWAP = price_volume / volume, computed at query time so buckets can be merged (e.g. into 1 h).
CREATE TABLE IF NOT EXISTS coinbase_demo.vwap_5m
(
    product_id    LowCardinality(String),
    bucket        DateTime('UTC'),
    price_volume  Float64,
    volume        Float64,
    num_trades    UInt64
)
ENGINE = SummingMergeTree
ORDER BY (product_id, bucket)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS coinbase_demo.vwap_5m_mv
TO coinbase_demo.vwap_5m
AS SELECT
    product_id,
    toStartOfInterval(time, INTERVAL 5 MINUTE) AS bucket,
    sum(price * last_size)                     AS price_volume,
    sum(last_size)                             AS volume,
    count()                                    AS num_trades
FROM coinbase_demo.coinbase_ticker
WHERE ingested_at >= {{backfill_cutoff}} AND last_size > 0 AND price > 0
GROUP BY product_id, bucket;

INSERT INTO coinbase_demo.vwap_5m
SELECT
    product_id,
    toStartOfInterval(time, INTERVAL 5 MINUTE) AS bucket,
    sum(price * last_size)                     AS price_volume,
    sum(last_size)                             AS volume,
    count()                                    AS num_trades
FROM coinbase_demo.coinbase_ticker
WHERE ingested_at < {{backfill_cutoff}} AND last_size > 0 AND price > 0
GROUP BY product_id, bucket;
