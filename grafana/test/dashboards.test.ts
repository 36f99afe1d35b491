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
const Panel = z.discriminatedUnion("type", [
  z.object({ type: z.literal("row"), id: z.number().int(), title: z.string(), gridPos: GridPos, collapsed: z.literal(false), panels: z.array(z.unknown()).length(0), repeat: z.string().optional() }),
  ...(["timeseries", "candlestick", "table"] as const).map((type) =>
    z.object({
      type: z.literal(type),
      id: z.number().int(),
      title: z.string().min(1),
      description: z.string().regex(/Query: sql\/queries\/\w+\.sql\.$/),
      gridPos: GridPos,
      datasource: z.object({ type: z.literal("grafana-clickhouse-datasource"), uid: z.literal(UID) }),
      targets: z.array(Target).min(1),
      transformations: z.array(z.object({ id: z.literal("prepareTimeSeries"), options: z.object({ format: z.literal("multi") }) })).optional(),
      options: z.record(z.string(), z.unknown()),
      fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }),
    }),
  ),
]);
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
        const panels = d.json.panels as Array<{ id: number; gridPos: { x: number; y: number; w: number; h: number } }>;
        assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
        for (const p of panels) assert.ok(p.gridPos.x + p.gridPos.w <= 24, `panel ${p.id} fits in 24 columns`);
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
    const candles = (json.panels as Array<{ type: string; timeFrom?: string; gridPos: { w: number } }>).filter((p) => p.type === "candlestick");
    assert.ok(candles.length > 0);
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
    ])
      assert.ok(titles.includes(expected), expected);
  });
});

describe("alert rule groups", () => {
  test("are stable (snapshot)", () => matchSnapshot("alert-rule-groups", buildAlertRuleGroups({ datasourceUid: UID })));
});
