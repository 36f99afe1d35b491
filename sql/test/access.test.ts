// Users, roles, grants and profiles: the embedded engine refuses to create users (its default
// user has no access management), so these statements are checked by the engine's parser, and
// their content is checked here; the post-deploy verification checks them on a real server.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { accessStatements, DEFAULT_USERS, sha256Hex, userStatements, validateUser } from "../src/access";
import { migrate } from "../src/runner";
import { openTestEngine, suiteEngine } from "../testing/engine";

const PASSWORD = "s3cret-generated-0123456789abcdef";

describe("access statements on the embedded engine", () => {
  const engine = suiteEngine(openTestEngine);

  test("every role, grant, profile and user statement passes the engine's parser", async () => {
    const statements = [...accessStatements(), ...DEFAULT_USERS.flatMap((u) => userStatements({ name: u.name, role: u.role, password: PASSWORD }))];
    assert.ok(statements.length >= 20);
    for (const statement of statements) {
      const r = await engine.client.query({ query: `SELECT formatQuery({q:String}) AS f`, query_params: { q: statement }, format: "JSONEachRow" });
      const [row] = await r.json<{ f: string }>();
      assert.ok(row && row.f.length > 0, `parsed: ${statement.slice(0, 60)}`);
    }
  });

  test("the embedded engine refuses CREATE USER (why users are skipped there), with a clear error from the runner", async () => {
    await assert.rejects(
      migrate(engine.client, { backfillGuardMs: 0, backfillSettleMs: 0, users: [{ name: "streamstack_grafana", role: "reader", password: PASSWORD }] }),
      (err: Error) => {
        assert.match(err.message, /ClickHouse refused a statement/);
        assert.match(err.message, /Not enough privileges|ACCESS_DENIED/i);
        assert.doesNotMatch(err.message, new RegExp(sha256Hex(PASSWORD)), "no password hash in the error");
        return true;
      },
    );
  });
});

describe("users as code", () => {
  test("the writer may insert only its four tables and read only what resuming needs", () => {
    const grants = accessStatements().filter((s) => /^GRANT/.test(s) && /streamstack_writer/.test(s));
    const inserts = grants.filter((g) => /^GRANT INSERT/.test(g)).map((g) => /ON (\S+) TO/.exec(g)![1]);
    assert.deepEqual(inserts.sort(), ["coinbase_demo.coinbase_ticker", "coinbase_demo.ingest_dead_letters", "coinbase_demo.ingest_stats", "coinbase_demo.sequence_gaps"]);
    assert.ok(!grants.some((g) => /GRANT ALL|ON \*\.\*|ON coinbase_demo\.\*/.test(g)), "no broad grant");
    assert.ok(!grants.find((g) => g.includes("coinbase_ticker") && g.startsWith("GRANT INSERT"))!.includes("ingested_at"), "ingested_at is server-set");
    assert.ok(grants.filter((g) => /^GRANT SELECT/.test(g)).every((g) => /SELECT\(product_id, sequence, trade_id, time\)/.test(g)));
  });

  test("readers get SELECT on the database and a readonly = 2 profile with limits", () => {
    const all = accessStatements();
    assert.ok(all.includes("GRANT SELECT ON coinbase_demo.* TO streamstack_reader"));
    const profile = all.find((s) => s.includes("streamstack_reader_profile"))!;
    for (const setting of ["readonly = 2", "max_execution_time", "max_memory_usage", "max_result_rows"]) assert.ok(profile.includes(setting), setting);
  });

  test("user statements carry a SHA-256 of the password, never the password", () => {
    const statements = userStatements({ name: "streamstack_superset", role: "reader", password: PASSWORD });
    const text = statements.join("\n");
    assert.ok(!text.includes(PASSWORD));
    assert.ok(text.includes(sha256Hex(PASSWORD)));
    assert.match(text, /GRANT streamstack_reader TO streamstack_superset/);
    assert.match(text, /REVOKE streamstack_writer FROM streamstack_superset/);
    assert.match(text, /SETTINGS PROFILE 'streamstack_reader_profile'/);
  });

  test("bad users are refused before anything runs, naming what is wrong", () => {
    assert.throws(() => validateUser({ name: "Robert'); DROP", role: "reader", password: PASSWORD }), /User name .* is not valid/);
    assert.throws(() => validateUser({ name: "u", role: "reader", password: "password" }), /shorter than 16 characters/);
    assert.throws(() => validateUser({ name: "u", role: "admin" as never, password: PASSWORD }), /expected "writer" or "reader"/);
    assert.throws(() => validateUser({ name: "u", role: "reader", password: PASSWORD, hostIp: "1.2.3.4' OR" }), /expected an IP or CIDR/);
  });
});
