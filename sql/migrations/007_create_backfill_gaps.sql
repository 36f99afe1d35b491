-- Creates backfill_gaps: one row per state change of a gap in a product's trade_ids, as the ingester detects it and fills it from the REST API.
-- A gap is (product_id, first_trade_id .. last_trade_id), the missing ids. Its states: detected →
-- filling → filled, or abandoned (with the reason). Each change is a new row with revision + 1;
-- the newest state of a gap is the row with the highest revision (argMax(…, revision) or FINAL).
CREATE TABLE IF NOT EXISTS coinbase_demo.backfill_gaps
(
    product_id      LowCardinality(String),
    -- The first and last missing trade_id.
    first_trade_id  UInt64,
    last_trade_id   UInt64,
    -- 'detected', 'filling', 'filled' or 'abandoned'.
    state           LowCardinality(String),
    -- 0 when detected, + 1 per change.
    revision        UInt32,
    -- last_trade_id - first_trade_id + 1.
    missing         UInt64,
    -- Trades the backfill has stored so far.
    backfilled      UInt64,
    -- The REST `after` cursor for the next page; 0 = start from last_trade_id + 1.
    cursor          UInt64,
    -- '' or why the gap was abandoned.
    reason          String,
    -- Times of the stored trades either side of the gap.
    gap_start       DateTime64(6, 'UTC'),
    gap_end         DateTime64(6, 'UTC'),
    detected_at     DateTime64(6, 'UTC'),
    updated_at      DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(revision)
PARTITION BY toYYYYMM(detected_at)
ORDER BY (product_id, first_trade_id)
SETTINGS non_replicated_deduplication_window = 10000;
