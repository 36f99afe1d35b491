// Generated raw ticker rows for tests and benchmarks: several products, random-walk prices,
// sequence numbers that jump as the real feed's do, optional shuffling (out-of-order) and
// late rows. Deterministic for a given seed.
import { prng } from "../src/prng";
import type { TickerRow } from "../src/rows";

/** A raw-table row, as the ingester writes it (ingested_at is set by the server). */
export type TickRow = TickerRow;

export interface GenerateOptions {
  products?: readonly string[];
  /** Rows per product. */
  perProduct: number;
  /** Time of the first tick, epoch ms. */
  startMs: number;
  /** Mean gap between a product's ticks, ms. */
  meanGapMs?: number;
  seed?: number;
}


export function formatTime(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = String(Math.round(epochMicros % 1000)).padStart(3, "0");
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "") + micros;
}

/** Rows in time order per product (products interleaved). */
export function generateTicks(options: GenerateOptions): TickRow[] {
  const random = prng(options.seed ?? 1);
  const products = options.products ?? ["BTC-USD", "ETH-USD", "SOL-USD"];
  const meanGapMs = options.meanGapMs ?? 400;
  const rows: TickRow[] = [];
  products.forEach((product, p) => {
    let price = 100 * (p + 1) * (1 + random());
    let sequence = 10_000_000_000 * (p + 1);
    let tradeId = 500_000_000 * (p + 1);
    let micros = options.startMs * 1000 + Math.floor(random() * 1_000_000);
    for (let i = 0; i < options.perProduct; i++) {
      price = Math.max(0.01, price * (1 + (random() - 0.5) * 0.002));
      sequence += 1 + Math.floor(random() * 40); // ticker sequence numbers skip by design
      tradeId += 1 + Math.floor(random() * 3);
      micros += 1 + Math.floor(random() * 2 * meanGapMs * 1000);
      const size = Math.round(random() * 2 * 1e8) / 1e8;
      const spread = price * 0.0001;
      rows.push({
        sequence,
        trade_id: tradeId,
        price: Math.round(price * 100) / 100,
        last_size: size,
        time: formatTime(micros),
        product_id: product,
        side: random() < 0.5 ? "buy" : "sell",
        open_24h: 100 * (p + 1),
        volume_24h: 1000,
        low_24h: 50 * (p + 1),
        high_24h: 200 * (p + 1),
        volume_30d: 30_000,
        best_bid: Math.round((price - spread) * 100) / 100,
        best_bid_size: random(),
        best_ask: Math.round((price + spread) * 100) / 100,
        best_ask_size: random(),
      });
    }
  });
  return rows;
}

/** Fisher–Yates shuffle with the given PRNG (returns a new array). */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const random = prng(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Splits rows into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
