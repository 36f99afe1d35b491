// The CLI as users run it: `npm run ingest -- --config <file>` (here: node --import tsx).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { openTestEngine } from "../../sql/testing/engine";
import { realisticTickers, sampleLines } from "../../sql/testing/ticks";
import { one, rows, tempDir } from "./helpers";
import { REPO, runCli } from "./process";

function writeConfig(dir: string, source: Record<string, unknown>): string {
  const path = join(dir, "config.yaml");
  writeFileSync(
    path,
    [
      "source:",
      ...Object.entries(source).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
      "sink:",
      "  type: embedded",
      `  path: ${JSON.stringify(join(dir, "data"))}`,
      "spool:",
      `  dir: ${JSON.stringify(join(dir, "spool"))}`,
      "batch:",
      "  max_rows: 1000",
      "  max_interval_ms: 200",
      "metrics:",
      "  port: 0",
      "  host: 127.0.0.1",
      "",
    ].join("\n"),
  );
  return path;
}

const match = (tradeId: number, sequence: number, time: string) =>
  JSON.stringify({ type: "match", trade_id: tradeId, maker_order_id: "ac928c66-ca53-498f-9c13-a110027a60e8", taker_order_id: "132fb6ae-456b-4654-b4e0-d681ac05cea1", side: "sell", size: "0.01", price: "91200.00", product_id: "BTC-USD", sequence, time });

test("a replay config into an embedded path stores every valid tick once, dead-letters every bad line, records every gap, exits 0", async () => {
  const dir = tempDir("cli-replay");
  const session = sampleLines(); // ack, 36 tickers, 4 heartbeats, 1 error
  const ticks = realisticTickers(5_000);
  const bad = ['{"type":"ticker","sequence":', "not json at all", JSON.stringify({ ...JSON.parse(ticks[0]!), price: "n/a" })];
  const matches = [
    match(712000100, 96010001000, "2026-11-24T21:05:00.000001Z"),
    match(712000101, 96010001010, "2026-11-24T21:05:00.100001Z"),
    match(712000105, 96010001050, "2026-11-24T21:05:00.500001Z"), // 3 trades missing
    match(712000106, 96010001060, "2026-11-24T21:05:00.600001Z"),
    match(712000110, 96010001100, "2026-11-24T21:05:01.000001Z"), // 3 more missing
  ];
  const lines = [...session, ...ticks.slice(0, 2_500), ...bad, ...matches, ticks[10]!, ticks[2_499]!, ...ticks.slice(2_500), JSON.stringify({ type: "status" })];
  const feed = join(dir, "feed.ndjson");
  writeFileSync(feed, lines.join("\n") + "\n");

  const run = runCli(writeConfig(dir, { type: "replay", path: feed }));
  assert.equal(await run.exited, 0, run.stderr.join(""));
  const stopped = run.logs.find((l) => l.msg === "stopped")!;
  assert.equal(stopped.stored, 36 + 5_000);
  assert.equal(stopped.duplicates, 2);

  const engine = await openTestEngine({ dir: join(dir, "data") });
  try {
    const stored = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
    assert.equal(Number(stored.c), 36 + 5_000);
    assert.equal(Number(stored.u), 36 + 5_000);
    const dead = await rows<{ reason: string; source: string }>(engine.client, "SELECT reason, source FROM coinbase_demo.ingest_dead_letters ORDER BY received_at");
    assert.equal(dead.length, 1 + bad.length, JSON.stringify(dead)); // the session's error message + the bad lines
    assert.ok(dead.every((d) => d.source === "replay"));
    assert.ok(dead.some((d) => d.reason.startsWith("ticker.price:")));
    const gaps = await rows<{ channel: string; kind: string; last_seen: string; next_seen: string; missing: string }>(
      engine.client,
      "SELECT channel, kind, last_seen, next_seen, missing FROM coinbase_demo.sequence_gaps ORDER BY last_seen",
    );
    assert.deepEqual(
      gaps.map((g) => [g.channel, g.kind, Number(g.last_seen), Number(g.next_seen), Number(g.missing)]),
      [
        ["matches", "trade_id", 712000101, 712000105, 3],
        ["matches", "trade_id", 712000106, 712000110, 3],
      ],
    );
    const trades = await rows<{ trade_id: string; source: string }>(engine.client, "SELECT trade_id, source FROM coinbase_demo.trades ORDER BY trade_id");
    assert.deepEqual(trades.map((t) => [Number(t.trade_id), t.source]), [712000100, 712000101, 712000105, 712000106, 712000110].map((id) => [id, "ws"]));
    const stats = await one<{ c: string; stored: string }>(engine.client, "SELECT count() AS c, max(stored) AS stored FROM coinbase_demo.ingest_stats");
    assert.ok(Number(stats.c) >= 1, "an ingest_stats row is written (at least the final one)");
    assert.equal(Number(stats.stored), 36 + 5_000);
  } finally {
    await engine.close({ keepDir: true });
  }
});

test("SIGTERM: stops reading, flushes and exits 0 within Docker's 10 s grace", async () => {
  const dir = tempDir("cli-sigterm");
  const run = runCli(writeConfig(dir, { type: "synthetic", rate: 3_000, products: ["BTC-USD", "ETH-USD", "SOL-USD"] }));
  await run.waitForLog((l) => l.msg === "serving /metrics and /healthz");
  await new Promise((r) => setTimeout(r, 1_500));
  const signalledAt = Date.now();
  run.child.kill("SIGTERM");
  assert.equal(await run.exited, 0, run.stderr.join(""));
  const tookMs = Date.now() - signalledAt;
  assert.ok(tookMs < 9_000, `exit took ${tookMs} ms; Docker kills after 10 s`);
  const stopped = run.logs.find((l) => l.msg === "stopped")!;
  assert.ok(Number(stopped.stored) > 1_000, `stored ${String(stopped.stored)}`);
  const engine = await openTestEngine({ dir: join(dir, "data") });
  try {
    const stored = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
    assert.equal(Number(stored.c), Number(stopped.stored), "everything received before the signal was flushed");
    assert.equal(Number(stored.u), Number(stopped.stored));
  } finally {
    await engine.close({ keepDir: true });
  }
});

test("SIGTERM during start-up (ClickHouse not answering yet) exits at once, not after the start finishes", async () => {
  // A server that accepts connections and never answers: the start-up's schema check waits on it.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const dir = tempDir("cli-start-signal");
  const path = join(dir, "config.yaml");
  writeFileSync(
    path,
    [
      "source: { type: synthetic, rate: 100 }",
      `sink: { type: clickhouse, host: 127.0.0.1, port: ${(silent.address() as AddressInfo).port}, user: default, password: "" }`,
      `spool: { dir: ${JSON.stringify(join(dir, "spool"))} }`,
      "metrics: { port: 0, host: 127.0.0.1 }",
      "",
    ].join("\n"),
  );
  try {
    const run = runCli(path);
    await run.waitForLog((l) => l.msg === "starting");
    await new Promise((r) => setTimeout(r, 500));
    const signalledAt = Date.now();
    run.child.kill("SIGTERM");
    assert.equal(await run.exited, 143, run.stderr.join(""));
    assert.ok(Date.now() - signalledAt < 3_000, `took ${Date.now() - signalledAt} ms`);
    assert.ok(run.logs.some((l) => l.msg === "stopping during start-up: nothing was read from the source yet; the spool stays as it is"));
  } finally {
    silent.close();
  }
});

test("an invalid config exits 2 with the key path; a missing replay file exits 1 naming source.path", async () => {
  const dir = tempDir("cli-bad");
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, "sink:\n  type: clickhouse_connect\n  host: localhost\n  port: abc\n");
  const run = runCli(bad);
  assert.equal(await run.exited, 2);
  assert.match(run.stderr.join(""), /sink\.port: expected a number 1-65535, got "abc"/);

  const missing = runCli(writeConfig(dir, { type: "replay", path: join(dir, "nope.ndjson") }));
  assert.equal(await missing.exited, 1);
  assert.ok(missing.logs.some((l) => String(l.error ?? "").includes("source.path")), JSON.stringify(missing.logs.slice(-3)));
});

// Issue 13, item 7a, through the CLI. Run from an empty temporary directory; should the file ever
// be accepted again, the child is killed at its first log line ("starting"), before it could open
// ./data or connect anywhere (the embedded engine's migrations come first and take seconds).
test("an empty config file exits 2 naming the file, without starting anything", async () => {
  const dir = tempDir("cli-empty");
  const empty = join(dir, "empty.yaml");
  writeFileSync(empty, "# to be filled in\n\n");
  const loader = pathToFileURL(join(REPO, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const child = spawn(process.execPath, ["--import", loader, join(REPO, "ingest", "src", "cli.ts"), "--config", empty], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let started = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!started && stdout.includes('"msg":"starting"')) {
      started = true;
      child.kill("SIGKILL");
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | string>((resolve) => child.on("exit", (c, s) => resolve(c ?? s ?? -1)));
  clearTimeout(killer);
  assert.equal(started, false, `the ingester started with the defaults of an empty file:\n${stdout.slice(0, 500)}`);
  assert.equal(code, 2, stderr);
  assert.match(stderr, new RegExp(`${empty.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}.*holds no settings`));
  assert.match(stderr, /source:/);
  assert.deepEqual(readdirSync(dir), ["empty.yaml"], "nothing was created in the working directory");
});
