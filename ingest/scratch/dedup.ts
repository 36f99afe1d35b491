import { Readable } from "node:stream";
import { openMigratedEngine } from "../../sql/testing/engine";
async function main() {
  const e = await openMigratedEngine();
  const row = (i: number) => JSON.stringify({ sequence: i, trade_id: i, price: 1.5, last_size: 0.1, time: "2026-11-24 21:00:00.208176", product_id: "BTC-USD", side: "buy", open_24h: 1, volume_24h: 1, low_24h: 1, high_24h: 1, volume_30d: 1, best_bid: 1, best_bid_size: 1, best_ask: 1, best_ask_size: 1 }) + "\n";
  const body = Array.from({ length: 10000 }, (_, i) => row(i)).join("");
  const ins = async (token: string) => {
    const t = Date.now();
    const r = await e.client.exec({ query: "INSERT INTO coinbase_demo.coinbase_ticker FORMAT JSONEachRow", values: Readable.from([body]), clickhouse_settings: { insert_deduplication_token: token, async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 } });
    r.stream.destroy();
    console.log("insert ms", Date.now() - t);
  };
  await ins("a"); await ins("a"); await ins("b");
  const q = await e.client.query({ query: "SELECT count() c, uniqExact(sequence) u FROM coinbase_demo.coinbase_ticker", format: "JSONEachRow" });
  console.log(await q.json());
  const q2 = await e.client.query({ query: "SELECT sum(num_ticks) c FROM coinbase_demo.trades_per_minute", format: "JSONEachRow" });
  console.log(await q2.json());
  try { await e.client.exec({ query: "INSERT INTO coinbase_demo.coinbase_ticker FORMAT JSONEachRow", values: Readable.from(['{"sequence":"abc"}\n']), clickhouse_settings: {insert_deduplication_token: "z"} }); } catch (err: any) { console.log("ERR", err.constructor.name, err.code, err.type, err.message.slice(0,200)); }
  try { await e.client.exec({ query: "INSERT INTO coinbase_demo.coinbase_ticker FORMAT JSONEachRow", values: Readable.from(['{"sequence":1, "time":"garbage"}\n']), clickhouse_settings: {insert_deduplication_token: "z2"} }); } catch (err: any) { console.log("ERR", err.constructor.name, err.code, err.type, err.message.slice(0,200)); }
  await e.close();
}
main();
