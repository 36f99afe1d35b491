// npm run query's engine: a named query with its window on the embedded engine, and the three
// output formats.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadQuery } from "../src/queries";
import { dateTimeParam, formatCsv, formatJson, formatTable, paramsFor, parseTime, runQuery, type QueryResult } from "../src/queryRun";
import { openMigratedEngine, suiteEngine } from "../testing/engine";
import { generateTicks } from "../testing/ticks";

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

describe("time arguments", () => {
  test("now, times ago and ISO times (UTC without a zone)", () => {
    assert.equal(parseTime("now", "--to", NOW), NOW);
    assert.equal(parseTime("90m", "--from", NOW), NOW - 90 * 60_000);
    assert.equal(parseTime("-90m", "--from", NOW), NOW - 90 * 60_000);
    assert.equal(parseTime("-2d", "--from", NOW), NOW - 2 * 86_400_000);
    assert.equal(parseTime("2026-11-30T10:00:00Z", "--from", NOW), Date.UTC(2026, 10, 30, 10));
    assert.equal(parseTime("2026-11-30 10:00", "--from", NOW), Date.UTC(2026, 10, 30, 10));
    assert.equal(parseTime("2026-11-30", "--from", NOW), Date.UTC(2026, 10, 30));
    assert.equal(parseTime("2026-11-30T12:00:00+02:00", "--from", NOW), Date.UTC(2026, 10, 30, 10));
  });

  test("anything else is refused naming the option and the accepted forms", () => {
    for (const bad of ["yesterday", "-5w", "30", "2026-13-45T99:00", ""]) {
      assert.throws(() => parseTime(bad, "--from", NOW), /--from ".*": expected now, a time ago such as 30m, 6h or 2d, or a UTC time/, bad);
    }
  });

  test("a window becomes exactly the parameters the query declares", () => {
    const window = { fromMs: NOW - 3_600_000, toMs: NOW, products: ["BTC-USD"] };
    assert.deepEqual(paramsFor(loadQuery("vwap_5m"), window), { from: "2026-11-30 11:00:00", to: "2026-11-30 12:00:00", products: ["BTC-USD"] });
    assert.deepEqual(paramsFor(loadQuery("ticks_last_minute"), window), {});
    assert.equal(dateTimeParam(NOW + 999), "2026-11-30 12:00:00");
  });
});

describe("runQuery on the embedded engine", () => {
  const engine = suiteEngine(openMigratedEngine);

  test("vwap_5m returns the columns its header declares and one bucket per product and 5 minutes", async () => {
    const ticks = generateTicks({ perProduct: 400, startMs: NOW - 3_600_000, meanGapMs: 4_000, products: ["BTC-USD", "ETH-USD"], seed: 5 });
    await engine.client.insert({ table: "coinbase_demo.coinbase_ticker", values: ticks, format: "JSONEachRow", clickhouse_settings: { async_insert: 0 } });
    const query = loadQuery("vwap_5m");
    const result = await runQuery(engine.client, query, { fromMs: NOW - 3_600_000, toMs: NOW, products: ["BTC-USD"] });
    assert.deepEqual(result.columns.map((c) => c.name), query.columns.map((c) => c.name));
    assert.equal(result.rows.length, 12, "12 five-minute buckets in an hour, one product");
    assert.ok(result.rows.every((r) => r[1] === "BTC-USD"));
    const vwapAt = result.columns.findIndex((c) => c.name === "vwap");
    assert.ok(result.rows.some((r) => typeof r[vwapAt] === "number" && (r[vwapAt] as number) > 0));
  });
});

describe("output formats", () => {
  const result: QueryResult = {
    columns: [
      { name: "product_id", type: "LowCardinality(String)" },
      { name: "vwap", type: "Nullable(Float64)" },
      { name: "note", type: "String" },
    ],
    rows: [
      ["BTC-USD", 91234.123456789, 'has "quotes", and a comma'],
      ["SOL-USD", null, "plain"],
    ],
  };

  test("table: a header, a rule, numbers right-aligned, NULL shown, a row count", () => {
    assert.equal(
      formatTable(result),
      [
        "product_id         vwap  note",
        "----------  -----------  -------------------------",
        'BTC-USD     91234.12346  has "quotes", and a comma',
        "SOL-USD            NULL  plain",
        "(2 rows)",
      ].join("\n"),
    );
  });

  test("table with a limit says how many rows it left out", () => {
    assert.match(formatTable(result, 1), /\(2 rows, 1 not shown: --limit 0 shows all\)$/);
  });

  test("csv quotes what needs quoting; json is one object per line", () => {
    assert.equal(formatCsv(result), 'product_id,vwap,note\nBTC-USD,91234.123456789,"has ""quotes"", and a comma"\nSOL-USD,,plain');
    assert.deepEqual(formatJson(result).split("\n").map((l) => JSON.parse(l) as unknown), [
      { product_id: "BTC-USD", vwap: 91234.123456789, note: 'has "quotes", and a comma' },
      { product_id: "SOL-USD", vwap: null, note: "plain" },
    ]);
  });
});
