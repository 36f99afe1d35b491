// The SupersetAssets provider's create/diff/update/delete, run in-process against a real Superset
// from PyPI (superset/testing/server.ts). Skipped, with the reason, where Python 3 + venv are
// missing. The import needs no answering ClickHouse (supersetCheck.test.ts imports the same way):
// nothing listens on ClickHouse's port at the address given.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { assetsChecksum, buildBundle } from "../../superset/src/bundle";
import { SupersetClient } from "../../superset/src/importer";
import { startSuperset, supersetAvailability, type SupersetServer } from "../../superset/testing/server";
import { provider } from "./supersetAssetsProvider";

const availability = supersetAvailability();
const skip = availability.ok ? false : `no real Superset here: ${availability.reason}`;
const CLICKHOUSE_USER = "streamstack_superset";
const CLICKHOUSE_PASSWORD = randomBytes(12).toString("base64url");
const clickhouse = { host: "127.0.0.1", port: 1, username: CLICKHOUSE_USER };

describe("the SupersetAssets provider against a real Superset", { skip, timeout: 15 * 60_000 }, () => {
  let server: SupersetServer;
  let client: SupersetClient;
  const bundle = buildBundle(clickhouse);
  before(async () => {
    server = await startSuperset({ log: (line) => console.log(`# ${line}`) });
    client = await SupersetClient.connect({ url: server.url, username: server.username, password: server.password });
  });
  after(async () => {
    await server?.stop();
  });

  test("the SupersetAssets provider: create imports, unchanged inputs diff to no change, delete removes", async () => {
    const inputs = {
      supersetUrl: server.url,
      adminUser: server.username,
      adminPassword: server.password,
      clickhouseHost: clickhouse.host,
      clickhousePort: clickhouse.port,
      clickhouseUser: CLICKHOUSE_USER,
      clickhousePassword: CLICKHOUSE_PASSWORD,
      clickhouseDatabase: "coinbase_demo",
      bundleChecksum: assetsChecksum(),
    };
    const checked = await provider.check!({}, inputs);
    assert.deepEqual(checked.failures, []);
    const created = await provider.create!(checked.inputs);
    assert.deepEqual(created.outs.uuids, bundle.uuids);
    assert.notEqual(await client.findId("dashboard", bundle.uuids.dashboards[0]!), undefined);
    const diff = await provider.diff!(created.id, created.outs, checked.inputs);
    assert.equal(diff.changes, false);
    const changed = await provider.diff!(created.id, created.outs, { ...checked.inputs, clickhousePort: clickhouse.port + 1 });
    assert.equal(changed.changes, true);
    assert.deepEqual(changed.replaces, []);
    const updated = await provider.update!(created.id, created.outs, checked.inputs);
    assert.deepEqual(updated.outs!.uuids, bundle.uuids);
    await provider.delete!(created.id, updated.outs);
    for (const uuid of bundle.uuids.charts) assert.equal(await client.findId("chart", uuid), undefined);
    assert.equal(await client.findId("database", bundle.uuids.database), undefined);
  });
});
