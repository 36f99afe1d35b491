// The Ingestion dashboard: is data flowing, how fresh and how late is it, what was lost, and how
// the ingester itself is doing (its heartbeat rows in ingest_stats).
import { panelSpec, type PanelSpec } from "./common";

export const INGESTION_DASHBOARD_UID = "streamstack-ingestion";

/** Panel ids the alert rules link to (annotation __panelId__). */
export const INGESTION_PANEL = {
  ticksPerMinute: 1,
  tradesPerMinute: 2,
  freshness: 3,
  latency: 4,
  sequenceGaps: 5,
  deadLetters: 6,
  ingesterRates: 7,
  bufferDepth: 8,
  spoolSize: 9,
  reconnects: 10,
  backfillOpen: 20,
  backfillFilled: 21,
  backfillAbandoned: 22,
  backfillOverTime: 23,
  tradesBySource: 24,
} as const;

export interface DashboardSection {
  readonly rowId: number;
  readonly title: string;
  /** A dashboard variable to repeat the row for (one copy per selected value). */
  readonly repeat?: string;
  /** Starts collapsed: its panels load only when someone opens the row. */
  readonly collapsed?: boolean;
  readonly panels: readonly PanelSpec[];
}

export function ingestionSections(): DashboardSection[] {
  return [flowSection(), lossesSection(), backfillSection(), ingesterSection()];
}

/** Flow: how much arrives, how fresh it is and how late. */
function flowSection(): DashboardSection {
  const P = INGESTION_PANEL;
  return {
    rowId: 100,
    title: "Flow",
    panels: [
      panelSpec({
        id: P.ticksPerMinute,
        title: "Rows stored per minute",
        description: "Ticks stored per minute per product, from the trades_per_minute rollup; empty minutes are 0. A drop to 0 is what the no-ticks alert watches.",
        kind: "timeseries",
        queryName: "ingestion_rate_per_minute",
        render: { select: ["minute", "product_id", "num_ticks"] },
        unit: "short",
      }),
      panelSpec({
        id: P.tradesPerMinute,
        title: "Trades per minute",
        description: "Ticks with a traded size per minute per product (the walk-through's trades per minute).",
        kind: "bars",
        queryName: "ingestion_rate_per_minute",
        render: { select: ["minute", "product_id", "num_trades"] },
        unit: "short",
      }),
      panelSpec({
        id: P.freshness,
        title: "Data freshness",
        description: "Per product: the newest tick's exchange time, when the newest row was stored, and how many seconds ago each was.",
        kind: "table",
        queryName: "data_freshness",
        columns: { seconds_since_last_tick: { unit: "s" }, seconds_since_last_ingest: { unit: "s" } },
      }),
      panelSpec({
        id: P.latency,
        title: "Ingest latency (stored - exchange time)",
        description: "Per minute and product, mean and max seconds from the exchange's tick time to the row being stored (ingested_at - time).",
        kind: "timeseries",
        queryName: "ingest_latency",
        unit: "s",
      }),
    ],
  };
}

/** Losses: what the ingester could not store or never received. */
function lossesSection(): DashboardSection {
  const P = INGESTION_PANEL;
  return {
    rowId: 101,
    title: "Losses",
    panels: [
      panelSpec({
        id: P.sequenceGaps,
        title: "Sequence gaps",
        description: "Real message losses the ingester recorded (matches trade_id jumps, reconnect windows) per minute, and how many messages they miss.",
        kind: "bars",
        queryName: "sequence_gaps_over_time",
        unit: "short",
      }),
      panelSpec({
        id: P.deadLetters,
        title: "Dead letters",
        description: "Messages the ingester could not store per minute (kept in ingest_dead_letters with the reason).",
        kind: "bars",
        queryName: "dead_letters_over_time",
        unit: "short",
      }),
    ],
  };
}

/** Stat colours: green while nothing is there, then the colour of concern. */
const NONE_IS_GOOD = (color: string) => [
  { from: null, color: "green" },
  { from: 1, color },
];

/**
 * Backfill: trade_id gaps on the matches channel, filled from the REST API. The stats count gaps
 * detected in the dashboard's range by their newest state (backfill_status.sql); the bars show
 * when gaps were detected, filled or abandoned; trades per source shows the backfilled trades
 * arriving beside the live ones.
 */
function backfillSection(): DashboardSection {
  const P = INGESTION_PANEL;
  const stat = (id: number, title: string, states: string[], columns: Array<[column: string, name: string]>, color: string, description: string) =>
    panelSpec({
      id,
      title,
      description,
      kind: "stat",
      queryName: "backfill_status",
      render: { aggregate: columns.map(([column]) => ({ fn: "sum" as const, column })), where: { column: "state", in: states } },
      columns: Object.fromEntries(columns.map(([column, name]) => [column, { displayName: name }])),
      thresholds: NONE_IS_GOOD(color),
      width: 8,
      height: 5,
    });
  return {
    rowId: 103,
    title: "Backfill",
    panels: [
      stat(P.backfillOpen, "Open backfill gaps", ["detected", "filling"], [["gaps", "gaps"], ["missing_trades", "trades missing"]], "orange",
        "Trade-id gaps detected in the time range that are not filled yet (newest state detected or filling), and the trades they miss."),
      stat(P.backfillFilled, "Filled backfill gaps", ["filled"], [["gaps", "gaps"], ["backfilled_trades", "trades backfilled"]], "blue",
        "Gaps detected in the time range whose trades were all fetched from the REST API and stored (source rest)."),
      stat(P.backfillAbandoned, "Abandoned backfill gaps", ["abandoned"], [["gaps", "gaps"], ["missing_trades", "trades missing"], ["backfilled_trades", "of them backfilled"]], "red",
        "Gaps detected in the time range that the backfill gave up on (the reason is in backfill_gaps.reason): their trades are missing for good, and the exact VWAP and candles of those minutes lack them."),
      panelSpec({
        id: P.backfillOverTime,
        title: "Backfill gaps over time",
        description: "Per minute: gaps detected, and gaps filled or abandoned (in the minute of their newest state).",
        kind: "bars",
        queryName: "backfill_gaps_over_time",
        unit: "short",
      }),
      panelSpec({
        id: P.tradesBySource,
        title: "Trades per minute by source",
        description: "Trades stored per minute, stacked by source: ws (the matches channel) and rest (backfilled from the REST API, in the minute the trade happened).",
        kind: "bars",
        queryName: "trades_per_minute_by_source",
        unit: "short",
        stacked: true,
      }),
    ],
  };
}

/** The ingester itself, from its heartbeat rows. */
function ingesterSection(): DashboardSection {
  const P = INGESTION_PANEL;
  return {
    rowId: 102,
    title: "Ingester",
    panels: [
      panelSpec({
        id: P.ingesterRates,
        title: "Stored and rejected per second",
        description: "Rows stored and messages rejected per second between heartbeats, per ingester instance.",
        kind: "timeseries",
        queryName: "ingester_stats",
        render: { select: ["reported_at", "instance", "stored_per_s", "rejected_per_s"] },
        unit: "short",
      }),
      panelSpec({
        id: P.bufferDepth,
        title: "Buffer depth",
        description: "Rows waiting in the ingester's batch buffer at each heartbeat.",
        kind: "timeseries",
        queryName: "ingester_stats",
        render: { select: ["reported_at", "instance", "buffer_depth"] },
        unit: "short",
      }),
      panelSpec({
        id: P.spoolSize,
        title: "Spool size",
        description: "Bytes spooled to disk while ClickHouse was unreachable or slow, per instance.",
        kind: "timeseries",
        queryName: "ingester_stats",
        render: { select: ["reported_at", "instance", "spool_bytes"] },
        unit: "bytes",
      }),
      panelSpec({
        id: P.reconnects,
        title: "Reconnects",
        description: "Websocket reconnects since the instance started (a counter: steps show reconnects).",
        kind: "timeseries",
        queryName: "ingester_stats",
        render: { select: ["reported_at", "instance", "reconnects"] },
        unit: "short",
      }),
    ],
  };
}
