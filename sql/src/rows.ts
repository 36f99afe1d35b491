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

// Rows of coinbase_demo.trades (sql/migrations/006_…): one per trade, from the `matches` channel
// or the REST backfill.

/**
 * The trades table's columns the ingester writes, in the order of a trade's TabSeparated line.
 * Identity first (time, product_id, trade_id), where the pipeline reads it back cheaply. Prices and
 * sizes are the exchange's decimal text, stored as Decimal(38, 12): exact sums, no float rounding.
 */
export const TRADE_COLUMNS = [
  "time", "product_id", "trade_id", "price", "size", "side", "maker_order_id", "taker_order_id", "sequence", "source",
] as const;

/** Where a trade row came from. */
export const TRADE_SOURCES = ["ws", "rest"] as const;
export type TradeSource = (typeof TRADE_SOURCES)[number];

/** Digits a price or size may have after the point (the columns' scale); more is refused, never truncated. */
export const TRADE_DECIMAL_SCALE = 12;

/** A trade as the table's row (ingested_at is set by the server). Decimals stay text: they are exact. */
export interface TradeRow {
  time: string;
  product_id: string;
  trade_id: number;
  price: string;
  size: string;
  /** The maker order's side, as Coinbase sends it (`buy` = a down-tick). */
  side: "buy" | "sell";
  /** Null for a REST row: the REST API does not give order ids. */
  maker_order_id: string | null;
  taker_order_id: string | null;
  /** The feed's sequence of the match message; 0 for a REST row (the REST API has none). */
  sequence: number;
  source: TradeSource;
}
