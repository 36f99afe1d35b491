import assert from "node:assert/strict";
import { test } from "node:test";
import { decode } from "../src/pipeline/decode";
import { prng } from "../src/sources/synthetic";
import { sampleLines } from "./helpers";

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
  assert.deepEqual(d.row, {
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
  if (d.kind === "ticker") assert.deepEqual([d.row.trade_id, d.row.last_size, d.row.side], [0, 0, ""]);
});

test("unknown types are recognised, not refused (Coinbase may add types at any time)", () => {
  assert.deepEqual(decode('{"type":"status","products":[]}'), { kind: "unknown", type: "status" });
});

test("time fractions are normalised to microseconds", () => {
  const ticker = JSON.parse(sampleLines()[1]!) as Record<string, unknown>;
  const at = (time: string) => {
    const d = decode(JSON.stringify({ ...ticker, time }));
    return d.kind === "ticker" ? d.row.time : d.kind;
  };
  assert.equal(at("2026-11-24T21:00:00Z"), "2026-11-24 21:00:00.000000");
  assert.equal(at("2026-11-24T21:00:00.5Z"), "2026-11-24 21:00:00.500000");
  assert.equal(at("2026-11-24T21:00:00.123456789Z"), "2026-11-24 21:00:00.123456");
});

test("matches and last_match carry trade ids; error messages keep message and reason", () => {
  const match = decode('{"type":"match","trade_id":10,"sequence":50,"product_id":"BTC-USD","time":"2026-11-24T21:00:00.1Z","price":"1","size":"1","side":"buy"}');
  assert.deepEqual(match, { kind: "match", productId: "BTC-USD", tradeId: 10, sequence: 50, time: "2026-11-24 21:00:00.100000" });
  assert.equal(decode('{"type":"last_match","trade_id":9,"sequence":40,"product_id":"BTC-USD","time":"2026-11-24T21:00:00Z"}').kind, "match");
  assert.deepEqual(decode(sampleLines().at(-1)!), { kind: "error", message: "Failed to subscribe: FOO-BAR is not a valid product" });
});

test("a ticker's JSONEachRow line is exactly JSON.stringify(row), whatever form its decimals take", () => {
  const lineMatchesRow = (message: string) => {
    const d = decode(message);
    assert.equal(d.kind, "ticker");
    if (d.kind === "ticker") assert.equal(d.line, JSON.stringify(d.row), message);
  };
  const tickers = sampleLines().filter((l) => decode(l).kind === "ticker");
  assert.equal(tickers.length, 36);
  for (const line of tickers) lineMatchesRow(line);

  // The line copies a decimal's text when that is already JS's shortest form; these probe the
  // edges of that shortcut: trailing and leading zeros, 15 vs 16 significant digits, values
  // around 1e-6 and 1e21, exponents, integers, and JSON numbers instead of strings.
  const ticker = JSON.parse(tickers[0]!) as Record<string, unknown>;
  const edges = [
    "0", "0.0", "00", "0.000", "007.5", "0.10", "89500.00", "12.0", "100", "12300", "5",
    "0.000001", "0.0000010", "0.0000001", "0.00000123", "0.00001234", "1e-7", "1.5E3", "2e+2",
    "123456789012345", "1234567890123456", "12345678901234567890", "0.123456789012345", "0.1234567890123456",
    "9007199254740993", "999999999999999999999", "1000000000000000000000", "100000000000000000000", "3104.30000000000000001",
    "91203.16", "0.84961386", "312345.12345678", "10234.56781234",
  ];
  const random = prng(7);
  for (let i = 0; i < 2_000; i++) {
    const intPart = String(Math.floor(random() * 10 ** Math.floor(random() * 12)));
    const fraction = String(Math.floor(random() * 10 ** 9)).padStart(9, "0").slice(0, Math.floor(random() * 10));
    edges.push(fraction ? `${intPart}.${fraction}` : intPart);
  }
  for (const text of edges) lineMatchesRow(JSON.stringify({ ...ticker, price: text, best_bid_size: text, last_size: text }));
  for (const n of [0, 1.5, 3104.3, 1e-7, 1e21, 123456789.123456789]) lineMatchesRow(JSON.stringify({ ...ticker, price: n }));
  delete ticker.last_size;
  lineMatchesRow(JSON.stringify(ticker));
});
