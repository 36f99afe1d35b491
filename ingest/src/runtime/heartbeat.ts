// What the running ingester reports about itself on a clock: the spool and buffer gauges of
// /metrics, and an ingest_stats row every stats.interval_ms (and a last one at a clean stop).
import type { IngestMetrics } from "../observability/metrics";
import type { Committer } from "../pipeline/committer";
import type { Spool } from "../pipeline/spool";
import { toClickhouseTime } from "../pipeline/tracker";
import type { ClickHouseSink } from "../sinks/clickhouse";

export interface HeartbeatOptions {
  /** This process's name in ingest_stats. */
  readonly instance: string;
  readonly startedAt: number;
  readonly metrics: IngestMetrics;
  readonly spool: Pick<Spool, "uncommittedBytes" | "openRowCount">;
  readonly committer: Pick<Committer, "pendingRows">;
  readonly sink: Pick<ClickHouseSink, "insertStats">;
  /** stats.interval_ms */
  readonly statsIntervalMs: number;
  /** batch.max_interval_ms: the gauges are refreshed four times per block age, every 10-250 ms. */
  readonly batchIntervalMs: number;
}

export class Heartbeat {
  private statsSeq = 0;
  private statsBusy = false;
  private gaugeTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    const { batchIntervalMs, statsIntervalMs } = this.options;
    this.gaugeTimer = setInterval(() => this.updateGauges(), Math.min(250, Math.max(10, batchIntervalMs / 4)));
    this.statsTimer = setInterval(() => {
      if (this.statsBusy) return;
      this.statsBusy = true;
      void this.writeStats().finally(() => (this.statsBusy = false));
    }, statsIntervalMs);
  }

  stop(): void {
    clearInterval(this.gaugeTimer);
    clearInterval(this.statsTimer);
  }

  /** One ingest_stats row with the totals so far (a failure is logged by the sink and skipped). */
  async writeStats(): Promise<void> {
    const { instance, startedAt, metrics, spool, sink } = this.options;
    const { trades: _notAColumn, ...totals } = metrics.totals;
    const row = {
      reported_at: toClickhouseTime(Date.now()),
      instance,
      started_at: toClickhouseTime(startedAt),
      ...totals,
      buffer_depth: this.bufferedRows(),
      spool_bytes: spool.uncommittedBytes,
    };
    await sink.insertStats(row, `stats:${instance}:${startedAt}:${this.statsSeq++}`);
  }

  private updateGauges(): void {
    this.options.metrics.spoolBytes.set(this.options.spool.uncommittedBytes);
    this.options.metrics.bufferedRows.set(this.bufferedRows());
  }

  /** Rows not yet in ClickHouse: sealed blocks waiting for the committer, and the open block. */
  private bufferedRows(): number {
    return this.options.committer.pendingRows + this.options.spool.openRowCount;
  }
}
