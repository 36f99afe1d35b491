// The Coinbase REST client (sources/coinbase-rest.ts) against the fake exchange
// (testing/fake-coinbase.ts): pagination and cursors, retries (429, 5xx, network, timeouts,
// Retry-After), giving up, refusals, abort, its token bucket under the fake's own public limit,
// retention; then the fake itself: tickers per batch of matches, heartbeats, subscriptions,
// duplicates, late messages, disconnects and its REST semantics.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { Logger } from "../src/observability/log";
import { decode } from "../src/pipeline/decode";
import { CoinbaseRest, RestAborted, RestRefused, RestUnavailable, retryAfterMs, TokenBucket, type CoinbaseRestOptions, type RestOutcome } from "../src/sources/coinbase-rest";
import { FakeCoinbase, matchMessage, restTrade, type FakeCoinbaseOptions, type TapeTrade } from "../testing/fake-coinbase";
import { waitFor } from "./helpers";

const P = "BTC-USD";

interface Running {
  readonly fake: FakeCoinbase;
  readonly restUrl: string;
  readonly wsUrl: string;
}

async function running(options: FakeCoinbaseOptions = {}): Promise<Running> {
  const fake = new FakeCoinbase({ heartbeatMs: 0, ...options });
  return { fake, ...(await fake.start()) };
}

interface Client {
  readonly rest: CoinbaseRest;
  readonly outcomes: RestOutcome[];
  readonly warnings: Array<Record<string, unknown>>;
}

function client(restUrl: string, options: Partial<CoinbaseRestOptions> = {}): Client {
  const outcomes: RestOutcome[] = [];
  const warnings: Array<Record<string, unknown>> = [];
  const log: Logger = { debug() {}, info() {}, warn: (msg, fields) => warnings.push({ msg, ...fields }), error() {} };
  const rest = new CoinbaseRest({
    restUrl,
    requestsPerSecond: 10,
    burst: 14,
    requestTimeoutMs: 2_000,
    retry: { initial_ms: 10, max_ms: 40 },
    giveUpAfterMs: 5_000,
    log,
    onRequest: (o) => outcomes.push(o),
    ...options,
  });
  return { rest, outcomes, warnings };
}

const ids = (trades: readonly unknown[]) => trades.map((t) => (t as { trade_id: number }).trade_id);

describe("CoinbaseRest against the fake exchange", () => {
  let ex: Running;
  before(async () => {
    // No public limit here: each test's requests must not depend on the tests before it (the
    // limit has its own tests below).
    ex = await running({ products: [P, "ETH-USD"], seed: 7, restLimit: false });
    await ex.fake.whileDisconnected(2_500, P); // on the tape, never on a websocket
  });
  after(() => ex.fake.stop());

  test("pagination: 2,500 trades in pages of 1,000 down to the first id, cursors from CB-AFTER", async () => {
    const tape = ex.fake.allTrades(P);
    const first = tape[0]!.trade_id;
    const { rest } = client(ex.restUrl);
    const seen: unknown[] = [];
    const cursors: Array<number | undefined> = [];
    const logBefore = ex.fake.restRequests.length;
    let cursor: number | undefined;
    do {
      const page = await rest.tradesPage(P, cursor, 1000);
      assert.equal(page.requests, 1);
      seen.push(...page.trades);
      cursors.push(page.nextAfter);
      cursor = page.nextAfter;
    } while (cursor !== undefined && cursor > first);
    assert.deepEqual(cursors, [first + 1500, first + 500, first]);
    assert.deepEqual(ids(seen), tape.map((t) => t.trade_id).reverse(), "newest first, contiguous, every trade once");
    assert.deepEqual(seen, [...tape].reverse().map(restTrade), "the REST shape of the tape");
    const last = await rest.tradesPage(P, first, 1000);
    assert.deepEqual(last, { trades: [], nextAfter: undefined, requests: 1 });
    const asked = ex.fake.restRequests.slice(logBefore);
    assert.deepEqual(asked.map((r) => [r.path, r.status]), [
      [`/products/${P}/trades?limit=1000`, 200],
      [`/products/${P}/trades?after=${first + 1500}&limit=1000`, 200],
      [`/products/${P}/trades?after=${first + 500}&limit=1000`, 200],
      [`/products/${P}/trades?after=${first}&limit=1000`, 200],
    ]);
    assert.ok(asked.every((r) => r.userAgent?.startsWith("streamstack-ingest/")), "a User-Agent on every request");
  });

  test("429 twice, then the page; the fake saw the same cursor each time", async () => {
    const { rest, outcomes, warnings } = client(ex.restUrl);
    const after = ex.fake.allTrades(P)[100]!.trade_id;
    ex.fake.failRest(2, 429);
    const page = await rest.tradesPage(P, after, 10);
    assert.equal(page.requests, 3);
    assert.deepEqual(ids(page.trades), Array.from({ length: 10 }, (_, i) => after - 1 - i));
    assert.deepEqual(outcomes, ["rate_limited", "rate_limited", "ok"]);
    assert.deepEqual(ex.fake.restRequests.slice(-3).map((r) => [r.after, r.status, r.injected]), [
      [after, 429, true],
      [after, 429, true],
      [after, 200, false],
    ]);
    assert.equal(warnings.length, 2);
    assert.match(String(warnings[0]!.reason), /^429 Too Many Requests: Too Many Requests$/);
  });

  test("500 and 503, then the page", async () => {
    const { rest, outcomes } = client(ex.restUrl);
    ex.fake.failRest(1, 500);
    ex.fake.failRest(1, 503, { body: "<html>upstream down</html>" });
    const page = await rest.tradesPage(P, undefined, 5);
    assert.equal(page.requests, 3);
    assert.equal(page.trades.length, 5);
    assert.deepEqual(outcomes, ["server_error", "server_error", "ok"]);
  });

  test("Retry-After is honoured (seconds), and read as an HTTP date too", async () => {
    const { rest } = client(ex.restUrl, { retry: { initial_ms: 5, max_ms: 10 } });
    ex.fake.failRest(1, 503, { retryAfter: "1" });
    const page = await rest.tradesPage(P, undefined, 1);
    assert.equal(page.requests, 2);
    const [failed, ok] = ex.fake.restRequests.slice(-2);
    assert.ok(ok!.at - failed!.at >= 950, `waited ${ok!.at - failed!.at} ms after "Retry-After: 1"`);
    assert.equal(retryAfterMs("2"), 2000);
    assert.equal(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1)), 30_000);
    assert.equal(retryAfterMs("soon"), undefined);
    assert.equal(retryAfterMs(null), undefined);
  });

  test("failing for giveUpAfterMs: RestUnavailable naming the last failure, the URL and how long", async () => {
    const { rest, outcomes } = client(ex.restUrl, { giveUpAfterMs: 300, retry: { initial_ms: 20, max_ms: 60 } });
    ex.fake.failRest(1_000, 503);
    const started = Date.now();
    try {
      const err = await rest.tradesPage(P, 12345, 1000).then(
        () => assert.fail("expected RestUnavailable"),
        (e: unknown) => e,
      );
      const took = Date.now() - started;
      assert.ok(err instanceof RestUnavailable, String(err));
      assert.match(err.message, /^Coinbase REST unreachable for \d+ ms: 503 Service Unavailable: Service Unavailable from http:\/\/127\.0\.0\.1:\d+\/products\/BTC-USD\/trades\?after=12345&limit=1000 \(\d+ attempts\)$/);
      assert.ok(err.failingForMs >= 300 && took < 1_000, `gave up after ${err.failingForMs} ms (call took ${took} ms)`);
      assert.ok(outcomes.length >= 4 && outcomes.every((o) => o === "server_error"), outcomes.join());
    } finally {
      ex.fake.clearRestFaults();
    }
  });

  test("a network error (nothing listening) and a slow server (timeout) are retried, then RestUnavailable", async () => {
    const port = await freePort();
    const down = client(`http://127.0.0.1:${port}`, { giveUpAfterMs: 150 });
    const err = await down.rest.tradesPage(P, undefined, 10).catch((e: unknown) => e);
    assert.ok(err instanceof RestUnavailable);
    assert.match(err.message, /network error: .*ECONNREFUSED/);
    assert.ok(down.outcomes.every((o) => o === "network_error"));

    ex.fake.restDelay(400);
    try {
      const slow = client(ex.restUrl, { requestTimeoutMs: 100, giveUpAfterMs: 250 });
      const timeout = await slow.rest.tradesPage(P, undefined, 10).catch((e: unknown) => e);
      assert.ok(timeout instanceof RestUnavailable);
      assert.match(timeout.message, /no answer within 100 ms from http:/);
    } finally {
      ex.fake.restDelay(0);
    }
  });

  test("404 for an unknown product and 400: RestRefused at once, with the server's message", async () => {
    const { rest, outcomes } = client(ex.restUrl);
    const before = ex.fake.restRequests.length;
    const err = await rest.tradesPage("FOO-BAR", undefined, 10).catch((e: unknown) => e);
    assert.ok(err instanceof RestRefused);
    assert.equal(err.status, 404);
    assert.match(err.message, /^Coinbase REST refused GET http:\/\/127\.0\.0\.1:\d+\/products\/FOO-BAR\/trades\?limit=10: 404 Not Found: NotFound$/);
    assert.equal(ex.fake.restRequests.length, before + 1, "not retried");
    ex.fake.failRest(1, 400, { body: JSON.stringify({ message: "Invalid after" }) });
    const bad = await rest.tradesPage(P, 1, 10).catch((e: unknown) => e);
    assert.ok(bad instanceof RestRefused && bad.status === 400 && bad.message.endsWith("400 Bad Request: Invalid after"), String(bad));
    assert.deepEqual(outcomes, ["refused", "refused"]);
    await assert.rejects(rest.tradesPage(P, undefined, 1001), RangeError, "a limit above 1000 is a bug of the caller");
  });

  test("a 200 whose body is not a JSON array: RestRefused naming what came", async () => {
    const { rest } = client(ex.restUrl);
    ex.fake.failRest(1, 200, { body: JSON.stringify({ message: "maintenance" }) });
    const object = await rest.tradesPage(P, undefined, 10).catch((e: unknown) => e);
    assert.ok(object instanceof RestRefused);
    assert.match(object.message, /200 OK but the body is a JSON object, not a JSON array of trades: "\{\\"message\\":\\"maintenance\\"\}"/);
    ex.fake.failRest(1, 200, { body: "<html>hello</html>" });
    const html = await rest.tradesPage(P, undefined, 10).catch((e: unknown) => e);
    assert.ok(html instanceof RestRefused);
    assert.match(html.message, /200 OK but the body is not JSON: "<html>hello<\/html>"/);
  });

  test("abort: RestAborted promptly, in flight, while backing off, and while waiting for a token", async () => {
    const { rest } = client(ex.restUrl, { retry: { initial_ms: 5_000, max_ms: 5_000 } });
    ex.fake.restDelay(5_000);
    try {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(rest.tradesPage(P, undefined, 10, controller.signal), RestAborted);
      assert.ok(Date.now() - started < 500, `in flight: ${Date.now() - started} ms`);
    } finally {
      ex.fake.restDelay(0);
    }
    ex.fake.failRest(1, 503);
    const backoff = new AbortController();
    const started = Date.now();
    setTimeout(() => backoff.abort(), 100);
    await assert.rejects(rest.tradesPage(P, undefined, 10, backoff.signal), RestAborted);
    assert.ok(Date.now() - started < 600, `backing off: ${Date.now() - started} ms`);

    const slowBucket = client(ex.restUrl, { requestsPerSecond: 0.1, burst: 1 }).rest;
    await slowBucket.tradesPage(P, undefined, 1);
    const waiting = new AbortController();
    setTimeout(() => waiting.abort(), 50);
    const t0 = Date.now();
    await assert.rejects(slowBucket.tradesPage(P, undefined, 1, waiting.signal), RestAborted);
    assert.ok(Date.now() - t0 < 500);
    const already = new AbortController();
    already.abort();
    await assert.rejects(rest.tradesPage(P, undefined, 1, already.signal), RestAborted);
  });

  test("retention: below the oldest trade served, the page is empty; across it, cut", async () => {
    const tape = ex.fake.allTrades(P);
    const first = tape[0]!.trade_id;
    ex.fake.restRetention(first + 2_000);
    try {
      const { rest } = client(ex.restUrl);
      assert.deepEqual(await rest.tradesPage(P, first + 1_500, 1000), { trades: [], nextAfter: undefined, requests: 1 });
      const cut = await rest.tradesPage(P, first + 2_100, 1000);
      assert.deepEqual(ids(cut.trades), Array.from({ length: 100 }, (_, i) => first + 2_099 - i));
      assert.equal(cut.nextAfter, first + 2_000);
    } finally {
      ex.fake.restRetention(undefined);
    }
  });

  test("retry logs: the first 3 failures, then every 10th", async () => {
    const quiet = await running({ restLimit: false });
    try {
      await quiet.fake.whileDisconnected(5);
      const { rest, warnings } = client(quiet.restUrl, { requestsPerSecond: 1000, burst: 1000, retry: { initial_ms: 1, max_ms: 2 } });
      quiet.fake.failRest(25, 502);
      const page = await rest.tradesPage(P, undefined, 5);
      assert.equal(page.requests, 26);
      assert.deepEqual(warnings.map((w) => w.attempt), [1, 2, 3, 11, 21]);
      assert.ok(warnings.every((w) => w.msg === "Coinbase REST request failed; retrying" && w.reason === "502 Bad Gateway: Bad Gateway"));
    } finally {
      await quiet.fake.stop();
    }
  });
});

describe("the token bucket against the fake's public limit (10/s, burst 15)", () => {
  test("40 concurrent pages at 10/s with a burst of 14: no 429 from the fake, and the client waited", async () => {
    const ex = await running();
    try {
      await ex.fake.whileDisconnected(50);
      const { rest, outcomes } = client(ex.restUrl, { requestsPerSecond: 10, burst: 14 });
      const started = Date.now();
      const pages = await Promise.all(Array.from({ length: 40 }, (_, i) => rest.tradesPage(P, ex.fake.allTrades(P)[10 + i]!.trade_id, 3)));
      const took = Date.now() - started;
      assert.ok(pages.every((p) => p.requests === 1 && p.trades.length === 3));
      assert.deepEqual(ex.fake.restRequests.filter((r) => r.status !== 200), []);
      assert.ok(outcomes.length === 40 && outcomes.every((o) => o === "ok"));
      assert.ok(took >= 2_500, `40 requests took ${took} ms; (40 - 14) / 10 s is the least`);
      // In every window of one second, at most burst + rate requests arrived.
      const at = ex.fake.restRequests.map((r) => r.at);
      for (const t of at) assert.ok(at.filter((u) => u >= t && u < t + 1000).length <= 15 + 10);
    } finally {
      await ex.fake.stop();
    }
  });

  test("a client configured above the limit gets the fake's 429s, drains its bucket, and still gets every page", async () => {
    const ex = await running();
    try {
      await ex.fake.whileDisconnected(50);
      const { rest, outcomes } = client(ex.restUrl, { requestsPerSecond: 100, burst: 30, retry: { initial_ms: 50, max_ms: 200 } });
      const pages = await Promise.all(Array.from({ length: 25 }, () => rest.tradesPage(P, undefined, 2)));
      assert.ok(pages.every((p) => p.trades.length === 2));
      const limited = ex.fake.restRequests.filter((r) => r.status === 429);
      assert.ok(limited.length > 0 && !limited.some((r) => r.injected), "the fake's own limiter answered 429");
      assert.equal(outcomes.filter((o) => o === "rate_limited").length, limited.length);
    } finally {
      await ex.fake.stop();
    }
  });

  test("TokenBucket: burst at once, then one per 1/rate; a waiter that aborts gives its token back", async () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await bucket.take();
    assert.ok(Date.now() - t0 < 50);
    now = 50; // half a token
    const t1 = Date.now();
    await bucket.take(); // waits the other half: 50 ms
    assert.ok(Date.now() - t1 >= 45, `${Date.now() - t1} ms`);
    const waiter = new AbortController();
    const waiting = bucket.take(waiter.signal); // no token until now = 200
    waiter.abort();
    await assert.rejects(waiting, RestAborted);
    now = 200;
    const t2 = Date.now();
    await bucket.take(); // the aborted waiter's token is back: at once
    assert.ok(Date.now() - t2 < 40, `${Date.now() - t2} ms`);
    assert.throws(() => new TokenBucket(0, 1), RangeError);
  });
});

/** A ws client of the fake: subscribes and keeps every message. */
async function subscriber(url: string, subscribe: Record<string, unknown>): Promise<{ socket: WebSocket; messages: Array<Record<string, unknown>>; raw: string[]; closed: Promise<number> }> {
  const socket = new WebSocket(url);
  const messages: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
  socket.on("message", (data) => {
    raw.push(data.toString());
    try {
      messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
    } catch {
      // sendRaw's garbage: in `raw` only
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  socket.send(JSON.stringify({ type: "subscribe", ...subscribe }));
  await waitFor("the ack", () => messages.some((m) => m.type === "subscriptions" || m.type === "error"), 2_000);
  return { socket, messages, raw, closed };
}

const ofType = (messages: Array<Record<string, unknown>>, type: string) => messages.filter((m) => m.type === type);

describe("the fake exchange", () => {
  test("a ticker per batch of matches: last_size of the batch's last trade only, so ticker VWAP ≠ trade VWAP; heartbeats; only subscribed channels", async () => {
    const ex = await running({ products: [P, "ETH-USD"], seed: 3, heartbeatMs: 30 });
    try {
      const all = await subscriber(ex.wsUrl, { product_ids: [P, "ETH-USD"], channels: ["ticker", "matches", "heartbeat"] });
      const tickerOnly = await subscriber(ex.wsUrl, { product_ids: [P], channels: ["ticker"] });
      assert.deepEqual(all.messages[0], {
        type: "subscriptions",
        channels: [
          { name: "ticker", product_ids: [P, "ETH-USD"] },
          { name: "matches", product_ids: [P, "ETH-USD"] },
          { name: "heartbeat", product_ids: [P, "ETH-USD"] },
        ],
      });
      const trades = await ex.fake.emit(60);
      await waitFor("every message", () => ofType(all.messages, "match").length === 120 && ofType(all.messages, "heartbeat").length >= 4, 3_000);
      assert.deepEqual(ofType(all.raw.map((r) => JSON.parse(r) as Record<string, unknown>), "match").length, 120);
      assert.deepEqual(all.raw.filter((r) => r.startsWith('{"type":"match"')), trades.map((t) => matchMessage(t)), "every trade as a match, in order");
      for (const product of [P, "ETH-USD"]) {
        const tape = ex.fake.allTrades(product);
        assert.deepEqual(tape.map((t) => t.trade_id), Array.from({ length: 60 }, (_, i) => tape[0]!.trade_id + i), "contiguous trade_id");
        const tickers = ofType(all.messages, "ticker").filter((t) => t.product_id === product);
        assert.ok(tickers.length < 60 && tickers.length > 10, `${tickers.length} tickers for 60 trades`);
        const byId = new Map(tape.map((t) => [t.trade_id, t]));
        for (const ticker of tickers) {
          const last = byId.get(ticker.trade_id as number)!;
          assert.equal(ticker.last_size, last.size);
          assert.equal(ticker.price, last.price);
          assert.equal(ticker.time, last.time);
          assert.equal(ticker.sequence, last.sequence);
        }
        assert.equal(tickers[tickers.length - 1]!.trade_id, tape[59]!.trade_id);
        const sequences = tickers.map((t) => t.sequence as number);
        assert.ok(sequences.every((s, i) => i === 0 || s > sequences[i - 1]!), "sequence increases");
        assert.ok(sequences.some((s, i) => i > 0 && s > sequences[i - 1]! + 1), "…with jumps");
        const vwap = (rows: Array<{ p: number; q: number }>) => rows.reduce((a, r) => a + r.p * r.q, 0) / rows.reduce((a, r) => a + r.q, 0);
        const tradeVwap = vwap(tape.map((t) => ({ p: Number(t.price), q: Number(t.size) })));
        const tickerVwap = vwap(tickers.map((t) => ({ p: Number(t.price), q: Number(t.last_size) })));
        assert.notEqual(tickerVwap.toFixed(6), tradeVwap.toFixed(6));
        const tickerVolume = tickers.reduce((a, t) => a + Number(t.last_size), 0);
        const tradeVolume = tape.reduce((a, t) => a + Number(t.size), 0);
        assert.ok(tickerVolume < tradeVolume, "tickers carry less volume than the trades");
      }
      for (const m of all.raw.slice(1)) assert.notEqual(decode(m).kind, "invalid", `the ingester decodes ${m}`);
      const ticker = all.raw.find((r) => r.startsWith('{"type":"ticker"'))!;
      assert.deepEqual(Object.keys(JSON.parse(ticker) as object), ["type", "sequence", "product_id", "price", "open_24h", "volume_24h", "low_24h", "high_24h", "volume_30d", "best_bid", "best_bid_size", "best_ask", "best_ask_size", "side", "time", "trade_id", "last_size"]);
      assert.match(ticker, /"time":"2026-11-24T21:00:\d\d\.\d{6}Z"/);
      const beat = ofType(all.messages, "heartbeat").at(-1)!;
      assert.deepEqual(Object.keys(beat), ["type", "last_trade_id", "product_id", "sequence", "time"]);

      await waitFor("ticker-only messages", () => tickerOnly.messages.length > 10, 2_000);
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(tickerOnly.messages.slice(1).every((m) => m.type === "ticker" && m.product_id === P), "only the subscribed channel and product");
      all.socket.close();
      tickerOnly.socket.close();
    } finally {
      await ex.fake.stop();
    }
  });

  test("as scripted: duplicates, late messages, trades while disconnected, close codes, refused connections, last_match", async () => {
    const ex = await running({ seed: 5 });
    try {
      const first = await subscriber(ex.wsUrl, { product_ids: [P], channels: ["matches", "ticker"] });
      assert.equal(first.messages.length, 1, "a fresh exchange: no last_match, no ticker yet");
      const live = await ex.fake.emit(10);
      const isTicker = (r: string) => r.startsWith('{"type":"ticker"');
      const closesLast = (r: string) => isTicker(r) && (JSON.parse(r) as { trade_id: number }).trade_id === live[9]!.trade_id;
      await waitFor("the live trades", () => closesLast(first.raw.at(-1) ?? ""), 2_000);
      const original = first.raw.slice(1);
      assert.equal(original.filter((r) => r.startsWith('{"type":"match"')).length, 10);
      await ex.fake.duplicateLast(3);
      await ex.fake.sendLate(P, [live[2]!.trade_id, live[9]!.trade_id]);
      await ex.fake.sendRaw('{"type":"ticker","sequence":');
      await waitFor("the scripted messages", () => first.raw.at(-1) === '{"type":"ticker","sequence":', 2_000);
      const scripted = first.raw.slice(1 + original.length, -1);
      const tickerOf = (t: TapeTrade) => original.filter((r) => isTicker(r) && (JSON.parse(r) as { trade_id: number }).trade_id === t.trade_id);
      assert.deepEqual(scripted, [
        ...original.slice(-3), // the last 3 again
        matchMessage(live[2]!),
        ...tickerOf(live[2]!), // a late trade's ticker too, if it closed a batch
        matchMessage(live[9]!),
        original.at(-1)!, // trade 10 closed the last batch
      ]);

      const missed = await ex.fake.whileDisconnected(7);
      assert.equal(await first.closed, 1006, "terminated");
      const second = await subscriber(ex.wsUrl, { product_ids: [P], channels: ["matches", "ticker"] });
      await waitFor("last_match and the ticker", () => second.messages.length === 3, 2_000);
      const lastMatch = second.messages.find((m) => m.type === "last_match")!;
      assert.equal(lastMatch.trade_id, missed[6]!.trade_id, "last_match is the newest trade, one nobody was sent");
      assert.ok(second.messages.some((m) => m.type === "ticker" && m.trade_id === missed[6]!.trade_id), "the current ticker on subscribe");
      const next = await ex.fake.emit(1);
      assert.equal(next[0]!.trade_id, live[9]!.trade_id + 8, "the live feed resumes after the 7 missed trades");
      const rest = (await (await fetch(`${ex.restUrl}/products/${P}/trades?after=${next[0]!.trade_id}&limit=7`)).json()) as unknown[];
      assert.deepEqual(rest, [...missed].reverse().map(restTrade), "REST serves what the websocket never sent");

      await ex.fake.dropConnections({ code: 1011, reason: "feed service restart" });
      assert.equal(await second.closed, 1011);
      ex.fake.refuseConnections(true);
      const refused = new WebSocket(ex.wsUrl);
      const failure = await new Promise<string>((resolve) => refused.on("error", (e) => resolve(e.message)));
      assert.match(failure, /503/);
      ex.fake.refuseConnections(false);
      assert.equal(ex.fake.allTrades(P).length, 18);
      assert.equal(ex.fake.connections, 2);
    } finally {
      await ex.fake.stop();
    }
  });

  test("held back: the picked live messages are not sent until releaseHeld, then newest first; sent records what went out, the subscribe's last_match and ticker too", async () => {
    const ex = await running({ products: [P, "ETH-USD"], seed: 11 });
    try {
      const client = await subscriber(ex.wsUrl, { product_ids: [P, "ETH-USD"], channels: ["matches", "ticker"] });
      await ex.fake.emit(5);
      const before = ex.fake.sent.length;
      let n = 0;
      ex.fake.holdBack(4, (m) => m.productId === "ETH-USD" && n++ % 2 === 0); // every other ETH-USD message, 4 of them
      await ex.fake.emit(12);
      const held = ex.fake.heldBack();
      assert.equal(held.length, 4);
      assert.ok(held.every((m) => m.productId === "ETH-USD"));
      assert.ok(held.some((m) => m.channel === "matches") && held.some((m) => m.channel === "ticker"), held.map((m) => m.channel).join());
      const heldTexts = new Set(held.map((m) => m.text));
      const lastSent = ex.fake.sent.at(-1)!.text;
      await waitFor("the live messages", () => client.raw.includes(lastSent), 2_000);
      assert.equal(client.raw.length, 1 + ex.fake.sent.length, "the ack and every message sent");
      assert.ok(!client.raw.some((r) => heldTexts.has(r)), "nothing held reached the client");
      assert.ok(!ex.fake.sent.slice(before).some((m) => heldTexts.has(m.text)), "nor sent");
      const count = client.raw.length;
      const released = await ex.fake.releaseHeld();
      assert.deepEqual(released, [...held].reverse(), "newest first");
      await waitFor("the released messages", () => client.raw.length === count + 4, 2_000);
      assert.deepEqual(client.raw.slice(count), released.map((m) => m.text));
      assert.deepEqual(ex.fake.sent.slice(-4), released);
      assert.deepEqual(ex.fake.heldBack(), []);
      await ex.fake.emit(2);
      assert.equal(ex.fake.heldBack().length, 0, "holding stopped at the release");

      // The subscribe's extras are recorded in sent: last_match (channel matches) and the current ticker.
      const sentBefore = ex.fake.sent.length;
      const second = await subscriber(ex.wsUrl, { product_ids: [P], channels: ["matches", "ticker"] });
      await waitFor("last_match and the ticker", () => second.messages.length === 3, 2_000);
      assert.deepEqual(ex.fake.sent.slice(sentBefore).map((m) => [m.channel, m.productId, (JSON.parse(m.text) as { type: string }).type]), [["matches", P, "last_match"], ["ticker", P, "ticker"]]);
      client.socket.close();
      second.socket.close();
    } finally {
      await ex.fake.stop();
    }
  });

  test("subscribe errors, and the REST route's own answers: cursors, before, limit > 1000, unknown product, its rate limit", async () => {
    // 1 token a second, so the count below does not depend on how fast this machine is.
    const ex = await running({ restLimit: { requestsPerSecond: 1, burst: 15 } });
    try {
      const bad = await subscriber(ex.wsUrl, { product_ids: ["FOO-BAR"], channels: ["ticker"] });
      assert.deepEqual(bad.messages, [{ type: "error", message: "Failed to subscribe", reason: "FOO-BAR is not a valid product" }]);
      bad.socket.close();
      const tape: TapeTrade[] = await ex.fake.whileDisconnected(30);
      const base = `${ex.restUrl}/products/${P}/trades`;
      const page = await fetch(`${base}?after=${tape[20]!.trade_id}&limit=5`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get("cb-before"), String(tape[19]!.trade_id));
      assert.equal(page.headers.get("cb-after"), String(tape[15]!.trade_id));
      const newer = (await (await fetch(`${base}?before=${tape[20]!.trade_id}&limit=3`)).json()) as Array<{ trade_id: number }>;
      assert.deepEqual(newer.map((t) => t.trade_id), [tape[23]!.trade_id, tape[22]!.trade_id, tape[21]!.trade_id]);
      const tooMany = await fetch(`${base}?limit=1001`);
      assert.equal(tooMany.status, 400);
      assert.ok(typeof ((await tooMany.json()) as { message: unknown }).message === "string");
      const unknown = await fetch(`${ex.restUrl}/products/FOO-BAR/trades`);
      assert.deepEqual([unknown.status, await unknown.json()], [404, { message: "NotFound" }]);
      assert.equal(restTrade(tape[0]!).price.split(".")[1]!.length, 8, "REST prices with 8 decimals, as Coinbase's example");

      // 4 requests so far; the burst of 15 allows 11 more at once, then 429.
      const statuses = await Promise.all(Array.from({ length: 14 }, () => fetch(`${base}?limit=1`).then((r) => r.status)));
      assert.equal(statuses.filter((s) => s === 429).length, 3, statuses.join());
      const limited = await fetch(`${base}?limit=1`);
      assert.deepEqual([limited.status, await limited.json()], [429, { message: "Public rate limit exceeded" }]);
      await new Promise((r) => setTimeout(r, 1_100));
      assert.equal((await fetch(`${base}?limit=1`)).status, 200, "a token comes back each second");
    } finally {
      await ex.fake.stop();
    }
  });
});

test("the fake's realTime clock: trades at the wall clock's time, not the tape's", async () => {
  const fake = new FakeCoinbase({ realTime: true, heartbeatMs: 0 });
  const trades = await fake.whileDisconnected(5);
  for (const t of trades) assert.ok(Math.abs(Date.parse(t.time) - Date.now()) < 1_000, t.time);
  assert.match(trades[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
