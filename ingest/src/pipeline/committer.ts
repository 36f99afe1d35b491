// Takes sealed blocks in spool order and commits them one at a time: insert each table's rows
// with the block's deterministic token, then advance the spool checkpoint. Rows of up to
// `maxBufferedRows` wait in memory; beyond that a block keeps only its range and is read back
// from disk when its turn comes, so memory stays bounded during a long ClickHouse outage.
import { createHash } from "node:crypto";
import type { Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import { backoffDelay, sleep } from "./backoff";
import { blockTextOf, TABLE_KEYS, type BlockText } from "./block-text";
import { InsertAborted, type BlockSink } from "./sink";
import type { BlockRange, Spool } from "./spool";

export interface QueuedBlock extends BlockRange {
  /** The block's rows in memory; absent when they wait on disk only (read back at their turn). */
  text?: BlockText;
  /** Receive times (ms) of the block's ticker rows, for the latency histogram. */
  receivedAt?: number[];
}

export interface CommitterOptions {
  readonly spool: Spool;
  readonly sink: BlockSink;
  readonly maxBufferedRows: number;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  /** Called after each commit (flow control, benchmarks). */
  readonly onCommit?: (block: QueuedBlock, committedAt: number) => void;
}

export class Committer {
  private readonly queue: QueuedBlock[] = [];
  private cachedRows = 0;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private offsetWaiters: Array<{ offset: number; resolve: () => void }> = [];
  /** When the last block was committed (or the committer started). */
  lastCommitAt = Date.now();

  constructor(private readonly options: CommitterOptions) {}

  get pendingRows(): number {
    let rows = 0;
    for (const b of this.queue) rows += b.rows;
    return rows;
  }

  get pendingBlocks(): number {
    return this.queue.length;
  }

  enqueue(block: QueuedBlock): void {
    if (block.text && this.cachedRows + block.rows > this.options.maxBufferedRows) {
      // Memory bound reached: this block waits on disk only.
      block.text = undefined;
      block.receivedAt = undefined;
    }
    if (block.text) this.cachedRows += block.rows;
    if (this.queue.length === 0) this.lastCommitAt = Date.now();
    this.queue.push(block);
    this.kick();
  }

  /**
   * Resolves once everything before spool offset `offset` is committed (e.g. the rows a crashed
   * run left in the spool), or rejects with InsertAborted if the committer is abandoned first.
   */
  committedThrough(offset: number): Promise<void> {
    if (this.options.spool.committedOffset >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.offsetWaiters.push({ offset, resolve });
      this.abort.signal.addEventListener("abort", () => reject(new InsertAborted("stopped before the spool's earlier rows were committed")), { once: true });
    });
  }

  /** Resolves once every queued block is committed. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops retrying (shutdown deadline): uncommitted blocks stay in the spool for the next start.
   * An insert already sent is not waited for beyond `graceMs` (it may hang until its timeout);
   * if it lands anyway, its token makes the next start's retry of the block a no-op.
   */
  async abandon(graceMs = 500): Promise<void> {
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  private wakeOffsetWaiters(): void {
    if (this.offsetWaiters.length === 0) return;
    const committed = this.options.spool.committedOffset;
    const due = this.offsetWaiters.filter((w) => w.offset <= committed);
    this.offsetWaiters = this.offsetWaiters.filter((w) => w.offset > committed);
    for (const w of due) w.resolve();
  }

  private kick(): void {
    if (this.running) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // A block enqueued while run() was returning: start again (run() itself never throws).
      if (this.queue.length > 0 && !this.abort.signal.aborted) this.kick();
    });
  }

  /**
   * Commits queued blocks in order until the queue is empty or the committer is abandoned. Never
   * rejects: whatever fails (reading a block back, the sink, the checkpoint) is logged and the
   * block retried after a capped backoff that shutdown cuts short, so a block that cannot be
   * committed never turns into a busy loop that starves the event loop (and signal handling).
   */
  private async run(): Promise<void> {
    const { spool, sink, log } = this.options;
    let failures = 0;
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const block = this.queue[0]!;
      try {
        const text = block.text ?? blockTextOf(spool.read(block));
        for (const key of TABLE_KEYS) {
          await sink.store(key, text[key], blockToken(spool.epoch, key, block), this.abort.signal);
        }
        spool.commit(block.end, block.position);
      } catch (err) {
        if (err instanceof InsertAborted) return;
        const delay = backoffDelay(RETRY, failures++);
        if (failures <= 3 || failures % 10 === 0) {
          log.error("cannot commit a block; retrying it", { block_start: block.start, block_end: block.end, attempt: failures, retry_in_ms: Math.round(delay), error: err as Error });
        }
        await sleep(delay, this.abort.signal);
        continue;
      }
      failures = 0;
      this.wakeOffsetWaiters();
      const now = Date.now();
      this.lastCommitAt = now;
      if (block.text) this.cachedRows -= block.rows;
      this.queue.shift();
      try {
        if (block.receivedAt) for (const t of block.receivedAt) this.options.metrics.latency((now - t) / 1000);
        this.options.onCommit?.(block, now);
      } catch (err) {
        log.error("an after-commit callback failed", { error: err as Error });
      }
    }
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

/** Retry delays of a block that could not be committed for a reason the sink does not retry itself. */
const RETRY = { initial_ms: 1_000, max_ms: 30_000 };

/** Same spool, same block, same table → same token, in this run or after a crash. */
export function blockToken(epoch: string, key: string, block: BlockRange): string {
  return createHash("sha256").update(`${epoch}:${key}:${block.start}:${block.end}`).digest("hex").slice(0, 40);
}
