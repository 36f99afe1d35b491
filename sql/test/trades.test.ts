// Issue 14, every trade exactly once: the trades table (006), backfill_gaps (007) and the exact
// rollups (008–009) on the embedded engine. The rollups, read through the named queries, equal a
// BigInt reference (sql/testing/trades.ts) string for string; a retried insert is stored once; a
// migration backfills the rollups from trades already stored; FINAL is the raw table's backstop;
// the gap and per-source queries count the right things on hand-made data.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ClickHouseClient } from "@clickhouse/client";
import { loadMigrations, MIGRATIONS_DIR } from "../src/migrations";
import { loadQuery, type NamedQuery } from "../src/queries";
import { TRADE_COLUMNS } from "../src/rows";
import { migrate } from "../src/runner";
import { openMigratedEngine, openTestEngine, suiteEngine, whileWriting } from "../testing/engine";
import { clickhouseTimeOf, compareTradeRollups, rollupWindowOf, tradeInputOf } from "../testing/exactness";
import { batches, formatTime, generateTicks, shuffled } from "../testing/ticks";
import {
  exactOhlcv1m,
  exactVwap5m,
  formatDecimal,
  generateTrades,
  insertTrades,
  parseDecimal,
  tradeLine,
  type TradeInput,
  type TradeLineInput,
} from "../testing/trades";
import { runNamedQuery } from "../testing/namedQuery";

const FAST = { backfillGuardMs: 0, backfillSettleMs: 0, manageAccess: false } as const;
const START = new Date(Date.UTC(2026, 10, 24, 21, 0, 0)); // a 5-minute boundary
const T0 = START.getTime();
const sec = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
const at = (minute: number, second = 0, base = T0) => formatTime((base + minute * 60_000 + second * 1000) * 1000);
const TRADE_VIEWS = ["trades", "backfill_gaps", "trade_ohlcv_1m", "trade_ohlcv_1m_mv", "trade_vwap_5m", "trade_vwap_5m_mv"];

const run = runNamedQuery;

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const r = await client.query({ query, format: "JSONEachRow", clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return r.json<T>();
}

async function count(client: ClickHouseClient, query: string): Promise<number> {
  return Number((await rows<{ n: number }>(client, query))[0]!.n);
}

/** Trade counts in the raw table (as stored, and FINAL) and in each rollup. */
async function counts(client: ClickHouseClient) {
  return {
    raw: await count(client, "SELECT count() AS n FROM coinbase_demo.trades"),
    final: await count(client, "SELECT count() AS n FROM coinbase_demo.trades FINAL"),
    ohlcv: await count(client, "SELECT sum(num_trades) AS n FROM coinbase_demo.trade_ohlcv_1m"),
    vwap: await count(client, "SELECT sum(num_trades) AS n FROM coinbase_demo.trade_vwap_5m"),
  };
}

/** The window covering every trade, in whole 5-minute buckets. */
function windowOf(trades: readonly TradeInput[]) {
  const times = trades.map((t) => Date.parse(`${t.time.slice(0, 19).replace(" ", "T")}Z`));
  const first = Math.min(...times);
  const last = Math.max(...times);
  return { from: sec(Math.floor(first / 300_000) * 300_000), to: sec(Math.ceil((last + 1) / 300_000) * 300_000) };
}

/**
 * The named queries trade_vwap_5m and trade_ohlcv_1m over the trades' window equal the BigInt
 * reference, exact columns string for string; the Float64 columns are those numbers; price_volume
 * and notional read from the rollup tables equal the reference too (sql/testing/exactness.ts).
 */
async function assertExact(client: ClickHouseClient, trades: readonly TradeInput[]): Promise<void> {
  assert.deepEqual(await compareTradeRollups(client, trades), [], "the exact rollups equal the BigInt reference");
}

describe("trades: exact rollups on generated trades", () => {
  const engine = suiteEngine(openMigratedEngine);
  const trades = generateTrades({ products: ["BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD"], perProduct: 1_500, start: START, seed: 14, meanGapMs: 1_500 });

  test("the generated data covers what exactness depends on", () => {
    assert.equal(trades.length, 6_000);
    assert.ok(new Set(exactVwap5m(trades).map((r) => r.bucket)).size >= 5, "several 5-minute buckets");
    assert.ok(trades.some((t, i) => i > 0 && trades[i - 1]!.time === t.time && trades[i - 1]!.product_id === t.product_id), "trades sharing a timestamp (open/close tie-break by trade_id)");
    assert.ok(new Set(trades.map((t) => t.size.split(".")[1]?.length ?? 0)).size >= 3, "sizes with varying decimal places");
    for (const p of ["BTC-USD", "ETH-USD"]) {
      const ids = trades.filter((t) => t.product_id === p).map((t) => t.trade_id);
      assert.ok(ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1), `${p}: contiguous trade_ids`);
    }
  });

  test("shuffled batches and late trades: both rollups equal the exact reference, before and after merges", async () => {
    // Late trades: every 10th arrives after all the others; the rest shuffled across batches.
    const late = trades.filter((_, i) => i % 10 === 9);
    const rest = shuffled(trades.filter((_, i) => i % 10 !== 9), 5);
    let n = 0;
    for (const batch of batches(rest, 613)) await insertTrades(engine.client, batch, `batch-${n++}`);
    for (const batch of batches(late, 250)) await insertTrades(engine.client, batch, `late-${n++}`);
    assert.deepEqual(await counts(engine.client), { raw: trades.length, final: trades.length, ohlcv: trades.length, vwap: trades.length });
    await assertExact(engine.client, trades);
    for (const t of ["trades", "trade_ohlcv_1m", "trade_vwap_5m"]) await engine.client.command({ query: `OPTIMIZE TABLE coinbase_demo.${t} FINAL` });
    await assertExact(engine.client, trades);
  });

  test("the comparison names each difference: a trade the table has and the reference lacks, a changed size, rows the table lacks", async () => {
    // The 6,000 trades of the test before are stored; the reference is given other trades.
    const dropped = trades[0]!;
    const changed = trades[1]!;
    const nowhere: TradeInput = { ...trades[2]!, product_id: "ZZZ-USD", trade_id: 1 }; // a product the table has no trade of
    const reference = [{ ...changed, size: "1000" }, ...trades.slice(2), nowhere];
    const differences = await compareTradeRollups(engine.client, reference, rollupWindowOf(trades));
    const bucket = `${dropped.product_id} ${dropped.time.slice(0, 14)}${String(Number(dropped.time.slice(14, 16)) - (Number(dropped.time.slice(14, 16)) % 5)).padStart(2, "0")}:00`;
    const vwapRow = exactVwap5m(trades).find((r) => `${r.product_id} ${r.bucket}` === bucket)!;
    assert.ok(differences.includes(`trade_vwap_5m ${bucket}: num_trades ${vwapRow.num_trades}, expected ${vwapRow.num_trades - 1}`), differences.slice(0, 8).join("\n"));
    assert.ok(differences.some((d) => d.startsWith(`trade_vwap_5m ${bucket}: volume_exact ${vwapRow.volume}, expected `)), "the changed size shows in the volume");
    assert.ok(differences.some((d) => d.startsWith(`trade_ohlcv_1m ${nowhere.product_id} ${nowhere.time.slice(0, 16)}:00: missing (expected open ${formatDecimal(parseDecimal(nowhere.price), 12)}, `)), "a minute the table lacks");
    assert.ok(differences.some((d) => d.startsWith(`trade_vwap_5m ${nowhere.product_id} `) && d.includes(": missing (expected vwap_exact ")), "a bucket the table lacks");
    assert.ok(differences.some((d) => d.startsWith("trade_vwap_5m (table) ")), "price_volume read from the table");
    assert.ok(differences.some((d) => d.startsWith("trade_ohlcv_1m (table): notional ")), "notional read from the table");
    assert.ok(!differences.some((d) => d.includes("ETH-USD")), "products where nothing differs are not named");
    // A window of one product compares that product's trades only.
    assert.deepEqual(await compareTradeRollups(engine.client, reference, { ...rollupWindowOf(trades), products: ["ETH-USD", "SOL-USD"] }), []);
  });

  test("a batch retried with the same insert_deduplication_token is stored once, in trades and both rollups", async () => {
    const more = generateTrades({ products: ["BTC-USD", "ETH-USD"], perProduct: 300, start: new Date(T0 + 3 * 3_600_000), seed: 99 })
      .map((t) => ({ ...t, trade_id: t.trade_id + 50_000_000 })); // other trades than the first test's
    const before = await counts(engine.client);
    await insertTrades(engine.client, more, "retry-me");
    const once = await counts(engine.client);
    await insertTrades(engine.client, more, "retry-me"); // the retry after a lost acknowledgement
    assert.deepEqual(await counts(engine.client), once, "the retry changed nothing");
    assert.equal(once.raw - before.raw, more.length);
    assert.equal(once.ohlcv - before.ohlcv, more.length);
    assert.equal(once.vwap - before.vwap, more.length);
    await assertExact(engine.client, more);
  });

  test("the filled rows: an empty bucket or minute has NULL prices, volume 0 and volume_exact '0'", async () => {
    const window = { from: sec(T0 + 2 * 3_600_000), to: sec(T0 + 2 * 3_600_000 + 600_000), products: ["BTC-USD"] };
    const vwap = await run(engine.client, loadQuery("trade_vwap_5m"), window);
    assert.deepEqual(vwap.rows, [], "no rows for a window without any trade (nothing to fill per product)");
    const { rows: candles } = await run(engine.client, loadQuery("trade_ohlcv_1m"), { ...windowOf(trades), products: ["BTC-USD"] });
    const empty = candles.filter((r) => r.num_trades === 0);
    for (const r of empty) {
      assert.deepEqual([r.open, r.high, r.low, r.close, r.volume, r.open_exact, r.close_exact, r.volume_exact], [null, null, null, null, 0, null, null, "0"]);
    }
    const { rows: buckets } = await run(engine.client, loadQuery("trade_vwap_5m"), { from: sec(T0), to: sec(T0 + 5 * 3_600_000), products: ["ETH-USD"] });
    const gap = buckets.find((r) => r.num_trades === 0)!;
    assert.deepEqual([gap.vwap, gap.volume, gap.vwap_exact, gap.volume_exact], [null, 0, null, "0"]);
  });
});

/** docs/schema.md, "Trades": after a second writer double counted, the rollups are rebuilt from trades FINAL (writers stopped). */
function rebuildStatements(product: string, window: { from: string; to: string }): string[] {
  const range = (column: string) => `product_id = '${product}' AND ${column} >= toDateTime('${window.from}', 'UTC') AND ${column} < toDateTime('${window.to}', 'UTC')`;
  return [
    `ALTER TABLE coinbase_demo.trade_ohlcv_1m DELETE WHERE ${range("minute")} SETTINGS mutations_sync = 2`,
    `ALTER TABLE coinbase_demo.trade_vwap_5m DELETE WHERE ${range("bucket")} SETTINGS mutations_sync = 2`,
    `INSERT INTO coinbase_demo.trade_ohlcv_1m
     SELECT product_id, toStartOfMinute(time) AS minute, argMinState(price, trade_id), max(price), min(price),
            argMaxState(price, trade_id), sum(size), sum(toDecimal256(price, 12) * size), toUInt64(count()),
            toUInt64(countIf(source = 'ws')), toUInt64(countIf(source = 'rest'))
     FROM coinbase_demo.trades FINAL WHERE ${range("time")} GROUP BY product_id, minute`,
    `INSERT INTO coinbase_demo.trade_vwap_5m
     SELECT product_id, toStartOfInterval(time, INTERVAL 5 MINUTE) AS bucket, sum(toDecimal256(price, 12) * size), sum(size), toUInt64(count())
     FROM coinbase_demo.trades FINAL WHERE ${range("time")} GROUP BY product_id, bucket`,
  ];
}

describe("trades: the raw table's identity backstop and Decimal's limits", () => {
  const engine = suiteEngine(openMigratedEngine);

  test("a copy of a stored trade: FINAL (and a merge) keep one row per (product_id, trade_id); the rollups count it twice", async () => {
    const trades = generateTrades({ products: ["BTC-USD", "ETH-USD"], perProduct: 200, start: START, seed: 3 });
    await insertTrades(engine.client, trades, "first");
    // The same trades again under another token: what a second writer would do.
    const copies = trades.slice(0, 50).map((t) => ({ ...t, source: "rest" as const }));
    await insertTrades(engine.client, copies, "second-writer");
    const c = await counts(engine.client);
    assert.equal(c.raw, 450, "until a merge, both copies are in the table");
    assert.equal(c.final, 400, "FINAL reads one row per trade");
    // The views count what is inserted: this is why the ingester checks identities before inserting.
    assert.deepEqual([c.ohlcv, c.vwap], [450, 450]);
    await engine.client.command({ query: "OPTIMIZE TABLE coinbase_demo.trades FINAL" });
    assert.equal(await count(engine.client, "SELECT count() AS n FROM coinbase_demo.trades"), 400, "a merge keeps one row per trade");
    // ReplacingMergeTree(ingested_at) keeps the newest copy.
    const kept = await rows<{ source: string; n: number }>(engine.client, `SELECT source, count() AS n FROM coinbase_demo.trades WHERE trade_id IN (${copies.map((t) => t.trade_id).join(",")}) GROUP BY source`);
    assert.deepEqual(kept, [{ source: "rest", n: 50 }]);
    // The repair docs/schema.md gives: rebuild the product's rollup rows over whole buckets from trades FINAL.
    for (const statement of rebuildStatements("BTC-USD", windowOf(trades))) await engine.client.command({ query: statement });
    await assertExact(engine.client, trades);
  });

  test("ClickHouse truncates a 13th digit after the point without an error (why the ingester refuses such a value)", async () => {
    const t: TradeInput = { product_id: "TRUNC-USD", trade_id: 1, time: at(0, 1), price: "1.1234567890129", size: "0.0000000000019", side: "buy" };
    await insertTrades(engine.client, [t], "truncation");
    const [stored] = await rows<{ price: string; size: string }>(engine.client, "SELECT toString(price) AS price, toString(size) AS size FROM coinbase_demo.trades WHERE product_id = 'TRUNC-USD'");
    assert.deepEqual(stored, { price: "1.123456789012", size: "0.000000000001" }, "truncated, not rounded, not refused");
    assert.throws(() => parseDecimal(t.price), /13 digits after the point: at most 12/);
  });

  test("REST rows: NULL order ids, sequence 0, source rest", async () => {
    const line = tradeLine({ product_id: "REST-USD", trade_id: 7, time: at(0, 2), price: "10.5", size: "2", side: "sell", source: "rest" });
    assert.equal(line.split("\t").length, TRADE_COLUMNS.length);
    assert.deepEqual(line.split("\t").slice(6), ["\\N", "\\N", "0", "rest"]);
    await insertTrades(engine.client, [{ product_id: "REST-USD", trade_id: 7, time: at(0, 2), price: "10.5", size: "2", side: "sell", source: "rest" }], "rest-row");
    const [row] = await rows<Record<string, unknown>>(
      engine.client,
      "SELECT maker_order_id, taker_order_id, sequence, source, toString(price) AS price FROM coinbase_demo.trades WHERE product_id = 'REST-USD'",
    );
    assert.deepEqual(row, { maker_order_id: null, taker_order_id: null, sequence: 0, source: "rest", price: "10.5" });
  });
});

describe("trades: migrations 006–009 on an engine that already has data", () => {
  const partialDir = (drop: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "streamstack-partial-"));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    for (const f of drop) unlinkSync(join(dir, f));
    return dir;
  };

  test("006–009 apply on top of 001–005 with ticks stored; the ticker tables are untouched", async () => {
    const dir = partialDir(["006_create_trades.sql", "007_create_backfill_gaps.sql", "008_add_trade_ohlcv_1m_rollup.sql", "009_add_trade_vwap_5m_rollup.sql"]);
    const engine = await openTestEngine();
    try {
      await migrate(engine.client, { ...FAST, migrationsDir: dir });
      const ticks = generateTicks({ perProduct: 300, startMs: T0, seed: 2 });
      await engine.client.insert({ table: "coinbase_demo.coinbase_ticker", values: ticks, format: "JSONEachRow" });
      const tickerRollup = async () => rows(engine.client, "SELECT product_id, bucket, sum(price_volume) AS pv, sum(num_trades) AS n FROM coinbase_demo.vwap_5m GROUP BY product_id, bucket ORDER BY product_id, bucket");
      const before = await tickerRollup();
      const result = await migrate(engine.client, FAST);
      assert.deepEqual(result.applied, ["006_create_trades", "007_create_backfill_gaps", "008_add_trade_ohlcv_1m_rollup", "009_add_trade_vwap_5m_rollup"]);
      const tables = (await rows<{ name: string }>(engine.client, "SELECT name FROM system.tables WHERE database = 'coinbase_demo'")).map((t) => t.name);
      for (const t of TRADE_VIEWS) assert.ok(tables.includes(t), `${t} exists`);
      assert.deepEqual(await counts(engine.client), { raw: 0, final: 0, ohlcv: 0, vwap: 0 }, "nothing to backfill from an empty trades table");
      assert.deepEqual(await tickerRollup(), before);
      assert.equal(await count(engine.client, "SELECT count() AS n FROM coinbase_demo.coinbase_ticker"), ticks.length);
      const trades = generateTrades({ products: ["BTC-USD"], perProduct: 500, start: START, seed: 8 });
      await insertTrades(engine.client, trades, "after-006");
      await assertExact(engine.client, trades);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("008–009 backfill both rollups from trades already stored (a not-yet-merged copy counted once), then the views take new trades", async () => {
    const dir = partialDir(["008_add_trade_ohlcv_1m_rollup.sql", "009_add_trade_vwap_5m_rollup.sql"]);
    const engine = await openTestEngine();
    try {
      await migrate(engine.client, { ...FAST, migrationsDir: dir });
      const trades = generateTrades({ products: ["BTC-USD", "ETH-USD", "SHIB-USD"], perProduct: 600, start: START, seed: 21, meanGapMs: 1_000 });
      const earlier = trades.filter((_, i) => i % 3 !== 0);
      const later = trades.filter((_, i) => i % 3 === 0);
      await insertTrades(engine.client, earlier, "before-rollups");
      await insertTrades(engine.client, earlier.slice(0, 40), "a-copy"); // the backfill reads FINAL
      const result = await migrate(engine.client, FAST);
      assert.deepEqual(result.applied, ["008_add_trade_ohlcv_1m_rollup", "009_add_trade_vwap_5m_rollup"]);
      await assertExact(engine.client, earlier);
      await insertTrades(engine.client, later, "after-rollups");
      await assertExact(engine.client, trades);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the backfill cutoff splits trades exactly while a writer inserts one trade every 100 ms", async () => {
    const dir = partialDir(["008_add_trade_ohlcv_1m_rollup.sql", "009_add_trade_vwap_5m_rollup.sql"]);
    const engine = await openTestEngine();
    try {
      await migrate(engine.client, { ...FAST, migrationsDir: dir });
      const trades = generateTrades({ products: ["BTC-USD"], perProduct: 400, start: START, seed: 4 });
      const i = await whileWriting(
        trades.length,
        (n) => insertTrades(engine.client, [trades[n]!], `trade-${n}`),
        () => migrate(engine.client, { manageAccess: false, backfillGuardMs: 1_500, backfillSettleMs: 500 }),
      );
      assert.ok(i > 20, `trades were written during the migration (${i})`);
      await assertExact(engine.client, trades.slice(0, i));
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A gap's state change, as the ingester writes it. */
function gapRow(product: string, first: number, last: number, state: string, revision: number, detected: string, updated: string, backfilled = 0, reason = "") {
  return {
    product_id: product, first_trade_id: first, last_trade_id: last, state, revision, missing: last - first + 1, backfilled,
    cursor: 0, reason, gap_start: detected, gap_end: detected, detected_at: detected, updated_at: updated,
  };
}

const HAND_QUERIES = ["trade_vwap_5m", "trade_ohlcv_1m", "vwap_methods_5m", "trades_per_minute_by_source", "backfill_status", "backfill_gaps_over_time"];

describe("trades: the gap, per-source and method-comparison queries on hand-made data", () => {
  const engine = suiteEngine(async () => {
    const e = await openMigratedEngine();
    await seedHandMade(e.client);
    return e;
  });
  const WINDOW = { from: sec(T0), to: sec(T0 + 10 * 60_000), products: [] as string[] };
  const H1 = T0 + 3_600_000; // the method comparison's hour

  test("every new query returns exactly its declared columns and types, with data present", async () => {
    for (const name of HAND_QUERIES) {
      const q = loadQuery(name);
      for (const window of [WINDOW, { from: sec(H1), to: sec(H1 + 600_000), products: [] }]) {
        const { names, types } = await run(engine.client, q, window);
        assert.deepEqual(names, q.columns.map((c) => c.name), `${name}: column names`);
        assert.deepEqual(types, q.columns.map((c) => c.type), `${name}: column types`);
      }
    }
  });

  test("backfill_status: newest state per gap detected in the range, every state in order, 0 when none", async () => {
    const { rows: all } = await run(engine.client, loadQuery("backfill_status"), WINDOW);
    assert.deepEqual(all, [
      { state: "detected", gaps: 1, missing_trades: 2, backfilled_trades: 0 },
      { state: "filling", gaps: 1, missing_trades: 1, backfilled_trades: 0 },
      { state: "filled", gaps: 1, missing_trades: 5, backfilled_trades: 5 },
      { state: "abandoned", gaps: 1, missing_trades: 10, backfilled_trades: 3 },
    ]);
    const { rows: btc } = await run(engine.client, loadQuery("backfill_status"), { ...WINDOW, products: ["BTC-USD"] });
    assert.deepEqual(btc.map((r) => [r.state, r.gaps, r.missing_trades, r.backfilled_trades]), [["detected", 0, 0, 0], ["filling", 1, 1, 0], ["filled", 1, 5, 5], ["abandoned", 0, 0, 0]]);
    const { rows: none } = await run(engine.client, loadQuery("backfill_status"), { ...WINDOW, products: ["NOPE-USD"] });
    assert.deepEqual(none.map((r) => [r.state, r.gaps]), [["detected", 0], ["filling", 0], ["filled", 0], ["abandoned", 0]]);
  });

  test("backfill_gaps_over_time: detected in its minute, filled/abandoned in the minute of the newest state, empty minutes 0", async () => {
    const { rows: all } = await run(engine.client, loadQuery("backfill_gaps_over_time"), WINDOW);
    assert.equal(all.length, 10);
    assert.equal(all[0]!.minute, sec(T0));
    assert.deepEqual(all.map((r) => r.detected), [0, 1, 2, 0, 0, 1, 0, 0, 0, 0]);
    assert.deepEqual(all.map((r) => r.filled), [1, 0, 0, 1, 0, 0, 0, 0, 0, 0], "a gap detected before the window and filled in it counts as filled");
    assert.deepEqual(all.map((r) => r.abandoned), [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    const { rows: btc } = await run(engine.client, loadQuery("backfill_gaps_over_time"), { ...WINDOW, products: ["BTC-USD"] });
    assert.deepEqual(btc.map((r) => r.detected), [0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(btc.map((r) => r.abandoned), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test("trades_per_minute_by_source: ws and rest in every minute, zeros filled", async () => {
    const window = { ...WINDOW, to: sec(T0 + 5 * 60_000) };
    const { rows: all } = await run(engine.client, loadQuery("trades_per_minute_by_source"), window);
    assert.deepEqual(all.map((r) => `${(r.minute as string).slice(14, 16)} ${r.source} ${r.trades}`), [
      "00 ws 3", "00 rest 1", "01 ws 0", "01 rest 0", "02 ws 0", "02 rest 1", "03 ws 0", "03 rest 0", "04 ws 0", "04 rest 0",
    ]);
    const { rows: btc } = await run(engine.client, loadQuery("trades_per_minute_by_source"), { ...window, products: ["BTC-USD"] });
    assert.deepEqual(btc.slice(0, 2).map((r) => r.trades), [2, 1]);
    const { rows: none } = await run(engine.client, loadQuery("trades_per_minute_by_source"), { ...window, products: ["NOPE-USD"] });
    assert.equal(none.length, 10, "both sources in every minute even without data");
    assert.ok(none.every((r) => r.trades === 0));
  });

  test("vwap_methods_5m: the ticker's and the trades' VWAP side by side, the difference in basis points", async () => {
    const { rows: r } = await run(engine.client, loadQuery("vwap_methods_5m"), { from: sec(H1), to: sec(H1 + 600_000), products: [] });
    assert.equal(r.length, 2, "BTC-USD's two buckets");
    const tickerVwap = (100 * 1 + 102 * 3) / 4;
    const tradeVwap = (100 * 1 + 102 * 3 + 101 * 2) / 6;
    assert.equal(r[0]!.ticker_vwap, tickerVwap);
    assert.ok(Math.abs((r[0]!.trade_vwap as number) - tradeVwap) < 1e-12);
    assert.ok(Math.abs((r[0]!.difference_bps as number) - ((tickerVwap - tradeVwap) / tradeVwap) * 10_000) < 1e-9);
    assert.deepEqual([r[0]!.ticker_volume, r[0]!.trade_volume], [4, 6]);
    assert.deepEqual(r[1], { bucket: sec(H1 + 300_000), product_id: "BTC-USD", ticker_vwap: null, trade_vwap: 105, difference_bps: null, ticker_volume: 0, trade_volume: 1 });
  });
});

/** Gaps in minutes 0–5 of T0, trades by source in minutes 0–2, tickers and trades for the VWAP comparison an hour later. */
async function seedHandMade(client: ClickHouseClient): Promise<void> {
  await client.insert({
    table: "coinbase_demo.backfill_gaps",
    format: "JSONEachRow",
    values: [
      // A (BTC): detected, filling, filled at minute 3; its last row written twice (a retry without a token).
      gapRow("BTC-USD", 100, 104, "detected", 0, at(1), at(1)),
      gapRow("BTC-USD", 100, 104, "filling", 1, at(1), at(1, 5), 2),
      gapRow("BTC-USD", 100, 104, "filled", 2, at(1), at(3, 10), 5),
      gapRow("BTC-USD", 100, 104, "filled", 2, at(1), at(3, 10), 5),
      // B (BTC): still filling.
      gapRow("BTC-USD", 200, 200, "detected", 0, at(2), at(2)),
      gapRow("BTC-USD", 200, 200, "filling", 1, at(2), at(2, 1)),
      // C (ETH): abandoned at minute 4.
      gapRow("ETH-USD", 50, 59, "detected", 0, at(2, 30), at(2, 30)),
      gapRow("ETH-USD", 50, 59, "abandoned", 1, at(2, 30), at(4), 3, "REST API answered 404"),
      // D (ETH): detected at minute 5, nothing since.
      gapRow("ETH-USD", 70, 71, "detected", 0, at(5), at(5)),
      // E (BTC): detected before the window, filled in its minute 0.
      gapRow("BTC-USD", 10, 12, "detected", 0, at(-5), at(-5)),
      gapRow("BTC-USD", 10, 12, "filled", 1, at(-5), at(0, 30), 3),
      // F (SOL): detected after the window.
      gapRow("SOL-USD", 1, 1, "detected", 0, at(20), at(20)),
    ],
  });
  const trade = (product: string, id: number, time: string, price: string, size: string, source: "ws" | "rest"): TradeLineInput => ({ product_id: product, trade_id: id, time, price, size, side: "buy", source });
  await insertTrades(client, [
    trade("BTC-USD", 1, at(0, 1), "100", "1", "ws"),
    trade("BTC-USD", 2, at(0, 2), "100", "1", "ws"),
    trade("BTC-USD", 3, at(0, 3), "100", "1", "rest"),
    trade("BTC-USD", 4, at(2, 3), "100", "1", "rest"),
    trade("ETH-USD", 1, at(0, 4), "10", "1", "ws"),
  ]);
  const H1 = T0 + 3_600_000;
  const [template] = generateTicks({ perProduct: 1, startMs: H1, products: ["BTC-USD"] });
  const tick = (second: number, price: number, size: number, sequence: number) => ({ ...template!, time: at(0, second, H1), price, last_size: size, sequence });
  // The ticker missed the 101 x 2 trade (as a ticker covering several matches does).
  await client.insert({ table: "coinbase_demo.coinbase_ticker", values: [tick(1, 100, 1, 1), tick(2, 102, 3, 5)], format: "JSONEachRow" });
  await insertTrades(client, [
    trade("BTC-USD", 11, at(0, 1, H1), "100", "1", "ws"),
    trade("BTC-USD", 12, at(0, 2, H1), "102", "3", "ws"),
    trade("BTC-USD", 13, at(0, 2, H1), "101", "2", "ws"),
    trade("BTC-USD", 14, at(6, 0, H1), "105", "1", "ws"),
  ]);
}

test("the migration files 006–009 are numbered after 005 and use the backfill cutoff where they add a rollup", () => {
  const byName = new Map(loadMigrations().map((m) => [m.name, m]));
  assert.equal(byName.get("006_create_trades")?.version, 6);
  assert.equal(byName.get("007_create_backfill_gaps")?.usesBackfillCutoff, false);
  assert.equal(byName.get("008_add_trade_ohlcv_1m_rollup")?.usesBackfillCutoff, true);
  assert.equal(byName.get("009_add_trade_vwap_5m_rollup")?.usesBackfillCutoff, true);
});

test("the exact reference: parse and print decimals as ClickHouse's toString does, VWAP truncated at 24 digits", () => {
  assert.equal(parseDecimal("1.5"), 1_500_000_000_000n);
  assert.equal(formatDecimal(1_500_000_000_000n, 12), "1.5");
  assert.equal(formatDecimal(2_000_000_000_000n, 12), "2");
  assert.equal(formatDecimal(1n, 12), "0.000000000001");
  assert.equal(formatDecimal(0n, 24), "0");
  const [row] = exactVwap5m([
    { product_id: "X", trade_id: 1, time: "2026-11-24 21:04:59.999999", price: "1", size: "1", side: "buy" },
    { product_id: "X", trade_id: 2, time: "2026-11-24 21:00:00.000000", price: "2", size: "2", side: "buy" },
  ]);
  assert.deepEqual(row, { product_id: "X", bucket: "2026-11-24 21:00:00", price_volume: "5", volume: "3", vwap: "1.666666666666666666666666", num_trades: 2 });
  const [candle] = exactOhlcv1m([
    { product_id: "X", trade_id: 9, time: "2026-11-24 21:00:01.000000", price: "3.10", size: "1", side: "buy" },
    { product_id: "X", trade_id: 8, time: "2026-11-24 21:00:01.000000", price: "2.50", size: "0.5", side: "sell" },
  ]);
  assert.deepEqual(candle, { product_id: "X", minute: "2026-11-24 21:00:00", open: "2.5", high: "3.1", low: "2.5", close: "3.1", volume: "1.5", num_trades: 2 });
});

test("an exchange trade as the reference takes it: ISO time to ClickHouse's text, everything else as sent", () => {
  assert.equal(clickhouseTimeOf("2026-11-24T21:00:00.208176Z"), "2026-11-24 21:00:00.208176");
  assert.equal(clickhouseTimeOf("2026-11-24T21:00:00.2Z"), "2026-11-24 21:00:00.200000");
  assert.equal(clickhouseTimeOf("2026-11-24T21:00:00Z"), "2026-11-24 21:00:00.000000");
  assert.throws(() => clickhouseTimeOf("2026-11-24 21:00:00"), /not an ISO 8601 UTC time/);
  assert.deepEqual(
    tradeInputOf({ product_id: "BTC-USD", trade_id: 7, time: "2026-11-24T21:04:59.999999Z", price: "91000.10", size: "0.00100000", side: "sell" }),
    { product_id: "BTC-USD", trade_id: 7, time: "2026-11-24 21:04:59.999999", price: "91000.10", size: "0.00100000", side: "sell" },
  );
  const window = rollupWindowOf([
    { product_id: "X", trade_id: 1, time: "2026-11-24 21:04:59.999999", price: "1", size: "1", side: "buy" },
    { product_id: "X", trade_id: 2, time: "2026-11-24 21:05:00.000000", price: "1", size: "1", side: "buy" },
  ]);
  assert.deepEqual(window, { fromMs: Date.UTC(2026, 10, 24, 21, 0), toMs: Date.UTC(2026, 10, 24, 21, 10), products: [] }, "whole 5-minute buckets, the last one included");
});
