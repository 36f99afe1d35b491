// Per-product feed state: which ticker sequences are already stored (duplicates), where trades
// are missing (matches' contiguous trade_id) and which outages (reconnects, restarts) to record.
// On `ticker` a jump in `sequence` is normal (it counts every order-book message), so it is
// never a gap by itself: see docs/ingester.md "What counts as a gap".

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

export class FeedTracker {
  private readonly storedSequence = new Map<string, number>();
  private readonly lastSeen = new Map<string, Seen>();
  private readonly lastTrade = new Map<string, { tradeId: number; time: string }>();
  private outage: Outage | undefined;

  constructor(private readonly now: () => string = nowClickhouse) {}

  /** The newest stored ticker per product (from ClickHouse and the spool), before any message. */
  seed(seeds: readonly TrackerSeed[], options: { recordRestartGap: boolean }): void {
    for (const s of seeds) {
      if ((this.storedSequence.get(s.productId) ?? -1) < s.sequence) this.storedSequence.set(s.productId, s.sequence);
      const seen = this.lastSeen.get(s.productId);
      if (!seen || seen.sequence < s.sequence) this.lastSeen.set(s.productId, { sequence: s.sequence, time: s.time });
    }
    if (options.recordRestartGap && seeds.length > 0) this.outage = { kind: "restart", products: snapshot(this.lastSeen) };
  }

  /** The connection was lost: the next message of each known product closes an outage window. */
  connectionLost(): void {
    const products = this.outage?.products ?? new Map<string, Seen>();
    for (const [product, seen] of this.lastSeen) if (!products.has(product)) products.set(product, { ...seen });
    if (products.size > 0) this.outage = { kind: this.outage?.kind ?? "reconnect", products };
  }

  /** A ticker: `true` if it is new and must be stored, `false` for a duplicate or out-of-order one. */
  ticker(productId: string, sequence: number, time: string, gaps: GapRow[]): boolean {
    this.closeOutage(productId, sequence, time, "ticker", gaps);
    this.see(productId, sequence, time);
    const stored = this.storedSequence.get(productId);
    if (stored !== undefined && sequence <= stored) return false;
    this.storedSequence.set(productId, sequence);
    return true;
  }

  heartbeat(productId: string, sequence: number, time: string, gaps: GapRow[]): void {
    this.closeOutage(productId, sequence, time, "heartbeat", gaps);
    this.see(productId, sequence, time);
  }

  /** A match or last_match: `false` for a trade already seen; a jump in trade_id is a real gap. */
  match(productId: string, tradeId: number, sequence: number, time: string, gaps: GapRow[]): boolean {
    this.closeOutage(productId, sequence, time, "matches", gaps);
    this.see(productId, sequence, time);
    const last = this.lastTrade.get(productId);
    if (last && tradeId <= last.tradeId) return false;
    if (last && tradeId > last.tradeId + 1) {
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
