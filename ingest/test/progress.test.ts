// Progress a person can follow (issue 15): a "progress" line every progress.interval_ms while the
// ingester runs, and readable lines on a terminal (log_format: auto / text) with the same fields.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startIngester } from "../src/main";
import { createLogger, resolveLogFormat, type LogFields } from "../src/observability/log";
import { ProgressReport } from "../src/runtime/progress";
import { sharedEngine, testConfig } from "./helpers";

const engine = sharedEngine();

function capture(): { lines: Array<{ msg: string; fields: LogFields }>; log: ReturnType<typeof createLogger> } {
  const lines: Array<{ msg: string; fields: LogFields }> = [];
  const log = createLogger("info", (line) => {
    const { msg, time: _time, level: _level, ...fields } = JSON.parse(line) as LogFields & { msg: string };
    lines.push({ msg, fields });
  });
  return { lines, log };
}

test("a progress line: totals, rates since the last line, spool, source state, last commit", () => {
  const totals = { received: 0, stored: 0, trades: 0, rejected: 0, duplicates: 0, gaps: 0, reconnects: 0 };
  const { lines, log } = capture();
  const report = new ProgressReport({ metrics: { totals }, spool: { uncommittedBytes: 2048 }, source: { health: () => ({ ok: true, detail: "connected" }) }, log, intervalMs: 60_000 });
  const t0 = Date.now();
  report.start(t0); // the rates' clock is the test's: a slow machine cannot move it
  totals.received = 500;
  totals.stored = 400;
  report.committed(t0 + 1_500);
  report.report(t0 + 2_000);
  totals.received = 800;
  totals.stored = 800;
  totals.trades = 1_000;
  report.report(t0 + 4_000);
  report.stop();
  assert.deepEqual(lines.map((l) => l.msg), ["progress", "progress"]);
  assert.equal(lines[0]!.fields.received, 500);
  assert.equal(lines[0]!.fields.stored_per_s, 200);
  assert.equal(lines[0]!.fields.last_commit_s_ago, 0.5);
  assert.equal(lines[0]!.fields.spool_bytes, 2048);
  assert.equal(lines[0]!.fields.source, "ok");
  assert.equal(lines[1]!.fields.received_per_s, 150, "the rate is since the previous line");
  assert.equal(lines[1]!.fields.stored_per_s, 200);
  assert.equal(lines[1]!.fields.trades, 1_000);
  assert.equal(lines[1]!.fields.trades_per_s, 500, "trades are counted apart from ticks");
});

test("the text format leaves out a field without a value, as the JSON format does", () => {
  const out: string[] = [];
  const log = createLogger("info", (line) => out.push(line), "text");
  log.warn("retrying", { attempt: 2, retry_after_ms: undefined });
  assert.match(out[0]!, /retrying attempt=2\n$/);
});

test("a running ingester reports progress on its own clock, and its stored count grows", async () => {
  const { lines, log } = capture();
  const config = testConfig({ source: { type: "synthetic", rate: 2_000, products: ["BTC-USD", "ETH-USD"] }, progress: { interval_ms: 200 } });
  const ingester = await startIngester(config, { clickhouse: engine.handle, defaultMetrics: false, log });
  try {
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    await ingester.stop("test over");
  }
  const progress = lines.filter((l) => l.msg === "progress").map((l) => l.fields);
  assert.ok(progress.length >= 4, `${progress.length} progress lines in 1.5 s at 200 ms`);
  const stored = progress.map((p) => Number(p.stored));
  assert.ok(stored.at(-1)! > stored[0]!, `stored grows: ${stored.join(", ")}`);
  assert.ok(progress.some((p) => Number(p.stored_per_s) > 0));
  assert.ok(progress.every((p) => typeof p.source_detail === "string"));
});

test("log_format: text on a terminal with the same fields, json elsewhere", () => {
  assert.equal(resolveLogFormat("auto", true), "text");
  assert.equal(resolveLogFormat("auto", false), "json");
  assert.equal(resolveLogFormat("json", true), "json");
  const out: string[] = [];
  createLogger("info", (line) => out.push(line), "text").info("progress", { received: 12, source_detail: "connected to wss://x", note: "two words" });
  assert.match(out[0]!, /^\d{2}:\d{2}:\d{2} info  progress received=12 source_detail="connected to wss:\/\/x" note="two words"\n$/);
});
