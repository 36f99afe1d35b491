// A gap in a product's trade_ids and where its backfill stands, as the rows of backfill_gaps
// (sql/migrations/007_…): one row per change, `revision` counting them, the newest one wins.
//
//   detected ──► filling ──► filled      (every missing trade fetched, or the ids do not exist)
//       │           │
//       └───────────┴──────► abandoned   (reason: older than the REST API serves, REST refused or
//                                          unreachable for too long, gap too large)
import type { TradeGap } from "../pipeline/tracker";

export const GAP_STATES = ["detected", "filling", "filled", "abandoned"] as const;
export type GapStateName = (typeof GAP_STATES)[number];

/** A row of backfill_gaps (times in ClickHouse's text form, UTC). */
export interface BackfillGapRow {
  product_id: string;
  first_trade_id: number;
  last_trade_id: number;
  state: GapStateName;
  revision: number;
  missing: number;
  backfilled: number;
  /** The REST `after` cursor of the next page; 0 = start just above the gap (last_trade_id + 1). */
  cursor: number;
  reason: string;
  gap_start: string;
  gap_end: string;
  detected_at: string;
  updated_at: string;
}

/** A gap's state while the backfill works on it. */
export class GapState {
  constructor(public row: BackfillGapRow) {}

  static detected(gap: TradeGap, now: string): GapState {
    return new GapState({
      product_id: gap.productId,
      first_trade_id: gap.firstTradeId,
      last_trade_id: gap.lastTradeId,
      state: "detected",
      revision: 0,
      missing: gap.lastTradeId - gap.firstTradeId + 1,
      backfilled: 0,
      cursor: 0,
      reason: "",
      gap_start: gap.gapStart,
      gap_end: gap.gapEnd,
      detected_at: now,
      updated_at: now,
    });
  }

  get key(): string {
    return `${this.row.product_id}:${this.row.first_trade_id}`;
  }

  get open(): boolean {
    return this.row.state === "detected" || this.row.state === "filling";
  }

  /** The next page's `after` cursor: trades below it are fetched. */
  get after(): number {
    return this.row.cursor > 0 ? this.row.cursor : this.row.last_trade_id + 1;
  }

  /** The next revision of the row, with `change` applied. */
  next(change: Partial<Pick<BackfillGapRow, "state" | "backfilled" | "cursor" | "reason">>, now: string): BackfillGapRow {
    this.row = { ...this.row, ...change, revision: this.row.revision + 1, updated_at: now };
    return this.row;
  }
}
