// Every file in sql/queries runs on the engine and returns the declared columns and the right
// values over fixture data, empty intervals included.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ClickHouseClient } from "@clickhouse/client";
import { loadQueries, loadQuery, parseQueryFile, renderQuery, type NamedQuery } from "../src/queries";
import { type TestEngine, openMigratedEngine, suiteEngine } from "../testing/engine";
import { formatTime, generateTicks, type TickRow } from "../testing/ticks";
import { runNamedQuery } from "../testing/namedQuery";

const T0 = Date.UTC(2026, 10, 24, 21, 0, 0); // a minute boundary, also a 5-minute boundary
const at = (minute: number, second: number) => formatTime((T0 + minute * 60_000 + second * 1000) * 1000);
const sec = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

function tick(product: string, time: string, price: number, size: number, sequence: number, ingestedAt?: string): TickRow & { ingested_at?: string } {
  const [base] = generateTicks({ perProduct: 1, startMs: T0, products: [product] });
  return { ...base!, product_id: product, time, price, last_size: size, sequence, ...(ingestedAt ? { ingested_at: ingestedAt } : {}) };
}

const run = runNamedQuery;

const WINDOW = { from: sec(T0), to: sec(T0 + 10 * 60_000), products: [] as string[] };

describe("sql/queries on fixture data", () => {
  let engine: TestEngine;
  let latencyRows: Array<TickRow & { ingested_at?: string }> = [];
  before(async () => {
    engine = await openMigratedEngine();
    const c = engine.client;
    // BTC: minutes 0, 1, 3 (none in 2); ETH: minute 6 only.
    const rows = [
      tick("BTC-USD", at(0, 5), 100, 1, 1_000),
      tick("BTC-USD", at(0, 30), 102, 3, 1_040),
      tick("BTC-USD", at(0, 50), 99, 0, 1_077), // a tick with no traded size
      tick("BTC-USD", at(1, 10), 101, 2, 1_100),
      tick("BTC-USD", at(3, 0), 105, 1, 1_300),
      tick("ETH-USD", at(6, 59), 3000, 0.5, 9_000),
    ];
    // Latency fixture: ingested_at is normally set by the server; here it is explicit (after the
    // views' cutoff, so the rollups take the rows) to make the expected latencies exact.
    const nowMicros = Date.now() * 1000;
    latencyRows = [0.5, 1.5, 0.25].map((latency, i) => {
      const ingested = nowMicros + (i + 1) * 1_000_000;
      return tick("LAT-USD", formatTime(ingested - latency * 1_000_000), 1, 1, 10 + i, formatTime(ingested));
    });
    await c.insert({ table: "coinbase_demo.coinbase_ticker", values: latencyRows, format: "JSONEachRow" });
    await c.insert({ table: "coinbase_demo.coinbase_ticker", values: rows, format: "JSONEachRow" });
    await c.insert({
      table: "coinbase_demo.sequence_gaps",
      values: [
        { product_id: "BTC-USD", channel: "matches", kind: "trade_id_gap", last_seen: 10, next_seen: 14, missing: 3, gap_start: at(1, 0), gap_end: at(1, 1), detected_at: at(1, 2) },
        { product_id: "ETH-USD", channel: "ticker", kind: "reconnect", last_seen: 5, next_seen: 90, missing: 0, gap_start: at(1, 0), gap_end: at(1, 20), detected_at: at(1, 30) },
        { product_id: "BTC-USD", channel: "matches", kind: "trade_id_gap", last_seen: 20, next_seen: 22, missing: 1, gap_start: at(4, 0), gap_end: at(4, 1), detected_at: at(4, 2) },
      ],
      format: "JSONEachRow",
    });
    await c.insert({
      table: "coinbase_demo.ingest_dead_letters",
      values: [at(2, 1), at(2, 2), at(5, 0)].map((t) => ({ received_at: t, source: "coinbase", reason: "invalid JSON", raw: "{" })),
      format: "JSONEachRow",
    });
    await c.insert({
      table: "coinbase_demo.ingest_stats",
      values: [
        { reported_at: at(0, 0), instance: "a", started_at: at(0, 0), received: 0, stored: 0, rejected: 0, duplicates: 0, gaps: 0, buffer_depth: 0, spool_bytes: 0, reconnects: 0 },
        { reported_at: at(0, 5), instance: "a", started_at: at(0, 0), received: 60, stored: 50, rejected: 5, duplicates: 5, gaps: 1, buffer_depth: 7, spool_bytes: 1024, reconnects: 0 },
        { reported_at: at(0, 15), instance: "a", started_at: at(0, 0), received: 160, stored: 150, rejected: 5, duplicates: 5, gaps: 1, buffer_depth: 3, spool_bytes: 0, reconnects: 1 },
        // A second run (another instance) whose first heartbeat comes 5 s after its start.
        { reported_at: at(3, 5), instance: "b", started_at: at(3, 0), received: 40, stored: 40, rejected: 0, duplicates: 0, gaps: 0, buffer_depth: 1, spool_bytes: 0, reconnects: 0 },
        { reported_at: at(3, 10), instance: "b", started_at: at(3, 0), received: 90, stored: 90, rejected: 0, duplicates: 0, gaps: 0, buffer_depth: 2, spool_bytes: 0, reconnects: 0 },
        // …and a heartbeat two minutes after the previous one (the ingester was stuck in between).
        { reported_at: at(5, 10), instance: "b", started_at: at(3, 0), received: 690, stored: 690, rejected: 0, duplicates: 0, gaps: 0, buffer_depth: 0, spool_bytes: 0, reconnects: 0 },
      ],
      format: "JSONEachRow",
    });
  });
  after(async () => {
    await engine.close();
  });

  test("every query runs and returns exactly the columns and types its header declares", async () => {
    const queries = [...loadQueries().values()];
    assert.ok(queries.length >= 17);
    for (const q of queries) {
      const params = Object.fromEntries(q.params.map((p) => [p, WINDOW[p]]));
      const { names, types } = await run(engine.client, q, params);
      assert.deepEqual(names, q.columns.map((c) => c.name), `${q.name}: column names`);
      assert.deepEqual(types, q.columns.map((c) => c.type), `${q.name}: column types`);
    }
  });

  test("ingestion_rate_per_minute: counts per product and minute, empty minutes as 0", async () => {
    const { rows } = await run(engine.client, loadQuery("ingestion_rate_per_minute"), { ...WINDOW, products: ["BTC-USD"] });
    assert.equal(rows.length, 10, "one row per minute of the 10-minute window");
    assert.deepEqual(rows.map((r) => r.num_ticks), [3, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(rows.map((r) => r.num_trades), [2, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert.equal(rows[0]!.minute, sec(T0));
    assert.equal(rows[2]!.minute, sec(T0 + 120_000));
    assert.ok(rows.every((r) => r.product_id === "BTC-USD"));
    const all = await run(engine.client, loadQuery("ingestion_rate_per_minute"), WINDOW);
    assert.deepEqual([...new Set(all.rows.map((r) => r.product_id))], ["BTC-USD", "ETH-USD"], "products with data in the window");
    assert.equal(all.rows.length, 20, "both products, each filled over the window");
    const none = await run(engine.client, loadQuery("ingestion_rate_per_minute"), { ...WINDOW, products: ["NOPE-USD"] });
    assert.deepEqual(none.rows, [], "no rows (not a filled series with an empty product) for a product without data");
  });

  test("vwap_5m: sum(price x size) / sum(size) per bucket, NULL for a bucket without trades", async () => {
    const { rows } = await run(engine.client, loadQuery("vwap_5m"), WINDOW);
    const btc = rows.filter((r) => r.product_id === "BTC-USD");
    assert.equal(btc.length, 2);
    const expected = (100 * 1 + 102 * 3 + 101 * 2 + 105 * 1) / (1 + 3 + 2 + 1);
    assert.ok(Math.abs((btc[0]!.vwap as number) - expected) < 1e-9);
    assert.equal(btc[0]!.volume, 7);
    assert.equal(btc[1]!.vwap, null);
    const eth = rows.filter((r) => r.product_id === "ETH-USD");
    assert.deepEqual(eth.map((r) => r.vwap), [null, 3000]);
  });

  test("ohlcv_1m: open, high, low, close and volume per minute; NULL prices in empty minutes", async () => {
    const { rows } = await run(engine.client, loadQuery("ohlcv_1m"), { ...WINDOW, products: ["BTC-USD"] });
    assert.deepEqual(rows[0], { minute: sec(T0), product_id: "BTC-USD", open: 100, high: 102, low: 99, close: 99, volume: 4, num_trades: 3 });
    assert.deepEqual([rows[2]!.open, rows[2]!.close, rows[2]!.volume], [null, null, 0]);
    assert.equal(rows[3]!.open, 105);
  });

  test("ingest_latency: mean and max of ingested_at - time per minute, NULL in empty minutes", async () => {
    const byMinute = new Map<string, number[]>();
    for (const r of latencyRows) {
      const minute = r.time.slice(0, 16) + ":00";
      const latency = (Date.parse(r.ingested_at!.replace(" ", "T") + "Z") - Date.parse(r.time.replace(" ", "T") + "Z")) / 1000;
      byMinute.set(minute, [...(byMinute.get(minute) ?? []), latency]);
    }
    const now = Date.now();
    const { rows } = await run(engine.client, loadQuery("ingest_latency"), { from: sec(now - 180_000), to: sec(now + 120_000), products: ["LAT-USD"] });
    const withData = rows.filter((r) => r.latency_avg_s !== null);
    assert.equal(withData.length, byMinute.size);
    for (const r of withData) {
      const latencies = byMinute.get(r.minute as string)!;
      const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
      assert.ok(Math.abs((r.latency_avg_s as number) - mean) < 1e-6, `avg ${r.latency_avg_s} vs ${mean}`);
      assert.ok(Math.abs((r.latency_max_s as number) - Math.max(...latencies)) < 1e-6);
    }
    assert.ok(rows.length > withData.length, "empty minutes are filled");
    assert.ok(rows.filter((r) => r.latency_avg_s === null).every((r) => r.latency_max_s === null));
  });

  test("sequence_gaps_over_time and dead_letters_over_time: per-minute counts, empty minutes as 0", async () => {
    const gaps = await run(engine.client, loadQuery("sequence_gaps_over_time"), WINDOW);
    assert.equal(gaps.rows.length, 10);
    assert.deepEqual(gaps.rows.map((r) => r.gaps), [0, 2, 0, 0, 1, 0, 0, 0, 0, 0]);
    assert.deepEqual(gaps.rows.map((r) => r.missing), [0, 3, 0, 0, 1, 0, 0, 0, 0, 0]);
    const btcOnly = await run(engine.client, loadQuery("sequence_gaps_over_time"), { ...WINDOW, products: ["BTC-USD"] });
    assert.deepEqual(btcOnly.rows.map((r) => r.gaps), [0, 1, 0, 0, 1, 0, 0, 0, 0, 0]);
    const dead = await run(engine.client, loadQuery("dead_letters_over_time"), WINDOW);
    assert.deepEqual(dead.rows.map((r) => r.dead_letters), [0, 0, 2, 0, 0, 1, 0, 0, 0, 0]);
  });

  test("ingester_stats: per-second rates between heartbeats of one run; a run's first heartbeat counts from its start", async () => {
    const { rows } = await run(engine.client, loadQuery("ingester_stats"), WINDOW);
    assert.deepEqual(rows.map((r) => r.instance), ["a", "a", "a", "b", "b", "b"]);
    assert.deepEqual(rows.map((r) => r.stored_per_s), [0, 10, 10, 8, 10, 5]);
    assert.deepEqual(rows.map((r) => r.rejected_per_s), [0, 1, 0, 0, 0, 0]);
    assert.deepEqual(rows.map((r) => r.buffer_depth), [0, 7, 3, 1, 2, 0]);
  });

  test("ingester_stats: the first heartbeat inside a window still has its rate (the one before it is read)", async () => {
    // A dashboard window starting between two heartbeats: the rate of the first one shown is
    // computed against the heartbeat just before the window, not shown as a drop to 0.
    const { rows } = await run(engine.client, loadQuery("ingester_stats"), { ...WINDOW, from: sec(T0 + 10_000) });
    assert.deepEqual(rows.map((r) => [r.instance, r.stored_per_s]), [["a", 10], ["b", 8], ["b", 10], ["b", 5]]);
    // A heartbeat at the left edge whose predecessor is more than a minute back is not compared
    // with anything: 0, not the run's whole total over the window.
    const late = await run(engine.client, loadQuery("ingester_stats"), { ...WINDOW, from: sec(T0 + 4 * 60_000 + 30_000) });
    assert.deepEqual(late.rows.map((r) => [r.instance, r.stored_per_s]), [["b", 0]]);
  });

  test("data_freshness: seconds since the newest tick and the newest stored row, per product", async () => {
    const { rows } = await run(engine.client, loadQuery("data_freshness"), { products: [] });
    const eth = rows.find((r) => r.product_id === "ETH-USD")!;
    const expectedTick = (Date.now() - (T0 + 6 * 60_000 + 59_000)) / 1000;
    assert.ok(Math.abs((eth.seconds_since_last_tick as number) - expectedTick) < 5, `${eth.seconds_since_last_tick} ≈ ${expectedTick}`);
    assert.ok((eth.seconds_since_last_ingest as number) >= 0 && (eth.seconds_since_last_ingest as number) < 60, "stored moments ago");
  });
});

describe("alert queries return exactly one row, with the firing value when nothing arrives", () => {
  const engine = suiteEngine(openMigratedEngine);

  test("ticks_last_minute: 0 while idle (old data only), the count once ticks arrive now", async () => {
    const q = loadQuery("ticks_last_minute");
    const empty = await run(engine.client, q, {});
    assert.deepEqual(empty.rows, [{ ticks: 0 }]);
    await engine.client.insert({ table: "coinbase_demo.coinbase_ticker", values: [tick("BTC-USD", at(0, 1), 1, 1, 1)], format: "JSONEachRow" });
    assert.deepEqual((await run(engine.client, q, {})).rows, [{ ticks: 0 }], "a tick from yesterday does not count");
    const now = Date.now() * 1000;
    await engine.client.insert({
      table: "coinbase_demo.coinbase_ticker",
      values: [tick("BTC-USD", formatTime(now - 2_000_000), 1, 1, 2), tick("ETH-USD", formatTime(now - 1_000_000), 1, 1, 3)],
      format: "JSONEachRow",
    });
    assert.deepEqual((await run(engine.client, q, {})).rows, [{ ticks: 2 }]);
  });

  test("ingester_heartbeat: 0 with no recent heartbeat, more once the ingester reports", async () => {
    const q = loadQuery("ingester_heartbeat");
    assert.deepEqual((await run(engine.client, q, {})).rows, [{ heartbeats: 0 }]);
    const now = formatTime(Date.now() * 1000).slice(0, 23);
    await engine.client.insert({
      table: "coinbase_demo.ingest_stats",
      values: [{ reported_at: now, instance: "a", started_at: now, received: 1, stored: 1, rejected: 0, duplicates: 0, gaps: 0, buffer_depth: 0, spool_bytes: 0, reconnects: 0 }],
      format: "JSONEachRow",
    });
    assert.deepEqual((await run(engine.client, q, {})).rows, [{ heartbeats: 1 }]);
  });
});

describe("query files and rendering", () => {
  test("a header that does not match the SQL is refused with the file and the fix", () => {
    const body = "SELECT 1 FROM t WHERE a > {from:DateTime}";
    assert.throws(() => parseQueryFile("x.sql", `-- name: x\n-- description: d\n-- params:\n-- columns: a UInt8\n${body}`), /uses \{from:DateTime\} but "-- params:" does not declare it/);
    assert.throws(() => parseQueryFile("x.sql", `-- name: x\n-- description: d\n-- params: from DateTime64\n-- columns: a UInt8\n${body}`), /parameter from is declared DateTime64: it is always DateTime/);
    assert.throws(() => parseQueryFile("x.sql", `-- name: x\n-- description: d\n-- params: from DateTime, to DateTime\n-- columns: a UInt8\n${body}`), /declares parameter to but never uses it/);
    assert.throws(() => parseQueryFile("x.sql", `-- name: x\n-- params:\n-- columns: a UInt8\nSELECT 1`), /needs "-- name:" and "-- description:"/);
  });

  test("renderQuery swaps every placeholder and refuses a missing one", () => {
    const q = loadQuery("vwap_5m");
    const grafana = renderQuery(q, { from: "$__fromTime", to: "$__toTime", products: "[${product:singlequote}]" });
    assert.doesNotMatch(grafana, /\{(from|to|products):/);
    assert.match(grafana, /bucket >= toStartOfInterval\(\$__fromTime, INTERVAL 5 MINUTE\)/);
    assert.throws(() => renderQuery(q, { from: "x" }), /uses \{to\} and no replacement/);
  });
});
