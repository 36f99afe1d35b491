import { decode, tickerRowOf } from "../../src/pipeline/decode";
import { TickerGenerator } from "../../src/sources/synthetic";
import { int, log, QUICK, startEngine, type Row } from "../harness";

const BASELINE_SECONDS = QUICK ? 3 : 10;

/** One insert per message, for BASELINE_SECONDS. */
export async function baseline(): Promise<Row[]> {
  const engine = await startEngine();
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD"], 3);
  let n = 0;
  const started = Date.now();
  const deadline = started + BASELINE_SECONDS * 1000;
  while (Date.now() < deadline) {
    const d = decode(gen.ticker());
    if (d.kind !== "ticker") throw new Error("generator broke");
    await engine.client.insert({ table: "coinbase_demo.coinbase_ticker", values: [tickerRowOf(d.line)], format: "JSONEachRow" });
    n++;
  }
  const rate = n / ((Date.now() - started) / 1000);
  await engine.stop();
  log(`baseline: ${rate.toFixed(0)} msg/s`);
  return [{ measure: `Baseline: one insert per message (the walk-through's design), same ClickHouse over HTTP, ${BASELINE_SECONDS} s`, result: `${int(rate)} msg/s` }];
}
