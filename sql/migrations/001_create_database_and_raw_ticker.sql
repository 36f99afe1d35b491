-- Creates the coinbase_demo database and the raw ticker table (the walk-through's column names, better types and layout).
CREATE DATABASE IF NOT EXISTS coinbase_demo;

-- One row per ticker message. Column names follow the walk-through so its queries still run.
-- Prices and sizes arrive as decimal strings; Float64 keeps 15-16 significant digits, more than
-- Coinbase sends, and keeps aggregates fast (see docs/schema.md).
CREATE TABLE IF NOT EXISTS coinbase_demo.coinbase_ticker
(
    sequence      UInt64,
    trade_id      UInt64,
    price         Float64,
    last_size     Float64,
    time          DateTime64(6, 'UTC') CODEC(Delta, ZSTD),
    product_id    LowCardinality(String),
    side          LowCardinality(String),
    open_24h      Float64,
    volume_24h    Float64,
    low_24h       Float64,
    high_24h      Float64,
    volume_30d    Float64,
    best_bid      Float64,
    best_bid_size Float64,
    best_ask      Float64,
    best_ask_size Float64,
    -- Set by the server when the row is written: ingest latency = ingested_at - time.
    ingested_at   DateTime64(6, 'UTC') DEFAULT now64(6) CODEC(Delta, ZSTD)
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (product_id, time, sequence)
-- A retried batch (same insert_deduplication_token) is stored once.
SETTINGS non_replicated_deduplication_window = 10000;
