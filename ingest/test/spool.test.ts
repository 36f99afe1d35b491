import assert from "node:assert/strict";
import { appendFileSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { blockToken } from "../src/pipeline/committer";
import type { TickerRow } from "../../sql/src/rows";
import { tickerLineOf } from "../src/pipeline/decode";
import { Spool } from "../src/pipeline/spool";
import { tempDir } from "./helpers";

const OPTS = { segmentBytes: 64 * 1024 * 1024, fsync: false };
const tickerRow = (i: number): TickerRow => ({
  sequence: 1000 + i * 17, trade_id: 500 + i, price: 91203.16, last_size: 0.5, time: `2026-11-24 21:00:00.${String(i).padStart(6, "0")}`,
  product_id: i % 2 ? "BTC-USD" : "ETH-USD", side: "buy", open_24h: 1, volume_24h: 2, low_24h: 3, high_24h: 4, volume_30d: 5,
  best_bid: 6, best_bid_size: 7, best_ask: 8, best_ask_size: 9,
});
const row = (i: number) => tickerLineOf(tickerRow(i));

test("sealed blocks come back after a reopen with the same ranges, rows and dedup tokens", () => {
  const dir = tempDir("spool");
  const { spool } = Spool.open(dir, OPTS);
  for (let i = 0; i < 5; i++) spool.appendRows("ticker", [row(i)]);
  spool.appendRows("dead", [JSON.stringify({ reason: "x" })]);
  const first = spool.seal()!;
  for (let i = 5; i < 8; i++) spool.appendRows("ticker", [row(i)]);
  const second = spool.seal()!;
  spool.appendRows("ticker", [row(8)]); // open block: never sealed
  spool.close(); // flushes; as after a crash, nothing was committed

  const reopened = Spool.open(dir, OPTS);
  assert.deepEqual(reopened.recovered.blocks, [first, second]);
  assert.equal(reopened.spool.epoch, spool.epoch);
  assert.deepEqual(reopened.spool.read(first).ticker, [0, 1, 2, 3, 4].map(row));
  assert.deepEqual(reopened.spool.read(first).dead, [JSON.stringify({ reason: "x" })]);
  assert.deepEqual(reopened.recovered.openLines.ticker, [row(8)]);
  assert.equal(blockToken(reopened.spool.epoch, "ticker", reopened.recovered.blocks[0]!), blockToken(spool.epoch, "ticker", first));
  // Newest uncommitted ticker per product, for the dedup state.
  assert.equal(reopened.recovered.newestTicker.get("ETH-USD")!.sequence, 1000 + 8 * 17);
  assert.equal(reopened.recovered.newestTicker.get("BTC-USD")!.sequence, 1000 + 7 * 17);
  // The open block continues: sealing now includes the recovered row.
  reopened.spool.appendRows("ticker", [row(9)]);
  const third = reopened.spool.seal()!;
  assert.equal(third.rows, 2);
  assert.deepEqual(reopened.spool.read(third).ticker, [row(8), row(9)]);
  reopened.spool.close();
});

test("committed blocks are not replayed; a new spool gets a new epoch", () => {
  const dir = tempDir("spool");
  const { spool } = Spool.open(dir, OPTS);
  spool.appendRows("ticker", [row(1)]);
  const a = spool.seal()!;
  spool.appendRows("ticker", [row(2)]);
  const b = spool.seal()!;
  spool.commit(a.end);
  spool.close();
  const reopened = Spool.open(dir, OPTS);
  assert.deepEqual(reopened.recovered.blocks, [b]);
  reopened.spool.close();
  const other = Spool.open(tempDir("spool"), OPTS);
  assert.notEqual(other.spool.epoch, spool.epoch);
  other.spool.close();
});

test("a line torn by a crash is cut off and the spool keeps working", () => {
  const dir = tempDir("spool");
  const { spool } = Spool.open(dir, OPTS);
  spool.appendRows("ticker", [row(1)]);
  const a = spool.seal()!;
  spool.close();
  const segment = join(dir, readdirSync(dir).find((f) => f.endsWith(".wal"))!);
  appendFileSync(segment, "R2026-11-24 21:00:00.000001\tBTC-U"); // no newline: the write never finished
  const reopened = Spool.open(dir, OPTS);
  assert.deepEqual(reopened.recovered.blocks, [a]);
  assert.deepEqual(reopened.recovered.openLines.ticker, []);
  assert.equal(statSync(segment).size, a.end);
  reopened.spool.appendRows("ticker", [row(2)]);
  const b = reopened.spool.seal()!;
  assert.deepEqual(reopened.spool.read(b).ticker, [row(2)]);
  reopened.spool.close();
});

test("segments rotate at block boundaries and are deleted once committed", () => {
  const dir = tempDir("spool");
  const { spool } = Spool.open(dir, { segmentBytes: 200, fsync: false });
  const blocks = [];
  for (let b = 0; b < 6; b++) {
    for (let i = 0; i < 3; i++) spool.appendRows("ticker", [row(b * 3 + i)]);
    blocks.push(spool.seal()!);
  }
  const segments = () => readdirSync(dir).filter((f) => f.endsWith(".wal"));
  assert.ok(segments().length >= 5, `expected rotation, got ${segments().join(",")}`);
  for (const block of blocks) assert.equal(spool.read(block).ticker.length, 3);
  spool.commit(blocks[4]!.end);
  assert.ok(segments().length <= 2, `committed segments should be gone, left ${segments().join(",")}`);
  spool.close();
  const reopened = Spool.open(dir, { segmentBytes: 200, fsync: false });
  assert.deepEqual(reopened.recovered.blocks, [blocks[5]]);
  assert.equal(JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8")).committed, blocks[4]!.end);
  reopened.spool.close();
});

test("uncommitted bytes grow with appends and fall with commits", () => {
  const { spool } = Spool.open(tempDir("spool"), OPTS);
  assert.equal(spool.uncommittedBytes, 0);
  spool.appendRows("ticker", [row(1)]);
  const a = spool.seal()!;
  assert.equal(spool.uncommittedBytes, a.end);
  spool.commit(a.end);
  assert.equal(spool.uncommittedBytes, 0);
  spool.close();
});

test("tickers kept as JSON by an older spool are read back as TabSeparated lines, none lost", () => {
  const dir = tempDir("spool");
  const { spool } = Spool.open(dir, OPTS);
  spool.close();
  // What the ingester wrote before tickers became TabSeparated: tag T, the row as JSON.
  const segment = join(dir, readdirSync(dir).find((f) => f.endsWith(".wal"))!);
  appendFileSync(segment, `T${JSON.stringify(tickerRow(1))}\nT${JSON.stringify(tickerRow(2))}\n#\nT${JSON.stringify(tickerRow(3))}\n`);
  const reopened = Spool.open(dir, OPTS);
  const [block] = reopened.recovered.blocks;
  assert.deepEqual(reopened.spool.read(block!).ticker, [row(1), row(2)]);
  assert.deepEqual(reopened.recovered.openLines.ticker, [row(3)]);
  assert.equal(reopened.recovered.newestTicker.get("BTC-USD")!.sequence, tickerRow(3).sequence);
  assert.equal(reopened.recovered.newestTicker.get("ETH-USD")!.sequence, tickerRow(2).sequence);
  reopened.spool.close();
});
