// Test data for coinbase_demo.trades (sql/migrations/006_…) and its exact rollups (008–009):
// generated trades with decimal text prices and sizes, their TabSeparated lines, and the exact
// 5-minute VWAP and 1-minute OHLCV computed here with BigInt (no floats), printed the way
// ClickHouse 26.x's toString prints a Decimal (trailing zeros trimmed: 1.50 → "1.5", 2.0 → "2"),
// so a test compares the engine's exact columns with these strings for equality.
import type { ClickHouseClient } from "@clickhouse/client";
import { Readable } from "node:stream";
import { prng } from "../src/prng";
import { qualified, TABLES } from "../src/names";
import { TRADE_COLUMNS, TRADE_DECIMAL_SCALE, type TradeSource } from "../src/rows";
import { formatTime } from "./ticks";

/** A trade as the tests write it. Prices and sizes are decimal text with at most 12 digits after the point. */
export interface TradeInput {
  product_id: string;
  trade_id: number;
  /** `YYYY-MM-DD hh:mm:ss.ffffff`, UTC. */
  time: string;
  price: string;
  size: string;
  /** The maker's side, as Coinbase sends it. */
  side: "buy" | "sell";
}

/** What tradeLine takes: a trade plus the columns that default from it (source `ws`, a sequence, order ids). */
export type TradeLineInput = TradeInput & {
  source?: TradeSource;
  /** Default: the trade_id for `ws`, 0 for `rest`. */
  sequence?: number;
  /** Default: a UUID derived from the trade for `ws`, NULL for `rest`. null is written as \N. */
  maker_order_id?: string | null;
  taker_order_id?: string | null;
};

export interface GenerateTradesOptions {
  products: readonly string[];
  /** Trades per product, with contiguous trade_ids. */
  perProduct: number;
  /** Time of the first trade. */
  start: Date;
  seed?: number;
  /** Mean gap between a product's trades, ms (default 250). About one trade in ten shares the previous one's time. */
  meanGapMs?: number;
}

export interface ExactVwapRow {
  product_id: string;
  /** `YYYY-MM-DD hh:mm:ss`, the 5-minute bucket's start. */
  bucket: string;
  /** sum(price × size), as ClickHouse prints the Decimal(76, 24). */
  price_volume: string;
  /** sum(size), as ClickHouse prints the Decimal(38, 12). */
  volume: string;
  /**
   * price_volume / volume truncated at 24 digits, as ClickHouse prints the Decimal(76, 24) quotient
   * ("0" for a bucket of zero sizes only, which Coinbase never sends; the query gives NULL there).
   */
  vwap: string;
  num_trades: number;
}

export interface ExactOhlcvRow {
  product_id: string;
  /** `YYYY-MM-DD hh:mm:ss`, the minute's start. */
  minute: string;
  /** Price of the first trade by trade_id (the exchange's execution order). */
  open: string;
  high: string;
  low: string;
  /** Price of the last trade by trade_id. */
  close: string;
  volume: string;
  num_trades: number;
}

/** Price levels of the usual products, with the digits each is quoted in; others get 100 × (index + 1), 2 digits. */
const PRICE_LEVELS: Record<string, { price: number; decimals: number }> = {
  "BTC-USD": { price: 64_000, decimals: 2 },
  "ETH-USD": { price: 3_100, decimals: 2 },
  "SOL-USD": { price: 145, decimals: 2 },
  "DOGE-USD": { price: 0.12, decimals: 5 },
  "SHIB-USD": { price: 0.000012, decimals: 9 },
};

/** Digits after the point of a generated size: mostly Coinbase's 8, sometimes whole, short or the full 12. */
const SIZE_DECIMALS = [8, 8, 8, 8, 8, 8, 0, 3, 12];

/**
 * Deterministic trades, in time order per product (products one after another): prices on a
 * random walk in whole ticks (so every price is exact text), sizes with varying decimal places,
 * contiguous trade_ids per product, and some trades sharing a timestamp (as the fills of one
 * taker order do), so open/close depend on the trade_id tie-break.
 */
export function generateTrades(opts: GenerateTradesOptions): TradeInput[] {
  const random = prng(opts.seed ?? 1);
  const meanGapMs = opts.meanGapMs ?? 250;
  const out: TradeInput[] = [];
  opts.products.forEach((product, p) => {
    const level = PRICE_LEVELS[product] ?? { price: 100 * (p + 1), decimals: 2 };
    const unit = 10 ** level.decimals;
    let ticks = Math.max(1, Math.round(level.price * unit * (1 + (random() - 0.5) * 0.1)));
    let micros = opts.start.getTime() * 1000 + Math.floor(random() * 1_000_000);
    const firstId = 100_000_000 * (p + 1) + Math.floor(random() * 1_000_000);
    for (let i = 0; i < opts.perProduct; i++) {
      ticks = Math.max(1, ticks + Math.round((random() - 0.5) * 0.002 * ticks));
      if (i > 0 && random() >= 0.1) micros += 1 + Math.floor(random() * 2 * meanGapMs * 1000);
      const sizeDecimals = SIZE_DECIMALS[Math.floor(random() * SIZE_DECIMALS.length)]!;
      out.push({
        product_id: product,
        trade_id: firstId + i,
        time: formatTime(micros),
        price: decimalText(BigInt(ticks), level.decimals, true),
        size: randomSize(random, sizeDecimals),
        side: random() < 0.5 ? "buy" : "sell",
      });
    }
  });
  return out;
}

/** A size > 0 with exactly `decimals` digits after the point (trailing zeros kept, as Coinbase sends them). */
function randomSize(random: () => number, decimals: number): string {
  if (decimals === 0) return String(1 + Math.floor(random() * 5));
  const maxUnits = 2 * 10 ** Math.min(decimals, 8);
  let units = BigInt(1 + Math.floor(random() * maxUnits));
  if (decimals > 8) units = units * 10n ** BigInt(decimals - 8) + BigInt(Math.floor(random() * 10 ** (decimals - 8)));
  return decimalText(units, decimals, true);
}

/** `units / 10^scale` as decimal text; keepZeros keeps every fractional digit, else trailing zeros go (ClickHouse's toString). */
function decimalText(units: bigint, scale: number, keepZeros = false): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  let fraction = digits.slice(digits.length - scale);
  if (!keepZeros) fraction = fraction.replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction.length > 0 ? `.${fraction}` : ""}`;
}

/** Decimal text → integer units at `scale` digits. Refuses more digits after the point than the scale (as the ingester does). */
export function parseDecimal(text: string, scale: number = TRADE_DECIMAL_SCALE): bigint {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a decimal number`);
  const fraction = m[3] ?? "";
  if (fraction.length > scale) throw new Error(`"${text}" has ${fraction.length} digits after the point: at most ${scale}`);
  const units = BigInt(m[2]! + fraction.padEnd(scale, "0"));
  return m[1] === "-" ? -units : units;
}

/** Integer units at `scale` digits → the text ClickHouse's toString gives a Decimal of that scale (trailing zeros trimmed). */
export function formatDecimal(units: bigint, scale: number): string {
  return decimalText(units, scale);
}

const SCALE = TRADE_DECIMAL_SCALE;
const TEN_SCALE = 10n ** BigInt(SCALE);

/** `2026-11-24 21:03:12.123456` → `2026-11-24 21:03:00`. */
function minuteOf(time: string): string {
  return `${time.slice(0, 16)}:00`;
}

/** `2026-11-24 21:03:12.123456` → `2026-11-24 21:00:00` (toStartOfInterval(time, INTERVAL 5 MINUTE)). */
function bucket5mOf(time: string): string {
  const minute = Number(time.slice(14, 16));
  return `${time.slice(0, 14)}${String(minute - (minute % 5)).padStart(2, "0")}:00`;
}

function byKey<T extends { product_id: string }>(rows: T[], key: (r: T) => string): T[] {
  return rows.sort((a, b) => (a.product_id < b.product_id ? -1 : a.product_id > b.product_id ? 1 : key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The exact 5-minute VWAP per product and bucket, ordered by (product_id, bucket); each trade counted once as given. */
export function exactVwap5m(trades: readonly TradeInput[]): ExactVwapRow[] {
  const acc = new Map<string, { product_id: string; bucket: string; pv: bigint; v: bigint; n: number }>();
  for (const t of trades) {
    const bucket = bucket5mOf(t.time);
    const key = `${t.product_id}|${bucket}`;
    const a = acc.get(key) ?? { product_id: t.product_id, bucket, pv: 0n, v: 0n, n: 0 };
    const size = parseDecimal(t.size);
    a.pv += parseDecimal(t.price) * size; // scale 24
    a.v += size; // scale 12
    a.n += 1;
    acc.set(key, a);
  }
  const rows = [...acc.values()].map((a) => ({
    product_id: a.product_id,
    bucket: a.bucket,
    price_volume: formatDecimal(a.pv, 2 * SCALE),
    volume: formatDecimal(a.v, SCALE),
    // Decimal(76, 24) / Decimal(38, 12) in ClickHouse: (pv units × 10^12) / v units, truncated toward zero.
    vwap: formatDecimal(a.v === 0n ? 0n : (a.pv * TEN_SCALE) / a.v, 2 * SCALE),
    num_trades: a.n,
  }));
  return byKey(rows, (r) => r.bucket);
}

/** The exact 1-minute candles per product, ordered by (product_id, minute); open/close by trade_id. */
export function exactOhlcv1m(trades: readonly TradeInput[]): ExactOhlcvRow[] {
  type Acc = { product_id: string; minute: string; first: TradeInput; last: TradeInput; high: bigint; low: bigint; v: bigint; n: number };
  const before = (a: TradeInput, b: TradeInput) => a.trade_id < b.trade_id;
  const acc = new Map<string, Acc>();
  for (const t of trades) {
    const minute = minuteOf(t.time);
    const key = `${t.product_id}|${minute}`;
    const price = parseDecimal(t.price);
    const a = acc.get(key) ?? { product_id: t.product_id, minute, first: t, last: t, high: price, low: price, v: 0n, n: 0 };
    if (before(t, a.first)) a.first = t;
    if (before(a.last, t)) a.last = t;
    if (price > a.high) a.high = price;
    if (price < a.low) a.low = price;
    a.v += parseDecimal(t.size);
    a.n += 1;
    acc.set(key, a);
  }
  const rows = [...acc.values()].map((a) => ({
    product_id: a.product_id,
    minute: a.minute,
    open: formatDecimal(parseDecimal(a.first.price), SCALE),
    high: formatDecimal(a.high, SCALE),
    low: formatDecimal(a.low, SCALE),
    close: formatDecimal(parseDecimal(a.last.price), SCALE),
    volume: formatDecimal(a.v, SCALE),
    num_trades: a.n,
  }));
  return byKey(rows, (r) => r.minute);
}

/** A deterministic UUID for a trade's order (tests only; real ones come from the feed). */
function orderUuid(product: string, tradeId: number, role: number): string {
  const hex = (BigInt(tradeId) * 7919n + BigInt(role) * 104_729n + BigInt(product.length) * 15_485_863n).toString(16).padStart(32, "0").slice(-32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function tsvField(value: string | number | null): string {
  if (value === null) return "\\N";
  return String(value).replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
}

/** The trade's TabSeparated line in TRADE_COLUMNS order (no trailing newline); NULL as \N. */
export function tradeLine(t: TradeLineInput): string {
  const source: TradeSource = t.source ?? "ws";
  const rest = source === "rest";
  const values: Record<(typeof TRADE_COLUMNS)[number], string | number | null> = {
    time: t.time,
    product_id: t.product_id,
    trade_id: t.trade_id,
    price: t.price,
    size: t.size,
    side: t.side,
    maker_order_id: t.maker_order_id !== undefined ? t.maker_order_id : rest ? null : orderUuid(t.product_id, t.trade_id, 1),
    taker_order_id: t.taker_order_id !== undefined ? t.taker_order_id : rest ? null : orderUuid(t.product_id, t.trade_id, 2),
    sequence: t.sequence ?? (rest ? 0 : t.trade_id),
    source,
  };
  return TRADE_COLUMNS.map((c) => tsvField(values[c])).join("\t");
}

/**
 * Inserts the trades into coinbase_demo.trades as one TabSeparated block, with the ingester's
 * insert settings; a token makes a retry of the same block a no-op (insert_deduplication_token).
 */
export async function insertTrades(client: ClickHouseClient, trades: readonly TradeLineInput[], token?: string): Promise<void> {
  if (trades.length === 0) return;
  const result = await client.exec({
    query: `INSERT INTO ${qualified(TABLES.trades)} (${TRADE_COLUMNS.join(", ")}) FORMAT TabSeparated`,
    values: Readable.from(trades.map((t) => `${tradeLine(t)}\n`), { objectMode: false }),
    clickhouse_settings: {
      async_insert: 0,
      insert_deduplicate: 1,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      ...(token !== undefined ? { insert_deduplication_token: token } : {}),
    },
  });
  for await (const _ of result.stream) void _;
}
