// `npm run migrate -- --embedded <dir>` twice: the first applies everything, the second nothing,
// and the directory holds the full schema.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
      assert.equal(Number((await r.json<{ n: string }>())[0]!.n), 17, "11 tables, 5 views, the ledger");
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

// Issue 13, item 7d: a bad --url or an unusable --embedded directory is a bad argument: exit 2
// and one line naming the option and what is wrong. Exit 1 is kept for failures reaching or
// migrating ClickHouse; both are in the usage text.
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  assert.equal(lines.length, 1, `one line expected on stderr, got:\n${stderr}`);
  return lines[0]!;
}

test("a bad --url exits 2 with one line naming --url and what is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["ftp://x", /^--url ftp:\/\/x: .*protocol "ftp".*http:\/\/host:8123/],
    ["not-a-url", /^--url not-a-url: not a URL.*http:\/\/host:8123/],
    ["http://", /^--url http:\/\/: not a URL/],
    ["chdb:/tmp/x", /^--url chdb:\/tmp\/x: .*--embedded/],
  ];
  for (const [url, expected] of cases) {
    const run = cli(["--url", url]);
    assert.equal(run.status, 2, `--url ${url}: ${run.stderr}`);
    assert.match(oneLine(run.stderr), expected);
  }
});

test("an unusable --embedded directory exits 2 with one line naming --embedded and the reason", () => {
  const parent = mkdtempSync(join(tmpdir(), "streamstack-cli-bad-"));
  try {
    chmodSync(parent, 0o755);
    const file = join(parent, "a-file");
    writeFileSync(file, "not a directory\n");
    const underFile = join(file, "sub");
    const readOnly = join(parent, "read-only");
    mkdirSync(readOnly, { mode: 0o555 });
    chmodSync(readOnly, 0o555);

    const isFile = cli(["--embedded", file]);
    assert.equal(isFile.status, 2, isFile.stderr);
    assert.match(oneLine(isFile.stderr), new RegExp(`^--embedded ${escape(file)}: .*not a directory`));

    const below = cli(["--embedded", underFile]);
    assert.equal(below.status, 2, below.stderr);
    assert.match(oneLine(below.stderr), new RegExp(`^--embedded ${escape(underFile)}: .*not a directory`));

    const empty = cli(["--embedded", ""]);
    assert.equal(empty.status, 2, empty.stderr);
    assert.match(oneLine(empty.stderr), /^--embedded: .*directory/);

    // Permissions do not stop root: when the tests run as root, the CLI runs as nobody.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    for (const dir of [readOnly, join(readOnly, "new-sub-dir")]) {
      const run = spawnSync(process.execPath, ["--import", "tsx", "sql/src/cli.ts", "--embedded", dir], { cwd: ROOT, encoding: "utf8", env: { ...process.env, HOME: tmpdir() }, ...asNobody });
      assert.equal(run.status, 2, `${dir}: ${run.stderr}`);
      assert.match(oneLine(run.stderr), new RegExp(`^--embedded ${escape(dir)}: .*(not writable|permission denied)`, "i"));
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("the usage text documents the exit codes", () => {
  const help = cli(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Exit codes:[\s\S]*0 [\s\S]*1 [\s\S]*ClickHouse[\s\S]*2 [\s\S]*argument/);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
