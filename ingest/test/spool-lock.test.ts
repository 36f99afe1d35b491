// One ingester per spool directory: a second one is refused at start, naming the directory and
// the holder's pid; a holder killed with kill -9 does not keep the directory locked.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { realisticTickers } from "../../sql/testing/ticks";
import { metricValue, tempDir, writeCliConfig } from "./helpers";
import { runCli, type CliRun } from "./process";

/** The exit code, or "still running" after `ms` (then the process is killed). */
async function exitWithin(run: CliRun, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([run.exited, new Promise<string>((r) => (timer = setTimeout(() => r("still running"), ms)))]);
  clearTimeout(timer);
  return code;
}

function stopAll(runs: CliRun[]): Promise<unknown> {
  for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
  return Promise.all(runs.map((r) => r.exited));
}

test("a second ingester on the same spool directory is refused at start naming the directory and the holder's pid; after kill -9 of the holder the directory is free", async () => {
  const dir = tempDir("lock");
  const spoolDir = join(dir, "spool");
  const feed = join(dir, "feed.ndjson");
  writeFileSync(feed, realisticTickers(600).join("\n") + "\n"); // 60 s at recorded speed
  const source = { type: "replay", path: feed, speed: "recorded" };
  const runs: CliRun[] = [];
  try {
    const holder = runCli(writeCliConfig(dir, { source }));
    runs.push(holder);
    await holder.waitForLog((l) => l.msg === "serving /metrics and /healthz");

    // Its own ClickHouse directory, the same spool: only the spool can make it refuse.
    const second = runCli(writeCliConfig(dir, { source, sink: { type: "embedded", path: join(dir, "data-2") } }));
    runs.push(second);
    assert.equal(await exitWithin(second, 20_000), 1, "the second ingester exits 1 instead of writing into the same spool");
    const refusal = String(second.logs.find((l) => l.msg === "cannot start")?.error ?? "");
    assert.ok(refusal.includes(spoolDir), `names the directory: ${refusal}`);
    assert.match(refusal, new RegExp(`\\bpid ${holder.child.pid}\\b`), "names the holder's pid");

    holder.child.kill("SIGKILL");
    assert.equal(await holder.exited, "SIGKILL");
    const next = runCli(writeCliConfig(dir, { source }));
    runs.push(next);
    const serving = await next.waitForLog((l) => l.msg === "serving /metrics and /healthz", 30_000);
    // Running, not just started: the CLI installs its signal handlers once the start is over.
    const until = Date.now() + 20_000;
    while ((await metricValue(serving.port, 'ingest_rows_stored_total{table="ticker"}')) < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    next.child.kill("SIGTERM");
    assert.equal(await exitWithin(next, 10_000), 0, next.stderr.join(""));
  } finally {
    await stopAll(runs);
  }
});
