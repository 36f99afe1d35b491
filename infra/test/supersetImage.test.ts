// The Superset image the stack builds (superset/Dockerfile copies bootstrap.sh and
// superset_config.py): its admin password stays off command lines, and logins are rate limited
// whatever SUPERSET_ENV says (issue 13 item 10). The login checks run bootstrap.sh and gunicorn
// from a real Superset 6.1.0 (superset/testing/server.ts, the same harness as the Superset suite);
// they skip, with the reason, where Python 3 with venv/pip is missing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startSuperset, supersetAvailability, type SupersetServer } from "../../superset/testing/server";

const SUPERSET_DIR = join(__dirname, "..", "..", "superset");

describe("bootstrap.sh keeps the admin password off command lines", () => {
  // Any user on the host can read a process's argv (ps, /proc/<pid>/cmdline); its environment
  // only its own user and root can. `fab create-admin --password …` put the password in argv.
  const code = readFileSync(join(SUPERSET_DIR, "bootstrap.sh"), "utf8")
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n");

  test("no --password option anywhere in the script", () => {
    assert.doesNotMatch(code, /--password/);
  });

  test("the password is expanded only by bash's own [ test, and read from the environment by Python", () => {
    const uses = code.split("\n").filter((line) => line.includes("SUPERSET_ADMIN_PASSWORD"));
    const fromEnvironment = /os\.environ\["SUPERSET_ADMIN_PASSWORD"\]/;
    for (const line of uses) {
      assert.ok(/^\s*\[ -n "\$\{SUPERSET_ADMIN_PASSWORD:-\}" \]/.test(line) || fromEnvironment.test(line), `password on a command line: ${line.trim()}`);
    }
    assert.ok(uses.some((line) => fromEnvironment.test(line)), "the admin is created from the environment variable");
  });
});

const availability = supersetAvailability();
const skip = availability.ok ? false : `SKIPPED: no real Superset here: ${availability.reason}`;

describe("a real Superset started by bootstrap.sh", { skip, timeout: 600_000 }, () => {
  let server: SupersetServer;

  before(async () => {
    server = await startSuperset({ log: (line) => console.log(`# ${line}`) });
  });

  after(async () => {
    await server?.stop();
  });

  const restLogin = async (password: string): Promise<number> => {
    const attempt = () =>
      fetch(`${server.url}/api/v1/security/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: server.username, password, provider: "db" }),
      });
    // One retry on a dropped connection: the synchronous bootstrap rerun blocks this process
    // long enough for gunicorn to close an idle kept-alive socket that fetch then reuses.
    return (await attempt().catch(attempt)).status;
  };

  test("the admin it created can log in with the password from the environment, and a rerun leaves it alone", async () => {
    assert.equal(await restLogin(server.password), 200);
    const rerun = server.rerunBootstrap();
    assert.equal(rerun.status, 0, rerun.output);
    assert.match(rerun.output, /admin user streamstack_admin exists; left as it is/);
    assert.equal(await restLogin(server.password), 200);
  });

  test("sign-in form: bad logins beyond AUTH_RATE_LIMIT (10 per minute) get 429, with SUPERSET_ENV unset", async () => {
    assert.equal(process.env.SUPERSET_ENV, undefined, "the harness passes no SUPERSET_ENV: the limiter must not depend on it");
    // The form posts with the page's CSRF token, as a browser does; without it the CSRF check
    // answers first and the request never reaches the limiter.
    const page = await fetch(`${server.url}/login/`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const token = /name="csrf_token"[^>]*value="([^"]+)"/.exec(await page.text())?.[1];
    assert.ok(token, "the sign-in page carries a CSRF token");
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const body = new URLSearchParams({ username: server.username, password: `wrong-${i}`, csrf_token: token });
      statuses.push((await fetch(`${server.url}/login/`, { method: "POST", body, headers: { cookie }, redirect: "manual" })).status);
    }
    // At most 10 get through (fewer if this address signed in within the minute), then only 429s.
    const limited = statuses.indexOf(429);
    assert.ok(limited > 0 && limited <= 10, statuses.join(","));
    assert.ok(statuses.slice(0, limited).every((s) => s === 302) && statuses.slice(limited).every((s) => s === 429), statuses.join(","));
  });

  test("REST login: refused attempts count (429 after 10 per minute), successful ones do not", async () => {
    const good: number[] = [];
    for (let i = 0; i < 12; i++) good.push(await restLogin(server.password));
    assert.deepEqual(good, Array<number>(12).fill(200), "logging in correctly never runs into the limit (deploys and checks do)");
    const bad: number[] = [];
    for (let i = 0; i < 12; i++) bad.push(await restLogin(`wrong-${i}`));
    assert.deepEqual(bad, [...Array<number>(10).fill(401), 429, 429], bad.join(","));
    assert.equal(await restLogin(server.password), 429, "then the address waits, whatever the password");
  });
});
