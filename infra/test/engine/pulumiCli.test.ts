// scripts/pulumi-cli.sh picks the CLI: a `pulumi` on PATH at the pinned version, else the cached
// build. (The build itself is exercised by CI's first run and by every engine test.)
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { cliUnavailable, pinnedVersion, pulumiRoot, REPO } from "./harness";

const SCRIPT = join(REPO, "scripts", "pulumi-cli.sh");
const skip = cliUnavailable();

function fakePulumi(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "pulumi");
  writeFileSync(file, `#!/bin/sh\n[ "$1" = version ] && echo "${version}"\n`);
  chmodSync(file, 0o755);
  return file;
}

function run(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe("scripts/pulumi-cli.sh", { skip }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "streamstack-pulumi-cli-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const pin = pinnedVersion();

  test("the pin is a 3.x version on @pulumi/pulumi's major line", () => {
    assert.match(pin, /^3\.\d+\.\d+$/);
    assert.equal(require("@pulumi/pulumi/package.json").version.split(".")[0], "3");
  });

  test("uses a pulumi on PATH when it reports exactly the pinned version", () => {
    const fake = fakePulumi(join(tmp, "good", "bin"), `v${pin}`);
    const r = run([], { PATH: `${join(tmp, "good", "bin")}:${process.env.PATH}`, STREAMSTACK_PULUMI_CACHE: join(tmp, "empty-cache") });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, fake);
    assert.equal(run(["--root"], { PATH: `${join(tmp, "good", "bin")}:${process.env.PATH}` }).stdout, join(tmp, "good"));
  });

  test("ignores a pulumi of another version and uses the cached build", () => {
    fakePulumi(join(tmp, "old", "bin"), "v3.100.0");
    const cache = join(tmp, "cache");
    mkdirSync(join(cache, pin, "bin"), { recursive: true });
    symlinkSync(join(pulumiRoot(), "bin", "pulumi"), join(cache, pin, "bin", "pulumi"));
    const r = run([], { PATH: `${join(tmp, "old", "bin")}:${process.env.PATH}`, STREAMSTACK_PULUMI_CACHE: cache });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, join(cache, pin, "bin", "pulumi"));
    assert.equal(execFileSync(r.stdout, ["version"], { encoding: "utf8" }).trim(), `v${pin}`);
  });

  test("rejects unknown arguments", () => {
    const r = run(["--bogus"], {});
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown argument '--bogus'/);
  });
});
