// Are the exact rollups exact? The named queries trade_vwap_5m and trade_ohlcv_1m (their `_exact`
// columns, read through the query files as every dashboard reads them) and the rollup tables'
// own price_volume and notional, compared with the BigInt reference of sql/testing/trades.ts
// (exactVwap5m, exactOhlcv1m) over the same trades. Returns the differences as readable lines;
// none means exact. Used by sql/test/trades.test.ts and the runnable check
// (ingest/checks/exactly-once.ts: `npm run check:trades`).
import type { ClickHouseClient } from "@clickhouse/client";
import { loadQuery } from "../src/queries";
import { runQuery, type QueryResult } from "../src/queryRun";
import { exactOhlcv1m, exactVwap5m, formatDecimal, parseDecimal, type ExactOhlcvRow, type ExactVwapRow, type TradeInput } from "./trades";

/** The window the queries run over: epoch ms, whole 5-minute buckets; products empty = every product. */
export interface RollupWindow {
  readonly fromMs: number;
  readonly toMs: number;
  readonly products: readonly string[];
}

/** A trade as the exchange sends it (a websocket match, a REST trade, the fake exchange's tape). */
export interface ExchangeTrade {
  readonly product_id: string;
  readonly trade_id: number;
  /** ISO 8601, UTC: `2026-11-24T21:00:00.208176Z`. */
  readonly time: string;
  readonly price: string;
  readonly size: string;
  readonly side: "buy" | "sell";
}

const ISO = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/;

/** `2026-11-24T21:00:00.2Z` → `2026-11-24 21:00:00.200000` (ClickHouse's text of a DateTime64(6)). */
export function clickhouseTimeOf(iso: string): string {
  const m = ISO.exec(iso);
  if (!m) throw new Error(`"${iso}" is not an ISO 8601 UTC time with at most 6 fraction digits`);
  return `${m[1]} ${m[2]}.${(m[3] ?? "").padEnd(6, "0")}`;
}

/** An exchange trade as the reference takes it (time in ClickHouse's text form). */
export function tradeInputOf(t: ExchangeTrade): TradeInput {
  return { product_id: t.product_id, trade_id: t.trade_id, time: clickhouseTimeOf(t.time), price: t.price, size: t.size, side: t.side };
}

/** The window covering every trade, in whole 5-minute buckets (every product). */
export function rollupWindowOf(trades: readonly TradeInput[]): RollupWindow {
  if (trades.length === 0) throw new Error("no trades: no window to compare");
  let first = Infinity;
  let last = -Infinity;
  for (const t of trades) {
    const ms = Date.parse(`${t.time.slice(0, 19).replace(" ", "T")}Z`);
    first = Math.min(first, ms);
    last = Math.max(last, ms);
  }
  return { fromMs: Math.floor(first / 300_000) * 300_000, toMs: Math.ceil((last + 1) / 300_000) * 300_000, products: [] };
}

/**
 * Differences between the stored rollups and the exact reference over `trades` (each counted once
 * as given), in `window` (default: the trades' own; give whole 5-minute buckets, as the VWAP query
 * reads whole buckets). Trades outside the window or its products are left out of the reference.
 * Empty: exact. Rows the queries fill in for empty buckets and minutes (num_trades 0) are not
 * compared.
 */
export async function compareTradeRollups(client: ClickHouseClient, trades: readonly TradeInput[], window: RollupWindow = rollupWindowOf(trades)): Promise<string[]> {
  const inside = trades.filter((t) => {
    const ms = Date.parse(`${t.time.slice(0, 19).replace(" ", "T")}Z`);
    return ms >= window.fromMs && ms < window.toMs && (window.products.length === 0 || window.products.includes(t.product_id));
  });
  const vwapRef = exactVwap5m(inside);
  const ohlcvRef = exactOhlcv1m(inside);
  const vwap = await runQuery(client, loadQuery("trade_vwap_5m"), window);
  const ohlcv = await runQuery(client, loadQuery("trade_ohlcv_1m"), window);
  return [
    ...compareVwap(records(vwap), vwapRef),
    ...(await comparePriceVolume(client, window, vwapRef)),
    ...compareOhlcv(records(ohlcv), ohlcvRef),
    ...(await compareNotional(client, window, vwapRef)),
  ];
}

type Row = Record<string, unknown>;

function records(result: QueryResult): Row[] {
  return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c.name, r[i]]))).filter((r) => Number(r.num_trades) > 0);
}

/** Fields of each row by key, compared with the reference's; missing and extra rows named. */
function compareKeyed(what: string, got: ReadonlyMap<string, Row>, want: ReadonlyMap<string, Row>): string[] {
  const out: string[] = [];
  for (const [key, expected] of want) {
    const row = got.get(key);
    if (!row) {
      out.push(`${what} ${key}: missing (expected ${describe(expected)})`);
      continue;
    }
    for (const [field, value] of Object.entries(expected)) {
      if (String(row[field]) !== String(value)) out.push(`${what} ${key}: ${field} ${String(row[field])}, expected ${String(value)}`);
    }
  }
  for (const [key, row] of got) if (!want.has(key)) out.push(`${what} ${key}: not in the reference (${describe(row)})`);
  return out;
}

function describe(row: Row): string {
  return Object.entries(row).map(([k, v]) => `${k} ${String(v)}`).join(", ");
}

/**
 * toFloat64 of a Decimal is not always the nearest double (it divides by the scale): the Float64
 * columns must be within 1e-15 of the exact value, relatively.
 */
function floatOff(got: unknown, exact: string): boolean {
  const want = Number(exact);
  return typeof got !== "number" || Math.abs(got - want) > 1e-15 * Math.abs(want);
}

function compareVwap(rows: Row[], ref: readonly ExactVwapRow[]): string[] {
  const key = (product: unknown, bucket: unknown) => `${String(product)} ${String(bucket)}`;
  const got = new Map(rows.map((r) => [key(r.product_id, r.bucket), { vwap_exact: r.vwap_exact, volume_exact: r.volume_exact, num_trades: r.num_trades }]));
  const want = new Map(ref.map((e) => [key(e.product_id, e.bucket), { vwap_exact: e.vwap, volume_exact: e.volume, num_trades: e.num_trades }]));
  const out = compareKeyed("trade_vwap_5m", got, want);
  const byKey = new Map(ref.map((e) => [key(e.product_id, e.bucket), e]));
  for (const r of rows) {
    const e = byKey.get(key(r.product_id, r.bucket));
    if (!e) continue;
    if (floatOff(r.vwap, e.vwap)) out.push(`trade_vwap_5m ${key(r.product_id, r.bucket)}: vwap ${String(r.vwap)} is not the exact ${e.vwap} as a Float64`);
    if (floatOff(r.volume, e.volume)) out.push(`trade_vwap_5m ${key(r.product_id, r.bucket)}: volume ${String(r.volume)} is not the exact ${e.volume} as a Float64`);
  }
  return out;
}

function compareOhlcv(rows: Row[], ref: readonly ExactOhlcvRow[]): string[] {
  const key = (product: unknown, minute: unknown) => `${String(product)} ${String(minute)}`;
  const fields = (r: { open: unknown; high: unknown; low: unknown; close: unknown; volume: unknown; num_trades: unknown }) => ({ open: r.open, high: r.high, low: r.low, close: r.close, volume: r.volume, num_trades: r.num_trades });
  const got = new Map(rows.map((r) => [key(r.product_id, r.minute), fields({ open: r.open_exact, high: r.high_exact, low: r.low_exact, close: r.close_exact, volume: r.volume_exact, num_trades: r.num_trades })]));
  const want = new Map(ref.map((e) => [key(e.product_id, e.minute), fields(e)]));
  return compareKeyed("trade_ohlcv_1m", got, want);
}

/** The window as a WHERE clause on the rollup table aliased `r` (aliases in the SELECT list shadow its columns). */
const inWindow = (column: string, window: RollupWindow) =>
  `r.${column} >= toDateTime(${Math.floor(window.fromMs / 1000)}, 'UTC') AND r.${column} < toDateTime(${Math.floor(window.toMs / 1000)}, 'UTC')` +
  (window.products.length > 0 ? ` AND r.product_id IN (${window.products.map((p) => `'${p.replace(/'/g, "")}'`).join(", ")})` : "");

async function textRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: "JSONEachRow", clickhouse_settings: { session_timezone: "UTC" } });
  return result.json<T>();
}

/** sum(price × size) as the rollup table stores it, per bucket (the query divides it away). */
async function comparePriceVolume(client: ClickHouseClient, window: RollupWindow, ref: readonly ExactVwapRow[]): Promise<string[]> {
  const rows = await textRows<{ product_id: string; bucket: string; pv: string }>(
    client,
    `SELECT r.product_id AS product_id, toString(r.bucket) AS bucket, toString(sum(r.price_volume)) AS pv FROM coinbase_demo.trade_vwap_5m AS r
     WHERE ${inWindow("bucket", window)} GROUP BY r.product_id, r.bucket HAVING sum(r.num_trades) > 0`,
  );
  const got = new Map(rows.map((r) => [`${r.product_id} ${r.bucket}`, { price_volume: r.pv }]));
  const want = new Map(ref.map((e) => [`${e.product_id} ${e.bucket}`, { price_volume: e.price_volume }]));
  return compareKeyed("trade_vwap_5m (table)", got, want);
}

/** trade_ohlcv_1m's notional over the window: the sum of every trade's price × size. */
async function compareNotional(client: ClickHouseClient, window: RollupWindow, ref: readonly ExactVwapRow[]): Promise<string[]> {
  const [row] = await textRows<{ n: string }>(client, `SELECT toString(sum(r.notional)) AS n FROM coinbase_demo.trade_ohlcv_1m AS r WHERE ${inWindow("minute", window)}`);
  const expected = formatDecimal(ref.reduce((sum, e) => sum + parseDecimal(e.price_volume, 24), 0n), 24);
  return row?.n === expected ? [] : [`trade_ohlcv_1m (table): notional ${row?.n ?? "(none)"}, expected the sum of price × size ${expected}`];
}
