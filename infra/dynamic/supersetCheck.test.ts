// The Superset half of the post-deploy verification against a real Superset from PyPI
// (superset/testing/server.ts). Skipped, with the reason, where Python 3 + venv are missing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildBundle } from "../../superset/src/bundle";
import { deployAssets } from "../../superset/src/deploy";
import { startSuperset, supersetAvailability, type SupersetServer } from "../../superset/testing/server";
import { checkSuperset } from "./checks/superset";

const availability = supersetAvailability();
const skip = availability.ok ? false : `no real Superset here: ${availability.reason}`;
// Superset runs on loopback; nothing listens on ClickHouse's port at this address.
const clickhouse = { host: "127.0.0.1", port: 1, username: "streamstack_superset" };

describe("post-deploy verification: Superset", { skip, timeout: 15 * 60_000 }, () => {
  let server: SupersetServer;
  before(async () => {
    server = await startSuperset({ log: (line) => console.log(`# ${line}`) });
  });
  after(async () => {
    await server?.stop();
  });

  const databaseUuid = buildBundle(clickhouse).uuids.database;

  test("a wrong admin password fails at login with what to do, and never shows the password", async () => {
    const results = await checkSuperset({ url: server.url, adminUser: server.username, adminPassword: "not-the-password-0000", databaseUuid, checkConnection: false });
    assert.deepEqual(results.map((r) => [r.check, r.status]), [["superset health", "ok"], ["superset login", "failed"]]);
    assert.match(results[1]!.detail, new RegExp(`login as ${server.username} answered 401 at ${server.url}`));
    assert.match(results[1]!.fix!, /supersetAdminPassword/);
    assert.ok(!JSON.stringify(results).includes("not-the-password-0000"));
  });

  test("a database that was never imported is reported missing", async () => {
    const [, missing] = await checkSuperset({ url: server.url, adminUser: server.username, adminPassword: server.password, databaseUuid, checkConnection: false });
    assert.equal(missing!.status, "failed");
    assert.match(missing!.detail, /not found in http:\/\/127\.0\.0\.1:\d+/);
  });

  test("after the assets import the database is found, and a connection Superset cannot open fails naming the cause", async () => {
    await deployAssets({ superset: { url: server.url, username: server.username, password: server.password }, clickhouse, clickhousePassword: "reader-password-0123456789" });
    const found = await checkSuperset({ url: server.url, adminUser: server.username, adminPassword: server.password, databaseUuid, checkConnection: false });
    assert.deepEqual(found.map((r) => [r.check, r.status]), [
      ["superset health", "ok"],
      [`superset database ${databaseUuid}`, "ok"],
      ["superset database connection", "skipped"],
    ]);
    const connected = await checkSuperset({ url: server.url, adminUser: server.username, adminPassword: server.password, databaseUuid, checkConnection: true });
    const connection = connected.find((r) => r.check === "superset database connection")!;
    assert.equal(connection.status, "failed");
    assert.match(connection.detail, /Superset cannot connect to ClickHouse \((4|5)\d\d: /);
    assert.match(connection.fix!, /reachable from the Superset container/);
  });
});
