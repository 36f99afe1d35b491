import { decode, decodeParsed } from "../../src/pipeline/decode";
import { TickerGenerator } from "../../src/sources/synthetic";
import { int, log, type Row } from "../harness";

/** In this process, one core: JSON.parse, the reference decoder and decode over 200k tickers. */
export function parse(): Row[] {
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD"], 5);
  // As received from a socket: flat strings (the generator's are built with `+`).
  const messages = Array.from({ length: 200_000 }, () => Buffer.from(gen.ticker()).toString());
  const bytes = messages.reduce((s, m) => s + m.length, 0) / messages.length;
  const rate = (fn: (m: string) => unknown) => {
    for (const m of messages.slice(0, 20_000)) fn(m); // warm-up
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      for (const m of messages) fn(m);
      best = Math.min(best, performance.now() - t);
    }
    return messages.length / (best / 1000);
  };
  const parseRate = rate((m) => JSON.parse(m));
  const referenceRate = rate(decodeParsed);
  const decodeRate = rate(decode);
  log(`parse: ${int(parseRate)} / reference ${int(referenceRate)} / decode ${int(decodeRate)} msg/s`);
  return [
    { measure: `Ceiling: JSON.parse alone (${bytes.toFixed(0)}-byte ticker, one core, best of 3 × 200k)`, result: `${int(parseRate)} msg/s` },
    { measure: "Ceiling: the reference decoder (JSON.parse + validation + TabSeparated line)", result: `${int(referenceRate)} msg/s` },
    { measure: "Ceiling: decode as the ingester runs it (Coinbase-shaped tickers take the one-expression fast path)", result: `${int(decodeRate)} msg/s` },
  ];
}
