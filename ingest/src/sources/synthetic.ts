// A generated ticker stream for demos and load tests: realistic numbering (sequence jumps
// between tickers, as on the real feed), a random walk for prices, heartbeats once a second.
import type { SyntheticSourceConfig } from "../config/schema";
import type { MessageHandler, Source, SourceHealth } from "./source";
import { prng } from "../../../sql/src/prng";

const TICK_MS = 10;

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

  constructor(
    private readonly products: readonly string[],
    seed = 1,
  ) {
    this.random = prng(seed);
    this.states = products.map((_, i) => ({ sequence: 10_000_000_000 * (i + 1), tradeId: 500_000_000 * (i + 1), price: 100 * 10 ** (i % 4) }));
  }

  ticker(nowMs: number = Date.now()): string {
    const i = this.next++ % this.products.length;
    const s = this.states[i]!;
    s.sequence += 1 + Math.floor(this.random() * 40);
    s.tradeId += 1 + Math.floor(this.random() * 3);
    s.price = Math.max(0.01, s.price * (1 + (this.random() - 0.5) * 0.001));
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
      last_size: (this.random() * 0.5).toFixed(8),
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

export class SyntheticSource implements Source {
  readonly name = "synthetic";
  readonly finished: Promise<void> | undefined;
  private resolveFinished: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private sent = 0;
  private readonly generator: TickerGenerator;

  constructor(private readonly config: SyntheticSourceConfig) {
    this.generator = new TickerGenerator(config.products, config.seed);
    if (config.limit !== undefined) this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  start(handler: MessageHandler): void {
    let last = Date.now();
    let lastHeartbeat = last;
    let budget = 0;
    const limit = this.config.limit ?? Infinity;
    this.timer = setInterval(() => {
      const now = Date.now();
      const elapsed = now - last;
      last = now;
      if (this.paused) return;
      // At most one second of messages is owed, so a pause or a slow turn never ends in a flood.
      budget = Math.min(budget + (this.config.rate * elapsed) / 1000, Math.max(1, this.config.rate));
      while (budget >= 1 && this.sent < limit) {
        handler.handle(this.generator.ticker(now), now);
        this.sent++;
        budget--;
      }
      if (now - lastHeartbeat >= 1000) {
        lastHeartbeat = now;
        this.config.products.forEach((_, i) => handler.handle(this.generator.heartbeat(i, now), now));
      }
      if (this.sent >= limit) {
        clearInterval(this.timer);
        this.resolveFinished?.();
      }
    }, TICK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  health(): SourceHealth {
    return { ok: true, detail: `synthetic, ${this.sent} ticks generated` };
  }
}
