// The test data of every suite (sql, grafana, superset, ingest, benchmarks), in one module: raw
// ticker rows (random-walk prices, sequence numbers that jump as the real feed's do, optional
// shuffling for out-of-order and late rows), the time formats ClickHouse takes, and recorded and
// generated Coinbase messages for the ingester. Deterministic for a given seed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
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


/** ClickHouse's DateTime64(6) text for an epoch time in µs: `2026-01-02 03:04:05.678901` (UTC). */
export function formatTime(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = String(Math.round(epochMicros % 1000)).padStart(3, "0");
  return formatMillis(ms) + micros;
}

/** ClickHouse's DateTime64(3) text for an epoch time in ms: `2026-01-02 03:04:05.678` (UTC). */
export function formatMillis(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").replace("Z", "");
}

/** "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) → epoch ms. */
export function parseUtc(text: string): number {
  const ms = Date.parse(`${text.replace(" ", "T").slice(0, 23)}Z`);
  if (Number.isNaN(ms)) throw new Error(`Not a "YYYY-MM-DD HH:MM:SS" time: ${text}`);
  return ms;
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

export const FIXTURE_PRODUCTS = { "BTC-USD": 64_000, "ETH-USD": 3_100, "SOL-USD": 145 } as const;

/**
 * Ticks every 3–20 s per product from `fromMs` to `toMs`, prices near each product's real level
 * (FIXTURE_PRODUCTS), some ticks without a traded size (the Superset charts' data).
 */
export function fixtureTicks(fromMs: number, toMs: number, seed = 20261125): TickRow[] {
  const random = prng(seed);
  const ticks: TickRow[] = [];
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
        time: formatTime(t * 1000 + Math.floor(random() * 1000)),
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

/**
 * Every product ticks every `stepMs` from `fromMs` to `toMs`: prices on a gentle wave, sizes that
 * cycle, sequence numbers that skip (the Grafana panels' and alerts' data, relative to now).
 */
export function steadyTicks(options: { products: readonly string[]; fromMs: number; toMs: number; stepMs: number }): TickRow[] {
  const [template] = generateTicks({ perProduct: 1, startMs: options.fromMs, products: ["BTC-USD"] });
  const rows: TickRow[] = [];
  for (const [p, product] of options.products.entries()) {
    let sequence = 1_000_000 * (p + 1);
    for (let t = options.fromMs, i = 0; t <= options.toMs; t += options.stepMs, i++) {
      sequence += 1 + (i % 7); // ticker sequence numbers skip by design
      const price = 100 * (p + 1) + Math.sin(i / 5) * (p + 1);
      rows.push({ ...template!, product_id: product, time: formatTime(t * 1000), price, last_size: 0.1 + (i % 3) * 0.05, sequence, trade_id: sequence });
    }
  }
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

const SESSION_SAMPLE = join(__dirname, "fixtures", "session-sample.ndjson");

/** The recorded Coinbase session (raw websocket messages): subscriptions ack, tickers with real-style sequence jumps, heartbeats, an error. */
export function sampleLines(): string[] {
  return readFileSync(SESSION_SAMPLE, "utf8").split("\n").filter((l) => l.length > 0);
}

export function sampleTickers(): Array<Record<string, unknown>> {
  return sampleLines()
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => m.type === "ticker");
}

/**
 * `count` tickers shaped like the sample's, continuing its numbering per product: sequence
 * jumps by 1-40 between tickers (as on the real feed), trade_id by 1-3, time by ~0.1 s.
 */
export function realisticTickers(count: number, options: { startMs?: number; products?: string[] } = {}): string[] {
  const templates = sampleTickers();
  const products = options.products ?? ["BTC-USD", "ETH-USD"];
  const state = new Map<string, { sequence: number; tradeId: number; template: Record<string, unknown> }>();
  for (const p of products) {
    const t = [...templates].reverse().find((m) => m.product_id === p) ?? templates[0]!;
    state.set(p, { sequence: Number(t.sequence), tradeId: Number(t.trade_id), template: t });
  }
  const rnd = prng(7);
  const start = options.startMs ?? Date.parse("2026-11-24T21:01:00Z");
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = products[i % products.length]!;
    const s = state.get(p)!;
    s.sequence += 1 + Math.floor(rnd() * 40);
    s.tradeId += 1 + Math.floor(rnd() * 3);
    const time = new Date(start + i * 100).toISOString().replace("Z", `${String(i % 1000).padStart(3, "0")}Z`);
    out.push(JSON.stringify({ ...s.template, sequence: s.sequence, trade_id: s.tradeId, time }));
  }
  return out;
}
