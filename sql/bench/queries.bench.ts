// Benchmark: every dashboard query over its rollup against the equivalent query over the raw
// table, with 10 million raw ticks (5 products, the last 24 h). Rows read and time, as ratios.
// Run: npm run bench -- sql      (writes nothing; prints a markdown table)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { embeddedUrl, openClickHouse } from "../src/client";
import { loadQuery } from "../src/queries";
import { migrate } from "../src/runner";

const TOTAL = Number(process.env.BENCH_TICKS ?? 10_000_000);
const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "DOGE-USD"];
const RUNS = 5;
const RAW = "coinbase_demo.coinbase_ticker";

/** The same question asked of the raw table, as the walk-through did. */
const RAW_EQUIVALENTS: Record<string, string> = {
  ingestion_rate_per_minute: `SELECT toStartOfMinute(time) AS minute, product_id, count() AS num_ticks, countIf(last_size > 0) AS num_trades, sum(last_size) AS volume
    FROM ${RAW} WHERE time >= {from:DateTime} AND time < {to:DateTime} GROUP BY product_id, minute ORDER BY product_id, minute`,
  vwap_5m: `SELECT toStartOfInterval(time, INTERVAL 5 MINUTE) AS bucket, product_id, sum(price * last_size) / nullIf(sum(last_size), 0) AS vwap, sum(last_size) AS volume
    FROM ${RAW} WHERE time >= {from:DateTime} AND time < {to:DateTime} AND last_size > 0 AND price > 0 GROUP BY product_id, bucket ORDER BY product_id, bucket`,
  ohlcv_1m: `SELECT toStartOfMinute(time) AS minute, product_id, argMin(price, (time, sequence)) AS open, max(price) AS high, min(price) AS low, argMax(price, (time, sequence)) AS close, sum(last_size) AS volume
    FROM ${RAW} WHERE time >= {from:DateTime} AND time < {to:DateTime} GROUP BY product_id, minute ORDER BY product_id, minute`,
  ingest_latency: `SELECT toStartOfMinute(time) AS minute, product_id, avg(dateDiff('microsecond', time, ingested_at)) / 1e6 AS latency_avg_s, max(dateDiff('microsecond', time, ingested_at)) / 1e6 AS latency_max_s
    FROM ${RAW} WHERE time >= {from:DateTime} AND time < {to:DateTime} GROUP BY product_id, minute ORDER BY product_id, minute`,
  data_freshness: `SELECT product_id, max(time) AS last_tick_at, max(ingested_at) AS last_ingested_at FROM ${RAW} GROUP BY product_id ORDER BY product_id`,
  ticks_last_minute: `SELECT count() AS ticks FROM ${RAW} WHERE time >= toStartOfMinute(now() - INTERVAL 1 MINUTE)`,
};

interface Measure {
  rowsRead: number;
  /** Engine time (statistics.elapsed), median. */
  ms: number;
  /** Wall time including transfer and JSON parsing in the client, median. */
  wallMs: number;
  resultRows: number;
}

async function measure(client: ClickHouseClient, sql: string, params: Record<string, unknown>): Promise<Measure> {
  const walls: number[] = [];
  const engine: number[] = [];
  let rowsRead = 0;
  let resultRows = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const r = await client.query({ query: sql, query_params: params, format: "JSON" });
    const body = await r.json<{ rows: number; statistics?: { rows_read: number; elapsed: number } }>();
    walls.push(Number(process.hrtime.bigint() - started) / 1e6);
    engine.push(Number(body.statistics?.elapsed ?? NaN) * 1000);
    rowsRead = Number(body.statistics?.rows_read ?? NaN);
    resultRows = Number(body.rows);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { rowsRead, ms: median(engine), wallMs: median(walls), resultRows };
}

const fmtInt = (n: number) => n.toLocaleString("en-US");
const sec = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "streamstack-bench-"));
  const handle = await openClickHouse({ url: embeddedUrl(dir) });
  const client = handle.client;
  try {
    await migrate(client, { manageAccess: false, backfillGuardMs: 0, backfillSettleMs: 0 });
    const now = Date.now();
    const spanMs = 24 * 3600 * 1000;
    const started = Date.now();
    // Generated inside the engine: one product per row in turn, times spread evenly over the last
    // 24 h, random-walk-ish prices, sequence numbers that skip. The views fill the rollups as
    // the blocks go in, exactly as for the ingester's inserts.
    await client.command({
      query: `INSERT INTO ${RAW} (sequence, trade_id, price, last_size, time, product_id, side, open_24h, volume_24h, low_24h, high_24h, volume_30d, best_bid, best_bid_size, best_ask, best_ask_size)
        SELECT
          1000000000 + number * 7 AS sequence,
          500000000 + intDiv(number, {p:UInt32}) AS trade_id,
          (100 + (number % {p:UInt32}) * 1000) * (1 + 0.01 * sin(number / 100000)) AS price,
          (cityHash64(number) % 100000) / 100000 AS last_size,
          fromUnixTimestamp64Micro(toInt64({startMicros:Int64} + intDiv(number * {spanMicros:Int64}, {total:UInt64})), 'UTC') AS time,
          arrayElement({products:Array(String)}, (number % {p:UInt32}) + 1) AS product_id,
          if(number % 2 = 0, 'buy', 'sell') AS side,
          100, 1000, 90, 110, 30000, price - 0.01, 1, price + 0.01, 1
        FROM numbers({total:UInt64})`,
      query_params: { p: PRODUCTS.length, startMicros: (now - spanMs) * 1000, spanMicros: spanMs * 1000, total: TOTAL, products: PRODUCTS },
      clickhouse_settings: { async_insert: 0, max_insert_block_size: "1000000" },
    });
    const loadSeconds = (Date.now() - started) / 1000;
    const rollupRows = async (t: string) => {
      const r = await client.query({ query: `SELECT count() AS n FROM coinbase_demo.${t}`, format: "JSONEachRow" });
      return Number((await r.json<{ n: string }>())[0]!.n);
    };
    const params = { from: sec(now - spanMs), to: sec(now + 60_000), products: [] as string[] };
    const lines: string[] = [];
    lines.push(`Data: ${fmtInt(TOTAL)} raw ticks, ${PRODUCTS.length} products, spread over the last 24 h (≈ ${fmtInt(Math.round(TOTAL / PRODUCTS.length / 1440))} ticks per product-minute); loaded through the views in ${loadSeconds.toFixed(1)} s.`);
    lines.push(`Rollup rows: trades_per_minute ${fmtInt(await rollupRows("trades_per_minute"))}, vwap_5m ${fmtInt(await rollupRows("vwap_5m"))}, ohlcv_1m ${fmtInt(await rollupRows("ohlcv_1m"))}. Median of ${RUNS} runs each; parts not merged (as right after ingest).`);
    lines.push("");
    lines.push("| query (sql/queries) | result rows | rows read: rollup | rows read: raw | fewer rows read | engine time: rollup | engine time: raw | faster | wall time (client): rollup | raw |");
    lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const [name, rawSql] of Object.entries(RAW_EQUIVALENTS)) {
      const query = loadQuery(name);
      const qParams = Object.fromEntries(query.params.map((p) => [p, params[p]]));
      const rollup = await measure(client, query.sql, qParams);
      const raw = await measure(client, rawSql, qParams);
      lines.push(
        `| ${name} | ${fmtInt(rollup.resultRows)} | ${fmtInt(rollup.rowsRead)} | ${fmtInt(raw.rowsRead)} | ${(raw.rowsRead / Math.max(1, rollup.rowsRead)).toFixed(0)}× | ` +
          `${rollup.ms.toFixed(1)} ms | ${raw.ms.toFixed(1)} ms | ${(raw.ms / rollup.ms).toFixed(0)}× | ${rollup.wallMs.toFixed(1)} ms | ${raw.wallMs.toFixed(1)} ms |`,
      );
    }
    console.log(lines.join("\n"));
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
