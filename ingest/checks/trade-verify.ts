// The checks of `npm run check:trades` (exactly-once.ts), on what the ingester stored after the
// scripted session (trade-scenario.ts): every ticker the exchange sent and every trade of its tape
// stored exactly once, the disconnect window's trades from REST, every trade_id gap filled, and the
// exact rollups equal to a BigInt reference. Each check returns one line of numbers and, when it
// fails, what is wrong, by product and id.
import type { ClickHouseClient } from "@clickhouse/client";
import { loadQuery } from "../../sql/src/queries";
import { runQuery } from "../../sql/src/queryRun";
import { clickhouseTimeOf, compareTradeRollups, rollupWindowOf, tradeInputOf, type RollupWindow } from "../../sql/testing/exactness";
import { exactOhlcv1m, exactVwap5m, formatDecimal, parseDecimal } from "../../sql/testing/trades";
import type { FakeCoinbase, TapeTrade } from "../testing/fake-coinbase";
import type { ScenarioRecord } from "./trade-scenario";

export interface Check {
  readonly id: string;
  readonly name: string;
  readonly ok: boolean;
  /** One line: what was compared, with the numbers. */
  readonly detail: string;
  /** When it failed: what is wrong (the first few of each kind). */
  readonly problems: readonly string[];
}

export interface StoredSummary {
  readonly tickerRows: number;
  readonly tradeRows: number;
  readonly bySource: Readonly<Record<string, number>>;
  readonly tradeGaps: number;
  readonly deadLetters: number;
}

/** How many examples a failed check names per kind of problem. */
const EXAMPLES = 5;

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: "JSONEachRow", clickhouse_settings: { output_format_json_quote_64bit_integers: 0, session_timezone: "UTC" } });
  return result.json<T>();
}

async function count(client: ClickHouseClient, query: string): Promise<number> {
  return Number((await rows<{ n: number }>(client, query))[0]?.n ?? 0);
}

function examples(what: string, keys: readonly string[]): string[] {
  if (keys.length === 0) return [];
  const more = keys.length > EXAMPLES ? ` and ${keys.length - EXAMPLES} more` : "";
  return [`${keys.length} ${what}: ${keys.slice(0, EXAMPLES).join(", ")}${more}`];
}

function check(id: string, name: string, detail: string, problems: string[]): Check {
  return { id, name, ok: problems.length === 0, detail, problems };
}

/** (a) Every ticker the exchange sent (distinct by product_id and sequence) is stored once, and nothing else. */
export async function checkTickers(client: ClickHouseClient, fake: FakeCoinbase): Promise<Check> {
  const sent = new Set(fake.sent.filter((m) => m.channel === "ticker").map((m) => {
    const t = JSON.parse(m.text) as { product_id: string; sequence: number };
    return `${t.product_id}:${t.sequence}`;
  }));
  const stored = await rows<{ product_id: string; sequence: number; copies: number }>(client, "SELECT product_id, sequence, count() AS copies FROM coinbase_demo.coinbase_ticker GROUP BY product_id, sequence");
  const storedKeys = new Set(stored.map((r) => `${r.product_id}:${r.sequence}`));
  const problems = [
    ...examples("sent and not stored (product:sequence)", [...sent].filter((k) => !storedKeys.has(k))),
    ...examples("stored and never sent", [...storedKeys].filter((k) => !sent.has(k))),
    ...examples("stored more than once", stored.filter((r) => r.copies > 1).map((r) => `${r.product_id}:${r.sequence} ×${r.copies}`)),
  ];
  const rowsStored = stored.reduce((n, r) => n + Number(r.copies), 0);
  return check("a", "tickers", `${sent.size} distinct tickers sent (several more than once), ${rowsStored} rows stored, ${storedKeys.size} distinct`, problems);
}

interface StoredTrade {
  product_id: string;
  trade_id: number;
  copies: number;
  sources: string[];
  time: string;
  price: string;
  size: string;
  side: string;
}

export async function storedTrades(client: ClickHouseClient): Promise<Map<string, StoredTrade>> {
  const stored = await rows<StoredTrade>(
    client,
    `SELECT product_id, trade_id, count() AS copies, groupUniqArray(source) AS sources, toString(any(time)) AS time,
            toString(any(price)) AS price, toString(any(size)) AS size, any(side) AS side
     FROM coinbase_demo.trades GROUP BY product_id, trade_id`,
  );
  return new Map(stored.map((t) => [`${t.product_id}:${t.trade_id}`, t]));
}

/** A stored trade's fields that differ from the tape's (decimals compared as numbers, times as ClickHouse prints them). */
function fieldsOff(t: TapeTrade, s: StoredTrade): string | undefined {
  const want = { time: clickhouseTimeOf(t.time), price: formatDecimal(parseDecimal(t.price), 12), size: formatDecimal(parseDecimal(t.size), 12), side: t.side };
  const off = (Object.keys(want) as Array<keyof typeof want>).filter((k) => want[k] !== s[k]);
  return off.length === 0 ? undefined : `${t.product_id}:${t.trade_id} ${off.map((k) => `${k} ${s[k]} (traded ${want[k]})`).join(", ")}`;
}

/**
 * (b) Every trade of the exchange's tape is stored once, as traded, and nothing else. The trades
 * table is a ReplacingMergeTree, so a merge could hide a second copy from count(); the rollups'
 * num_trades count every row ever inserted, so they are asked too.
 */
export async function checkTrades(client: ClickHouseClient, tape: readonly TapeTrade[], stored: ReadonlyMap<string, StoredTrade>): Promise<Check> {
  const onTape = new Set(tape.map((t) => `${t.product_id}:${t.trade_id}`));
  const inserted = await count(client, "SELECT sum(num_trades) AS n FROM coinbase_demo.trade_ohlcv_1m");
  const problems = [
    ...examples("traded and not stored (product:trade_id)", tape.filter((t) => !stored.has(`${t.product_id}:${t.trade_id}`)).map((t) => `${t.product_id}:${t.trade_id}`)),
    ...examples("stored and never traded", [...stored.keys()].filter((k) => !onTape.has(k))),
    ...examples("stored more than once", [...stored.values()].filter((s) => s.copies > 1).map((s) => `${s.product_id}:${s.trade_id} ×${s.copies}`)),
    ...examples("stored with other values", tape.flatMap((t) => {
      const s = stored.get(`${t.product_id}:${t.trade_id}`);
      const off = s && fieldsOff(t, s);
      return off ? [off] : [];
    })),
  ];
  if (inserted !== tape.length) problems.push(`the rollup trade_ohlcv_1m counted ${inserted} inserted trades for ${tape.length} traded`);
  const rowsStored = [...stored.values()].reduce((n, s) => n + Number(s.copies), 0);
  return check("b", "trades", `${tape.length} trades on the exchange's tape, ${rowsStored} rows stored, ${stored.size} distinct, ${inserted} counted by the rollups`, problems);
}

/** `product:trade_id` of every trade the websocket delivered (match or last_match). */
export function sentTradeKeys(fake: FakeCoinbase): Set<string> {
  return new Set(fake.sent.filter((m) => m.channel === "matches").map((m) => {
    const t = JSON.parse(m.text) as { product_id: string; trade_id: number };
    return `${t.product_id}:${t.trade_id}`;
  }));
}

/** How the held-back trades were stored: from the websocket's late copy, first by the backfill, or not at all. */
export function lateTradeSources(record: ScenarioRecord, stored: ReadonlyMap<string, StoredTrade>): { ws: number; rest: number; missing: number } {
  const out = { ws: 0, rest: 0, missing: 0 };
  for (const m of record.held.filter((h) => h.channel === "matches")) {
    const t = JSON.parse(m.text) as { product_id: string; trade_id: number };
    const s = stored.get(`${t.product_id}:${t.trade_id}`);
    if (!s) out.missing++;
    else if (s.sources.includes("ws")) out.ws++;
    else out.rest++;
  }
  return out;
}

/** (c) The window's trades are stored; those the websocket never sent (all but each product's last_match on resubscribe) came from REST. */
export function checkWindow(fake: FakeCoinbase, record: ScenarioRecord, stored: ReadonlyMap<string, StoredTrade>): Check {
  const viaWs = sentTradeKeys(fake);
  const keys = record.window.map((t) => `${t.product_id}:${t.trade_id}`);
  const resent = keys.filter((k) => viaWs.has(k));
  const fromRest = keys.filter((k) => !viaWs.has(k));
  const problems = [
    ...examples("of the window's trades missing", keys.filter((k) => !stored.has(k))),
    ...examples("never sent on the websocket but stored without source rest", fromRest.filter((k) => stored.has(k) && !stored.get(k)!.sources.includes("rest"))),
  ];
  const rest = fromRest.filter((k) => stored.get(k)?.sources.includes("rest")).length;
  return check("c", "the disconnect window", `${keys.length} trades made while disconnected; ${resent.length} came back on the websocket (last_match on resubscribe), ${rest} of the other ${fromRest.length} stored from REST`, problems);
}

/**
 * The trade_id gaps the websocket's order of delivery opens: a product's trade more than one above
 * the newest one delivered before it (a repeat or a late trade below it opens none). The ingester
 * must record exactly these.
 */
export function expectedGaps(fake: FakeCoinbase): string[] {
  const newest = new Map<string, number>();
  const gaps: string[] = [];
  for (const m of fake.sent) {
    if (m.channel !== "matches") continue;
    const { product_id: product, trade_id: id } = JSON.parse(m.text) as { product_id: string; trade_id: number };
    const last = newest.get(product);
    if (last !== undefined && id > last + 1) gaps.push(`${product}:${last + 1}..${id - 1}`);
    if (last === undefined || id > last) newest.set(product, id);
  }
  return gaps;
}

/**
 * (d) The trade_id gaps recorded in sequence_gaps are exactly those the delivery order opened, and
 * each has a backfill state whose newest is `filled`, for exactly its missing ids.
 */
export async function checkGaps(client: ClickHouseClient, fake: FakeCoinbase): Promise<Check> {
  const gaps = await rows<{ product_id: string; last_seen: number; next_seen: number }>(
    client,
    "SELECT product_id, last_seen, next_seen FROM coinbase_demo.sequence_gaps WHERE channel = 'matches' AND kind = 'trade_id' ORDER BY product_id, last_seen",
  );
  const states = await rows<{ product_id: string; first_trade_id: number; last_trade_id: number; state: string; backfilled: number; reason: string }>(
    client,
    `SELECT product_id, first_trade_id, argMax(last_trade_id, revision) AS last_trade_id, argMax(state, revision) AS state,
            argMax(backfilled, revision) AS backfilled, argMax(reason, revision) AS reason
     FROM coinbase_demo.backfill_gaps GROUP BY product_id, first_trade_id`,
  );
  const byFirst = new Map(states.map((s) => [`${s.product_id}:${s.first_trade_id}`, s]));
  const gapKey = (g: { product_id: string; last_seen: number; next_seen: number }) => `${g.product_id}:${g.last_seen + 1}..${g.next_seen - 1}`;
  const expected = expectedGaps(fake);
  const recorded = new Set(gaps.map(gapKey));
  const problems = [
    ...examples("gaps the delivery order opened, not recorded (product:first..last trade_id)", expected.filter((g) => !recorded.has(g))),
    ...examples("gaps recorded that the delivery order did not open", [...recorded].filter((g) => !expected.includes(g))),
    ...examples("gaps without a backfill state", gaps.filter((g) => !byFirst.has(`${g.product_id}:${g.last_seen + 1}`)).map(gapKey)),
    ...examples("gaps whose newest state is not filled", states.filter((s) => s.state !== "filled").map((s) => `${s.product_id}:${s.first_trade_id}..${s.last_trade_id} ${s.state}${s.reason ? ` (${s.reason})` : ""}`)),
    ...examples("backfill states of other trade ids than the gap's", gaps.filter((g) => {
      const s = byFirst.get(`${g.product_id}:${g.last_seen + 1}`);
      return s !== undefined && Number(s.last_trade_id) !== g.next_seen - 1;
    }).map(gapKey)),
  ];
  if (expected.length === 0) problems.push("the session opened no trade_id gap (nothing was lost or held back): there was nothing to backfill");
  const filled = states.filter((s) => s.state === "filled");
  const backfilled = filled.reduce((n, s) => n + Number(s.backfilled), 0);
  const detail = `${expected.length} gaps opened by the delivery order (the window and the held-back trades), ${gaps.length} recorded in sequence_gaps, ${filled.length} with newest state filled in backfill_gaps (${backfilled} trade ids covered)`;
  return check("d", "trade_id gaps", detail, problems);
}

/** (e) trade_vwap_5m and trade_ohlcv_1m (the named queries' exact columns) equal the BigInt reference over the tape. */
export async function checkRollups(client: ClickHouseClient, tape: readonly TapeTrade[]): Promise<Check> {
  const trades = tape.map(tradeInputOf);
  const window = rollupWindowOf(trades);
  const differences = await compareTradeRollups(client, trades, window);
  const buckets = exactVwap5m(trades).length;
  const candles = exactOhlcv1m(trades).length;
  const more = differences.length > EXAMPLES ? [`… and ${differences.length - EXAMPLES} more differences`] : [];
  const detail = `trade_vwap_5m (${buckets} product-buckets) and trade_ohlcv_1m (${candles} product-minutes), _exact columns, against the BigInt reference over the tape: ${differences.length} differences`;
  return check("e", "exact rollups", detail, [...differences.slice(0, EXAMPLES), ...more]);
}

export async function storedSummary(client: ClickHouseClient): Promise<StoredSummary> {
  const sources = await rows<{ source: string; n: number }>(client, "SELECT source, count() AS n FROM coinbase_demo.trades GROUP BY source ORDER BY source");
  return {
    tickerRows: await count(client, "SELECT count() AS n FROM coinbase_demo.coinbase_ticker"),
    tradeRows: sources.reduce((n, s) => n + Number(s.n), 0),
    bySource: Object.fromEntries(sources.map((s) => [s.source, Number(s.n)])),
    tradeGaps: await count(client, "SELECT count() AS n FROM coinbase_demo.sequence_gaps WHERE kind = 'trade_id'"),
    deadLetters: await count(client, "SELECT count() AS n FROM coinbase_demo.ingest_dead_letters"),
  };
}

export interface VwapMethodRow {
  readonly bucket: string;
  readonly product_id: string;
  readonly ticker_vwap: number | null;
  readonly trade_vwap: number | null;
  readonly difference_bps: number | null;
}

/** For information: the 5-minute VWAP from tickers (the walk-through's method) beside the one from every trade (vwap_methods_5m). */
export async function vwapMethods(client: ClickHouseClient, tape: readonly TapeTrade[]): Promise<VwapMethodRow[]> {
  const window: RollupWindow = rollupWindowOf(tape.map(tradeInputOf));
  const result = await runQuery(client, loadQuery("vwap_methods_5m"), window);
  const names = result.columns.map((c) => c.name);
  return result.rows
    .map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])) as unknown as VwapMethodRow)
    .filter((r) => r.trade_vwap !== null);
}
