// The container image holds only the ingester: checks of the bundle, the install the image's
// build stage runs, and the Dockerfile itself (no Docker engine here; see docs/ingester.md).
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "./helpers";
import { REPO } from "./process";

const DOCKERFILE = readFileSync(join(REPO, "ingest", "Dockerfile"), "utf8");
const FORBIDDEN = /node_modules\/(@pulumi|@pulumiverse|chdb|@chdb)\//;

test("the esbuild bundle contains no Pulumi SDK and no chdb, and runs on its own", async () => {
  const out = join(tempDir("bundle"), "ingest.js");
  const { bundle, EXTERNAL } = (await import(join(REPO, "ingest", "bundle.mjs"))) as {
    bundle: (out: string) => Promise<{ inputs: Record<string, unknown> }>;
    EXTERNAL: string[];
  };
  const metafile = await bundle(out);
  const inputs = Object.keys(metafile.inputs);
  assert.ok(inputs.some((p) => p.includes("sql/src/client.ts")), "the shared client factory is bundled");
  assert.ok(inputs.some((p) => p.includes("node_modules/ws/")), "runtime deps are bundled");
  assert.deepEqual(inputs.filter((p) => FORBIDDEN.test(p)), []);
  assert.ok(EXTERNAL.includes("chdb"));

  // Outside the repository no node_modules is reachable: the bundle must stand alone.
  const help = spawnSync(process.execPath, [out, "--help"], { encoding: "utf8" });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: npm run ingest/);
  const dir = tempDir("bundle-run");
  writeFileSync(join(dir, "c.yaml"), `sink: { type: embedded, path: ${JSON.stringify(join(dir, "data"))} }\nspool: { dir: ${JSON.stringify(join(dir, "spool"))} }\nmetrics: { port: 0 }\n`);
  const embedded = spawnSync(process.execPath, [out, "--config", join(dir, "c.yaml")], { encoding: "utf8", cwd: dir });
  assert.equal(embedded.status, 1);
  assert.match(embedded.stdout, /needs the npm package \\"chdb\\", which is not installed here/);
});

test("the image's install step (npm ci -w ingest --include-workspace-root=false) brings no Pulumi and no chdb", () => {
  assert.match(DOCKERFILE, /RUN npm ci -w ingest --include-workspace-root=false/);
  const dir = tempDir("npm-ci");
  copyFileSync(join(REPO, "package.json"), join(dir, "package.json"));
  copyFileSync(join(REPO, "package-lock.json"), join(dir, "package-lock.json"));
  mkdirSync(join(dir, "ingest"));
  copyFileSync(join(REPO, "ingest", "package.json"), join(dir, "ingest", "package.json"));
  execFileSync("npm", ["ci", "-w", "ingest", "--include-workspace-root=false", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, stdio: "pipe" });
  const top = readdirSync(join(dir, "node_modules"));
  assert.ok(top.includes("ws") && top.includes("@clickhouse") && top.includes("esbuild"), top.join(","));
  for (const absent of ["@pulumi", "@pulumiverse", "chdb", "@chdb", "tsx", "typescript"]) {
    assert.equal(existsSync(join(dir, "node_modules", absent)), false, `${absent} must not be installed`);
  }
});

test("the Dockerfile: pinned slim base, non-root, SIGTERM, exec-form entrypoint, allow-listed context", () => {
  const froms = [...DOCKERFILE.matchAll(/^ARG NODE_IMAGE=(.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(froms, ["node:22.23.2-bookworm-slim"]);
  assert.match(DOCKERFILE, /^FROM \$\{NODE_IMAGE\} AS build$/m);
  assert.match(DOCKERFILE, /^USER node$/m);
  assert.match(DOCKERFILE, /NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=8"/, "the heap caps the benchmark ran with");
  assert.match(DOCKERFILE, /^STOPSIGNAL SIGTERM$/m);
  assert.match(DOCKERFILE, /^ENTRYPOINT \["node", "\/app\/ingest.js"\]$/m);
  assert.doesNotMatch(DOCKERFILE, /^(CMD|ENTRYPOINT) [^[]/m, "shell form would put a shell in front of node as PID 1");
  const ignore = readFileSync(join(REPO, "ingest", "Dockerfile.dockerignore"), "utf8");
  const allowed = [...ignore.matchAll(/^!(.+)$/gm)].map((m) => m[1]!);
  const copied = [...DOCKERFILE.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(" "));
  for (const path of copied) assert.ok(allowed.includes(path), `${path} is copied but not in Dockerfile.dockerignore's allow-list`);
});

test("the HEALTHCHECK command exits 0 on a 200 from /healthz and 1 on a 503 or no answer", async () => {
  const cmd = /^HEALTHCHECK [\s\S]*?CMD \["node", "-e", "(.+)"\]$/m.exec(DOCKERFILE);
  assert.ok(cmd, "HEALTHCHECK runs node -e");
  const script = JSON.parse(`"${cmd[1]!}"`) as string;
  let status = 200;
  const server = createServer((req, res) => res.writeHead(req.url === "/healthz" ? status : 404).end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  const probe = () =>
    new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ["-e", script], { env: { ...process.env, INGEST_HEALTH_PORT: String(port) } });
      child.on("exit", (code) => resolve(code ?? -1));
    });
  try {
    assert.equal(await probe(), 0);
    status = 503;
    assert.equal(await probe(), 1);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  assert.equal(await probe(), 1, "nothing listening");
});
