// Dead letters are exactly-once like ticks: kill -9 of the CLI mid-replay, then a restart with the
// same file, stores each bad line's dead letter once and each valid tick once.
import assert from "node:assert/strict";
import { appendFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openTestEngine } from "../../sql/testing/engine";
import { realisticTickers } from "../../sql/testing/ticks";
import { emptyBlockLines } from "../src/pipeline/block-text";
import { Spool } from "../src/pipeline/spool";
import { metricValue, one, tempDir, writeCliConfig } from "./helpers";
import { runCli } from "./process";

const OPTS = { segmentBytes: 64 * 1024 * 1024, fsync: false };
const TICKS = 20_000;
const BAD = 1_000;

test("a turn whose position record a crash cut off is cut off when its source reads it again (a replay), and kept when it cannot (a live feed)", () => {
  for (const source of ["replay:/feed.ndjson:1:2:3:4", undefined]) {
    const dir = tempDir("spool-turn");
    const dead = (i: number) => JSON.stringify({ reason: `bad ${i}` });
    const opened = Spool.open(dir, OPTS);
    opened.spool.appendTurn({ ...emptyBlockLines(), dead: [dead(1)] }, source ? { source, n: 5 } : { n: 5 });
    const block = opened.spool.seal()!;
    opened.spool.appendTurn({ ...emptyBlockLines(), dead: [dead(2)] }, source ? { source, n: 9 } : { n: 9 });
    opened.spool.close();
    // The next turn's write, cut by kill -9 after its rows and before its position record.
    const segment = join(dir, readdirSync(dir).find((f) => f.endsWith(".wal"))!);
    const before = statSync(segment).size;
    appendFileSync(segment, `D${dead(3)}\nD${dead(4)}\n`);

    const { spool, recovered } = Spool.open(dir, OPTS);
    spool.close();
    assert.deepEqual(spool.read(recovered.blocks[0]!).dead, [dead(1)]);
    assert.deepEqual(recovered.position, source ? { source, n: 9 } : { n: 9 });
    assert.equal(recovered.blocks[0]!.end, block.end);
    if (source) {
      assert.deepEqual(recovered.openLines.dead, [dead(2)], "the replay's cut turn is read again from message 10 on");
      assert.deepEqual(recovered.cutTurn, { file: segment, offset: before, rows: 2 });
      assert.equal(statSync(segment).size, before);
    } else {
      assert.deepEqual(recovered.openLines.dead, [dead(2), dead(3), dead(4)], "a live feed cannot send them again: kept");
      assert.equal(recovered.cutTurn, undefined);
    }
  }
});

/** Bad lines of several kinds; half of them the same text, so no dedup by content could pass. */
function badLine(i: number): string {
  return i % 2 === 0 ? "not json at all" : `{"type":"ticker","sequence":${i},"price":`;
}

/**
 * A feed of TICKS ticks and BAD bad lines spread through it; with `spanMs`, the ticks' times span
 * that long, so a replay at recorded speed is still reading when it is killed.
 */
function feedFile(dir: string, spanMs?: number): string {
  const ticks = realisticTickers(TICKS);
  const lines: string[] = [];
  let bad = 0;
  ticks.forEach((tick, i) => {
    if (spanMs === undefined) lines.push(tick);
    else {
      const message = JSON.parse(tick) as Record<string, unknown>;
      message.time = new Date(Date.parse("2026-11-24T21:01:00Z") + (i * spanMs) / TICKS).toISOString().replace("Z", "000Z");
      lines.push(JSON.stringify(message));
    }
    if (i % (TICKS / BAD) === 7) lines.push(badLine(bad++));
  });
  assert.equal(bad, BAD);
  const feed = join(dir, "feed.ndjson");
  writeFileSync(feed, lines.join("\n") + "\n");
  return feed;
}

async function counts(dir: string): Promise<{ dead: number; ticks: number; unique: number }> {
  const engine = await openTestEngine({ dir: join(dir, "data") });
  try {
    const dead = await one<{ c: string }>(engine.client, "SELECT count() AS c FROM coinbase_demo.ingest_dead_letters");
    const stored = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
    return { dead: Number(dead.c), ticks: Number(stored.c), unique: Number(stored.u) };
  } finally {
    await engine.close({ keepDir: true });
  }
}

async function killMidwayThenRestart(speed: "max" | "recorded"): Promise<void> {
  const dir = tempDir("dead-crash");
  const feed = feedFile(dir, speed === "recorded" ? 8_000 : undefined);
  const config = writeCliConfig(dir, { source: { type: "replay", path: feed, speed }, batch: { max_rows: 2000, max_interval_ms: 200 } });

  const first = runCli(config);
  try {
    const serving = await first.waitForLog((l) => l.msg === "serving /metrics and /healthz");
    const until = Date.now() + 60_000;
    while ((await metricValue(serving.port, 'ingest_rows_stored_total{table="ticker"}')) < 4_000 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  } finally {
    first.child.kill("SIGKILL");
  }
  assert.equal(await first.exited, "SIGKILL");
  const atKill = await counts(dir);
  if (process.env.INGEST_TEST_DEBUG) console.error(speed, "at the kill", atKill);
  assert.ok(atKill.ticks > 0 && atKill.ticks < TICKS, `killed mid-way (${atKill.ticks} ticks stored)`);
  assert.ok(atKill.dead > 0, "some dead letters were stored before the kill: reading their lines again would repeat them");

  const second = runCli(config);
  assert.equal(await second.exited, 0, second.stderr.join(""));
  const final = await counts(dir);
  if (process.env.INGEST_TEST_DEBUG) console.error(speed, "after the restart", final);
  assert.equal(final.dead, BAD, "each bad line dead-lettered once");
  assert.equal(final.ticks, TICKS, "every valid tick stored");
  assert.equal(final.unique, TICKS, "none twice");
}

test("kill -9 mid-replay (the file already read into the spool) and restart with the same file: exactly 1,000 dead letters for 1,000 bad lines, every valid tick once", async () => {
  await killMidwayThenRestart("max");
});

test("kill -9 while a paced replay is still reading, restart with the same file: exactly 1,000 dead letters, every valid tick once", async () => {
  await killMidwayThenRestart("recorded");
});
