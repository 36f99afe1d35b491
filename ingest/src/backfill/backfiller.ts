// Fills gaps in a product's trade_ids from Coinbase's REST API, one gap at a time, oldest first.
// Pages go newest first (`after` = older than that id) from just above the gap down to its first
// missing id; every page's trades go through the pipeline like websocket trades (dedup by
// identity, spool, insert), so a trade is never stored twice whichever way it arrived. Each page
// records the gap's state and cursor in backfill_gaps through the same spool: a run killed in the
// middle of a gap resumes at its cursor (main.ts hands the open gaps back via resume()).
import type { Logger } from "../observability/log";
import type { DecodedTrade } from "../pipeline/decoded";
import { sleep } from "../pipeline/backoff";
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
  /**
   * Waits between passes over a gap REST did not serve in full: the newest trades can reach the
   * REST API after the websocket. After the last pass the gap is abandoned, naming what is missing.
   */
  readonly passDelaysMs?: readonly number[];
  /** True while the spool is over its cap (backpressure): no page is fetched until it is not. */
  readonly spoolFull?: () => boolean;
}

/** Two more passes, 5 s and 30 s later, before a gap with unserved ids is given up. */
const PASS_DELAYS_MS = [5_000, 30_000];
/** How often a paused backfill looks at the spool again. */
const SPOOL_POLL_MS = 250;

type PassEnd = { kind: "reached" } | { kind: "history-ends"; reason: string };

export class Backfiller {
  private readonly queue: GapState[] = [];
  /** Every gap this run queued, finished ones included: a state row of it read back later is not queued again. */
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

  /**
   * Open gaps an earlier run left (newest state per gap, from backfill_gaps): continued where they
   * stopped, after the gap being filled now (run() owns queue[0]), oldest first.
   */
  resume(rows: readonly BackfillGapRow[]): void {
    const resumed: GapState[] = [];
    for (const row of rows) {
      const state = new GapState(row);
      if (!state.open || this.known.has(state.key)) continue;
      resumed.push(state);
      this.known.add(state.key);
    }
    const busy = this.running ? this.queue.splice(0, 1) : [];
    const waiting = [...this.queue.splice(0), ...resumed].sort((a, b) => (a.row.detected_at < b.row.detected_at ? -1 : a.row.detected_at > b.row.detected_at ? 1 : 0));
    this.queue.push(...busy, ...waiting);
    this.kick();
  }

  /** Fires when stop() is called. */
  get stopSignal(): AbortSignal {
    return this.abort.signal;
  }

  /** Resolves when no gap is waiting. */
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
      this.queue.splice(this.queue.indexOf(gap), 1);
    }
  }

  /**
   * Pages down from the gap's cursor to its first missing trade; when REST served fewer trade ids
   * than are missing, waits and pages over the whole gap again (passDelaysMs), then gives up.
   */
  private async fill(gap: GapState): Promise<void> {
    const { maxTradesPerGap } = this.options;
    const { product_id: productId, first_trade_id: first, last_trade_id: last, missing } = gap.row;
    if (missing > maxTradesPerGap) {
      return this.finish(gap, { state: "abandoned", reason: `${missing} trades missing, more than backfill.max_trades_per_gap (${maxTradesPerGap})` });
    }
    this.options.log.info("backfilling a trade gap", { product_id: productId, first_trade_id: first, last_trade_id: last, missing, from_cursor: gap.after });
    const delays = this.options.passDelaysMs ?? PASS_DELAYS_MS;
    for (let pass = 0; ; pass++) {
      const end = await this.pass(gap);
      if (end === undefined) return; // stopped, or the pipeline closed: continued next run
      if (end.kind === "history-ends") return this.finish(gap, { state: "abandoned", reason: end.reason });
      const served = gap.row.backfilled;
      if (served >= missing) return this.finish(gap, { state: "filled" });
      if (pass >= delays.length) {
        const reason = `the REST API served ${served} of the ${missing} missing trade ids in ${pass + 1} passes; the rest stay missing`;
        return this.finish(gap, { state: "abandoned", reason });
      }
      this.options.log.info("REST did not serve every missing trade yet; paging over the gap again", { product_id: productId, first_trade_id: first, served, missing, in_ms: delays[pass] });
      await sleep(delays[pass]!, this.abort.signal);
      if (this.abort.signal.aborted || !this.record(gap.next({ state: "filling", backfilled: 0, cursor: 0 }, this.now()))) return;
    }
  }

  /** One pass from the gap's cursor down to its first id; undefined when stopped. */
  private async pass(gap: GapState): Promise<PassEnd | undefined> {
    const { rest, pageSize } = this.options;
    const { product_id: productId, first_trade_id: first, last_trade_id: last, missing } = gap.row;
    for (;;) {
      if (!(await this.spoolRoom())) return undefined;
      const page = await rest.tradesPage(productId, gap.after, pageSize, this.abort.signal);
      const { inGap, lowest } = this.take(productId, page.trades, first, last);
      if (inGap === undefined) return undefined;
      const backfilled = gap.row.backfilled + inGap;
      if (lowest !== undefined && lowest <= first) {
        gap.row = { ...gap.row, backfilled };
        return { kind: "reached" };
      }
      const cursor = page.nextAfter !== undefined && page.nextAfter > 0 ? page.nextAfter : lowest;
      if (page.trades.length === 0 || cursor === undefined || cursor >= gap.after) {
        gap.row = { ...gap.row, backfilled };
        return { kind: "history-ends", reason: `the REST API serves no trades below trade_id ${gap.after}: ${missing - backfilled} of ${missing} missing trades are older than its history` };
      }
      if (!this.record(gap.next({ state: "filling", backfilled, cursor }, this.now()))) return undefined;
    }
  }

  /** Waits while the spool is over its cap; false if stopped meanwhile. */
  private async spoolRoom(): Promise<boolean> {
    while (this.options.spoolFull?.() && !this.abort.signal.aborted) await sleep(SPOOL_POLL_MS, this.abort.signal);
    return !this.abort.signal.aborted;
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
