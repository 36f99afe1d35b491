// Every panel query, expanded as Grafana and the ClickHouse plugin expand it, runs on the embedded
// ClickHouse over fixture data and returns the columns, types and row order its panel needs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openMigratedEngine, type TestEngine } from "../../sql/testing/engine";
import { exactVwap5m, type TradeLineInput } from "../../sql/testing/trades";
import { loadQuery } from "../../sql/src/queries";
import { ClickHouseFormat } from "../src/clickhouseQuery";
import { allPanels, buildDashboards, dashboardDefinitions } from "../src/dashboards";
import type { PanelSpec } from "../src/dashboards/common";
import { expandMacros } from "../testing/macros";
import { insertBackfillGap, insertDeadLetters, insertHeartbeats, insertSequenceGap, insertTicks, insertTradesBetween, PRODUCTS, runSql, type QueryResult } from "./fixtures";

const DATASOURCE_UID = "clickhouse-test";
const NOW = Date.now();
const HOUR = 3_600_000;
const isTime = (type: string) => /^(Nullable\()?DateTime/.test(type);
const isNumber = (type: string) => /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/.test(type);
const isLabel = (type: string) => /^(LowCardinality\()?(Nullable\()?String/.test(type);

interface PanelTarget {
  rawSql: string;
  format: number;
  datasource: { type: string; uid: string };
}

/** A panel of the built JSON by id, at the top level or inside a collapsed row. */
function panelById(json: { panels?: unknown[] }, id: number): { id: number; targets?: unknown[]; timeFrom?: string } {
  const top = (json.panels ?? []) as Array<{ id: number; panels?: unknown[] }>;
  const all = [...top, ...top.flatMap((p) => (p.panels ?? []) as Array<{ id: number }>)];
  const panel = all.find((p) => p.id === id);
  assert.ok(panel, `panel ${id} is in the dashboard`);
  return panel;
}

function targetOf(panel: { targets?: unknown[] }): PanelTarget {
  assert.equal(panel.targets?.length, 1, "one query per panel");
  return panel.targets![0] as PanelTarget;
}

describe("panel queries on the embedded ClickHouse", () => {
  let engine: TestEngine;
  let productOptions: string[] = [];
  let trades: TradeLineInput[] = [];
  const built = buildDashboards({ datasourceUid: DATASOURCE_UID });

  before(async () => {
    engine = await openMigratedEngine();
    await insertTicks(engine.client, NOW - 2 * HOUR, NOW - 1000);
    await insertHeartbeats(engine.client, "ingest-a", NOW - HOUR, NOW - 5000);
    await insertHeartbeats(engine.client, "ingest-b", NOW - 30 * 60_000, NOW - 3000, 15_000);
    await insertSequenceGap(engine.client, "BTC-USD", NOW - 20 * 60_000, 3);
    await insertDeadLetters(engine.client, [NOW - 50 * 60_000, NOW - 49 * 60_000]);
    trades = await insertTradesBetween(engine.client, NOW - 2 * HOUR, NOW - 1000);
    // One gap in every state, detected within the last 3 h.
    const gap = (product: string, firstTradeId: number, minutesAgo: number, states: Array<"detected" | "filling" | "filled" | "abandoned">) =>
      insertBackfillGap(engine.client, { product, firstTradeId, missing: 40, detectedAtMs: NOW - minutesAgo * 60_000, states });
    await gap("BTC-USD", 1_000, 100, ["detected", "filling", "filled"]);
    await gap("ETH-USD", 2_000, 80, ["detected", "filling", "abandoned"]);
    await gap("SOL-USD", 3_000, 20, ["detected", "filling"]);
    await gap("SOL-USD", 4_000, 5, ["detected"]);
  });
  after(async () => {
    await engine.close();
  });

  test("the product variable's query lists the products (what All expands to)", async () => {
    const variable = built[0]!.json.templating!.list![0]!;
    const query = variable.query as { rawSql: string };
    assert.equal(query.rawSql, loadQuery("product_ids").sql);
    const result = await runSql(engine.client, expandMacros(query.rawSql, { from: new Date(NOW - 3 * HOUR), to: new Date(NOW), intervalMs: 60_000 }));
    productOptions = result.rows.map((r) => r.product_id as string);
    assert.deepEqual(productOptions, [...PRODUCTS].sort());
  });

  for (const definition of dashboardDefinitions()) {
    for (const spec of allPanels(definition)) {
      // Market rows repeat per product: each copy sees one product. Ingestion panels see "All".
      const selections = definition.sections.some((s) => s.repeat && s.panels.includes(spec)) ? PRODUCTS.map((p) => [p]) : [null];
      for (const selection of selections) {
        test(`${definition.title} / ${spec.title} (${selection ? selection[0] : "All products"})`, async () => {
          const panel = panelById(built.find((d) => d.uid === definition.uid)!.json, spec.id);
          const target = targetOf(panel as { targets?: unknown[] });
          assert.deepEqual(target.datasource, { type: "grafana-clickhouse-datasource", uid: DATASOURCE_UID });
          // A panel with its own relative time (timeFrom) is queried over that window.
          const timeFrom = (panel as { timeFrom?: string }).timeFrom;
          const sql = expandMacros(target.rawSql, {
            from: new Date(NOW - (timeFrom ? relativeMs(timeFrom) : 3 * HOUR)),
            to: new Date(NOW),
            intervalMs: 60_000,
            variables: { product: selection ?? productOptions },
          });
          assert.doesNotMatch(sql, /\$__|\$\{|\{[a-z_]+:[A-Za-z(]/, "nothing left unexpanded");
          const result = await runSql(engine.client, sql);
          assert.deepEqual(result.columns, spec.query.columns, "columns and types as declared in the query file's header");
          assert.ok(result.rows.length > 0, "returns rows over the fixture");
          checkShape(spec, target, result, selection);
        });
      }
    }
  }

  /** A panel's rows over the last 3 h, expanded as Grafana sends it for `products` (default: All). */
  async function panelRows(uid: string, title: string, products: readonly string[] = PRODUCTS): Promise<Array<Record<string, unknown>>> {
    const definition = dashboardDefinitions().find((d) => d.uid === uid)!;
    const spec = allPanels(definition).find((p) => p.title === title);
    assert.ok(spec, `panel "${title}"`);
    const target = targetOf(panelById(built.find((d) => d.uid === uid)!.json, spec.id) as { targets?: unknown[] });
    const sql = expandMacros(target.rawSql, { from: new Date(NOW - 3 * HOUR), to: new Date(NOW), intervalMs: 60_000, variables: { product: products } });
    return (await runSql(engine.client, sql)).rows;
  }

  test("backfill stats: open = detected + filling, filled and abandoned gaps, with their trades", async () => {
    const [open] = await panelRows("streamstack-ingestion", "Open backfill gaps");
    assert.deepEqual(open, { gaps: 2, missing_trades: 80 }, "the two SOL-USD gaps, one detected, one filling");
    const [filled] = await panelRows("streamstack-ingestion", "Filled backfill gaps");
    assert.deepEqual(filled, { gaps: 1, backfilled_trades: 40 });
    const [abandoned] = await panelRows("streamstack-ingestion", "Abandoned backfill gaps");
    assert.deepEqual(abandoned, { gaps: 1, missing_trades: 40, backfilled_trades: 20 });
    const [btcOnly] = await panelRows("streamstack-ingestion", "Open backfill gaps", ["BTC-USD"]);
    assert.deepEqual(btcOnly, { gaps: 0, missing_trades: 0 }, "the product picker applies");
  });

  test("trades per minute by source: the ws and rest series add up to the trades stored from each", async () => {
    const rows = await panelRows("streamstack-ingestion", "Trades per minute by source");
    const total = (source: string) => rows.filter((r) => r.source === source).reduce((n, r) => n + Number(r.trades), 0);
    assert.equal(total("ws"), trades.filter((t) => t.source === "ws").length);
    assert.equal(total("rest"), trades.filter((t) => t.source === "rest").length);
    assert.ok(total("rest") > 0);
  });

  test("market: the default VWAP is the exact one of every trade, and the comparison's difference is (ticker - trade) / trade in bps", async () => {
    const exact = new Map(exactVwap5m(trades.filter((t) => t.product_id === "ETH-USD")).map((r) => [r.bucket, Number(r.vwap)]));
    const vwap = await panelRows("streamstack-market", "5-minute VWAP from every trade (exact): $product", ["ETH-USD"]);
    const compared = vwap.filter((r) => r.vwap !== null);
    assert.equal(compared.length, exact.size, "one VWAP per bucket with trades");
    for (const r of compared) assert.ok(Math.abs(Number(r.vwap) - exact.get(String(r.bucket))!) <= 1e-12 * Number(r.vwap), `${String(r.bucket)}: ${String(r.vwap)}`);

    const methods = await panelRows("streamstack-market", "VWAP: ticker method vs every trade ($product)", ["ETH-USD"]);
    const both = methods.filter((r) => r.ticker_vwap !== null && r.trade_vwap !== null);
    assert.ok(both.length > 10);
    for (const r of both) {
      assert.ok(Math.abs(Number(r.trade_vwap) - exact.get(String(r.bucket))!) <= 1e-12 * Number(r.trade_vwap));
      const bps = ((Number(r.ticker_vwap) - Number(r.trade_vwap)) / Number(r.trade_vwap)) * 10_000;
      assert.ok(Math.abs(Number(r.difference_bps) - bps) < 1e-6, `${String(r.bucket)}: ${String(r.difference_bps)} vs ${bps}`);
    }
  });
});

/** A Grafana relative time such as "3h" or "90m", in ms. */
function relativeMs(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  assert.ok(m, `relative time ${text}`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR }[m[2] as "s" | "m" | "h" | "d"];
}

/** What each panel type needs from its frame. */
function checkShape(spec: PanelSpec, target: PanelTarget, result: QueryResult, selection: readonly string[] | null): void {
  const [first, ...rest] = result.columns;
  const labels = rest.filter((c) => isLabel(c.type));
  if (spec.kind === "table") {
    assert.equal(target.format, ClickHouseFormat.Table);
    return;
  }
  if (spec.kind === "stat") {
    // One row of numbers (the stat shows each column's value under its name), fetched as a table.
    assert.equal(target.format, ClickHouseFormat.Table);
    assert.equal(result.rows.length, 1, `${spec.title}: one row`);
    for (const c of result.columns) assert.ok(isNumber(c.type), `${spec.title}: ${c.name} ${c.type} is a number`);
    return;
  }
  assert.ok(first && isTime(first.type), `${spec.title}: the first column is the time (${first?.type})`);
  for (const c of rest) assert.ok(isNumber(c.type) || isLabel(c.type), `${spec.title}: ${c.name} ${c.type} is a value or a label`);
  assert.ok(rest.some((c) => isNumber(c.type)), "at least one value column");
  if (labels.length > 0) {
    // Long data: fetched as a table and split per label in the browser (prepareTimeSeries).
    assert.equal(target.format, ClickHouseFormat.Table);
    assert.ok(spec.perLabel);
    const seen = new Map<string, number>();
    for (const row of result.rows) {
      const key = labels.map((l) => String(row[l.name])).join("/");
      const t = Date.parse(String(row[first.name]).replace(" ", "T") + "Z");
      assert.ok((seen.get(key) ?? -Infinity) < t, `${spec.title}: each series ascends in time (${key})`);
      seen.set(key, t);
    }
    if (labels.some((l) => l.name === "product_id")) {
      const products = new Set(result.rows.map((r) => r.product_id));
      assert.deepEqual([...products].sort(), [...(selection ?? PRODUCTS)].sort(), "one series per selected product");
    }
  } else {
    // Wide data: the plugin's TimeSeries format takes it as it is; time must ascend.
    assert.equal(target.format, ClickHouseFormat.TimeSeries);
    const times = result.rows.map((r) => Date.parse(String(r[first.name]).replace(" ", "T") + "Z"));
    assert.ok(times.every((t, i) => i === 0 || times[i - 1]! < t), `${spec.title}: rows ascend in time`);
  }
  if (spec.kind === "candlestick") {
    for (const field of Object.values(spec.ohlc!)) {
      const column = result.columns.find((c) => c.name === field);
      assert.ok(column && isNumber(column.type), `candlestick field ${field} is numeric`);
    }
    assert.ok(result.rows.some((r) => r.open !== null && r.close !== null), "some candles have prices");
  }
}
