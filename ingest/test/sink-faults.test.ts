// The embedded engine is the sink; faults are injected on the ClickHouse connection. Whatever
// happens to an insert, every valid tick ends up stored exactly once (rollups included).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { startIngester } from "../src/main";
import { realisticTickers } from "../../sql/testing/ticks";
import { faultyClient, noFaults, one, rows, sharedEngine, tempDir, testConfig, type Faults } from "./helpers";

const engine = sharedEngine();

const TICKS = 3_000;

function replayFile(): { path: string; valid: number } {
  const ticks = realisticTickers(TICKS);
  // Duplicates (a tick sent twice, as after a resubscribe) are part of real traffic.
  const lines = [...ticks.slice(0, 1500), ticks[100]!, ticks[1499]!, ...ticks.slice(1500)];
  const path = join(tempDir("replay"), "feed.ndjson");
  writeFileSync(path, lines.join("\n") + "\n");
  return { path, valid: TICKS };
}

async function run(faults: Faults, extra: Record<string, unknown> = {}, corrupt?: (line: string) => string) {
  const { path, valid } = replayFile();
  const config = testConfig({ source: { type: "replay", path }, ...extra });
  const handle = engine.handle;
  const faulty = faultyClient(engine.client, faults);
  const wrap = corrupt
    ? {
        query: faulty.query,
        exec: async (params: Parameters<typeof faulty.exec>[0]) => {
          if (!("values" in params) || !/coinbase_ticker/.test(params.query)) return faulty.exec(params);
          let body = "";
          for await (const chunk of params.values as Readable) body += String(chunk);
          const changed = body.split("\n").map(corrupt).join("\n");
          return faulty.exec({ ...params, values: Readable.from([changed], { objectMode: false }) });
        },
      }
    : faulty;
  const ingester = await startIngester(config, { clickhouse: handle, wrapClient: () => wrap, defaultMetrics: false });
  const code = await ingester.done;
  return { code, valid, ingester };
}

async function assertStoredOnce(expected: number) {
  const stats = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
  assert.equal(Number(stats.c), expected, "every valid tick stored");
  assert.equal(Number(stats.u), expected, "no tick stored twice");
  const rollup = await one<{ n: string }>(engine.client, "SELECT sum(num_ticks) AS n FROM coinbase_demo.trades_per_minute");
  assert.equal(Number(rollup.n), expected, "the per-minute rollup counted each tick once");
}

test("no faults: every valid tick stored once, duplicates in the feed skipped", async () => {
  const faults = noFaults();
  const { code, valid, ingester } = await run(faults);
  assert.equal(code, 0);
  await assertStoredOnce(valid);
  assert.equal(ingester.metrics.totals.duplicates, 2);
  assert.equal(ingester.metrics.totals.stored, valid);
});

test("inserts failing 6 times in a row (network errors) are retried: no loss, no duplicates", async () => {
  const faults = { ...noFaults(), failNext: 6 };
  const { code, valid } = await run(faults);
  assert.equal(code, 0);
  assert.equal(faults.failNext, 0, "all injected failures were hit");
  await assertStoredOnce(valid);
});

test("an insert stored by ClickHouse whose answer is lost is retried with the same token and stored once", async () => {
  const faults = { ...noFaults(), loseAnswerNext: 4 };
  const { code, valid } = await run(faults);
  assert.equal(code, 0);
  assert.equal(faults.loseAnswerNext, 0);
  assert.ok(faults.delivered >= 4 + Math.ceil(TICKS / 500), `the lost answers were retried (delivered ${faults.delivered})`);
  await assertStoredOnce(valid);
});

test("hanging inserts time out and are retried: no loss, no duplicates", async () => {
  const faults = { ...noFaults(), hangNext: 2 };
  const { code, valid } = await run(faults, { sink: { type: "embedded", path: "(injected)", request_timeout_ms: 300, retry: { initial_ms: 20, max_ms: 100 } } });
  assert.equal(code, 0);
  assert.equal(faults.hangNext, 0);
  await assertStoredOnce(valid);
});

test("a slow ClickHouse backs rows up (bounded memory, the rest on disk) and still stores each once", async () => {
  const faults = { ...noFaults(), delayMs: 150 };
  const seenUncached: number[] = [];
  const { path, valid } = replayFile();
  const config = testConfig({ source: { type: "replay", path }, batch: { max_rows: 200, max_interval_ms: 50, max_buffered_rows: 400 } });
  const handle = engine.handle;
  const ingester = await startIngester(config, {
    clickhouse: handle,
    wrapClient: (c) => faultyClient(engine.client, faults) ?? c,
    defaultMetrics: false,
    onCommit: (block) => {
      if (!block.text) seenUncached.push(block.rows);
    },
  });
  assert.equal(await ingester.done, 0);
  assert.ok(seenUncached.length > 0, "some blocks waited on disk only (memory bound reached)");
  await assertStoredOnce(valid);
});

test("a row ClickHouse refuses is found by splitting the batch and dead-lettered; the rest is stored", async () => {
  const faults = noFaults();
  let target: string | undefined;
  // Ticker rows travel as TabSeparated lines whose first field is the time: one row's time is
  // made unreadable on its way to ClickHouse.
  const { code, valid } = await run(faults, {}, (line) => {
    if (target === undefined && line.length > 0) target = line;
    return line === target ? `x${line}` : line;
  });
  assert.equal(code, 0);
  await assertStoredOnce(valid - 1);
  const dead = await rows<{ source: string; reason: string; raw: string }>(engine.client, "SELECT source, reason, raw FROM coinbase_demo.ingest_dead_letters");
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.source, "clickhouse");
  assert.match(dead[0]!.reason, /coinbase_ticker refused the row: ClickHouse \d+/);
  assert.equal(dead[0]!.raw, target, "the dead letter keeps the row as the ingester had it");
});

test("SIGTERM-style stop while ClickHouse hangs: stops within the deadline, and the next start stores the rows once", async () => {
  const { path, valid } = replayFile();
  const spoolDir = tempDir("spool");
  const handle = engine.handle;
  const stuck = { ...noFaults(), hangNext: 1_000_000 };
  const first = await startIngester(
    testConfig({
      source: { type: "replay", path },
      spool: { dir: spoolDir },
      sink: { type: "embedded", path: "(injected)", request_timeout_ms: 60_000 },
      shutdown_timeout_ms: 500,
    }),
    { clickhouse: handle, wrapClient: () => faultyClient(engine.client, stuck), defaultMetrics: false },
  );
  await new Promise((r) => setTimeout(r, 500));
  const stopping = Date.now();
  assert.equal(await first.stop("test: SIGTERM"), 0);
  assert.ok(Date.now() - stopping < 3_000, `stopped in ${Date.now() - stopping} ms despite an insert hanging for 60 s`);
  assert.equal(Number((await one<{ c: string }>(engine.client, "SELECT count() AS c FROM coinbase_demo.coinbase_ticker")).c), 0);

  // Next start, same spool, nothing new to read: the spool alone brings every row in, once.
  const empty = join(tempDir("replay"), "empty.ndjson");
  writeFileSync(empty, "");
  const second = await startIngester(testConfig({ source: { type: "replay", path: empty }, spool: { dir: spoolDir } }), {
    clickhouse: handle,
    defaultMetrics: false,
  });
  assert.equal(await second.done, 0);
  await assertStoredOnce(valid);
});
