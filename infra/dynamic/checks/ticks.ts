// Ticks (and, with the matches channel, trades) arrive: polls for a row ingested after the check
// started, up to a time limit. None is a warning, not a failure: the exchange or the internet may
// simply be unreachable from this host.
import { openClickHouse } from "../../../sql/src/client";
import { DATABASE, TABLES } from "../../../sql/src/names";
import { failed, ok, skipped, warning, type CheckResult } from "./result";

export interface TickCheck {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  /** How long to wait for a fresh tick; 0 skips the check. */
  readonly waitSeconds: number;
  /** Poll interval (default 2 s). */
  readonly pollMs?: number;
}

/** What one arrival check looks for. */
interface Arrival {
  readonly check: string;
  readonly table: string;
  readonly noun: string;
}

const TICKS: Arrival = { check: "ticks arrive", table: TABLES.ticker, noun: "tick" };
const TRADES: Arrival = { check: "trades arrive", table: TABLES.trades, noun: "trade" };

export function checkTicks(args: TickCheck): Promise<CheckResult> {
  return checkArrival(args, TICKS);
}

/** Every trade is stored from the matches channel: one within the wait shows that path works. */
export function checkTrades(args: TickCheck): Promise<CheckResult> {
  return checkArrival(args, TRADES);
}

async function checkArrival(args: TickCheck, { check: CHECK, table, noun }: Arrival): Promise<CheckResult> {
  if (args.waitSeconds <= 0) return skipped(CHECK, "verificationTickWaitSeconds is 0");
  const handle = await openClickHouse({ url: args.url, username: args.user, password: args.password, application: "streamstack-verify" });
  try {
    const since = await scalar(handle.client, "SELECT toString(now64(6, 'UTC') - toIntervalSecond(5)) AS v");
    const deadline = Date.now() + args.waitSeconds * 1000;
    for (;;) {
      const rs = await handle.client.query({
        query: `SELECT count() AS n, toString(max(ingested_at)) AS newest FROM ${DATABASE}.${table} WHERE ingested_at >= toDateTime64({since:String}, 6, 'UTC')`,
        query_params: { since },
        format: "JSONEachRow",
      });
      const [row] = await rs.json<{ n: string | number; newest: string }>();
      const count = Number(row?.n ?? 0);
      if (count > 0) return ok(CHECK, `${count} ${noun}(s) stored since ${since} UTC, newest at ${row!.newest}`);
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, args.pollMs ?? 2_000));
    }
    const last = await scalar(handle.client, `SELECT if(count() = 0, 'never', toString(max(ingested_at))) AS v FROM ${DATABASE}.${table}`);
    return warning(
      CHECK,
      `no ${noun} stored within ${args.waitSeconds} s (last ${noun}: ${last})`,
      "the ingester may be offline or unable to reach wss://ws-feed.exchange.coinbase.com: check its container logs and ingest_dead_letters; dashboards fill once ticks flow",
    );
  } catch (err) {
    return failed(CHECK, `cannot read ${DATABASE}.${table}: ${(err as Error).message.split("\n")[0]}`, "check that SchemaMigrations ran against this ClickHouse");
  } finally {
    await handle.close();
  }
}

async function scalar(client: import("@clickhouse/client").ClickHouseClient, query: string, query_params: Record<string, unknown> = {}): Promise<string> {
  const rs = await client.query({ query, query_params, format: "JSONEachRow" });
  const [row] = await rs.json<{ v: string | number }>();
  return String(row?.v ?? "");
}
