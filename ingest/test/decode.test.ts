import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { openMigratedEngine } from "../../sql/testing/engine";
import { prng } from "../../sql/src/prng";
import { TICKER_COLUMNS } from "../../sql/src/rows";
import { decodeRestTrade, decode, decodeParsed, tickerRowOf } from "../src/pipeline/decode";
import { fastTicker } from "../src/pipeline/fast-ticker";
import { realisticTickers, sampleLines } from "../../sql/testing/ticks";
import { rows } from "./helpers";

test("every message of the recorded session decodes to its kind", () => {
  const kinds = sampleLines().map((l) => decode(l).kind);
  assert.equal(kinds[0], "subscriptions");
  assert.equal(kinds.filter((k) => k === "ticker").length, 36);
  assert.equal(kinds.filter((k) => k === "heartbeat").length, 4);
  assert.equal(kinds[kinds.length - 1], "error");
  assert.ok(!kinds.includes("invalid"));
});

test("a ticker maps to the raw table's columns: numbers parsed from strings, microseconds kept", () => {
  const line = sampleLines()[1]!;
  const d = decode(line);
  assert.equal(d.kind, "ticker");
  if (d.kind !== "ticker") return;
  assert.deepEqual([d.productId, d.sequence, d.time], ["ETH-USD", 58010000026, "2026-11-24 21:00:00.208176"]);
  assert.deepEqual(tickerRowOf(d.line), {
    sequence: 58010000026,
    trade_id: 571000003,
    price: 3104.3,
    last_size: 0.41063893,
    time: "2026-11-24 21:00:00.208176",
    product_id: "ETH-USD",
    side: "buy",
    open_24h: 3088.2,
    volume_24h: 201234.1123,
    low_24h: 3050.01,
    high_24h: 3150.77,
    volume_30d: 5123456.789,
    best_bid: 3104.29,
    best_bid_size: 0.18916595,
    best_ask: 3104.31,
    best_ask_size: 1.16599322,
  });
});

test("invalid messages say which field is wrong and why", () => {
  const ticker = JSON.parse(sampleLines()[1]!) as Record<string, unknown>;
  const reason = (m: unknown) => {
    const d = decode(typeof m === "string" ? m : JSON.stringify(m));
    assert.equal(d.kind, "invalid");
    return d.kind === "invalid" ? d.reason : "";
  };
  assert.match(reason("{not json"), /^not JSON/);
  assert.match(reason("[1,2]"), /not a JSON object/);
  assert.match(reason({ sequence: 1 }), /type: expected a string, got nothing/);
  assert.match(reason({ ...ticker, price: "abc" }), /ticker\.price: expected a decimal string.*got "abc"/);
  assert.match(reason({ ...ticker, price: undefined }), /ticker\.price: .*got nothing/);
  assert.match(reason({ ...ticker, sequence: "58010000026" }), /ticker\.sequence: expected a whole number/);
  assert.match(reason({ ...ticker, sequence: -1 }), /ticker\.sequence/);
  assert.match(reason({ ...ticker, time: "2026-11-24 21:00:00" }), /ticker\.time: expected an ISO 8601 UTC time/);
  assert.match(reason({ ...ticker, time: "2026-13-24T21:00:00.1Z" }), /ticker\.time: .* is not a valid date/);
  assert.match(reason({ ...ticker, product_id: "eth usd" }), /ticker\.product_id/);
  assert.match(reason({ ...ticker, side: "hold" }), /ticker\.side: expected "buy" or "sell"/);
  assert.match(reason({ ...ticker, best_bid: "1e999" }), /ticker\.best_bid: expected a finite number >= 0/);
  assert.match(reason({ ...ticker, best_ask: "-1.5" }), /ticker\.best_ask: expected a decimal string/);
  assert.match(reason({ ...ticker, volume_24h: -3 }), /ticker\.volume_24h: expected a finite number >= 0, got -3/);
});

test("a ticker without trade fields (the first after subscribing) is kept with zero trade values", () => {
  const ticker = JSON.parse(sampleLines()[1]!) as Record<string, unknown>;
  delete ticker.trade_id;
  delete ticker.last_size;
  delete ticker.side;
  const d = decode(JSON.stringify(ticker));
  assert.equal(d.kind, "ticker");
  if (d.kind === "ticker") {
    const row = tickerRowOf(d.line);
    assert.deepEqual([row.trade_id, row.last_size, row.side], [0, 0, ""]);
  }
});

test("unknown types are recognised, not refused (Coinbase may add types at any time)", () => {
  assert.deepEqual(decode('{"type":"status","products":[]}'), { kind: "unknown", type: "status" });
});

test("time fractions are normalised to microseconds", () => {
  const ticker = JSON.parse(sampleLines()[1]!) as Record<string, unknown>;
  const at = (time: string) => {
    const d = decode(JSON.stringify({ ...ticker, time }));
    return d.kind === "ticker" ? d.time : d.kind;
  };
  assert.equal(at("2026-11-24T21:00:00Z"), "2026-11-24 21:00:00.000000");
  assert.equal(at("2026-11-24T21:00:00.5Z"), "2026-11-24 21:00:00.500000");
  assert.equal(at("2026-11-24T21:00:00.123456789Z"), "2026-11-24 21:00:00.123456");
});

test("matches and last_match become trade rows (exact decimals, order ids); error messages keep message and reason", () => {
  const match = decode(
    '{"type":"match","trade_id":10,"sequence":50,"maker_order_id":"AC928C66-ca53-498f-9c13-a110027a60e8","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","product_id":"BTC-USD","time":"2026-11-24T21:00:00.1Z","price":"91203.1600","size":"0.000000000001","side":"buy"}',
  );
  assert.deepEqual(match, {
    kind: "match",
    productId: "BTC-USD",
    tradeId: 10,
    sequence: 50,
    time: "2026-11-24 21:00:00.100000",
    line: "2026-11-24 21:00:00.100000\tBTC-USD\t10\t91203.16\t0.000000000001\tbuy\tac928c66-ca53-498f-9c13-a110027a60e8\t132fb6ae-456b-4654-b4e0-d681ac05cea1\t50\tws",
  });
  assert.equal(decode('{"type":"last_match","trade_id":9,"sequence":40,"product_id":"BTC-USD","time":"2026-11-24T21:00:00Z","price":"1","size":"2","side":"sell"}').kind, "match");
  assert.deepEqual(decode(sampleLines().at(-1)!), { kind: "error", message: "Failed to subscribe: FOO-BAR is not a valid product" });
});

test("a ticker's line holds each decimal as text that reads back to Number(text), whatever form it takes", () => {
  const tickers = sampleLines().filter((l) => decode(l).kind === "ticker");
  assert.equal(tickers.length, 36);
  const ticker = JSON.parse(tickers[0]!) as Record<string, unknown>;
  for (const text of decimalEdges()) {
    const d = decode(JSON.stringify({ ...ticker, price: text, best_bid_size: text, last_size: text }));
    assert.equal(d.kind, "ticker", text);
    if (d.kind !== "ticker") continue;
    const row = tickerRowOf(d.line);
    assert.deepEqual([row.price, row.best_bid_size, row.last_size], [Number(text), Number(text), Number(text)], text);
  }
  for (const n of [0, 1.5, 3104.3, 1e-7, 1e21, 123456789.123456789]) {
    const d = decode(JSON.stringify({ ...ticker, price: n }));
    assert.equal(d.kind === "ticker" && tickerRowOf(d.line).price, n);
  }
});

test("the fast path takes Coinbase's own ticker shape, and whatever it accepts the reference decodes identically", () => {
  // Coinbase's tickers (the recorded session and generated ones in the same shape) take the fast path.
  const tickers = [...sampleLines().filter((l) => l.includes('"type":"ticker"')), ...realisticTickers(2_000)];
  for (const line of tickers) assert.ok(fastTicker(line), `fast path refused a Coinbase-shaped ticker: ${line}`);

  // Mutations of real tickers: every field's value replaced by edge cases, keys reordered,
  // removed or duplicated, whitespace and escapes added, text cut or appended. The fast path may
  // decline any of them; what it accepts must be exactly what the reference makes of it.
  const random = prng(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const values = [
    ...decimalEdges().slice(0, 60), "", "-1", "1e999", "9".repeat(400), "abc", "BTC-USD", "btc-usd", "A-B", "buy", "sell", "hold", "\u0031",
    "2026-11-24T21:00:00Z", "2026-11-24T21:00:00.5Z", "2026-11-24T21:00:00.123456789Z", "2026-13-24T21:00:00.1Z", "2026-02-31T25:00:00.1Z", "1969-12-31T23:59:59Z",
    "2026-11-24 21:00:00", 0, 7, 58010000026, 9007199254740991, 9007199254740993, 1234567890123456, -3, 1.5, null, true, [], {},
  ];
  let accepted = 0;
  let compared = 0;
  for (let i = 0; i < 20_000; i++) {
    const base = JSON.parse(pick(tickers)) as Record<string, unknown>;
    const keys = Object.keys(base);
    let text: string;
    switch (i % 6) {
      case 0:
        base[pick(keys)] = pick(values);
        text = JSON.stringify(base);
        break;
      case 1: {
        const shuffled = Object.fromEntries(keys.sort(() => random() - 0.5).map((k) => [k, base[k]]));
        text = JSON.stringify(shuffled);
        break;
      }
      case 2:
        delete base[pick(keys)];
        text = JSON.stringify(base);
        break;
      case 3: {
        const json = JSON.stringify(base);
        const at = Math.floor(random() * json.length);
        text = json.slice(0, at) + pick([" ", "\n", '"', ",", "}", "0", "\\", '"x":1,', "\u0030"]) + json.slice(at);
        break;
      }
      case 4: {
        const json = JSON.stringify(base);
        text = random() < 0.5 ? json.slice(0, Math.floor(random() * json.length)) : `${json}${pick([" ", "\n", "x", "}", ",{}"])}`;
        break;
      }
      default: {
        base[pick(keys)] = pick(values);
        base[pick(keys)] = pick(values);
        text = JSON.stringify(base, null, random() < 0.3 ? 1 : undefined);
      }
    }
    const fast = fastTicker(text);
    compared++;
    if (fast === undefined) continue;
    accepted++;
    assert.deepEqual(fast, decodeParsed(text), text);
  }
  // The property is only worth something if both sides were exercised.
  assert.ok(accepted > 2_000 && accepted < compared - 2_000, `fast path accepted ${accepted} of ${compared}`);
});

/** Decimal texts that probe the edges of copying a decimal's text into the line. */
function decimalEdges(): string[] {
  // Trailing and leading zeros, 15 vs 16 significant digits, values around 1e-6 and 1e21,
  // exponents, integers, long fractions.
  const edges = [
    "0", "0.0", "00", "0.000", "007.5", "0.10", "89500.00", "12.0", "100", "12300", "5",
    "0.000001", "0.0000010", "0.0000001", "0.00000123", "0.00001234", "1e-7", "1.5E3", "2e+2",
    "123456789012345", "1234567890123456", "12345678901234567890", "0.123456789012345", "0.1234567890123456",
    "9007199254740993", "999999999999999999999", "1000000000000000000000", "100000000000000000000", "3104.30000000000000001",
    "0.0000000000000000000001", "0.00000000000000000000001", "1.0000000000000000000000", "91203.16", "0.84961386", "312345.12345678", "10234.56781234",
  ];
  const random = prng(7);
  for (let i = 0; i < 2_000; i++) {
    const intPart = String(Math.floor(random() * 10 ** Math.floor(random() * 12)));
    const fraction = String(Math.floor(random() * 10 ** 9)).padStart(9, "0").slice(0, Math.floor(random() * 10));
    edges.push(fraction ? `${intPart}.${fraction}` : intPart);
  }
  return edges;
}

test("ClickHouse reads every decimal of a line to the very double JavaScript reads from the message", async () => {
  // The line copies decimal text instead of printing the parsed number; this holds only if the
  // engine rounds that text exactly as Number() does. Checked bit for bit through the sink's own
  // INSERT (the raw table, TabSeparated), over the edge cases above.
  const engine = await openMigratedEngine();
  try {
    const ticker = JSON.parse(sampleLines().find((l) => l.includes('"type":"ticker"'))!) as Record<string, unknown>;
    const texts = decimalEdges();
    const lines = texts.map((text, i) => {
      const d = decode(JSON.stringify({ ...ticker, sequence: i + 1, price: text, best_ask_size: text }));
      assert.equal(d.kind, "ticker", text);
      return d.kind === "ticker" ? d.line : "";
    });
    await engine.client.exec({
      query: `INSERT INTO coinbase_demo.coinbase_ticker (${TICKER_COLUMNS.join(", ")}) FORMAT TabSeparated`,
      values: Readable.from([lines.join("\n") + "\n"], { objectMode: false }),
    });
    const stored = await rows<{ sequence: string; price_bits: string; size_bits: string }>(
      engine.client,
      "SELECT sequence, toString(reinterpretAsUInt64(price)) AS price_bits, toString(reinterpretAsUInt64(best_ask_size)) AS size_bits FROM coinbase_demo.coinbase_ticker ORDER BY sequence",
    );
    assert.equal(stored.length, texts.length);
    const bits = (n: number) => new BigUint64Array(new Float64Array([n]).buffer)[0]!.toString();
    for (const row of stored) {
      const text = texts[Number(row.sequence) - 1]!;
      assert.equal(row.price_bits, bits(Number(text)), `price ${text}`);
      assert.equal(row.size_bits, bits(Number(text)), `best_ask_size ${text}`);
    }
  } finally {
    await engine.close();
  }
});

test("a trade's price or size is kept exact: more digits than the column's scale are refused, not rounded", () => {
  const base = { type: "match", trade_id: 1, sequence: 2, product_id: "ETH-USD", time: "2026-11-24T21:00:00.000001Z", price: "3104.3", size: "1", side: "sell" };
  const reason = (fields: Record<string, unknown>) => {
    const d = decode(JSON.stringify({ ...base, ...fields }));
    return d.kind === "invalid" ? d.reason : d.kind;
  };
  assert.equal(reason({ size: "0.0000000000001" }), 'match.size: "0.0000000000001" has more than 12 digits after the point (the column\'s scale); it is not rounded');
  assert.equal(reason({ size: "1.5000000000000" }), "match", "trailing zeros are not digits of the value");
  assert.equal(reason({ price: "1e5" }), 'match.price: expected a decimal string such as "91203.16", got "1e5"');
  assert.equal(reason({ price: "-1" }), 'match.price: expected a decimal string such as "91203.16", got "-1"');
  assert.equal(reason({ side: "up" }), 'match.side: expected "buy" or "sell", got "up"');
  assert.equal(reason({ maker_order_id: "x'; DROP" }), 'match.maker_order_id: expected an order id (a UUID), got "x\'; DROP"');
});

test("a REST trade decodes to the same row shape, source rest, no order ids, sequence 0", () => {
  const d = decodeRestTrade("BTC-USD", { time: "2020-03-20T00:36:59.860Z", trade_id: 86327327, price: "6225.32000000", size: "0.06469797", side: "sell" });
  assert.equal(d.kind, "match");
  assert.equal(d.kind === "match" && d.line, "2020-03-20 00:36:59.860000\tBTC-USD\t86327327\t6225.32\t0.06469797\tsell\t\\N\t\\N\t0\trest");
  const bad = decodeRestTrade("BTC-USD", { time: "2020-03-20T00:36:59.860Z", trade_id: "86327327", price: "1", size: "1", side: "sell" });
  assert.deepEqual(bad, { kind: "invalid", reason: 'rest trade.trade_id: expected a whole number >= 0, got "86327327"' });
});
