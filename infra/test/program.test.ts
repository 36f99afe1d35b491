// The whole program under Pulumi mocks (setMocks before the program is imported): what it makes,
// with which inputs, in which order, and that secrets stay secret.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
  dependsOn,
  find,
  generatedSecrets,
  installMocks,
  isSecretWrapped,
  ofType,
  plainStrings,
  recorded,
  recordingOptions,
  reset,
  setStackConfig,
  settle,
  type Recorded,
} from "./harness";
import { documentedCommands, isPlaceholder } from "./docCommands";

type Program = typeof import("../program");
let program: Program;

before(async () => {
  await installMocks("dev");
  program = await import("../program");
});

/** Runs the program with `config` and returns what it declared and its outputs. */
async function run(config: Record<string, string | number | boolean | string[]> = {}, secretKeys: string[] = []) {
  reset();
  setStackConfig(config, secretKeys);
  let outputs: Record<string, unknown> | undefined;
  let failure: unknown;
  await pulumi.runtime
    .runInPulumiStack(async () => {
      recordingOptions();
      try {
        outputs = (await program.streamstack()) as unknown as Record<string, unknown>;
      } catch (err) {
        failure = err;
      }
      return outputs;
    })
    .catch((err: unknown) => {
      failure = err;
    });
  await settle(150);
  return { outputs, failure, resources: recorded.filter((r) => r.type !== "pulumi:pulumi:Stack") };
}

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const types = (rs: Recorded[]) => [...new Set(rs.map((r) => r.type))].sort();
const unwrap = (v: unknown): unknown => (isSecretWrapped(v) ? v.value : v);
/** A container's env entries, each unwrapped (the list is secret as a whole when one entry is). */
const envsOf = (inputs: Record<string, unknown>): string[] => (unwrap(inputs["envs"]) as unknown[]).map(unwrap) as string[];
/** The ingester's rendered YAML config, from the environment variable its entrypoint writes to a file. */
const ingesterConfigOf = (inputs: Record<string, unknown>): string => {
  const entry = envsOf(inputs).find((e) => e.startsWith("STREAMSTACK_INGEST_CONFIG="));
  assert.ok(entry, "the ingester gets its config in STREAMSTACK_INGEST_CONFIG");
  return entry.slice("STREAMSTACK_INGEST_CONFIG=".length);
};

describe("default stack (everything in containers)", () => {
  let resources: Recorded[];
  let outputs: Record<string, unknown>;

  before(async () => {
    const result = await run();
    assert.equal(result.failure, undefined, String(result.failure));
    resources = result.resources;
    outputs = result.outputs!;
  });

  test("makes one component per service, the network, the schema and the verification", () => {
    for (const type of ["streamstack:infra:Network", "streamstack:infra:ClickHouse", "streamstack:infra:Grafana", "streamstack:infra:Superset", "streamstack:infra:Ingester"]) {
      assert.equal(resources.filter((r) => r.type === type).length, 1, type);
    }
    assert.ok(resources.some((r) => r.type === "pulumi-nodejs:dynamic/streamstack:SchemaMigrations"));
    assert.deepEqual(
      ofType(CONTAINER).map((c) => c.inputs?.["name"]).sort(),
      ["streamstack-dev-clickhouse", "streamstack-dev-grafana", "streamstack-dev-ingester", "streamstack-dev-superset"],
    );
  });

  test("declares exactly these resources (type and name)", () => {
    const inventory = resources.filter((r) => !r.type.startsWith("pulumi:pulumi:")).map((r) => `${r.type} ${r.name}`).sort();
    const dashboards = ofType("grafana:oss/dashboard:Dashboard").map((r) => `grafana:oss/dashboard:Dashboard ${r.name}`);
    const ruleGroups = ofType("grafana:alerting/ruleGroup:RuleGroup").map((r) => `grafana:alerting/ruleGroup:RuleGroup ${r.name}`);
    const expected = [
      "streamstack:infra:Secrets secrets",
      ...["clickhouseAdminPassword", "ingesterPassword", "grafanaReaderPassword", "supersetReaderPassword", "grafanaAdminPassword", "grafanaSecretKey", "supersetAdminPassword", "supersetSecretKey"].map(
        (n) => `random:index/randomPassword:RandomPassword ${n}`,
      ),
      "streamstack:infra:Network network",
      "docker:index/network:Network network-bridge",
      "streamstack:infra:ClickHouse clickhouse",
      "docker:index/remoteImage:RemoteImage clickhouse-image",
      "docker:index/volume:Volume clickhouse-data",
      "docker:index/container:Container clickhouse-server",
      "pulumi-nodejs:dynamic/streamstack:SchemaMigrations schema",
      "streamstack:infra:Grafana grafana",
      "docker:index/remoteImage:RemoteImage grafana-image",
      "docker:index/volume:Volume grafana-data",
      "docker:index/container:Container grafana-server",
      "pulumi:providers:grafana grafana-api",
      "grafana:oss/dataSource:DataSource grafana-clickhouse",
      "grafana:oss/folder:Folder grafana-folder",
      ...dashboards,
      ...ruleGroups,
      "streamstack:infra:Superset superset",
      "streamstack:infra:LocalImage superset-image",
      "docker:index/image:Image superset-image-build",
      "docker:index/remoteImage:RemoteImage superset-image-local",
      "docker:index/volume:Volume superset-data",
      "docker:index/container:Container superset-server",
      "pulumi-nodejs:dynamic/streamstack:SupersetAssets superset-assets",
      "streamstack:infra:Ingester ingester",
      "streamstack:infra:LocalImage ingester-image",
      "docker:index/image:Image ingester-image-build",
      "docker:index/remoteImage:RemoteImage ingester-image-local",
      "docker:index/volume:Volume ingester-spool",
      "docker:index/container:Container ingester-server",
      "pulumi-nodejs:dynamic/streamstack:PostDeployVerification verification",
    ].sort();
    assert.equal(dashboards.length, 2);
    assert.equal(ruleGroups.length, 1);
    assert.deepEqual(inventory, expected);
  });

  test("binds every published port to 127.0.0.1", () => {
    const ports = ofType(CONTAINER).flatMap((c) => (c.inputs?.["ports"] as Array<Record<string, unknown>>) ?? []);
    assert.equal(ports.length, 4);
    for (const p of ports) assert.equal(p["ip"], "127.0.0.1", JSON.stringify(p));
    assert.deepEqual(ports.map((p) => p["external"]).sort(), [3000, 8088, 8123, 9464]);
  });

  test("every container has a healthcheck, waits for it, restarts, and has a memory limit", () => {
    for (const c of ofType(CONTAINER)) {
      const i = c.inputs!;
      const hc = i["healthcheck"] as { tests: string[] };
      assert.equal(hc.tests[0], "CMD", c.name);
      assert.equal(i["wait"], true, c.name);
      assert.ok(Number(i["waitTimeout"]) >= 60, c.name);
      assert.equal(i["restart"], "unless-stopped", c.name);
      assert.ok(Number(i["memory"]) >= 256, c.name);
      assert.deepEqual(i["networksAdvanced"], [{ name: "streamstack-dev-net", aliases: [c.name.replace(/-server$/, "")] }], c.name);
    }
  });

  test("every container: no-new-privileges, every capability dropped but what its image needs, memory and CPU limits (issue 13 item 11)", () => {
    // What each image's start needs, from its entrypoint (docs/deploy.md, "Security settings"):
    // ClickHouse's runs as root, chowns its directories and switches to the clickhouse user.
    const expected: Record<string, { adds: string[]; cpus?: string; readOnly: boolean }> = {
      "clickhouse-server": { adds: ["CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID"], readOnly: false },
      "grafana-server": { adds: [], cpus: "1", readOnly: false },
      "superset-server": { adds: [], cpus: "1", readOnly: false },
      "ingester-server": { adds: [], cpus: "1", readOnly: true },
    };
    const containers = ofType(CONTAINER);
    assert.deepEqual(containers.map((c) => c.name).sort(), Object.keys(expected).sort());
    for (const c of containers) {
      const i = c.inputs!;
      const want = expected[c.name]!;
      assert.deepEqual(i["securityOpts"], ["no-new-privileges:true"], c.name);
      assert.deepEqual(i["capabilities"], { drops: ["ALL"], adds: want.adds }, c.name);
      assert.equal(i["cpus"], want.cpus, c.name);
      assert.equal(i["readOnly"] ?? false, want.readOnly, c.name);
      assert.ok(Number(i["memory"]) >= 256, c.name);
    }
  });

  test("the ingester: read-only root filesystem, tmpfs where it writes, spool on its volume, config from the environment", () => {
    const c = find(CONTAINER, "ingester-server").inputs!;
    assert.equal(c["readOnly"], true);
    const tmpfs = c["tmpfs"] as Record<string, string>;
    assert.deepEqual(Object.keys(tmpfs).sort(), ["/etc/ingest", "/tmp"]);
    for (const options of Object.values(tmpfs)) assert.match(options, /noexec/);
    // The provider uploads files by copying a tar to "/", which Docker refuses on a read-only
    // root (moby daemon/archive.go: ErrRootFSReadOnly): nothing is uploaded.
    assert.equal(c["uploads"], undefined);
    assert.deepEqual(c["volumes"], [{ volumeName: "streamstack-dev-ingester-spool", containerPath: "/var/lib/ingest" }]);
  });

  test("ClickHouse: admin with access management, nofile 262144, /ping healthcheck, data volume", () => {
    const ch = find(CONTAINER, "clickhouse-server").inputs!;
    const envs = envsOf(ch);
    assert.ok(envs.includes("CLICKHOUSE_USER=streamstack_admin"));
    assert.ok(envs.includes("CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1"));
    assert.ok(envs.some((e) => e.startsWith("CLICKHOUSE_PASSWORD=")));
    assert.deepEqual(ch["ulimits"], [{ name: "nofile", soft: 262144, hard: 262144 }]);
    assert.deepEqual((ch["healthcheck"] as { tests: string[] }).tests, ["CMD", "wget", "--spider", "-q", "http://127.0.0.1:8123/ping"]);
    assert.deepEqual(ch["volumes"], [{ volumeName: "streamstack-dev-clickhouse-data", containerPath: "/var/lib/clickhouse" }]);
  });

  test("Grafana: plugin pinned and installed before start, /api/health healthcheck", () => {
    const g = find(CONTAINER, "grafana-server").inputs!;
    const envs = envsOf(g);
    assert.ok(envs.includes("GF_PLUGINS_PREINSTALL_SYNC=grafana-clickhouse-datasource@4.20.0"));
    // preinstall_disabled=true skips preinstall_sync too (grafana pkg/setting/setting_plugins.go).
    assert.ok(!envs.some((e) => /^GF_PLUGINS_PREINSTALL_DISABLED=true$/i.test(e)), "must not disable the plugin preinstall");
    assert.ok(envs.includes("GF_PLUGINS_PREINSTALL_AUTO_UPDATE=false"), "the pinned plugin version stays");
    assert.ok(envs.some((e) => e.startsWith("GF_SECURITY_ADMIN_PASSWORD=")));
    assert.ok((g["healthcheck"] as { tests: string[] }).tests.join(" ").includes("/api/health"));
  });

  test("Grafana: its own generated secret key (not the built-in default), anonymous access off (issue 13 item 9)", () => {
    const g = find(CONTAINER, "grafana-server").inputs!;
    assert.ok(isSecretWrapped(g["envs"]), "the env list holding the key is secret");
    const envs = envsOf(g);
    assert.ok(envs.includes("GF_AUTH_ANONYMOUS_ENABLED=false"), "anonymous access is off explicitly");
    const key = envs.find((e) => e.startsWith("GF_SECURITY_SECRET_KEY="))?.slice("GF_SECURITY_SECRET_KEY=".length);
    assert.equal(key, "rp-grafanaSecretKey-xxxxxxxxxxxxxxxxxxxxxxxx", "the stack's generated grafanaSecretKey");
    assert.notEqual(key, "SW2YcwTIb9zpOOhoPsMm", "not Grafana's published default (conf/defaults.ini)");
    // A new key cannot decrypt what the old one encrypted: the datasource, whose password Grafana
    // encrypts with it, is made again whenever the key changes (its fingerprint, kept secret).
    const ds = find("grafana:oss/dataSource:DataSource", "grafana-clickhouse");
    assert.equal(ds.opts.deleteBeforeReplace, true, "same uid: the old one goes first");
    assert.ok(pulumi.Output.isInstance(ds.opts.replacementTrigger), "a replacement trigger derived from the key");
  });

  test("Grafana: the datasource's replacement trigger is a secret fingerprint of the key, not the key", async () => {
    const trigger = find("grafana:oss/dataSource:DataSource", "grafana-clickhouse").opts.replacementTrigger as pulumi.Output<string>;
    assert.equal(await pulumi.isSecret(trigger), true);
    const value = await resolve(trigger);
    assert.match(String(value), /^[0-9a-f]{16}$/);
    assert.ok(!String(value).includes("rp-grafanaSecretKey"));
  });

  test("no image is unpinned: pulled images carry exact versions, built images a content hash", () => {
    const images = ofType("docker:index/remoteImage:RemoteImage").map((r) => String(r.inputs?.["name"]));
    assert.ok(images.length >= 4);
    for (const name of images) {
      assert.doesNotMatch(name, /:latest$/);
      assert.match(name, /:(\d+\.\d+\.\d+[\w.-]*|[0-9a-f]{12})$/, name);
    }
    assert.ok(images.includes("clickhouse/clickhouse-server:26.8.10.6"));
    assert.ok(images.includes("grafana/grafana:13.3.0"));
  });

  test("built images are removed on destroy, pulled ones kept", () => {
    for (const r of ofType("docker:index/remoteImage:RemoteImage")) {
      const built = /^streamstack-dev-(ingester|superset):/.test(String(r.inputs?.["name"]));
      assert.equal(r.inputs?.["keepLocally"], !built, String(r.inputs?.["name"]));
    }
  });

  test("volumes are removed on destroy by default", () => {
    const volumes = ofType(VOLUME);
    assert.equal(volumes.length, 4);
    for (const v of volumes) assert.ok(!v.opts.retainOnDelete, v.name);
  });

  test("schema runs after ClickHouse is healthy, as the admin, with a user per service", () => {
    const schema = find("pulumi-nodejs:dynamic/streamstack:SchemaMigrations", "schema");
    assert.ok(dependsOn(schema, find(CONTAINER, "clickhouse-server").resource));
    const i = schema.inputs!;
    assert.equal(i["clickhouseUrl"], "http://127.0.0.1:8123");
    assert.equal(i["adminUser"], "streamstack_admin");
    assert.equal(i["manageAccess"], true);
    assert.equal(i["rawRetentionDays"], 30);
    assert.ok(isSecretWrapped(i["users"]), "users (with passwords) must be secret");
    const users = (unwrap(i["users"]) as Array<{ name: string; role: string }>).map((u) => `${u.name}:${u.role}`).sort();
    assert.deepEqual(users, ["streamstack_grafana:reader", "streamstack_ingester:writer", "streamstack_superset:reader"]);
  });

  test("Grafana's provider and every Grafana resource wait for the healthy Grafana container", () => {
    const container = find(CONTAINER, "grafana-server").resource;
    const provider = find("pulumi:providers:grafana", "grafana-api");
    assert.ok(dependsOn(provider, container));
    assert.equal(provider.inputs?.["url"], "http://127.0.0.1:3000");
    const grafanaResources = resources.filter((r) => r.type.startsWith("grafana:"));
    assert.ok(grafanaResources.length >= 2);
    for (const r of grafanaResources) {
      assert.equal(r.provider, provider.resource, `${r.name} uses the stack's Grafana provider`);
      assert.ok(dependsOn(r, container), `${r.name} depends on the Grafana container`);
    }
  });

  test("the datasource uses the read-only user over HTTP inside the network, password secret", () => {
    const ds = find("grafana:oss/dataSource:DataSource", "grafana-clickhouse");
    assert.ok(dependsOn(ds, find("pulumi-nodejs:dynamic/streamstack:SchemaMigrations", "schema").resource), "reader user exists first");
    const json = JSON.parse(String(unwrap(ds.inputs!["jsonDataEncoded"])));
    assert.deepEqual(json, { host: "clickhouse", port: 8123, protocol: "http", secure: false, username: "streamstack_grafana", defaultDatabase: "coinbase_demo" });
    assert.ok(isSecretWrapped(ds.inputs!["secureJsonDataEncoded"]));
  });

  test("dashboards and alert rules from grafana/ land in the folder, querying the datasource by uid", () => {
    const dashboards = ofType("grafana:oss/dashboard:Dashboard");
    assert.ok(dashboards.length >= 2, `dashboards: ${dashboards.length}`);
    for (const d of dashboards) {
      const model = JSON.parse(String(d.inputs!["configJson"])) as { uid: string; panels: unknown[] };
      assert.ok(model.uid, `${d.name} has a uid`);
      assert.equal(d.inputs!["folder"], "streamstack");
      assert.ok(String(d.inputs!["configJson"]).includes('"uid":"streamstack-clickhouse"'), `${d.name} queries the datasource`);
    }
    const groups = ofType("grafana:alerting/ruleGroup:RuleGroup");
    assert.ok(groups.length >= 1);
    for (const g of groups) {
      assert.equal(g.inputs!["folderUid"], "streamstack");
      const rules = g.inputs!["rules"] as Array<{ uid: string; datas: Array<{ datasourceUid: string }> }>;
      assert.ok(rules.length >= 1);
      for (const r of rules) assert.equal(r.datas[0]!.datasourceUid, "streamstack-clickhouse", r.uid);
    }
    const check = unwrap(find("pulumi-nodejs:dynamic/streamstack:PostDeployVerification", "verification").inputs!["grafana"]) as {
      dashboardUids: string[];
      alertRuleUids: string[];
    };
    assert.equal(check.dashboardUids.length, dashboards.length, "verification looks for every dashboard");
    assert.equal(check.alertRuleUids.length, groups.flatMap((g) => g.inputs!["rules"] as unknown[]).length, "… and every alert rule");
  });

  test("no contact point or policy unless an alert contact is configured", () => {
    assert.equal(ofType("grafana:alerting/contactPoint:ContactPoint").length, 0);
    assert.equal(ofType("grafana:alerting/notificationPolicy:NotificationPolicy").length, 0);
  });

  test("the ingester starts after the schema, with its writer password only in a secret env var", () => {
    // The container itself must list the schema: a component's dependsOn does not reach its children.
    const container = find(CONTAINER, "ingester-server");
    assert.ok(dependsOn(container, find("pulumi-nodejs:dynamic/streamstack:SchemaMigrations", "schema").resource));
    const c = find(CONTAINER, "ingester-server").inputs!;
    assert.ok(isSecretWrapped(c["envs"]), "the env list holding the password is secret");
    assert.match(envsOf(c)[0]!, /^STREAMSTACK_CLICKHOUSE_PASSWORD=/);
    // The config travels in STREAMSTACK_INGEST_CONFIG now (it was an upload, which a read-only
    // root refuses): the same checks on its text.
    const upload = { content: ingesterConfigOf(c) };
    assert.match(upload.content, /password_env: STREAMSTACK_CLICKHOUSE_PASSWORD/);
    assert.match(upload.content, /user: streamstack_ingester/);
    assert.match(upload.content, /host: clickhouse/);
    assert.doesNotMatch(upload.content, /password:/);
  });

  test("Superset assets are imported after Superset is healthy and the reader exists, over the network alias", () => {
    const assets = find("pulumi-nodejs:dynamic/streamstack:SupersetAssets", "superset-assets");
    assert.ok(dependsOn(assets, find(CONTAINER, "superset-server").resource), "after the healthy container");
    assert.ok(dependsOn(assets, find("pulumi-nodejs:dynamic/streamstack:SchemaMigrations", "schema").resource), "after the reader user exists");
    const i = assets.inputs!;
    assert.equal(i["supersetUrl"], "http://127.0.0.1:8088");
    assert.equal(i["clickhouseHost"], "clickhouse");
    assert.equal(i["clickhousePort"], 8123);
    assert.equal(i["clickhouseUser"], "streamstack_superset");
    assert.equal(i["clickhouseDatabase"], "coinbase_demo");
    assert.ok(isSecretWrapped(i["adminPassword"]) && isSecretWrapped(i["clickhousePassword"]));
    const superset = find(CONTAINER, "superset-server").inputs!;
    const envs = envsOf(superset);
    assert.ok(envs.includes("SUPERSET_ADMIN_USER=admin"));
    assert.ok(envs.some((e) => e.startsWith("SUPERSET_SECRET_KEY=")) && envs.some((e) => e.startsWith("SUPERSET_ADMIN_PASSWORD=")));
    assert.deepEqual(superset["volumes"], [{ volumeName: "streamstack-dev-superset-home", containerPath: "/app/superset_home" }]);
  });

  test("built images build from a staged context holding only what their Dockerfile copies", () => {
    for (const name of ["ingester-image-build", "superset-image-build"]) {
      const build = find("docker:index/image:Image", name).inputs!;
      const b = build["build"] as { context: string; dockerfile: string };
      assert.match(b.context, /\/\.cache\/build-contexts\/streamstack-dev-(ingester|superset)-[0-9a-f]{12}$/, name);
      assert.ok(b.dockerfile.startsWith(b.context), `${name}: the Dockerfile is inside the staged context`);
      assert.equal(build["skipPush"], true);
      assert.ok(String(build["imageName"]).endsWith(b.context.slice(-12)), "the tag is the staged content's hash");
    }
  });

  test("the ingester runs the image's entry with the uploaded config, spool on a volume", () => {
    const c = find(CONTAINER, "ingester-server").inputs!;
    assert.deepEqual(c["command"], ["--config", "/etc/ingest/config.yaml"]);
    // The entrypoint writes the config there (a tmpfs), then execs the image's own entrypoint.
    const upload = { file: /> '([^']+)'/.exec((c["entrypoints"] as string[])[2]!)![1], content: ingesterConfigOf(c) };
    assert.equal(upload.file, "/etc/ingest/config.yaml");
    assert.match((c["entrypoints"] as string[])[2]!, /exec 'node' '\/app\/ingest\.js' "\$@"$/);
    assert.match(upload.content, /dir: \/var\/lib\/ingest\/spool/);
    assert.deepEqual(c["volumes"], [{ volumeName: "streamstack-dev-ingester-spool", containerPath: "/var/lib/ingest" }]);
  });

  test("the verification runs last: after the schema and every service, with secrets wrapped", () => {
    const v = find("pulumi-nodejs:dynamic/streamstack:PostDeployVerification", "verification");
    for (const [type, name] of [
      ["pulumi-nodejs:dynamic/streamstack:SchemaMigrations", "schema"],
      [CONTAINER, "grafana-server"],
      [CONTAINER, "superset-server"],
      [CONTAINER, "ingester-server"],
      ["pulumi-nodejs:dynamic/streamstack:SupersetAssets", "superset-assets"],
    ] as const) {
      assert.ok(dependsOn(v, find(type, name).resource), `verification waits for ${name}`);
    }
    const i = v.inputs!;
    for (const key of ["clickhouse", "grafana", "superset"]) assert.ok(isSecretWrapped(i[key]), `${key} block is secret`);
    assert.equal(i["tickWaitSeconds"], 120);
    assert.equal(i["tradeWaitSeconds"], 120, "the default channels include matches: trades must arrive too");
    const grafanaCheck = unwrap(i["grafana"]) as Record<string, unknown>;
    assert.equal(grafanaCheck["url"], "http://127.0.0.1:3000");
    assert.equal(grafanaCheck["datasourceUid"], "streamstack-clickhouse");
    const supersetCheck = unwrap(i["superset"]) as Record<string, unknown>;
    assert.match(String(supersetCheck["databaseUuid"]), /^[0-9a-f-]{36}$/);
    assert.equal(supersetCheck["checkConnection"], true);
    const users = (unwrap(unwrap(i["clickhouse"]) as unknown) as { users: unknown[] }).users;
    assert.equal(users.length, 3);
  });

  test("every password is a secret: no generated value appears in any plain input", () => {
    assert.ok(generatedSecrets.size >= 7, `generated: ${generatedSecrets.size}`);
    for (const r of resources) {
      if (!r.inputs) continue;
      for (const s of plainStrings(r.inputs)) {
        for (const secret of generatedSecrets) assert.ok(!s.includes(secret), `${r.type} ${r.name} has a password in plain text: ${s.slice(0, 60)}`);
      }
    }
  });

  test("every output README.md and docs/ tell the user to read (npm run stack -- output <name>) is one", () => {
    const named = documentedCommands().filter((c) => c.script === "stack" && c.args[0] === "output" && c.args[1] && !c.args[1].startsWith("-") && !isPlaceholder(c.args[1]));
    assert.ok(named.length >= 4, `only ${named.length} documented outputs found`);
    for (const c of named) assert.ok(c.args[1]! in outputs, `${c.at}: the stack has no output ${c.args[1]}`);
  });

  test("outputs: URLs and user names in plain, passwords only as secrets", async () => {
    assert.equal(await resolve(outputs["grafanaUrl"]), "http://127.0.0.1:3000");
    assert.equal(await resolve(outputs["supersetUrl"]), "http://127.0.0.1:8088");
    assert.equal(await resolve(outputs["clickhouseUrl"]), "http://127.0.0.1:8123");
    assert.equal(outputs["grafanaAdminUser"], "admin");
    for (const [key, value] of Object.entries(outputs)) {
      const isPassword = /Password$/.test(key);
      if (pulumi.Output.isInstance(value)) {
        assert.equal(await pulumi.isSecret(value), isPassword, `${key} secret=${isPassword}`);
      } else {
        assert.ok(!isPassword, `${key} must be a secret Output`);
        for (const s of plainStrings(value)) for (const secret of generatedSecrets) assert.ok(!s.includes(secret), key);
      }
    }
  });
});

describe("settings change what is made", () => {
  test("keepDataOnDestroy=true retains every volume", async () => {
    const { resources, failure } = await run({ keepDataOnDestroy: true });
    assert.equal(failure, undefined, String(failure));
    const volumes = resources.filter((r) => r.type === VOLUME);
    assert.equal(volumes.length, 4);
    for (const v of volumes) assert.equal(v.opts.retainOnDelete, true, v.name);
  });

  test("bindAddress and ports are honoured", async () => {
    const { resources, failure } = await run({ bindAddress: "0.0.0.0", grafanaPort: 3300 });
    assert.equal(failure, undefined, String(failure));
    const ports = resources.filter((r) => r.type === CONTAINER).flatMap((c) => c.inputs?.["ports"] as Array<Record<string, unknown>>);
    for (const p of ports) assert.equal(p["ip"], "0.0.0.0");
    assert.ok(ports.some((p) => p["external"] === 3300 && p["internal"] === 3000));
  });

  test("an alert webhook adds a contact point and a policy routing to it", async () => {
    const { resources, failure } = await run({ alertWebhookUrl: "https://hooks.example.com/alerts" });
    assert.equal(failure, undefined, String(failure));
    const cp = resources.find((r) => r.type === "grafana:alerting/contactPoint:ContactPoint");
    assert.ok(cp);
    const webhooks = cp.inputs?.["webhooks"] as Array<{ url: string }>;
    assert.deepEqual(webhooks.map((w) => w.url), ["https://hooks.example.com/alerts"]);
    assert.equal(cp.inputs?.["emails"], undefined);
    const policy = resources.find((r) => r.type === "grafana:alerting/notificationPolicy:NotificationPolicy");
    assert.equal(policy?.inputs?.["contactPoint"], "streamstack");
  });

  test("a password given in config is used (and kept secret) instead of a generated one", async () => {
    const { resources, failure } = await run({ grafanaAdminPassword: "given-admin-password-123" }, ["grafanaAdminPassword"]);
    assert.equal(failure, undefined, String(failure));
    assert.ok(!resources.some((r) => r.name === "grafanaAdminPassword"), "no RandomPassword for a given secret");
    const grafanaInputs = resources.find((r) => r.name === "grafana-server")!.inputs!;
    assert.ok(isSecretWrapped(grafanaInputs["envs"]));
    assert.ok(envsOf(grafanaInputs).includes("GF_SECURITY_ADMIN_PASSWORD=given-admin-password-123"));
  });

  test("disabled services make nothing of theirs", async () => {
    const { resources, failure } = await run({ grafanaEnabled: false, ingesterEnabled: false, supersetEnabled: false });
    assert.equal(failure, undefined, String(failure));
    assert.deepEqual(
      resources.filter((r) => r.type === CONTAINER).map((r) => r.name),
      ["clickhouse-server"],
    );
    assert.ok(!resources.some((r) => r.type.startsWith("grafana:") || r.type === "pulumi:providers:grafana"));
    const v = resources.find((r) => r.type === "pulumi-nodejs:dynamic/streamstack:PostDeployVerification")!;
    assert.equal(v.inputs?.["grafana"], null, "disabled Grafana is skipped by the checks");
    assert.equal(v.inputs?.["superset"], null);
    assert.equal(v.inputs?.["tickWaitSeconds"], null);
    assert.equal(v.inputs?.["tradeWaitSeconds"], null);
  });

  test("verificationEnabled=false makes no verification resource", async () => {
    const { resources, failure } = await run({ verificationEnabled: false });
    assert.equal(failure, undefined, String(failure));
    assert.ok(!resources.some((r) => r.type.endsWith(":PostDeployVerification")));
  });
});

describe("invalid config", () => {
  test("fails with the key named before any resource is made", async () => {
    const { failure, resources } = await run({ grafanaPort: "http", clickhouseImage: "clickhouse/clickhouse-server:latest" });
    assert.ok(failure instanceof Error);
    assert.match(failure.message, /streamstack:grafanaPort/);
    assert.match(failure.message, /streamstack:clickhouseImage: the tag `latest` floats/);
    assert.deepEqual(types(resources), []);
  });
});

describe("ClickHouse admin password and the image's users XML (issue 13 item 8)", () => {
  const chEnvs = (resources: Recorded[]) => envsOf(resources.find((r) => r.type === CONTAINER && r.name === "clickhouse-server")!.inputs!);

  test("refused, naming the setting and never the value, where the entrypoint would write a broken or open users XML", async () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ["", {}, /empty/],
      ["control\u0001char-in-a-long-password", {}, /control character/],
      // Images before the entrypoint wrapped the password in CDATA (ClickHouse PR #69301, 24.9)
      // write it into <password> as it is: < and & break the XML there.
      ["a<b&c-long-enough-password", { clickhouseImage: "clickhouse/clickhouse-server:23.8.16.40" }, /<, & or \]\]>/],
      ["a]]>b-long-enough-password", { clickhouseImage: `clickhouse/clickhouse-server@sha256:${"b".repeat(64)}` }, /<, & or \]\]>/],
    ];
    for (const [password, settings, reason] of cases) {
      const { failure, resources } = await run({ ...settings, clickhouseAdminPassword: password }, ["clickhouseAdminPassword"]);
      assert.ok(failure instanceof Error, `${JSON.stringify(password)} was accepted`);
      assert.match(failure.message, /streamstack:clickhouseAdminPassword/);
      assert.match(failure.message, reason);
      if (password) assert.ok(!failure.message.includes(password), "the message does not print the password");
      assert.ok(!resources.some((r) => r.type === CONTAINER && r.name === "clickhouse-server" && r.inputs !== undefined), "no ClickHouse container is made");
    }
  });

  test("passed verbatim, not escaped, to an image whose entrypoint wraps it in CDATA itself", async () => {
    const password = "a<b&c]]>d-long-enough-password";
    const { failure, resources } = await run({ clickhouseAdminPassword: password }, ["clickhouseAdminPassword"]);
    assert.equal(failure, undefined, String(failure));
    assert.ok(chEnvs(resources).includes(`CLICKHOUSE_PASSWORD=${password}`));
  });
});

describe("external-services mode", () => {
  test("creates only our own dynamic resources: no docker, random or grafana resources", async () => {
    const { failure, resources, outputs } = await run(
      {
        clickhouseUrl: "https://ch.example.com:8443",
        supersetUrl: "https://bi.example.com",
        grafanaEnabled: false,
        ingesterEnabled: false,
        clickhouseAdminPassword: "external-admin-password",
        supersetAdminPassword: "external-superset-password",
      },
      ["clickhouseAdminPassword", "supersetAdminPassword"],
    );
    assert.equal(failure, undefined, String(failure));
    const custom = resources.filter((r) => !r.type.startsWith("streamstack:infra:"));
    assert.ok(custom.length > 0);
    for (const r of custom) assert.match(r.type, /^pulumi-nodejs:dynamic\/streamstack:/, `${r.type} ${r.name} needs a provider plugin`);
    const schema = resources.find((r) => r.type === "pulumi-nodejs:dynamic/streamstack:SchemaMigrations")!;
    assert.equal(schema.inputs?.["clickhouseUrl"], "https://ch.example.com:8443");
    assert.equal(schema.inputs?.["dropData"], false);
    assert.equal(await resolve(outputs!["supersetUrl"]), "https://bi.example.com");
    const assets = resources.find((r) => r.type === "pulumi-nodejs:dynamic/streamstack:SupersetAssets")!;
    assert.equal(assets.inputs?.["supersetUrl"], "https://bi.example.com");
    assert.equal(assets.inputs?.["clickhouseHost"], "ch.example.com");
    assert.equal(assets.inputs?.["clickhousePort"], 8443);
  });
});

function resolve(value: unknown): Promise<unknown> {
  return new Promise((ok) => (value as pulumi.Output<unknown>).apply((v) => ok(v)));
}
