// Rows of the raw table, coinbase_demo.coinbase_ticker (sql/migrations/001_…): its row type and
// the column order the ingester writes in. The schema's layer owns them; the ingester, the tests'
// data (sql/testing/ticks.ts) and the benchmarks import them from here.

/**
 * The raw table's columns the ingester writes, in the order of a ticker's TabSeparated line. The
 * fields the pipeline reads back (time, product_id, sequence) come first, where the fast path
 * finds them without splitting the line.
 */
export const TICKER_COLUMNS = [
  "time", "product_id", "sequence", "trade_id", "price", "last_size", "side", "open_24h", "volume_24h",
  "low_24h", "high_24h", "volume_30d", "best_bid", "best_bid_size", "best_ask", "best_ask_size",
] as const;

/** A ticker as the raw table's row (ingested_at is set by the server). */
export interface TickerRow {
  sequence: number;
  trade_id: number;
  price: number;
  last_size: number;
  time: string;
  product_id: string;
  side: string;
  open_24h: number;
  volume_24h: number;
  low_24h: number;
  high_24h: number;
  volume_30d: number;
  best_bid: number;
  best_bid_size: number;
  best_ask: number;
  best_ask_size: number;
}
