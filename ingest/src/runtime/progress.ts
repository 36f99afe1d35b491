// A "progress" line every progress.interval_ms, so a person watching the ingester sees it work:
// messages received and rows stored (totals and per second since the last line), what waits in
// the spool, the source's state, and how long ago ClickHouse last took a block.
import type { Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import type { Spool } from "../pipeline/spool";
import type { Source } from "../sources/source";

export interface ProgressOptions {
  readonly metrics: Pick<IngestMetrics, "totals">;
  readonly spool: Pick<Spool, "uncommittedBytes">;
  readonly source: Pick<Source, "health">;
  readonly log: Logger;
  readonly intervalMs: number;
}

export class ProgressReport {
  private timer: NodeJS.Timeout | undefined;
  private last = { at: Date.now(), received: 0, stored: 0, trades: 0 };
  private lastCommitAt: number | undefined;

  constructor(private readonly options: ProgressOptions) {}

  /** `now`: when the rates' first interval starts (tests pass their own clock, as to report()). */
  start(now = Date.now()): void {
    const { received, stored, trades } = this.options.metrics.totals;
    this.last = { at: now, received, stored, trades };
    this.timer = setInterval(() => this.report(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The committer stored a block at `at`. */
  committed(at: number): void {
    this.lastCommitAt = at;
  }

  report(now = Date.now()): void {
    const { received, stored, trades, duplicates, rejected } = this.options.metrics.totals;
    const seconds = Math.max((now - this.last.at) / 1000, 0.001);
    const source = this.options.source.health();
    this.options.log.info("progress", {
      received,
      stored,
      received_per_s: round1((received - this.last.received) / seconds),
      stored_per_s: round1((stored - this.last.stored) / seconds),
      trades,
      trades_per_s: round1((trades - this.last.trades) / seconds),
      duplicates,
      rejected,
      spool_bytes: this.options.spool.uncommittedBytes,
      last_commit_s_ago: this.lastCommitAt === undefined ? null : round1((now - this.lastCommitAt) / 1000),
      source: source.ok ? "ok" : "problem",
      source_detail: source.detail,
    });
    this.last = { at: now, received, stored, trades };
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
