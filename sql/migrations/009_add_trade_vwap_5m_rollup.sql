-- Adds exact per-product 5-minute VWAP components from trades (Decimal sums) and backfills them.
-- price_volume = sum(price x size) as Decimal(76, 24) (toDecimal256(price, 12) x size), volume =
-- sum(size) as Decimal(38, 12); VWAP = price_volume / volume at query time, so buckets can be merged.
-- Exact because no trade is inserted into trades twice (docs/schema.md, "Trades").
CREATE TABLE IF NOT EXISTS coinbase_demo.trade_vwap_5m
(
    product_id    LowCardinality(String),
    bucket        DateTime('UTC'),
    price_volume  Decimal(76, 24),
    volume        Decimal(38, 12),
    num_trades    UInt64
)
ENGINE = SummingMergeTree
ORDER BY (product_id, bucket)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS coinbase_demo.trade_vwap_5m_mv
TO coinbase_demo.trade_vwap_5m
AS SELECT
    product_id,
    toStartOfInterval(time, INTERVAL 5 MINUTE) AS bucket,
    sum(toDecimal256(price, 12) * size)        AS price_volume,
    sum(size)                                  AS volume,
    toUInt64(count())                          AS num_trades
FROM coinbase_demo.trades
WHERE ingested_at >= {{backfill_cutoff}}
GROUP BY product_id, bucket;

-- The backfill reads trades FINAL: one row per trade even if a copy is still unmerged.
INSERT INTO coinbase_demo.trade_vwap_5m
SELECT
    product_id,
    toStartOfInterval(time, INTERVAL 5 MINUTE) AS bucket,
    sum(toDecimal256(price, 12) * size)        AS price_volume,
    sum(size)                                  AS volume,
    toUInt64(count())                          AS num_trades
FROM coinbase_demo.trades FINAL
WHERE ingested_at < {{backfill_cutoff}}
GROUP BY product_id, bucket;
