import { httpSink, int, log, startEngine, STORED, type Row } from "../harness";
import { maxRate, processNote, THROUGHPUT_MESSAGES } from "../max-rate";

/** The ingester with a ClickHouse that acknowledges inserts without storing them. */
export async function ingesterOnly(): Promise<Row[]> {
  const engine = await startEngine({ discardInserts: true });
  const r = await maxRate(httpSink(engine), async (ingester) => (await ingester.metric(STORED)) >= THROUGHPUT_MESSAGES, engine);
  await engine.stop();
  log(`ingester only: ${int(r.rate)} msg/s; ${processNote(r)}; ${r.split}`);
  return [
    {
      measure: `The ingester alone: same run, but ClickHouse acknowledges each insert without storing it (NOT stored; ${int(THROUGHPUT_MESSAGES)} msgs)`,
      result: `${int(r.rate)} msg/s; ${processNote(r)}; ${r.split}`,
    },
  ];
}
