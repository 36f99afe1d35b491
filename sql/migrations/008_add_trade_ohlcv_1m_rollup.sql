-- Adds exact per-product 1-minute candles from trades (AggregatingMergeTree, Decimal prices) and backfills them.
-- open/close are argMin/argMax by trade_id: Coinbase numbers a product's trades in the order they
-- execute, and a REST trade's time has milliseconds where the websocket's has microseconds, so
-- ordering by time could put a backfilled trade before an earlier one of the same millisecond. notional = sum(price x size) as Decimal(76, 24); ws_trades / rest_trades split
-- num_trades by where the trade came from. Exact because no trade is inserted into trades twice
-- (docs/schema.md, "Trades").
CREATE TABLE IF NOT EXISTS coinbase_demo.trade_ohlcv_1m
(
    product_id   LowCardinality(String),
    minute       DateTime('UTC'),
    open         AggregateFunction(argMin, Decimal(38, 12), UInt64),
    high         SimpleAggregateFunction(max, Decimal(38, 12)),
    low          SimpleAggregateFunction(min, Decimal(38, 12)),
    close        AggregateFunction(argMax, Decimal(38, 12), UInt64),
    volume       SimpleAggregateFunction(sum, Decimal(38, 12)),
    notional     SimpleAggregateFunction(sum, Decimal(76, 24)),
    num_trades   SimpleAggregateFunction(sum, UInt64),
    ws_trades    SimpleAggregateFunction(sum, UInt64),
    rest_trades  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (product_id, minute)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS coinbase_demo.trade_ohlcv_1m_mv
TO coinbase_demo.trade_ohlcv_1m
AS SELECT
    product_id,
    toStartOfMinute(time)                 AS minute,
    argMinState(price, trade_id)          AS open,
    max(price)                            AS high,
    min(price)                            AS low,
    argMaxState(price, trade_id)          AS close,
    sum(size)                             AS volume,
    sum(toDecimal256(price, 12) * size)   AS notional,
    toUInt64(count())                     AS num_trades,
    toUInt64(countIf(source = 'ws'))      AS ws_trades,
    toUInt64(countIf(source = 'rest'))    AS rest_trades
FROM coinbase_demo.trades
WHERE ingested_at >= {{backfill_cutoff}}
GROUP BY product_id, minute;

-- The backfill reads trades FINAL: one row per trade even if a copy is still unmerged.
INSERT INTO coinbase_demo.trade_ohlcv_1m
SELECT
    product_id,
    toStartOfMinute(time)                 AS minute,
    argMinState(price, trade_id)          AS open,
    max(price)                            AS high,
    min(price)                            AS low,
    argMaxState(price, trade_id)          AS close,
    sum(size)                             AS volume,
    sum(toDecimal256(price, 12) * size)   AS notional,
    toUInt64(count())                     AS num_trades,
    toUInt64(countIf(source = 'ws'))      AS ws_trades,
    toUInt64(countIf(source = 'rest'))    AS rest_trades
FROM coinbase_demo.trades FINAL
WHERE ingested_at < {{backfill_cutoff}}
GROUP BY product_id, minute;
