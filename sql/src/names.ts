// The names the migrations create, for the code that reads and writes them (ingester, checks,
// Superset connection, tests). The SQL files under sql/migrations are the source; this is the one
// place TypeScript spells them (sql/test/migrations.test.ts checks each table exists).

/** The project's database. */
export const DATABASE = "coinbase_demo";

/** Tables of DATABASE, by what they hold. */
export const TABLES = {
  /** Raw tickers (migration 001). */
  ticker: "coinbase_ticker",
  /** Messages the ingester could not store, with the reason (002). */
  deadLetters: "ingest_dead_letters",
  /** Real gaps: trade_id jumps on `matches`, reconnect windows (002). */
  sequenceGaps: "sequence_gaps",
  /** The ingester's heartbeat rows (002). */
  stats: "ingest_stats",
  /** Rollups fed by materialized views (003–005). */
  tradesPerMinute: "trades_per_minute",
  vwap5m: "vwap_5m",
  ohlcv1m: "ohlcv_1m",
  /** Every trade once, from `matches` and the REST backfill (006). */
  trades: "trades",
  /** Each trade_id gap and its backfill state: detected, filling, filled, abandoned (007). */
  backfillGaps: "backfill_gaps",
  /** Exact rollups from trades, fed by materialized views (008–009). */
  tradeOhlcv1m: "trade_ohlcv_1m",
  tradeVwap5m: "trade_vwap_5m",
  /** The migration ledger (sql/src/runner.ts). */
  migrations: "schema_migrations",
} as const;

export type TableName = (typeof TABLES)[keyof typeof TABLES];

/** `coinbase_demo.<table>`. */
export function qualified(table: TableName): string {
  return `${DATABASE}.${table}`;
}
