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
  const result = feed(new FeedTracker(NOW), sampleLines());
  assert.equal(result.stored, 36);
  assert.equal(result.duplicates, 0);
  assert.deepEqual(result.gaps, []);
});

test("a ticker at or below the last sequence of its product is a duplicate; other products are independent", () => {
  const lines = sampleLines();
  const tickers = lines.filter((l) => decode(l).kind === "ticker");
  const replayed = [...tickers, tickers[3]!, tickers[10]!, tickers[tickers.length - 1]!];
  const result = feed(new FeedTracker(NOW), replayed);
  assert.equal(result.stored, 36);
  assert.equal(result.duplicates, 3);
});

test("seeding with the newest stored sequence makes a restart skip what is stored", () => {
  const tickers = sampleLines().filter((l) => decode(l).kind === "ticker");
  const first = new FeedTracker(NOW);
  feed(first, tickers.slice(0, 20));
  const newest = new Map<string, { sequence: number; time: string }>();
  for (const l of tickers.slice(0, 20)) {
    const d = decode(l);
    if (d.kind === "ticker") newest.set(d.productId, { sequence: d.sequence, time: d.time });
  }
  const restarted = new FeedTracker(NOW);
  restarted.seed([...newest].map(([productId, s]) => ({ productId, ...s })), { recordRestartGap: false });
  const result = feed(restarted, tickers);
  assert.equal(result.stored, 16);
  assert.equal(result.duplicates, 20);
  assert.deepEqual(result.gaps, []);
});

test("a reconnect records one outage window per product, closed by its next message", () => {
  const lines = sampleLines();
  const tracker = new FeedTracker(NOW);
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
  const result = feed(new FeedTracker(NOW), [m(100, 1000, 0), m(101, 1017, 1), m(105, 1090, 2), m(105, 1090, 2), m(106, 1100, 3)]);
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

test("after a restart of a live source, the first newer message records a restart window", () => {
  const tracker = new FeedTracker(NOW);
  tracker.seed([{ productId: "BTC-USD", sequence: 96010000028, time: "2026-11-24 20:59:00.000000" }], { recordRestartGap: true });
  const { gaps } = feed(tracker, sampleLines());
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]!.kind, "restart");
  assert.equal(gaps[0]!.last_seen, 96010000028);
  assert.equal(gaps[0]!.next_seen, 96010000066);
});
