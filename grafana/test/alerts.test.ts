// Each alert rule's query, expanded as the ClickHouse plugin expands it for an alert evaluation
// (no variables; $__fromTime/$__toTime from the rule's relativeTimeRange), runs on the embedded
// ClickHouse and, put through the rule's own reduce and threshold stages, fires when ingestion
// has stopped and stays normal while it runs. Fixture timestamps are relative to now.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ClickHouseClient } from "@clickhouse/client";
import { openMigratedEngine, type TestEngine } from "../../sql/testing/engine";
import { alertSpecs, buildAlertRuleGroups } from "../src/alerts";
import { expandMacros } from "../testing/macros";
import { insertBackfillGap, insertDeadLetters, insertHeartbeats, insertSequenceGap, insertTicks, runSql } from "./fixtures";

const OPTIONS = { datasourceUid: "clickhouse-test" };
const [GROUP] = buildAlertRuleGroups(OPTIONS);
const RULES = GROUP!.rules;
const MINUTE = 60_000;

interface Stage {
  refId: string;
  datasourceUid: string;
  relativeTimeRange: { from: number; to: number };
  model: string;
}

interface Instance {
  labels: Record<string, string>;
  value: number | null;
  firing: boolean;
}

/**
 * One evaluation, as Grafana does it for these rules: query A as a numeric table (exactly one
 * number column, string columns become labels: pkg/expr/nodes.go isNumberTable/extractNumberSet),
 * B reduce (a no-op on numbers; dropNN drops nulls), C threshold (one condition).
 */
async function evaluate(client: ClickHouseClient, ruleName: string, now = Date.now()): Promise<Instance[]> {
  const rule = RULES.find((r) => r.name === ruleName)!;
  const [a, b, c] = rule.datas as Stage[];
  const query = JSON.parse(a!.model) as { rawSql: string; intervalMs: number; format: number };
  const reduce = JSON.parse(b!.model) as { type: string; expression: string; reducer: string; settings: { mode: string } };
  const threshold = JSON.parse(c!.model) as { type: string; expression: string; conditions: Array<{ evaluator: { type: "gt" | "lt"; params: number[] } }> };
  assert.equal(rule.condition, "C");
  assert.deepEqual([reduce.type, reduce.expression, threshold.type, threshold.expression], ["reduce", "A", "threshold", "B"]);
  assert.equal(threshold.conditions.length, 1, "a threshold has exactly one condition");

  const sql = expandMacros(query.rawSql, {
    from: new Date(now - a!.relativeTimeRange.from * 1000),
    to: new Date(now - a!.relativeTimeRange.to * 1000),
    intervalMs: query.intervalMs,
  });
  assert.doesNotMatch(sql, /\$__|\$\{|\$product/, "alert SQL has no variables and no unexpanded macro");
  const result = await runSql(client, sql);
  const numeric = result.columns.filter((col) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(col.type));
  const labels = result.columns.filter((col) => /String/.test(col.type));
  assert.equal(numeric.length, 1, `${ruleName}: exactly one numeric column (${JSON.stringify(result.columns)})`);
  assert.equal(numeric.length + labels.length, result.columns.length, `${ruleName}: every other column is a string label`);

  const { type, params } = threshold.conditions[0]!.evaluator;
  return result.rows
    .map((row) => ({ labels: Object.fromEntries(labels.map((l) => [l.name, String(row[l.name])])), value: row[numeric[0]!.name] as number | null }))
    .filter((n) => !(reduce.settings.mode === "dropNN" && (n.value === null || Number.isNaN(n.value))))
    .map((n) => ({ ...n, firing: type === "gt" ? n.value! > params[0]! : n.value! < params[0]! }));
}

const firing = (instances: Instance[]) => instances.length > 0 && instances.some((i) => i.firing);
const normal = (instances: Instance[]) => instances.every((i) => !i.firing);

describe("alert rules while ingestion runs", () => {
  let engine: TestEngine;
  before(async () => {
    engine = await openMigratedEngine();
    const now = Date.now();
    await insertTicks(engine.client, now - 30 * MINUTE, now - 1000);
    await insertHeartbeats(engine.client, "ingest-a", now - 30 * MINUTE, now - 2000);
    // Old losses, outside the rules' windows: they must not keep the alerts firing.
    await insertSequenceGap(engine.client, "BTC-USD", now - 45 * MINUTE, 2);
    await insertDeadLetters(engine.client, [now - 50 * MINUTE]);
    // A gap abandoned 2 h ago (outside the 60-minute window), and open and filled ones now.
    await insertBackfillGap(engine.client, { product: "BTC-USD", firstTradeId: 100, missing: 5, detectedAtMs: now - 122 * MINUTE, states: ["detected", "filling", "abandoned"] });
    await insertBackfillGap(engine.client, { product: "ETH-USD", firstTradeId: 200, missing: 5, detectedAtMs: now - 5 * MINUTE, states: ["detected", "filling", "filled"] });
    await insertBackfillGap(engine.client, { product: "SOL-USD", firstTradeId: 300, missing: 5, detectedAtMs: now - MINUTE, states: ["detected"] });
  });
  after(async () => {
    await engine.close();
  });

  for (const spec of alertSpecs(OPTIONS)) {
    test(`${spec.name}: normal`, async () => {
      const instances = await evaluate(engine.client, spec.name);
      assert.ok(instances.length > 0, "the query returns a value (no NoData path)");
      assert.ok(normal(instances), JSON.stringify(instances));
    });
  }

  test("data freshness gives one value per product, labelled by product_id", async () => {
    const instances = await evaluate(engine.client, "Data freshness over threshold");
    assert.deepEqual(instances.map((i) => i.labels.product_id).sort(), ["BTC-USD", "ETH-USD", "SOL-USD"]);
  });
});

describe("alert rules after ingestion stopped, and when it resumes", () => {
  let engine: TestEngine;
  const stoppedAt = Date.now() - 8 * MINUTE;
  before(async () => {
    engine = await openMigratedEngine();
    await insertTicks(engine.client, stoppedAt - 30 * MINUTE, stoppedAt);
    await insertHeartbeats(engine.client, "ingest-a", stoppedAt - 30 * MINUTE, stoppedAt);
    const now = Date.now();
    await insertSequenceGap(engine.client, "ETH-USD", now - 2 * MINUTE, 5);
    await insertDeadLetters(engine.client, [now - 3 * MINUTE, now - 2 * MINUTE]);
    // Abandoned 3 minutes ago (detected 5 minutes ago, a state change a minute).
    await insertBackfillGap(engine.client, { product: "ETH-USD", firstTradeId: 900, missing: 12, detectedAtMs: now - 5 * MINUTE, states: ["detected", "filling", "abandoned"] });
  });
  after(async () => {
    await engine.close();
  });

  for (const spec of alertSpecs(OPTIONS)) {
    test(`${spec.name}: firing`, async () => {
      const instances = await evaluate(engine.client, spec.name);
      assert.ok(firing(instances), JSON.stringify(instances));
    });
  }

  test("the no-ticks query still returns exactly one row (0) when nothing arrived", async () => {
    const instances = await evaluate(engine.client, "No ticks ingested in the last minute");
    assert.deepEqual(instances.map((i) => i.value), [0]);
  });

  test("no ticks, heartbeat and freshness return to normal once ticks and heartbeats arrive again", async () => {
    const now = Date.now();
    await insertTicks(engine.client, now - 20_000, now - 1000);
    await insertHeartbeats(engine.client, "ingest-a", now - 20_000, now - 1000, 5000);
    for (const name of ["No ticks ingested in the last minute", "Ingester heartbeat missing", "Data freshness over threshold"]) {
      assert.ok(normal(await evaluate(engine.client, name)), name);
    }
  });
});

describe("rule definitions", () => {
  test("are in the @pulumiverse/grafana RuleGroup input shape: datas, __expr__ stages, model as JSON", () => {
    assert.equal(GROUP!.intervalSeconds, 60);
    for (const rule of RULES) {
      const datas = rule.datas as Stage[];
      assert.deepEqual(datas.map((d) => d.refId), ["A", "B", "C"]);
      assert.equal(datas[0]!.datasourceUid, "clickhouse-test");
      assert.deepEqual(datas.slice(1).map((d) => d.datasourceUid), ["__expr__", "__expr__"]);
      const model = JSON.parse(datas[0]!.model);
      assert.deepEqual(model.datasource, { type: "grafana-clickhouse-datasource", uid: "clickhouse-test" });
      assert.equal(model.editorType, "sql");
      assert.equal(model.format, 1, "table format: numbers with labels");
      assert.ok(datas[0]!.relativeTimeRange.from > 0);
    }
  });

  test("every rule says what happened and what to do, and links to its panel", () => {
    for (const rule of RULES) {
      const annotations = rule.annotations as Record<string, string>;
      const labels = rule.labels as Record<string, string>;
      assert.ok(annotations.summary && annotations.description, rule.name as string);
      assert.match(annotations.query_file!, /^sql\/queries\/\w+\.sql$/);
      assert.equal(annotations.__dashboardUid__, "streamstack-ingestion");
      assert.match(annotations.__panelId__!, /^\d+$/);
      assert.match(labels.severity!, /^(critical|warning)$/);
      assert.match(String(rule.noDataState), /^(OK|NoData|KeepLast|Alerting)$/);
      assert.match(String(rule.execErrState), /^(OK|Error|KeepLast|Alerting)$/);
    }
  });

  test("the no-ticks rule is the walk-through's: every minute, fires on the first evaluation without ticks", () => {
    const rule = RULES.find((r) => r.uid === "streamstack-no-ticks")!;
    assert.equal(rule.for, "0s");
    assert.equal(rule.noDataState, "Alerting");
    assert.equal(rule.execErrState, "Error");
  });

  test("the abandoned-backfill rule counts gaps abandoned in its window (60 min by default) and links to the Abandoned stat", () => {
    const rule = RULES.find((r) => r.uid === "streamstack-backfill-abandoned")!;
    assert.equal((rule.datas as Stage[])[0]!.relativeTimeRange.from, 3600);
    assert.equal((rule.annotations as Record<string, string>).query_file, "sql/queries/backfill_gaps_over_time.sql");
    assert.equal((rule.annotations as Record<string, string>).__panelId__, "22");
    const [group] = buildAlertRuleGroups({ ...OPTIONS, backfillAbandonedWindowMinutes: 15 });
    assert.equal((group!.rules.find((r) => r.uid === "streamstack-backfill-abandoned")!.datas as Stage[])[0]!.relativeTimeRange.from, 900);
    assert.throws(() => buildAlertRuleGroups({ ...OPTIONS, backfillAbandonedWindowMinutes: 0 }), /backfillAbandonedWindowMinutes/);
  });

  test("thresholds and windows come from the options, and bad options are refused by name", () => {
    const [group] = buildAlertRuleGroups({ ...OPTIONS, freshnessThresholdSeconds: 42, sequenceGapWindowMinutes: 3, folderUid: "f1", labels: { team: "data" } });
    const freshness = group!.rules.find((r) => r.uid === "streamstack-data-freshness")!;
    assert.deepEqual(JSON.parse((freshness.datas as Stage[])[2]!.model).conditions[0].evaluator.params, [42]);
    assert.equal((group!.rules.find((r) => r.uid === "streamstack-sequence-gaps")!.datas as Stage[])[0]!.relativeTimeRange.from, 180);
    assert.equal(group!.folderUid, "f1");
    assert.equal((freshness.labels as Record<string, string>).team, "data");
    assert.throws(() => buildAlertRuleGroups({ datasourceUid: "bad uid!" }), /datasourceUid/);
    assert.throws(() => buildAlertRuleGroups({ ...OPTIONS, intervalSeconds: 1 }), /intervalSeconds/);
  });
});
