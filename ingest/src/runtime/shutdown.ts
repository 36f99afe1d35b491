// Stopping: stop reading, seal the open block and let the committer drain it all, within
// shutdown_timeout_ms of a stop request; then release what was opened, last opened first.
import type { Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import type { Committer } from "../pipeline/committer";
import type { Pipeline } from "../pipeline/pipeline";
import type { ClickHouseSink } from "../sinks/clickhouse";
import type { Source } from "../sources/source";
import type { Heartbeat } from "./heartbeat";

/** What to release at the end, run last added first (each step awaited). */
export class Cleanups {
  private readonly steps: Array<() => Promise<void> | void> = [];

  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step();
  }
}

/**
 * The flush deadline. It starts with a stop request (signal), also when a finished replay is
 * already draining: a SIGTERM must end the process within Docker's grace either way.
 */
class Deadline {
  /** Resolves (false: not drained) when the deadline passes; never if it is never started. */
  readonly reached: Promise<false>;
  private expire!: () => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {
    this.reached = new Promise((resolve) => (this.expire = () => resolve(false)));
  }

  start(): void {
    if (!this.timer) this.timer = setTimeout(this.expire, this.ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

export interface ShutdownParts {
  readonly source: Source;
  /** The trade backfill, stopped with the source (its open gap is resumed next start). */
  readonly backfill?: { stop(): Promise<void> };
  readonly pipeline: Pipeline;
  readonly committer: Committer;
  readonly sink: Pick<ClickHouseSink, "problem">;
  readonly heartbeat: Pick<Heartbeat, "writeStats">;
  readonly cleanups: Cleanups;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  /** shutdown_timeout_ms */
  readonly timeoutMs: number;
  /** spool.dir, named in the log when rows are left for the next start. */
  readonly spoolDir: string;
}

interface StopOptions {
  /** Wait for every row however long it takes (a finished source), unless a stop request sets a deadline. */
  readonly drainAll: boolean;
  readonly exitCode: number;
}

export class Shutdown {
  /** Resolves with the exit code once the ingester has stopped. */
  readonly done: Promise<number>;
  private resolveDone!: (code: number) => void;
  private stopping: Promise<number> | undefined;
  private readonly deadline: Deadline;

  constructor(private readonly parts: ShutdownParts) {
    this.done = new Promise<number>((resolve) => (this.resolveDone = resolve));
    this.deadline = new Deadline(parts.timeoutMs);
  }

  /** A stop request (signal, RunningIngester.stop): graceful, within the deadline. */
  requested(reason: string): Promise<number> {
    this.deadline.start();
    return this.stop(reason, { drainAll: false, exitCode: 0 });
  }

  /** Stops when a finite source finishes (everything drained, exit 0) or fails (exit 1). */
  followSource(): void {
    this.parts.source.finished?.then(
      () => void this.stop("the source has no more messages", { drainAll: true, exitCode: 0 }),
      (err: Error) => {
        this.parts.log.error("the source failed", { error: err.message });
        void this.stop(`source failed: ${err.message}`, { drainAll: false, exitCode: 1 });
      },
    );
  }

  /** Runs once; later calls get the first one's exit code. */
  private stop(reason: string, options: StopOptions): Promise<number> {
    this.stopping ??= this.drainAndRelease(reason, options);
    return this.stopping;
  }

  private async drainAndRelease(reason: string, options: StopOptions): Promise<number> {
    const { source, pipeline, committer, sink, heartbeat, cleanups, metrics, log } = this.parts;
    log.info("stopping", { reason });
    await Promise.all([source.stop(), this.parts.backfill?.stop()]);
    pipeline.seal();
    pipeline.close();
    if (!options.drainAll) this.deadline.start();
    const drained = await Promise.race([committer.idle().then(() => true), this.deadline.reached]);
    this.deadline.clear();
    if (!drained) {
      const left = committer.pendingRows;
      await committer.abandon();
      log.warn("shutdown deadline reached; the rest stays in the spool and is stored on the next start", { rows_left: left, spool_dir: this.parts.spoolDir });
    } else if (!sink.problem) {
      await heartbeat.writeStats();
    }
    await cleanups.run();
    log.info("stopped", { ...metrics.totals, exit_code: options.exitCode });
    this.resolveDone(options.exitCode);
    return options.exitCode;
  }
}
