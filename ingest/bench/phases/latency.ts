import { coinbaseSource, httpSink, int, log, mb, one, QUICK, startEngine, startExchange, startIngesterProcess, storedCount, until, type Row } from "../harness";

const LATENCY_RATE = 2_000;
const LATENCY_SECONDS = QUICK ? 8 : 20;

/** A fixed rate with default batching: ingested_at − time per row, as ClickHouse records it. */
export async function latency(): Promise<Row[]> {
  const engine = await startEngine();
  const exchange = await startExchange(["--rate", String(LATENCY_RATE), "--seconds", String(LATENCY_SECONDS)]);
  const ingester = await startIngesterProcess({ source: coinbaseSource(exchange.port), sink: httpSink(engine) }); // default batching
  const sent = await exchange.sent;
  await until(async () => (await storedCount(engine.client)) >= sent, "all rows committed");
  const peak = ingester.stats.peakRss();
  await ingester.stop();
  await exchange.stop();
  const q = await one<{ p50: number; p99: number; max: number; n: string }>(
    engine.client,
    `SELECT quantileExact(0.5)(d) / 1000 AS p50, quantileExact(0.99)(d) / 1000 AS p99, max(d) / 1000 AS max, count() AS n
     FROM (SELECT dateDiff('microsecond', time, ingested_at) AS d FROM coinbase_demo.coinbase_ticker)`,
  );
  await engine.stop();
  log(`latency: p50 ${q.p50} ms p99 ${q.p99} ms max ${q.max} ms (${q.n} rows)`);
  return [
    {
      measure: `Latency at ${int(LATENCY_RATE)} msg/s for ${LATENCY_SECONDS} s, default batching (10,000 rows or 1,000 ms): ingested_at − time per row, as ClickHouse records it`,
      result: `p50 ${Math.round(q.p50)} ms, p99 ${Math.round(q.p99)} ms (max ${Math.round(q.max)} ms, ${int(Number(q.n))} rows); ingester peak RSS ${mb(peak)}`,
      target: "p99 ≤ 1,250 ms (flush interval + 250 ms)",
    },
  ];
}
