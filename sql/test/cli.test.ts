// `npm run migrate -- --embedded <dir>` twice: the first applies everything, the second nothing,
// and the directory holds the full schema.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { loadMigrations } from "../src/migrations";
import { openTestEngine } from "../testing/engine";
import { usersFromEnv } from "../src/cli";

const ROOT = resolve(__dirname, "..", "..");
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ["--import", "tsx", "sql/src/cli.ts", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });

test("migrate --embedded twice: full schema, second run applies nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "streamstack-cli-"));
  try {
    const first = cli(["--embedded", dir]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`${loadMigrations().length} applied, 0 already applied; users skipped`));
    const second = cli(["--embedded", dir]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`0 applied, ${loadMigrations().length} already applied`));
    const engine = await openTestEngine({ dir });
    try {
      const r = await engine.client.query({ query: "SELECT count() AS n FROM system.tables WHERE database = 'coinbase_demo'", format: "JSONEachRow" });
      assert.equal(Number((await r.json<{ n: string }>())[0]!.n), 11, "7 tables, 3 views, the ledger");
    } finally {
      await engine.close({ keepDir: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad invocations exit 2 with a message that says what to do", () => {
  const none = cli([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /Give exactly one of --embedded <dir> and --url <url>/);
  const env = cli(["--url", "http://127.0.0.1:1", "--password-env", "STREAMSTACK_TEST_UNSET_VAR"], { STREAMSTACK_TEST_UNSET_VAR: undefined as never });
  assert.equal(env.status, 2);
  assert.match(env.stderr, /STREAMSTACK_TEST_UNSET_VAR: that environment variable is not set/);
  const days = cli(["--embedded", "/tmp/unused", "--retention-days", "soon"]);
  assert.equal(days.status, 2);
  assert.match(days.stderr, /--retention-days soon: expected a whole number of days/);
  const unreachable = cli(["--url", "http://127.0.0.1:1"]);
  assert.equal(unreachable.status, 1);
  assert.match(unreachable.stderr, /migrate failed: .*(ECONNREFUSED|connect)/);
});

test("user passwords are read from STREAMSTACK_<USER>_PASSWORD; unset users are left alone", () => {
  const users = usersFromEnv({ STREAMSTACK_GRAFANA_PASSWORD: "g".repeat(20), STREAMSTACK_INGESTER_PASSWORD: "i".repeat(20) });
  assert.deepEqual(users.map((u) => [u.name, u.role]), [["streamstack_ingester", "writer"], ["streamstack_grafana", "reader"]]);
});
