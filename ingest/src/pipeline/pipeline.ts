// Downstream of every source: decode → dedup / gap check → spool → seal into blocks → committer.
// Sources call handle() for each raw message; nothing here blocks, so the source is paused
// (backpressure) when the spool holds more uncommitted bytes than allowed. The rows of one
// event-loop turn are written to the spool together (before the loop turns, or every
// FLUSH_ROWS rows) and join the open block as one chunk of text.
import type { Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import type { Committer, QueuedBlock } from "./committer";
import { blockTextOf, emptyBlockText, TABLE_KEYS, type BlockLines, type BlockText, type TableKey } from "./block-text";
import { decode } from "./decode";
import type { Decoded } from "./decoded";
import type { Spool } from "./spool";
import { toClickhouseTime, type FeedTracker, type GapRow } from "./tracker";

const MAX_DEAD_LETTER_CHARS = 100_000;
const FLUSH_ROWS = 2_048;

export interface PipelineOptions {
  readonly spool: Spool;
  readonly tracker: FeedTracker;
  readonly committer: Committer;
  readonly metrics: IngestMetrics;
  readonly log: Logger;
  /** Name of the source in dead letters (coinbase, replay, synthetic). */
  readonly sourceName: string;
  readonly maxRows: number;
  readonly maxIntervalMs: number;
  /** Rows recovered from the spool after the last marker: they belong to the open block. */
  readonly recoveredOpen?: BlockLines;
}

export class Pipeline {
  private open: BlockText = emptyBlockText();
  private openRows = 0;
  /** Rows of this event-loop turn, not yet in the spool nor in `open`. */
  private pending: BlockLines = { ticker: [], dead: [], gap: [] };
  private pendingRows = 0;
  private flushScheduled = false;
  private readonly flushSoon = () => this.flush();
  private openReceivedAt: number[] = [];
  private openSince: number | undefined;
  private sealTimer: NodeJS.Timeout | undefined;
  private readonly gapScratch: GapRow[] = [];

  constructor(private readonly options: PipelineOptions) {
    if (options.recoveredOpen) {
      this.open = blockTextOf(options.recoveredOpen);
      this.openRows = this.open.ticker.rows + this.open.dead.rows + this.open.gap.rows;
      if (this.openRows > 0) this.startBlockClock();
    }
  }

  /** Takes one raw message; returns what it was, so a source can react (ack, errors). */
  handle(raw: string, receivedAt: number = Date.now()): Decoded {
    const { metrics, tracker } = this.options;
    const decoded = decode(raw);
    metrics.message(decoded.kind);
    const gaps = this.gapScratch;
    switch (decoded.kind) {
      case "ticker": {
        if (tracker.ticker(decoded.productId, decoded.sequence, decoded.time, gaps)) {
          this.append("ticker", decoded.line);
          this.openReceivedAt.push(receivedAt);
        } else {
          metrics.duplicate("ticker");
        }
        break;
      }
      case "match":
        if (!tracker.match(decoded.productId, decoded.tradeId, decoded.sequence, decoded.time, gaps)) metrics.duplicate("matches");
        break;
      case "heartbeat":
        tracker.heartbeat(decoded.productId, decoded.sequence, decoded.time, gaps);
        break;
      case "error":
        this.options.log.warn("the exchange sent an error", { message: decoded.message });
        this.deadLetter(raw, `exchange error: ${decoded.message}`, receivedAt);
        metrics.deadLettered("exchange");
        break;
      case "invalid":
        this.deadLetter(raw, decoded.reason, receivedAt);
        metrics.deadLettered("decode");
        break;
      case "subscriptions":
      case "unknown":
        // Coinbase: "Clients are expected to ignore messages they do not support." Counted by kind.
        break;
    }
    if (gaps.length > 0) {
      for (const gap of gaps) {
        this.append("gap", JSON.stringify(gap));
        metrics.gap(gap.kind);
        this.options.log.info("gap recorded", { ...gap });
      }
      gaps.length = 0;
    }
    if (this.openRows >= this.options.maxRows) this.seal();
    return decoded;
  }

  /** The source lost its connection: the next message per product closes an outage window. */
  connectionLost(): void {
    this.options.tracker.connectionLost();
  }

  /** Ends the open block now (time, size or shutdown) and hands it to the committer. */
  seal(): void {
    this.flush();
    const range = this.options.spool.seal();
    const text = this.open;
    const receivedAt = this.openReceivedAt;
    this.open = emptyBlockText();
    this.openRows = 0;
    this.openReceivedAt = [];
    this.openSince = undefined;
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    if (!range) return;
    const block: QueuedBlock = { ...range, text, receivedAt };
    this.options.committer.enqueue(block);
  }

  private append(key: TableKey, row: string): void {
    this.pending[key].push(row);
    this.pendingRows++;
    this.openRows++;
    if (this.openSince === undefined) this.startBlockClock();
    if (this.pendingRows >= FLUSH_ROWS) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Writes this turn's rows to the spool and adds them to the open block as text. */
  flush(): void {
    this.flushScheduled = false;
    if (this.pendingRows === 0) return;
    for (const key of TABLE_KEYS) {
      const rows = this.pending[key];
      if (rows.length === 0) continue;
      this.options.spool.appendRows(key, rows);
      const text = this.open[key];
      text.chunks.push(rows.join("\n") + "\n");
      text.rows += rows.length;
      this.pending[key] = [];
    }
    this.pendingRows = 0;
  }

  /**
   * A block's first row starts its clock: it is sealed max_interval_ms later at the latest. This
   * timer is the only thing that seals a block for its age.
   */
  private startBlockClock(): void {
    this.openSince = Date.now();
    this.armSealTimer(this.options.maxIntervalMs);
  }

  /**
   * Seals the open block once its oldest row is max_interval_ms old. A timer may fire a moment
   * before Date.now() says so (they read different clocks): then it waits for the rest.
   */
  private armSealTimer(inMs: number): void {
    this.sealTimer = setTimeout(() => {
      if (this.openSince === undefined) return;
      const left = this.openSince + this.options.maxIntervalMs - Date.now();
      if (left > 0) this.armSealTimer(left);
      else this.seal();
    }, inMs);
  }

  /** Stops the block timer (shutdown seals explicitly) and writes any rows of this turn to the spool. */
  close(): void {
    clearTimeout(this.sealTimer);
    this.flush();
  }

  private deadLetter(raw: string, reason: string, receivedAt: number): void {
    const kept = raw.length > MAX_DEAD_LETTER_CHARS ? `${raw.slice(0, MAX_DEAD_LETTER_CHARS)}…[${raw.length - MAX_DEAD_LETTER_CHARS} more characters cut]` : raw;
    this.append(
      "dead",
      JSON.stringify({ received_at: toClickhouseTime(receivedAt), source: this.options.sourceName, reason: wellFormed(reason), raw: wellFormed(kept) }),
    );
  }

}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Replaces lone UTF-16 surrogates (a message cut inside a character, e.g. by JSON.parse's error
 * snippet) with U+FFFD: JSON.stringify escapes them as \udXXX, which ClickHouse refuses.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\ufffd");
}
