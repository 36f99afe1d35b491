// A fake Coinbase exchange (a ws server in the test) drives the real websocket source into the
// embedded engine: subscribe and ack, ticks, heartbeats, duplicates, errors, unknown types,
// a server close mid-stream, a silent stall (watchdog), reconnect and resubscribe.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { WebSocketServer, type WebSocket } from "ws";
import { startIngester, type RunningIngester } from "../src/main";
import { realisticTickers, sampleLines } from "../../sql/testing/ticks";
import { one, rows, sharedEngine, testConfig, waitFor } from "./helpers";

const engine = sharedEngine();

interface FakeExchange {
  readonly url: string;
  readonly subscribes: Array<Record<string, unknown>>;
  connections: number;
  close(): Promise<void>;
}

/** `script(socket, n)` runs when connection n (1-based) has sent its subscribe. */
async function fakeExchange(script: (socket: WebSocket, connection: number, subscribe: Record<string, unknown>) => void): Promise<FakeExchange> {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const exchange: FakeExchange = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    subscribes: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
  server.on("connection", (socket) => {
    const n = ++exchange.connections;
    socket.once("message", (data) => {
      const subscribe = JSON.parse(data.toString()) as Record<string, unknown>;
      exchange.subscribes.push(subscribe);
      script(socket, n, subscribe);
    });
  });
  return exchange;
}

const ACK = JSON.stringify({ type: "subscriptions", channels: [{ name: "ticker", product_ids: ["BTC-USD", "ETH-USD"] }, { name: "heartbeat", product_ids: ["BTC-USD", "ETH-USD"] }] });

function coinbaseConfig(url: string, extra: Record<string, unknown> = {}) {
  return testConfig({
    source: {
      type: "coinbase",
      wss_url: url,
      subscription: { product_ids: ["BTC-USD", "ETH-USD"], channels: ["ticker"] },
      subscribe_timeout_ms: 1_000,
      watchdog_seconds: 1,
      backoff: { initial_ms: 20, max_ms: 100 },
      ...extra,
    },
  });
}

async function start(url: string, extra: Record<string, unknown> = {}): Promise<RunningIngester> {
  return startIngester(coinbaseConfig(url, extra), {
    clickhouse: { client: engine.client, kind: "embedded", close: async () => undefined },
    defaultMetrics: false,
  });
}

async function storedCount(): Promise<number> {
  return Number((await one<{ c: string }>(engine.client, "SELECT count() AS c FROM coinbase_demo.coinbase_ticker")).c);
}

test("ticks flow through subscribe, close mid-stream, silent stall, and two resubscribes: each tick stored once", async () => {
  const session = sampleLines().slice(1, -1); // tickers and heartbeats of the recorded session
  const more = realisticTickers(40); // continues the session's numbering, with its jumps
  const exchange = await fakeExchange((socket, n) => {
    socket.send(ACK);
    if (n === 1) {
      for (const line of session.slice(0, 20)) socket.send(line);
      socket.send(session[5]!); // a duplicate ticker
      socket.send(JSON.stringify({ type: "status", products: [] })); // unknown type: ignored
      socket.send(JSON.stringify({ type: "error", message: "Slow consumer", reason: "too many messages backed up" }));
      socket.send('{"type":"ticker","sequence":'); // cut-off message
      setTimeout(() => socket.close(1011, "feed service restart"), 50); // server closes mid-stream
    } else if (n === 2) {
      for (const line of session.slice(20)) socket.send(line);
      for (const line of more.slice(0, 20)) socket.send(line);
      // …then silence: the watchdog must fire.
    } else {
      for (const line of more.slice(15)) socket.send(line); // overlaps 5 already stored
      const beat = setInterval(() => socket.readyState === socket.OPEN && socket.send(JSON.stringify({ type: "heartbeat", product_id: "BTC-USD", sequence: 99_000_000_000, last_trade_id: 0, time: new Date().toISOString() })), 100);
      socket.on("close", () => clearInterval(beat));
    }
  });
  const ingester = await start(exchange.url);
  try {
    const tickerCount = session.filter((l) => l.includes('"type":"ticker"')).length + more.length;
    await waitFor("every tick stored", async () => (await storedCount()) === tickerCount && exchange.connections >= 3);
    await waitFor("health ok", () => ingester.health().ok, 5_000);

    assert.equal(exchange.subscribes.length, 3, "subscribed once per connection");
    for (const s of exchange.subscribes) {
      assert.deepEqual(s, { type: "subscribe", product_ids: ["BTC-USD", "ETH-USD"], channels: ["ticker", "heartbeat"] });
    }
    const unique = await one<{ u: string }>(engine.client, "SELECT uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
    assert.equal(Number(unique.u), tickerCount, "no tick stored twice");
    assert.equal(ingester.metrics.totals.duplicates, 1 + 5);
    assert.equal(ingester.metrics.totals.reconnects, 2);

    await ingester.stop("test over");
    const dead = await rows<{ reason: string; source: string }>(engine.client, "SELECT reason, source FROM coinbase_demo.ingest_dead_letters ORDER BY reason");
    assert.deepEqual(
      dead.map((d) => d.reason.split(":")[0]),
      ["exchange error", "not JSON"],
    );
    assert.ok(dead.every((d) => d.source === "coinbase"));
    const gaps = await rows<{ product_id: string; kind: string; last_seen: string; next_seen: string }>(
      engine.client,
      "SELECT product_id, kind, last_seen, next_seen FROM coinbase_demo.sequence_gaps ORDER BY detected_at, product_id",
    );
    // Two outages (server close, stall), each recorded for both products; never a gap for a normal sequence jump.
    assert.equal(gaps.length, 4, JSON.stringify(gaps));
    assert.ok(gaps.every((g) => g.kind === "reconnect" && Number(g.next_seen) > Number(g.last_seen)));
    assert.deepEqual(new Set(gaps.map((g) => g.product_id)), new Set(["BTC-USD", "ETH-USD"]));
  } finally {
    await ingester.stop("test over");
    await exchange.close();
  }
});

test("no subscriptions ack in time: the source reconnects and /healthz says why", async () => {
  const exchange = await fakeExchange(() => undefined); // accepts, never acks
  const ingester = await start(exchange.url);
  try {
    await waitFor("a second connection", () => exchange.connections >= 2, 5_000);
    const response = await fetch(`http://127.0.0.1:${ingester.httpPort}/healthz`);
    assert.equal(response.status, 503);
    const report = (await response.json()) as { problems: string[] };
    assert.ok(report.problems.some((p) => /no subscriptions ack within 1000 ms|connecting|subscribing/.test(p)), JSON.stringify(report));
  } finally {
    await ingester.stop("test over");
    await exchange.close();
  }
});

test("an error instead of the ack (bad product) is dead-lettered, retried with backoff, and shown by /healthz", async () => {
  const exchange = await fakeExchange((socket) => socket.send(JSON.stringify({ type: "error", message: "Failed to subscribe", reason: "FOO-BAR is not a valid product" })));
  const ingester = await start(exchange.url);
  try {
    await waitFor("two attempts", () => exchange.connections >= 2, 5_000);
    const report = ingester.health();
    assert.equal(report.ok, false);
    assert.ok(report.problems.some((p) => p.includes("FOO-BAR is not a valid product")) || report.source.includes("connecting"), JSON.stringify(report));
  } finally {
    await ingester.stop("test over");
    await exchange.close();
  }
  const dead = await rows<{ reason: string }>(engine.client, "SELECT reason FROM coinbase_demo.ingest_dead_letters");
  assert.ok(dead.length >= 1 && dead.every((d) => d.reason === "exchange error: Failed to subscribe: FOO-BAR is not a valid product"));
});

test("/metrics serves Prometheus text with the stage counters", async () => {
  const exchange = await fakeExchange((socket) => {
    socket.send(ACK);
    for (const line of sampleLines().slice(1, 10)) socket.send(line);
  });
  // A quiet feed after these lines: a long watchdog keeps the connection (and /healthz) up.
  const ingester = await start(exchange.url, { watchdog_seconds: 30 });
  try {
    await waitFor("ticks stored", async () => (await storedCount()) === 8);
    const text = await (await fetch(`http://127.0.0.1:${ingester.httpPort}/metrics`)).text();
    assert.match(text, /ingest_messages_received_total\{kind="ticker"\} 8/);
    assert.match(text, /ingest_rows_stored_total\{table="ticker"\} 8/);
    assert.match(text, /ingest_source_connected 1/);
    const health = await fetch(`http://127.0.0.1:${ingester.httpPort}/healthz`);
    assert.equal(health.status, 200);
  } finally {
    await ingester.stop("test over");
    await exchange.close();
  }
});

test("a text frame that is not UTF-8 is dead-lettered, and the connection stays up (no 1007 close)", async () => {
  const ticks = realisticTickers(6);
  const exchange = await fakeExchange((socket) => {
    socket.send(ACK);
    for (const line of ticks.slice(0, 3)) socket.send(line);
    // A ticker with a byte that is not UTF-8 (0xff) in its product id, sent as a text frame.
    const bad = Buffer.from(ticks[3]!.replace('"product_id":"', '"product_id":"\u0001'), "utf8");
    bad[bad.indexOf(1)] = 0xff;
    socket.send(bad, { binary: false });
    for (const line of ticks.slice(4)) socket.send(line);
  });
  const ingester = await start(exchange.url, { watchdog_seconds: 30 });
  try {
    await waitFor("the good ticks stored", async () => (await storedCount()) === 5);
    await ingester.stop("test over");
    assert.equal(exchange.connections, 1, "one connection: the frame did not close it");
    assert.equal(ingester.metrics.totals.reconnects, 0);
    const dead = await rows<{ reason: string; raw: string }>(engine.client, "SELECT reason, raw FROM coinbase_demo.ingest_dead_letters");
    assert.equal(dead.length, 1);
    assert.match(dead[0]!.reason, /^ticker\.product_id: expected a product id/);
    assert.ok(dead[0]!.raw.includes('"product_id":"\ufffd'), "the bad byte is kept as U+FFFD in the raw message");
  } finally {
    await ingester.stop("test over");
    await exchange.close();
  }
});
