// buildAlertRuleGroups: Grafana-managed alert rules over the ClickHouse datasource, in the
// @pulumiverse/grafana grafana.alerting.RuleGroup input shape, so the infra helper can write
//   new grafana.alerting.RuleGroup(name, { ...group, folderUid }, { provider })
// Every rule is query A (ClickHouse, SQL from sql/queries) → B reduce → C threshold (the condition).
// Alert SQL has no dashboard variables: products is [] (all) and time comes from relativeTimeRange.
import type * as inputs from "@pulumiverse/grafana/types/input";
import { z } from "zod";
import { ClickHouseFormat, clickHouseDatasource } from "./clickhouseQuery";
import { INGESTION_DASHBOARD_UID, INGESTION_PANEL } from "./dashboards/ingestion";
import { renderForAlert, type RenderedQuery } from "./sql";
import { qualified, TABLES } from "../../sql/src/names";

/** Server-side expressions' datasource uid (pkg/expr/service.go; "-100" is the legacy alias). */
export const EXPRESSION_DATASOURCE_UID = "__expr__";

export const AlertOptionsSchema = z.object({
  /** uid of the ClickHouse datasource the rules query. */
  datasourceUid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, "datasourceUid must be 1-40 letters, digits, '-' or '_'"),
  /** Folder for the rule group; the infra helper may instead pass its own folder's uid to RuleGroup. */
  folderUid: z.string().min(1).optional(),
  groupName: z.string().min(1).default("streamstack-ingestion"),
  /** How often the group is evaluated; the no-ticks alert is meant to run every minute. */
  intervalSeconds: z.number().int().min(10).max(3600).default(60),
  /** Freshness alert: fires when a product's newest tick is older than this. */
  freshnessThresholdSeconds: z.number().positive().default(300),
  /** Sequence gap alert: the window looked at (rule relativeTimeRange). */
  sequenceGapWindowMinutes: z.number().int().min(1).max(1440).default(10),
  /** Dead letter alert: the window looked at, and how many dead letters in it are still fine. */
  deadLetterWindowMinutes: z.number().int().min(1).max(1440).default(10),
  deadLetterThreshold: z.number().int().min(0).default(0),
  /** Abandoned backfill alert: the window looked at (a gap counts in the minute it was abandoned). */
  backfillAbandonedWindowMinutes: z.number().int().min(1).max(1440).default(60),
  /** Extra labels on every rule (e.g. { team: "data" }) for notification routing. */
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "label names are [a-zA-Z_][a-zA-Z0-9_]*"), z.string()).default({}),
});
export type AlertOptions = z.input<typeof AlertOptionsSchema>;
type ParsedAlertOptions = z.output<typeof AlertOptionsSchema>;

export type NoDataState = "OK" | "NoData" | "KeepLast" | "Alerting";
export type ExecErrState = "OK" | "Error" | "KeepLast" | "Alerting";

/** One rule, before it is put into the provider's shape (tests and docs read this). */
export interface AlertSpec {
  readonly uid: string;
  readonly name: string;
  readonly query: RenderedQuery;
  /** Seconds before evaluation time that the query's $__fromTime / $__toTime stand for. */
  readonly relativeTimeRange: { readonly from: number; readonly to: number };
  readonly reducer: "last";
  readonly threshold: { readonly type: "gt" | "lt"; readonly value: number };
  readonly for: string;
  readonly noDataState: NoDataState;
  readonly execErrState: ExecErrState;
  readonly severity: "critical" | "warning";
  readonly panelId: number;
  readonly summary: string;
  readonly description: string;
}

/** What every rule shares: the query's last value is compared, and a failing query goes to Error (Grafana's separate DatasourceError alert). */
function rule(spec: Omit<AlertSpec, "reducer" | "execErrState">): AlertSpec {
  return { ...spec, reducer: "last", execErrState: "Error" };
}

export function alertSpecs(options: AlertOptions): AlertSpec[] {
  const o = parseOptions(options);
  return [...livenessAlerts(), ...dataAlerts(o), ...backfillAlerts(o)];
}

/** Is anything being ingested at all: ticks stored, the ingester's heartbeat. */
function livenessAlerts(): AlertSpec[] {
  return [
    rule({
      uid: "streamstack-no-ticks",
      name: "No ticks ingested in the last minute",
      // Ticks stored in the current and previous minute (60-120 s of silence before it reads 0).
      query: renderForAlert("ticks_last_minute"),
      relativeTimeRange: { from: 120, to: 0 },
      threshold: { type: "lt", value: 1 },
      for: "0s",
      // The query always returns one row (sum over no rows is 0), so NoData means something
      // unexpected between Grafana and ClickHouse: treat it as "not ingesting". A failing query
      // (ClickHouse down, bad credentials) goes to Error, a separate DatasourceError alert with
      // the error text, so "ClickHouse unreachable" and "ingester stopped" are told apart.
      noDataState: "Alerting",
      severity: "critical",
      panelId: INGESTION_PANEL.ticksPerMinute,
      summary: "No ticks were stored in ClickHouse for at least a minute.",
      description:
        "Ingestion has stopped. Check the ingester container (docker logs, restarts), its heartbeat panel, the Coinbase websocket status and ClickHouse inserts (dead letters, spool size). It returns to Normal on its own once ticks arrive again.",
    }),
    rule({
      uid: "streamstack-heartbeat-missing",
      name: "Ingester heartbeat missing",
      query: renderForAlert("ingester_heartbeat"),
      relativeTimeRange: { from: 60, to: 0 },
      threshold: { type: "lt", value: 1 },
      for: "0s",
      // Same reasoning as the no-ticks rule: count() always returns a row.
      noDataState: "Alerting",
      severity: "critical",
      panelId: INGESTION_PANEL.ingesterRates,
      summary: "No ingester wrote a heartbeat row to ingest_stats in the last minute.",
      description:
        "The ingester process is down, stuck, or cannot write to ClickHouse. Check `docker ps` / `docker logs` for the ingester container, then its ClickHouse credentials and the spool size once it is back.",
    }),
  ];
}

/** Is what arrives complete and current: per-product freshness, gaps, dead letters. */
function dataAlerts(o: ReturnType<typeof parseOptions>): AlertSpec[] {
  return [
    rule({
      uid: "streamstack-data-freshness",
      name: "Data freshness over threshold",
      // One numeric column plus product_id (a label): Grafana reads such a table as one number per product.
      query: renderForAlert("data_freshness", { select: ["product_id", "seconds_since_last_tick"] }),
      relativeTimeRange: { from: 600, to: 0 },
      threshold: { type: "gt", value: o.freshnessThresholdSeconds },
      for: "1m",
      // No rows means no product traded for 7 days: the no-ticks rule already fires for that,
      // so this rule stays quiet instead of raising a second alert for the same cause.
      noDataState: "OK",
      severity: "warning",
      panelId: INGESTION_PANEL.freshness,
      summary: `The newest tick of {{ $labels.product_id }} is older than ${o.freshnessThresholdSeconds} s.`,
      description:
        "One product stopped updating (or ingestion lags behind the exchange). Check the Data freshness and Ingest latency panels: if only one product is stale, check its subscription and Coinbase's status for it; if all are, see the no-ticks alert.",
    }),
    rule({
      uid: "streamstack-sequence-gaps",
      name: "Sequence gaps detected",
      query: renderForAlert("sequence_gaps_over_time", { aggregate: { fn: "sum", column: "gaps" } }),
      relativeTimeRange: { from: o.sequenceGapWindowMinutes * 60, to: 0 },
      threshold: { type: "gt", value: 0 },
      for: "0s",
      // An aggregate without GROUP BY always returns one row: NoData cannot come from ClickHouse.
      noDataState: "OK",
      severity: "warning",
      panelId: INGESTION_PANEL.sequenceGaps,
      summary: `The ingester recorded {{ $values.B.Value }} message gap(s) in the last ${o.sequenceGapWindowMinutes} minutes.`,
      description:
        `Messages were lost (matches trade_id jumps or a reconnect window). Look at ${qualified(TABLES.sequenceGaps)} for the products and time ranges; frequent gaps point at a slow consumer or network trouble (reconnects panel).`,
    }),
    rule({
      uid: "streamstack-dead-letters",
      name: "Dead letters rising",
      query: renderForAlert("dead_letters_over_time", { aggregate: { fn: "sum", column: "dead_letters" } }),
      relativeTimeRange: { from: o.deadLetterWindowMinutes * 60, to: 0 },
      threshold: { type: "gt", value: o.deadLetterThreshold },
      for: "0s",
      noDataState: "OK",
      severity: "warning",
      panelId: INGESTION_PANEL.deadLetters,
      summary: `{{ $values.B.Value }} message(s) went to ingest_dead_letters in the last ${o.deadLetterWindowMinutes} minutes.`,
      description:
        `The ingester received messages it could not store. Read the reasons: SELECT reason, count() FROM ${qualified(TABLES.deadLetters)} WHERE received_at > now() - INTERVAL 1 HOUR GROUP BY reason. A new message format or schema drift needs a code or migration change.`,
    }),
  ];
}

/** Trades missing for good: the REST backfill gave up on a gap. */
function backfillAlerts(o: ParsedAlertOptions): AlertSpec[] {
  return [
    rule({
      uid: "streamstack-backfill-abandoned",
      name: "Backfill gap abandoned",
      // Gaps whose newest state is abandoned, counted in the minute they were abandoned.
      query: renderForAlert("backfill_gaps_over_time", { aggregate: { fn: "sum", column: "abandoned" } }),
      relativeTimeRange: { from: o.backfillAbandonedWindowMinutes * 60, to: 0 },
      threshold: { type: "gt", value: 0 },
      for: "0s",
      noDataState: "OK",
      severity: "warning",
      panelId: INGESTION_PANEL.backfillAbandoned,
      summary: `{{ $values.B.Value }} backfill gap(s) were abandoned in the last ${o.backfillAbandonedWindowMinutes} minutes: their trades are missing for good.`,
      description:
        `The REST backfill gave up on a trade_id gap, so the exact VWAP and candles of those minutes lack its trades. Read why: SELECT product_id, first_trade_id, last_trade_id, missing, backfilled, reason FROM ${qualified(TABLES.backfillGaps)} FINAL WHERE state = 'abandoned' ORDER BY updated_at DESC LIMIT 20. Rate limits or an outage of the REST API are the usual causes.`,
    }),
  ];
}

export interface AlertRuleGroup {
  readonly name: string;
  readonly folderUid?: string;
  readonly intervalSeconds: number;
  readonly rules: inputs.alerting.RuleGroupRule[];
}

export function buildAlertRuleGroups(options: AlertOptions): AlertRuleGroup[] {
  const o = parseOptions(options);
  const rules = alertSpecs(options).map((spec) => toRule(spec, o));
  return [{ name: o.groupName, ...(o.folderUid ? { folderUid: o.folderUid } : {}), intervalSeconds: o.intervalSeconds, rules }];
}

const EXPRESSION_DEFAULTS = { intervalMs: 1000, maxDataPoints: 43200 } as const;

function toRule(spec: AlertSpec, o: ParsedAlertOptions): inputs.alerting.RuleGroupRule {
  const query = {
    refId: "A",
    datasource: clickHouseDatasource(o.datasourceUid),
    editorType: "sql",
    rawSql: spec.query.sql,
    // Table: one numeric column (plus string label columns) is what Grafana alerts on as numbers.
    format: ClickHouseFormat.Table,
    ...EXPRESSION_DEFAULTS,
  };
  const expression = { type: EXPRESSION_DATASOURCE_UID, uid: EXPRESSION_DATASOURCE_UID };
  const reduce = { refId: "B", type: "reduce", expression: "A", reducer: spec.reducer, settings: { mode: "dropNN" }, datasource: expression, ...EXPRESSION_DEFAULTS };
  const threshold = {
    refId: "C",
    type: "threshold",
    expression: "B",
    conditions: [{ evaluator: { type: spec.threshold.type, params: [spec.threshold.value] } }],
    datasource: expression,
    ...EXPRESSION_DEFAULTS,
  };
  return {
    uid: spec.uid,
    name: spec.name,
    condition: "C",
    for: spec.for,
    noDataState: spec.noDataState,
    execErrState: spec.execErrState,
    labels: { ...o.labels, service: "streamstack", component: "ingest", severity: spec.severity },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      query_file: `sql/queries/${spec.query.query.name}.sql`,
      __dashboardUid__: INGESTION_DASHBOARD_UID,
      __panelId__: String(spec.panelId),
    },
    datas: [
      { refId: "A", datasourceUid: o.datasourceUid, queryType: "", relativeTimeRange: spec.relativeTimeRange, model: JSON.stringify(query) },
      { refId: "B", datasourceUid: EXPRESSION_DATASOURCE_UID, queryType: "", relativeTimeRange: { from: 0, to: 0 }, model: JSON.stringify(reduce) },
      { refId: "C", datasourceUid: EXPRESSION_DATASOURCE_UID, queryType: "", relativeTimeRange: { from: 0, to: 0 }, model: JSON.stringify(threshold) },
    ],
  };
}

function parseOptions(options: AlertOptions): ParsedAlertOptions {
  const parsed = AlertOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`buildAlertRuleGroups: ${issue.path.join(".") || "options"}: ${issue.message}`);
  }
  return parsed.data;
}
