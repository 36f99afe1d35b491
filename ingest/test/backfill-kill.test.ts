// kill -9 of the real CLI in the middle of a trade gap's backfill: the next run loads the gap's
// newest state (committed through the spool) and continues from its cursor; every trade of the
// fake exchange's tape is stored once. Its own file: it opens the CLI's embedded engine directory.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { openTestEngine } from "../../sql/testing/engine";
import { FakeCoinbase } from "../testing/fake-coinbase";
import { rows, tempDir, waitFor, writeCliConfig } from "./helpers";
import { runCli } from "./process";

const fakes: FakeCoinbase[] = [];
after(async () => {
  for (const f of fakes) await f.stop();
});

async function fake(options: ConstructorParameters<typeof FakeCoinbase>[0] = {}): Promise<{ exchange: FakeCoinbase; wsUrl: string; restUrl: string }> {
  const exchange = new FakeCoinbase({ heartbeatMs: 0, ...options });
  fakes.push(exchange);
  return { exchange, ...(await exchange.start()) };
}

test("kill -9 in the middle of a gap: the next run continues from the recorded cursor and every trade is stored once", async () => {
  const { exchange, wsUrl, restUrl } = await fake({ products: ["BTC-USD"] });
  exchange.restDelay(150); // slow pages, so the kill lands mid-gap
  const dir = tempDir("backfill-kill");
  const configPath = writeCliConfig(dir, {
    source: {
      type: "coinbase",
      wss_url: wsUrl,
      subscription: { product_ids: ["BTC-USD"], channels: ["ticker", "matches"] },
      backoff: { initial_ms: 20, max_ms: 100 },
      backfill: { rest_url: restUrl, page_size: 25, requests_per_second: 10, burst: 1 },
    },
  });
  const first = runCli(configPath);
  await exchange.waitForSubscribers(1);
  await exchange.emit(10);
  await exchange.whileDisconnected(400);
  await exchange.waitForSubscribers(1);
  await exchange.emit(5);
  // Killed once some pages' states are committed ("filling" with a cursor).
  await first.waitForLog((l) => l.msg === "backfilling a trade gap");
  await waitFor("a few pages fetched", () => exchange.restRequests.filter((r) => r.status === 200).length >= 5, 20_000);
  first.child.kill("SIGKILL");
  assert.equal(await first.exited, "SIGKILL");
  const requestsBefore = exchange.restRequests.length;
  const gapTop = exchange.restRequests[0]!.after!; // the first page's cursor: just above the gap
  const reached = Math.min(...exchange.restRequests.map((r) => r.after!));

  exchange.restDelay(0);
  const second = runCli(configPath);
  await second.waitForLog((l) => l.msg === "trade gap filled", 30_000);
  second.child.kill("SIGTERM");
  assert.equal(await second.exited, 0, second.stderr.join(""));
  const resumedAt = exchange.restRequests[requestsBefore]!;
  assert.ok(resumedAt.after! < gapTop && resumedAt.after! >= reached, `the second run continued at a recorded cursor (after=${resumedAt.after}; gap top ${gapTop}, the first run reached ${reached})`);

  const data = await openTestEngine({ dir: join(dir, "data") });
  try {
    const stored = await rows<{ c: string; u: string; min: string; max: string }>(data.client, "SELECT count() AS c, uniqExact(trade_id) AS u, min(trade_id) AS min, max(trade_id) AS max FROM coinbase_demo.trades");
    const tape = exchange.allTrades();
    const s = stored[0]!;
    assert.deepEqual([s.c, s.u, s.min, s.max].map(Number), [tape.length, tape.length, tape[0]!.trade_id, tape.at(-1)!.trade_id]);
    const states = await rows<{ s: string; b: string }>(data.client, "SELECT argMax(state, revision) AS s, argMax(backfilled, revision) AS b FROM coinbase_demo.backfill_gaps GROUP BY product_id, first_trade_id");
    assert.deepEqual(states.map((r) => [r.s, Number(r.b)]), [["filled", 399]]);
  } finally {
    await data.close({ keepDir: true });
  }
});
