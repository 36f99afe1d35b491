// The migration runner on the embedded engine: applies everything on an empty database, is a
// no-op the second time, refuses edited / vanished / half-applied migrations, applies only new ones.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadMigrations, MIGRATIONS_DIR } from "../src/migrations";
import { DirtyMigrationError, LEDGER_TABLE, migrate, MigrationChecksumError, MigrationStatementError } from "../src/runner";
import { openTestEngine, suiteEngine } from "../testing/engine";
import type { ClickHouseClient } from "@clickhouse/client";

const FAST = { backfillGuardMs: 0, backfillSettleMs: 0, manageAccess: false } as const;

async function schemaSnapshot(client: ClickHouseClient): Promise<string[]> {
  const r = await client.query({
    query: `SELECT name, create_table_query FROM system.tables WHERE database = 'coinbase_demo' AND name != 'schema_migrations' ORDER BY name`,
    format: "JSONEachRow",
  });
  return (await r.json<{ name: string; create_table_query: string }>()).map((t) => `${t.name}: ${t.create_table_query}`);
}

async function ledgerRows(client: ClickHouseClient): Promise<number> {
  const r = await client.query({ query: `SELECT count() AS n FROM ${LEDGER_TABLE}`, format: "JSONEachRow" });
  return Number((await r.json<{ n: string }>())[0]!.n);
}

function copyMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), "streamstack-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe("migration runner", () => {
  const engine = suiteEngine(openTestEngine);

  test("applies every migration in order on an empty database", async () => {
    const result = await migrate(engine.client, FAST);
    const files = loadMigrations().map((m) => m.name);
    assert.deepEqual(result.applied, files);
    assert.deepEqual(files.map((f) => f.slice(0, 3)), ["001", "002", "003", "004", "005", "006", "007", "008", "009"]);
    assert.deepEqual(result.alreadyApplied, []);
    const tables = (await schemaSnapshot(engine.client)).map((t) => t.split(":")[0]);
    for (const table of ["coinbase_ticker", "ingest_dead_letters", "sequence_gaps", "ingest_stats", "trades_per_minute", "trades_per_minute_mv", "vwap_5m", "vwap_5m_mv", "ohlcv_1m", "ohlcv_1m_mv",
                         "trades", "backfill_gaps", "trade_ohlcv_1m", "trade_ohlcv_1m_mv", "trade_vwap_5m", "trade_vwap_5m_mv"]) {
      assert.ok(tables.includes(table), `table ${table} exists after migrating`);
    }
    // 'started' + 'applied' per migration
    assert.equal(await ledgerRows(engine.client), files.length * 2);
  });

  test("applying everything a second time changes nothing", async () => {
    const before = await schemaSnapshot(engine.client);
    const ledgerBefore = await ledgerRows(engine.client);
    const result = await migrate(engine.client, FAST);
    assert.deepEqual(result.applied, []);
    assert.equal(result.alreadyApplied.length, loadMigrations().length);
    assert.deepEqual(await schemaSnapshot(engine.client), before);
    assert.equal(await ledgerRows(engine.client), ledgerBefore);
  });

  test("refuses to run when an applied migration's file was edited, naming the file and the fix", async () => {
    const dir = copyMigrations();
    try {
      appendFileSync(join(dir, readdirSync(dir).sort()[1]!), "\n-- an innocent-looking edit\n");
      await assert.rejects(migrate(engine.client, { ...FAST, migrationsDir: dir }), (err: Error) => {
        assert.ok(err instanceof MigrationChecksumError);
        assert.match(err.message, /002_create_ingest_operational_tables was changed after it was applied/);
        assert.match(err.message, /new numbered migration/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("refuses to run when an applied migration's file is gone", async () => {
    const dir = copyMigrations();
    try {
      unlinkSync(join(dir, readdirSync(dir).sort()[0]!));
      await assert.rejects(migrate(engine.client, { ...FAST, migrationsDir: dir }), /001_create_database_and_raw_ticker was applied .* its file is gone/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a new migration is applied alone; a failing one is reported with its SQL and left dirty", async () => {
    const dir = copyMigrations();
    try {
      writeFileSync(join(dir, "900_add_probe_table.sql"), "-- test only\nCREATE TABLE IF NOT EXISTS coinbase_demo.probe (x UInt8) ENGINE = MergeTree ORDER BY x;\n");
      const result = await migrate(engine.client, { ...FAST, migrationsDir: dir });
      assert.deepEqual(result.applied, ["900_add_probe_table"]);

      writeFileSync(join(dir, "901_broken.sql"), "-- test only\nCREATE TABLE coinbase_demo.broken (x UInt8) ENGINE = NoSuchEngine;\n");
      await assert.rejects(migrate(engine.client, { ...FAST, migrationsDir: dir }), (err: Error) => {
        assert.ok(err instanceof MigrationStatementError);
        assert.match(err.message, /901_broken/);
        assert.match(err.message, /NoSuchEngine/);
        return true;
      });
      await assert.rejects(migrate(engine.client, { ...FAST, migrationsDir: dir }), (err: Error) => {
        assert.ok(err instanceof DirtyMigrationError);
        assert.match(err.message, /901_broken started .* did not finish/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await engine.client.command({ query: "DROP TABLE IF EXISTS coinbase_demo.probe" });
      await engine.client.command({ query: `ALTER TABLE ${LEDGER_TABLE} DELETE WHERE version >= 900`, clickhouse_settings: { mutations_sync: "2" } });
    }
  });

  test("retention: a TTL is set when asked and removed when set back to 0", async () => {
    const ttl = async () => {
      const r = await engine.client.query({ query: "SELECT create_table_query AS q FROM system.tables WHERE database = 'coinbase_demo' AND name = 'coinbase_ticker'", format: "JSONEachRow" });
      return (await r.json<{ q: string }>())[0]!.q;
    };
    await migrate(engine.client, { ...FAST, rawRetentionDays: 14 });
    assert.match(await ttl(), /TTL toDateTime\(time\) \+ toIntervalDay\(14\)/);
    await migrate(engine.client, { ...FAST, rawRetentionDays: 0 });
    assert.doesNotMatch(await ttl(), /TTL/);
    await assert.rejects(migrate(engine.client, { ...FAST, rawRetentionDays: -1 }), /rawRetentionDays is -1/);
  });
});
