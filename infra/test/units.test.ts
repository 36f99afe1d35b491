// Pure pieces of the program: the ingester config renderer, image content tags, validators.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { parseConfig, resolvePassword } from "../../ingest/src/config/load";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { checkPinnedImage, checkPort, hostAddress } from "../components/common";
import { INGESTER_CONFIG_ENV, ingesterEntrypoint, ingesterHealthProbe } from "../components/ingester";
import { contentHash, stageContext } from "../components/localImage";
import { INGESTER_PASSWORD_ENV, renderIngesterConfig } from "../ingesterConfig";

const input = {
  products: ["BTC-USD", "ETH-USD"],
  channels: ["ticker", "matches", "heartbeat"],
  clickhouse: { host: "clickhouse", port: 8123, secure: false, user: "streamstack_ingester" },
  metricsPort: 9464,
  spoolDir: "/var/lib/streamstack/spool",
  instance: "streamstack-dev-ingester",
};

describe("renderIngesterConfig", () => {
  test("renders YAML the ingester's own parser accepts, password by env var only", () => {
    const yaml = renderIngesterConfig(input);
    const config = parseConfig(parse(yaml));
    assert.equal(config.source.type, "coinbase");
    if (config.source.type !== "coinbase" || config.sink.type === "embedded") assert.fail("wrong source/sink type");
    assert.deepEqual(config.source.subscription.product_ids, ["BTC-USD", "ETH-USD"]);
    assert.deepEqual(config.source.subscription.channels, ["ticker", "matches", "heartbeat"]);
    assert.equal(config.sink.host, "clickhouse");
    assert.equal(config.sink.user, "streamstack_ingester");
    assert.equal(config.sink.database, "coinbase_demo");
    assert.equal(config.sink.password, undefined);
    assert.equal(config.sink.password_env, INGESTER_PASSWORD_ENV);
    assert.equal(resolvePassword(config, { [INGESTER_PASSWORD_ENV]: "from-the-environment" }), "from-the-environment");
    assert.equal(config.spool.dir, "/var/lib/streamstack/spool");
    assert.equal(config.metrics.port, 9464);
    assert.doesNotMatch(yaml, /password:/);
  });

  test("a setting the ingester refuses fails the render with its message", () => {
    assert.throws(() => renderIngesterConfig({ ...input, channels: ["heartbeat"] }), /source\.subscription\.channels: expected "ticker" and\/or "matches"/);
    assert.throws(() => renderIngesterConfig({ ...input, products: [] }), /product_ids/);
  });
});

describe("contentHash (built image tags)", () => {
  test("changes when a source file changes, not when node_modules does", () => {
    const root = mkdtempSync(join(tmpdir(), "streamstack-hash-"));
    try {
      mkdirSync(join(root, "app", "node_modules"), { recursive: true });
      writeFileSync(join(root, "Dockerfile"), "FROM node:20\n");
      writeFileSync(join(root, "app", "main.ts"), "console.log(1)\n");
      writeFileSync(join(root, "app", "node_modules", "x.js"), "a");
      const first = contentHash(root, ["Dockerfile", "app"]);
      assert.match(first, /^[0-9a-f]{12}$/);
      writeFileSync(join(root, "app", "node_modules", "x.js"), "b");
      assert.equal(contentHash(root, ["Dockerfile", "app"]), first);
      writeFileSync(join(root, "app", "main.ts"), "console.log(2)\n");
      assert.notEqual(contentHash(root, ["Dockerfile", "app"]), first);
      assert.throws(() => contentHash(root, ["missing"]), /\[sources\] missing does not exist/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("stageContext (what reaches the Docker daemon)", () => {
  test("holds exactly the Dockerfile and the listed sources, without node_modules, and is reused", () => {
    const root = mkdtempSync(join(tmpdir(), "streamstack-stage-"));
    try {
      mkdirSync(join(root, "ingest", "src", "node_modules"), { recursive: true });
      mkdirSync(join(root, "node_modules", "chdb"), { recursive: true });
      mkdirSync(join(root, ".pulumi-state"), { recursive: true });
      writeFileSync(join(root, ".pulumi-state", "passphrase"), "secret");
      writeFileSync(join(root, "node_modules", "chdb", "big.bin"), "x");
      writeFileSync(join(root, "ingest", "Dockerfile"), "FROM node:22\n");
      writeFileSync(join(root, "ingest", "src", "main.ts"), "main");
      writeFileSync(join(root, "ingest", "src", "node_modules", "dep.js"), "dep");
      writeFileSync(join(root, "package.json"), "{}");
      const target = join(root, ".cache", "ctx-1");
      const staged = stageContext(root, ["ingest/Dockerfile", "package.json", "ingest/src"], target);
      assert.equal(staged, target);
      const list = (dir: string, prefix = ""): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
      assert.deepEqual(list(staged).sort(), ["ingest/Dockerfile", "ingest/src/main.ts", "package.json"]);
      assert.equal(readFileSync(join(staged, "ingest", "src", "main.ts"), "utf8"), "main");
      writeFileSync(join(root, "ingest", "src", "main.ts"), "changed");
      stageContext(root, ["ingest/Dockerfile", "package.json", "ingest/src"], target);
      assert.equal(readFileSync(join(staged, "ingest", "src", "main.ts"), "utf8"), "main", "an existing stage (same hash name) is reused");
      assert.ok(!existsSync(`${target}.partial-${process.pid}`));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("component validators", () => {
  test("checkPinnedImage refuses a missing or latest tag, naming the argument", () => {
    assert.throws(() => checkPinnedImage("grafana/grafana", "image"), /\[image\] is "grafana\/grafana": .*pin an exact tag/);
    assert.throws(() => checkPinnedImage("grafana/grafana:latest", "image"), /\[image\]/);
    checkPinnedImage("grafana/grafana:13.3.0", "image");
  });

  test("checkPinnedImage refuses floating branch tags, the same rule as the stack config (issue 13 item 8)", () => {
    assert.throws(() => checkPinnedImage("clickhouse/clickhouse-server:26.8", "image"), /\[image\] is "clickhouse\/clickhouse-server:26.8": .*exact version/);
    assert.throws(() => checkPinnedImage("grafana/grafana:13.3", "image"), /\[image\].*exact version/);
    checkPinnedImage("clickhouse/clickhouse-server:26.8.10.6", "image");
    checkPinnedImage(`grafana/grafana@sha256:${"0".repeat(64)}`, "image");
  });

  test("checkPort refuses numbers outside 1-65535", () => {
    assert.throws(() => checkPort(0, "port"), /\[port\] is 0/);
    assert.throws(() => checkPort(70000, "httpPort"), /\[httpPort\] is 70000/);
    checkPort(8123, "httpPort");
  });

  test("hostAddress turns a bind address into one to connect to", () => {
    assert.equal(hostAddress("127.0.0.1"), "127.0.0.1");
    assert.equal(hostAddress("0.0.0.0"), "127.0.0.1");
    assert.equal(hostAddress("::"), "[::1]");
    assert.equal(hostAddress("192.168.1.5"), "192.168.1.5");
  });
});

describe("ingester container entrypoint (read-only root: config from the environment)", () => {
  test("writes the config to its path, then execs the image's entrypoint with the command as arguments", () => {
    const dir = mkdtempSync(join(tmpdir(), "streamstack-entry-"));
    try {
      const configPath = join(dir, "it's here", "config.yaml");
      mkdirSync(join(dir, "it's here"));
      const probe = "const fs = require('fs'); process.stdout.write(JSON.stringify({ args: process.argv.slice(1), config: fs.readFileSync(process.argv[1], 'utf8') }))";
      const [shell, ...rest] = ingesterEntrypoint(configPath, [process.execPath, "-e", probe]);
      const yaml = "source:\n  type: coinbase\n# a 'quote' and a $dollar\n";
      const result = spawnSync(shell!, [...rest, configPath], { encoding: "utf8", env: { ...process.env, [INGESTER_CONFIG_ENV]: yaml } });
      assert.equal(result.status, 0, result.stderr);
      const out = JSON.parse(result.stdout) as { args: string[]; config: string };
      assert.deepEqual(out.args, [configPath]);
      assert.equal(out.config, yaml + "\n");
      assert.equal(readFileSync(configPath, "utf8"), yaml + "\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ingester container healthcheck", () => {
  async function probeAgainst(status: number, body: unknown): Promise<number | null> {
    const server = createServer((_req, res) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as AddressInfo).port;
    try {
      // Async: the probe's fetch must reach this process's server while we wait.
      const child = spawn(process.execPath, ["-e", ingesterHealthProbe(port)], { stdio: "ignore" });
      return await new Promise((ok) => child.on("exit", (code) => ok(code)));
    } finally {
      server.close();
    }
  }

  test("healthy when /healthz is 200", async () => {
    assert.equal(await probeAgainst(200, { ok: true, problems: [] }), 0);
  });

  test("healthy when only the source is down (offline machine): ticks are a verification warning instead", async () => {
    assert.equal(await probeAgainst(503, { ok: false, problems: ["source: connecting: getaddrinfo ENOTFOUND ws-feed.exchange.coinbase.com"] }), 0);
  });

  test("unhealthy when the sink is stuck", async () => {
    assert.equal(await probeAgainst(503, { ok: false, problems: ["source: connecting", "sink: no commit for 90 s with 100 rows waiting"] }), 1);
  });

  test("unhealthy when nothing answers", () => {
    const result = spawnSync(process.execPath, ["-e", ingesterHealthProbe(1)], { stdio: "ignore", timeout: 10_000 });
    assert.equal(result.status, 1);
  });
});
