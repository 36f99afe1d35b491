import { httpSink, int, log, mb, QUICK, startEngine, storedCount, uniqueCount, type Row } from "../harness";
import { maxRate, processNote, THROUGHPUT_MESSAGES } from "../max-rate";

const THROUGHPUT_RUNS = QUICK ? 1 : 3;

/**
 * Three runs, each into a fresh ClickHouse (the machine's speed varies by ±10 % from run to run):
 * the median rate is the result, every run is listed.
 */
export async function throughput(): Promise<Row[]> {
  const runs: Array<Awaited<ReturnType<typeof maxRate>> & { exact: boolean }> = [];
  for (let i = 0; i < THROUGHPUT_RUNS; i++) {
    const engine = await startEngine();
    const r = await maxRate(httpSink(engine), async () => (await storedCount(engine.client)) >= THROUGHPUT_MESSAGES, engine);
    const stored = await storedCount(engine.client);
    const unique = await uniqueCount(engine.client);
    await engine.stop();
    log(`throughput run ${i + 1}: ${int(r.rate)} msg/s; ${processNote(r)}; ${r.split}`);
    runs.push({ ...r, exact: stored === THROUGHPUT_MESSAGES && unique === THROUGHPUT_MESSAGES });
  }
  const byRate = [...runs].sort((x, y) => x.rate - y.rate);
  const median = byRate[Math.floor(byRate.length / 2)]!;
  return [
    {
      measure: `End-to-end throughput: local ws server at max rate → rows committed in ClickHouse (${int(THROUGHPUT_MESSAGES)} msgs, batches ≤ 50k rows; median of ${runs.length} runs)`,
      result:
        `${int(median.rate)} msg/s (runs: ${runs.map((r) => int(r.rate)).join(", ")}; ` +
        `${runs.every((r) => r.exact) ? `every run: all ${int(THROUGHPUT_MESSAGES)} stored, each once` : "MISMATCH in a run: count or uniqExact differs"}); ` +
        `ingester peak RSS ${runs.map((r) => mb(r.peak)).join(", ")}; median run: ${processNote(median)}; ${median.split}`,
      target: "≥ 100,000 msg/s; RSS ≤ 200 MB",
    },
    { measure: "… of which: received, decoded, deduplicated and written to the spool (median run)", result: `${int(median.receiveRate)} msg/s` },
  ];
}
