// The post-deploy checks against the embedded engine and against addresses where nothing listens.
// (User probes run as the embedded engine's all-powerful default user, so the "nothing more" half
// of each role's probes must catch it; a real Grafana/Superset is exercised in infra/test/engine.)
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { openMigratedEngine, openTestEngine } from "../../sql/testing/engine";
import { isRefusal, probeAccess } from "./checks/clickhouseUsers";
import { checkTicks, checkTrades } from "./checks/ticks";
import { checkUsers } from "./checks/clickhouseUsers";
import { describeProblems } from "./checks/result";
import { provider, runChecks, type VerificationInputs } from "./verificationProvider";

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function inputs(url: string, extra: Partial<VerificationInputs> = {}): VerificationInputs {
  return { clickhouse: { url, adminUser: "default", adminPassword: "", users: [] }, tickWaitSeconds: null, grafana: null, superset: null, trigger: "", ...extra };
}

describe("post-deploy verification", () => {
  test("a user with more rights than its role fails the probe, and the probe leaves no table behind", async () => {
    const engine = await openMigratedEngine();
    try {
      const reader = await probeAccess(engine.client, "default", "reader");
      assert.equal(reader.status, "failed");
      assert.match(reader.detail, /is allowed to insert into ingest_stats, create a table, which its role must not/);
      assert.match(reader.fix!, /SHOW GRANTS FOR default/);
      const writer = await probeAccess(engine.client, "default", "writer");
      assert.match(writer.detail, /is allowed to read prices from coinbase_ticker, read the rollups, create a table/);
      const rs = await engine.client.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'coinbase_demo' AND name = 'streamstack_verify_probe'", format: "JSONEachRow" });
      assert.equal(Number((await rs.json<{ n: string }>())[0]!.n), 0);
      const stats = await engine.client.query({ query: "SELECT count() AS n FROM coinbase_demo.ingest_stats", format: "JSONEachRow" });
      assert.equal(Number((await stats.json<{ n: string }>())[0]!.n), 0, "the insert probe writes no row");
    } finally {
      await engine.close();
    }
  });

  test("a probe that fails for another reason than a refusal is reported as such", async () => {
    const engine = await openTestEngine(); // no migrations: the tables are missing
    try {
      const result = await probeAccess(engine.client, "default", "reader");
      assert.equal(result.status, "failed");
      assert.match(result.detail, /cannot read the rollups \(.*UNKNOWN_DATABASE|cannot read the rollups \(.*does not exist/);
    } finally {
      await engine.close();
    }
  });

  test("refusals are told apart from other errors", () => {
    assert.equal(isRefusal({ code: "497", message: "x" }), true);
    assert.equal(isRefusal({ code: "164", message: "x" }), true);
    assert.equal(isRefusal({ code: "60", message: "Table coinbase_demo.x does not exist" }), false);
  });

  test("users are skipped on the embedded engine and when none are managed", async () => {
    assert.equal((await checkUsers("chdb:/tmp/x", [{ name: "streamstack_grafana", role: "reader", password: "p".repeat(20) }]))[0]!.status, "skipped");
    assert.equal((await checkUsers("http://127.0.0.1:8123", []))[0]!.status, "skipped");
  });

  test("an unreachable ClickHouse user login fails with the url and what to do", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const [result] = await checkUsers(url, [{ name: "streamstack_grafana", role: "reader", password: "p".repeat(20) }]);
    assert.equal(result!.status, "failed");
    assert.match(result!.detail, new RegExp(`cannot log in at ${url}`));
    assert.match(result!.fix!, /SchemaMigrations/);
  });

  test("no tick within the wait is a warning; a fresh tick is ok", async () => {
    const engine = await openMigratedEngine();
    const { dir, url } = engine;
    await engine.close({ keepDir: true });
    try {
      const none = await checkTicks({ url, user: "default", password: "", waitSeconds: 1, pollMs: 200 });
      assert.equal(none.status, "warning");
      assert.match(none.detail, /no tick stored within 1 s \(last tick: never\)/);
      const writer = await openTestEngine({ dir });
      await writer.client.insert({
        table: "coinbase_demo.coinbase_ticker",
        values: [{ sequence: 1, trade_id: 1, price: 100, last_size: 0.1, time: "2026-11-25 12:00:00.000000", product_id: "BTC-USD", side: "buy" }],
        format: "JSONEachRow",
        clickhouse_settings: { async_insert: 0, insert_deduplicate: 0 },
      });
      await writer.close({ keepDir: true });
      const fresh = await checkTicks({ url, user: "default", password: "", waitSeconds: 5, pollMs: 200 });
      assert.equal(fresh.status, "ok", fresh.detail);
      assert.match(fresh.detail, /^1 tick\(s\) stored since/);
    } finally {
      await (await openTestEngine({ dir })).close();
    }
  });

  test("with matches subscribed: no trade within the wait is a warning; a fresh trade is ok", async () => {
    const engine = await openMigratedEngine();
    const { dir, url } = engine;
    await engine.close({ keepDir: true });
    try {
      const none = await checkTrades({ url, user: "default", password: "", waitSeconds: 1, pollMs: 200 });
      assert.equal(none.status, "warning");
      assert.match(none.detail, /no trade stored within 1 s \(last trade: never\)/);
      const writer = await openTestEngine({ dir });
      await writer.client.insert({
        table: "coinbase_demo.trades",
        values: [{ product_id: "BTC-USD", trade_id: 1, time: "2026-11-25 12:00:00.000000", price: "100.5", size: "0.1", side: "buy", sequence: 1, source: "ws" }],
        format: "JSONEachRow",
        clickhouse_settings: { async_insert: 0, insert_deduplicate: 0 },
      });
      await writer.close({ keepDir: true });
      const fresh = await checkTrades({ url, user: "default", password: "", waitSeconds: 5, pollMs: 200 });
      assert.equal(fresh.status, "ok", fresh.detail);
      assert.match(fresh.detail, /^1 trade\(s\) stored since/);
    } finally {
      await (await openTestEngine({ dir })).close();
    }
  });

  test("disabled services are skipped, not failed", async () => {
    const engine = await openMigratedEngine();
    const { dir, url } = engine;
    await engine.close({ keepDir: true });
    try {
      const results = await runChecks(inputs(url));
      assert.deepEqual(results.map((r) => [r.check, r.status]), [
        ["clickhouse users", "skipped"],
        ["grafana", "skipped"],
        ["superset", "skipped"],
        ["ticks arrive", "skipped"],
        ["trades arrive", "skipped"],
      ]);
      const created = await provider.create(inputs(url, { tickWaitSeconds: 1 }));
      assert.deepEqual(created.outs.warnings.length, 1);
      assert.match(created.outs.warnings[0], /^ticks arrive: no tick stored within 1 s.*What to do: the ingester may be offline/);
    } finally {
      await (await openTestEngine({ dir })).close();
    }
  });

  test("an unreachable Grafana or Superset fails the deploy naming the check, the url and what to do", async () => {
    const grafanaUrl = `http://127.0.0.1:${await closedPort()}`;
    const supersetUrl = `http://127.0.0.1:${await closedPort()}`;
    const engine = await openTestEngine();
    const { dir, url } = engine;
    await engine.close({ keepDir: true });
    try {
      const all = inputs(url, {
        grafana: { url: grafanaUrl, adminUser: "admin", adminPassword: "x".repeat(20), datasourceUid: "ch", dashboardUids: ["d"], alertRuleUids: [] },
        superset: { url: supersetUrl, adminUser: "admin", adminPassword: "y".repeat(20), databaseUuid: "u", checkConnection: false },
      });
      await assert.rejects(provider.create(all), (err: Error) => {
        assert.match(err.message, /^PostDeployVerification: 2 check\(s\) failed:/);
        assert.match(err.message, new RegExp(`- grafana health: cannot reach ${grafanaUrl}/api/health: .*ECONNREFUSED.*What to do: check that the Grafana container runs`));
        assert.match(err.message, new RegExp(`- superset health: cannot reach ${supersetUrl}/health: .*What to do: check that Superset runs`));
        assert.ok(!err.message.includes("x".repeat(20)) && !err.message.includes("y".repeat(20)), "no password in the error");
        return true;
      });
    } finally {
      await (await openTestEngine({ dir })).close();
    }
  });

  test("problems are listed one per line with what to do", () => {
    const text = describeProblems(
      [
        { check: "a", status: "failed", detail: "broke", fix: "mend it" },
        { check: "b", status: "ok", detail: "fine" },
      ],
      "failed",
    );
    assert.equal(text, "- a: broke. What to do: mend it");
  });
});
