// A damaged spool (a foreign line, a checkpoint pointing into the middle of a line, rows that do
// not parse) is reported by name, its unreadable part moved to <spool.dir>/quarantine/, and the
// rest delivered; the repro runs through the CLI, which must also honour SIGTERM.
import assert from "node:assert/strict";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openTestEngine } from "../../sql/testing/engine";
import { realisticTickers } from "../../sql/testing/ticks";
import type { TickerRow } from "../../sql/src/rows";
import { decode, tickerLineOf } from "../src/pipeline/decode";
import { Spool, type SpoolDamage } from "../src/pipeline/spool";
import { metricValue, one, tempDir, writeCliConfig } from "./helpers";
import { runCli } from "./process";

const OPTS = { segmentBytes: 64 * 1024 * 1024, fsync: false };
const SEGMENT = "0000000000000000.wal";
const row = (i: number) =>
  tickerLineOf({
    sequence: 1000 + i * 17, trade_id: 500 + i, price: 91203.16, last_size: 0.5, time: `2026-11-24 21:00:00.${String(i).padStart(6, "0")}`,
    product_id: i % 2 ? "BTC-USD" : "ETH-USD", side: "buy", open_24h: 1, volume_24h: 2, low_24h: 3, high_24h: 4, volume_30d: 5,
    best_bid: 6, best_bid_size: 7, best_ask: 8, best_ask_size: 9,
  } satisfies TickerRow);

/** A spool directory written by hand: checkpoint and one segment. */
function handWrittenSpool(segment: string, checkpoint: { epoch: string; committed: number } = { epoch: "e2", committed: 0 }): string {
  const dir = tempDir("spool-damage");
  writeFileSync(join(dir, "checkpoint.json"), JSON.stringify(checkpoint));
  writeFileSync(join(dir, SEGMENT), segment);
  return dir;
}

function quarantined(dir: string): Array<{ name: string; text: string }> {
  const q = join(dir, "quarantine");
  return readdirSync(q).map((name) => ({ name, text: readFileSync(join(q, name), "utf8") }));
}

test("a line with a foreign tag is quarantined (named by time, segment, offset and reason) and the rest of the spool is delivered; a reopen finds nothing more", () => {
  const first = `R${row(1)}\n#\n`;
  const dir = handWrittenSpool(`${first}Xforeign\n#\nR${row(2)}\n#\n`);
  const damage: SpoolDamage[] = [];
  const opened = Spool.open(dir, { ...OPTS, onDamage: (d) => damage.push(d) });
  try {
    assert.deepEqual(opened.recovered.blocks.map((b) => opened.spool.read(b).ticker), [[row(1)], [], [row(2)]]);
  } finally {
    opened.spool.close();
  }
  assert.equal(damage.length, 1, JSON.stringify(damage));
  assert.equal(damage[0]!.file, join(dir, SEGMENT));
  assert.equal(damage[0]!.offset, Buffer.byteLength(first));
  assert.match(damage[0]!.reason, /unknown record tag "X"/);
  const [q] = quarantined(dir);
  assert.equal(q!.text, "Xforeign\n", "the quarantine holds the damaged bytes as they were");
  assert.match(q!.name, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(\.\d+)?Z_0000000000000000\.wal_offset-\d+_unknown-record-tag/);
  assert.equal(damage[0]!.quarantined, join(dir, "quarantine", q!.name));

  const again = Spool.open(dir, { ...OPTS, onDamage: (d) => damage.push(d) });
  try {
    assert.deepEqual(again.recovered.blocks.map((b) => again.spool.read(b).ticker), [[row(1)], [], [row(2)]]);
  } finally {
    again.spool.close();
  }
  assert.equal(damage.length, 1, "the damage was moved aside once, not found again on every start");
});

test("a checkpoint pointing into the middle of a line (two writers on one spool): the broken line's tail is quarantined, the lines after it are delivered", () => {
  const blockA = `R${row(1)}\nR${row(2)}\n#\n`;
  const blockB = `R${row(3)}\nR${row(4)}\n#\n`;
  const committed = Buffer.byteLength(blockA) + 10;
  const dir = handWrittenSpool(blockA + blockB, { epoch: "e2", committed });
  const damage: SpoolDamage[] = [];
  const { spool, recovered } = Spool.open(dir, { ...OPTS, onDamage: (d) => damage.push(d) });
  try {
    assert.deepEqual(recovered.blocks.map((b) => spool.read(b).ticker), [[row(4)]]);
  } finally {
    spool.close();
  }
  assert.equal(damage.length, 1, JSON.stringify(damage));
  assert.equal(damage[0]!.offset, committed);
  assert.match(damage[0]!.reason, /middle of a line/);
  assert.equal(quarantined(dir)[0]!.text, `R${row(3)}\n`.slice(10));
});

test("rows that do not parse (a ticker line that is not one, a dead letter that is not JSON) are quarantined as one range; the good rows around them are kept", () => {
  const dir = handWrittenSpool(`R${row(1)}\nRnot a ticker\nD{"reason":\nG{"kind":"x"}\n#\nR${row(2)}\n`);
  const damage: SpoolDamage[] = [];
  const { spool, recovered } = Spool.open(dir, { ...OPTS, onDamage: (d) => damage.push(d) });
  try {
    const lines = spool.read(recovered.blocks[0]!);
    assert.deepEqual(lines.ticker, [row(1)]);
    assert.deepEqual(lines.dead, []);
    assert.deepEqual(lines.gap, ['{"kind":"x"}']);
    assert.deepEqual(recovered.openLines.ticker, [row(2)]);
    assert.equal(recovered.newestTicker.get("BTC-USD")!.sequence, 1000 + 1 * 17);
  } finally {
    spool.close();
  }
  assert.equal(damage.length, 1, JSON.stringify(damage));
  assert.equal(damage[0]!.lines, 2);
  assert.match(damage[0]!.reason, /not a ticker line/);
  assert.equal(quarantined(dir)[0]!.text, 'Rnot a ticker\nD{"reason":\n');
});

test("a block damaged on disk after it was written (read back at its turn) gives its readable rows, and the damaged line goes to quarantine/", () => {
  const dir = tempDir("spool-damage");
  const damage: SpoolDamage[] = [];
  const { spool } = Spool.open(dir, { ...OPTS, onDamage: (d) => damage.push(d) });
  try {
    spool.appendRows("ticker", [row(1), row(2), row(3)]);
    const block = spool.seal()!;
    const second = Buffer.byteLength(`R${row(1)}\n`);
    const fd = openSync(join(dir, SEGMENT), "r+");
    writeSync(fd, "Z", second); // the second line's tag overwritten
    closeSync(fd);
    assert.deepEqual(spool.read(block).ticker, [row(1), row(3)]);
    assert.deepEqual(spool.read(block).ticker, [row(1), row(3)], "and so on every later read");
  } finally {
    spool.close();
  }
  assert.equal(damage.length, 1);
  assert.match(damage[0]!.reason, /unknown record tag "Z"/);
  assert.equal(quarantined(dir)[0]!.text, `Z${row(2)}\n`);
});

test("the issue's repro through the CLI: one log line names file, offset and reason, the bad part goes to quarantine/, the rest is stored, and SIGTERM ends the process within the deadline", async () => {
  const dir = tempDir("damaged-cli");
  const spoolDir = join(dir, "spool");
  mkdirSync(spoolDir);
  const ticks = realisticTickers(601);
  const kept = decode(ticks[0]!);
  assert.equal(kept.kind, "ticker");
  if (kept.kind !== "ticker") return;
  writeFileSync(join(spoolDir, "checkpoint.json"), JSON.stringify({ epoch: "e2", committed: 0 }));
  writeFileSync(join(spoolDir, SEGMENT), `Xforeign\n#\nR${kept.line}\n#\n`);
  const feed = join(dir, "feed.ndjson");
  writeFileSync(feed, ticks.slice(1).join("\n") + "\n"); // 60 s at recorded speed: still running at SIGTERM
  const SHUTDOWN_MS = 4_000;
  const run = runCli(writeCliConfig(dir, { source: { type: "replay", path: feed, speed: "recorded" }, shutdown_timeout_ms: SHUTDOWN_MS }));
  try {
    const line = await run.waitForLog((l) => String(l.msg).startsWith("damaged spool"), 30_000);
    assert.equal(line.file, join(spoolDir, SEGMENT));
    assert.equal(line.offset, 0);
    assert.match(String(line.reason), /unknown record tag "X"/);
    assert.equal(run.logs.filter((l) => String(l.msg).startsWith("damaged spool")).length, 1, "one line for the damage");
    assert.equal(quarantined(spoolDir)[0]!.text, "Xforeign\n");
    const serving = await run.waitForLog((l) => l.msg === "serving /metrics and /healthz");
    const until = Date.now() + 20_000;
    while ((await metricValue(serving.port, 'ingest_rows_stored_total{table="ticker"}')) < 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const signalledAt = Date.now();
    run.child.kill("SIGTERM");
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r("still running"), SHUTDOWN_MS + 5_000))]);
    const tookMs = Date.now() - signalledAt;
    if (process.env.INGEST_TEST_DEBUG) console.error({ sigtermToExitMs: tookMs });
    assert.equal(code, 0, run.stderr.join(""));
    assert.ok(tookMs < SHUTDOWN_MS, `SIGTERM to exit took ${tookMs} ms (shutdown_timeout_ms ${SHUTDOWN_MS})`);
  } finally {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
    await run.exited;
  }
  const stopped = run.logs.find((l) => l.msg === "stopped")!;
  const engine = await openTestEngine({ dir: join(dir, "data") });
  try {
    const spooled = await one<{ c: string }>(engine.client, `SELECT count() AS c FROM coinbase_demo.coinbase_ticker WHERE product_id = '${kept.productId}' AND sequence = ${kept.sequence}`);
    assert.equal(Number(spooled.c), 1, "the readable row of the damaged spool is stored");
    const all = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
    assert.equal(Number(all.c), Number(stopped.stored) , "and everything else received before the signal, once");
    assert.equal(Number(all.u), Number(all.c));
  } finally {
    await engine.close({ keepDir: true });
  }
});
