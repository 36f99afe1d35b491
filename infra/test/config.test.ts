// Stack config policies: defaults match Pulumi.yaml, bad values are named by key with the fix.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { loadStackConfig, SECRET_KEYS, settingsSchema, StackConfigError, type ConfigSource } from "../config";

function source(values: Record<string, unknown>, secrets: Record<string, string> = {}): ConfigSource {
  return {
    get: (key) => (key in values ? (typeof values[key] === "string" ? (values[key] as string) : JSON.stringify(values[key])) : undefined),
    getSecret: (key) => (key in secrets ? pulumi.secret(secrets[key]!) : undefined),
    keys: () => [...Object.keys(values), ...Object.keys(secrets)],
  };
}

function errorOf(values: Record<string, unknown>, secrets: Record<string, string> = {}): string {
  try {
    loadStackConfig(source(values, secrets), "dev");
  } catch (err) {
    assert.ok(err instanceof StackConfigError, `expected StackConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`config ${JSON.stringify(values)} was accepted`);
}

const PULUMI_YAML = readFileSync(join(__dirname, "..", "..", "Pulumi.yaml"), "utf8");
const project = parse(PULUMI_YAML) as {
  config: Record<string, { type: string; default?: unknown; secret?: boolean; description?: string }>;
  main: string;
  backend: { url: string };
};

/** The optional settings, documented in Pulumi.yaml's comment block: `#   key (type): description`. */
const optionalSettings = new Map(
  [...PULUMI_YAML.matchAll(/^#\s{3}(\w+) \((string|secret)\): (.+)$/gm)].map((m) => [m[1]!, { type: m[2]!, description: m[3]! }]),
);

describe("Pulumi.yaml documents every setting the program reads", () => {
  test("every schema key and secret is declared or listed as optional, with a description, and nothing else is", () => {
    const documented = [...Object.keys(project.config), ...optionalSettings.keys()].sort();
    const known = [...Object.keys(settingsSchema.shape), ...SECRET_KEYS].sort();
    assert.deepEqual(documented, known);
    for (const [key, decl] of Object.entries(project.config)) assert.ok(decl.description && decl.description.length > 10, `${key} has no description`);
    for (const [key, opt] of optionalSettings) assert.ok(opt.description.length > 10, `${key} has no description`);
  });

  test("every declared key has a default: the CLI treats a declared key without one as required (issue 12)", () => {
    for (const [key, decl] of Object.entries(project.config)) {
      assert.notEqual(decl.default, undefined, `${key} is declared without a default: \`pulumi up\` would stop with "missing configuration value"; list it as optional instead`);
    }
  });

  test("declared defaults equal the program's defaults (the Automation API does not read Pulumi.yaml)", () => {
    const defaults = loadStackConfig(source({}), "dev") as unknown as Record<string, unknown>;
    for (const [key, decl] of Object.entries(project.config)) assert.deepEqual(defaults[key], decl.default, `default of ${key}`);
    for (const key of optionalSettings.keys()) {
      if (key === "namePrefix") continue; // computed from the stack name, documented in its description
      assert.equal(defaults[key], undefined, `${key} is listed as optional but the program has a default for it`);
    }
  });

  test("secrets are listed as optional secrets, never declared with a default", () => {
    for (const key of SECRET_KEYS) {
      assert.equal(optionalSettings.get(key)?.type, "secret", `${key} is not listed as a secret`);
      assert.equal(project.config[key], undefined, `${key} is declared under config:`);
    }
    for (const [key, opt] of optionalSettings) if (opt.type === "secret") assert.ok((SECRET_KEYS as readonly string[]).includes(key), `${key} is listed as a secret but the program reads it as plain`);
  });

  test("grafanaSecretKey is an optional secret setting, listed in Pulumi.yaml (issue 13 item 9)", () => {
    assert.ok((SECRET_KEYS as readonly string[]).includes("grafanaSecretKey"));
    assert.equal(optionalSettings.get("grafanaSecretKey")?.type, "secret");
    assert.match(optionalSettings.get("grafanaSecretKey")!.description, /GF_SECURITY_SECRET_KEY|secret_key/);
  });

  test("the declared types match how the program parses each key", () => {
    const defaults = loadStackConfig(source({}), "dev") as unknown as Record<string, unknown>;
    for (const [key, decl] of Object.entries(project.config)) {
      const expected = decl.type === "integer" ? "number" : decl.type === "array" ? "object" : decl.type;
      assert.equal(typeof defaults[key], expected, key);
    }
  });

  test("the program entry and a local state backend are set", () => {
    assert.equal(project.main, "infra/index.ts");
    assert.match(project.backend.url, /^file:\/\//);
  });

  test("the entry module exports the program function, which the Node.js language host calls", () => {
    // run.js: "If the exported value was itself a Function, then just execute it" and await it.
    const entry = require(join(__dirname, "..", "index.ts")) as unknown;
    assert.equal(typeof entry, "function");
    assert.equal((entry as { name: string }).name, "streamstack");
  });
});

describe("loadStackConfig", () => {
  test("defaults: ports on 127.0.0.1, pinned images, a prefix from the stack name", () => {
    const cfg = loadStackConfig(source({}), "Dev Stack");
    assert.equal(cfg.bindAddress, "127.0.0.1");
    assert.equal(cfg.namePrefix, "streamstack-dev-stack");
    assert.equal(cfg.externalOnly, false);
    assert.deepEqual(cfg.products, ["BTC-USD", "ETH-USD"]);
  });

  test("reads numbers, booleans and lists from their JSON text", () => {
    const cfg = loadStackConfig(source({ grafanaPort: "3300", keepDataOnDestroy: "true", products: '["SOL-USD"]' }), "dev");
    assert.equal(cfg.grafanaPort, 3300);
    assert.equal(cfg.keepDataOnDestroy, true);
    assert.deepEqual(cfg.products, ["SOL-USD"]);
  });

  test("a bad port names the key, the problem and the value", () => {
    const message = errorOf({ grafanaPort: "http" });
    assert.match(message, /streamstack:grafanaPort: .*expected number/);
    assert.match(message, /got "http"/);
    assert.match(message, /nothing was deployed/);
  });

  test("every bad key is reported at once", () => {
    const message = errorOf({ grafanaPort: 70000, rawRetentionDays: -1, products: ["btc"] });
    assert.match(message, /streamstack:grafanaPort/);
    assert.match(message, /streamstack:rawRetentionDays: expected 0 \(keep forever\)/);
    assert.match(message, /streamstack:products: expected Coinbase product ids such as BTC-USD \(item 0\)/);
  });

  test("a misspelt key is rejected, not ignored", () => {
    assert.match(errorOf({ grafanPort: 3000 }), /streamstack:grafanPort: unknown setting/);
  });

  test("an unpinned or latest image is rejected", () => {
    assert.match(errorOf({ grafanaImage: "grafana/grafana:latest" }), /streamstack:grafanaImage: the tag `latest` floats/);
    assert.match(errorOf({ clickhouseImage: "clickhouse/clickhouse-server" }), /streamstack:clickhouseImage: expected repository:tag/);
    assert.match(errorOf({ clickhouseImage: "clickhouse/clickhouse-server:lts" }), /exact version tag/);
  });

  test("a floating branch tag is rejected: major.minor and major alone move with every release (issue 13 item 8)", () => {
    // The image READMEs: "Branch tags like `22.2` point to the latest release of the corresponding
    // branch" (ClickHouse docker/server/README.md); Grafana's 13.3 likewise moves with 13.3.x.
    for (const [key, image] of [
      ["clickhouseImage", "clickhouse/clickhouse-server:26.8"],
      ["clickhouseImage", "clickhouse/clickhouse-server:26.8-alpine"],
      ["grafanaImage", "grafana/grafana:13.3"],
      ["grafanaImage", "grafana/grafana:13"],
      ["grafanaImage", "grafana/grafana:13.3.0-latest"],
    ] as const) {
      assert.match(errorOf({ [key]: image }), new RegExp(`streamstack:${key}: .*exact version`), image);
    }
  });

  test("exact versions, an -alpine style suffix and sha256 digests are accepted", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    for (const image of [
      "clickhouse/clickhouse-server:26.8.10.6",
      "clickhouse/clickhouse-server:26.8.10.6-alpine",
      `clickhouse/clickhouse-server@${digest}`,
      `clickhouse/clickhouse-server:26.8@${digest}`,
    ]) {
      assert.equal(loadStackConfig(source({ clickhouseImage: image }), "dev").clickhouseImage, image);
    }
    assert.equal(loadStackConfig(source({ grafanaImage: "grafana/grafana:13.3.0" }), "dev").grafanaImage, "grafana/grafana:13.3.0");
  });

  test("a clickhouseUrl the client cannot open is rejected with the client's own reason", () => {
    assert.match(errorOf({ clickhouseUrl: "ftp://ch.example.com" }), /streamstack:clickhouseUrl: ClickHouse url "ftp:\/\/ch.example.com" has protocol "ftp"; expected http:\/\/ or https:\/\//);
    assert.match(errorOf({ clickhouseUrl: "chdb:" }), /streamstack:clickhouseUrl: .*names no directory/);
  });

  test("a channel the ingester does not store is rejected", () => {
    assert.match(errorOf({ channels: ["ticker", "level2"] }), /streamstack:channels: .*(item 1)/);
  });

  test("two services on one host port are rejected", () => {
    assert.match(errorOf({ grafanaPort: 8088 }), /streamstack:supersetPort: port 8088 is also streamstack:grafanaPort/);
  });

  test("an external ClickHouse server needs its admin password from config", () => {
    assert.match(errorOf({ clickhouseUrl: "https://abc.clickhouse.cloud:8443" }), /streamstack:clickhouseAdminPassword: required with streamstack:clickhouseUrl/);
    const cfg = loadStackConfig(source({ clickhouseUrl: "https://abc.clickhouse.cloud:8443" }, { clickhouseAdminPassword: "s3cret-s3cret-s3cret" }), "dev");
    assert.ok(cfg.secrets.clickhouseAdminPassword);
  });

  test("the embedded engine needs manageClickhouseUsers=false and no containers that would query it", () => {
    assert.match(
      errorOf({ clickhouseUrl: "chdb:/tmp/x", grafanaEnabled: false, ingesterEnabled: false, supersetEnabled: false }),
      /streamstack:manageClickhouseUsers: must be false with an embedded engine/,
    );
    assert.match(errorOf({ clickhouseUrl: "chdb:/tmp/x", manageClickhouseUsers: false }), /streamstack:clickhouseUrl: chdb:\/tmp\/x is an engine inside the Pulumi process/);
  });

  test("a secret stored in plain text is refused, naming the command that stores it encrypted", () => {
    const plain: ConfigSource = { ...source({}, { grafanaAdminPassword: "a-long-admin-password" }), isSecret: () => false };
    assert.throws(() => loadStackConfig(plain, "dev"), /streamstack:grafanaAdminPassword: stored in plain text .* npm run config -- set --secret grafanaAdminPassword <value>/);
    const encrypted: ConfigSource = { ...plain, isSecret: () => true };
    assert.ok(loadStackConfig(encrypted, "dev").secrets.grafanaAdminPassword);
  });

  test("external ClickHouse, no Grafana, no ingester, external Superset = external-only mode", () => {
    const cfg = loadStackConfig(
      source(
        { clickhouseUrl: "http://ch.internal:8123", supersetUrl: "http://bi.internal:8088", grafanaEnabled: false, ingesterEnabled: false },
        { clickhouseAdminPassword: "a-long-admin-password", supersetAdminPassword: "another-long-password" },
      ),
      "dev",
    );
    assert.equal(cfg.externalOnly, true);
  });
});
