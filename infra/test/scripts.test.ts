// scripts/up.sh and down.sh with the real Pulumi CLI (the pinned build, as the engine tests use):
// local state, a generated passphrase, the dev stack, and Pulumi.yaml's declared settings as the
// CLI hands them to the program. `pulumi up` itself needs Docker and provider plugins: not here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, type ConfigSource } from "../config";
import { cliUnavailable, pulumiRoot, REPO } from "./engine/harness";

const noCli = cliUnavailable();

describe("npm run up / down scripts with the real Pulumi CLI", { skip: noCli }, () => {
  let project: string;
  let home: string;

  before(() => {
    project = mkdtempSync(join(tmpdir(), "streamstack-up-"));
    home = mkdtempSync(join(tmpdir(), "streamstack-pulumi-home-"));
    mkdirSync(join(project, "scripts"));
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml", "scripts/up.sh", "scripts/down.sh"]) cpSync(join(REPO, file), join(project, file));
    symlinkSync(join(REPO, "node_modules"), join(project, "node_modules"));
  });

  after(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  function run(script: string, args: string[], dir = project) {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(pulumiRoot(), "bin")}:${process.env.PATH}`, PULUMI_HOME: home };
    delete env.PULUMI_CONFIG_PASSPHRASE;
    delete env.PULUMI_BACKEND_URL;
    return spawnSync("bash", [join(dir, "scripts", script), ...args], { cwd: dir, env, encoding: "utf8", timeout: 120_000 });
  }

  test("first run makes local state and a private passphrase, and selects the dev stack", () => {
    const result = run("up.sh", ["pulumi", "stack", "ls", "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const stacks = JSON.parse(result.stdout) as Array<{ name: string; current: boolean }>;
    assert.deepEqual(stacks.map((s) => [s.name, s.current]), [["dev", true]]);
    const passphrase = join(project, ".pulumi-state", "passphrase");
    assert.equal(statSync(passphrase).mode & 0o777, 0o600);
    assert.equal(statSync(join(project, ".pulumi-state")).mode & 0o777, 0o700);
    assert.ok(readFileSync(passphrase, "utf8").length >= 40);
    assert.match(result.stderr, /generated a state passphrase/);
  });

  test("a second run keeps the passphrase", () => {
    const before = readFileSync(join(project, ".pulumi-state", "passphrase"), "utf8");
    const result = run("up.sh", ["pulumi", "stack", "--show-name"]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "dev");
    assert.equal(readFileSync(join(project, ".pulumi-state", "passphrase"), "utf8"), before);
  });

  test("the settings the CLI hands the program (Pulumi.yaml defaults + Pulumi.dev.yaml) parse to the program's defaults", () => {
    const result = run("up.sh", ["pulumi", "config", "--json"]);
    assert.equal(result.status, 0, result.stderr);
    const config = JSON.parse(result.stdout) as Record<string, { value?: string; secret: boolean }>;
    const source: ConfigSource = {
      get: (key) => config[`streamstack:${key}`]?.value,
      getSecret: (key) => (config[`streamstack:${key}`]?.value !== undefined ? pulumi.secret(config[`streamstack:${key}`]!.value!) : undefined),
      keys: () => Object.keys(config).map((k) => k.replace(/^streamstack:/, "")),
    };
    const fromCli = loadStackConfig(source, "dev") as unknown as Record<string, unknown>;
    const defaults = loadStackConfig({ get: () => undefined, getSecret: () => undefined }, "dev") as unknown as Record<string, unknown>;
    for (const key of Object.keys(defaults)) {
      if (key === "secrets") continue;
      assert.deepEqual(fromCli[key], defaults[key], key);
    }
  });

  test("a secret set through the script is stored encrypted in the stack file", () => {
    const password = "a-test-password-that-must-not-appear";
    const set = run("up.sh", ["pulumi", "config", "set", "--secret", "grafanaAdminPassword", password]);
    assert.equal(set.status, 0, set.stderr);
    const stackFile = readFileSync(join(project, "Pulumi.dev.yaml"), "utf8");
    assert.ok(!stackFile.includes(password));
    assert.match(stackFile, /streamstack:grafanaAdminPassword:\s*\n\s+secure: /);
    const get = run("up.sh", ["pulumi", "config", "get", "grafanaAdminPassword"]);
    assert.equal(get.stdout.trim(), password, "the generated passphrase decrypts it");
  });

  test("down without any earlier up says so instead of creating state", () => {
    const fresh = mkdtempSync(join(tmpdir(), "streamstack-down-"));
    try {
      mkdirSync(join(fresh, "scripts"));
      cpSync(join(REPO, "scripts", "down.sh"), join(fresh, "scripts", "down.sh"));
      const result = run("down.sh", [], fresh);
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /no \.pulumi-state\/passphrase: nothing was deployed from this checkout/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
