// Create/update run the migration runner (sql/src/runner.ts) against the target through the one
// client factory; delete leaves the data unless dropData is set. Runs in the provider process.
import type * as pulumi from "@pulumi/pulumi";
import { openClickHouse, parseClickHouseUrl, validateClickHouseUrl } from "../../sql/src/client";
import { validateUser, type UserRole } from "../../sql/src/access";
import { loadMigrations } from "../../sql/src/migrations";
import { DATABASE } from "../../sql/src/names";
import { LEDGER_TABLE, migrate, readLedger } from "../../sql/src/runner";

export interface SchemaUser {
  readonly name: string;
  readonly role: UserRole;
  readonly password: string;
}

export interface SchemaMigrationsInputs {
  readonly clickhouseUrl: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly users: readonly SchemaUser[];
  readonly manageAccess: boolean;
  readonly rawRetentionDays: number;
  readonly migrationsChecksum: string;
  readonly dropData: boolean;
}

export interface SchemaMigrationsOutputs extends SchemaMigrationsInputs {
  readonly database: string;
  /** Every migration in the ledger as applied, in order. */
  readonly migrations: readonly string[];
  /** Users brought up to date (empty when manageAccess is false). */
  readonly userNames: readonly string[];
}

/** Inputs whose change needs a run of the migrator. dropData only matters at delete time. */
const MIGRATE_KEYS = ["clickhouseUrl", "adminUser", "adminPassword", "users", "manageAccess", "rawRetentionDays", "migrationsChecksum"] as const;

export function checkInputs(news: Partial<SchemaMigrationsInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  try {
    validateClickHouseUrl(String(news.clickhouseUrl ?? ""));
    if (hasCredentials(String(news.clickhouseUrl))) {
      fail("clickhouseUrl", "clickhouseUrl carries a user or password: the url is stored in plaintext, so give the login as adminUser/adminPassword (a secret) instead");
    }
  } catch (err) {
    fail("clickhouseUrl", (err as Error).message);
  }
  if (typeof news.adminUser !== "string" || news.adminUser.length === 0) fail("adminUser", "adminUser is empty: name the ClickHouse user that may run DDL");
  if (!Array.isArray(news.users)) fail("users", "users must be a list of {name, role, password}");
  for (const user of news.users ?? []) {
    try {
      validateUser(user);
    } catch (err) {
      fail("users", (err as Error).message);
    }
  }
  const days = news.rawRetentionDays;
  if (typeof days !== "number" || !Number.isInteger(days) || days < 0) {
    fail("rawRetentionDays", `rawRetentionDays is ${JSON.stringify(days)}: expected a whole number of days, 0 to keep raw ticks forever`);
  }
  if (typeof news.migrationsChecksum !== "string" || !/^[0-9a-f]{64}$/.test(news.migrationsChecksum)) {
    fail("migrationsChecksum", "migrationsChecksum must be the sha256 hex from schemaChecksum()");
  }
  return failures;
}

export function changedKeys(olds: Partial<SchemaMigrationsInputs>, news: Partial<SchemaMigrationsInputs>): string[] {
  const keys: string[] = MIGRATE_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
  if (Boolean(olds.dropData) !== Boolean(news.dropData)) keys.push("dropData");
  return keys;
}

async function run(inputs: SchemaMigrationsInputs): Promise<SchemaMigrationsOutputs> {
  const handle = await openClickHouse({ url: inputs.clickhouseUrl, username: inputs.adminUser, password: inputs.adminPassword, application: "streamstack-deploy" });
  try {
    await migrate(handle.client, {
      users: inputs.manageAccess ? inputs.users : [],
      manageAccess: inputs.manageAccess,
      rawRetentionDays: inputs.rawRetentionDays,
    });
    const ledger = await readLedger(handle.client);
    const migrations = [...ledger.values()].filter((row) => row.status === "applied").map((row) => row.name);
    const userNames = inputs.manageAccess ? inputs.users.map((u) => u.name) : [];
    return { ...inputs, database: DATABASE, migrations, userNames };
  } catch (err) {
    throw new Error(`SchemaMigrations could not migrate ClickHouse at ${inputs.clickhouseUrl}: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news: SchemaMigrationsInputs) {
    const normalized = { ...news, dropData: Boolean(news.dropData), manageAccess: news.manageAccess ?? true, users: news.users ?? [] };
    return { inputs: normalized, failures: checkInputs(normalized) };
  },
  async diff(_id, olds: SchemaMigrationsOutputs, news: SchemaMigrationsInputs) {
    const changed = changedKeys(olds, news);
    // After a refresh found migrations missing on the server (e.g. the database was dropped by
    // hand), the next up applies them again.
    const onDisk = loadMigrations().map((m) => m.name);
    if (olds.migrations && JSON.stringify(olds.migrations) !== JSON.stringify(onDisk) && !changed.includes("migrationsChecksum")) changed.push("migrations");
    // Another server or admin is another database: create there, then let the old one go.
    const replaces = changed.filter((k) => k === "clickhouseUrl");
    return { changes: changed.length > 0, replaces };
  },
  async create(inputs: SchemaMigrationsInputs) {
    const outs = await run(inputs);
    return { id: `${DATABASE}@${idOf(inputs.clickhouseUrl)}`, outs };
  },
  async read(id, props: SchemaMigrationsOutputs) {
    return { id, props: { ...props, migrations: await appliedOn(props) } };
  },
  async update(_id, olds: SchemaMigrationsOutputs, news: SchemaMigrationsInputs) {
    const onDisk = loadMigrations().map((m) => m.name);
    const migrationsMatch = JSON.stringify(olds.migrations) === JSON.stringify(onDisk);
    if (migrationsMatch && changedKeys(olds, news).every((k) => k === "dropData")) {
      return { outs: { ...olds, ...news } };
    }
    return { outs: await run(news) };
  },
  async delete(_id, props: SchemaMigrationsOutputs) {
    if (!props.dropData) return; // the data outlives the stack unless asked otherwise
    const handle = await openClickHouse({ url: props.clickhouseUrl, username: props.adminUser, password: props.adminPassword, application: "streamstack-deploy" });
    try {
      await handle.client.command({ query: `DROP DATABASE IF EXISTS ${DATABASE} SYNC`, clickhouse_settings: { wait_end_of_query: 1 } });
    } catch (err) {
      throw new Error(
        `SchemaMigrations could not drop ${DATABASE} at ${props.clickhouseUrl} (dropData is true): ${(err as Error).message}. ` +
          `Drop it by hand or set dropData to false to leave the data, then run destroy again.`,
      );
    } finally {
      await handle.close();
    }
  },
};

export function hasCredentials(url: string): boolean {
  try {
    const parsed = parseClickHouseUrl(url);
    return parsed.kind === "http" && parsed.hasCredentials;
  } catch {
    return false;
  }
}

/** Migrations recorded as applied on the server (empty when the database or ledger is gone). */
async function appliedOn(props: SchemaMigrationsInputs): Promise<string[]> {
  const handle = await openClickHouse({ url: props.clickhouseUrl, username: props.adminUser, password: props.adminPassword, application: "streamstack-deploy" });
  try {
    const rs = await handle.client.query({
      query: "SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = 'schema_migrations'",
      query_params: { db: DATABASE },
      format: "JSONEachRow",
    });
    if (Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0) === 0) return [];
    return [...(await readLedger(handle.client)).values()].filter((r) => r.status === "applied").map((r) => r.name);
  } catch (err) {
    throw new Error(`SchemaMigrations could not read ${LEDGER_TABLE} at ${props.clickhouseUrl}: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** The target without credentials, for the resource id. */
function idOf(url: string): string {
  const parsed = parseClickHouseUrl(url);
  return parsed.kind === "embedded" ? url : parsed.withoutCredentials;
}
