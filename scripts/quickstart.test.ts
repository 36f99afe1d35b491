// README's "Without Docker" commands, verbatim, in a clean copy of the repository with no network
// needed: the synthetic ingester into ./data, stopped with Ctrl-C as a user does, then the VWAP
// table from `npm run query`. README's first line, `npm ci`, is not repeated: the copy links the
// repository's node_modules, which .ci/run installed with npm ci from the same lock file. The
// live-feed line needs Coinbase and the --url line a server; they are not run here.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cleanCopy } from "../infra/test/engine/harness";

/** The commands of README's "Without Docker" block, in order, without their comments. */
function readmeOfflineCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf("### Without Docker"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l.length > 0);
}

function words(command: string): string[] {
  return command.split(/\s+/);
}

describe("README: the first five minutes without Docker", { timeout: 10 * 60_000 }, () => {
  let copy: string;
  let commands: string[];
  const started = Date.now();

  before(() => {
    copy = cleanCopy("streamstack-quickstart-");
    commands = readmeOfflineCommands(readFileSync(join(copy, "README.md"), "utf8"));
  });

  after(() => {
    rmSync(copy, { recursive: true, force: true });
    console.log(`# README offline path (after npm ci): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  test("README shows the offline commands this test runs", () => {
    assert.equal(commands[0], "npm ci");
    assert.equal(commands[1], "npm run ingest -- --config ingest/examples/synthetic.yaml");
    assert.equal(commands[2], "npm run query -- trade_vwap_5m");
    assert.equal(commands[3], "npm run query -- --list");
    assert.equal(commands[4], "npm run ingest -- --config ingest/examples/replay.yaml");
  });

  test("the synthetic ingester stores ticks into ./data and Ctrl-C stops it with its summary", async () => {
    const [cmd, ...args] = words(commands[1]!);
    const child = spawn(cmd!, args, { cwd: copy, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    // Once it runs (migrations applied, /metrics served), let it ingest for a few seconds, then
    // press Ctrl-C: SIGINT to the whole process group, as a terminal does.
    const deadline = Date.now() + 120_000;
    while (!/serving \/metrics/.test(out) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 8_000));
    process.kill(-child.pid!, "SIGINT");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000))]);
    if (code === "hung") process.kill(-child.pid!, "SIGKILL");
    assert.equal(code, 0, out.slice(-2000));
    const summary = /"msg":"stopped".*"stored":(\d+)/.exec(out);
    assert.ok(summary && Number(summary[1]) > 50, `a summary with stored > 50: ${out.slice(-1000)}`);
  });

  test("npm run query -- trade_vwap_5m prints an exact VWAP per product from ./data (the synthetic feed's trades)", () => {
    const ran = spawnSync(words(commands[2]!)[0]!, words(commands[2]!).slice(1), { cwd: copy, encoding: "utf8", timeout: 120_000 });
    assert.equal(ran.status, 0, ran.stderr);
    const rows = ran.stdout.split("\n").filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00\s+(BTC|ETH)-USD\s+\d/.test(l));
    assert.ok(rows.some((r) => r.includes("BTC-USD")) && rows.some((r) => r.includes("ETH-USD")), `a priced bucket for each product:\n${ran.stdout}`);
    console.log(`# ${ran.stdout.trimEnd().split("\n").join("\n# ")}`);
  });

  test("the shipped session replays into ./data-replay, exits 0, and its candles can be queried", () => {
    const ran = spawnSync(words(commands[4]!)[0]!, words(commands[4]!).slice(1), { cwd: copy, encoding: "utf8", timeout: 120_000 });
    assert.equal(ran.status, 0, ran.stdout.slice(-2000) + ran.stderr);
    assert.match(ran.stdout, /"msg":"stopped".*"stored":36\b/, "the 36 tickers of the session stored");
    const query = spawnSync("npm", ["run", "--silent", "query", "--", "ohlcv_1m", "--embedded", "./data-replay", "--from", "2026-11-24T21:00:00Z", "--to", "2026-11-24T21:02:00Z", "--format", "csv"], { cwd: copy, encoding: "utf8", timeout: 60_000 });
    assert.equal(query.status, 0, query.stderr);
    assert.match(query.stdout, /^2026-11-24 21:00:00,BTC-USD,\d/m);
  });

  test("npm run query -- --list lists the questions", () => {
    const ran = spawnSync(words(commands[3]!)[0]!, words(commands[3]!).slice(1), { cwd: copy, encoding: "utf8", timeout: 60_000 });
    assert.equal(ran.status, 0, ran.stderr);
    assert.match(ran.stdout, /^vwap_5m\s+Volume-weighted average price/m);
  });
});
