// The npm scripts a user types (package.json → scripts/pulumi.sh, up.sh, down.sh) with the real
// Pulumi CLI (the pinned build, as the engine tests use), in a clean copy of the repository: local
// state, a generated passphrase, the dev stack, Pulumi.yaml's settings as the CLI hands them to
// the program, and what `npm run up` checks before it starts Pulumi's deployment. The deployment
// itself, through the same scripts, is infra/test/engine/userCommands.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadStackConfig } from "../config";
import { cliConfigSource } from "../preflight";
import { cleanCopy, cliUnavailable, LANGUAGE_HOST_DIR, npmRunner, ok, pulumiRoot, REPO, type NpmRun } from "./engine/harness";

const noCli = cliUnavailable();

describe("npm run pulumi / stack / config / up / down with the real Pulumi CLI", { skip: noCli }, () => {
  let project: string;
  let home: string;
  let npm: NpmRun;

  before(() => {
    project = cleanCopy("streamstack-scripts-");
    home = mkdtempSync(join(tmpdir(), "streamstack-pulumi-home-"));
    npm = npmRunner(project, home);
  });

  after(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  test("first run makes local state and a private passphrase, and selects the dev stack", async () => {
    const result = ok(await npm("stack", ["ls", "--json"]), "npm run stack -- ls --json");
    const stacks = JSON.parse(result.stdout) as Array<{ name: string; current: boolean }>;
    assert.deepEqual(stacks.map((s) => [s.name, s.current]), [["dev", true]]);
    const passphrase = join(project, ".pulumi-state", "passphrase");
    assert.equal(statSync(passphrase).mode & 0o777, 0o600);
    assert.equal(statSync(join(project, ".pulumi-state")).mode & 0o777, 0o700);
    assert.ok(readFileSync(passphrase, "utf8").length >= 40);
    assert.match(result.stderr, /generated a state passphrase/);
  });

  test("a second run keeps the passphrase", async () => {
    const before = readFileSync(join(project, ".pulumi-state", "passphrase"), "utf8");
    const result = ok(await npm("pulumi", ["stack", "--show-name"]), "npm run pulumi -- stack --show-name");
    assert.equal(result.stdout.trim(), "dev");
    assert.equal(readFileSync(join(project, ".pulumi-state", "passphrase"), "utf8"), before);
  });

  test("the settings the CLI hands the program (Pulumi.yaml defaults + Pulumi.dev.yaml) parse to the program's defaults", async () => {
    const result = ok(await npm("config", ["--json"]), "npm run config -- --json");
    const fromCli = loadStackConfig(cliConfigSource(result.stdout), "dev") as unknown as Record<string, unknown>;
    const defaults = loadStackConfig({ get: () => undefined, getSecret: () => undefined }, "dev") as unknown as Record<string, unknown>;
    for (const key of Object.keys(defaults)) {
      if (key === "secrets") continue;
      assert.deepEqual(fromCli[key], defaults[key], key);
    }
  });

  test("a secret set through the script is stored encrypted in the stack file", async () => {
    const password = "a-test-password-that-must-not-appear";
    ok(await npm("config", ["set", "--secret", "grafanaAdminPassword", password]), "config set --secret");
    const stackFile = readFileSync(join(project, "Pulumi.dev.yaml"), "utf8");
    assert.ok(!stackFile.includes(password));
    assert.match(stackFile, /streamstack:grafanaAdminPassword:\s*\n\s+secure: /);
    const get = ok(await npm("config", ["get", "grafanaAdminPassword"]), "config get");
    assert.equal(get.stdout.trim(), password, "the generated passphrase decrypts it");
  });

  test("up with a bad setting stops before Pulumi and Docker, naming the key and the fix", async () => {
    ok(await npm("config", ["set", "grafanaPort", "http"]), "config set grafanaPort");
    ok(await npm("config", ["set", "supersetSecretKey", "typed-without-secret"]), "config set supersetSecretKey");
    try {
      const result = await npm("up");
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /streamstack:grafanaPort: .*got "http"/);
      assert.match(result.stderr, /streamstack:supersetSecretKey: stored in plain text .*npm run config -- set --secret supersetSecretKey/);
      assert.doesNotMatch(result.stderr + result.stdout, /docker|Updating \(dev\)/i);
    } finally {
      ok(await npm("config", ["rm", "grafanaPort"]), "config rm");
      ok(await npm("config", ["rm", "supersetSecretKey"]), "config rm");
    }
  });

  test("up with containers to make and no Docker says so before Pulumi runs", async () => {
    const result = await npm("up", [], { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /streamstack: (docker is not on PATH|cannot reach the Docker daemon)/);
    assert.doesNotMatch(result.stdout, /Updating \(dev\)/);
  });

  test("up without a Pulumi CLI says how to install the pinned one and how to build it", async () => {
    const pin = readFileSync(join(project, "scripts", "pulumi-version.txt"), "utf8").trim();
    const bare = mkdtempSync(join(tmpdir(), "streamstack-nocli-home-"));
    try {
      const result = await npmRunner(project, bare, { withCli: false })("up");
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /the Pulumi CLI is not on PATH/);
      assert.ok(result.stderr.includes(`get.pulumi.com | sh -s -- --version ${pin}`), result.stderr);
      assert.match(result.stderr, /export PATH="\$HOME\/\.pulumi\/bin:\$PATH"/);
      assert.match(result.stderr, /bash scripts\/pulumi-cli\.sh/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  test("up with a CLI that has no Node.js language host (a Go-module build) says to use Pulumi's installer", async () => {
    const result = await npmRunner(project, home, { withLanguageHost: false })("up");
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /has no Node\.js language host \(pulumi-language-nodejs\)/);
    assert.match(result.stderr, /get\.pulumi\.com \| sh -s -- --version \d+\.\d+\.\d+/);
    assert.doesNotMatch(result.stdout, /Updating \(dev\)/);
  });

  test("a first run that installs npm dependencies keeps them off stdout, which up.sh parses as config JSON", () => {
    const fresh = cleanCopy("streamstack-npmci-");
    const fakeBin = mkdtempSync(join(tmpdir(), "streamstack-fake-npm-"));
    try {
      rmSync(join(fresh, "node_modules"));
      // Stands in for `npm ci` (no network in tests): prints as npm does, then installs by linking.
      writeFileSync(join(fakeBin, "npm"), `#!/bin/sh\necho "added 249 packages in 29s"\nln -s ${JSON.stringify(join(REPO, "node_modules"))} node_modules\n`, { mode: 0o755 });
      const env: NodeJS.ProcessEnv = { ...process.env, PATH: [fakeBin, join(pulumiRoot(), "bin"), process.env.PATH].join(":"), PULUMI_HOME: home };
      for (const key of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE"]) delete env[key];
      const ran = spawnSync("bash", [join(fresh, "scripts", "pulumi.sh"), "config", "--json"], { cwd: fresh, env, encoding: "utf8", timeout: 120_000 });
      assert.equal(ran.status, 0, ran.stderr);
      assert.match(ran.stderr, /installing npm dependencies \(npm ci\)[\s\S]*added 249 packages/);
      assert.doesNotThrow(() => JSON.parse(ran.stdout), `stdout is config JSON: ${ran.stdout.slice(0, 200)}`);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
      rmSync(fakeBin, { recursive: true, force: true });
    }
  });

  test("the language host is found next to a pulumi reached through a symlink, as Pulumi itself finds it", async () => {
    const install = mkdtempSync(join(tmpdir(), "streamstack-pulumi-install-"));
    const linkDir = mkdtempSync(join(tmpdir(), "streamstack-pulumi-link-"));
    try {
      // An installer's layout: pulumi and the language host side by side; PATH holds only a link to pulumi.
      // The binary itself (a hard link, or a copy across file systems), not a link to the .cache build.
      try {
        linkSync(join(pulumiRoot(), "bin", "pulumi"), join(install, "pulumi"));
      } catch {
        copyFileSync(join(pulumiRoot(), "bin", "pulumi"), join(install, "pulumi"));
      }
      symlinkSync(join(LANGUAGE_HOST_DIR, "pulumi-language-nodejs"), join(install, "pulumi-language-nodejs"));
      symlinkSync(join(install, "pulumi"), join(linkDir, "pulumi"));
      const result = await npmRunner(project, home, { withCli: false, withLanguageHost: false })("up", [], { PATH: [linkDir, process.env.PATH].join(":"), DOCKER_HOST: "unix:///nonexistent/docker.sock" });
      assert.notEqual(result.status, 0);
      assert.doesNotMatch(result.stderr, /no Node\.js language host/, "the host beside the resolved pulumi counts");
      assert.match(result.stderr, /docker is not on PATH|cannot reach the Docker daemon/, "it went on to the Docker check");
    } finally {
      rmSync(install, { recursive: true, force: true });
      rmSync(linkDir, { recursive: true, force: true });
    }
  });

  test("down without any earlier up says so instead of creating state", async () => {
    const fresh = cleanCopy("streamstack-down-");
    try {
      const result = await npmRunner(fresh, home)("down");
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /no \.pulumi-state\/passphrase: nothing was deployed from this checkout/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
