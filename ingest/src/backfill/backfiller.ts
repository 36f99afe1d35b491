// Fills gaps in a product's trade_ids from Coinbase's REST API, one gap at a time, oldest first.
// Pages go newest first (`after` = older than that id) from just above the gap down to its first
// missing id; every page's trades go through the pipeline like websocket trades (dedup by
// identity, spool, insert), so a trade is never stored twice whichever way it arrived. Each page
// records the gap's state and cursor in backfill_gaps through the same spool: a run killed in the
// middle of a gap resumes at its cursor (main.ts hands the open gaps back via resume()).
import type { Logger } from "../observability/log";
import type { DecodedTrade } from "../pipeline/decoded";
import { decodeRestTrade } from "../pipeline/decode";
import { nowClickhouse, type TradeGap } from "../pipeline/tracker";
import { RestAborted, RestRefused, RestUnavailable } from "../sources/coinbase-rest";
import { GapState, type BackfillGapRow } from "./gap-state";

/** The part of the REST client the backfill uses (sources/coinbase-rest.ts). */
export interface TradesPager {
  tradesPage(productId: string, after: number | undefined, limit: number, signal?: AbortSignal): Promise<{ trades: unknown[]; nextAfter: number | undefined }>;
}

/** Where fetched trades and state rows go (the pipeline). Both answer "not taken" once it is closed. */
export interface BackfillTarget {
  backfilled(trades: readonly DecodedTrade[]): number | undefined;
  recordBackfillState(row: BackfillGapRow): boolean;
  rejectedBackfillTrade(raw: string, reason: string): void;
}

export interface BackfillerOptions {
  readonly rest: TradesPager;
  readonly target: BackfillTarget;
  readonly log: Logger;
  /** Trades per page (Coinbase's limit, ≤ 1000). */
  readonly pageSize: number;
  /** A gap of more missing trades than this is abandoned at once (days of trades: a job for a bulk export). */
  readonly maxTradesPerGap: number;
  readonly now?: () => string;
  /** Told of every state change (metrics). */
  readonly onState?: (row: BackfillGapRow) => void;
}

export class Backfiller {
  private readonly queue: GapState[] = [];
  private readonly known = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly now: () => string;

  constructor(private readonly options: BackfillerOptions) {
    this.now = options.now ?? nowClickhouse;
  }

  /** A gap just seen on the websocket: recorded as detected and queued. */
  detected(gap: TradeGap): void {
    const state = GapState.detected(gap, this.now());
    if (this.known.has(state.key)) return;
    this.record(state.row);
    this.queue.push(state);
    this.known.add(state.key);
    this.kick();
  }

  /** Open gaps an earlier run left (newest state per gap, from backfill_gaps): continued where they stopped. */
  resume(rows: readonly BackfillGapRow[]): void {
    for (const row of rows) {
      const state = new GapState(row);
      if (!state.open || this.known.has(state.key)) continue;
      this.queue.push(state);
      this.known.add(state.key);
    }
    this.queue.sort((a, b) => (a.row.detected_at < b.row.detected_at ? -1 : a.row.detected_at > b.row.detected_at ? 1 : 0));
    this.kick();
  }

  get openGaps(): number {
    return this.queue.length;
  }

  /** Resolves when no gap is waiting (tests, the runnable check). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops fetching (shutdown): the current gap keeps its last recorded cursor and is resumed next run. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private kick(): void {
    if (this.running || this.abort.signal.aborted) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0 && !this.abort.signal.aborted) this.kick();
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const gap = this.queue[0]!;
      try {
        await this.fill(gap);
      } catch (err) {
        if (err instanceof RestAborted || this.abort.signal.aborted) return;
        this.finish(gap, { state: "abandoned", reason: abandonReason(err) });
      }
      this.queue.shift();
    }
  }

  /** Pages down from the gap's cursor until its first missing trade is reached. */
  private async fill(gap: GapState): Promise<void> {
    const { rest, pageSize, maxTradesPerGap } = this.options;
    const { product_id: productId, first_trade_id: first, last_trade_id: last, missing } = gap.row;
    if (missing > maxTradesPerGap) {
      return this.finish(gap, { state: "abandoned", reason: `${missing} trades missing, more than backfill.max_trades_per_gap (${maxTradesPerGap})` });
    }
    this.options.log.info("backfilling a trade gap", { product_id: productId, first_trade_id: first, last_trade_id: last, missing, from_cursor: gap.after });
    for (;;) {
      const page = await rest.tradesPage(productId, gap.after, pageSize, this.abort.signal);
      const { inGap, lowest } = this.take(productId, page.trades, first, last);
      if (inGap === undefined) return; // the pipeline closed under us: resumed next run
      const backfilled = gap.row.backfilled + inGap;
      if (lowest !== undefined && lowest <= first) {
        const reason = backfilled < missing ? `${missing - backfilled} of the missing trade ids were not served by the REST API` : "";
        return this.finish(gap, { state: "filled", backfilled, reason });
      }
      const cursor = page.nextAfter ?? lowest;
      if (page.trades.length === 0 || cursor === undefined || cursor >= gap.after) {
        const reason = `the REST API serves no trades below trade_id ${gap.after}: ${missing - backfilled} of ${missing} missing trades are older than its history`;
        return this.finish(gap, { state: "abandoned", backfilled, reason });
      }
      if (!this.record(gap.next({ state: "filling", backfilled, cursor }, this.now()))) return;
    }
  }

  /** Decodes a page and hands its trades inside the gap to the pipeline; `inGap` undefined if it is closed. */
  private take(productId: string, items: readonly unknown[], first: number, last: number): { inGap: number | undefined; lowest: number | undefined } {
    const trades: DecodedTrade[] = [];
    let lowest: number | undefined;
    for (const item of items) {
      const decoded = decodeRestTrade(productId, item);
      if (decoded.kind === "invalid") {
        this.options.target.rejectedBackfillTrade(JSON.stringify(item) ?? String(item), decoded.reason);
        continue;
      }
      if (lowest === undefined || decoded.tradeId < lowest) lowest = decoded.tradeId;
      if (decoded.tradeId >= first && decoded.tradeId <= last) trades.push(decoded);
    }
    const taken = this.options.target.backfilled(trades);
    return { inGap: taken === undefined ? undefined : trades.length, lowest };
  }

  private finish(gap: GapState, change: Parameters<GapState["next"]>[0]): void {
    const row = gap.next(change, this.now());
    this.record(row);
    this.known.delete(gap.key);
    const fields = { product_id: row.product_id, first_trade_id: row.first_trade_id, last_trade_id: row.last_trade_id, missing: row.missing, backfilled: row.backfilled };
    if (row.state === "filled") this.options.log.info("trade gap filled", { ...fields, note: row.reason || undefined });
    else this.options.log.warn("trade gap abandoned: these trades stay missing", { ...fields, reason: row.reason });
  }

  private record(row: BackfillGapRow): boolean {
    this.options.onState?.(row);
    return this.options.target.recordBackfillState(row);
  }
}

function abandonReason(err: unknown): string {
  if (err instanceof RestRefused) return err.message;
  if (err instanceof RestUnavailable) return err.message;
  return `backfill failed: ${(err as Error).message ?? String(err)}`;
}
