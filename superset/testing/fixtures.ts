// The independent TypeScript computations the Superset charts' SQL results are checked against
// (straight from the raw ticks and trades, not from the rollups). The ticks and trades themselves
// come from the test-data modules, sql/testing/ticks.ts and sql/testing/trades.ts.
import { FIXTURE_PRODUCTS, parseUtc, type TickRow } from "../../sql/testing/ticks";
import { exactOhlcv1m, exactVwap5m, generateTrades, type TradeInput, type TradeLineInput } from "../../sql/testing/trades";

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

// Trades (issue 14): the dashboard's charts read every trade. The fixture's trades come from the
// one test-data module for trades (sql/testing/trades.ts generateTrades), and the fixture's ticker
// rows are made from them the way Coinbase's ticker batches a taker order's fills: one ticker per
// run of trades sharing a timestamp, carrying only the last fill's price and size. So the ticker
// VWAP is the walk-through's approximation of the trade VWAP (here a few bps off).

/** Every FIXTURE_PRODUCTS product's trades from `fromMs` to before `toMs`, ~`meanGapMs` apart; every 20th from the REST backfill. */
export function fixtureTrades(fromMs: number, toMs: number, meanGapMs = 8_000, seed = 20261125): TradeLineInput[] {
  const perProduct = Math.ceil(((toMs - fromMs) / (0.9 * meanGapMs)) * 1.1);
  return generateTrades({ products: Object.keys(FIXTURE_PRODUCTS), perProduct, start: new Date(fromMs), meanGapMs, seed })
    .filter((t) => parseUtc(t.time) < toMs)
    .map((t, i) => ({ ...t, source: i % 20 === 19 ? ("rest" as const) : ("ws" as const) }));
}

/** The ticker rows the feed would have sent for `trades`: one per run of a product's trades sharing a time, with the last fill's price and size. */
export function tickersFromTrades(trades: readonly TradeInput[]): TickRow[] {
  const ticks: TickRow[] = [];
  let sequence = 10_000_000;
  for (const [i, t] of trades.entries()) {
    const next = trades[i + 1];
    if (next && next.product_id === t.product_id && next.time === t.time) continue; // a later fill of the same taker order
    sequence += 1 + (i % 7);
    const price = Number(t.price);
    const base = FIXTURE_PRODUCTS[t.product_id as keyof typeof FIXTURE_PRODUCTS] ?? price;
    ticks.push({
      sequence,
      trade_id: t.trade_id,
      price,
      last_size: Number(t.size),
      time: t.time,
      product_id: t.product_id,
      side: t.side,
      open_24h: base,
      volume_24h: 1000,
      low_24h: base * 0.95,
      high_24h: base * 1.05,
      volume_30d: 30_000,
      best_bid: price - 0.01,
      best_bid_size: 1,
      best_ask: price + 0.01,
      best_ask_size: 1,
    });
  }
  return ticks;
}

/** The exact 5-minute VWAP of every trade per product and bucket (sql/testing/trades.ts exactVwap5m, BigInt), as numbers. */
export function expectedTradeVwap5m(trades: readonly TradeInput[]): Map<string, number> {
  return new Map(exactVwap5m(trades).map((r) => [key(r.product_id, parseUtc(r.bucket)), Number(r.vwap)]));
}

/** The exact 1-minute candles and trade counts of every trade per product and minute (exactOhlcv1m), as numbers. */
export function expectedTradeCandles1m(trades: readonly TradeInput[]): Map<string, Candle & { trades: number }> {
  return new Map(
    exactOhlcv1m(trades).map((r) => [key(r.product_id, parseUtc(r.minute)), { open: Number(r.open), high: Number(r.high), low: Number(r.low), close: Number(r.close), trades: r.num_trades }]),
  );
}

/** (ticker VWAP - trade VWAP) / trade VWAP × 10⁴ per product and bucket where both have trades. */
export function expectedDifferenceBps(tickerVwap: ReadonlyMap<string, number>, tradeVwap: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, trade] of tradeVwap) {
    const ticker = tickerVwap.get(k);
    if (ticker !== undefined) out.set(k, ((ticker - trade) / trade) * 10_000);
  }
  return out;
}

export { key as seriesKey };
