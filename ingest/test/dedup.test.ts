// Dedup by identity, end to end on the embedded engine: (product_id, sequence) for a ticker,
// (product_id, trade_id) for a trade. A repeat is stored once whether the in-memory window still
// holds it or not (the insert-time check asks the table); a late message never seen before is
// stored; a new run into a database that holds other data stores its own.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { realisticTickers } from "../../sql/testing/ticks";
import { startIngester } from "../src/main";
import { faultyClient, noFaults, one, sharedEngine, tempDir, testConfig } from "./helpers";

const engine = sharedEngine();

function feedFile(lines: readonly string[]): string {
  const path = join(tempDir("dedup"), "feed.ndjson");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

async function runToEnd(source: Record<string, unknown>, extra: Record<string, unknown> = {}, faults = noFaults()): Promise<{ duplicates: number }> {
  const ingester = await startIngester(testConfig({ source, ...extra }), { clickhouse: engine.handle, defaultMetrics: false, wrapClient: () => faultyClient(engine.client, faults) });
  assert.equal(await ingester.done, 0);
  return { duplicates: ingester.metrics.totals.duplicates };
}

async function tickCounts(): Promise<{ rows: number; unique: number }> {
  const r = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
  return { rows: Number(r.c), unique: Number(r.u) };
}

async function tradeCounts(): Promise<{ rows: number; unique: number; volume: string }> {
  const r = await one<{ c: string; u: string; v: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, trade_id) AS u, toString(sum(size)) AS v FROM coinbase_demo.trades");
  return { rows: Number(r.c), unique: Number(r.u), volume: r.v };
}

const match = (tradeId: number, size = "0.5") =>
  JSON.stringify({ type: "match", trade_id: tradeId, sequence: 5_000_000 + tradeId * 7, product_id: "SOL-USD", time: `2026-11-24T21:00:${String(tradeId % 60).padStart(2, "0")}.000001Z`, price: "180.25", size, side: "buy" });

test("a replay with 15 late ticks among 3,000 stores all 3,000 (a high-water mark stored 2,985)", async () => {
  const ticks = realisticTickers(3_000);
  const late = new Set(ticks.filter((_, i) => i % 150 === 75).slice(0, 15));
  const lines = [...ticks.filter((l) => !late.has(l)), ...late];
  await runToEnd({ type: "replay", path: feedFile(lines) });
  assert.deepEqual(await tickCounts(), { rows: 3_000, unique: 3_000 });
});

test("a synthetic run after a replay into the same database stores its ticks (its sequences start below the replayed ones)", async () => {
  await runToEnd({ type: "replay", path: feedFile(realisticTickers(500)) });
  await runToEnd({ type: "synthetic", rate: 20_000, products: ["BTC-USD", "ETH-USD"], limit: 800 });
  assert.deepEqual(await tickCounts(), { rows: 1_300, unique: 1_300 });
});

test("the same replay again (a new run, a new spool) stores nothing twice: the insert-time check asks the table", async () => {
  const path = feedFile([...realisticTickers(1_000), ...[1, 2, 3, 4, 5].map((id) => match(id))]);
  await runToEnd({ type: "replay", path });
  const second = await runToEnd({ type: "replay", path });
  assert.deepEqual(await tickCounts(), { rows: 1_000, unique: 1_000 });
  assert.deepEqual(await tradeCounts(), { rows: 5, unique: 5, volume: "2.5" });
  assert.equal(second.duplicates, 1_005, "each of them counted as a duplicate");
});

test("repeats older than the in-memory window (dedup.recent_ids) are still stored once; late never-seen trades are stored", async () => {
  const ticks = realisticTickers(400);
  const trades = Array.from({ length: 50 }, (_, i) => match(100 + i));
  // With a window of 8 identities, every repeat below is long forgotten by the pipeline.
  const lines = [...ticks, ...trades.slice(0, 40), ...ticks.slice(0, 100), ...trades.slice(0, 20), ...trades.slice(40), ...trades.slice(45)];
  await runToEnd({ type: "replay", path: feedFile(lines) }, { dedup: { recent_ids: 8 } });
  assert.deepEqual(await tickCounts(), { rows: 400, unique: 400 });
  assert.deepEqual(await tradeCounts(), { rows: 50, unique: 50, volume: "25" });
  const rollup = await one<{ n: string; v: string }>(engine.client, "SELECT sum(num_trades) AS n, toString(sum(volume)) AS v FROM coinbase_demo.trade_ohlcv_1m");
  assert.deepEqual({ n: Number(rollup.n), v: rollup.v }, { n: 50, v: "25" }, "the rollup counts each trade once (no duplicate ever reached the table)");
});

test("a block part of which is already stored: the rest is inserted under its own token, and a lost answer's retry stores it once", async () => {
  const ticks = realisticTickers(600);
  await runToEnd({ type: "replay", path: feedFile(ticks.slice(0, 300)) });
  // One block of 600 (300 stored already); the insert of the other 300 lands but its answer is lost.
  const faults = { ...noFaults(), loseAnswerNext: 1 };
  await runToEnd({ type: "replay", path: feedFile(ticks) }, { batch: { max_rows: 1_000, max_interval_ms: 60_000 } }, faults);
  assert.ok(faults.delivered >= 2, "the insert was retried after the lost answer");
  assert.deepEqual(await tickCounts(), { rows: 600, unique: 600 });
});

test("two synthetic runs into the same database: the second stores its ticks and trades too (numbers start from the clock)", async () => {
  await runToEnd({ type: "synthetic", rate: 20_000, products: ["BTC-USD", "ETH-USD"], limit: 300 });
  const first = await tradeCounts();
  await runToEnd({ type: "synthetic", rate: 20_000, products: ["BTC-USD", "ETH-USD"], limit: 300 });
  assert.deepEqual(await tickCounts(), { rows: 600, unique: 600 });
  const both = await tradeCounts();
  assert.ok(first.rows >= 300, `the first run's trades (${first.rows})`);
  assert.ok(both.rows > first.rows && both.rows === both.unique, `the second run added its own trades (${first.rows} → ${both.rows})`);
});
