// `npm run check:trades`: every tick and trade exactly once, shown on a run anyone can repeat — no
// Docker, no network. A fake Coinbase on loopback (websocket + REST, ../testing/fake-coinbase.ts)
// plays a scripted, seeded session (trade-scenario.ts) to the real ingester, started in this
// process with a coinbase source on the fake's websocket and the trade backfill on its REST URL,
// writing into an embedded ClickHouse in a temporary directory. The session has live trades,
// repeats of messages already sent, live tickers and trades held back and delivered late and out
// of order, a disconnect window during which trades happen, and REST 429s and a 503 while the
// window is backfilled. Then the ingester is stopped (it flushes) and what it stored is checked
// (trade-verify.ts): (a) every ticker sent stored once, (b) every trade of the exchange's tape
// stored once, as traded, (c) the window's trades from REST, (d) every trade_id gap filled,
// (e) the exact rollups equal to a BigInt reference. Exit 0 when all pass, 1 naming the failed
// checks, 2 for bad arguments. `--no-backfill` shows (b)–(e) fail: the window's trades are missing.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { embeddedUrl, openClickHouse, type ClickHouseHandle } from "../../sql/src/client";
import { migrate } from "../../sql/src/runner";
import { parseConfig } from "../src/config/load";
import type { IngestConfig } from "../src/config/schema";
import { startIngester, type RunningIngester } from "../src/main";
import { createLogger, type Logger } from "../src/observability/log";
import { FakeCoinbase } from "../testing/fake-coinbase";
import { printReport, type RunFacts } from "./exactly-once-report";
import { playScenario, type ScenarioRecord } from "./trade-scenario";
import { checkGaps, checkRollups, checkTickers, checkTrades, checkWindow, lateTradeSources, storedSummary, storedTrades, vwapMethods, type Check } from "./trade-verify";

export const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD"];
/** The tape's first trade: ten seconds before a 5-minute boundary, so trades fall in two buckets and several minutes. */
const START = Date.parse("2026-11-24T21:04:50Z");
const MAX_TRADES = 20_000;
/** How long the backfill may take to settle every gap after the last message. */
const SETTLE_TIMEOUT_MS = 30_000;

const USAGE = `Usage: npm run check:trades -- [--seed N] [--trades N] [--no-backfill] [--keep | --data DIR] [--log]

  --seed N        the session's seed (default 14): the same trades, repeats and held messages every run
  --trades N      trades per product on the exchange's tape (default 240, 20 to ${MAX_TRADES})
  --no-backfill   backfill.enabled: false — the window's trades stay missing and the check fails
  --keep          keep the embedded ClickHouse (and the spool) in a temporary directory, printed at the end
  --data DIR      put the embedded ClickHouse in DIR (new or empty), kept
  --log           print the ingester's log lines (stderr)

Exit codes: 0 every check passed; 1 a check failed (named); 2 bad arguments.`;

export interface CheckOptions {
  readonly seed: number;
  readonly tradesPerProduct: number;
  readonly backfill: boolean;
  readonly keep: boolean;
  readonly dataDir: string | undefined;
  readonly log: boolean;
}

class UsageError extends Error {}

export function parseOptions(argv: readonly string[]): CheckOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seed: { type: "string" },
      trades: { type: "string" },
      "no-backfill": { type: "boolean" },
      keep: { type: "boolean" },
      data: { type: "string" },
      log: { type: "boolean" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) throw new UsageError("");
  const whole = (text: string | undefined, name: string, fallback: number, min: number, max: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  const dataDir = values.data === undefined ? undefined : resolve(values.data);
  if (dataDir !== undefined && existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new UsageError(`--data ${values.data}: the directory is not empty; give a new or empty one (the check compares everything stored there with what it sent)`);
  }
  return {
    seed: whole(values.seed, "seed", 14, 0, 2 ** 31 - 1),
    tradesPerProduct: whole(values.trades, "trades", 240, 20, MAX_TRADES),
    backfill: !values["no-backfill"],
    keep: values.keep === true || dataDir !== undefined,
    dataDir,
    log: values.log === true,
  };
}

/** The ingester's config: the fake's websocket and REST, ticker + matches, small REST pages so a gap takes several. */
function ingesterConfig(urls: { wsUrl: string; restUrl: string }, dataDir: string, spoolDir: string, backfill: boolean): IngestConfig {
  return parseConfig({
    source: {
      type: "coinbase",
      wss_url: urls.wsUrl,
      subscription: { product_ids: PRODUCTS, channels: ["ticker", "matches"] },
      backoff: { initial_ms: 20, max_ms: 100 },
      watchdog_seconds: 60,
      backfill: { enabled: backfill, rest_url: urls.restUrl, page_size: 25, requests_per_second: 10, burst: 10, retry: { initial_ms: 20, max_ms: 100 } },
    },
    sink: { type: "embedded", path: dataDir },
    spool: { dir: spoolDir },
    batch: { max_rows: 500, max_interval_ms: 100 },
    metrics: { enabled: false },
    progress: { interval_ms: 86_400_000 },
    shutdown_timeout_ms: 5_000,
    log_level: "info",
  });
}

/** Log lines kept for the report (warnings and errors), and printed to stderr with --log. */
function checkLogger(print: boolean): { log: Logger; warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  const text = createLogger("info", (line) => process.stderr.write(line), "text");
  const keep = (into: string[] | undefined, level: keyof Logger) => (msg: string, fields?: Record<string, unknown>) => {
    into?.push(`${msg}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ""}`);
    if (print) text[level](msg, fields);
  };
  return { log: { debug: keep(undefined, "debug"), info: keep(undefined, "info"), warn: keep(warnings, "warn"), error: keep(errors, "error") }, warnings, errors };
}

async function openEngine(dir: string): Promise<ClickHouseHandle> {
  const handle = await openClickHouse({ url: embeddedUrl(dir) });
  await migrate(handle.client, { manageAccess: false, backfillGuardMs: 0, backfillSettleMs: 0 });
  return handle;
}

/** Gaps detected this run, and how many reached filled or abandoned (the backfill's own counter, ingest_backfill_gaps_total). */
async function backfillStates(ingester: RunningIngester): Promise<{ detected: number; settled: number }> {
  const metric = ingester.metrics.registry.getSingleMetric("ingest_backfill_gaps_total");
  const { values } = (await metric?.get()) ?? { values: [] };
  const of = (state: string) => values.filter((v) => v.labels.state === state).reduce((n, v) => n + v.value, 0);
  return { detected: of("detected"), settled: of("filled") + of("abandoned") };
}

/** Waits until every gap the backfill was handed is filled or abandoned; false after SETTLE_TIMEOUT_MS. */
async function backfillSettled(ingester: RunningIngester): Promise<boolean> {
  const until = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const { detected, settled } = await backfillStates(ingester);
    if (settled >= detected) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Session {
  readonly record: ScenarioRecord;
  readonly settled: boolean;
  readonly exitCode: number;
}

/** Starts the ingester on the fake and the engine, plays the session, waits for the backfill, stops the ingester (it flushes). */
async function runSession(fake: FakeCoinbase, handle: ClickHouseHandle, config: IngestConfig, options: CheckOptions, log: Logger): Promise<Session> {
  const ingester = await startIngester(config, { clickhouse: handle, defaultMetrics: false, log });
  try {
    const record = await playScenario(fake, ingester, { seed: options.seed, tradesPerProduct: options.tradesPerProduct });
    const settled = options.backfill ? await backfillSettled(ingester) : true;
    return { record, settled, exitCode: await ingester.stop("the check's session is over") };
  } catch (err) {
    await ingester.stop("the check failed to run");
    throw err;
  }
}

async function verify(handle: ClickHouseHandle, fake: FakeCoinbase, record: ScenarioRecord): Promise<{ checks: Check[]; lateTrades: RunFacts["lateTrades"] }> {
  const client = handle.client;
  const tape = fake.allTrades();
  const stored = await storedTrades(client);
  const checks = [await checkTickers(client, fake), await checkTrades(client, tape, stored), checkWindow(fake, record, stored), await checkGaps(client, fake), await checkRollups(client, tape)];
  return { checks, lateTrades: lateTradeSources(record, stored) };
}

async function main(argv: readonly string[]): Promise<number> {
  let options: CheckOptions;
  try {
    options = parseOptions(argv);
  } catch (err) {
    const message = (err as Error).message;
    if (!message) {
      process.stdout.write(`${USAGE}\n`); // --help
      return 0;
    }
    process.stderr.write(`${message}\n\n${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), "streamstack-check-trades-"));
  const dataDir = options.dataDir ?? join(root, "data");
  const fake = new FakeCoinbase({ products: PRODUCTS, seed: options.seed, heartbeatMs: 0, startTime: START });
  const { log, warnings, errors } = checkLogger(options.log);
  let handle: ClickHouseHandle | undefined;
  try {
    const urls = await fake.start();
    handle = await openEngine(dataDir);
    const session = await runSession(fake, handle, ingesterConfig(urls, dataDir, join(root, "spool"), options.backfill), options, log);
    const { checks, lateTrades } = await verify(handle, fake, session.record);
    const facts: RunFacts = { options, urls, dataDir, root, session, checks, lateTrades, fake, warnings, errors, seconds: (Date.now() - started) / 1000 };
    const stored = await storedSummary(handle.client);
    const vwap = await vwapMethods(handle.client, fake.allTrades());
    printReport(facts, stored, vwap, PRODUCTS);
    return checks.every((c) => c.ok) && session.settled && session.exitCode === 0 ? 0 : 1;
  } finally {
    await handle?.close();
    await fake.stop();
    // --data keeps DIR only (root then holds just the spool, all committed); --keep keeps root.
    if (!options.keep || options.dataDir !== undefined) rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`check:trades could not run: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
