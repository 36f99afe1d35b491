import assert from "node:assert/strict";
import { test } from "node:test";
import { decode } from "../src/pipeline/decode";
import { FeedTracker, type GapRow } from "../src/pipeline/tracker";
import { sampleLines } from "../../sql/testing/ticks";

const NOW = () => "2026-11-25 00:00:00.000000";

function feed(tracker: FeedTracker, lines: string[], gaps: GapRow[] = []) {
  let stored = 0;
  let duplicates = 0;
  for (const line of lines) {
    const d = decode(line);
    if (d.kind === "ticker") (tracker.ticker(d.productId, d.sequence, d.time, gaps) ? stored++ : duplicates++);
    if (d.kind === "heartbeat") tracker.heartbeat(d.productId, d.sequence, d.time, gaps);
    if (d.kind === "match") if (!tracker.match(d.productId, d.tradeId, d.sequence, d.time, gaps)) duplicates++;
  }
  return { stored, duplicates, gaps };
}

test("ticker sequence jumps (normal on the ticker channel) are not gaps", () => {
  const result = feed(new FeedTracker({ now: NOW }), sampleLines());
  assert.equal(result.stored, 36);
  assert.equal(result.duplicates, 0);
  assert.deepEqual(result.gaps, []);
});

test("a repeated ticker is a duplicate; a late one never seen before is stored (identity, not a high-water mark)", () => {
  const tickers = sampleLines().filter((l) => decode(l).kind === "ticker");
  // 15 ticks held back and delivered after the rest (late), then 3 repeats.
  const late = tickers.filter((_, i) => i % 2 === 1).slice(0, 15);
  const onTime = tickers.filter((l) => !late.includes(l));
  const result = feed(new FeedTracker({ now: NOW }), [...onTime, ...late, tickers[3]!, tickers[10]!, tickers[tickers.length - 1]!]);
  assert.equal(result.stored, 36, "every distinct tick once, the late ones included");
  assert.equal(result.duplicates, 3);
});

test("a new run into a database that holds newer ticks is not mistaken for duplicates", () => {
  const tickers = sampleLines().filter((l) => decode(l).kind === "ticker");
  const restarted = new FeedTracker({ now: NOW });
  // The database's newest ticks are far above this run's (a replay before a synthetic run).
  restarted.seed([{ productId: "BTC-USD", sequence: 99_000_000_000, time: "2026-11-25 00:00:00.000000" }, { productId: "ETH-USD", sequence: 99_000_000_000, time: "2026-11-25 00:00:00.000000" }], { recordRestartGap: false });
  const result = feed(restarted, tickers);
  assert.equal(result.stored, 36);
  assert.equal(result.duplicates, 0);
});

test("the identity window is bounded: past recent_ids the oldest is forgotten (its repeat goes on to the insert-time check)", () => {
  const tracker = new FeedTracker({ now: NOW, recentIds: 4 });
  const gaps: GapRow[] = [];
  const taken = [1, 2, 3, 4, 5].map((s) => tracker.ticker("BTC-USD", s, "2026-11-24 21:00:00.000000", gaps));
  assert.deepEqual(taken, [true, true, true, true, true]);
  assert.equal(tracker.ticker("BTC-USD", 5, "2026-11-24 21:00:00.000000", gaps), false, "a recent repeat is dropped");
  assert.equal(tracker.ticker("BTC-USD", 1, "2026-11-24 21:00:00.000000", gaps), true, "the forgotten one is taken again; the sink leaves it out (sinks/identities.ts)");
});

test("a reconnect records one outage window per product, closed by its next message", () => {
  const lines = sampleLines();
  const tracker = new FeedTracker({ now: NOW });
  const before = feed(tracker, lines.slice(0, 12));
  tracker.connectionLost();
  const gaps: GapRow[] = [];
  feed(tracker, lines.slice(14), gaps);
  assert.equal(before.gaps.length, 0);
  assert.equal(gaps.length, 2);
  const eth = gaps.find((g) => g.product_id === "ETH-USD")!;
  assert.equal(eth.kind, "reconnect");
  assert.equal(eth.last_seen, 58010000125); // last ETH message before the drop
  assert.equal(eth.next_seen, 58010000186); // first ETH message after it: a heartbeat
  assert.equal(eth.channel, "heartbeat");
  assert.equal(eth.gap_start, "2026-11-24 21:00:05.217478");
  assert.equal(eth.gap_end, "2026-11-24 21:00:06.733326");
  assert.equal(eth.missing, 0);
});

test("on the matches channel a jump in trade_id is a real gap with the number missing", () => {
  const m = (tradeId: number, sequence: number, sec: number) =>
    JSON.stringify({ type: "match", trade_id: tradeId, sequence, product_id: "BTC-USD", time: `2026-11-24T21:00:0${sec}.000001Z`, price: "1", size: "1", side: "buy" });
  const result = feed(new FeedTracker({ now: NOW }), [m(100, 1000, 0), m(101, 1017, 1), m(105, 1090, 2), m(105, 1090, 2), m(106, 1100, 3)]);
  assert.equal(result.duplicates, 1);
  assert.deepEqual(result.gaps, [
    {
      product_id: "BTC-USD",
      channel: "matches",
      kind: "trade_id",
      last_seen: 101,
      next_seen: 105,
      missing: 3,
      gap_start: "2026-11-24 21:00:01.000001",
      gap_end: "2026-11-24 21:00:02.000001",
      detected_at: NOW(),
    },
  ]);
});

test("a late trade below the newest is stored and is not a gap; repeats are dropped; the gap is handed to the backfill", () => {
  const m = (tradeId: number, sequence: number) =>
    JSON.stringify({ type: "match", trade_id: tradeId, sequence, product_id: "ETH-USD", time: "2026-11-24T21:00:00.000001Z", price: "1", size: "1", side: "sell" });
  const handed: unknown[] = [];
  const tracker = new FeedTracker({ now: NOW, onTradeGap: (gap) => handed.push(gap) });
  const result = feed(tracker, [m(10, 100), m(13, 130), m(12, 120), m(12, 120), m(14, 140)]);
  assert.equal(result.duplicates, 1);
  assert.equal(result.gaps.length, 1, "10 → 13 is one gap; 12 arriving late does not make another");
  assert.deepEqual(handed, [{ productId: "ETH-USD", firstTradeId: 11, lastTradeId: 12, gapStart: "2026-11-24 21:00:00.000001", gapEnd: "2026-11-24 21:00:00.000001" }]);
  assert.equal(tracker.restTrade("ETH-USD", 12), false, "a backfilled trade the websocket delivered late is a duplicate");
  assert.equal(tracker.restTrade("ETH-USD", 11), true);
  assert.equal(tracker.restTrade("ETH-USD", 11), false);
});

test("the first trade after a restart, above the newest stored one, is a gap to backfill", () => {
  const handed: Array<{ firstTradeId: number; lastTradeId: number }> = [];
  const tracker = new FeedTracker({ now: NOW, onTradeGap: (gap) => handed.push(gap) });
  tracker.seed([], { recordRestartGap: true }, [{ productId: "BTC-USD", tradeId: 500, time: "2026-11-24 20:00:00.000000" }]);
  tracker.match("BTC-USD", 620, 9_000, "2026-11-24 21:00:00.000000", []);
  assert.deepEqual(handed.map((g) => [g.firstTradeId, g.lastTradeId]), [[501, 619]]);
});

test("after a restart of a live source, the first newer message records a restart window", () => {
  const tracker = new FeedTracker({ now: NOW });
  tracker.seed([{ productId: "BTC-USD", sequence: 96010000028, time: "2026-11-24 20:59:00.000000" }], { recordRestartGap: true });
  const { gaps } = feed(tracker, sampleLines());
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]!.kind, "restart");
  assert.equal(gaps[0]!.last_seen, 96010000028);
  assert.equal(gaps[0]!.next_seen, 96010000066);
});

test("a newest stored trade above the feed's first one (another source's numbers) does not silence gap detection", () => {
  const handed: Array<{ firstTradeId: number; lastTradeId: number }> = [];
  const foreign: number[] = [];
  const tracker = new FeedTracker({ now: NOW, onTradeGap: (gap) => handed.push(gap), onForeignNumbering: (_p, stored) => foreign.push(stored) });
  // A synthetic run left trade ids from the clock (≈ 1.7e15) in the database; the live feed's are ≈ 9e8.
  tracker.seed([], { recordRestartGap: true }, [{ productId: "BTC-USD", tradeId: 1_764_000_000_000_000, time: "2026-11-24 20:00:00.000000" }]);
  const at = "2026-11-24 21:00:00.000000";
  assert.equal(tracker.match("BTC-USD", 900_000_100, 1, at, []), true);
  tracker.match("BTC-USD", 900_000_101, 2, at, []);
  tracker.match("BTC-USD", 900_000_105, 3, at, []);
  assert.deepEqual(foreign, [1_764_000_000_000_000]);
  assert.deepEqual(handed.map((g) => [g.firstTradeId, g.lastTradeId]), [[900_000_102, 900_000_104]]);
});
