import { Readable } from "node:stream";
import { TICKER_COLUMNS } from "../../../sql/src/rows";
import { decode } from "../../src/pipeline/decode";
import { TickerGenerator } from "../../src/sources/synthetic";
import { int, PRODUCTS, startEngine, type Row } from "../harness";

/** ClickHouse alone: six 50k-row inserts over HTTP, nothing else running. */
export async function engineAlone(): Promise<Row[]> {
  const engine = await startEngine();
  const gen = new TickerGenerator(PRODUCTS, 9);
  let rows = 0;
  let ms = 0;
  for (let b = 0; b < 6; b++) {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const d = decode(gen.ticker());
      if (d.kind === "ticker") lines.push(d.line);
    }
    const started = performance.now();
    const result = await engine.client.exec({
      query: `INSERT INTO coinbase_demo.coinbase_ticker (${TICKER_COLUMNS.join(", ")}) FORMAT TabSeparated`,
      values: Readable.from([lines.join("\n") + "\n"], { objectMode: false }),
      clickhouse_settings: { async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1, insert_deduplication_token: `bench-${b}` },
    });
    for await (const _ of result.stream) void _;
    ms += performance.now() - started;
    rows += lines.length;
  }
  await engine.stop();
  return [
    {
      measure: "Ceiling: ClickHouse alone, 50k-row TabSeparated inserts over HTTP into the raw table (3 materialized views behind it), nothing else running",
      result: `${int((rows / ms) * 1000)} rows/s`,
    },
  ];
}
