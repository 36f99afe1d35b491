// A generated feed for demos and load tests: realistic numbering (sequence jumps between
// tickers, as on the real feed), a random walk for prices, heartbeats once a second, and with
// `matches` on, every trade as a match message before the ticker that sums it up the way
// Coinbase's does (its last_size is the batch's last trade only, so ticker VWAP is approximate).
import type { SyntheticSourceConfig } from "../config/schema";
import type { MessageHandler, Source, SourceHealth } from "./source";
import { prng } from "../../../sql/src/prng";

interface ProductState {
  sequence: number;
  tradeId: number;
  price: number;
}

/** Generates raw Coinbase-shaped ticker messages. Exported for tests and benchmarks. */
export class TickerGenerator {
  private readonly random: () => number;
  private readonly states: ProductState[];
  private next = 0;

  /**
   * `firstId`: where sequences and trade ids start (per product), by default fixed numbers, so a
   * seed repeats a stream exactly; the source starts them from the clock (below).
   */
  constructor(
    private readonly products: readonly string[],
    seed = 1,
    firstId?: number,
  ) {
    this.random = prng(seed);
    this.states = products.map((_, i) => ({
      sequence: firstId ?? 10_000_000_000 * (i + 1),
      tradeId: firstId ?? 500_000_000 * (i + 1),
      price: 100 * 10 ** (i % 4),
    }));
  }

  ticker(nowMs: number = Date.now()): string {
    const i = this.next++ % this.products.length;
    const s = this.states[i]!;
    s.sequence += 1 + Math.floor(this.random() * 40);
    s.tradeId += 1 + Math.floor(this.random() * 3);
    s.price = Math.max(0.01, s.price * (1 + (this.random() - 0.5) * 0.001));
    return this.tickerOf(i, nowMs, (this.random() * 0.5).toFixed(8));
  }

  /**
   * The matches of one to three trades (contiguous trade_ids, sizes and prices of their own) and
   * the ticker that follows them, whose price and last_size are the last trade's.
   */
  tradesAndTicker(nowMs: number = Date.now()): string[] {
    const i = this.next++ % this.products.length;
    const s = this.states[i]!;
    const trades = 1 + Math.floor(this.random() * 3);
    const messages: string[] = [];
    let size = "0";
    for (let k = 0; k < trades; k++) {
      s.sequence += 1 + Math.floor(this.random() * 10);
      s.tradeId += 1;
      s.price = Math.max(0.01, s.price * (1 + (this.random() - 0.5) * 0.001));
      size = (this.random() * 0.5 + 0.00000001).toFixed(8);
      messages.push(
        JSON.stringify({
          type: "match",
          trade_id: s.tradeId,
          maker_order_id: this.uuid(),
          taker_order_id: this.uuid(),
          side: this.random() < 0.5 ? "buy" : "sell",
          size,
          price: s.price.toFixed(2),
          product_id: this.products[i],
          sequence: s.sequence,
          time: isoMicros(nowMs, this.next),
        }),
      );
    }
    s.sequence += 1;
    messages.push(this.tickerOf(i, nowMs, size));
    return messages;
  }

  private uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }

  private tickerOf(i: number, nowMs: number, lastSize: string): string {
    const s = this.states[i]!;
    const bid = s.price - 0.01;
    const ask = s.price + 0.01;
    return JSON.stringify({
      type: "ticker",
      sequence: s.sequence,
      product_id: this.products[i],
      price: s.price.toFixed(2),
      open_24h: "100.00",
      volume_24h: "1234.5678",
      low_24h: "90.00",
      high_24h: "110.00",
      volume_30d: "45678.9",
      best_bid: bid.toFixed(2),
      best_bid_size: (this.random() * 2).toFixed(8),
      best_ask: ask.toFixed(2),
      best_ask_size: (this.random() * 2).toFixed(8),
      side: this.random() < 0.5 ? "buy" : "sell",
      time: isoMicros(nowMs, this.next),
      trade_id: s.tradeId,
      last_size: lastSize,
    });
  }

  heartbeat(productIndex: number, nowMs: number = Date.now()): string {
    const s = this.states[productIndex]!;
    return JSON.stringify({ type: "heartbeat", last_trade_id: s.tradeId, product_id: this.products[productIndex], sequence: s.sequence, time: isoMicros(nowMs, 0) });
  }
}

/** ISO time with microseconds; `n` varies the sub-millisecond digits so times are distinct. */
export function isoMicros(ms: number, n: number): string {
  return new Date(ms).toISOString().replace("Z", `${String(n % 1000).padStart(3, "0")}Z`);
}

/** A timer tick; missed ticks are made up by the time-based budget. */
const TICK_MS = 10;
/** The longest the generator runs before yielding to the event loop (I/O, commits, signals). */
const SLICE_MS = 10;
/** Messages between two clock reads within a slice (a message costs a few microseconds). */
const CLOCK_EVERY = 64;

export class SyntheticSource implements Source {
  readonly name = "synthetic";
  readonly finished: Promise<void> | undefined;
  private resolveFinished: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopped = false;
  private sent = 0;
  /** Messages owed at the configured rate, at most one second's worth. */
  private budget = 0;
  private last = 0;
  private lastHeartbeat = 0;
  private continuation: NodeJS.Immediate | undefined;
  private handler: MessageHandler | undefined;
  private readonly generator: TickerGenerator;

  constructor(private readonly config: SyntheticSourceConfig) {
    // Numbers from the clock (microseconds since 1970, below 2^53): a later run into the same
    // database starts above an earlier one's, so its ticks and trades are not taken for repeats.
    this.generator = new TickerGenerator(config.products, config.seed, Date.now() * 1000);
    if (config.limit !== undefined) this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  start(handler: MessageHandler): void {
    this.handler = handler;
    this.last = Date.now();
    this.lastHeartbeat = this.last;
    this.timer = setInterval(this.onTick, TICK_MS);
  }

  /** The timer: runs unless a continuation is already due (one chain of slices at a time). */
  private readonly onTick = (): void => {
    if (this.continuation === undefined) this.run();
  };

  private readonly onContinuation = (): void => {
    this.continuation = undefined;
    this.run();
  };

  /**
   * Generates what is owed, in slices of at most SLICE_MS: the paused flag (set by the spool's
   * backpressure from inside handle()) is read before every message, and a slice that ends with
   * messages still owed continues after the event loop has turned (setImmediate), not in one
   * long synchronous run.
   */
  private run(): void {
    const handler = this.handler;
    if (!handler || this.stopped) return;
    const now = Date.now();
    const elapsed = now - this.last;
    this.last = now;
    if (this.paused) return;
    const limit = this.config.limit ?? Infinity;
    // At most one second of messages is owed, so a pause or a slow turn never ends in a flood.
    this.budget = Math.min(this.budget + (this.config.rate * elapsed) / 1000, Math.max(1, this.config.rate));
    const sliceEnd = performance.now() + SLICE_MS;
    let n = 0;
    while (this.budget >= 1 && this.sent < limit && !this.paused && !this.stopped) {
      if (this.config.matches) for (const message of this.generator.tradesAndTicker(now)) handler.handle(message, now);
      else handler.handle(this.generator.ticker(now), now);
      this.sent++;
      this.budget--;
      if (++n % CLOCK_EVERY === 0 && performance.now() >= sliceEnd) break;
    }
    if (this.stopped) return;
    if (now - this.lastHeartbeat >= 1000 && !this.paused) {
      this.lastHeartbeat = now;
      this.config.products.forEach((_, i) => handler.handle(this.generator.heartbeat(i, now), now));
    }
    if (this.sent >= limit) {
      clearInterval(this.timer);
      this.resolveFinished?.();
    } else if (this.budget >= 1 && !this.paused && this.continuation === undefined) {
      this.continuation = setImmediate(this.onContinuation);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.continuation) clearImmediate(this.continuation);
    this.continuation = undefined;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  health(): SourceHealth {
    return { ok: true, detail: `synthetic, ${this.sent} ticks generated${this.config.matches ? " (with their trades)" : ""}` };
  }
}
