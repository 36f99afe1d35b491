// The fast path of decode. Coinbase writes every ticker with the same keys in the same order, so a
// ticker in exactly that shape is read by a compiled regular expression — every value checked in
// one native pass — instead of JSON.parse building an object of 17 properties and then 16 field
// checks in JavaScript (docs/benchmarks.md has the rates of both).
//
// It asks for what Coinbase sends: microseconds (six digits), plain decimals. The date's ranges
// are in the expression too, so JavaScript only assembles the line from the captured values.
//
// It only decides what it is sure of. A message in another shape (other key order, extra
// keys, escapes, whitespace, numbers as JSON numbers, a leading zero, not a real date) returns
// undefined, and the reference decoder (decode.ts) answers, so every refusal and its reason comes
// from one place. What it accepts it maps exactly as the reference does (test/decode.test.ts
// holds the two equal over generated and mutated messages).
import type { DecodedTicker } from "./decoded";
import * as fields from "./fields";

// Bound once: under a module loader that turns imports into getters (tsx, in tests), a call
// through the import would cost a getter per call.
const { decimalText, PRODUCT_ID_PATTERN } = fields;

const WHOLE = String.raw`(0|[1-9]\d{0,14})`; // ≤ 15 digits: always a safe integer
const DECIMAL = String.raw`"((?:0|[1-9]\d*)(?:\.\d+)?)"`;
/** fields.ts ISO_TIME_PATTERN with six fraction digits and the ranges isoToClickhouse checks, as three groups. */
const COINBASE_TIME = String.raw`((?:19[7-9]\d|2[0-2]\d\d)-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))T((?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60))\.(\d{6})Z`;

const CANONICAL_TICKER = new RegExp(
  [
    String.raw`^\{"type":"ticker","sequence":${WHOLE}`, // 1
    `"product_id":"(${PRODUCT_ID_PATTERN})"`, // 2
    `"price":${DECIMAL}`, // 3
    `"open_24h":${DECIMAL}`, // 4
    `"volume_24h":${DECIMAL}`, // 5
    `"low_24h":${DECIMAL}`, // 6
    `"high_24h":${DECIMAL}`, // 7
    `"volume_30d":${DECIMAL}`, // 8
    `"best_bid":${DECIMAL}`, // 9
    `"best_bid_size":${DECIMAL}`, // 10
    `"best_ask":${DECIMAL}`, // 11
    `"best_ask_size":${DECIMAL}`, // 12
    `"side":"(buy|sell)"`, // 13
    `"time":"${COINBASE_TIME}"`, // 14 date, 15 time of day, 16 microseconds
    `"trade_id":${WHOLE}`, // 17
    String.raw`"last_size":${DECIMAL}\}$`, // 18
  ].join(","),
);

export function fastTicker(s: string): DecodedTicker | undefined {
  const m = CANONICAL_TICKER.exec(s);
  if (m === null) return undefined;
  const price = copyable(m[3]!);
  const open24h = copyable(m[4]!);
  const volume24h = copyable(m[5]!);
  const low24h = copyable(m[6]!);
  const high24h = copyable(m[7]!);
  const volume30d = copyable(m[8]!);
  const bestBid = copyable(m[9]!);
  const bestBidSize = copyable(m[10]!);
  const bestAsk = copyable(m[11]!);
  const bestAskSize = copyable(m[12]!);
  const lastSize = copyable(m[18]!);
  if (
    price === undefined || open24h === undefined || volume24h === undefined || low24h === undefined || high24h === undefined || volume30d === undefined ||
    bestBid === undefined || bestBidSize === undefined || bestAsk === undefined || bestAskSize === undefined || lastSize === undefined
  ) {
    return undefined; // a value too large to be finite: the reference refuses it
  }
  const time = `${m[14]!} ${m[15]!}.${m[16]!}`;
  const productId = m[2]!;
  // In TICKER_COLUMNS order (decode.ts). Joined from an array, not built with `+`: V8 would keep a
  // `+`-built string as a rope of ~30 pieces, and blocks hold tens of thousands of lines.
  const line = [
    time, productId, m[1], m[17], price, lastSize, m[13], open24h, volume24h, low24h, high24h, volume30d, bestBid, bestBidSize, bestAsk, bestAskSize,
  ].join("\t");
  return { kind: "ticker", productId, sequence: Number(m[1]), time, line };
}

/**
 * The expression holds each decimal to digits with at most one inner point and no leading zero:
 * 15 characters or fewer are at most 15 digits, so the text is copied as it is (fields.ts
 * decimalText); longer ones are decided there.
 */
function copyable(text: string): string | undefined {
  return text.length <= 15 ? text : decimalText(text);
}
