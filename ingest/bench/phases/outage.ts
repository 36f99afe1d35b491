import { join } from "node:path";
import { tempDir } from "../../test/helpers";
import { coinbaseSource, freePort, httpSink, int, log, mb, QUICK, startEngine, startExchange, startIngesterProcess, storedCount, uniqueCount, until, type Row } from "../harness";

const OUTAGE_RATE = 20_000;
const OUTAGE_SECONDS = QUICK ? 10 : 60;

/** ClickHouse stopped for the whole stream (a real outage), then started again on the same data. */
export async function outage(): Promise<Row[]> {
  const dir = join(tempDir("bench-outage"), "clickhouse");
  const port = await freePort();
  let engine = await startEngine({ dir, port });
  const exchange = await startExchange(["--rate", String(OUTAGE_RATE), "--seconds", String(OUTAGE_SECONDS)]);
  const ingester = await startIngesterProcess({
    source: coinbaseSource(exchange.port),
    sink: { ...httpSink(engine), retry: { initial_ms: 200, max_ms: 2_000 } },
    batch: { max_rows: 20_000, max_interval_ms: 1_000 },
  });
  await exchange.streaming;
  await engine.stop(); // before the first block is sealed: no insert is in flight
  ingester.stats.resetPeak();
  const sent = await exchange.sent;
  const outagePeak = ingester.stats.peakRss();
  const spoolBytes = await ingester.metric("ingest_spool_bytes");
  ingester.stats.resetPeak();
  const drainStart = performance.now();
  engine = await startEngine({ dir, port });
  await until(async () => (await storedCount(engine.client)) >= sent, "the spool drained");
  const drainSeconds = (performance.now() - drainStart) / 1000;
  const drainPeak = ingester.stats.peakRss();
  await ingester.stop();
  await exchange.stop();
  const count = await storedCount(engine.client);
  const unique = await uniqueCount(engine.client);
  await engine.stop();
  log(`outage: sent ${sent}, stored ${count}, outage peak ${mb(outagePeak)}, drain ${drainSeconds.toFixed(1)} s peak ${mb(drainPeak)}`);
  return [
    {
      measure: `RSS during a ${OUTAGE_SECONDS} s ClickHouse outage (the server process stopped) at ${int(OUTAGE_RATE)} msg/s`,
      result: `ingester peak RSS ${mb(outagePeak)}; spool ${mb(spoolBytes)} on disk at the end`,
      target: "≤ 200 MB",
    },
    {
      measure: "… then ClickHouse started again on the same data: drain of the spool",
      result: `${int(count)} of ${int(sent)} ticks stored (${count === sent && unique === sent ? "count and uniqExact(product_id, sequence) both equal the number sent: none lost, none twice" : `MISMATCH: ${unique} unique`}) in ${drainSeconds.toFixed(1)} s (engine start included); ingester peak RSS while draining ${mb(drainPeak)}`,
      target: "no loss, ≤ 200 MB",
    },
  ];
}
