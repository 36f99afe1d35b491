// Downstream of every source: decode → dedup / gap check → spool → seal into blocks → committer.
// Sources call handle() for each raw message; nothing here blocks, so the source is paused
// (backpressure) when the spool holds more uncommitted bytes than allowed. The rows of one
// event-loop turn are written to the spool together (before the loop turns, or every
// FLUSH_ROWS rows), with the number of messages handled so far, and join the open block as one
// chunk of text. A block is sealed by size, by age, or before its ticks span more days (ClickHouse
// partitions) than one insert may touch.
import type { Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import type { Committer, QueuedBlock } from "./committer";
import { blockTextOf, emptyBlockLines, emptyBlockText, rowCount, TABLE_KEYS, type BlockLines, type BlockText, type TableKey } from "./block-text";
import { decode } from "./decode";
import type { Decoded, DecodedTrade } from "./decoded";
import type { Spool } from "./spool";
import { toClickhouseTime, type FeedTracker, type GapRow } from "./tracker";

const MAX_DEAD_LETTER_CHARS = 100_000;
const FLUSH_ROWS = 2_048;
/**
 * Days one block's ticks may span. ClickHouse refuses an insert whose rows fall into more than
 * max_partitions_per_insert_block partitions (default 100; "more than", so 100 pass — checked on
 * the embedded engine) and coinbase_ticker is partitioned by toDate(time). 50 leaves room for a
 * server whose profile lowers the setting to 50, and a block of more days only comes from
 * replaying history (a live block spans one day, two at midnight), where a block sealed early
 * costs one more insert. A server set lower still is met by the sink's splitting, or by setting
 * sink.settings.max_partitions_per_insert_block, which lowers this limit to match.
 */
export const MAX_DAYS_PER_BLOCK = 50;

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
  /**
   * Distinct days (coinbase_ticker is partitioned by toDate(time)) a block's ticks may span: a
   * tick of a further day seals the block first, so no insert touches more partitions than the
   * server's max_partitions_per_insert_block allows.
   */
  readonly maxDaysPerBlock: number;
  /** What the source reads when it can be read again from the start (a replay file), for the spool's position records. */
  readonly sourceIdentity?: string;
  /** Messages an earlier run of the same source already handed over (their rows are in the spool or stored): skipped. */
  readonly resumeAfter?: number;
}

export class Pipeline {
  private open: BlockText = emptyBlockText();
  private openRows = 0;
  /** Rows of this event-loop turn, not yet in the spool nor in `open`. */
  private pending: BlockLines = emptyBlockLines();
  private pendingRows = 0;
  private flushScheduled = false;
  private readonly flushSoon = () => this.flush();
  private openReceivedAt: number[] = [];
  private openSince: number | undefined;
  private sealTimer: NodeJS.Timeout | undefined;
  private readonly gapScratch: GapRow[] = [];
  /** Days (UTC dates) of the open block's ticks. */
  private openDays = new Set<string>();
  private closed = false;
  /** Messages handed over by the source (this run and, when resumed, the earlier ones). */
  private seen = 0;
  /** Messages whose rows are all pending, in the spool or stored: the position a turn is written with. */
  private completed = 0;

  constructor(private readonly options: PipelineOptions) {
    if (options.recoveredOpen) {
      this.open = blockTextOf(options.recoveredOpen);
      this.openRows = rowCount(options.recoveredOpen);
      for (const line of [...options.recoveredOpen.ticker, ...options.recoveredOpen.trade]) this.openDays.add(line.slice(0, 10));
      if (this.openRows > 0) this.startBlockClock();
    }
  }

  /** Takes one raw message; returns what it was, so a source can react (ack, errors). */
  handle(raw: string, receivedAt: number = Date.now()): Decoded {
    // After close() (shutdown) the spool is closed: a message a source still hands over is not
    // taken (a paced replay can hand over the line it was waiting on); a replay reads it next time.
    if (this.closed) return NOT_TAKEN;
    const index = ++this.seen;
    if (index <= (this.options.resumeAfter ?? 0)) {
      // Handed over by an earlier run of this source: its rows are in the spool or in ClickHouse.
      this.completed = index;
      return RESUMED;
    }
    const { metrics, tracker } = this.options;
    const decoded = decode(raw);
    metrics.message(decoded.kind);
    const gaps = this.gapScratch;
    switch (decoded.kind) {
      case "ticker": {
        if (tracker.ticker(decoded.productId, decoded.sequence, decoded.time, gaps)) {
          this.beforeRowOn(decoded.time.slice(0, 10));
          this.append("ticker", decoded.line);
          this.openReceivedAt.push(receivedAt);
        } else {
          metrics.duplicate("ticker");
        }
        break;
      }
      case "match":
        if (tracker.match(decoded.productId, decoded.tradeId, decoded.sequence, decoded.time, gaps)) {
          this.beforeRowOn(decoded.time.slice(0, 10));
          this.append("trade", decoded.line);
        } else {
          metrics.duplicate("matches");
        }
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
    this.completed = index;
    this.afterAppend();
    return decoded;
  }

  /**
   * Trades fetched by the REST backfill: each one not already taken is stored (source "rest").
   * Returns how many were new, or undefined once the pipeline is closed (nothing was taken).
   */
  backfilled(trades: readonly DecodedTrade[]): number | undefined {
    if (this.closed) return undefined;
    let added = 0;
    for (const trade of trades) {
      if (!this.options.tracker.restTrade(trade.productId, trade.tradeId)) {
        this.options.metrics.duplicate("matches");
        continue;
      }
      this.beforeRowOn(trade.time.slice(0, 10));
      this.append("trade", trade.line);
      added++;
    }
    this.afterAppend();
    return added;
  }

  /** A REST trade the decoder refused: dead-lettered like any bad message. */
  rejectedBackfillTrade(raw: string, reason: string): void {
    if (this.closed) return;
    this.deadLetter(raw, reason, Date.now(), "coinbase-rest");
    this.options.metrics.deadLettered("decode");
    this.afterAppend();
  }

  /** A backfill state row (backfill_gaps); false once the pipeline is closed. */
  recordBackfillState(row: object): boolean {
    if (this.closed) return false;
    this.append("backfill", JSON.stringify(row));
    this.afterAppend();
    return true;
  }

  /** Seals the open block when it is full, or writes this turn's rows once there are enough of them. */
  private afterAppend(): void {
    if (this.openRows >= this.options.maxRows) this.seal();
    else if (this.pendingRows >= FLUSH_ROWS) this.flush();
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
    this.openDays = new Set();
    this.openSince = undefined;
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    if (!range) return;
    const block: QueuedBlock = { ...range, text, receivedAt };
    this.options.committer.enqueue(block);
  }

  /** A tick or trade of `day` joins the open block: first sealed if that would make it span too many days. */
  private beforeRowOn(day: string): void {
    if (this.openDays.has(day)) return;
    if (this.openDays.size >= this.options.maxDaysPerBlock) this.seal();
    this.openDays.add(day);
  }

  private append(key: TableKey, row: string): void {
    this.pending[key].push(row);
    this.pendingRows++;
    this.openRows++;
    if (this.openSince === undefined) this.startBlockClock();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /**
   * Writes this turn's rows to the spool, with the position of the last message they complete,
   * and adds them to the open block as text.
   */
  flush(): void {
    this.flushScheduled = false;
    if (this.pendingRows === 0) return;
    const { sourceIdentity } = this.options;
    this.options.spool.appendTurn(this.pending, sourceIdentity === undefined ? { n: this.completed } : { source: sourceIdentity, n: this.completed });
    for (const key of TABLE_KEYS) {
      const rows = this.pending[key];
      if (rows.length === 0) continue;
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

  /** Stops the block timer (shutdown seals explicitly), writes any rows of this turn to the spool and takes no more messages. */
  close(): void {
    clearTimeout(this.sealTimer);
    this.flush();
    this.closed = true;
  }

  private deadLetter(raw: string, reason: string, receivedAt: number, source: string = this.options.sourceName): void {
    const kept = raw.length > MAX_DEAD_LETTER_CHARS ? `${raw.slice(0, MAX_DEAD_LETTER_CHARS)}…[${raw.length - MAX_DEAD_LETTER_CHARS} more characters cut]` : raw;
    this.append(
      "dead",
      JSON.stringify({ received_at: toClickhouseTime(receivedAt), source, reason: wellFormed(reason), raw: wellFormed(kept) }),
    );
  }

}

/** What handle() returns for a message skipped on resume (no source reacts to a replayed message). */
const RESUMED: Decoded = { kind: "unknown", type: "(handled by an earlier run)" };
/** What handle() returns for a message handed over after close(). */
const NOT_TAKEN: Decoded = { kind: "unknown", type: "(arrived after the stop)" };

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Replaces lone UTF-16 surrogates (a message cut inside a character, e.g. by JSON.parse's error
 * snippet) with U+FFFD: JSON.stringify escapes them as \udXXX, which ClickHouse refuses.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\ufffd");
}
