-- Creates the trades table: every trade of the matches channel and of the REST backfill, once, with exact decimal prices and sizes.
-- Prices and sizes are Decimal(38, 12): exact sums and VWAP (the ingester refuses a value with more
-- than 12 digits after the point rather than let ClickHouse truncate it). (product_id, trade_id) is
-- a trade's identity. The ingester checks each block's identities against this table before it
-- inserts, so no trade is inserted twice and the rollups' views count each trade once;
-- ReplacingMergeTree is the backstop that makes the raw table converge to one row per trade if a
-- copy ever arrives (merges are eventual: read it exactly with FINAL). See docs/schema.md, "Trades".
CREATE TABLE IF NOT EXISTS coinbase_demo.trades
(
    product_id      LowCardinality(String),
    trade_id        UInt64,
    time            DateTime64(6, 'UTC') CODEC(Delta, ZSTD),
    price           Decimal(38, 12),
    size            Decimal(38, 12),
    -- The maker order's side, as Coinbase sends it.
    side            LowCardinality(String),
    -- NULL for rows from the REST API, which gives no order ids.
    maker_order_id  Nullable(UUID),
    taker_order_id  Nullable(UUID),
    -- The matches message's sequence; 0 for REST rows.
    sequence        UInt64,
    -- 'ws' (the matches channel) or 'rest' (backfilled).
    source          LowCardinality(String),
    ingested_at     DateTime64(6, 'UTC') DEFAULT now64(6) CODEC(Delta, ZSTD),
    INDEX time_minmax time TYPE minmax GRANULARITY 1
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(time)
ORDER BY (product_id, trade_id)
-- A retried batch (same insert_deduplication_token) is stored once.
SETTINGS non_replicated_deduplication_window = 10000;
