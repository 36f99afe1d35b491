// Counters by stage, as Prometheus metrics (own registry, no process-wide singleton) and as
// plain cumulative totals for the ingest_stats rows.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { TABLES } from "../../../sql/src/names";

export interface Totals {
  received: number;
  /** Ticks committed (ingest_stats.stored). */
  stored: number;
  /** Trades committed (websocket and backfill; not an ingest_stats column). */
  trades: number;
  rejected: number;
  duplicates: number;
  gaps: number;
  reconnects: number;
}

export class IngestMetrics {
  readonly registry = new Registry();
  readonly totals: Totals = { received: 0, stored: 0, trades: 0, rejected: 0, duplicates: 0, gaps: 0, reconnects: 0 };
  /** Messages by kind, counted here and handed to prom-client only when /metrics is read. */
  private readonly receivedByKind: Record<string, number> = Object.create(null) as Record<string, number>;
  private readonly stored: Counter<"table">;
  private readonly deadLetters: Counter<"stage">;
  private readonly duplicates: Counter<"channel">;
  private readonly gaps: Counter<"kind">;
  private readonly reconnects: Counter;
  private readonly insertErrors: Counter<"class">;
  private readonly dropped: Counter;
  private readonly restRequests: Counter<"outcome">;
  private readonly backfillStates: Counter<"state">;
  readonly spoolBytes: Gauge;
  readonly bufferedRows: Gauge;
  readonly sourceConnected: Gauge;
  private readonly commitLatency: Histogram;
  private readonly insertDuration: Histogram<"table">;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const receivedByKind = this.receivedByKind;
    new Counter({
      name: "ingest_messages_received_total",
      help: "Messages received from the source, by kind",
      labelNames: ["kind"],
      registers,
      // Counted per message in a plain object (this runs ≥ 100k times a second); prom-client
      // reads the counts at scrape time.
      collect(this: Counter<"kind">) {
        this.reset();
        for (const kind of Object.keys(receivedByKind)) this.inc({ kind }, receivedByKind[kind]!);
      },
    });
    this.stored = new Counter({ name: "ingest_rows_stored_total", help: "Rows committed to ClickHouse, by table", labelNames: ["table"], registers });
    this.deadLetters = new Counter({ name: "ingest_dead_letters_total", help: `Messages or rows sent to ${TABLES.deadLetters}, by stage`, labelNames: ["stage"], registers });
    this.duplicates = new Counter({ name: "ingest_duplicates_total", help: "Messages already seen (not stored again), by channel", labelNames: ["channel"], registers });
    this.gaps = new Counter({ name: "ingest_gaps_total", help: `Gaps recorded in ${TABLES.sequenceGaps}, by kind`, labelNames: ["kind"], registers });
    this.reconnects = new Counter({ name: "ingest_reconnects_total", help: "Connections lost and retried", registers });
    this.insertErrors = new Counter({ name: "ingest_insert_errors_total", help: "Failed insert attempts, by class", labelNames: ["class"], registers });
    this.dropped = new Counter({ name: "ingest_rows_dropped_total", help: "Rows that could not be stored nor dead-lettered (logged)", registers });
    this.restRequests = new Counter({ name: "ingest_backfill_requests_total", help: "Requests to Coinbase's REST API by the trade backfill, by outcome", labelNames: ["outcome"], registers });
    this.backfillStates = new Counter({ name: "ingest_backfill_gaps_total", help: `Trade gaps that reached a state (detected, filling, filled, abandoned) in ${TABLES.backfillGaps}`, labelNames: ["state"], registers });
    this.spoolBytes = new Gauge({ name: "ingest_spool_bytes", help: "Bytes in the spool not yet committed", registers });
    this.bufferedRows = new Gauge({ name: "ingest_buffered_rows", help: "Rows waiting for ClickHouse (in memory or on disk)", registers });
    this.sourceConnected = new Gauge({ name: "ingest_source_connected", help: "1 while the source is connected and subscribed", registers });
    this.commitLatency = new Histogram({
      name: "ingest_commit_latency_seconds",
      help: "Time from receiving a tick to its batch being committed",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300],
      registers,
    });
    this.insertDuration = new Histogram({
      name: "ingest_insert_duration_seconds",
      help: "Duration of successful insert requests, by table",
      labelNames: ["table"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  message(kind: string): void {
    this.totals.received++;
    this.receivedByKind[kind] = (this.receivedByKind[kind] ?? 0) + 1;
  }
  rowsStored(table: string, n: number): void {
    if (table === "ticker") this.totals.stored += n;
    else if (table === "trade") this.totals.trades += n;
    this.stored.inc({ table }, n);
  }
  deadLettered(stage: "decode" | "exchange" | "clickhouse", n = 1): void {
    this.totals.rejected += n;
    this.deadLetters.inc({ stage }, n);
  }
  duplicate(channel: string): void {
    this.totals.duplicates++;
    this.duplicates.inc({ channel });
  }
  gap(kind: string): void {
    this.totals.gaps++;
    this.gaps.inc({ kind });
  }
  restRequest(outcome: string): void {
    this.restRequests.inc({ outcome });
  }
  backfillState(state: string): void {
    this.backfillStates.inc({ state });
  }
  reconnect(): void {
    this.totals.reconnects++;
    this.reconnects.inc();
  }
  insertError(errorClass: string): void {
    this.insertErrors.inc({ class: errorClass });
  }
  rowDropped(n = 1): void {
    this.dropped.inc(n);
  }
  latency(seconds: number): void {
    this.commitLatency.observe(seconds);
  }
  insertTook(table: string, seconds: number): void {
    this.insertDuration.observe({ table }, seconds);
  }
}
