import { Readable } from "node:stream";
import { openMigratedEngine } from "../../sql/testing/engine";
import { decode, type TickerRow } from "../src/pipeline/decode";
import { TickerGenerator } from "../src/sources/synthetic";
const COLS = ["sequence","trade_id","price","last_size","time","product_id","side","open_24h","volume_24h","low_24h","high_24h","volume_30d","best_bid","best_bid_size","best_ask","best_ask_size"] as const;
async function main() {
  const e = await openMigratedEngine();
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"], 1);
  const rowsOf = (n: number) => { const out: TickerRow[] = []; for (let i = 0; i < n; i++) { const d = decode(gen.ticker()); if (d.kind === "ticker") out.push(d.row); } return out; };
  const fmts: Record<string, (r: TickerRow) => string> = {
    JSONEachRow: (r) => JSON.stringify(r),
    JSONCompactEachRow: (r) => JSON.stringify(COLS.map((c) => r[c])),
    TabSeparated: (r) => COLS.map((c) => r[c]).join("\t"),
  };
  for (let round = 0; round < 2; round++) for (const [fmt, enc] of Object.entries(fmts)) {
    const rows = rowsOf(50000);
    const body = rows.map(enc).join("\n") + "\n";
    const t = performance.now();
    const cols = fmt === "JSONEachRow" ? "" : ` (${COLS.join(", ")})`;
    const r = await e.client.exec({ query: `INSERT INTO coinbase_demo.coinbase_ticker${cols} FORMAT ${fmt}`, values: Readable.from([body]), clickhouse_settings: { insert_deduplication_token: "t" + Math.random(), async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 } });
    r.stream.destroy();
    const ms = performance.now() - t;
    console.log(fmt, body.length >> 10, "KiB", ms.toFixed(0), "ms", (50000 / ms * 1000).toFixed(0), "rows/s");
  }
  await e.close();
}
main();
