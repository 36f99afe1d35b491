// Turns one raw websocket message into a typed event. Hand-written checks instead of a schema
// library: this runs for every message (≥ 100k/s), and each failure names the field and value.
// Numbers arrive as strings (Coinbase) — a JSON number is accepted too; `time` keeps microseconds.

/** A ticker mapped to the raw table's fixed columns (ingested_at is set by the server). */
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

export type Decoded =
  | { kind: "ticker"; row: TickerRow }
  | { kind: "match"; productId: string; tradeId: number; sequence: number; time: string }
  | { kind: "heartbeat"; productId: string; sequence: number; time: string }
  | { kind: "subscriptions" }
  | { kind: "error"; message: string }
  | { kind: "unknown"; type: string }
  | { kind: "invalid"; reason: string };

const REQUIRED_DECIMALS = ["price", "open_24h", "volume_24h", "low_24h", "high_24h", "volume_30d", "best_bid", "best_bid_size", "best_ask", "best_ask_size"] as const;
const PRODUCT_ID = /^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$/;
const DECIMAL = /^\d+(\.\d+)?([eE][-+]?\d+)?$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

class Invalid extends Error {}

export function decode(raw: string): Decoded {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch (err) {
    return { kind: "invalid", reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return { kind: "invalid", reason: "not a JSON object" };
  const m = msg as Record<string, unknown>;
  const type = m.type;
  if (typeof type !== "string") return { kind: "invalid", reason: `type: expected a string, got ${show(type)}` };
  try {
    switch (type) {
      case "ticker":
        return { kind: "ticker", row: tickerRow(m) };
      case "match":
      case "last_match":
        return {
          kind: "match",
          productId: product(m),
          tradeId: wholeNumber(m, "trade_id"),
          sequence: wholeNumber(m, "sequence"),
          time: clickhouseTime(m, "time"),
        };
      case "heartbeat":
        return { kind: "heartbeat", productId: product(m), sequence: wholeNumber(m, "sequence"), time: clickhouseTime(m, "time") };
      case "subscriptions":
        return { kind: "subscriptions" };
      case "error":
        return { kind: "error", message: [m.message, m.reason].filter((x) => typeof x === "string").join(": ") || "error without message" };
      default:
        return { kind: "unknown", type };
    }
  } catch (err) {
    if (err instanceof Invalid) return { kind: "invalid", reason: `${type}.${err.message}` };
    throw err;
  }
}

function tickerRow(m: Record<string, unknown>): TickerRow {
  const row: TickerRow = {
    sequence: wholeNumber(m, "sequence"),
    // The first ticker after subscribing can lack the trade fields; 0 / "" mean "no trade".
    trade_id: m.trade_id === undefined ? 0 : wholeNumber(m, "trade_id"),
    price: 0,
    last_size: m.last_size === undefined ? 0 : decimal(m, "last_size"),
    time: clickhouseTime(m, "time"),
    product_id: product(m),
    side: side(m),
    open_24h: 0,
    volume_24h: 0,
    low_24h: 0,
    high_24h: 0,
    volume_30d: 0,
    best_bid: 0,
    best_bid_size: 0,
    best_ask: 0,
    best_ask_size: 0,
  };
  for (const key of REQUIRED_DECIMALS) row[key] = decimal(m, key);
  return row;
}

function product(m: Record<string, unknown>): string {
  const v = m.product_id;
  if (typeof v !== "string" || !PRODUCT_ID.test(v)) throw new Invalid(`product_id: expected a product id such as "BTC-USD", got ${show(v)}`);
  return v;
}

function side(m: Record<string, unknown>): string {
  const v = m.side;
  if (v === undefined) return "";
  if (v !== "buy" && v !== "sell") throw new Invalid(`side: expected "buy" or "sell", got ${show(v)}`);
  return v;
}

function wholeNumber(m: Record<string, unknown>, key: string): number {
  const v = m[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new Invalid(`${key}: expected a whole number >= 0, got ${show(v)}`);
  return v;
}

function decimal(m: Record<string, unknown>, key: string): number {
  const v = m[key];
  let n: number;
  if (typeof v === "string" && DECIMAL.test(v)) n = Number(v);
  else if (typeof v === "number") n = v;
  else throw new Invalid(`${key}: expected a decimal string such as "91203.16", got ${show(v)}`);
  // Prices and sizes are never negative on the exchange.
  if (!Number.isFinite(n) || n < 0) throw new Invalid(`${key}: expected a finite number >= 0, got ${show(v)}`);
  return n;
}

/** `2025-02-04T02:00:06.419368Z` → `2025-02-04 02:00:06.419368` (the UTC column's text form, µs kept). */
function clickhouseTime(m: Record<string, unknown>, key: string): string {
  const v = m[key];
  const parts = typeof v === "string" ? ISO_TIME.exec(v) : null;
  if (!parts) throw new Invalid(`${key}: expected an ISO 8601 UTC time such as "2025-02-04T02:00:06.419368Z", got ${show(v)}`);
  const [, y, mo, d, h, mi, s, frac] = parts as unknown as string[];
  if (+mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h! > 23 || +mi! > 59 || +s! > 60 || +y! < 1970 || +y! > 2299) {
    throw new Invalid(`${key}: ${show(v)} is not a valid date and time`);
  }
  const micros = (frac ?? "").padEnd(6, "0").slice(0, 6);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}.${micros}`;
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
