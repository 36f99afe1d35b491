// SupersetAssets under Pulumi mocks: what the engine would receive. The provider must survive
// closure serialization (it is stored in the state and run in another process), capture no
// module state, and the passwords must reach the engine as secrets.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        // What the provider's create returns besides the inputs.
        const outputs = { dashboardUrl: "http://127.0.0.1:8088/superset/dashboard/streamstack-markets/", importedChecksum: "c".repeat(64) };
        return { id: `${args.name}-id`, state: { ...args.inputs, ...outputs } };
      },
      call(args) {
        return args.inputs;
      },
    },
    "streamstack",
    "test",
    false,
  );
});

let resource: import("./supersetAssets").SupersetAssets | undefined;

async function registerAssets(): Promise<{ type: string; name: string; inputs: Record<string, unknown> }> {
  const { SupersetAssets } = await import("./supersetAssets");
  resource = new SupersetAssets("superset-assets", {
    supersetUrl: "http://127.0.0.1:8088",
    adminUser: "admin",
    adminPassword: "admin-pw-not-real-0000",
    clickhouseHost: "clickhouse",
    clickhousePort: 8123,
    clickhouseUser: "streamstack_superset",
    clickhousePassword: pulumi.output("ch-pw-not-real-0000"),
  });
  for (let i = 0; i < 50 && !registered.some((r) => r.name === "superset-assets"); i++) await new Promise((r) => setTimeout(r, 20));
  const found = registered.find((r) => r.name === "superset-assets");
  assert.ok(found, "the resource was registered");
  return found;
}

test("SupersetAssets registers as a dynamic resource whose provider serialized to a self-contained loader", async () => {
  const { type, inputs } = await registerAssets();
  assert.match(type, /^pulumi-nodejs:dynamic\/streamstack:SupersetAssets$/);
  const provider = inputs.__provider;
  assert.equal(typeof provider, "string");
  const text = String(provider);
  assert.match(text, /supersetAssetsProvider\.ts/, "requires the implementation from disk");
  assert.match(text, /require\(tsxApi\)\.register\(\)/, "registers tsx before requiring .ts");
  assert.ok(!text.includes("not-real-0000"), "no secret is captured in the serialized provider");
});

test("the serialized provider runs in a fresh node process with another working directory", async () => {
  const { inputs } = registered.find((r) => r.name === "superset-assets") ?? (await registerAssets());
  const dir = mkdtempSync(join(tmpdir(), "streamstack-provider-"));
  try {
    writeFileSync(join(dir, "provider.js"), String(inputs.__provider));
    const valid = {
      supersetUrl: "http://127.0.0.1:8088",
      adminUser: "admin",
      adminPassword: "x",
      clickhouseHost: "clickhouse",
      clickhousePort: 8123,
      clickhouseUser: "streamstack_superset",
      clickhousePassword: "y",
      bundleChecksum: "0".repeat(64),
    };
    const script = `require("./provider.js").handler().check({}, ${JSON.stringify(valid)}).then((r) => console.log(JSON.stringify(r)))`;
    const result = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    assert.equal(result.status, 0, result.stderr);
    const checked = JSON.parse(result.stdout.trim()) as { inputs: Record<string, unknown>; failures: unknown[] };
    assert.deepEqual(checked.failures, []);
    assert.equal(checked.inputs.clickhouseDatabase, "coinbase_demo", "the implementation ran (it fills the default)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("both passwords reach the engine as secrets; the rest as plain values with defaults filled in", async () => {
  const { inputs } = registered.find((r) => r.name === "superset-assets") ?? (await registerAssets());
  for (const key of ["adminPassword", "clickhousePassword"]) {
    const value = inputs[key] as Record<string, unknown>;
    assert.equal(value[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", `${key} is a secret`);
  }
  assert.equal(inputs.supersetUrl, "http://127.0.0.1:8088");
  assert.equal(inputs.clickhouseDatabase, "coinbase_demo");
  assert.match(String(inputs.bundleChecksum), /^[0-9a-f]{64}$/);
});

test("the provider's check names each bad input", async () => {
  const { checkInputs, changedKeys } = await import("./supersetAssetsProvider");
  const failures = checkInputs({ supersetUrl: "http://u:p@h:1", adminUser: "", clickhousePort: 0, bundleChecksum: "x" });
  const properties = failures.map((f) => f.property);
  for (const p of ["supersetUrl", "adminUser", "adminPassword", "clickhousePort", "bundleChecksum"]) assert.ok(properties.includes(p), `${p} reported`);
  assert.deepEqual(changedKeys({ clickhousePort: 8123, adminUser: "a" }, { clickhousePort: 8124, adminUser: "a" }), ["clickhousePort"]);
});

test("the resource exposes the provider's outputs (dashboardUrl, importedChecksum)", async () => {
  if (!resource) await registerAssets();
  const value = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply((v) => resolve(v)));
  assert.equal(await value(resource!.dashboardUrl), "http://127.0.0.1:8088/superset/dashboard/streamstack-markets/");
  assert.equal(await value(resource!.importedChecksum), "c".repeat(64));
});
