// The dashboards' JSON: valid for the pinned Grafana line (built with the foundation SDK's typed
// builders at schemaVersion 42, plus the structural rules Grafana enforces when it lays out and
// runs a dashboard), and stable: compared with the committed snapshot.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { z } from "zod";
import { buildAlertRuleGroups } from "../src/alerts";
import { allPanels, buildDashboards, dashboardDefinitions } from "../src/dashboards";

const SNAPSHOT_DIR = join(__dirname, "__snapshots__");
const UID = "clickhouse";

/** Compares with the committed snapshot; UPDATE_SNAPSHOTS=1 rewrites it (review the diff). */
function matchSnapshot(name: string, value: unknown): void {
  const file = join(SNAPSHOT_DIR, `${name}.json`);
  const text = JSON.stringify(value, null, 2) + "\n";
  if (process.env.UPDATE_SNAPSHOTS === "1") {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.ok(existsSync(file), `${file} is missing: run UPDATE_SNAPSHOTS=1 npm test -- grafana and commit it`);
  assert.deepEqual(JSON.parse(text), JSON.parse(readFileSync(file, "utf8")), `${name} differs from ${file}: if the change is intended, run UPDATE_SNAPSHOTS=1 npm test -- grafana and commit the diff`);
}

const GridPos = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), w: z.number().int().min(1).max(24), h: z.number().int().min(1) });
const Target = z.object({
  refId: z.string().min(1),
  datasource: z.object({ type: z.literal("grafana-clickhouse-datasource"), uid: z.literal(UID) }),
  editorType: z.literal("sql"),
  rawSql: z.string().min(1),
  format: z.union([z.literal(0), z.literal(1)]),
});
const VizPanel = z.object({
  type: z.enum(["timeseries", "candlestick", "table", "stat"]),
  id: z.number().int(),
  title: z.string().min(1),
  description: z.string().regex(/Query: sql\/queries\/\w+\.sql\.$/),
  gridPos: GridPos,
  datasource: z.object({ type: z.literal("grafana-clickhouse-datasource"), uid: z.literal(UID) }),
  targets: z.array(Target).min(1),
  transformations: z.array(z.object({ id: z.literal("prepareTimeSeries"), options: z.object({ format: z.literal("multi") }) })).optional(),
  options: z.record(z.string(), z.unknown()),
  fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }),
});
const RowBase = { type: z.literal("row"), id: z.number().int(), title: z.string(), gridPos: GridPos, repeat: z.string().optional() };
// An open row lists no panels (they follow it at the top level; Grafana strips panels from an
// open row); a collapsed row holds its own.
const Row = z.union([
  z.object({ ...RowBase, collapsed: z.literal(false), panels: z.array(z.unknown()).length(0) }),
  z.object({ ...RowBase, collapsed: z.literal(true), panels: z.array(VizPanel).min(1) }),
]);
const Panel = z.union([Row, VizPanel]);
const Dashboard = z.object({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.literal(dashboard.defaultDashboard().schemaVersion),
  editable: z.boolean(),
  refresh: z.string(),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.literal("query"), multi: z.literal(true), includeAll: z.literal(true) }).passthrough()) }),
  panels: z.array(Panel).min(1),
});

interface JsonPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  collapsed?: boolean;
  repeat?: string;
  timeFrom?: string;
  panels?: JsonPanel[];
  targets?: Array<{ rawSql: string; format: number }>;
  fieldConfig?: { overrides: Array<{ matcher: { id: string; options: string }; properties: Array<{ id: string; value: unknown }> }> };
}

/** The dashboard's panels: the top level, then each collapsed row's own. */
function flatPanels(json: dashboard.Dashboard): JsonPanel[] {
  const top = (json.panels ?? []) as unknown as JsonPanel[];
  return [...top, ...top.flatMap((p) => p.panels ?? [])];
}

describe("dashboard JSON", () => {
  const built = buildDashboards({ datasourceUid: UID });

  test("the SDK targets the schema version this Grafana line reads (42)", () => {
    assert.equal(dashboard.defaultDashboard().schemaVersion, 42);
  });

  for (const d of built) {
    describe(d.title, () => {
      const parsed = Dashboard.safeParse(d.json);

      test("matches the dashboard model Grafana loads (panels, targets, variables)", () => {
        assert.ok(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues.slice(0, 3), null, 2));
        assert.equal(d.uid, d.json.uid);
        assert.equal(d.title, d.json.title);
      });

      test("panel ids are unique and panels do not overlap on the 24-column grid", () => {
        const all = flatPanels(d.json);
        assert.equal(new Set(all.map((p) => p.id)).size, all.length);
        for (const p of all) assert.ok(p.gridPos.x + p.gridPos.w <= 24, `panel ${p.id} fits in 24 columns`);
        // The top level shares one grid; a collapsed row's panels share another (laid out below the row when it opens).
        const top = (d.json.panels ?? []) as unknown as JsonPanel[];
        for (const panels of [top, ...top.filter((p) => p.collapsed).map((p) => p.panels ?? [])])
          for (const [i, a] of panels.entries())
            for (const b of panels.slice(i + 1)) {
              const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
              assert.ok(!overlap, `panels ${a.id} and ${b.id} overlap`);
            }
      });

      test("every variable a panel or row uses is defined, and repeats name a variable", () => {
        const names = new Set((d.json.templating?.list ?? []).map((v) => v.name));
        const text = JSON.stringify(d.json.panels);
        for (const m of text.matchAll(/\$\{(\w+)[^}]*\}|\$(\w+)/g)) {
          const name = m[1] ?? m[2]!;
          if (name.startsWith("__")) continue; // $__ macros belong to the plugin
          assert.ok(names.has(name), `$${name} is used but not defined`);
        }
        for (const p of d.json.panels as Array<{ repeat?: string }>) if (p.repeat) assert.ok(names.has(p.repeat));
      });

      test("the product variable has no custom all value (All must expand to the product list)", () => {
        const variable = (d.json.templating?.list ?? []).find((v) => v.name === "product")!;
        assert.equal(variable.allValue, undefined);
        assert.deepEqual(variable.datasource, { type: "grafana-clickhouse-datasource", uid: UID });
      });

      test("is stable (snapshot)", () => matchSnapshot(`dashboard-${d.uid}`, d.json));
    });
  }

  test("buildDashboards validates its options and names the bad key", () => {
    assert.throws(() => buildDashboards({ datasourceUid: "" }), /datasourceUid/);
    assert.throws(() => buildDashboards({ datasourceUid: "ok", refresh: "soon" }), /refresh/);
  });

  test("market: one row per product, candles over a window where 1-minute candles stay readable", () => {
    const market = dashboardDefinitions().find((d) => d.uid === "streamstack-market")!;
    assert.ok(market.sections.every((s) => s.repeat === "product"), "every market row repeats per product (its own y axes)");
    const json = buildDashboards({ datasourceUid: UID }).find((d) => d.uid === "streamstack-market")!.json;
    const candles = flatPanels(json).filter((p) => p.type === "candlestick");
    assert.equal(candles.length, 2, "candles from every trade, and the walk-through's from tickers");
    for (const panel of candles) {
      assert.equal(panel.gridPos.w, 24, "full width");
      const hours = Number(/^(\d+)h$/.exec(panel.timeFrom ?? "")?.[1]);
      // ~1800 px of plot at 24 columns: at most 6 h of 1-minute candles (360) keeps each ≥ 4 px.
      assert.ok(hours >= 1 && hours <= 6, `candles over ${panel.timeFrom ?? "the dashboard's 24 h"}`);
    }
  });

  test("the brief's panels are all there", () => {
    const titles = dashboardDefinitions().flatMap((def) => allPanels(def).map((p) => `${p.kind}:${p.query.query.name}`));
    for (const expected of [
      "timeseries:ingestion_rate_per_minute",
      "table:data_freshness",
      "timeseries:ingest_latency",
      "bars:sequence_gaps_over_time",
      "bars:dead_letters_over_time",
      "timeseries:ingester_stats",
      "candlestick:ohlcv_1m",
      "timeseries:vwap_5m",
      "bars:vwap_5m",
      // Issue 14: exact rollups from every trade, the method comparison, the backfill.
      "candlestick:trade_ohlcv_1m",
      "timeseries:trade_vwap_5m",
      "bars:trade_vwap_5m",
      "timeseries:vwap_methods_5m",
      "stat:backfill_status",
      "bars:backfill_gaps_over_time",
      "bars:trades_per_minute_by_source",
    ])
      assert.ok(titles.includes(expected), expected);
  });

  test("market: the open row reads every trade (exact); the ticker-based panels sit in a collapsed row", () => {
    const market = dashboardDefinitions().find((d) => d.uid === "streamstack-market")!;
    const [open, walkThrough] = market.sections;
    assert.equal(market.sections.length, 2);
    assert.ok(!open!.collapsed, "the default row is open");
    const openQueries = open!.panels.map((p) => p.query.query.name);
    assert.deepEqual(openQueries, ["trade_ohlcv_1m", "trade_vwap_5m", "trade_vwap_5m", "vwap_methods_5m"]);
    for (const panel of open!.panels.slice(0, 3)) assert.match(panel.title, /every trade/, `${panel.title}: the title says where it comes from`);
    assert.match(open!.panels[0]!.title, /exact/);
    assert.match(open!.panels[1]!.title, /exact/);
    assert.equal(walkThrough!.collapsed, true);
    assert.match(walkThrough!.title, /^Walk-through method \(ticker-based, approximate\)/);
    assert.deepEqual(walkThrough!.panels.map((p) => p.query.query.name), ["ohlcv_1m", "vwap_5m", "vwap_5m"]);

    const json = buildDashboards({ datasourceUid: UID }).find((d) => d.uid === "streamstack-market")!.json;
    const top = json.panels as unknown as JsonPanel[];
    const row = top.find((p) => p.id === walkThrough!.rowId)!;
    assert.equal(row.collapsed, true);
    assert.equal(row.repeat, "product", "one ticker-based row per product too (its own axes)");
    assert.deepEqual(row.panels!.map((p) => p.id), walkThrough!.panels.map((p) => p.id), "the collapsed row holds its panels");
    assert.ok(!top.some((p) => walkThrough!.panels.some((w) => w.id === p.id)), "and they are not at the top level");
    // The first panel at the top level after the product row is the exact candles.
    assert.match(top[1]!.targets![0]!.rawSql, /FROM coinbase_demo\.trade_ohlcv_1m/);
  });

  test("market: one panel puts the ticker VWAP beside the trade VWAP, the difference in bps on its right axis", () => {
    const market = dashboardDefinitions().find((d) => d.uid === "streamstack-market")!;
    const specs = allPanels(market).filter((p) => p.query.query.name === "vwap_methods_5m");
    assert.equal(specs.length, 1, "exactly one comparison panel");
    const spec = specs[0]!;
    assert.match(spec.title, /^VWAP: ticker method vs every trade/);
    assert.deepEqual(spec.query.columns.map((c) => c.name), ["bucket", "ticker_vwap", "trade_vwap", "difference_bps"]);
    const json = buildDashboards({ datasourceUid: UID }).find((d) => d.uid === "streamstack-market")!.json;
    const panel = flatPanels(json).find((p) => p.id === spec.id)!;
    assert.equal(panel.type, "timeseries");
    assert.equal(panel.targets![0]!.format, 0, "one product per row copy: a wide frame, no label column");
    const override = (column: string) => Object.fromEntries(panel.fieldConfig!.overrides.find((o) => o.matcher.options === column)!.properties.map((p) => [p.id, p.value]));
    assert.equal(override("difference_bps")["custom.axisPlacement"], "right");
    assert.equal(override("difference_bps").unit, "suffix: bps");
    assert.match(String(override("ticker_vwap").displayName), /ticker/);
    assert.match(String(override("trade_vwap").displayName), /every trade/);
  });

  test("ingestion: backfill stats count open (detected + filling), filled and abandoned gaps; trades per source are stacked", () => {
    const ingestion = dashboardDefinitions().find((d) => d.uid === "streamstack-ingestion")!;
    const backfill = ingestion.sections.find((s) => s.title === "Backfill")!;
    const stats = backfill.panels.filter((p) => p.kind === "stat");
    assert.deepEqual(
      stats.map((p) => [p.title, /WHERE state IN \(([^)]*)\)$/.exec(p.query.sql)?.[1]]),
      [
        ["Open backfill gaps", "'detected', 'filling'"],
        ["Filled backfill gaps", "'filled'"],
        ["Abandoned backfill gaps", "'abandoned'"],
      ],
    );
    const json = buildDashboards({ datasourceUid: UID }).find((d) => d.uid === "streamstack-ingestion")!.json;
    const bySource = flatPanels(json).find((p) => p.title === "Trades per minute by source") as unknown as { fieldConfig: { defaults: { custom: { stacking?: { mode: string } } } } };
    assert.equal(bySource.fieldConfig.defaults.custom.stacking?.mode, "normal");
  });
});

describe("alert rule groups", () => {
  test("are stable (snapshot)", () => matchSnapshot("alert-rule-groups", buildAlertRuleGroups({ datasourceUid: UID })));
});
