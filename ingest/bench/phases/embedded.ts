import { join } from "node:path";
import { tempDir } from "../../test/helpers";
import { int, log, STORED, type Row } from "../harness";
import { maxRate, processNote, THROUGHPUT_MESSAGES } from "../max-rate";

/** The same into the embedded engine inside the ingester's process (sink.type: embedded). */
export async function embedded(): Promise<Row[]> {
  const path = join(tempDir("bench-embedded"), "data");
  const r = await maxRate({ type: "embedded", path }, async (ingester) => (await ingester.metric(STORED)) >= THROUGHPUT_MESSAGES);
  log(`embedded: ${int(r.rate)} msg/s; ${processNote(r)}`);
  return [
    {
      measure: `End-to-end throughput into the embedded engine inside the ingester's process (sink.type: embedded, for running without Docker, started as npm run ingest does; ${int(THROUGHPUT_MESSAGES)} msgs)`,
      result: `${int(r.rate)} msg/s; ${processNote(r)} — the engine's memory and CPU included; chdb's @clickhouse/client connection sends each insert as one SQL text, which the engine parses on one thread`,
    },
  ];
}
