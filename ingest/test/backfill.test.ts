// Trades exactly once against a fake Coinbase (websocket + REST on loopback, ingest/testing):
// a disconnect loses trades on the websocket, the gap is seen at the first trade after it, filled
// from REST page by page, and every trade of the exchange's tape is in the table once; REST 429s
// and 5xx are retried; history older than the REST API serves is abandoned, not retried forever;
// a kill in the middle of a gap: backfill-kill.test.ts.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { compareTradeRollups, tradeInputOf } from "../../sql/testing/exactness";
import { FakeCoinbase, type TapeTrade } from "../testing/fake-coinbase";
import { startIngester, type RunningIngester } from "../src/main";
import { rows, sharedEngine, tempDir, testConfig, waitFor } from "./helpers";

const engine = sharedEngine();
const fakes: FakeCoinbase[] = [];
after(async () => {
  for (const f of fakes) await f.stop();
});

async function fake(options: ConstructorParameters<typeof FakeCoinbase>[0] = {}): Promise<{ exchange: FakeCoinbase; wsUrl: string; restUrl: string }> {
  const exchange = new FakeCoinbase({ products: ["BTC-USD", "ETH-USD"], heartbeatMs: 0, ...options });
  fakes.push(exchange);
  return { exchange, ...(await exchange.start()) };
}

function coinbaseConfig(wsUrl: string, restUrl: string, spoolDir: string, backfill: Record<string, unknown> = {}) {
  return testConfig({
    source: {
      type: "coinbase",
      wss_url: wsUrl,
      subscription: { product_ids: ["BTC-USD", "ETH-USD"], channels: ["ticker", "matches"] },
      backoff: { initial_ms: 20, max_ms: 100 },
      backfill: { rest_url: restUrl, page_size: 40, requests_per_second: 10, burst: 10, retry: { initial_ms: 20, max_ms: 100 }, ...backfill },
    },
    spool: { dir: spoolDir },
    shutdown_timeout_ms: 2_000,
  });
}

async function start(config: ReturnType<typeof testConfig>): Promise<RunningIngester> {
  return startIngester(config, { clickhouse: engine.handle, defaultMetrics: false });
}

interface Stored {
  product_id: string;
  trade_id: number;
  source: string;
  copies: number;
}

async function storedTrades(): Promise<Stored[]> {
  const r = await rows<{ product_id: string; trade_id: string; source: string; copies: string }>(
    engine.client,
    "SELECT product_id, trade_id, any(source) AS source, count() AS copies FROM coinbase_demo.trades GROUP BY product_id, trade_id ORDER BY product_id, trade_id",
  );
  return r.map((x) => ({ product_id: x.product_id, trade_id: Number(x.trade_id), source: x.source, copies: Number(x.copies) }));
}

async function gapStates(): Promise<Array<{ product_id: string; first: number; last: number; state: string; backfilled: number; reason: string }>> {
  const r = await rows<{ product_id: string; f: string; l: string; s: string; b: string; reason: string }>(
    engine.client,
    `SELECT product_id, first_trade_id AS f, argMax(last_trade_id, revision) AS l, argMax(state, revision) AS s, argMax(backfilled, revision) AS b, argMax(reason, revision) AS reason
     FROM coinbase_demo.backfill_gaps GROUP BY product_id, first_trade_id ORDER BY product_id, first_trade_id`,
  );
  return r.map((x) => ({ product_id: x.product_id, first: Number(x.f), last: Number(x.l), state: x.s, backfilled: Number(x.b), reason: x.reason }));
}

function ids(trades: readonly TapeTrade[]): string[] {
  return [...trades].sort((a, b) => a.product_id.localeCompare(b.product_id) || a.trade_id - b.trade_id).map((t) => `${t.product_id}:${t.trade_id}`);
}

test("a disconnect loses 150 trades per product on the websocket; the backfill fills them from REST over several pages, 429s and 5xx retried, each trade once", async () => {
  const { exchange, wsUrl, restUrl } = await fake();
  const ingester = await start(coinbaseConfig(wsUrl, restUrl, tempDir("spool")));
  await exchange.waitForSubscribers(1);
  await exchange.emit(30);
  const lost = await exchange.whileDisconnected(150);
  exchange.failRest(2, 429);
  exchange.failRest(1, 503);
  await exchange.waitForSubscribers(1);
  await exchange.emit(20);
  await exchange.duplicateLast(5);
  const tape = exchange.allTrades();
  await waitFor("every trade of the tape stored", async () => (await storedTrades()).length === tape.length, 30_000);
  assert.equal(await ingester.stop("test"), 0);

  const stored = await storedTrades();
  assert.deepEqual(stored.map((s) => `${s.product_id}:${s.trade_id}`).sort(), ids(tape), "exactly the exchange's trades");
  assert.ok(stored.every((s) => s.copies === 1), "each stored once");
  // On resubscribing, Coinbase sends each product's newest trade as last_match: the newest lost
  // trade arrives on the websocket, and the gap is the ones before it.
  const newestLost = new Set(["BTC-USD", "ETH-USD"].map((p) => ids(lost.filter((t) => t.product_id === p)).pop()));
  const lostIds = ids(lost).filter((id) => !newestLost.has(id));
  const fromRest = stored.filter((s) => s.source === "rest").map((s) => `${s.product_id}:${s.trade_id}`);
  assert.deepEqual(fromRest, lostIds, "the lost ones came from REST, and only they");
  const states = await gapStates();
  assert.equal(states.length, 2, JSON.stringify(states));
  assert.ok(states.every((g) => g.state === "filled" && g.backfilled === g.last - g.first + 1), JSON.stringify(states));
  const pages = exchange.restRequests.filter((r) => r.status === 200);
  assert.ok(pages.length >= 8, `150 missing trades per product at 40 a page is at least 4 pages each (saw ${pages.length})`);
  assert.ok(exchange.restRequests.some((r) => r.status === 429) && exchange.restRequests.some((r) => r.status === 503));
  // The exact rollups equal an independent BigInt computation over the exchange's full tape.
  assert.deepEqual(await compareTradeRollups(engine.client, tape.map(tradeInputOf)), []);
});

test("history older than the REST API serves: the gap is abandoned with the reason, not retried forever", async () => {
  const { exchange, wsUrl, restUrl } = await fake({ products: ["BTC-USD"] });
  const config = coinbaseConfig(wsUrl, restUrl, tempDir("spool"));
  const ingester = await start({ ...config, source: { ...config.source, subscription: { product_ids: ["BTC-USD"], channels: ["ticker", "matches"] } } } as typeof config);
  await exchange.waitForSubscribers(1);
  await exchange.emit(10);
  const lost = await exchange.whileDisconnected(100);
  exchange.restRetention(lost[60]!.trade_id); // the oldest 60 lost trades are beyond the API's history
  await exchange.waitForSubscribers(1);
  await exchange.emit(5);
  await waitFor("the gap abandoned", async () => (await gapStates()).some((g) => g.state === "abandoned"), 20_000);
  assert.equal(await ingester.stop("test"), 0);
  const [gap] = await gapStates();
  assert.equal(gap!.state, "abandoned");
  assert.equal(gap!.backfilled, 39, "what REST still had was stored (99 missing: the newest lost trade came as last_match)");
  assert.match(gap!.reason, /older than its history/);
  assert.equal((await storedTrades()).length, exchange.allTrades().length - 60, "every trade but the 60 beyond the API's history");
});

test("REST unreachable (503 on every request): the gap is abandoned after give_up_after_ms with the reason, and the live feed goes on", async () => {
  const { exchange, wsUrl, restUrl } = await fake({ products: ["ETH-USD"] });
  exchange.failRest(1_000_000, 503);
  const config = coinbaseConfig(wsUrl, restUrl, tempDir("spool"), { give_up_after_ms: 400 });
  const ingester = await start({ ...config, source: { ...config.source, subscription: { product_ids: ["ETH-USD"], channels: ["ticker", "matches"] } } } as typeof config);
  await exchange.waitForSubscribers(1);
  await exchange.emit(5);
  await exchange.whileDisconnected(20);
  await exchange.waitForSubscribers(1);
  await exchange.emit(5);
  await waitFor("the gap abandoned", async () => (await gapStates()).some((g) => g.state === "abandoned"), 20_000);
  await exchange.emit(5);
  await waitFor("the trades after it stored", async () => (await storedTrades()).length === 5 + 1 + 5 + 5, 20_000);
  assert.equal(await ingester.stop("test"), 0);
  const [gap] = await gapStates();
  assert.equal(gap!.backfilled, 0);
  assert.match(gap!.reason, /unreachable for .*503/);
  const failed = exchange.restRequests.length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(exchange.restRequests.length, failed, "no request after the gap was abandoned");
});
