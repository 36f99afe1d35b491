// The schema provider's create/update/delete logic, run in-process against the embedded engine.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openTestEngine, type TestEngine } from "../../sql/testing/engine";
import { loadMigrations } from "../../sql/src/migrations";
import { changedKeys, checkInputs, provider, type SchemaMigrationsInputs, type SchemaMigrationsOutputs } from "./schemaMigrationsProvider";
import { schemaChecksum } from "./schemaChecksum";

function inputsFor(url: string, extra: Partial<SchemaMigrationsInputs> = {}): SchemaMigrationsInputs {
  return {
    clickhouseUrl: url,
    adminUser: "default",
    adminPassword: "",
    users: [],
    manageAccess: false,
    rawRetentionDays: 0,
    migrationsChecksum: schemaChecksum(),
    dropData: false,
    ...extra,
  };
}

async function databases(engine: TestEngine): Promise<string[]> {
  const rs = await engine.client.query({ query: "SELECT name FROM system.databases WHERE name = 'coinbase_demo'", format: "JSONEachRow" });
  return (await rs.json<{ name: string }>()).map((r) => r.name);
}

describe("SchemaMigrations provider on the embedded engine", () => {
  let dir: string;
  let url: string;

  before(async () => {
    const engine = await openTestEngine();
    dir = engine.dir;
    url = engine.url;
    await engine.close({ keepDir: true }); // the provider opens the directory itself
  });
  after(async () => {
    const engine = await openTestEngine({ dir });
    await engine.close();
  });

  test("create applies every migration and reports them from the ledger", async () => {
    const created = await provider.create(inputsFor(url));
    const outs = created.outs as SchemaMigrationsOutputs;
    assert.deepEqual(outs.migrations, loadMigrations().map((m) => m.name));
    assert.equal(created.id, `coinbase_demo@${url}`);
    assert.deepEqual(outs.userNames, []);
    const engine = await openTestEngine({ dir });
    try {
      const rs = await engine.client.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'coinbase_demo' AND name = 'coinbase_ticker'", format: "JSONEachRow" });
      assert.deepEqual((await rs.json<{ n: number | string }>()).map((r) => Number(r.n)), [1]);
    } finally {
      await engine.close({ keepDir: true });
    }
  });

  test("update with a new retention applies the TTL; a second identical update changes nothing", async () => {
    const olds = (await provider.create(inputsFor(url))).outs as SchemaMigrationsOutputs;
    const news = inputsFor(url, { rawRetentionDays: 7 });
    assert.deepEqual(changedKeys(olds, news), ["rawRetentionDays"]);
    assert.deepEqual(await provider.diff!("id", olds, news), { changes: true, replaces: [] });
    const updated = (await provider.update!("id", olds, news)).outs as SchemaMigrationsOutputs;
    assert.equal(updated.rawRetentionDays, 7);
    assert.deepEqual(await provider.diff!("id", updated, news), { changes: false, replaces: [] });
    const engine = await openTestEngine({ dir });
    try {
      const rs = await engine.client.query({ query: "SELECT create_table_query AS q FROM system.tables WHERE database = 'coinbase_demo' AND name = 'coinbase_ticker'", format: "JSONEachRow" });
      const [row] = await rs.json<{ q: string }>();
      assert.match(row!.q, /TTL toDateTime\(time\) \+ toIntervalDay\(7\)/);
    } finally {
      await engine.close({ keepDir: true });
    }
  });

  test("a changed checksum or password is an update, another url a replacement", async () => {
    const olds = { ...inputsFor(url), database: "coinbase_demo", migrations: [], userNames: [] };
    assert.deepEqual(await provider.diff!("id", olds, inputsFor(url, { migrationsChecksum: "0".repeat(64) })), { changes: true, replaces: [] });
    assert.deepEqual(await provider.diff!("id", olds, inputsFor(url, { adminPassword: "another-password-123" })), { changes: true, replaces: [] });
    assert.deepEqual(await provider.diff!("id", olds, inputsFor("chdb:/elsewhere")), { changes: true, replaces: ["clickhouseUrl"] });
  });

  test("delete leaves the data unless dropData is set, and then drops the database", async () => {
    const outs = (await provider.create(inputsFor(url))).outs as SchemaMigrationsOutputs;
    await provider.delete!("id", outs);
    let engine = await openTestEngine({ dir });
    try {
      assert.deepEqual(await databases(engine), ["coinbase_demo"]);
    } finally {
      await engine.close({ keepDir: true });
    }
    await provider.delete!("id", { ...outs, dropData: true });
    engine = await openTestEngine({ dir });
    try {
      assert.deepEqual(await databases(engine), []);
    } finally {
      await engine.close({ keepDir: true });
    }
  });

  test("a refresh that finds the database gone makes the next up apply the migrations again", async () => {
    const outs = (await provider.create(inputsFor(url))).outs as SchemaMigrationsOutputs;
    await provider.delete!("id", { ...outs, dropData: true });
    const refreshed = (await provider.read!("id", outs)).props as SchemaMigrationsOutputs;
    assert.deepEqual(refreshed.migrations, []);
    assert.deepEqual(await provider.diff!("id", refreshed, inputsFor(url)), { changes: true, replaces: [] });
    const updated = (await provider.update!("id", refreshed, inputsFor(url))).outs as SchemaMigrationsOutputs;
    assert.deepEqual(updated.migrations, loadMigrations().map((m) => m.name));
    assert.deepEqual((await provider.read!("id", updated)).props.migrations, updated.migrations);
    assert.deepEqual(await provider.diff!("id", updated, inputsFor(url)), { changes: false, replaces: [] });
  });

  test("check names each bad input", () => {
    const failures = checkInputs({ ...inputsFor("ftp://x"), rawRetentionDays: -1, users: [{ name: "Bad Name", role: "reader", password: "short" }] });
    assert.deepEqual(failures.map((f) => f.property).sort(), ["clickhouseUrl", "rawRetentionDays", "users"]);
    assert.match(failures.find((f) => f.property === "clickhouseUrl")!.reason, /ftp:/);
    const withLogin = checkInputs(inputsFor("http://admin:hunter2-hunter2@clickhouse:8123"));
    assert.deepEqual(withLogin.map((f) => f.property), ["clickhouseUrl"]);
    assert.match(withLogin[0]!.reason, /carries a user or password/);
    assert.ok(!withLogin[0]!.reason.includes("hunter2"));
  });

  test("a failed migration names the target and the cause", async () => {
    await assert.rejects(provider.create(inputsFor("http://127.0.0.1:9/")), /SchemaMigrations could not migrate ClickHouse at http:\/\/127\.0\.0\.1:9\//);
  });
});
