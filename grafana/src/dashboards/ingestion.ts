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
} as const;

export interface DashboardSection {
  readonly rowId: number;
  readonly title: string;
  /** A dashboard variable to repeat the row for (one copy per selected value). */
  readonly repeat?: string;
  readonly panels: readonly PanelSpec[];
}

export function ingestionSections(): DashboardSection[] {
  return [flowSection(), lossesSection(), ingesterSection()];
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
        columnUnits: { seconds_since_last_tick: "s", seconds_since_last_ingest: "s" },
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
