// `npm run query` as a user runs it (the npm script, a real embedded engine directory): the
// named query's result equals an independent computation from the raw ticks, every query is
// listed, and a directory another process holds, a missing one or a bad argument is told plainly.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadQueries } from "../src/queries";
import { openMigratedEngine, openTestEngine } from "../testing/engine";
import { generateTicks, parseUtc, type TickRow } from "../testing/ticks";

const REPO = resolve(__dirname, "..", "..");
const START = Date.UTC(2026, 10, 30, 10, 0, 0);
const WINDOW = ["--from", "2026-11-30T10:00:00Z", "--to", "2026-11-30T11:00:00Z"];

function query(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync("npm", ["run", "--silent", "query", "--", ...args], { cwd: REPO, encoding: "utf8", timeout: 120_000, env });
}

/** Σ price·size / Σ size per product and 5-minute bucket, from the raw ticks (not from ClickHouse). */
function expectedVwap(ticks: readonly TickRow[], product: string): Map<string, number> {
  const sums = new Map<string, { pv: number; v: number }>();
  for (const t of ticks) {
    if (t.product_id !== product || !(t.last_size > 0)) continue;
    const ms = parseUtc(t.time);
    const bucket = new Date(Math.floor(ms / 300_000) * 300_000).toISOString().slice(0, 19).replace("T", " ");
    const s = sums.get(bucket) ?? { pv: 0, v: 0 };
    s.pv += t.price * t.last_size;
    s.v += t.last_size;
    sums.set(bucket, s);
  }
  return new Map([...sums].map(([k, s]) => [k, s.pv / s.v]));
}

describe("npm run query", () => {
  let dir: string;
  let ticks: TickRow[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "streamstack-query-"));
    const engine = await openMigratedEngine({ dir });
    ticks = generateTicks({ perProduct: 600, startMs: START, meanGapMs: 6_000, products: ["BTC-USD", "ETH-USD"], seed: 9 });
    await engine.client.insert({ table: "coinbase_demo.coinbase_ticker", values: ticks, format: "JSONEachRow", clickhouse_settings: { async_insert: 0 } });
    await engine.close({ keepDir: true });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test("vwap_5m as JSON equals the VWAP computed from the raw ticks, for the product asked", () => {
    const ran = query(["vwap_5m", "--embedded", dir, ...WINDOW, "--products", "ETH-USD", "--format", "json"]);
    assert.equal(ran.status, 0, ran.stderr);
    const rows = ran.stdout.trim().split("\n").map((l) => JSON.parse(l) as { bucket: string; product_id: string; vwap: number | null });
    assert.equal(rows.length, 12, "one row per 5 minutes of the hour");
    const expected = expectedVwap(ticks, "ETH-USD");
    assert.ok(expected.size >= 10);
    for (const row of rows) {
      assert.equal(row.product_id, "ETH-USD");
      const want = expected.get(row.bucket);
      if (want === undefined) assert.equal(row.vwap, null, row.bucket);
      else assert.ok(Math.abs(row.vwap! - want) < 1e-6 * want, `${row.bucket}: ${row.vwap} vs ${want}`);
    }
  });

  test("the window is UTC whatever the machine's time zone", () => {
    const inUtc = query(["vwap_5m", "--embedded", dir, ...WINDOW, "--products", "ETH-USD", "--format", "csv"], { ...process.env, TZ: "UTC" });
    const inTokyo = query(["vwap_5m", "--embedded", dir, ...WINDOW, "--products", "ETH-USD", "--format", "csv"], { ...process.env, TZ: "Asia/Tokyo" });
    assert.equal(inTokyo.status, 0, inTokyo.stderr);
    assert.equal(inTokyo.stdout, inUtc.stdout);
    assert.match(inTokyo.stdout, /^2026-11-30 10:00:00,ETH-USD,/m);
  });

  test("the default table shows a header, the rows, their count and the window", () => {
    const ran = query(["ohlcv_1m", "--embedded", dir, ...WINDOW, "--products", "BTC-USD", "--limit", "5"]);
    assert.equal(ran.status, 0, ran.stderr);
    const lines = ran.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^minute\s+product_id\s+open\s+high\s+low\s+close\s+volume\s+num_trades$/);
    assert.equal(lines.filter((l) => l.includes("BTC-USD")).length, 5);
    assert.match(ran.stdout, /\(60 rows, 55 not shown: --limit 0 shows all\)/);
    assert.match(ran.stdout, /window: 2026-11-30 10:00:00 to 2026-11-30 11:00:00 UTC/);
  });

  test("--list names every query file with its description", () => {
    const ran = query(["--list"]);
    assert.equal(ran.status, 0, ran.stderr);
    for (const q of loadQueries().values()) assert.ok(ran.stdout.includes(`${q.name} `) && ran.stdout.includes(q.description), q.name);
  });

  test("a directory another process holds: exit 1, naming the process and what to do", async () => {
    const holder = await openTestEngine({ dir });
    try {
      await holder.client.query({ query: "SELECT 1" });
      const ran = query(["vwap_5m", "--embedded", dir]);
      assert.equal(ran.status, 1);
      assert.match(ran.stderr, new RegExp(`is in use by process ${process.pid} \\(a running npm run ingest\\?\\).*Stop it \\(Ctrl-C flushes and exits\\)`));
    } finally {
      await holder.close({ keepDir: true });
    }
  });

  test("no engine at the directory: exit 1 and how to make one; nothing is created", () => {
    const missing = join(dir, "not-there");
    const ran = query(["vwap_5m", "--embedded", missing]);
    assert.equal(ran.status, 1);
    assert.match(ran.stderr, /No embedded ClickHouse at .*not-there: npm run ingest creates it/);
    assert.equal(spawnSync("test", ["-e", missing]).status, 1, "the directory was not created");
  });

  test("bad arguments: exit 2, naming the option", () => {
    const cases: Array<[string[], RegExp]> = [
      [["vwap_5m", "--embedded", dir, "--from", "yesterday"], /--from "yesterday": expected now/],
      [["vwap_5m", "--embedded", dir, "--from", "now", "--to", "1h"], /--from must be before --to/],
      [["vwap_5m", "--embedded", dir, "--products", "btc"], /--products: "btc" is not a product id/],
      [["vwap_5m", "--embedded", dir, "--format", "xml"], /--format xml: expected table, csv or json/],
      [["vwap_5x", "--embedded", dir], /No query named "vwap_5x"\. The queries:\n/],
      [["vwap_5m", "--url", "ftp://x"], /--url ftp:\/\/x: protocol "ftp" is not supported/],
      [[], /Name one query/],
    ];
    for (const [args, message] of cases) {
      const ran = query(args);
      assert.equal(ran.status, 2, `${args.join(" ")}: ${ran.stderr}`);
      assert.match(ran.stderr, message, args.join(" "));
    }
  });
});
