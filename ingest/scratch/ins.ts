import { Readable } from "node:stream";
import { openMigratedEngine } from "../../sql/testing/engine";
import { decode } from "../src/pipeline/decode";
import { TickerGenerator } from "../src/sources/synthetic";
async function main() {
  const rss0 = process.memoryUsage.rss();
  const e = await openMigratedEngine();
  console.log("rss before engine", rss0 >> 20, "after open+migrate", process.memoryUsage.rss() >> 20);
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"], 1);
  for (const n of [10000, 50000, 50000, 100000]) {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) { const d = decode(gen.ticker()); if (d.kind === "ticker") lines.push(JSON.stringify(d.row)); }
    const body = lines.join("\n") + "\n";
    const t = performance.now();
    const r = await e.client.exec({ query: "INSERT INTO coinbase_demo.coinbase_ticker FORMAT JSONEachRow", values: Readable.from([body]), clickhouse_settings: { insert_deduplication_token: "t" + Math.random(), async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 } });
    r.stream.destroy();
    const ms = performance.now() - t;
    console.log(n, "rows", ms.toFixed(0), "ms", (n / ms * 1000).toFixed(0), "rows/s", "rss", process.memoryUsage.rss() >> 20);
  }
  for (const mv of ["trades_per_minute_mv", "vwap_5m_mv", "ohlcv_1m_mv"]) await e.client.command({ query: `DROP VIEW coinbase_demo.${mv}` });
  for (const n of [50000, 50000]) {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) { const d = decode(gen.ticker()); if (d.kind === "ticker") lines.push(JSON.stringify(d.row)); }
    const body = lines.join("\n") + "\n";
    const t = performance.now();
    const r = await e.client.exec({ query: "INSERT INTO coinbase_demo.coinbase_ticker FORMAT JSONEachRow", values: Readable.from([body]), clickhouse_settings: { insert_deduplication_token: "t" + Math.random(), async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 } });
    r.stream.destroy();
    const ms = performance.now() - t;
    console.log("no MVs", n, "rows", ms.toFixed(0), "ms", (n / ms * 1000).toFixed(0), "rows/s");
  }
  await e.close();
}
main();
