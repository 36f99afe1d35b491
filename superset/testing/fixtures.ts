// The independent TypeScript computations the Superset charts' SQL results are checked against
// (straight from the raw ticks, not from the rollups). The ticks themselves come from the one
// test-data module, sql/testing/ticks.ts (fixtureTicks).
import { parseUtc, type TickRow } from "../../sql/testing/ticks";

const key = (product: string, bucketMs: number) => `${product}@${bucketMs}`;
const bucketOf = (timeMs: number, seconds: number) => Math.floor(timeMs / (seconds * 1000)) * seconds * 1000;

/** Σ price·size / Σ size per product and 5-minute bucket, over ticks with a size and a price. */
export function expectedVwap5m(ticks: readonly TickRow[]): Map<string, number> {
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
export function expectedCandles1m(ticks: readonly TickRow[]): Map<string, Candle> {
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
export function expectedTradesPerMinute(ticks: readonly TickRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of ticks) {
    if (!(t.last_size > 0)) continue;
    const k = key(t.product_id, bucketOf(parseUtc(t.time), 60));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

export { key as seriesKey };
