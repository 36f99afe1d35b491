// Issue 8 §4: the whole program (infra/program.ts `streamstack`) under the real Pulumi engine in
// the external-services configuration: ClickHouse = the embedded engine (chdb:<dir>), users not
// managed (the embedded engine refuses CREATE USER), Superset = a real Superset from PyPI behind
// a loopback relay (so it can be taken off the network), Grafana and the ingester disabled. The
// stack then holds only our own dynamic resources, which need no provider plugin.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { loadQueries, QUERIES_DIR } from "../../../sql/src/queries";
import { loadMigrations } from "../../../sql/src/migrations";
import { withEngineAt } from "../../../sql/testing/engine";
import { buildAssets } from "../../../superset/src/assets";
import { buildBundle } from "../../../superset/src/bundle";
import { SupersetClient, type AssetKind } from "../../../superset/src/importer";
import { startSuperset, supersetAvailability, type SupersetServer } from "../../../superset/testing/server";
import { streamstack } from "../../program";
import { backendFiles, changingSteps, cliUnavailable, createEngineStack, externalServicesChecks, type EngineStack } from "./harness";
import { TcpProxy } from "./tcpProxy";

const noCli = cliUnavailable();
const superset = supersetAvailability();
const noSuperset = superset.ok ? undefined : `no real Superset here: ${superset.reason}`;
if (noSuperset && !noCli) console.log(`# skipping the Superset parts of the engine test: ${noSuperset}`);

const SUPERSET_ASSETS_TYPE = /SupersetAssets/;
const KINDS: AssetKind[] = ["database", "dataset", "chart", "dashboard"];

/** Queries the Superset datasets are built from (the only users of sql/queries in this configuration). */
function supersetQueries(): string[] {
  return [...new Set(buildAssets({ host: "clickhouse", port: 8123, username: "streamstack_superset" }).datasets.map((d) => d.query))].sort();
}

/** Edits a query file for the duration of `f` (a comment line at the top of its SQL body) and restores it. */
async function withEditedQuery<T>(name: string, f: () => Promise<T>): Promise<T> {
  const file = join(QUERIES_DIR, `${name}.sql`);
  const original = readFileSync(file, "utf8");
  const lines = original.split("\n");
  const bodyStart = lines.findIndex((l) => !/^--\s*(name|description|params|columns):/.test(l));
  lines.splice(bodyStart, 0, "/* edited by infra/test/engine/streamstack.test.ts */");
  const restore = () => writeFileSync(file, original);
  process.once("exit", restore);
  writeFileSync(file, lines.join("\n"));
  try {
    return await f();
  } finally {
    restore();
    process.removeListener("exit", restore);
  }
}

describe("streamstack under the real Pulumi engine (external services)", { skip: noCli, timeout: 40 * 60_000 }, () => {
  let env: EngineStack;
  let dataDir: string;
  let server: SupersetServer | undefined;
  let proxy: TcpProxy | undefined;
  let client: SupersetClient | undefined;
  const secrets = {
    clickhouseAdminPassword: randomBytes(18).toString("base64url"),
    supersetReaderPassword: randomBytes(18).toString("base64url"),
  };

  async function countsByKind(): Promise<Record<AssetKind, string[]>> {
    const out = {} as Record<AssetKind, string[]>;
    for (const kind of KINDS) {
      const body = await client!.getJson<{ result: Array<{ uuid: string }> }>(`/api/v1/${kind}/?q=${encodeURIComponent("(columns:!(uuid),page_size:100)")}`);
      out[kind] = body.result.map((r) => String(r.uuid)).sort();
    }
    return out;
  }

  async function assetsResource(): Promise<{ urn: string; outputs: Record<string, unknown> } | undefined> {
    const resources = (await env.stack.exportStack()).deployment.resources ?? [];
    return resources.find((r: { type: string }) => SUPERSET_ASSETS_TYPE.test(r.type));
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "streamstack-engine-ch-"));
    const config: ConfigMap = {
      "streamstack:clickhouseUrl": { value: `chdb:${dataDir}` },
      "streamstack:manageClickhouseUsers": { value: "false" },
      "streamstack:grafanaEnabled": { value: "false" },
      "streamstack:ingesterEnabled": { value: "false" },
      "streamstack:clickhouseAdminPassword": { value: secrets.clickhouseAdminPassword, secret: true },
      "streamstack:supersetReaderPassword": { value: secrets.supersetReaderPassword, secret: true },
    };
    if (noSuperset) {
      config["streamstack:supersetEnabled"] = { value: "false" };
    } else {
      server = await startSuperset({ log: (line) => console.log(`# ${line}`) });
      proxy = await TcpProxy.start(Number(new URL(server.url).port));
      config["streamstack:supersetUrl"] = { value: proxy.url };
      config["streamstack:supersetAdminUser"] = { value: server.username };
      config["streamstack:supersetAdminPassword"] = { value: server.password, secret: true };
      client = await SupersetClient.connect({ url: server.url, username: server.username, password: server.password });
    }
    env = await createEngineStack(async () => streamstack());
    await env.stack.setAllConfig(config);
  });

  after(async () => {
    await env?.dispose();
    await proxy?.pause();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("an up while Superset is down fails naming the resource, the url and what to do", { skip: noSuperset }, async () => {
    await proxy!.pause();
    try {
      await assert.rejects(env.stack.up({ onOutput: () => undefined }), (err: Error) => {
        assert.match(err.message, /SupersetAssets/, "names the resource");
        assert.ok(err.message.includes(proxy!.url), `names the url ${proxy!.url}`);
        assert.match(err.message, /running|start|check|is the url right/i, "says what to do");
        for (const secret of [server!.password, ...Object.values(secrets)]) assert.ok(!err.message.includes(secret), "no secret in the error");
        return true;
      });
    } finally {
      await proxy!.resume();
    }
  });

  test("up applies the migrations and imports the Superset assets; nothing is duplicated after the failed up", async () => {
    const result = await env.stack.up({ onOutput: () => undefined });
    assert.equal(result.summary.result, "succeeded");
    const names = loadMigrations().map((m) => m.name);
    assert.deepEqual(result.outputs.migrations?.value, names);
    await withEngineAt(dataDir, async (ch) => {
      const rs = await ch.query({ query: "SELECT DISTINCT name FROM coinbase_demo.schema_migrations WHERE status = 'applied' ORDER BY name", format: "JSONEachRow" });
      assert.deepEqual((await rs.json<{ name: string }>()).map((r) => r.name), names);
      const tables = await ch.query({ query: "SELECT name FROM system.tables WHERE database = 'coinbase_demo' ORDER BY name", format: "JSONEachRow" });
      const tableNames = (await tables.json<{ name: string }>()).map((r) => r.name);
      for (const t of ["coinbase_ticker", "ingest_dead_letters", "sequence_gaps", "ingest_stats", "trades_per_minute", "vwap_5m", "ohlcv_1m"]) assert.ok(tableNames.includes(t), `table ${t} exists`);
    });
    if (noSuperset) return;
    const assets = await assetsResource();
    assert.ok(assets, "the stack has a SupersetAssets resource (superset/ builds it, infra/program.ts must declare it when Superset is enabled)");
    // uuids are derived from asset names, not from the connection, so any connection gives them.
    const { uuids } = buildBundle({ host: "clickhouse", port: 8123, username: "streamstack_superset" });
    const want: Record<AssetKind, string[]> = {
      database: [uuids.database],
      dataset: [...uuids.datasets].sort(),
      chart: [...uuids.charts].sort(),
      dashboard: [...uuids.dashboards].sort(),
    };
    for (const kind of KINDS) for (const uuid of want[kind]) assert.notEqual(await client!.findId(kind, uuid), undefined, `${kind} ${uuid} is in Superset`);
    assert.deepEqual(await countsByKind(), want, "every asset exactly once, nothing else");

    // The post-deploy verification ran last, in the provider process, against this Superset.
    const resources = (await env.stack.exportStack()).deployment.resources ?? [];
    const verification = resources.find((r: { type: string }) => /PostDeployVerification/.test(r.type));
    assert.ok(verification, "the stack has a PostDeployVerification resource");
    const results = (verification.outputs as { results: Array<{ check: string; status: string }> }).results;
    assert.deepEqual(
      results.map((r) => [r.check, r.status]),
      externalServicesChecks(uuids.database, "skipped"),
    );
  });

  test("the stack outputs carry the Superset dashboard URL from the assets resource", { skip: noSuperset }, async () => {
    // A class field declared without `declare` (e.g. `public readonly x!: Output<…>`) is reset to
    // undefined after the Resource constructor ran (tsconfig target ES2022 defines class fields),
    // and the output silently disappears: only a real run shows it.
    const outputs = await env.stack.outputs();
    assert.match(String(outputs.supersetDashboardUrl?.value), new RegExp(`^${proxy!.url}/superset/dashboard/`));
  });

  test("a second up reports zero changes", async () => {
    env.events.length = 0;
    const result = await env.stack.up({ onEvent: (e) => env.events.push(e) });
    assert.deepEqual(changingSteps(env.events), []);
    assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}), ["same"]);
  });

  test("the state holds none of the passwords in plaintext", async () => {
    const outputs = await env.stack.outputs();
    const all = [...Object.values(secrets), outputs.clickhouseAdminPassword?.value, ...(server ? [server.password] : [])].filter((s): s is string => typeof s === "string" && s.length > 0);
    assert.ok(all.length >= 3);
    const files = backendFiles(env.backendDir);
    assert.ok(files.size > 0);
    for (const secret of all) for (const [file, text] of files) assert.ok(!text.includes(secret), `a password appears in plaintext in ${file}`);
  });

  test("preview after editing a query shows updates for exactly the resources that use it", { skip: noSuperset }, async () => {
    const used = supersetQueries();
    assert.ok(used.length > 0);
    const assets = await assetsResource();
    assert.ok(assets, "the stack has a SupersetAssets resource");
    const assetsName = assets.urn.split("::").pop();
    await withEditedQuery(used[0]!, async () => {
      env.events.length = 0;
      await env.stack.preview({ onEvent: (e) => env.events.push(e) });
      assert.deepEqual(changingSteps(env.events).map((s) => [s.op, s.name]), [["update", assetsName]]);
    });
    const unused = [...loadQueries().keys()].sort().filter((q) => !used.includes(q));
    if (unused.length > 0) {
      await withEditedQuery(unused[0]!, async () => {
        env.events.length = 0;
        await env.stack.preview({ onEvent: (e) => env.events.push(e) });
        assert.deepEqual(changingSteps(env.events), [], `${unused[0]} is used by nothing deployed here (Grafana is disabled)`);
      });
    }
  });

  test("destroy removes the Superset assets, leaves the ClickHouse data, and the stack ends empty", async () => {
    const result = await env.stack.destroy({ onOutput: () => undefined });
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual((await env.stack.exportStack()).deployment.resources ?? [], []);
    await withEngineAt(dataDir, async (ch) => {
      const rs = await ch.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'coinbase_demo' AND name = 'coinbase_ticker'", format: "JSONEachRow" });
      assert.equal(Number((await rs.json<{ n: string }>())[0]!.n), 1, "the raw table is still there");
    });
    if (noSuperset) return;
    assert.deepEqual(await countsByKind(), { database: [], dataset: [], chart: [], dashboard: [] });
  });
});

