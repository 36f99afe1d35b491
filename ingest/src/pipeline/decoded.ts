// What decoding makes of one raw message. The reference decoder (decode.ts) and its fast path
// (fast-ticker.ts) both take these types from here, so the import between the two runs one way:
// decode.ts → fast-ticker.ts.

export interface DecodedTicker {
  kind: "ticker";
  productId: string;
  sequence: number;
  /** ClickHouse's text form of the UTC time, microseconds kept: `2025-02-04 02:00:06.419368`. */
  time: string;
  /**
   * The row as one TabSeparated line in TICKER_COLUMNS order. No escaping is ever needed: every
   * field was checked to hold only digits, `.`, `-`, `:`, a space or capital letters.
   */
  line: string;
}

/** A trade: a websocket `match`/`last_match`, or a trade from the REST backfill. */
export interface DecodedTrade {
  kind: "match";
  productId: string;
  tradeId: number;
  /** The feed's sequence; 0 for a REST trade. */
  sequence: number;
  time: string;
  /** The row as one TabSeparated line in TRADE_COLUMNS order (same guarantee as a ticker's line: nothing to escape). */
  line: string;
}

export type Decoded =
  | DecodedTicker
  | DecodedTrade
  | { kind: "heartbeat"; productId: string; sequence: number; time: string }
  | { kind: "subscriptions" }
  | { kind: "error"; message: string }
  | { kind: "unknown"; type: string }
  | { kind: "invalid"; reason: string };
