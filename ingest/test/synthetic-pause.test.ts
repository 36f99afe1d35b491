// Issue 13, item 7f: the synthetic source must honour the spool's backpressure inside one timer
// tick and never hold the event loop for long. At a rate far above what the machine can generate,
// the spool's uncommitted bytes may pass spool.max_bytes by at most one block's worth, and the
// event loop is never blocked for more than 200 ms: with ClickHouse refusing every insert (the
// source is paused once and stays paused) and with a slow ClickHouse (paused and resumed over and
// over; everything accepted is stored in the end).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { test } from "node:test";
import { startIngester, type RunningIngester } from "../src/main";
import { createLogger } from "../src/observability/log";
import type { Decoded } from "../src/pipeline/decoded";
import { SyntheticSource } from "../src/sources/synthetic";
import { faultyClient, noFaults, one, sharedEngine, tempDir, testConfig, type Faults } from "./helpers";

const engine = sharedEngine();

const RATE = 5_000_000;
const MAX_BYTES = 1024 * 1024;
const BLOCK_ROWS = 2_000;
const MAX_BLOCKED_MS = 200;

/** Uncommitted spool bytes, from the files: end of the newest segment minus the checkpoint. */
function uncommitted(dir: string): number {
  let committed = 0;
  try {
    committed = (JSON.parse(readFileSync(join(dir, "checkpoint.json"), "utf8")) as { committed: number }).committed;
  } catch {
    return 0; // between the temp file and the rename: the next sample reads it
  }
  let end = committed;
  for (const f of readdirSync(dir)) {
    const m = /^(\d{16})\.wal$/.exec(f);
    if (m) end = Math.max(end, Number(m[1]) + statSync(join(dir, f)).size);
  }
  return end - committed;
}

function longestTickerRow(dir: string): number {
  let longest = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".wal"))) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) if (line.startsWith("R")) longest = Math.max(longest, Buffer.byteLength(line) + 1);
  }
  return longest;
}

interface Observed {
  ingester: RunningIngester;
  logs: Array<Record<string, unknown>>;
  spoolDir: string;
  peak: number;
  blockedMs: number;
  worstGapMs: number;
}

async function runFlatOut(faults: Faults, seconds: number, shutdownMs: number): Promise<Observed> {
  const spoolDir = tempDir("synthetic-pause");
  const config = testConfig({
    source: { type: "synthetic", rate: RATE, products: ["BTC-USD", "ETH-USD"], matches: false },
    spool: { dir: spoolDir, max_bytes: MAX_BYTES },
    batch: { max_rows: BLOCK_ROWS, max_interval_ms: 100 },
    metrics: { enabled: false },
    shutdown_timeout_ms: shutdownMs,
  });
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger("info", (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const handle = engine.handle;
  const ingester = await startIngester(config, { clickhouse: handle, wrapClient: () => faultyClient(engine.client, faults), defaultMetrics: false, log });

  // From the moment the source runs: perf_hooks' event-loop delay histogram, plus a 10 ms
  // interval whose late firings show the longest block directly, plus the spool's size.
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let lastTick = performance.now();
  let worstGapMs = 0;
  let peak = 0;
  const sampler = setInterval(() => {
    const now = performance.now();
    worstGapMs = Math.max(worstGapMs, now - lastTick - 10);
    lastTick = now;
    peak = Math.max(peak, uncommitted(spoolDir));
  }, 10);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sampler);
  histogram.disable();
  peak = Math.max(peak, uncommitted(spoolDir));
  assert.equal(await ingester.stop("test over"), 0);
  return { ingester, logs, spoolDir, peak, blockedMs: histogram.max / 1e6, worstGapMs };
}

function assertBounded(o: Observed, diagnostic: (message: string) => void): void {
  const allowed = MAX_BYTES + BLOCK_ROWS * longestTickerRow(o.spoolDir);
  diagnostic(`uncommitted spool peak ${o.peak} bytes (allowed ${allowed}); event loop: max delay ${o.blockedMs.toFixed(0)} ms, 10 ms interval at most ${o.worstGapMs.toFixed(0)} ms late; ${o.ingester.metrics.totals.received} messages`);
  assert.ok(o.logs.some((l) => l.msg === "spool full: reading paused until ClickHouse catches up"), "the spool reached its cap (the test exercised backpressure)");
  const problems: string[] = [];
  if (o.peak > allowed) problems.push(`uncommitted spool peaked at ${o.peak} bytes: more than the cap ${MAX_BYTES} + one block of ${BLOCK_ROWS} rows = ${allowed}`);
  if (o.blockedMs > MAX_BLOCKED_MS) problems.push(`event loop blocked for ${o.blockedMs.toFixed(0)} ms (perf_hooks max delay)`);
  if (o.worstGapMs > MAX_BLOCKED_MS) problems.push(`a 10 ms interval fired ${o.worstGapMs.toFixed(0)} ms late`);
  assert.deepEqual(problems, [], problems.join("; "));
}

test("synthetic source flat out against a 1 MiB spool, ClickHouse refusing every insert: the cap holds within one block, the event loop is never blocked > 200 ms", async (t) => {
  const faults = { ...noFaults(), failNext: Number.POSITIVE_INFINITY };
  const o = await runFlatOut(faults, 3, 300);
  assert.ok(faults.calls > 0, "inserts were attempted (and refused)");
  assert.ok(o.peak >= MAX_BYTES, `the spool filled up to its cap (peak ${o.peak} bytes)`);
  assertBounded(o, (m) => t.diagnostic(m));
});

test("synthetic source flat out against a 1 MiB spool, slow ClickHouse (100 ms per insert): paused and resumed within bounds, every accepted tick stored", async (t) => {
  const faults = { ...noFaults(), delayMs: 100 };
  const o = await runFlatOut(faults, 4, 30_000);
  assertBounded(o, (m) => t.diagnostic(m));
  assert.ok(o.logs.filter((l) => l.msg === "spool below its limit again; reading resumed").length >= 2, "paused and resumed more than once");
  const stored = o.ingester.metrics.totals.stored;
  assert.ok(stored > 10_000, `stored ${stored}`);
  assert.equal(uncommitted(o.spoolDir), 0, "nothing left in the spool");
  const inClickHouse = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
  assert.equal(Number(inClickHouse.c), stored);
  assert.equal(Number(inClickHouse.u), stored);
});

test("the source itself: a pause from inside handle() stops it at that message; resume continues; a limit hands over exactly that many", async () => {
  const source = new SyntheticSource({ type: "synthetic", rate: 1_000_000, products: ["BTC-USD"], seed: 1, limit: 50_000, matches: false });
  let tickers = 0;
  let pauses = 0;
  let afterPause = 0;
  let paused = false;
  source.start({
    handle: (raw: string) => {
      if (raw.includes('"type":"ticker"')) {
        tickers++;
        if (paused) afterPause++;
        if (tickers % 1_000 === 0) {
          paused = true;
          pauses++;
          source.pause();
          setTimeout(() => {
            paused = false;
            source.resume();
          }, 5);
        }
      }
      return { kind: "unknown" } as unknown as Decoded;
    },
    connectionLost: () => undefined,
  });
  await Promise.race([source.finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`not finished: ${tickers} tickers`)), 20_000))]);
  await source.stop();
  assert.equal(afterPause, 0, "no message was generated while paused");
  assert.equal(tickers, 50_000);
  assert.equal(pauses, 50);
});

test("the source itself, flat out with nothing pausing it: one chain of slices, the event loop turns at least every 200 ms", async (t) => {
  const source = new SyntheticSource({ type: "synthetic", rate: RATE, products: ["BTC-USD"], seed: 1, matches: false });
  let messages = 0;
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  source.start({ handle: () => (messages++, { kind: "unknown" } as unknown as Decoded), connectionLost: () => undefined });
  await new Promise((r) => setTimeout(r, 2_000));
  await source.stop();
  histogram.disable();
  const blockedMs = histogram.max / 1e6;
  t.diagnostic(`${messages} messages in 2 s; event loop max delay ${blockedMs.toFixed(0)} ms`);
  assert.ok(messages > 10_000, `${messages} messages`);
  assert.ok(blockedMs <= MAX_BLOCKED_MS, `event loop blocked for ${blockedMs.toFixed(0)} ms`);
});
