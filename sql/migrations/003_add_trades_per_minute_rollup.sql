-- Adds the per-product trades-per-minute rollup (the walk-through's trades_per_minute) and backfills it.
-- num_trades counts ticks with a traded size, as the walk-through did; num_ticks counts every row.
-- Besides the counts it keeps volume, the newest tick and ingest times, and ingest latency, so the
-- ingestion dashboard and the freshness alert never scan the raw table.
CREATE TABLE IF NOT EXISTS coinbase_demo.trades_per_minute
(
    product_id        LowCardinality(String),
    minute            DateTime('UTC'),
    num_ticks         UInt64,
    num_trades        UInt64,
    volume            Float64,
    latency_sum_s     Float64,
    latency_max_s     SimpleAggregateFunction(max, Float64),
    last_tick_at      SimpleAggregateFunction(max, DateTime64(6, 'UTC')),
    last_ingested_at  SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = SummingMergeTree
ORDER BY (product_id, minute)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS coinbase_demo.trades_per_minute_mv
TO coinbase_demo.trades_per_minute
AS SELECT
    product_id,
    toStartOfMinute(time)                                            AS minute,
    count()                                                          AS num_ticks,
    countIf(last_size > 0)                                           AS num_trades,
    sum(last_size)                                                   AS volume,
    sum(greatest(dateDiff('microsecond', time, ingested_at), 0)) / 1e6 AS latency_sum_s,
    max(greatest(dateDiff('microsecond', time, ingested_at), 0)) / 1e6 AS latency_max_s,
    max(time)                                                        AS last_tick_at,
    max(ingested_at)                                                 AS last_ingested_at
FROM coinbase_demo.coinbase_ticker
WHERE ingested_at >= {{backfill_cutoff}}
GROUP BY product_id, minute;

INSERT INTO coinbase_demo.trades_per_minute
SELECT
    product_id,
    toStartOfMinute(time)                                            AS minute,
    count()                                                          AS num_ticks,
    countIf(last_size > 0)                                           AS num_trades,
    sum(last_size)                                                   AS volume,
    sum(greatest(dateDiff('microsecond', time, ingested_at), 0)) / 1e6 AS latency_sum_s,
    max(greatest(dateDiff('microsecond', time, ingested_at), 0)) / 1e6 AS latency_max_s,
    max(time)                                                        AS last_tick_at,
    max(ingested_at)                                                 AS last_ingested_at
FROM coinbase_demo.coinbase_ticker
WHERE ingested_at < {{backfill_cutoff}}
GROUP BY product_id, minute;
