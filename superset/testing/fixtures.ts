// Fixture ticks for the chart tests, and the independent TypeScript computations the charts'
// SQL results are checked against (straight from the raw ticks, not from the rollups).
// Realistic numbering: per product, `sequence` jumps by a random amount (the ticker channel
// skips numbers by design), trade_id jumps too, some ticks carry no traded size.
import { prng } from "../../sql/src/prng";

export interface FixtureTick {
  readonly sequence: number;
  readonly trade_id: number;
  readonly price: number;
  readonly last_size: number;
  readonly time: string; // "YYYY-MM-DD HH:MM:SS.ffffff" UTC
  readonly product_id: string;
  readonly side: string;
  readonly open_24h: number;
  readonly volume_24h: number;
  readonly low_24h: number;
  readonly high_24h: number;
  readonly volume_30d: number;
  readonly best_bid: number;
  readonly best_bid_size: number;
  readonly best_ask: number;
  readonly best_ask_size: number;
}


export function formatTime(ms: number, micros = 0): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000 + micros, 6)}`
  );
}

/** "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) → epoch ms. */
export function parseUtc(text: string): number {
  const ms = Date.parse(`${text.replace(" ", "T").slice(0, 23)}Z`);
  if (Number.isNaN(ms)) throw new Error(`Not a "YYYY-MM-DD HH:MM:SS" time: ${text}`);
  return ms;
}

export const FIXTURE_PRODUCTS = { "BTC-USD": 64_000, "ETH-USD": 3_100, "SOL-USD": 145 } as const;

/** Ticks every 3–20 s per product from `fromMs` to `toMs`. */
export function fixtureTicks(fromMs: number, toMs: number, seed = 20261125): FixtureTick[] {
  const random = prng(seed);
  const ticks: FixtureTick[] = [];
  for (const [product, base] of Object.entries(FIXTURE_PRODUCTS)) {
    let sequence = 10_000_000 + Math.floor(random() * 1_000_000);
    let tradeId = 500_000 + Math.floor(random() * 100_000);
    let price: number = base;
    for (let t = fromMs + Math.floor(random() * 5_000); t < toMs; t += 3_000 + Math.floor(random() * 17_000)) {
      sequence += 1 + Math.floor(random() * 40);
      tradeId += 1 + Math.floor(random() * 3);
      price = Math.max(0.01, price * (1 + (random() - 0.5) * 0.002));
      const traded = random() > 0.15;
      const size = traded ? Number((random() * 2).toFixed(8)) : 0;
      const rounded = Number(price.toFixed(2));
      ticks.push({
        sequence,
        trade_id: tradeId,
        price: rounded,
        last_size: size,
        time: formatTime(t, Math.floor(random() * 1000)),
        product_id: product,
        side: random() > 0.5 ? "buy" : "sell",
        open_24h: base,
        volume_24h: 1000,
        low_24h: base * 0.95,
        high_24h: base * 1.05,
        volume_30d: 30_000,
        best_bid: rounded - 0.01,
        best_bid_size: 1,
        best_ask: rounded + 0.01,
        best_ask_size: 1,
      });
    }
  }
  return ticks;
}

const key = (product: string, bucketMs: number) => `${product}@${bucketMs}`;
const bucketOf = (timeMs: number, seconds: number) => Math.floor(timeMs / (seconds * 1000)) * seconds * 1000;

/** Σ price·size / Σ size per product and 5-minute bucket, over ticks with a size and a price. */
export function expectedVwap5m(ticks: readonly FixtureTick[]): Map<string, number> {
  const sums = new Map<string, { pv: number; v: number }>();
  for (const t of ticks) {
    if (!(t.last_size > 0 && t.price > 0)) continue;
    const k = key(t.product_id, bucketOf(parseUtc(t.time), 300));
    const s = sums.get(k) ?? { pv: 0, v: 0 };
    s.pv += t.price * t.last_size;
    s.v += t.last_size;
    sums.set(k, s);
  }
  return new Map([...sums].map(([k, s]) => [k, s.pv / s.v]));
}

export interface Candle {
  open: number;
  high: number;
  low: number;
  close: number;
}

/** 1-minute candles per product: first/last price by (time, sequence), max, min. */
export function expectedCandles1m(ticks: readonly FixtureTick[]): Map<string, Candle> {
  const sorted = [...ticks].filter((t) => t.price > 0).sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.sequence - b.sequence));
  const candles = new Map<string, Candle>();
  for (const t of sorted) {
    const k = key(t.product_id, bucketOf(parseUtc(t.time), 60));
    const c = candles.get(k);
    if (!c) candles.set(k, { open: t.price, high: t.price, low: t.price, close: t.price });
    else {
      c.high = Math.max(c.high, t.price);
      c.low = Math.min(c.low, t.price);
      c.close = t.price;
    }
  }
  return candles;
}

/** Ticks with a traded size per product and minute. */
export function expectedTradesPerMinute(ticks: readonly FixtureTick[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of ticks) {
    if (!(t.last_size > 0)) continue;
    const k = key(t.product_id, bucketOf(parseUtc(t.time), 60));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

export { key as seriesKey };
