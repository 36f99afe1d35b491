// Issue 12: the user's own commands, run for real. A clean copy of the repository (the files git
// tracks or would track), and in it exactly what README.md and docs/deploy.md show: settings with
// `npm run config -- set …`, `npm run up`, the documented `npm run stack -- output …` commands, a
// second `npm run up` with nothing to change, `npm run down`. The real pinned Pulumi CLI reads the
// real Pulumi.yaml and Pulumi.dev.yaml (config validation), keeps state in .pulumi-state/ with the
// generated passphrase (secrets provider), and runs infra/index.ts through a Node.js language
// host. What stands in for what this machine lacks (docs/testing.md, "The user's commands"):
// - the language host is the test-only infra/test/cli (the official one is not on the Go proxy);
// - the services are external, as docs/deploy.md "External services" describes: ClickHouse = the
//   embedded engine behind ClickHouse's HTTP interface, Superset = a real Superset from PyPI;
//   Grafana and the ingester are off, so no docker/grafana/random plugin and no Docker is needed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { loadMigrations } from "../../../sql/src/migrations";
import { serveClickHouseHttp, type ClickHouseHttpEndpoint } from "../../../sql/testing/clickhouse-http";
import { buildBundle } from "../../../superset/src/bundle";
import { SupersetClient, type AssetKind } from "../../../superset/src/importer";
import { startSuperset, supersetAvailability, type SupersetServer } from "../../../superset/testing/server";
import { cleanCopy, cliUnavailable, externalServicesChecks, npmRunner, ok, type NpmRun } from "./harness";

const noCli = cliUnavailable();
const superset = supersetAvailability();
const skip = noCli ?? (superset.ok ? undefined : `no real Superset here: ${superset.reason}`);
if (skip && process.env.CI === "true") throw new Error(`CI must run the user-command test: ${skip}`);

const KINDS: AssetKind[] = ["database", "dataset", "chart", "dashboard"];

describe("the user's commands (README, docs/deploy.md) under the real Pulumi CLI", { skip, timeout: 30 * 60_000 }, () => {
  let project: string;
  let home: string;
  let server: SupersetServer;
  let clickhouse: ClickHouseHttpEndpoint;
  let clickhouseDir: string;
  let ch: ClickHouseClient;
  let supersetClient: SupersetClient;
  const adminPassword = randomBytes(18).toString("base64url");
  const readerPassword = randomBytes(18).toString("base64url");
  let upOutput = "";
  let npm: NpmRun;

  async function countsByKind(): Promise<Record<AssetKind, number>> {
    const out = {} as Record<AssetKind, number>;
    for (const kind of KINDS) {
      const body = await supersetClient.getJson<{ count: number }>(`/api/v1/${kind}/?q=${encodeURIComponent("(columns:!(uuid),page_size:100)")}`);
      out[kind] = body.count;
    }
    return out;
  }

  before(async () => {
    project = cleanCopy("streamstack-user-");
    home = mkdtempSync(join(tmpdir(), "streamstack-user-home-"));
    npm = npmRunner(project, home);
    clickhouseDir = mkdtempSync(join(tmpdir(), "streamstack-user-ch-"));
    // The admin runs the migrations; Superset logs in as its reader (a user the operator made,
    // since manageClickhouseUsers is false: the embedded engine has no CREATE USER).
    clickhouse = await serveClickHouseHttp({
      dir: clickhouseDir,
      user: "streamstack_admin",
      password: adminPassword,
      moreUsers: { streamstack_superset: readerPassword },
    });
    ch = createClient({ url: `http://${clickhouse.host}:${clickhouse.port}`, username: "streamstack_admin", password: adminPassword });
    server = await startSuperset({ log: (line) => console.log(`# ${line}`) });
    supersetClient = await SupersetClient.connect({ url: server.url, username: server.username, password: server.password });
  });

  after(async () => {
    await ch?.close();
    await clickhouse?.close();
    await server?.stop();
    for (const dir of [project, home, clickhouseDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("settings as docs/deploy.md shows them: npm run config -- set …", async () => {
    const url = `http://${clickhouse.host}:${clickhouse.port}`;
    const settings: Array<[string, string, boolean]> = [
      ["clickhouseUrl", url, false],
      ["manageClickhouseUsers", "false", false],
      ["grafanaEnabled", "false", false],
      ["ingesterEnabled", "false", false],
      ["supersetUrl", server.url, false],
      ["supersetAdminUser", server.username, false],
      ["clickhouseAdminPassword", adminPassword, true],
      ["supersetAdminPassword", server.password, true],
      ["supersetReaderPassword", readerPassword, true],
    ];
    for (const [key, value, secret] of settings) ok(await npm("config", ["set", ...(secret ? ["--secret"] : []), key, value]), `config set ${key}`);
    const stackFile = readFileSync(join(project, "Pulumi.dev.yaml"), "utf8");
    for (const secret of [adminPassword, server.password, readerPassword]) assert.ok(!stackFile.includes(secret), "secrets are stored encrypted");
  });

  test("npm run up: validation passes with the optional settings unset, migrations applied, assets imported, verification passed", async () => {
    const ran = ok(await npm("up"), "npm run up");
    upOutput = ran.stdout + ran.stderr;
    assert.match(upOutput, /streamstack is up/);
    assert.doesNotMatch(upOutput, /missing configuration value/);
    // Migrations, in the ClickHouse the stack was pointed at.
    const rs = await ch.query({ query: "SELECT DISTINCT name FROM coinbase_demo.schema_migrations WHERE status = 'applied' ORDER BY name", format: "JSONEachRow" });
    assert.deepEqual((await rs.json<{ name: string }>()).map((r) => r.name), loadMigrations().map((m) => m.name));
    // Superset assets, each once.
    const { uuids } = buildBundle({ host: clickhouse.host, port: clickhouse.port, username: "streamstack_superset" });
    assert.deepEqual(await countsByKind(), { database: 1, dataset: uuids.datasets.length, chart: uuids.charts.length, dashboard: uuids.dashboards.length });
    // The verification ran in the provider process and checked Superset's own connection to ClickHouse.
    const state = JSON.parse(ok(await npm("stack", ["export"]), "stack export").stdout) as { deployment: { resources?: Array<{ type: string; outputs?: Record<string, unknown> }> } };
    const verification = state.deployment.resources?.find((r) => /PostDeployVerification/.test(r.type));
    const results = (verification?.outputs?.results ?? []) as Array<{ check: string; status: string }>;
    assert.deepEqual(
      results.map((r) => [r.check, r.status]),
      externalServicesChecks(uuids.database, "ok"),
    );
    assert.ok(clickhouse.statements.some((s) => s.includes("<auth failed>") === false && /system\.|SELECT/i.test(s)), "Superset queried ClickHouse");
  });

  test("the documented npm run stack -- output commands print the URLs, users and secrets", async () => {
    const all = ok(await npm("stack", ["output"]), "stack output").stdout;
    for (const name of ["clickhouseUrl", "clickhouseAdminUser", "supersetUrl", "supersetDashboardUrl", "supersetAdminUser"]) assert.match(all, new RegExp(`\\b${name}\\b`));
    assert.match(all, /supersetAdminPassword\s+\[secret\]/, "secrets hidden without --show-secrets");
    assert.ok(!all.includes(server.password));
    const shown = ok(await npm("stack", ["output", "--show-secrets"]), "stack output --show-secrets").stdout;
    assert.ok(shown.includes(server.password) && shown.includes(adminPassword));
    assert.equal(ok(await npm("stack", ["output", "supersetAdminPassword", "--show-secrets"]), "output supersetAdminPassword").stdout.trim(), server.password);
    assert.equal(ok(await npm("stack", ["output", "clickhouseAdminPassword", "--show-secrets"]), "output clickhouseAdminPassword").stdout.trim(), adminPassword);
    const dashboard = ok(await npm("stack", ["output", "supersetDashboardUrl"]), "output supersetDashboardUrl").stdout.trim();
    assert.match(dashboard, new RegExp(`^${server.url}/superset/dashboard/`));
    const page = await supersetClient.getJson<{ result: { dashboard_title: string } }>(`/api/v1/dashboard/${dashboard.split("/").filter(Boolean).pop()}`);
    assert.ok(page.result.dashboard_title.length > 0, "the dashboard URL names a dashboard that exists");
    // up.sh's closing message shows commands: each one runs.
    for (const line of upOutput.split("\n")) {
      const shownCommand = /\bnpm run (\S+)(?: -- (.+))?$/.exec(line.trim());
      if (!shownCommand) continue;
      if (shownCommand[1] === "down") continue; // run last, below
      ok(await npm(shownCommand[1]!, shownCommand[2]?.split(/\s+/) ?? []), `closing message command: ${line.trim()}`);
    }
  });

  test("a second npm run up changes nothing", async () => {
    ok(await npm("up"), "second npm run up");
    const history = JSON.parse(ok(await npm("stack", ["history", "--output", "json"]), "stack history").stdout) as Array<{ kind: string; resourceChanges?: Record<string, number> }>;
    const last = history[0]!;
    assert.equal(last.kind, "update");
    assert.deepEqual(Object.keys(last.resourceChanges ?? {}), ["same"], `the second up changed something: ${JSON.stringify(last.resourceChanges)}`);
  });

  test("npm run down removes it all and the stack ends empty", async () => {
    ok(await npm("down"), "npm run down");
    const state = JSON.parse(ok(await npm("stack", ["export"]), "stack export").stdout) as { deployment: { resources?: unknown[] } };
    assert.deepEqual(state.deployment.resources ?? [], []);
    assert.deepEqual(await countsByKind(), { database: 0, dataset: 0, chart: 0, dashboard: 0 });
  });
});
