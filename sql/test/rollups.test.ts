// Every rollup equals the same aggregate computed from the raw rows; retried batches are stored
// once in the raw table and in every rollup; a migration that adds a rollup backfills it.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ClickHouseClient } from "@clickhouse/client";
import { MIGRATIONS_DIR } from "../src/migrations";
import { migrate } from "../src/runner";
import { openMigratedEngine, openTestEngine, suiteEngine, whileWriting } from "../testing/engine";
import { batches, formatTime, generateTicks, shuffled, type TickRow } from "../testing/ticks";

const RAW = "coinbase_demo.coinbase_ticker";
const INSERT_SETTINGS = { async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 } as const;

async function insertBatch(client: ClickHouseClient, rows: TickRow[], token: string): Promise<void> {
  await client.insert({ table: RAW, values: rows, format: "JSONEachRow", clickhouse_settings: { ...INSERT_SETTINGS, insert_deduplication_token: token } });
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const r = await client.query({ query, format: "JSONEachRow", clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return r.json<T>();
}

/** Each rollup read back (merged at query time) next to the same aggregate over the raw table. */
const ROLLUP_VS_RAW: Record<string, { rollup: string; raw: string }> = {
  trades_per_minute: {
    rollup: `SELECT product_id, minute, sum(num_ticks) AS ticks, sum(num_trades) AS trades, sum(volume) AS volume,
                    toString(max(last_tick_at)) AS last_tick, toString(max(last_ingested_at)) AS last_ingest
             FROM coinbase_demo.trades_per_minute GROUP BY product_id, minute ORDER BY product_id, minute`,
    raw: `SELECT product_id, toStartOfMinute(time) AS minute, count() AS ticks, countIf(last_size > 0) AS trades, sum(last_size) AS volume,
                 toString(max(time)) AS last_tick, toString(max(ingested_at)) AS last_ingest
          FROM ${RAW} GROUP BY product_id, minute ORDER BY product_id, minute`,
  },
  vwap_5m: {
    rollup: `SELECT product_id, bucket, sum(price_volume) AS pv, sum(volume) AS v, sum(num_trades) AS n
             FROM coinbase_demo.vwap_5m GROUP BY product_id, bucket ORDER BY product_id, bucket`,
    raw: `SELECT product_id, toStartOfInterval(time, INTERVAL 5 MINUTE) AS bucket, sum(price * last_size) AS pv, sum(last_size) AS v, count() AS n
          FROM ${RAW} WHERE last_size > 0 AND price > 0 GROUP BY product_id, bucket ORDER BY product_id, bucket`,
  },
  ohlcv_1m: {
    rollup: `SELECT product_id, minute, argMinMerge(open) AS o, max(high) AS h, min(low) AS l, argMaxMerge(close) AS c, sum(volume) AS v, sum(num_trades) AS n
             FROM coinbase_demo.ohlcv_1m GROUP BY product_id, minute ORDER BY product_id, minute`,
    raw: `SELECT product_id, toStartOfMinute(time) AS minute, argMin(price, (time, sequence)) AS o, max(price) AS h, min(price) AS l,
                 argMax(price, (time, sequence)) AS c, sum(last_size) AS v, count() AS n
          FROM ${RAW} WHERE price > 0 GROUP BY product_id, minute ORDER BY product_id, minute`,
  },
};

async function assertRollupsMatchRaw(client: ClickHouseClient): Promise<void> {
  for (const [name, { rollup, raw }] of Object.entries(ROLLUP_VS_RAW)) {
    const fromRollup = await rows<Record<string, unknown>>(client, rollup);
    const fromRaw = await rows<Record<string, unknown>>(client, raw);
    assert.ok(fromRaw.length > 0, `${name}: the raw aggregate has rows`);
    assert.equal(fromRollup.length, fromRaw.length, `${name}: as many groups as the raw aggregate`);
    fromRaw.forEach((expected, i) => assertRowClose(fromRollup[i]!, expected, `${name} row ${i}`));
  }
}

/** Equal keys and values; floats within 1e-9 relative (sums in another order differ in the last bits). */
function assertRowClose(actual: Record<string, unknown>, expected: Record<string, unknown>, where: string): void {
  assert.deepEqual(Object.keys(actual), Object.keys(expected), `${where}: columns`);
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key];
    if (typeof want === "number" && typeof got === "number" && !Number.isInteger(want)) {
      assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${where}: ${key} is ${got}, raw gives ${want}`);
    } else {
      assert.equal(got, want, `${where}: ${key} (${JSON.stringify(expected)})`);
    }
  }
}

const START = Date.UTC(2026, 10, 24, 21, 0, 0);

describe("rollups on generated data", () => {
  const engine = suiteEngine(openMigratedEngine);

  test("out-of-order batches and late rows: every rollup equals the raw aggregate", async () => {
    const ticks = generateTicks({ perProduct: 3_000, startMs: START, meanGapMs: 300, seed: 11 });
    // Late rows: the last 10% of each product arrive first, then the rest shuffled across batches.
    const late = ticks.filter((_, i) => i % 10 === 9);
    const rest = shuffled(ticks.filter((_, i) => i % 10 !== 9), 3);
    let n = 0;
    for (const batch of batches(rest, 997)) await insertBatch(engine.client, batch, `batch-${n++}`);
    for (const batch of batches(late, 500)) await insertBatch(engine.client, batch, `late-${n++}`);
    const [count] = await rows<{ n: number }>(engine.client, `SELECT count() AS n FROM ${RAW}`);
    assert.equal(count!.n, ticks.length);
    await assertRollupsMatchRaw(engine.client);
    // Merges must not change the answer either.
    for (const t of ["trades_per_minute", "vwap_5m", "ohlcv_1m"]) await engine.client.command({ query: `OPTIMIZE TABLE coinbase_demo.${t} FINAL` });
    await assertRollupsMatchRaw(engine.client);
  });

  test("a batch inserted twice with the same dedup token is stored once, in the raw table and every rollup", async () => {
    const ticks = generateTicks({ perProduct: 200, startMs: START + 3_600_000, seed: 5, products: ["BTC-USD", "ETH-USD"] });
    const sums = async () => ({
      raw: (await rows<{ n: number }>(engine.client, `SELECT count() AS n FROM ${RAW}`))[0]!.n,
      tpm: (await rows<{ n: number }>(engine.client, `SELECT sum(num_ticks) AS n FROM coinbase_demo.trades_per_minute`))[0]!.n,
      vwap: (await rows<{ n: number }>(engine.client, `SELECT sum(num_trades) AS n FROM coinbase_demo.vwap_5m`))[0]!.n,
      ohlc: (await rows<{ n: number }>(engine.client, `SELECT sum(num_trades) AS n FROM coinbase_demo.ohlcv_1m`))[0]!.n,
    });
    const before = await sums();
    await insertBatch(engine.client, ticks, "retry-me");
    const once = await sums();
    await insertBatch(engine.client, ticks, "retry-me"); // the retry
    const twice = await sums();
    assert.equal(once.raw - before.raw, ticks.length);
    assert.deepEqual(twice, once, "the retried batch changed nothing");
    // A different token is a different batch: stored (this is what the token is for).
    await insertBatch(engine.client, ticks.slice(0, 10), "another-batch");
    assert.equal((await sums()).raw, once.raw + 10);
    await assertRollupsMatchRaw(engine.client);
  });

  test("5-minute VWAP from the rollup equals an independent computation (relative tolerance 1e-9)", async () => {
    const fromRollup = await rows<{ product_id: string; bucket: string; vwap: number }>(
      engine.client,
      `SELECT product_id, toString(bucket) AS bucket, sum(price_volume) / sum(volume) AS vwap FROM coinbase_demo.vwap_5m GROUP BY product_id, bucket HAVING sum(volume) > 0`,
    );
    const raw = await rows<{ product_id: string; time: string; price: number; last_size: number }>(
      engine.client,
      `SELECT product_id, toString(time) AS time, price, last_size FROM ${RAW}`,
    );
    const acc = new Map<string, { pv: number; v: number }>();
    for (const r of raw) {
      if (!(r.last_size > 0 && r.price > 0)) continue;
      const t = Date.parse(r.time.replace(" ", "T") + "Z");
      const bucket = new Date(Math.floor(t / 300_000) * 300_000).toISOString().slice(0, 19).replace("T", " ");
      const key = `${r.product_id}|${bucket}`;
      const a = acc.get(key) ?? { pv: 0, v: 0 };
      a.pv += r.price * r.last_size;
      a.v += r.last_size;
      acc.set(key, a);
    }
    assert.equal(fromRollup.length, [...acc.values()].filter((a) => a.v > 0).length);
    for (const r of fromRollup) {
      const a = acc.get(`${r.product_id}|${r.bucket}`);
      assert.ok(a, `bucket ${r.product_id} ${r.bucket} computed independently`);
      const expected = a.pv / a.v;
      assert.ok(Math.abs(r.vwap - expected) / expected < 1e-9, `${r.product_id} ${r.bucket}: rollup ${r.vwap} vs ${expected}`);
    }
  });
});

describe("a migration that adds a rollup backfills it from the raw data already there", () => {
  test("rows stored before the rollup existed are counted once, rows after by the view", async () => {
    const dir = mkdtempSync(join(tmpdir(), "streamstack-partial-"));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    for (const f of ["003_add_trades_per_minute_rollup.sql", "004_add_vwap_5m_rollup.sql", "005_add_ohlcv_1m_rollup.sql"]) unlinkSync(join(dir, f));
    const engine = await openTestEngine();
    try {
      await migrate(engine.client, { migrationsDir: dir, manageAccess: false, backfillGuardMs: 0, backfillSettleMs: 0 });
      const ticks = generateTicks({ perProduct: 1_000, startMs: START, seed: 21 });
      await insertBatch(engine.client, ticks.slice(0, 2_000), "before-rollups");
      // Now the full set: 003-005 create the views and backfill what is already there.
      const result = await migrate(engine.client, { manageAccess: false, backfillGuardMs: 0, backfillSettleMs: 0 });
      assert.deepEqual(result.applied, ["003_add_trades_per_minute_rollup", "004_add_vwap_5m_rollup", "005_add_ohlcv_1m_rollup"]);
      await insertBatch(engine.client, ticks.slice(2_000), "after-rollups");
      await assertRollupsMatchRaw(engine.client);
      const [tpm] = await rows<{ n: number }>(engine.client, "SELECT sum(num_ticks) AS n FROM coinbase_demo.trades_per_minute");
      assert.equal(tpm!.n, ticks.length);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the cutoff splits rows exactly: a row stamped just before it goes to the backfill, one after to the view", async () => {
    const engine = await openTestEngine();
    try {
      const dir = mkdtempSync(join(tmpdir(), "streamstack-partial-"));
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      for (const f of ["003_add_trades_per_minute_rollup.sql", "004_add_vwap_5m_rollup.sql", "005_add_ohlcv_1m_rollup.sql"]) unlinkSync(join(dir, f));
      await migrate(engine.client, { migrationsDir: dir, manageAccess: false });
      rmSync(dir, { recursive: true, force: true });
      // While 003 runs with a 1.5 s guard, keep inserting one row every 100 ms.
      const ticks = generateTicks({ perProduct: 400, startMs: START, seed: 4, products: ["BTC-USD"] });
      const i = await whileWriting(
        ticks.length,
        (n) => insertBatch(engine.client, [ticks[n]!], `row-${n}`),
        () => migrate(engine.client, { manageAccess: false, backfillGuardMs: 1_500, backfillSettleMs: 500 }),
      );
      assert.ok(i > 20, `rows were written during the migration (${i})`);
      await assertRollupsMatchRaw(engine.client);
    } finally {
      await engine.close();
    }
  });
});

test("formatTime keeps microseconds", () => {
  assert.equal(formatTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678) * 1000 + 901), "2026-01-02 03:04:05.678901");
});
