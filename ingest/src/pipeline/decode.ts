// Turns one raw websocket message into a typed event. Hand-written checks instead of a schema
// library: this runs for every message (≥ 100k/s), and each failure names the field and value.
// Numbers arrive as strings (Coinbase) — a JSON number is accepted too; `time` keeps microseconds.
//
// Two paths, one answer. `decodeParsed` is the reference: JSON.parse, then field checks. The fast
// path (`fast-ticker.ts`) reads a ticker in Coinbase's own shape with one regular expression and
// hands anything else to the reference, so every reason for refusing a message comes from one
// place. A test holds the two to the same output over generated and mutated messages.
import type { Decoded, DecodedTicker, DecodedTrade } from "./decoded";
import { fastTicker } from "./fast-ticker";
import { decimalText, isIsoTime, isoToClickhouse, isProductId } from "./fields";
import { TICKER_COLUMNS, TRADE_DECIMAL_SCALE, type TickerRow, type TradeSource } from "../../../sql/src/rows";

const DECIMAL = /^\d+(\.\d+)?([eE][-+]?\d+)?$/;

class Invalid extends Error {}

export function decode(raw: string): Decoded {
  return fastTicker(raw) ?? decodeParsed(raw);
}

/** The reference decoder: every message type, every reason a message is refused. */
export function decodeParsed(raw: string): Decoded {
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
        return ticker(m);
      case "match":
      case "last_match":
        return trade(m, product(m), "ws");
      case "heartbeat":
        return { kind: "heartbeat", productId: product(m), sequence: wholeNumber("sequence", m.sequence), time: clickhouseTime("time", m.time) };
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

function ticker(m: Record<string, unknown>): DecodedTicker {
  // Checked in this order (the first invalid field is the one reported).
  const sequence = wholeNumber("sequence", m.sequence);
  // The first ticker after subscribing can lack the trade fields; 0 / "" mean "no trade".
  const trade_id = m.trade_id === undefined ? 0 : wholeNumber("trade_id", m.trade_id);
  const last_size = m.last_size === undefined ? "0" : decimal("last_size", m.last_size);
  const time = clickhouseTime("time", m.time);
  const product_id = product(m);
  const side = sideOf(m);
  const line = [
    time, product_id, sequence, trade_id, decimal("price", m.price), last_size, side,
    decimal("open_24h", m.open_24h), decimal("volume_24h", m.volume_24h), decimal("low_24h", m.low_24h), decimal("high_24h", m.high_24h),
    decimal("volume_30d", m.volume_30d), decimal("best_bid", m.best_bid), decimal("best_bid_size", m.best_bid_size),
    decimal("best_ask", m.best_ask), decimal("best_ask_size", m.best_ask_size),
  ].join("\t");
  return { kind: "ticker", productId: product_id, sequence, time, line };
}

/** A ticker's TabSeparated line (as `decode` makes it) read back as a row: for tests, recovery and tools. */
export function tickerRowOf(line: string): TickerRow {
  const fields = line.split("\t");
  if (fields.length !== TICKER_COLUMNS.length) throw new Error(`not a ticker line (${fields.length} fields, expected ${TICKER_COLUMNS.length}): ${line.slice(0, 120)}`);
  const row: Record<string, string | number> = {};
  TICKER_COLUMNS.forEach((column, i) => {
    row[column] = TEXT_COLUMNS.has(column) ? fields[i]! : Number(fields[i]);
  });
  return row as unknown as TickerRow;
}

const TEXT_COLUMNS: ReadonlySet<string> = new Set(["time", "product_id", "side"]);

/** The TabSeparated line of a row (the inverse of tickerRowOf), e.g. for rows kept in an older spool format. */
export function tickerLineOf(row: TickerRow): string {
  return TICKER_COLUMNS.map((c) => row[c]).join("\t");
}

/**
 * A trade of the REST backfill (`GET /products/{id}/trades` items: time, trade_id, price, size,
 * side; no order ids, no sequence), checked like a websocket match. `productId` is the one asked for.
 */
export function decodeRestTrade(productId: string, item: unknown): DecodedTrade | { kind: "invalid"; reason: string } {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return { kind: "invalid", reason: `rest trade: not a JSON object: ${show(item)}` };
  try {
    return trade(item as Record<string, unknown>, productId, "rest");
  } catch (err) {
    if (err instanceof Invalid) return { kind: "invalid", reason: `rest trade.${err.message}` };
    throw err;
  }
}

function trade(m: Record<string, unknown>, productId: string, source: TradeSource): DecodedTrade {
  const tradeId = wholeNumber("trade_id", m.trade_id);
  const sequence = source === "ws" ? wholeNumber("sequence", m.sequence) : 0;
  const time = clickhouseTime("time", m.time);
  const side = m.side;
  if (side !== "buy" && side !== "sell") throw new Invalid(`side: expected "buy" or "sell", got ${show(side)}`);
  const line = [
    time, productId, tradeId, exactDecimal("price", m.price), exactDecimal("size", m.size), side,
    orderId("maker_order_id", m.maker_order_id), orderId("taker_order_id", m.taker_order_id), sequence, source,
  ].join("\t");
  return { kind: "match", productId, tradeId, sequence, time, line };
}

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
/** Integer digits Decimal(38, 12) holds. */
const MAX_INTEGER_DIGITS = 38 - TRADE_DECIMAL_SCALE;

/**
 * A trade's price or size as exact decimal text for a Decimal(38, 12) column. ClickHouse would
 * silently truncate digits beyond the scale, so such a value is refused instead of changed.
 */
function exactDecimal(key: string, v: unknown): string {
  const text = typeof v === "number" && Number.isFinite(v) && v >= 0 ? `${v}` : v;
  const match = typeof text === "string" ? PLAIN_DECIMAL.exec(text) : null;
  if (!match) throw new Invalid(`${key}: expected a decimal string such as "91203.16", got ${show(v)}`);
  const integer = match[1]!.replace(/^0+(?=\d)/, "");
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > TRADE_DECIMAL_SCALE) throw new Invalid(`${key}: ${show(v)} has more than ${TRADE_DECIMAL_SCALE} digits after the point (the column's scale); it is not rounded`);
  if (integer.length > MAX_INTEGER_DIGITS) throw new Invalid(`${key}: ${show(v)} has more than ${MAX_INTEGER_DIGITS} digits before the point`);
  return fraction.length > 0 ? `${integer}.${fraction}` : integer;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An order id (a UUID), or \N (NULL) when the message has none (REST trades). */
function orderId(key: string, v: unknown): string {
  if (v === undefined || v === null) return "\\N";
  if (typeof v !== "string" || !UUID.test(v)) throw new Invalid(`${key}: expected an order id (a UUID), got ${show(v)}`);
  return v.toLowerCase();
}

function product(m: Record<string, unknown>): string {
  const v = m.product_id;
  if (typeof v !== "string" || !isProductId(v)) throw new Invalid(`product_id: expected a product id such as "BTC-USD", got ${show(v)}`);
  return v;
}

function sideOf(m: Record<string, unknown>): string {
  const v = m.side;
  if (v === undefined) return "";
  if (v !== "buy" && v !== "sell") throw new Invalid(`side: expected "buy" or "sell", got ${show(v)}`);
  return v;
}

function wholeNumber(key: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new Invalid(`${key}: expected a whole number >= 0, got ${show(v)}`);
  return v;
}

function decimal(key: string, v: unknown): string {
  if (typeof v === "number") {
    // Prices and sizes are never negative on the exchange.
    if (!Number.isFinite(v) || v < 0) throw new Invalid(`${key}: expected a finite number >= 0, got ${show(v)}`);
    return `${v}`;
  }
  if (typeof v !== "string" || !DECIMAL.test(v)) throw new Invalid(`${key}: expected a decimal string such as "91203.16", got ${show(v)}`);
  const text = decimalText(v);
  if (text === undefined) throw new Invalid(`${key}: expected a finite number >= 0, got ${show(v)}`);
  return text;
}

/** The ISO 8601 UTC time as the column's text form (fields.ts isoToClickhouse). */
function clickhouseTime(key: string, v: unknown): string {
  if (typeof v !== "string" || !isIsoTime(v)) {
    throw new Invalid(`${key}: expected an ISO 8601 UTC time such as "2025-02-04T02:00:06.419368Z", got ${show(v)}`);
  }
  const text = isoToClickhouse(v);
  if (text === undefined) throw new Invalid(`${key}: ${show(v)} is not a valid date and time`);
  return text;
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
