// `npm run check:trades` as a user runs it (npm, from the repository root): it passes, naming each
// check with ✔; with `--no-backfill` it fails (exit 1) naming the missing trades, which shows the
// check can fail. The check itself: ingest/checks/exactly-once.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { REPO } from "./process";

interface Ran {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run check:trades [-- args]` in its own process group, killed (with the group) after 120 s. */
function npmRunCheck(args: readonly string[] = []): Promise<Ran> {
  const child = spawn("npm", ["run", "check:trades", ...(args.length > 0 ? ["--", ...args] : [])], { cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const guard = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 120_000);
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    }),
  );
}

test("npm run check:trades: exit 0, every check ✔ with its numbers", async () => {
  const ran = await npmRunCheck();
  const out = `${ran.stdout}\n${ran.stderr}`;
  assert.equal(ran.code, 0, out);
  assert.match(ran.stdout, /^ {2}✔ \(a\) tickers: (\d+) distinct tickers sent .*, \1 rows stored, \1 distinct$/m);
  assert.match(ran.stdout, /^ {2}✔ \(b\) trades: 720 trades on the exchange's tape, 720 rows stored, 720 distinct, 720 counted by the rollups$/m);
  assert.match(ran.stdout, /^ {2}✔ \(c\) the disconnect window: 216 trades made while disconnected; 3 came back on the websocket .*, 213 of the other 213 stored from REST$/m);
  assert.match(ran.stdout, /^ {2}✔ \(d\) trade_id gaps: (\d+) gaps opened by the delivery order .*, \1 recorded in sequence_gaps, \1 with newest state filled in backfill_gaps/m);
  assert.match(ran.stdout, /^ {2}✔ \(e\) exact rollups: .*: 0 differences$/m);
  assert.doesNotMatch(ran.stdout, /✖/);
  // What was sent, as the report says: repeats, late messages, the window, REST faults served.
  assert.match(ran.stdout, /repeats +\d+ copies of messages already delivered \(24 by duplicateLast, \d+ by sendLate\)/);
  assert.match(ran.stdout, /late, never seen +9 live messages .* held back, delivered after \d+ newer ones, newest first; their trades stored from the websocket (\d+), first by the backfill 0, missing 0/);
  assert.match(ran.stdout, /REST +faults injected 429, 429, 503; \d+ requests answered: .*2 × 429, 1 × 503/);
  assert.match(ran.stdout, /^Result: all 5 checks passed \(\d+\.\d s\)\.$/m);
});

test("npm run check:trades -- --no-backfill: exit 1, naming the window's missing trades and the failed checks", async () => {
  const ran = await npmRunCheck(["--no-backfill"]);
  assert.equal(ran.code, 1, `${ran.stdout}\n${ran.stderr}`);
  assert.match(ran.stdout, /^ {2}✔ \(a\) tickers/m, "the tickers are still all there");
  assert.match(ran.stdout, /^ {2}✖ \(b\) trades: 720 trades on the exchange's tape, 507 rows stored/m);
  assert.match(ran.stdout, /^ {6}213 traded and not stored \(product:trade_id\): BTC-USD:\d+, /m);
  assert.match(ran.stdout, /^ {6}213 of the window's trades missing: /m);
  assert.match(ran.stdout, /^ {2}✖ \(d\) trade_id gaps: .* 0 with newest state filled/m);
  assert.match(ran.stdout, /^ {2}✖ \(e\) exact rollups: .*: [1-9]\d* differences$/m);
  assert.match(ran.stdout, /^Result: FAILED — \(b\) trades, \(c\) the disconnect window, \(d\) trade_id gaps, \(e\) exact rollups \(4 of 5 checks failed/m);
});
