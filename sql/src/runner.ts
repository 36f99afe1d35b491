// Applies pending migrations in order, records each in a ledger with its checksum, then brings
// roles, profiles, users and the raw-data TTL to the state asked for. Safe to run on every deploy.
import type { ClickHouseClient } from "@clickhouse/client";
import { accessStatements, userStatements, type UserSpec } from "./access";
import { loadMigrations, MIGRATIONS_DIR, substituteCutoff, type Migration } from "./migrations";
import { DATABASE, qualified, TABLES } from "./names";

export const LEDGER_TABLE = qualified(TABLES.migrations);

export interface MigrateOptions {
  /** Folder of numbered migrations (default: sql/migrations). */
  readonly migrationsDir?: string;
  /** Users to create or update. Empty or absent: users are left alone. */
  readonly users?: readonly UserSpec[];
  /** Apply sql/access (roles and profiles) and the users. Off where the target forbids CREATE USER. */
  readonly manageAccess?: boolean;
  /** Raw-tick retention in days; 0 or absent removes the TTL. */
  readonly rawRetentionDays?: number;
  /**
   * How far ahead of "now" a new materialized view starts taking rows, and how long to wait
   * after that moment before backfilling older rows, so that inserts in flight land on exactly
   * one side. Tests with no concurrent inserts set both to 0.
   */
  readonly backfillGuardMs?: number;
  readonly backfillSettleMs?: number;
  /** Progress lines (no secrets are ever passed here). */
  readonly log?: (line: string) => void;
}

export interface MigrateResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: readonly string[];
  readonly users: readonly string[];
  readonly rawRetentionDays: number;
}

/** A migration file changed after it was applied. */
export class MigrationChecksumError extends Error {}
/** A migration started but never finished: its statements may be half applied. */
export class DirtyMigrationError extends Error {}
/** A statement failed; carries the migration and the SQL. */
export class MigrationStatementError extends Error {
  constructor(
    message: string,
    readonly migration: string,
    readonly statement: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

interface LedgerRow {
  version: number;
  name: string;
  checksum: string;
  status: "started" | "applied";
  applied_at: string;
}

const DDL_SETTINGS = { wait_end_of_query: 1 } as const;

export async function migrate(client: ClickHouseClient, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const migrations = loadMigrations(options.migrationsDir ?? MIGRATIONS_DIR);
  const retention = options.rawRetentionDays ?? 0;
  if (!Number.isInteger(retention) || retention < 0) {
    throw new Error(`rawRetentionDays is ${retention}: expected a whole number of days, 0 to keep raw ticks forever`);
  }
  for (const user of options.users ?? []) userStatements(user); // validates before anything runs

  await exec(client, `CREATE DATABASE IF NOT EXISTS ${DATABASE}`);
  await exec(
    client,
    `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
       version UInt32, name String, checksum String,
       status Enum8('started' = 1, 'applied' = 2),
       applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
     ) ENGINE = MergeTree ORDER BY (version, applied_at)`,
  );

  const ledger = await readLedger(client);
  checkLedger(ledger, migrations);

  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  for (const migration of migrations) {
    if (ledger.get(migration.version)?.status === "applied") {
      alreadyApplied.push(migration.name);
      continue;
    }
    log(`applying ${migration.name}`);
    await applyMigration(client, migration, options);
    applied.push(migration.name);
  }

  const users: string[] = [];
  if (options.manageAccess ?? true) {
    for (const statement of accessStatements()) await exec(client, statement);
    for (const user of options.users ?? []) {
      for (const statement of userStatements(user)) await exec(client, statement, `user ${user.name}`);
      users.push(user.name);
      log(`user ${user.name} (${user.role}) is up to date`);
    }
  }

  await applyRetention(client, retention);
  return { applied, alreadyApplied, users, rawRetentionDays: retention };
}

/** The ledger's last row per version. */
export async function readLedger(client: ClickHouseClient): Promise<Map<number, LedgerRow>> {
  const result = await client.query({
    // Ties in applied_at (a fast migration) resolve to 'applied', the later status.
    query: `SELECT version, argMax(name, (applied_at, status)) AS last_name,
                   argMax(checksum, (applied_at, status)) AS last_checksum,
                   argMax(status, (applied_at, status)) AS last_status, toString(max(applied_at)) AS last_at
            FROM ${LEDGER_TABLE} GROUP BY version ORDER BY version`,
    format: "JSONEachRow",
  });
  const rows = await result.json<{ version: number; last_name: string; last_checksum: string; last_status: LedgerRow["status"]; last_at: string }>();
  return new Map(
    rows.map((r) => [
      Number(r.version),
      { version: Number(r.version), name: r.last_name, checksum: r.last_checksum, status: r.last_status, applied_at: r.last_at },
    ]),
  );
}

function checkLedger(ledger: Map<number, LedgerRow>, migrations: Migration[]): void {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of ledger.values()) {
    const file = byVersion.get(row.version);
    if (!file) {
      throw new MigrationChecksumError(
        `Migration ${row.name} was applied on ${row.applied_at} but its file is gone from sql/migrations. ` +
          `Migrations are forward-only: restore the file and add a new migration for the change.`,
      );
    }
    if (row.status === "started") {
      throw new DirtyMigrationError(
        `Migration ${row.name} started on ${row.applied_at} and did not finish, so it may be half applied. ` +
          `Check what it created in ${DATABASE}, finish or undo it by hand, then record it with ` +
          `INSERT INTO ${LEDGER_TABLE} (version, name, checksum, status) VALUES (${row.version}, '${row.name}', '${file.checksum}', 'applied') ` +
          `or drop what it made and delete its 'started' row, and run the migrator again.`,
      );
    }
    if (row.checksum !== file.checksum) {
      throw new MigrationChecksumError(
        `Migration ${file.name} was changed after it was applied on ${row.applied_at} ` +
          `(checksum ${row.checksum.slice(0, 12)}… applied, ${file.checksum.slice(0, 12)}… on disk). ` +
          `Migrations are forward-only: revert the edit (git checkout ${relativeFile(file.file)}) and put the change in a new numbered migration.`,
      );
    }
  }
}

function relativeFile(file: string): string {
  const at = file.lastIndexOf("sql/migrations/");
  return at === -1 ? file : file.slice(at);
}

async function applyMigration(client: ClickHouseClient, migration: Migration, options: MigrateOptions): Promise<void> {
  await recordLedger(client, migration, "started");
  let cutoff: string | undefined;
  if (migration.usesBackfillCutoff) cutoff = await serverTimeIso(client, options.backfillGuardMs ?? 1_000);
  let waited = false;
  for (const raw of migration.statements) {
    let statement = raw;
    if (cutoff !== undefined) {
      statement = substituteCutoff(raw, cutoff);
      const isBackfill = /^\s*(--[^\n]*\n\s*)*INSERT\b/i.test(raw) && raw !== statement;
      if (isBackfill && !waited) {
        await waitUntilServerPasses(client, cutoff, options.backfillSettleMs ?? 2_000);
        waited = true;
      }
    }
    await exec(client, statement, migration.name);
  }
  await recordLedger(client, migration, "applied");
}

async function recordLedger(client: ClickHouseClient, migration: Migration, status: LedgerRow["status"]): Promise<void> {
  await client.insert({
    table: LEDGER_TABLE,
    values: [{ version: migration.version, name: migration.name, checksum: migration.checksum, status }],
    format: "JSONEachRow",
    clickhouse_settings: { async_insert: 0, insert_deduplicate: 0 },
  });
}

async function serverTimeIso(client: ClickHouseClient, aheadMs: number): Promise<string> {
  const result = await client.query({
    query: `SELECT toString(now64(6, 'UTC') + toIntervalMillisecond({ahead:UInt32})) AS t`,
    query_params: { ahead: Math.max(0, Math.round(aheadMs)) },
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ t: string }>();
  if (!row) throw new Error("ClickHouse returned no row for now64()");
  return row.t;
}

/** Waits until the server clock is past cutoff + settle, so every insert stamped before the cutoff has landed. */
async function waitUntilServerPasses(client: ClickHouseClient, cutoff: string, settleMs: number): Promise<void> {
  for (;;) {
    const result = await client.query({
      query: `SELECT dateDiff('millisecond', toDateTime64({cutoff:String}, 6, 'UTC'), now64(6, 'UTC')) AS past`,
      query_params: { cutoff },
      format: "JSONEachRow",
    });
    const [row] = await result.json<{ past: number | string }>();
    const remaining = settleMs - Number(row?.past ?? 0);
    if (remaining <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(remaining, 1_000)));
  }
}

async function applyRetention(client: ClickHouseClient, days: number): Promise<void> {
  const table = `${DATABASE}.coinbase_ticker`;
  if (days > 0) {
    await exec(client, `ALTER TABLE ${table} MODIFY TTL toDateTime(time) + INTERVAL ${days} DAY`, "retention");
    return;
  }
  const result = await client.query({
    query: `SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = 'coinbase_ticker'`,
    query_params: { db: DATABASE },
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ create_table_query: string }>();
  if (row && /\bTTL\b/.test(row.create_table_query)) await exec(client, `ALTER TABLE ${table} REMOVE TTL`, "retention");
}

async function exec(client: ClickHouseClient, statement: string, context = "setup"): Promise<void> {
  try {
    await client.command({ query: statement, clickhouse_settings: DDL_SETTINGS });
  } catch (err) {
    const message = (err as Error).message;
    throw new MigrationStatementError(`${context}: ClickHouse refused a statement: ${message}\n--- statement ---\n${redact(statement)}`, context, redact(statement), err);
  }
}

/** User statements carry password hashes; keep them out of error text and logs. */
function redact(statement: string): string {
  return statement.replace(/BY '[0-9a-f]{64}'/g, "BY '<sha256 redacted>'");
}
