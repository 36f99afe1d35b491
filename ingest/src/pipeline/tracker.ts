// Per-product feed state: which tickers and trades this run already took (duplicates, by
// identity: (product_id, sequence) and (product_id, trade_id)), where trades are missing (matches'
// contiguous trade_id) and which outages (reconnects, restarts) to record. A late message never
// seen before is a real event and is taken; only a repeat is dropped. On `ticker` a jump in
// `sequence` is normal (it counts every order-book message), so it is never a gap by itself: see
// docs/ingester.md "What counts as a gap" and "Duplicates".
import { RecentIds } from "./recent-ids";

export interface GapRow {
  product_id: string;
  channel: string;
  kind: "trade_id" | "reconnect" | "restart";
  last_seen: number;
  next_seen: number;
  missing: number;
  gap_start: string;
  gap_end: string;
  detected_at: string;
}

interface Seen {
  sequence: number;
  time: string;
}

interface Outage {
  kind: "reconnect" | "restart";
  products: Map<string, Seen>;
}

export interface TrackerSeed {
  productId: string;
  sequence: number;
  time: string;
}

export interface TradeSeed {
  productId: string;
  tradeId: number;
  time: string;
}

/** Trades missing between two websocket trades of a product: what the backfill fetches. */
export interface TradeGap {
  productId: string;
  /** The first and last missing trade_id. */
  firstTradeId: number;
  lastTradeId: number;
  /** Times of the trades either side. */
  gapStart: string;
  gapEnd: string;
}

/** Identities remembered per product and channel, by default (config dedup.recent_ids). */
export const DEFAULT_RECENT_IDS = 16_384;

export interface TrackerOptions {
  /** Identities remembered per product and channel (RecentIds). */
  readonly recentIds?: number;
  readonly now?: () => string;
  /** Told of every gap in a product's trade_ids seen on the websocket (the backfill's work). */
  readonly onTradeGap?: (gap: TradeGap) => void;
  /** Told when a product's first trade of this run is below the newest stored one (another source's numbering). */
  readonly onForeignNumbering?: (productId: string, storedTradeId: number, firstTradeId: number) => void;
}

export class FeedTracker {
  private readonly recentTickers = new Map<string, RecentIds>();
  private readonly recentTrades = new Map<string, RecentIds>();
  private readonly lastSeen = new Map<string, Seen>();
  private readonly lastTrade = new Map<string, { tradeId: number; time: string }>();
  /** Products with a trade from the source in this run. */
  private readonly tradedThisRun = new Set<string>();
  private outage: Outage | undefined;
  private readonly now: () => string;
  private readonly capacity: number;

  constructor(private readonly options: TrackerOptions = {}) {
    this.now = options.now ?? nowClickhouse;
    this.capacity = options.recentIds ?? DEFAULT_RECENT_IDS;
  }

  /**
   * The newest stored ticker and trade per product (from ClickHouse and the spool), before any
   * message: outage windows start there, and a trade_id jump from the newest stored trade to the
   * first one of this run is a gap (what the feed sent while the ingester was down).
   */
  seed(seeds: readonly TrackerSeed[], options: { recordRestartGap: boolean }, trades: readonly TradeSeed[] = []): void {
    for (const s of seeds) {
      const seen = this.lastSeen.get(s.productId);
      if (!seen || seen.sequence < s.sequence) this.lastSeen.set(s.productId, { sequence: s.sequence, time: s.time });
    }
    for (const t of trades) {
      const last = this.lastTrade.get(t.productId);
      if (!last || last.tradeId < t.tradeId) this.lastTrade.set(t.productId, { tradeId: t.tradeId, time: t.time });
    }
    if (options.recordRestartGap && seeds.length > 0) this.outage = { kind: "restart", products: snapshot(this.lastSeen) };
  }

  /** The connection was lost: the next message of each known product closes an outage window. */
  connectionLost(): void {
    const products = this.outage?.products ?? new Map<string, Seen>();
    for (const [product, seen] of this.lastSeen) if (!products.has(product)) products.set(product, { ...seen });
    if (products.size > 0) this.outage = { kind: this.outage?.kind ?? "reconnect", products };
  }

  /** A ticker: `true` if it must be stored (new, or late but never seen), `false` for a repeat. */
  ticker(productId: string, sequence: number, time: string, gaps: GapRow[]): boolean {
    this.closeOutage(productId, sequence, time, "ticker", gaps);
    this.see(productId, sequence, time);
    return this.recent(this.recentTickers, productId).add(sequence);
  }

  heartbeat(productId: string, sequence: number, time: string, gaps: GapRow[]): void {
    this.closeOutage(productId, sequence, time, "heartbeat", gaps);
    this.see(productId, sequence, time);
  }

  /**
   * A websocket match or last_match: `false` for a repeat. A trade_id more than one above the
   * newest one is a real gap (recorded, and handed to onTradeGap); a late one below it is stored.
   */
  match(productId: string, tradeId: number, sequence: number, time: string, gaps: GapRow[]): boolean {
    this.closeOutage(productId, sequence, time, "matches", gaps);
    this.see(productId, sequence, time);
    if (!this.recent(this.recentTrades, productId).add(tradeId)) return false;
    const last = this.lastTrade.get(productId);
    if (!this.tradedThisRun.has(productId)) {
      this.tradedThisRun.add(productId);
      // A live feed's first trade (last_match) is at or above anything it sent before; one below
      // the newest stored trade means that one came from other numbers (a synthetic run, another
      // replay): gaps are found from this feed's own trades, not from it.
      if (last && tradeId < last.tradeId) {
        this.options.onForeignNumbering?.(productId, last.tradeId, tradeId);
        this.lastTrade.set(productId, { tradeId, time });
        return true;
      }
    }
    if (last && tradeId <= last.tradeId) return true;
    if (last && tradeId > last.tradeId + 1) {
      this.options.onTradeGap?.({ productId, firstTradeId: last.tradeId + 1, lastTradeId: tradeId - 1, gapStart: last.time, gapEnd: time });
      gaps.push({
        product_id: productId,
        channel: "matches",
        kind: "trade_id",
        last_seen: last.tradeId,
        next_seen: tradeId,
        missing: tradeId - last.tradeId - 1,
        gap_start: last.time,
        gap_end: time,
        detected_at: this.now(),
      });
    }
    this.lastTrade.set(productId, { tradeId, time });
    return true;
  }

  /** A trade from the REST backfill: `false` for one already taken. It says nothing about gaps or outages. */
  restTrade(productId: string, tradeId: number): boolean {
    return this.recent(this.recentTrades, productId).add(tradeId);
  }

  private recent(byProduct: Map<string, RecentIds>, productId: string): RecentIds {
    let ids = byProduct.get(productId);
    if (!ids) byProduct.set(productId, (ids = new RecentIds(this.capacity)));
    return ids;
  }

  private see(productId: string, sequence: number, time: string): void {
    const seen = this.lastSeen.get(productId);
    if (!seen) this.lastSeen.set(productId, { sequence, time });
    else if (seen.sequence < sequence) {
      // Updated in place (runs per message); outage windows hold copies, not these objects.
      seen.sequence = sequence;
      seen.time = time;
    }
  }

  private closeOutage(productId: string, sequence: number, time: string, channel: string, gaps: GapRow[]): void {
    const before = this.outage?.products.get(productId);
    if (!this.outage || !before) return;
    // Only a newer message closes the window: a replayed old one says nothing about the outage.
    if (sequence <= before.sequence) return;
    this.outage.products.delete(productId);
    gaps.push({
      product_id: productId,
      channel,
      kind: this.outage.kind,
      last_seen: before.sequence,
      next_seen: sequence,
      // Ticks lost in the window are unknowable (sequence also counts order-book messages).
      missing: 0,
      gap_start: before.time,
      gap_end: time,
      detected_at: this.now(),
    });
    if (this.outage.products.size === 0) this.outage = undefined;
  }
}

function snapshot(seen: Map<string, Seen>): Map<string, Seen> {
  return new Map([...seen].map(([product, s]) => [product, { ...s }]));
}

export function nowClickhouse(): string {
  return toClickhouseTime(Date.now());
}

export function toClickhouseTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "000");
}
