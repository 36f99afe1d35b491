// kill -9 mid-stream, then restart: everything that reached the spool is stored exactly once.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openTestEngine } from "../../sql/testing/engine";
import { tickerRowOf } from "../src/pipeline/decode";
import { Spool } from "../src/pipeline/spool";
import { realisticTickers } from "../../sql/testing/ticks";
import { one, rows, tempDir } from "./helpers";
import { runCli } from "./process";

const TICKS = 30_000;

function config(dir: string, feed: string): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    path,
    `source: { type: replay, path: ${JSON.stringify(feed)} }
sink: { type: embedded, path: ${JSON.stringify(join(dir, "data"))} }
spool: { dir: ${JSON.stringify(join(dir, "spool"))} }
batch: { max_rows: 2000, max_interval_ms: 200 }
metrics: { port: 0, host: 127.0.0.1 }
`,
  );
  return path;
}

async function storedKeys(dir: string): Promise<Set<string>> {
  const engine = await openTestEngine({ dir: join(dir, "data") });
  try {
    const r = await rows<{ k: string }>(engine.client, "SELECT concat(product_id, ':', toString(sequence)) AS k FROM coinbase_demo.coinbase_ticker");
    return new Set(r.map((x) => x.k));
  } finally {
    await engine.close({ keepDir: true });
  }
}

async function countAndUnique(dir: string): Promise<{ count: number; unique: number }> {
  const engine = await openTestEngine({ dir: join(dir, "data") });
  try {
    const r = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
    const rollup = await one<{ n: string }>(engine.client, "SELECT sum(num_ticks) AS n FROM coinbase_demo.trades_per_minute");
    assert.equal(Number(rollup.n), Number(r.c), "the rollup counted each stored tick once");
    return { count: Number(r.c), unique: Number(r.u) };
  } finally {
    await engine.close({ keepDir: true });
  }
}

test("kill -9 mid-stream, restart: each tick that reached the spool is stored exactly once", async () => {
  const dir = tempDir("crash");
  const feed = join(dir, "feed.ndjson");
  writeFileSync(feed, realisticTickers(TICKS).join("\n") + "\n");
  const empty = join(dir, "empty.ndjson");
  writeFileSync(empty, "");

  // 1. Run, and kill -9 once some blocks are committed while more are in flight.
  const first = runCli(config(dir, feed));
  const serving = await first.waitForLog((l) => l.msg === "serving /metrics and /healthz");
  const metricsUrl = `http://127.0.0.1:${String(serving.port)}/metrics`;
  for (;;) {
    const text = await (await fetch(metricsUrl)).text();
    const stored = Number(/ingest_rows_stored_total\{table="ticker"\} (\d+)/.exec(text)?.[1] ?? 0);
    if (stored >= 4_000) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  first.child.kill("SIGKILL");
  assert.equal(await first.exited, "SIGKILL");

  // 2. What the crash left: rows in ClickHouse, and rows in the spool not yet checkpointed.
  const stored = await storedKeys(dir);
  const { spool, recovered } = Spool.open(join(dir, "spool"), { segmentBytes: 64 * 1024 ** 2, fsync: false });
  const pending = new Set<string>();
  for (const block of recovered.blocks) for (const line of spool.read(block).ticker) pending.add(key(line));
  for (const line of recovered.openLines.ticker) pending.add(key(line));
  spool.close();
  assert.ok(stored.size > 0 && stored.size < TICKS, `killed mid-stream (stored ${stored.size})`);
  assert.ok(pending.size > 0, "rows were waiting in the spool when the process died");
  const expected = new Set([...stored, ...pending]).size;
  if (process.env.INGEST_TEST_DEBUG) console.error({ stored: stored.size, pending: pending.size, expected });

  // 3. Restart with nothing new to read: the spool alone is replayed, and the process exits 0.
  const second = runCli(config(dir, empty));
  assert.equal(await second.exited, 0, second.stderr.join(""));
  const afterReplay = await countAndUnique(dir);
  assert.equal(afterReplay.count, expected, "everything that reached the spool is stored");
  assert.equal(afterReplay.unique, afterReplay.count, "and nothing twice");

  // 4. Restart with the whole feed again: stored ticks are recognised, the rest is stored once.
  const third = runCli(config(dir, feed));
  assert.equal(await third.exited, 0, third.stderr.join(""));
  const final = await countAndUnique(dir);
  assert.equal(final.count, TICKS);
  assert.equal(final.unique, TICKS);
});

function key(line: string): string {
  const row = tickerRowOf(line);
  return `${row.product_id}:${row.sequence}`;
}
