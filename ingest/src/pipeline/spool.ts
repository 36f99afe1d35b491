// The write-ahead log on disk. Every accepted row is appended here before it joins a batch; a
// batch ("block") ends with a marker line, so after a crash the same blocks — the same
// insert_deduplication_tokens — come back, and a block that reached ClickHouse just before the
// crash is deduplicated instead of stored twice. Segments are deleted only once committed.
//
// Layout of <dir>: checkpoint.json {epoch, committed} and <16-digit base offset>.wal segments.
// A line is <tag><row>\n (tags below) or the block marker "#\n". Offsets are global bytes. A row
// is kept in the form it is sent in: a ticker as its TabSeparated line, the others as JSON.
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { TickerRow } from "../../../sql/src/rows";
import type { BlockLines, TableKey } from "./block-text";
import { tickerLineOf, tickerRowOf } from "./decode";

const TAG: Record<TableKey, string> = { ticker: "R", dead: "D", gap: "G" };
// "T": a ticker as JSON, as spools written before tickers became TabSeparated hold them; read
// back, it is converted, so an upgrade with rows still in the spool loses none of them.
const KEY_BY_TAG: Record<string, TableKey> = { R: "ticker", T: "ticker", D: "dead", G: "gap" };
const MARKER = "#\n";
const SEGMENT = /^(\d{16})\.wal$/;
const READ_CHUNK = 1 << 20;

export interface BlockRange {
  /** Global offset of the block's first byte. */
  readonly start: number;
  /** Global offset just after the block's marker. */
  readonly end: number;
  readonly rows: number;
}

export interface SpoolOptions {
  readonly segmentBytes: number;
  readonly fsync: boolean;
}

export interface Recovered {
  /** Sealed blocks not yet committed, oldest first (their lines are read back on demand). */
  readonly blocks: BlockRange[];
  /** Rows after the last marker: they continue the open block. */
  readonly openLines: BlockLines;
  /** Newest ticker (sequence, time) per product among all uncommitted rows. */
  readonly newestTicker: Map<string, { sequence: number; time: string }>;
}

interface Checkpoint {
  epoch: string;
  committed: number;
}

export class Spool {
  private fd = -1;
  private segmentBase = 0;
  private offset = 0;
  private openStart = 0;
  private openRows = 0;
  private committed = 0;
  private closed = false;
  readonly epoch: string;

  private constructor(
    private readonly dir: string,
    private readonly options: SpoolOptions,
    checkpoint: Checkpoint,
  ) {
    this.epoch = checkpoint.epoch;
    this.committed = checkpoint.committed;
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
      checkpoint = JSON.parse(readFileSync(checkpointFile, "utf8")) as Checkpoint;
      if (typeof checkpoint.epoch !== "string" || !Number.isSafeInteger(checkpoint.committed)) {
        throw new Error(`${checkpointFile} is damaged: expected {"epoch": "...", "committed": <offset>}; move the spool directory away to start a new one`);
      }
    } else {
      // A fresh epoch per spool keeps dedup tokens of a new spool from matching an old one's.
      checkpoint = { epoch: randomUUID(), committed: 0 };
      writeJsonAtomic(checkpointFile, checkpoint, false);
    }
    const spool = new Spool(dir, options, checkpoint);
    const recovered = spool.recover();
    return { spool, recovered };
  }

  get uncommittedBytes(): number {
    return this.offset - this.committed;
  }

  get openRowCount(): number {
    return this.openRows;
  }

  /** Appends rows of one table, written to the file now in one write. */
  appendRows(table: TableKey, rows: readonly string[]): void {
    if (this.closed) throw new Error("spool is closed");
    if (rows.length === 0) return;
    const tag = TAG[table];
    const buf = Buffer.from(`${tag}${rows.join(`\n${tag}`)}\n`, "utf8");
    writeAll(this.fd, buf);
    this.offset += buf.length;
    this.openRows += rows.length;
  }

  /** Ends the open block with a marker; returns its range, or undefined when it is empty. */
  seal(): BlockRange | undefined {
    if (this.openRows === 0) return undefined;
    writeAll(this.fd, Buffer.from(MARKER));
    this.offset += MARKER.length;
    if (this.options.fsync) fsyncSync(this.fd);
    const block = { start: this.openStart, end: this.offset, rows: this.openRows };
    this.openStart = this.offset;
    this.openRows = 0;
    if (this.offset - this.segmentBase >= this.options.segmentBytes) this.rotate();
    return block;
  }

  /** Records that everything before `end` is stored, and deletes segments wholly before it. */
  commit(end: number): void {
    if (end <= this.committed) return;
    this.committed = end;
    writeJsonAtomic(join(this.dir, "checkpoint.json"), { epoch: this.epoch, committed: end }, this.options.fsync);
    const bases = this.segmentBases();
    for (let i = 0; i < bases.length - 1; i++) {
      if (bases[i + 1]! <= end) unlinkSync(this.segmentPath(bases[i]!));
    }
  }

  /** Reads a sealed block's rows back from disk. */
  read(block: BlockRange): BlockLines {
    const lines: BlockLines = { ticker: [], dead: [], gap: [] };
    const base = this.segmentBases().filter((b) => b <= block.start).pop();
    if (base === undefined) throw new Error(`spool: no segment holds offset ${block.start}`);
    const fd = openSync(this.segmentPath(base), "r");
    try {
      const buf = Buffer.alloc(block.end - block.start);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, block.start - base + got);
        if (n === 0) throw new Error(`spool: segment ${base} ends before offset ${block.end}`);
        got += n;
      }
      for (const line of buf.toString("utf8").split("\n")) addLine(lines, line);
    } finally {
      closeSync(fd);
    }
    return lines;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) closeSync(this.fd);
  }

  private recover(): Recovered {
    const blocks: BlockRange[] = [];
    const openLines: BlockLines = { ticker: [], dead: [], gap: [] };
    const newestTicker = new Map<string, { sequence: number; time: string }>();
    const bases = this.segmentBases();
    if (bases.length === 0 || bases[bases.length - 1]! + statSync(this.segmentPath(bases[bases.length - 1]!)).size < this.committed) {
      // Nothing (or nothing newer than the checkpoint) on disk: start a segment at the checkpoint.
      this.openSegment(this.committed);
      this.openStart = this.committed;
      return { blocks, openLines, newestTicker };
    }
    let blockStart = this.committed;
    let open: string[] = [];
    for (const base of bases) {
      const path = this.segmentPath(base);
      const size = statSync(path).size;
      if (base + size <= this.committed) continue;
      let position = Math.max(0, this.committed - base);
      let cursor = base + position; // global offset just after the last complete line
      let carry = Buffer.alloc(0);
      const fd = openSync(path, "r");
      const chunk = Buffer.alloc(READ_CHUNK);
      try {
        for (;;) {
          const n = readSync(fd, chunk, 0, chunk.length, position);
          if (n === 0) break;
          position += n;
          const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
          let from = 0;
          for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, from)) {
            const part = buf.toString("utf8", from, nl);
            cursor += nl - from + 1;
            from = nl + 1;
            if (part === "#") {
              blocks.push({ start: blockStart, end: cursor, rows: open.length });
              blockStart = cursor;
              open = [];
            } else if (part.length > 0) {
              open.push(part);
              if (part[0] === "R" || part[0] === "T") noteTicker(newestTicker, part);
            }
          }
          carry = Buffer.from(buf.subarray(from));
        }
      } finally {
        closeSync(fd);
      }
      if (carry.length > 0) {
        // A line cut short by a crash: it never completed, so it was never part of a block.
        const keep = size - carry.length;
        const wfd = openSync(path, "r+");
        ftruncateSync(wfd, keep);
        closeSync(wfd);
      }
    }
    for (const line of open) addLine(openLines, line);
    const last = bases[bases.length - 1]!;
    this.openSegment(last);
    this.openStart = blockStart;
    this.openRows = open.length;
    return { blocks, openLines, newestTicker };
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

function addLine(lines: BlockLines, line: string): void {
  if (line.length === 0 || line === "#") return;
  const key = KEY_BY_TAG[line[0]!];
  if (!key) throw new Error(`spool: unknown record tag ${JSON.stringify(line[0])}: the spool was written by something else`);
  lines[key].push(line[0] === "T" ? tickerLineOf(JSON.parse(line.slice(1)) as TickerRow) : line.slice(1));
}

function noteTicker(newest: Map<string, { sequence: number; time: string }>, line: string): void {
  const row = line[0] === "T" ? (JSON.parse(line.slice(1)) as TickerRow) : tickerRowOf(line.slice(1));
  const seen = newest.get(row.product_id);
  if (!seen || seen.sequence < row.sequence) newest.set(row.product_id, { sequence: row.sequence, time: row.time });
}

function writeAll(fd: number, buf: Buffer): void {
  let written = 0;
  while (written < buf.length) written += writeSync(fd, buf, written, buf.length - written);
}

function writeJsonAtomic(path: string, value: unknown, fsync: boolean): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeAll(fd, Buffer.from(JSON.stringify(value)));
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
