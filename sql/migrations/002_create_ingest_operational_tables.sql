-- Creates the tables the ingester writes about itself: dead letters, sequence gaps and heartbeat stats.

-- Every message the ingester could not store as a tick, with the reason. Nothing is dropped silently.
CREATE TABLE IF NOT EXISTS coinbase_demo.ingest_dead_letters
(
    received_at DateTime64(6, 'UTC'),
    source      LowCardinality(String),
    reason      String,
    raw         String CODEC(ZSTD(3)),
    ingested_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY received_at
SETTINGS non_replicated_deduplication_window = 10000;

-- A real loss of messages: a jump in contiguous numbering (matches' trade_id) or a reconnect window.
-- last_seen / next_seen are the numbers either side of the hole (0 when unknown).
CREATE TABLE IF NOT EXISTS coinbase_demo.sequence_gaps
(
    product_id   LowCardinality(String),
    channel      LowCardinality(String),
    kind         LowCardinality(String),
    last_seen    UInt64,
    next_seen    UInt64,
    missing      UInt64,
    gap_start    DateTime64(6, 'UTC'),
    gap_end      DateTime64(6, 'UTC'),
    detected_at  DateTime64(6, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY (product_id, detected_at)
SETTINGS non_replicated_deduplication_window = 10000;

-- One heartbeat row every few seconds per ingester process. Counters are cumulative since
-- started_at (like Prometheus counters): rates are differences between rows of one instance.
CREATE TABLE IF NOT EXISTS coinbase_demo.ingest_stats
(
    reported_at   DateTime64(3, 'UTC'),
    instance      LowCardinality(String),
    started_at    DateTime64(3, 'UTC'),
    received      UInt64,
    stored        UInt64,
    rejected      UInt64,
    duplicates    UInt64,
    gaps          UInt64,
    buffer_depth  UInt64,
    spool_bytes   UInt64,
    reconnects    UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(reported_at)
ORDER BY (instance, reported_at)
TTL toDateTime(reported_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;
