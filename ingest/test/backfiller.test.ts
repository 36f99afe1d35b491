// The backfill's queue and passes on their own, with a scripted REST pager and a recording
// target (no server, no engine): gaps resumed while another is being filled, a finished gap read
// back again, REST serving the newest trades late, a cursor of 0, and a full spool.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Backfiller, type BackfillTarget, type TradesPager } from "../src/backfill/backfiller";
import type { BackfillGapRow } from "../src/backfill/gap-state";
import type { DecodedTrade } from "../src/pipeline/decoded";
import { silentLogger } from "../src/observability/log";

interface Call {
  productId: string;
  after: number | undefined;
}

/** A REST pager over contiguous trade ids per product; `serves(productId, id, call)` says which ids it has. */
function pager(options: { serves?: (productId: string, id: number, call: number) => boolean; delayMs?: number; cursorZero?: boolean; lowest?: number } = {}) {
  const calls: Call[] = [];
  const rest: TradesPager = {
    async tradesPage(productId, after, limit) {
      calls.push({ productId, after });
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const trades: unknown[] = [];
      for (let id = (after ?? 1_000) - 1; id >= (options.lowest ?? 1) && trades.length < limit; id--) {
        if (options.serves && !options.serves(productId, id, calls.length)) continue;
        trades.push({ time: "2026-11-24T21:00:00.000001Z", trade_id: id, price: "1.5", size: "2", side: "buy" });
      }
      const lowest = trades.length > 0 ? (trades.at(-1) as { trade_id: number }).trade_id : undefined;
      return { trades, nextAfter: options.cursorZero ? 0 : lowest };
    },
  };
  return { rest, calls };
}

function target() {
  const states: BackfillGapRow[] = [];
  const trades: DecodedTrade[] = [];
  const t: BackfillTarget = {
    backfilled: (batch) => (trades.push(...batch), batch.length),
    recordBackfillState: (row) => (states.push({ ...row }), true),
    rejectedBackfillTrade: () => undefined,
  };
  return { t, states, trades };
}

function openRow(productId: string, first: number, last: number, cursor = 0): BackfillGapRow {
  return {
    product_id: productId, first_trade_id: first, last_trade_id: last, state: cursor > 0 ? "filling" : "detected", revision: cursor > 0 ? 3 : 0,
    missing: last - first + 1, backfilled: 0, cursor, reason: "", gap_start: "2026-11-24 20:00:00.000000", gap_end: "2026-11-24 20:00:01.000000",
    detected_at: "2026-11-24 20:00:02.000000", updated_at: "2026-11-24 20:00:02.000000",
  };
}

const newest = (states: BackfillGapRow[], product: string) => states.filter((s) => s.product_id === product).at(-1)!;

test("gaps an earlier run left, resumed while a live gap is being filled: each filled once, none skipped", async () => {
  const { rest, calls } = pager({ delayMs: 20 });
  const { t, states, trades } = target();
  const backfiller = new Backfiller({ rest, target: t, log: silentLogger, pageSize: 10, maxTradesPerGap: 1_000 });
  backfiller.detected({ productId: "LIVE-USD", firstTradeId: 500, lastTradeId: 529, gapStart: "a", gapEnd: "b" });
  await new Promise((r) => setTimeout(r, 30)); // the live gap's first page is in flight
  backfiller.resume([openRow("OLD-USD", 100, 119), openRow("OLDER-USD", 50, 54)]);
  await backfiller.idle();
  for (const p of ["LIVE-USD", "OLD-USD", "OLDER-USD"]) assert.equal(newest(states, p).state, "filled", p);
  assert.equal(trades.length, 30 + 20 + 5, "each missing trade handed over once");
  assert.equal(calls.filter((c) => c.productId === "LIVE-USD").length, 3, "the live gap paged once (3 pages of 10)");
  assert.equal(states.filter((s) => s.state === "filled").length, 3, "one filled row per gap");
});

test("a gap this run finished, read back as open from the table afterwards, is not queued again", async () => {
  const { rest, calls } = pager();
  const { t, states } = target();
  const backfiller = new Backfiller({ rest, target: t, log: silentLogger, pageSize: 100, maxTradesPerGap: 1_000 });
  backfiller.detected({ productId: "BTC-USD", firstTradeId: 10, lastTradeId: 19, gapStart: "a", gapEnd: "b" });
  await backfiller.idle();
  const requests = calls.length;
  backfiller.resume([openRow("BTC-USD", 10, 19)]); // its "detected" row, committed before its "filled" one
  await backfiller.idle();
  assert.equal(calls.length, requests);
  assert.deepEqual(states.map((s) => s.state), ["detected", "filled"]);
});

test("REST serving the newest missing trades late: another pass over the gap after a wait fills it; never served: abandoned naming how many", async () => {
  // First pass: ids 25..29 (the newest of the gap) not served yet.
  const lagging = pager({ serves: (_p, id, call) => call > 1 || id < 25 });
  const first = target();
  const a = new Backfiller({ rest: lagging.rest, target: first.t, log: silentLogger, pageSize: 100, maxTradesPerGap: 1_000, passDelaysMs: [10, 10] });
  a.detected({ productId: "ETH-USD", firstTradeId: 10, lastTradeId: 29, gapStart: "a", gapEnd: "b" });
  await a.idle();
  assert.equal(newest(first.states, "ETH-USD").state, "filled");
  assert.equal(newest(first.states, "ETH-USD").backfilled, 20);
  assert.equal(new Set(first.trades.map((x) => x.tradeId)).size, 20);

  const never = pager({ serves: (_p, id) => id !== 17 });
  const second = target();
  const b = new Backfiller({ rest: never.rest, target: second.t, log: silentLogger, pageSize: 100, maxTradesPerGap: 1_000, passDelaysMs: [10, 10] });
  b.detected({ productId: "ETH-USD", firstTradeId: 10, lastTradeId: 29, gapStart: "a", gapEnd: "b" });
  await b.idle();
  const end = newest(second.states, "ETH-USD");
  assert.equal(end.state, "abandoned");
  assert.match(end.reason, /served 19 of the 20 missing trade ids in 3 passes/);
  assert.equal(never.calls.length, 3);
});

test("a CB-AFTER cursor of 0 does not restart the gap from its top (it would page forever)", async () => {
  const { rest, calls } = pager({ cursorZero: true });
  const { t, states } = target();
  const backfiller = new Backfiller({ rest, target: t, log: silentLogger, pageSize: 10, maxTradesPerGap: 1_000 });
  backfiller.detected({ productId: "SOL-USD", firstTradeId: 100, lastTradeId: 139, gapStart: "a", gapEnd: "b" });
  await backfiller.idle();
  assert.equal(newest(states, "SOL-USD").state, "filled");
  assert.deepEqual(calls.map((c) => c.after), [140, 130, 120, 110]);
});

test("no page is fetched while the spool is over its cap; fetching goes on once it is not", async () => {
  const { rest, calls } = pager();
  const { t, states } = target();
  let full = true;
  const backfiller = new Backfiller({ rest, target: t, log: silentLogger, pageSize: 10, maxTradesPerGap: 1_000, spoolFull: () => full });
  backfiller.detected({ productId: "BTC-USD", firstTradeId: 1, lastTradeId: 5, gapStart: "a", gapEnd: "b" });
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(calls.length, 0);
  full = false;
  await backfiller.idle();
  assert.equal(newest(states, "BTC-USD").state, "filled");
});
