-- Adds per-product 1-minute OHLCV candles (AggregatingMergeTree) and backfills them.
-- open/close are argMin/argMax by (time, sequence), so ties in time resolve the same way every time.
CREATE TABLE IF NOT EXISTS coinbase_demo.ohlcv_1m
(
    product_id  LowCardinality(String),
    minute      DateTime('UTC'),
    open        AggregateFunction(argMin, Float64, Tuple(DateTime64(6, 'UTC'), UInt64)),
    high        SimpleAggregateFunction(max, Float64),
    low         SimpleAggregateFunction(min, Float64),
    close       AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), UInt64)),
    volume      SimpleAggregateFunction(sum, Float64),
    num_trades  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (product_id, minute)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS coinbase_demo.ohlcv_1m_mv
TO coinbase_demo.ohlcv_1m
AS SELECT
    product_id,
    toStartOfMinute(time)                AS minute,
    argMinState(price, (time, sequence)) AS open,
    max(price)                           AS high,
    min(price)                           AS low,
    argMaxState(price, (time, sequence)) AS close,
    sum(last_size)                       AS volume,
    toUInt64(count())                    AS num_trades
FROM coinbase_demo.coinbase_ticker
WHERE ingested_at >= {{backfill_cutoff}} AND price > 0
GROUP BY product_id, minute;

INSERT INTO coinbase_demo.ohlcv_1m
SELECT
    product_id,
    toStartOfMinute(time)                AS minute,
    argMinState(price, (time, sequence)) AS open,
    max(price)                           AS high,
    min(price)                           AS low,
    argMaxState(price, (time, sequence)) AS close,
    sum(last_size)                       AS volume,
    toUInt64(count())                    AS num_trades
FROM coinbase_demo.coinbase_ticker
WHERE ingested_at < {{backfill_cutoff}} AND price > 0
GROUP BY product_id, minute;
