// The write-ahead log on disk. Every accepted row is appended here before it joins a batch; a
// batch ("block") ends with a marker line, so after a crash the same blocks — the same
// insert_deduplication_tokens — come back, and a block that reached ClickHouse just before the
// crash is deduplicated instead of stored twice. Segments are deleted only once committed.
//
// Layout of <dir>: checkpoint.json {epoch, committed, position?}, <16-digit base offset>.wal
// segments, the lock file (runtime/spool-lock.ts) and quarantine/ (damaged parts moved aside).
// A line is <tag><row>\n (tags below), the block marker "#\n", or a source position
// "P{source?, n}\n" ending the rows of one event-loop turn (written in the same write as them).
// Offsets are global bytes. A row is kept in the form it is sent in: a ticker as its TabSeparated
// line, the others as JSON. A line that cannot be read is copied to quarantine/ and overwritten
// in place by "!" and spaces (same length, so every offset and token stays what it was).
import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { TICKER_COLUMNS, TRADE_COLUMNS, type TickerRow } from "../../../sql/src/rows";
import { emptyBlockLines, TABLE_KEYS, type BlockLines, type TableKey } from "./block-text";
import { tickerLineOf, tickerRowOf } from "./decode";

const TAG: Record<TableKey, string> = { ticker: "R", trade: "M", dead: "D", gap: "G", backfill: "B" };
const MARKER = "#\n";
/** First byte of a line moved to quarantine/ (the rest of it is spaces). */
const QUARANTINED = "!";
const SEGMENT = /^(\d{16})\.wal$/;
const READ_CHUNK = 1 << 20;
const NEWLINE = 10;
export const QUARANTINE_DIR = "quarantine";

/** How far a source had got: its messages 1..n have their rows in the spool (or in ClickHouse). */
export interface SourcePosition {
  /** What the source reads, when it can be read again from the start (a replay file); else absent. */
  readonly source?: string;
  readonly n: number;
}

export interface BlockRange {
  /** Global offset of the block's first byte. */
  readonly start: number;
  /** Global offset just after the block's marker. */
  readonly end: number;
  readonly rows: number;
  /** The source position written last before the block's marker (absent when none was). */
  readonly position?: SourcePosition;
}

/** A part of the spool that could not be read, moved to quarantine/. */
export interface SpoolDamage {
  /** The segment it was in. */
  readonly file: string;
  /** Byte offset in that file. */
  readonly offset: number;
  readonly length: number;
  readonly lines: number;
  /** What was wrong (of its first line). */
  readonly reason: string;
  /** The file in quarantine/ that holds the bytes as they were. */
  readonly quarantined: string;
}

export interface SpoolOptions {
  readonly segmentBytes: number;
  readonly fsync: boolean;
  /** Told of every damaged part moved aside (at open, or when a block is read back). */
  readonly onDamage?: (damage: SpoolDamage) => void;
}

export interface Recovered {
  /** Sealed blocks not yet committed, oldest first (their lines are read back on demand). */
  readonly blocks: BlockRange[];
  /** Rows after the last marker: they continue the open block. */
  readonly openLines: BlockLines;
  /** Newest ticker (sequence, time) per product among all uncommitted rows. */
  readonly newestTicker: Map<string, { sequence: number; time: string }>;
  /** Newest trade (trade_id, time) per product among all uncommitted rows. */
  readonly newestTrade: Map<string, { tradeId: number; time: string }>;
  /** Where the last run's source had got (from the spool, or the checkpoint when all is committed). */
  readonly position: SourcePosition | undefined;
  /**
   * Rows of a turn whose position record a crash cut off, written by a source that reads them
   * again (a replay): cut off like a torn line, so they are not stored twice.
   */
  readonly cutTurn?: { readonly file: string; readonly offset: number; readonly rows: number };
}

interface Checkpoint {
  epoch: string;
  committed: number;
  position?: SourcePosition;
}

/** A line of a segment, read. */
type Line =
  | { readonly kind: "row"; readonly key: TableKey; readonly text: string; readonly ticker?: TickerRow; readonly trade?: TradeIdentity }
  | { readonly kind: "marker" }
  | { readonly kind: "position"; readonly position: SourcePosition }
  | { readonly kind: "blank" }
  | { readonly kind: "damaged"; readonly reason: string; readonly why: string };

/** Damaged lines found in one segment, as byte ranges of the file; neighbours are merged. */
type DamagedRange = { start: number; end: number; lines: number; reason: string; why: string };

/** What recovery has read so far (segments in order, from the checkpoint on). */
interface Scan {
  readonly blocks: BlockRange[];
  readonly newestTicker: Map<string, { sequence: number; time: string }>;
  readonly newestTrade: Map<string, { tradeId: number; time: string }>;
  /** Where the open block starts, and its rows so far. */
  blockStart: number;
  open: Line[];
  position: SourcePosition | undefined;
  /** The end of the last marker or position record, and how many open rows came before it. */
  boundary: number;
  openAtBoundary: number;
}

export class Spool {
  private fd = -1;
  private segmentBase = 0;
  private offset = 0;
  private openStart = 0;
  private openRows = 0;
  private committed = 0;
  private checkpointPosition: SourcePosition | undefined;
  private lastPosition: SourcePosition | undefined;
  private closed = false;
  readonly epoch: string;

  private constructor(
    private readonly dir: string,
    private readonly options: SpoolOptions,
    checkpoint: Checkpoint,
  ) {
    this.epoch = checkpoint.epoch;
    this.committed = checkpoint.committed;
    this.checkpointPosition = checkpoint.position;
  }

  /** Opens (or creates) the spool and reads back what was not committed. */
  static open(dir: string, options: SpoolOptions): { spool: Spool; recovered: Recovered } {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new Error(`Cannot create the spool directory ${dir} (spool.dir): ${(err as Error).message}`);
    }
    const checkpointFile = join(dir, "checkpoint.json");
    let checkpoint: Checkpoint;
    if (existsSync(checkpointFile)) {
      checkpoint = readCheckpoint(checkpointFile);
    } else {
      // A fresh epoch per spool keeps dedup tokens of a new spool from matching an old one's.
      checkpoint = { epoch: randomUUID(), committed: 0 };
      writeJsonAtomic(checkpointFile, checkpoint, options.fsync);
    }
    const spool = new Spool(dir, options, checkpoint);
    const recovered = spool.recover();
    return { spool, recovered };
  }

  /** The global offset everything before which is committed. */
  get committedOffset(): number {
    return this.committed;
  }

  /** The global offset the next write goes to. */
  get writeOffset(): number {
    return this.offset;
  }

  get uncommittedBytes(): number {
    return this.offset - this.committed;
  }

  get openRowCount(): number {
    return this.openRows;
  }

  /** Appends rows of one table, written to the file now in one write. */
  appendRows(table: TableKey, rows: readonly string[]): void {
    if (rows.length === 0) return;
    this.write(`${TAG[table]}${rows.join(`\n${TAG[table]}`)}\n`, rows.length);
  }

  /**
   * Appends the rows of one turn and then the source position they bring it to, in one write: a
   * crash keeps both or (the turn cut off at recovery) neither, so a replay that resumes at the
   * position neither loses nor repeats a row.
   */
  appendTurn(lines: BlockLines, position: SourcePosition): void {
    let text = "";
    let rows = 0;
    for (const key of TABLE_KEYS) {
      const keyRows = lines[key];
      if (keyRows.length === 0) continue;
      text += `${TAG[key]}${keyRows.join(`\n${TAG[key]}`)}\n`;
      rows += keyRows.length;
    }
    this.write(`${text}P${JSON.stringify(position)}\n`, rows);
    this.lastPosition = position;
  }

  /** Ends the open block with a marker; returns its range, or undefined when it is empty. */
  seal(): BlockRange | undefined {
    if (this.openRows === 0) return undefined;
    writeAll(this.fd, Buffer.from(MARKER));
    this.offset += MARKER.length;
    if (this.options.fsync) fsyncSync(this.fd);
    const block = range(this.openStart, this.offset, this.openRows, this.lastPosition);
    this.openStart = this.offset;
    this.openRows = 0;
    if (this.offset - this.segmentBase >= this.options.segmentBytes) this.rotate();
    return block;
  }

  /**
   * Records that everything before `end` is stored (and, with `position`, how far the source had
   * got), and deletes segments wholly before it.
   */
  commit(end: number, position?: SourcePosition): void {
    if (end <= this.committed) return;
    this.committed = end;
    if (position) this.checkpointPosition = position;
    const checkpoint: Checkpoint = { epoch: this.epoch, committed: end };
    if (this.checkpointPosition) checkpoint.position = this.checkpointPosition;
    writeJsonAtomic(join(this.dir, "checkpoint.json"), checkpoint, this.options.fsync);
    const bases = this.segmentBases();
    for (let i = 0; i < bases.length - 1; i++) {
      if (bases[i + 1]! <= end) unlinkSync(this.segmentPath(bases[i]!));
    }
  }

  /** Reads a sealed block's rows back from disk; a line that cannot be read is moved to quarantine/. */
  read(block: BlockRange): BlockLines {
    const lines: BlockLines = emptyBlockLines();
    const base = this.segmentBases().filter((b) => b <= block.start).pop();
    if (base === undefined) throw new Error(`spool: no segment holds offset ${block.start} (spool.dir ${this.dir})`);
    const path = this.segmentPath(base);
    const buf = Buffer.alloc(block.end - block.start);
    const fd = openSync(path, "r");
    try {
      readFully(fd, buf, block.start - base, path);
    } finally {
      closeSync(fd);
    }
    const damaged: DamagedRange[] = [];
    let from = 0;
    for (let nl = buf.indexOf(NEWLINE); nl !== -1; from = nl + 1, nl = buf.indexOf(NEWLINE, from)) {
      const line = parseLine(buf.toString("utf8", from, nl), false);
      if (line.kind === "row") lines[line.key].push(line.text);
      else if (line.kind === "damaged") addDamage(damaged, block.start - base + from, block.start - base + nl + 1, line);
    }
    this.moveAside(path, damaged);
    return lines;
  }

  /** Keeps text no table takes in quarantine/ (`why` goes into the file's name); returns the file. */
  quarantine(why: string, text: string): string {
    return this.writeQuarantine(why, Buffer.from(text.endsWith("\n") ? text : `${text}\n`, "utf8"));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
  }

  private write(text: string, rows: number): void {
    if (this.closed) throw new Error("spool is closed");
    const buf = Buffer.from(text, "utf8");
    writeAll(this.fd, buf);
    this.offset += buf.length;
    this.openRows += rows;
  }

  private recover(): Recovered {
    const bases = this.segmentBases();
    const last = bases[bases.length - 1];
    if (last === undefined || last + statSync(this.segmentPath(last)).size < this.committed) {
      // Nothing (or nothing newer than the checkpoint) on disk: start a segment at the checkpoint.
      this.openSegment(this.committed);
      this.openStart = this.committed;
      this.lastPosition = this.checkpointPosition;
      return { blocks: [], openLines: emptyBlockLines(), newestTicker: new Map(), newestTrade: new Map(), position: this.checkpointPosition };
    }
    const scan: Scan = {
      blocks: [],
      newestTicker: new Map(),
      newestTrade: new Map(),
      blockStart: this.committed,
      open: [],
      position: this.checkpointPosition,
      boundary: this.committed,
      openAtBoundary: 0,
    };
    for (const base of bases) this.scanSegment(base, scan);
    const cutTurn = this.cutIncompleteTurn(last, scan);
    const openLines: BlockLines = emptyBlockLines();
    for (const line of scan.open) if (line.kind === "row") openLines[line.key].push(line.text);
    noteNewest(scan, scan.open);
    this.openSegment(last);
    this.openStart = scan.blockStart;
    this.openRows = scan.open.length;
    this.lastPosition = scan.position;
    return { blocks: scan.blocks, openLines, newestTicker: scan.newestTicker, newestTrade: scan.newestTrade, position: scan.position, ...(cutTurn ? { cutTurn } : {}) };
  }

  /** Reads one segment's uncommitted lines into `scan`; damaged lines go to quarantine/, a torn last line is cut off. */
  private scanSegment(base: number, scan: Scan): void {
    const path = this.segmentPath(base);
    const size = statSync(path).size;
    if (base + size <= this.committed) return;
    const damaged: DamagedRange[] = [];
    const from = Math.max(0, this.committed - base);
    // A checkpoint inside a line (two writers once shared this spool): that line's tail is no row.
    let fragment = from > 0 && byteAt(path, from - 1) !== NEWLINE;
    const complete = forEachLine(path, from, (text, start, end) => {
      let line = parseLine(text, true);
      if (fragment) {
        fragment = false;
        if (text.length > 0) line = { kind: "damaged", reason: `checkpoint.json's committed offset ${this.committed} points into the middle of a line`, why: "mid-line-checkpoint" };
      }
      if (line.kind === "damaged") addDamage(damaged, start, end, line);
      else step(scan, line, base + end);
    });
    this.moveAside(path, damaged);
    // A line cut short by a crash: it never completed, so it was never part of a block.
    if (complete < size) truncate(path, complete);
  }

  /**
   * Rows after the last position record, when the source can read them again (a replay): the
   * crash cut their turn's write short, so they are cut off like a torn line and the replay,
   * resuming at the last position, stores them once. A live source's rows are kept.
   */
  private cutIncompleteTurn(last: number, scan: Scan): Recovered["cutTurn"] {
    const trailing = scan.open.length - scan.openAtBoundary;
    if (trailing === 0 || scan.position?.source === undefined || scan.boundary < last) return undefined;
    const file = this.segmentPath(last);
    truncate(file, scan.boundary - last);
    scan.open = scan.open.slice(0, scan.openAtBoundary);
    return { file, offset: scan.boundary - last, rows: trailing };
  }

  /** Copies damaged ranges of a segment to quarantine/, then overwrites them with "!" and spaces. */
  private moveAside(path: string, damaged: readonly DamagedRange[]): void {
    if (damaged.length === 0) return;
    const fd = openSync(path, "r+");
    try {
      for (const d of damaged) {
        const bytes = Buffer.alloc(d.end - d.start);
        readFully(fd, bytes, d.start, path);
        const quarantined = this.writeQuarantine(`${basename(path)}_offset-${d.start}_${d.why}`, bytes);
        const blank = Buffer.alloc(bytes.length, " ");
        blank.write(QUARANTINED, 0);
        blank[blank.length - 1] = NEWLINE;
        writeAllAt(fd, blank, d.start);
        fsyncSync(fd);
        this.options.onDamage?.({ file: path, offset: d.start, length: bytes.length, lines: d.lines, reason: d.reason, quarantined });
      }
    } finally {
      closeSync(fd);
    }
  }

  /** quarantine/<UTC time>_<what and why>: written and fsynced before anything is overwritten. */
  private writeQuarantine(name: string, bytes: Buffer): string {
    const dir = join(this.dir, QUARANTINE_DIR);
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/:/g, "-");
    let path = join(dir, `${stamp}_${name}`);
    for (let i = 2; existsSync(path); i++) path = join(dir, `${stamp}_${name}-${i}`);
    const fd = openSync(path, "wx");
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return path;
  }

  private openSegment(base: number): void {
    const path = this.segmentPath(base);
    this.fd = openSync(path, "a");
    this.segmentBase = base;
    this.offset = base + statSync(path).size;
  }

  private rotate(): void {
    closeSync(this.fd);
    this.openSegment(this.offset);
  }

  private segmentBases(): number[] {
    return readdirSync(this.dir)
      .map((name) => SEGMENT.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private segmentPath(base: number): string {
    return join(this.dir, `${String(base).padStart(16, "0")}.wal`);
  }
}

function range(start: number, end: number, rows: number, position: SourcePosition | undefined): BlockRange {
  return position ? { start, end, rows, position } : { start, end, rows };
}

const BLANK: Line = { kind: "blank" };
const MARKER_LINE: Line = { kind: "marker" };
const TICKER_FIELDS = TICKER_COLUMNS.length;
const TIME_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})?$/;

/**
 * What a line is. `deep` (at recovery) checks a ticker's fields too, as its product and sequence
 * seed the dedup state; reading a block back checks its shape only (ClickHouse refuses the rest,
 * and a refused row is dead-lettered).
 */
function parseLine(line: string, deep: boolean): Line {
  if (line.length === 0 || line[0] === QUARANTINED) return BLANK;
  if (line === "#") return MARKER_LINE;
  const tag = line[0]!;
  const body = line.slice(1);
  try {
    switch (tag) {
      case "R":
        if (!deep) {
          const fields = fieldCount(body);
          if (fields !== TICKER_FIELDS) throw new Error(`not a ticker line (${fields} fields, expected ${TICKER_FIELDS}): ${body.slice(0, 120)}`);
          return { kind: "row", key: "ticker", text: body };
        }
        return { kind: "row", key: "ticker", text: body, ticker: checkedTicker(tickerRowOf(body)) };
      case "T": {
        // A ticker as JSON, as spools written before tickers became TabSeparated hold them; read
        // back, it is converted, so an upgrade with rows still in the spool loses none of them.
        const ticker = checkedTicker(jsonObject(body) as unknown as TickerRow);
        return { kind: "row", key: "ticker", text: tickerLineOf(ticker), ticker };
      }
      case "M": {
        const trade = tradeIdentity(body);
        return deep ? { kind: "row", key: "trade", text: body, trade } : { kind: "row", key: "trade", text: body };
      }
      case "D":
      case "G":
      case "B":
        jsonObject(body);
        return { kind: "row", key: tag === "D" ? "dead" : tag === "G" ? "gap" : "backfill", text: body };
      case "P": {
        const p = jsonObject(body);
        if (!Number.isSafeInteger(p.n) || (p.source !== undefined && typeof p.source !== "string")) throw new Error(`not a source position: ${body.slice(0, 120)}`);
        return { kind: "position", position: p as unknown as SourcePosition };
      }
      default:
        return { kind: "damaged", reason: `unknown record tag ${JSON.stringify(tag)}: not written by this ingester`, why: "unknown-record-tag" };
    }
  } catch (err) {
    return { kind: "damaged", reason: `${TAG_NAMES[tag] ?? "line"}: ${(err as Error).message}`, why: "unreadable-row" };
  }
}

const TAG_NAMES: Record<string, string> = {
  R: "ticker row",
  T: "ticker row (JSON)",
  M: "trade row",
  D: "dead letter",
  G: "gap row",
  B: "backfill state row",
  P: "source position",
};

interface TradeIdentity {
  readonly productId: string;
  readonly tradeId: number;
  readonly time: string;
}

/** A trade line's identity (time, product_id, trade_id lead the line), its shape checked. */
function tradeIdentity(body: string): TradeIdentity {
  const fields = body.split("\t");
  if (fields.length !== TRADE_COLUMNS.length) throw new Error(`not a trade line (${fields.length} fields, expected ${TRADE_COLUMNS.length}): ${body.slice(0, 120)}`);
  const [time, productId, id] = fields as [string, string, string];
  const tradeId = Number(id);
  if (!TIME_TEXT.test(time) || productId.length === 0 || !Number.isSafeInteger(tradeId) || tradeId < 0) throw new Error(`not a trade line: ${body.slice(0, 120)}`);
  return { productId, tradeId, time };
}

/** Tab-separated fields of a line, counted up to one more than a ticker has (no strings made). */
function fieldCount(line: string): number {
  let fields = 1;
  for (let tab = line.indexOf("\t"); tab !== -1 && fields <= TICKER_FIELDS; tab = line.indexOf("\t", tab + 1)) fields++;
  return fields;
}

function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 120)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`not a JSON object: ${text.slice(0, 120)}`);
  return value as Record<string, unknown>;
}

function checkedTicker(row: TickerRow): TickerRow {
  if (typeof row.time !== "string" || !TIME_TEXT.test(row.time)) throw new Error(`not a ticker: time ${JSON.stringify(row.time)}`);
  if (typeof row.product_id !== "string" || row.product_id.length === 0) throw new Error(`not a ticker: product_id ${JSON.stringify(row.product_id)}`);
  if (!Number.isSafeInteger(row.sequence) || row.sequence < 0) throw new Error(`not a ticker: sequence ${JSON.stringify(row.sequence)}`);
  return row;
}

function addDamage(damaged: DamagedRange[], start: number, end: number, line: { reason: string; why: string }): void {
  const last = damaged[damaged.length - 1];
  if (last && last.end === start) {
    last.end = end;
    last.lines++;
  } else {
    damaged.push({ start, end, lines: 1, reason: line.reason, why: line.why });
  }
}

/** One readable line of recovery; `end` is the global offset just after it. */
function step(scan: Scan, line: Exclude<Line, { kind: "damaged" }>, end: number): void {
  switch (line.kind) {
    case "marker":
      scan.blocks.push(range(scan.blockStart, end, scan.open.length, scan.position));
      noteNewest(scan, scan.open);
      scan.blockStart = scan.boundary = end;
      scan.open = [];
      scan.openAtBoundary = 0;
      break;
    case "position":
      scan.position = line.position;
      scan.boundary = end;
      scan.openAtBoundary = scan.open.length;
      break;
    case "row":
      scan.open.push(line);
      break;
    case "blank":
      break;
  }
}

/**
 * Calls `each` with every complete line of the file from byte `from` on (text without its newline,
 * file offsets of its start and just after its newline); returns where the complete lines end.
 */
function forEachLine(path: string, from: number, each: (text: string, start: number, end: number) => void): number {
  const fd = openSync(path, "r");
  const chunk = Buffer.alloc(READ_CHUNK);
  let position = from;
  let complete = from;
  let carry = Buffer.alloc(0);
  try {
    for (let n = readSync(fd, chunk, 0, chunk.length, position); n > 0; n = readSync(fd, chunk, 0, chunk.length, position)) {
      position += n;
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(NEWLINE); nl !== -1; start = nl + 1, nl = buf.indexOf(NEWLINE, start)) {
        each(buf.toString("utf8", start, nl), complete, complete + nl - start + 1);
        complete += nl - start + 1;
      }
      carry = Buffer.from(buf.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
  return complete;
}

/** Keeps the newest ticker per product of `lines` (for the dedup state). */
function noteNewest(scan: Scan, lines: readonly Line[]): void {
  for (const line of lines) {
    if (line.kind !== "row") continue;
    const row = line.ticker;
    if (row) {
      const seen = scan.newestTicker.get(row.product_id);
      if (!seen || seen.sequence < row.sequence) scan.newestTicker.set(row.product_id, { sequence: row.sequence, time: row.time });
    }
    const trade = line.trade;
    if (trade) {
      const seen = scan.newestTrade.get(trade.productId);
      if (!seen || seen.tradeId < trade.tradeId) scan.newestTrade.set(trade.productId, { tradeId: trade.tradeId, time: trade.time });
    }
  }
}

/** The checkpoint, or an error naming the file and what to do when it cannot be read. */
function readCheckpoint(file: string): Checkpoint {
  let value: unknown;
  let problem: string | undefined;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    problem = `not JSON (${(err as Error).message})`;
  }
  const c = value as Partial<Checkpoint> | null;
  if (!problem && (typeof c !== "object" || c === null || typeof c.epoch !== "string" || !Number.isSafeInteger(c.committed) || c.committed! < 0)) {
    problem = `expected {"epoch": "...", "committed": <offset>}, got ${JSON.stringify(value)?.slice(0, 200)}`;
  }
  if (problem) {
    throw new Error(
      `${file} is damaged: ${problem}. Without it the spool cannot tell what is already stored. Move the spool directory away (keep it: its segments ` +
        `hold rows not yet stored; docs/ingester.md "Damaged spool" shows how to store them) and start again with an empty spool.dir`,
    );
  }
  const position = c!.position;
  const validPosition = typeof position === "object" && position !== null && Number.isSafeInteger(position.n) && (position.source === undefined || typeof position.source === "string");
  return { epoch: c!.epoch!, committed: c!.committed!, ...(validPosition ? { position } : {}) };
}

function byteAt(path: string, offset: number): number {
  const fd = openSync(path, "r");
  try {
    const one = Buffer.alloc(1);
    return readSync(fd, one, 0, 1, offset) === 1 ? one[0]! : -1;
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer, at: number, path: string): void {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, at + got);
    if (n === 0) throw new Error(`spool: ${path} ends before offset ${at + buf.length}`);
    got += n;
  }
}

function truncate(path: string, size: number): void {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let written = 0;
  while (written < buf.length) written += writeSync(fd, buf, written, buf.length - written);
}

function writeAllAt(fd: number, buf: Buffer, at: number): void {
  let written = 0;
  while (written < buf.length) written += writeSync(fd, buf, written, buf.length - written, at + written);
}

/**
 * Replaces `path` atomically: a temp file written and fsynced, then renamed over it, so a crash or
 * power loss leaves the old file or the new one, never a mix or an empty file (and with
 * spool.fsync the directory is fsynced too, so the rename itself survives a power loss).
 */
function writeJsonAtomic(path: string, value: unknown, fsyncDir: boolean): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeAll(fd, Buffer.from(JSON.stringify(value)));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (fsyncDir) {
    const dirFd = openSync(join(path, ".."), "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
