// The max-rate run the throughput, ingesterOnly, embedded and completeness phases share: the load
// generator sends THROUGHPUT_MESSAGES (tickers, or with `matches` tickers and the matches before
// each) as fast as it can, the ingester commits them.
import { cpus } from "node:os";
import { coinbaseSource, mb, QUICK, startExchange, startIngesterProcess, until, type Engine, type IngesterProcess, type StreamCounts } from "./harness";

export const THROUGHPUT_MESSAGES = QUICK ? 200_000 : 2_000_000;

/**
 * Max-rate stream → committed; `done` says when every message is in (`stream`: what was sent).
 * `matches`: the ingester subscribes to matches + ticker and the generator sends both.
 */
export async function maxRate(
  sinkConfig: Record<string, unknown>,
  done: (ingester: IngesterProcess, stream: StreamCounts) => Promise<boolean>,
  engine?: Engine,
  options: { matches?: boolean } = {},
) {
  const exchange = await startExchange(["--count", String(THROUGHPUT_MESSAGES), ...(options.matches ? ["--matches"] : [])]);
  const stream = exchange.counts;
  const ingester = await startIngesterProcess(
    { source: coinbaseSource(exchange.port, options), sink: sinkConfig, batch: { max_rows: 50_000, max_interval_ms: 1_000, max_buffered_rows: 100_000 } },
    { asNpmRunIngest: sinkConfig.type === "embedded" },
  );
  const startRss = ingester.stats.rss();
  const started = await exchange.streaming;
  const cpuBefore = ingester.stats.cpuSeconds();
  const engineCpuBefore = engine?.stats.cpuSeconds() ?? 0;
  const exchangeCpuBefore = exchange.stats.cpuSeconds();
  let receivedAllAt = 0;
  const received = async () => (await ingester.metric('ingest_messages_received_total{kind="ticker"}')) + (options.matches ? await ingester.metric('ingest_messages_received_total{kind="match"}') : 0);
  await until(async () => {
    if (!receivedAllAt && (await received()) >= stream.messages) receivedAllAt = performance.now();
    return done(ingester, stream);
  }, "all rows committed");
  const seconds = (performance.now() - started) / 1000;
  const cpu = ingester.stats.cpuSeconds() - cpuBefore;
  const engineCores = engine ? (engine.stats.cpuSeconds() - engineCpuBefore) / seconds : undefined;
  const exchangeCores = (exchange.stats.cpuSeconds() - exchangeCpuBefore) / seconds;
  const peak = ingester.stats.peakRss();
  const code = await ingester.stop();
  await exchange.stop();
  if (code !== 0) throw new Error(`the ingester exited with ${code}`);
  return {
    stream,
    rate: stream.messages / seconds,
    tickerRate: stream.tickers / seconds,
    tradeRate: stream.trades / seconds,
    seconds,
    receiveRate: stream.messages / ((receivedAllAt - started) / 1000),
    cpuMicros: (cpu * 1e6) / stream.messages,
    cores: cpu / seconds,
    peak,
    startRss,
    split: `CPU in cores while it ran: ingester ${(cpu / seconds).toFixed(2)}${engineCores === undefined ? "" : `, ClickHouse ${engineCores.toFixed(2)}`}, load generator ${exchangeCores.toFixed(2)} (of ${cpus().length})`,
  };
}

export const processNote = (r: { peak: number; startRss: number; cpuMicros: number; cores: number }) =>
  `ingester process: peak RSS ${mb(r.peak)} (${mb(r.startRss)} at start), CPU ${r.cpuMicros.toFixed(1)} µs per message (${r.cores.toFixed(2)} cores)`;
