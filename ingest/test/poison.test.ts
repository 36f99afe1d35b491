// Blocks ClickHouse refuses deterministically must not stall the ingester: a block is sealed before
// its ticks span too many days (coinbase_ticker is partitioned by day), a refused block is split in
// halves down to single rows, and what still fails is dead-lettered with ClickHouse's error. Only
// transient errors are retried. Runs against the embedded engine; nothing of ClickHouse is faked.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { realisticTickers } from "../../sql/testing/ticks";
import { decode } from "../src/pipeline/decode";
import { Spool } from "../src/pipeline/spool";
import { startIngester, type RunningIngester } from "../src/main";
import { classifyInsertError, INSERT_ERROR_CODES } from "../src/sinks/errors";
import { InsertTimeout } from "../src/sinks/clickhouse";
import { one, rows, sharedEngine, tempDir, testConfig } from "./helpers";

const engine = sharedEngine();

const DAY_MS = 86_400_000;

/** `count` ticker messages; the first `days` of them one per day from 2025-01-01 (the rest as generated). */
function ticksOverDays(count: number, days: number): string[] {
  return realisticTickers(count).map((line, i) => {
    if (i >= days) return line;
    const message = JSON.parse(line) as Record<string, unknown>;
    message.time = new Date(Date.UTC(2025, 0, 1) + i * DAY_MS + i).toISOString().replace("Z", "123Z");
    return JSON.stringify(message);
  });
}

function feedFile(lines: readonly string[]): string {
  const path = join(tempDir("poison"), "feed.ndjson");
  writeFileSync(path, lines.length > 0 ? lines.join("\n") + "\n" : "");
  return path;
}

/** The exit code, or "stalled" when the ingester is still not done after `ms` (then it is stopped). */
async function doneWithin(ingester: RunningIngester, ms: number): Promise<number | "stalled"> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([ingester.done, new Promise<"stalled">((r) => (timer = setTimeout(() => r("stalled"), ms)))]);
  clearTimeout(timer);
  if (result === "stalled") await ingester.stop("test: stalled");
  return result;
}

async function counts(): Promise<{ ticks: number; unique: number; dead: number }> {
  const t = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
  const d = await one<{ c: string }>(engine.client, "SELECT count() AS c FROM coinbase_demo.ingest_dead_letters");
  return { ticks: Number(t.c), unique: Number(t.u), dead: Number(d.c) };
}

test("150 ticks on 150 different days in one replay: blocks are sealed before they span too many days, every tick is stored, none refused", async () => {
  const path = feedFile(ticksOverDays(400, 150));
  const ingester = await startIngester(testConfig({ source: { type: "replay", path }, shutdown_timeout_ms: 1_000 }), { clickhouse: engine.handle, defaultMetrics: false });
  assert.equal(await doneWithin(ingester, 30_000), 0, "the replay finished (it stalled on a refused block before)");
  assert.deepEqual(await counts(), { ticks: 400, unique: 400, dead: 0 });
  const errors = (await ingester.metrics.registry.getSingleMetric("ingest_insert_errors_total")!.get()).values;
  assert.equal(errors.reduce((n, v) => n + v.value, 0), 0, `no insert was refused: ${JSON.stringify(errors)}`);
});

test("a block spanning 150 days already in the spool (as written before the day limit) is split until ClickHouse takes it, also after a restart", async () => {
  const spoolDir = tempDir("spool");
  const opened = Spool.open(spoolDir, { segmentBytes: 64 * 1024 ** 2, fsync: false });
  const lines = ticksOverDays(150, 150).map((m) => {
    const d = decode(m);
    assert.equal(d.kind, "ticker");
    return d.kind === "ticker" ? d.line : "";
  });
  opened.spool.appendRows("ticker", lines);
  assert.equal(opened.spool.seal()!.rows, 150);
  opened.spool.close();

  const ingester = await startIngester(testConfig({ source: { type: "replay", path: feedFile([]) }, spool: { dir: spoolDir }, shutdown_timeout_ms: 1_000 }), {
    clickhouse: engine.handle,
    defaultMetrics: false,
  });
  assert.equal(await doneWithin(ingester, 30_000), 0, "the spooled block was stored (it was retried forever before)");
  assert.deepEqual(await counts(), { ticks: 150, unique: 150, dead: 0 });
});

test("a row ClickHouse refuses for a reason other than parsing (a CHECK constraint, code 469) is dead-lettered with the error, and the blocks after it are stored", async () => {
  await engine.client.command({ query: "ALTER TABLE coinbase_demo.coinbase_ticker ADD CONSTRAINT test_price_cap CHECK price < 1000000" });
  try {
    const ticks = realisticTickers(1_200);
    const poison = JSON.parse(ticks[100]!) as Record<string, unknown>;
    poison.price = "2000000.00";
    ticks[100] = JSON.stringify(poison);
    const path = feedFile(ticks);
    const ingester = await startIngester(testConfig({ source: { type: "replay", path }, shutdown_timeout_ms: 1_000 }), { clickhouse: engine.handle, defaultMetrics: false });
    assert.equal(await doneWithin(ingester, 30_000), 0, "the replay finished (the refused block was retried forever before)");
    assert.deepEqual(await counts(), { ticks: 1_199, unique: 1_199, dead: 1 });
    const [dead] = await rows<{ source: string; reason: string; raw: string }>(engine.client, "SELECT source, reason, raw FROM coinbase_demo.ingest_dead_letters");
    assert.equal(dead!.source, "clickhouse");
    assert.match(dead!.reason, /coinbase_ticker refused the row: ClickHouse 469 VIOLATED_CONSTRAINT: .*test_price_cap/);
    assert.match(dead!.raw, /\t2000000(\.0+)?\t/);
  } finally {
    await engine.client.command({ query: "ALTER TABLE coinbase_demo.coinbase_ticker DROP CONSTRAINT test_price_cap" });
  }
});

test("a dead letter ClickHouse itself refuses is kept in the spool's quarantine/, not dropped", async () => {
  await engine.client.command({ query: "ALTER TABLE coinbase_demo.ingest_dead_letters ADD CONSTRAINT test_no_na CHECK reason NOT LIKE '%n/a%'" });
  try {
    const ticks = realisticTickers(300);
    const bad = JSON.stringify({ ...(JSON.parse(ticks[10]!) as Record<string, unknown>), price: "n/a" });
    const spoolDir = tempDir("spool");
    const ingester = await startIngester(testConfig({ source: { type: "replay", path: feedFile([...ticks, bad]) }, spool: { dir: spoolDir }, shutdown_timeout_ms: 1_000 }), {
      clickhouse: engine.handle,
      defaultMetrics: false,
    });
    assert.equal(await doneWithin(ingester, 30_000), 0);
    assert.deepEqual(await counts(), { ticks: 300, unique: 300, dead: 0 });
    const kept = readdirSync(join(spoolDir, "quarantine"));
    assert.equal(kept.length, 1, kept.join(", "));
    assert.match(kept[0]!, /_refused-by-coinbase_demo\.ingest_dead_letters$/);
    const row = JSON.parse(readFileSync(join(spoolDir, "quarantine", kept[0]!), "utf8")) as { raw: string; reason: string };
    assert.equal(row.raw, bad, "the dead letter as it was sent, to be stored by hand");
  } finally {
    await engine.client.command({ query: "ALTER TABLE coinbase_demo.ingest_dead_letters DROP CONSTRAINT test_no_na" });
  }
});

test("errors are classed by a table of codes whose names are ClickHouse's own; only transient ones are retried", async () => {
  // The table's names are the engine's (errorCodeToName), so a code cannot be misremembered.
  const codes = Object.keys(INSERT_ERROR_CODES).map(Number);
  const named = await rows<{ code: string; name: string }>(
    engine.client,
    `SELECT toString(number) AS code, errorCodeToName(number) AS name FROM system.numbers WHERE number IN (${codes.join(",")}) LIMIT ${codes.length}`,
  );
  assert.equal(named.length, codes.length);
  for (const { code, name } of named) assert.equal(INSERT_ERROR_CODES[Number(code)]!.name, name, `code ${code}`);

  const ch = (code: number, type: string, message: string) => Object.assign(new Error(message), { code: String(code), type });
  const partitions = ch(252, "TOO_MANY_PARTS", "Too many partitions for single INSERT block (more than 100). The limit is controlled by 'max_partitions_per_insert_block' setting.");
  const merges = ch(252, "TOO_MANY_PARTS", "Too many parts (3000 with average size of 1.20 MiB) in table 'db.t'. Merges are processing significantly slower than inserts");
  const cases: Array<[unknown, string, boolean]> = [
    [partitions, "refused", false],
    [merges, "retryable", false],
    [ch(241, "MEMORY_LIMIT_EXCEEDED", "Memory limit (total) exceeded"), "retryable", false],
    [ch(202, "TOO_MANY_SIMULTANEOUS_QUERIES", "Too many simultaneous queries"), "retryable", false],
    [ch(469, "VIOLATED_CONSTRAINT", "Constraint `c` for table t is violated"), "refused", false],
    [ch(27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "Cannot parse input"), "refused", false],
    [ch(60, "UNKNOWN_TABLE", "Table x does not exist"), "retryable", true],
    [ch(516, "AUTHENTICATION_FAILED", "Authentication failed"), "retryable", true],
    [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123"), { code: "ECONNREFUSED" }), "retryable", false],
    [new InsertTimeout("insert took longer than 30000 ms"), "retryable", false],
  ];
  for (const [err, cls, operator] of cases) {
    const classified = classifyInsertError(err);
    assert.equal(classified.class, cls, classified.summary);
    assert.equal(classified.needsOperator, operator, classified.summary);
  }
});
