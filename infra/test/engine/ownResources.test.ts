// Our dynamic resources under the real Pulumi engine (CLI + provider process + encrypted state),
// in a small inline program of their own: the providers' serialization, secrets and diffs are
// checked here independently of the whole stack (streamstack.test.ts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { loadMigrations } from "../../../sql/src/migrations";
import { withEngineAt } from "../../../sql/testing/engine";
import { RandomSecret } from "../../dynamic/randomSecret";
import { SchemaMigrations } from "../../dynamic/schemaMigrations";
import { backendFiles, changingSteps, cliUnavailable, createEngineStack, type EngineStack } from "./harness";

const skip = cliUnavailable();

async function program() {
  const config = new pulumi.Config("streamstack");
  const schema = new SchemaMigrations("schema", {
    clickhouseUrl: config.require("clickhouseUrl"),
    adminUser: "default",
    adminPassword: config.requireSecret("clickhouseAdminPassword"),
    users: [{ name: "streamstack_grafana", role: "reader", password: config.requireSecret("grafanaClickhousePassword") }],
    manageAccess: false,
    rawRetentionDays: config.requireNumber("rawRetentionDays"),
    dropData: config.getBoolean("dropData") ?? false,
  });
  const generated = new RandomSecret("superset-admin-password", { length: 32 });
  return { migrations: schema.migrations, generatedPassword: generated.result };
}

async function databaseExists(dir: string): Promise<boolean> {
  return withEngineAt(dir, async (client) => {
    const rs = await client.query({ query: "SELECT count() AS n FROM system.databases WHERE name = 'coinbase_demo'", format: "JSONEachRow" });
    const [row] = await rs.json<{ n: number | string }>();
    return Number(row?.n) === 1;
  });
}

describe("our dynamic resources under the real engine", { skip, timeout: 15 * 60_000 }, () => {
  let env: EngineStack;
  let dataDir: string;
  const adminPassword = randomBytes(18).toString("base64url");
  const grafanaPassword = randomBytes(18).toString("base64url");

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "streamstack-engine-ch-"));
    env = await createEngineStack(program);
    await env.stack.setAllConfig({
      "streamstack:clickhouseUrl": { value: `chdb:${dataDir}` },
      "streamstack:clickhouseAdminPassword": { value: adminPassword, secret: true },
      "streamstack:grafanaClickhousePassword": { value: grafanaPassword, secret: true },
      "streamstack:rawRetentionDays": { value: "0" },
    });
  });
  after(async () => {
    await env?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let generatedPassword = "";

  test("up creates the resources in the provider process and applies every migration", async () => {
    const result = await env.stack.up({ onOutput: () => undefined });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(result.summary.resourceChanges, { create: 3 });
    const names = loadMigrations().map((m) => m.name);
    assert.deepEqual(result.outputs.migrations?.value, names);
    generatedPassword = result.outputs.generatedPassword?.value;
    assert.equal(result.outputs.generatedPassword?.secret, true);
    assert.match(generatedPassword, /^[A-Za-z0-9_-]{32}$/);
    await withEngineAt(dataDir, async (client) => {
      const rs = await client.query({ query: "SELECT DISTINCT name FROM coinbase_demo.schema_migrations WHERE status = 'applied' ORDER BY name", format: "JSONEachRow" });
      assert.deepEqual((await rs.json<{ name: string }>()).map((r) => r.name), names);
    });
  });

  test("a second up changes nothing", async () => {
    env.events.length = 0;
    const result = await env.stack.up({ onEvent: (e) => env.events.push(e) });
    assert.deepEqual(result.summary.resourceChanges, { same: 3 });
    assert.deepEqual(changingSteps(env.events), []);
  });

  test("the state holds no password in plaintext", async () => {
    const files = backendFiles(env.backendDir);
    assert.ok([...files.keys()].some((f) => f.endsWith(".json")), "the backend has a state file");
    // The secrets are there, encrypted (the SDK's secret signature wrapping a ciphertext). The
    // Automation API's exportStack decrypts, so read the backend's own file.
    const [stateFile, state] = [...files].find(([f]) => /\/stacks\/streamstack\/[^/]+\.json$/.test(f)) ?? [];
    assert.ok(stateFile && state, `a current state file under ${env.backendDir}`);
    assert.ok((state.match(/"ciphertext"/g) ?? []).length >= 3, "secret values are stored as ciphertext");
    for (const [label, secret] of Object.entries({ adminPassword, grafanaPassword, generatedPassword })) {
      assert.ok(secret.length >= 16);
      for (const [file, text] of files) assert.ok(!text.includes(secret), `${label} appears in plaintext in ${file}`);
    }
  });

  test("preview after a config change shows an update of exactly the schema resource", async () => {
    await env.stack.setConfig("streamstack:rawRetentionDays", { value: "30" });
    env.events.length = 0;
    const preview = await env.stack.preview({ onEvent: (e) => env.events.push(e) });
    // The dynamic provider itself is configured with the stack's config, so a config edit also
    // shows as an update of the provider: engine bookkeeping, not a change to anything deployed.
    const resources = changingSteps(env.events).filter((s) => !s.type.startsWith("pulumi:providers:"));
    assert.deepEqual(resources, [{ op: "update", type: "pulumi-nodejs:dynamic/streamstack:SchemaMigrations", name: "schema" }]);
    assert.equal(preview.changeSummary.update, 1);
    await env.stack.setConfig("streamstack:rawRetentionDays", { value: "0" });
  });

  test("refresh notices a database dropped by hand and the next up migrates it again", async () => {
    await withEngineAt(dataDir, (client) => client.command({ query: "DROP DATABASE coinbase_demo SYNC" }).then(() => undefined));
    await env.stack.refresh({ onOutput: () => undefined });
    env.events.length = 0;
    const result = await env.stack.up({ onEvent: (e) => env.events.push(e) });
    assert.deepEqual(changingSteps(env.events), [{ op: "update", type: "pulumi-nodejs:dynamic/streamstack:SchemaMigrations", name: "schema" }]);
    assert.deepEqual(result.outputs.migrations?.value, loadMigrations().map((m) => m.name));
    assert.equal(await databaseExists(dataDir), true);
  });

  test("destroy leaves the ClickHouse data and empties the stack", async () => {
    const result = await env.stack.destroy({ onOutput: () => undefined });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual((await env.stack.exportStack()).deployment.resources ?? [], []);
    assert.equal(await databaseExists(dataDir), true);
  });

  test("with dropData, destroy drops the database", async () => {
    await env.stack.setConfig("streamstack:dropData", { value: "true" });
    const up = await env.stack.up({ onOutput: () => undefined });
    assert.deepEqual(up.summary.resourceChanges, { create: 3 });
    await env.stack.destroy({ onOutput: () => undefined });
    assert.equal(await databaseExists(dataDir), false);
  });
});
