// Fixture data relative to now, for the panel and alert queries: ticks and trades for a few
// products, ingester heartbeats, sequence gaps, backfill gaps and dead letters, written through the
// same tables (and so the same materialized views) the ingester writes.
import type { ClickHouseClient } from "@clickhouse/client";
import { qualified, TABLES } from "../../sql/src/names";
import { formatMillis, formatTime, parseUtc, steadyTicks } from "../../sql/testing/ticks";
import { generateTrades, insertTrades, type TradeLineInput } from "../../sql/testing/trades";

export const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD"] as const;

const micros = (ms: number) => ms * 1000;

/** Every product ticks every `stepMs` from `fromMs` to `toMs` (exchange time); ingested_at is the server's. */
export async function insertTicks(client: ClickHouseClient, fromMs: number, toMs: number, stepMs = 2000): Promise<number> {
  const rows = steadyTicks({ products: PRODUCTS, fromMs, toMs, stepMs });
  await client.insert({ table: "coinbase_demo.coinbase_ticker", values: rows, format: "JSONEachRow", clickhouse_settings: { async_insert: 0 } });
  return rows.length;
}

/**
 * Every product's trades from `fromMs` to `toMs` (sql/testing/trades.ts generateTrades, ~`meanGapMs`
 * apart), every `restEvery`-th one as backfilled from the REST API (source rest), the rest from the
 * matches channel. Returns the trades stored.
 */
export async function insertTradesBetween(client: ClickHouseClient, fromMs: number, toMs: number, options: { meanGapMs?: number; restEvery?: number } = {}): Promise<TradeLineInput[]> {
  const meanGapMs = options.meanGapMs ?? 2000;
  const restEvery = options.restEvery ?? 10;
  const perProduct = Math.ceil((toMs - fromMs) / (0.9 * meanGapMs)) + 10;
  const trades = generateTrades({ products: [...PRODUCTS], perProduct, start: new Date(fromMs), meanGapMs })
    .filter((t) => parseUtc(t.time) <= toMs)
    .map((t, i) => ({ ...t, source: i % restEvery === restEvery - 1 ? ("rest" as const) : ("ws" as const) }));
  await insertTrades(client, trades);
  return trades;
}

export type BackfillState = "detected" | "filling" | "filled" | "abandoned";

/**
 * One trade_id gap through `states` (one backfill_gaps row per state change, revision 0, 1, …, a
 * minute apart from `detectedAtMs`), as the ingester records it; backfilled grows to all missing
 * trades when filled, half of them when abandoned.
 */
export async function insertBackfillGap(client: ClickHouseClient, gap: { product: string; firstTradeId: number; missing: number; detectedAtMs: number; states: readonly BackfillState[] }): Promise<void> {
  const rows = gap.states.map((state, revision) => ({
    product_id: gap.product,
    first_trade_id: gap.firstTradeId,
    last_trade_id: gap.firstTradeId + gap.missing - 1,
    state,
    revision,
    missing: gap.missing,
    backfilled: state === "filled" ? gap.missing : state === "abandoned" ? Math.floor(gap.missing / 2) : 0,
    cursor: 0,
    reason: state === "abandoned" ? "REST API: 429 Too Many Requests, retries exhausted" : "",
    gap_start: formatTime(micros(gap.detectedAtMs - 10_000)),
    gap_end: formatTime(micros(gap.detectedAtMs - 2_000)),
    detected_at: formatTime(micros(gap.detectedAtMs)),
    updated_at: formatTime(micros(gap.detectedAtMs + revision * 60_000)),
  }));
  await client.insert({ table: qualified(TABLES.backfillGaps), values: rows, format: "JSONEachRow", clickhouse_settings: { async_insert: 0 } });
}

/** One ingester instance's heartbeat rows every `stepMs`, counters cumulative since it started. */
export async function insertHeartbeats(client: ClickHouseClient, instance: string, fromMs: number, toMs: number, stepMs = 10_000): Promise<void> {
  const rows = [];
  for (let t = fromMs, i = 1; t <= toMs; t += stepMs, i++) {
    rows.push({
      reported_at: formatMillis(t),
      instance,
      started_at: formatMillis(fromMs),
      received: 30 * i,
      stored: 29 * i,
      rejected: i,
      duplicates: Math.floor(i / 2),
      gaps: Math.floor(i / 10),
      buffer_depth: i % 5,
      spool_bytes: (i % 3) * 1024,
      reconnects: Math.floor(i / 20),
    });
  }
  await client.insert({ table: "coinbase_demo.ingest_stats", values: rows, format: "JSONEachRow", clickhouse_settings: { async_insert: 0 } });
}

export async function insertSequenceGap(client: ClickHouseClient, product: string, detectedAtMs: number, missing: number): Promise<void> {
  await client.insert({
    table: "coinbase_demo.sequence_gaps",
    values: [
      {
        product_id: product,
        channel: "matches",
        kind: "trade_id_jump",
        last_seen: 1000,
        next_seen: 1000 + missing + 1,
        missing,
        gap_start: formatTime(micros(detectedAtMs - 5000)),
        gap_end: formatTime(micros(detectedAtMs - 1000)),
        detected_at: formatTime(micros(detectedAtMs)),
      },
    ],
    format: "JSONEachRow",
    clickhouse_settings: { async_insert: 0 },
  });
}

export async function insertDeadLetters(client: ClickHouseClient, receivedAtMs: readonly number[]): Promise<void> {
  await client.insert({
    table: "coinbase_demo.ingest_dead_letters",
    values: receivedAtMs.map((t, i) => ({ received_at: formatTime(micros(t)), source: "coinbase", reason: "schema: price is not a number", raw: `{"type":"ticker","n":${i}}` })),
    format: "JSONEachRow",
    clickhouse_settings: { async_insert: 0 },
  });
}

export interface QueryResult {
  readonly columns: Array<{ name: string; type: string }>;
  readonly rows: Array<Record<string, unknown>>;
}

/** Runs SQL as the plugin would send it and returns ClickHouse's column names/types and rows. */
export async function runSql(client: ClickHouseClient, sql: string): Promise<QueryResult> {
  const result = await client.query({
    query: sql,
    format: "JSONCompactEachRowWithNamesAndTypes",
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const text = (await result.text()).trim();
  const [names, types, ...data] = text.split("\n").map((line) => JSON.parse(line) as unknown[]);
  const columns = (names as string[]).map((name, i) => ({ name, type: (types as string[])[i]! }));
  return { columns, rows: data.map((d) => Object.fromEntries(columns.map((c, i) => [c.name, d[i]]))) };
}
