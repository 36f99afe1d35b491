// The cost of completeness (issue 14): the same max-rate run as `throughput` (ClickHouse in its own
// process behind HTTP, the production sink), with `matches` + `ticker` subscribed — every trade as
// a match before its ticker, each stored in coinbase_demo.trades — beside a ticker-only run of the
// same harness, alternating, each into a fresh ClickHouse. Then the identity check the sink runs
// before every insert (sinks/identities.ts: one lookup per product per table per block) timed on
// its own against the stored tables, beside the insert of the same rows.
import { Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { TICKER_COLUMNS, TRADE_COLUMNS } from "../../../sql/src/rows";
import { rowText } from "../../src/pipeline/block-text";
import { withoutStored } from "../../src/sinks/identities";
import { httpSink, int, log, mb, one, QUICK, startEngine, storedCount, type Engine, type Row } from "../harness";
import { maxRate, processNote, THROUGHPUT_MESSAGES } from "../max-rate";

const RUNS = QUICK ? 1 : 3;
const BLOCK_ROWS = 50_000;

type Run = Awaited<ReturnType<typeof maxRate>> & { exact: boolean };

const storedTrades = async (client: ClickHouseClient) => Number((await one<{ c: string }>(client, "SELECT count() AS c FROM coinbase_demo.trades")).c);

async function counts(client: ClickHouseClient) {
  const t = await one<{ c: string; u: string }>(client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
  const m = await one<{ c: string; u: string }>(client, "SELECT count() AS c, uniqExact(product_id, trade_id) AS u FROM coinbase_demo.trades");
  return { tickers: Number(t.c), uniqueTickers: Number(t.u), trades: Number(m.c), uniqueTrades: Number(m.u) };
}

/** One max-rate run into a fresh ClickHouse; with `timeIdentity`, the identity check is timed on the stored tables before the engine stops. */
async function run(matches: boolean, timeIdentity: boolean): Promise<{ run: Run; identity?: Row[] }> {
  const engine = await startEngine();
  const r = await maxRate(
    httpSink(engine),
    // count() alone while polling (it reads part metadata); uniqExact once, after.
    async (_ingester, stream) => (await storedCount(engine.client)) >= stream.tickers && (await storedTrades(engine.client)) >= stream.trades,
    engine,
    { matches },
  );
  const c = await counts(engine.client);
  const exact = c.tickers === r.stream.tickers && c.uniqueTickers === r.stream.tickers && c.trades === r.stream.trades && c.uniqueTrades === r.stream.trades;
  const identity = timeIdentity ? await identityCost(engine) : undefined;
  await engine.stop();
  log(`completeness ${matches ? "matches + ticker" : "ticker only"}: ${int(r.rate)} msg/s, ${int(r.tradeRate)} trades/s; ${processNote(r)}; ${r.split}`);
  return { run: { ...r, exact }, identity };
}

const median = (runs: readonly Run[]) => [...runs].sort((x, y) => x.rate - y.rate)[Math.floor(runs.length / 2)]!;
const pct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(0)} %`;

export async function completeness(): Promise<Row[]> {
  const tickerOnly: Run[] = [];
  const withMatches: Run[] = [];
  let identity: Row[] = [];
  for (let i = 0; i < RUNS; i++) {
    tickerOnly.push((await run(false, false)).run);
    const m = await run(true, i === RUNS - 1);
    withMatches.push(m.run);
    identity = m.identity ?? identity;
  }
  const t = median(tickerOnly);
  const m = median(withMatches);
  const exact = (runs: readonly Run[]) => (runs.every((r) => r.exact) ? "every run: each ticker and trade stored once" : "MISMATCH in a run: count or uniqExact differs");
  return [
    {
      measure: `Completeness, ticker only (the comparison; same harness, alternating runs: ${int(THROUGHPUT_MESSAGES)} tickers, median of ${RUNS})`,
      result: `${int(t.rate)} msg/s (runs: ${tickerOnly.map((r) => int(r.rate)).join(", ")}; ${exact(tickerOnly)}); median run: ${processNote(t)}; ${t.split}`,
    },
    {
      measure: `Completeness, matches + ticker: local ws server at max rate → tickers and trades committed (${int(m.stream.messages)} msgs: ${int(m.stream.tickers)} tickers, ${int(m.stream.trades)} matches; median of ${RUNS})`,
      result:
        `${int(m.rate)} msg/s, of which ${int(m.tradeRate)} trades/s and ${int(m.tickerRate)} tickers/s (runs: ${withMatches.map((r) => `${int(r.rate)} msg/s, ${int(r.tradeRate)} trades/s`).join("; ")}; ${exact(withMatches)}); ` +
        `ingester peak RSS ${withMatches.map((r) => mb(r.peak)).join(", ")}; median run: ${processNote(m)}; ${m.split}`,
    },
    {
      measure: "… the cost of completeness: matches + ticker against ticker only (medians)",
      result: `messages/s ${int(m.rate)} vs ${int(t.rate)} (${pct(m.rate / t.rate - 1)}); tickers/s ${int(m.tickerRate)} vs ${int(t.rate)} (${pct(m.tickerRate / t.rate - 1)}); ingester CPU per message ${t.cpuMicros.toFixed(1)} → ${m.cpuMicros.toFixed(1)} µs`,
    },
    ...identity,
  ];
}

/** The newest `n` rows of `table` (a block's worth of time, as the sink sees it) as the sink's TabSeparated lines. */
async function lines(client: ClickHouseClient, columns: readonly string[], table: string, n: number): Promise<string[]> {
  const result = await client.query({ query: `SELECT ${columns.join(", ")} FROM coinbase_demo.${table} ORDER BY time DESC LIMIT ${n}`, format: "TabSeparated" });
  return (await result.text()).split("\n").filter((l) => l.length > 0);
}

/** The same lines with identities nothing in the table has (the usual case: nothing to leave out). */
function unseen(rows: readonly string[]): string[] {
  return rows.map((l) => {
    const f = l.split("\t");
    f[2] = String(Number(f[2]) + 1e12);
    return f.join("\t");
  });
}

/** The identity check on 50k-row blocks (stored ones: every row found; new ones: none), beside inserting such a block. */
async function identityCost(engine: Engine): Promise<Row[]> {
  const query = async (sql: string) => (await engine.client.query({ query: sql, format: "JSONEachRow" })).json<{ product_id: string; id: string | number }>();
  const time = async (f: () => Promise<unknown>) => {
    const started = performance.now();
    await f();
    return performance.now() - started;
  };
  const out: string[] = [];
  for (const [key, table, columns, idColumn] of [["ticker", "coinbase_ticker", TICKER_COLUMNS, "sequence"], ["trade", "trades", TRADE_COLUMNS, "trade_id"]] as const) {
    const stored = await lines(engine.client, columns, table, BLOCK_ROWS);
    const fresh = unseen(stored);
    const identityKey = { column: idColumn, timeBounded: key === "ticker" } as const;
    // stored: undefined — every row is asked about (the worst case: a block below the highest stored id).
    const lookup = { key: identityKey, table: `coinbase_demo.${table}`, stored: undefined, query };
    const found = await time(() => withoutStored(rowText(stored), lookup));
    const none = await time(() => withoutStored(rowText(fresh), lookup));
    const insert = await time(() => insertLines(engine.client, table, columns, fresh));
    out.push(
      `${table}: ${(none / BLOCK_ROWS * 1000).toFixed(1)} µs per row when nothing is stored yet (${none.toFixed(0)} ms a block), ${(found / BLOCK_ROWS * 1000).toFixed(1)} µs when every row is (${found.toFixed(0)} ms); inserting the block ${insert.toFixed(0)} ms`,
    );
  }
  return [{ measure: `The identity check before each insert (sinks/identities.ts), alone, on ${int(BLOCK_ROWS)}-row blocks against the tables of the last matches run, over HTTP`, result: out.join("; ") }];
}

async function insertLines(client: ClickHouseClient, table: string, columns: readonly string[], rows: readonly string[]): Promise<void> {
  const result = await client.exec({
    query: `INSERT INTO coinbase_demo.${table} (${columns.join(", ")}) FORMAT TabSeparated`,
    values: Readable.from([rows.join("\n") + "\n"], { objectMode: false }),
    clickhouse_settings: { async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1, insert_deduplication_token: `identity-bench-${table}` },
  });
  for await (const _ of result.stream) void _;
}
