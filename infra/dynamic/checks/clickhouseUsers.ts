// Each platform user can do what its role needs and nothing more, probed by logging in as that
// user. Probes that must be refused write nothing even when wrongly allowed (INSERT … WHERE 0),
// except CREATE TABLE, which is dropped again right away.
import type { ClickHouseClient } from "@clickhouse/client";
import type { UserRole } from "../../../sql/src/access";
import { isEmbeddedUrl, openClickHouse } from "../../../sql/src/client";
import { DATABASE } from "../../../sql/src/names";
import { TRADE_COLUMNS } from "../../../sql/src/rows";
import { failed, ok, skipped, type CheckResult } from "./result";

export interface ProbedUser {
  readonly name: string;
  readonly role: UserRole;
  readonly password: string;
}

interface Probe {
  readonly what: string;
  readonly sql: string;
  /** Run when a refused-by-design probe was allowed, to undo it. */
  readonly undo?: string;
}

const PROBE_TABLE = `${DATABASE}.streamstack_verify_probe`;
const CREATE_PROBE: Probe = {
  what: "create a table",
  sql: `CREATE TABLE ${PROBE_TABLE} (x UInt8) ENGINE = Memory`,
  undo: `DROP TABLE IF EXISTS ${PROBE_TABLE}`,
};
const INSERT_PROBE: Probe = {
  what: "insert into ingest_stats",
  sql: `INSERT INTO ${DATABASE}.ingest_stats (instance) SELECT 'streamstack-verify' WHERE 0`,
};

/** What each role must be able to do, and what it must be refused. */
export const PROBES: Record<UserRole, { allowed: Probe[]; refused: Probe[] }> = {
  writer: {
    allowed: [
      INSERT_PROBE,
      { what: "read the last stored sequence", sql: `SELECT max(sequence) FROM ${DATABASE}.coinbase_ticker` },
      // The ingester's insert-time identity check (ingest/src/sinks/identities.ts) and the backfill's reads.
      {
        what: "look up stored ticker identities",
        sql: `SELECT product_id, sequence AS id FROM ${DATABASE}.coinbase_ticker WHERE product_id = 'BTC-USD' AND time >= '2000-01-01 00:00:00.000000' AND time <= '2000-01-01 00:00:00.000000' AND sequence IN (1)`,
      },
      { what: "look up stored trades", sql: `SELECT product_id, trade_id AS id FROM ${DATABASE}.trades WHERE product_id = 'BTC-USD' AND trade_id IN (1)` },
      { what: "insert trades", sql: `INSERT INTO ${DATABASE}.trades (${TRADE_COLUMNS.join(", ")}) SELECT ${TRADE_COLUMNS.join(", ")} FROM ${DATABASE}.trades WHERE 0` },
      { what: "record backfill states", sql: `INSERT INTO ${DATABASE}.backfill_gaps (product_id) SELECT 'streamstack-verify' WHERE 0` },
      { what: "read open backfill gaps", sql: `SELECT count() FROM ${DATABASE}.backfill_gaps` },
    ],
    refused: [
      { what: "read prices from coinbase_ticker", sql: `SELECT price FROM ${DATABASE}.coinbase_ticker LIMIT 1` },
      { what: "read the rollups", sql: `SELECT count() FROM ${DATABASE}.trades_per_minute` },
      CREATE_PROBE,
    ],
  },
  reader: {
    allowed: [
      { what: "read the rollups", sql: `SELECT count() FROM ${DATABASE}.trades_per_minute` },
      { what: "read raw ticks", sql: `SELECT count() FROM ${DATABASE}.coinbase_ticker` },
    ],
    refused: [INSERT_PROBE, CREATE_PROBE],
  },
};

/** ACCESS_DENIED (497), READONLY (164), or the message ClickHouse uses for both. */
export function isRefusal(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === "497" || e.code === "164" || /Not enough privileges|ACCESS_DENIED|READONLY|Cannot execute query in readonly mode/.test(e.message ?? "");
}

async function run(client: ClickHouseClient, sql: string): Promise<void> {
  await client.command({ query: sql, clickhouse_settings: { wait_end_of_query: 1 } });
}

/** Runs the role's probes on an open client (as the user being checked). */
export async function probeAccess(client: ClickHouseClient, name: string, role: UserRole): Promise<CheckResult> {
  const check = `clickhouse user ${name} (${role})`;
  const cannot: string[] = [];
  const tooMuch: string[] = [];
  for (const probe of PROBES[role].allowed) {
    try {
      await run(client, probe.sql);
    } catch (err) {
      cannot.push(`${probe.what} (${firstLine(err)})`);
    }
  }
  for (const probe of PROBES[role].refused) {
    try {
      await run(client, probe.sql);
      tooMuch.push(probe.what);
      if (probe.undo) await run(client, probe.undo).catch(() => undefined);
    } catch (err) {
      if (!isRefusal(err)) cannot.push(`check that it may not ${probe.what} (${firstLine(err)})`);
    }
  }
  if (cannot.length === 0 && tooMuch.length === 0) {
    return ok(check, `can ${PROBES[role].allowed.map((p) => p.what).join(", ")}; refused ${PROBES[role].refused.map((p) => p.what).join(", ")}`);
  }
  const parts = [
    ...(cannot.length > 0 ? [`cannot ${cannot.join("; ")}`] : []),
    ...(tooMuch.length > 0 ? [`is allowed to ${tooMuch.join(", ")}, which its role must not`] : []),
  ];
  return failed(
    check,
    parts.join("; "),
    tooMuch.length > 0
      ? `check the grants of role streamstack_${role} and of ${name} (SHOW GRANTS FOR ${name}) against sql/access/roles_and_profiles.sql, then npm run up again`
      : `check that migrations ran and ${name} has role streamstack_${role} (SHOW GRANTS FOR ${name}); npm run up again to re-apply sql/access`,
  );
}

/** Logs in as each user over HTTP and probes its access. The embedded engine has no users: skipped. */
export async function checkUsers(url: string, users: readonly ProbedUser[]): Promise<CheckResult[]> {
  if (users.length === 0) return [skipped("clickhouse users", "no users are managed by this stack (manageClickhouseUsers is false)")];
  if (isEmbeddedUrl(url)) return [skipped("clickhouse users", `the embedded engine (${url}) has no user accounts to log in as`)];
  const results: CheckResult[] = [];
  for (const user of users) {
    const handle = await openClickHouse({ url, username: user.name, password: user.password, application: "streamstack-verify", requestTimeoutMs: 15_000 });
    try {
      await handle.client.command({ query: "SELECT 1" });
    } catch (err) {
      results.push(failed(`clickhouse user ${user.name} (${user.role})`, `cannot log in at ${url}: ${firstLine(err)}`, `check that SchemaMigrations created ${user.name} with the password the stack holds (manageClickhouseUsers must be true), then npm run up again`));
      await handle.close();
      continue;
    }
    try {
      results.push(await probeAccess(handle.client, user.name, user.role));
    } finally {
      await handle.close();
    }
  }
  return results;
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split("\n")[0]!.slice(0, 300);
}
