import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfigFile, parseConfig, redactedConfig, resolvePassword } from "../src/config/load";
import { tempDir } from "./helpers";

const DEMO = join(__dirname, "..", "examples", "demo_config.yaml");

test("the walk-through's demo_config.yaml loads unchanged", () => {
  const config = loadConfigFile(DEMO);
  assert.equal(config.source.type, "coinbase");
  if (config.source.type !== "coinbase") return;
  assert.equal(config.source.wss_url, "wss://ws-feed.exchange.coinbase.com");
  assert.deepEqual(config.source.subscription, { product_ids: ["BTC-USD"], channels: ["ticker"] });
  assert.equal(config.sink.type, "clickhouse_connect");
  assert.equal(config.sink.host, "localhost");
  assert.equal(config.sink.port, 8123);
  assert.equal(config.sink.database, "coinbase_demo");
  assert.equal(config.sink.table, "coinbase_ticker");
  assert.equal(config.sink.user, "coinbase");
  assert.equal(resolvePassword(config, {}), "password");
});

test("the container example config validates and takes its password from the environment", () => {
  const config = loadConfigFile(join(__dirname, "..", "examples", "container_config.yaml"));
  assert.equal(config.spool.dir, "/var/lib/ingest/spool");
  assert.equal(resolvePassword(config, { CLICKHOUSE_PASSWORD: "from-env-0123456789" }), "from-env-0123456789");
});

test("no config means Coinbase BTC-USD into an embedded ClickHouse at ./data", () => {
  const config = parseConfig(undefined);
  assert.equal(config.source.type, "coinbase");
  assert.equal(config.sink.type, "embedded");
  if (config.sink.type === "embedded") assert.equal(config.sink.path, "./data");
  if (config.source.type === "coinbase") assert.deepEqual(config.source.subscription.product_ids, ["BTC-USD"]);
});

function errorOf(input: unknown): string {
  try {
    parseConfig(input);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail("expected the config to be refused");
}

test("an invalid value is reported with its key path, the expectation and the value", () => {
  assert.match(errorOf({ sink: { type: "clickhouse_connect", host: "h", port: "abc" } }), /sink\.port: expected a number 1-65535, got "abc"/);
  assert.match(errorOf({ sink: { type: "clickhouse_connect", host: "h", port: 70000 } }), /sink\.port: expected a number 1-65535, got 70000/);
  assert.match(errorOf({ source: { type: "kafka" } }), /source\.type: expected "coinbase", "replay" or "synthetic", got "kafka"/);
  assert.match(errorOf({ source: { type: "replay" } }), /source\.path: expected the path of an NDJSON file/);
  assert.match(errorOf({ batch: { max_rows: -5 } }), /batch\.max_rows: expected a whole number of rows > 0, got -5/);
  assert.match(
    errorOf({ source: { type: "coinbase", subscription: { product_ids: ["btc"], channels: ["level2"] } } }),
    /source\.subscription\.product_ids\.0: .*"btc"[\s\S]*source\.subscription\.channels\.0: expected one of ticker, matches, heartbeat/,
  );
});

test("a misspelt key is refused rather than ignored", () => {
  assert.match(errorOf({ sink: { type: "embedded", pth: "./x" } }), /sink: unknown key pth/);
  assert.match(errorOf({ batchs: {} }), /\(top level\): unknown key batchs/);
});

test("the extensions validate: replay, synthetic, embedded, batching, spool, metrics, password_env", () => {
  const config = parseConfig({
    source: { type: "synthetic", rate: 500, products: ["BTC-USD"], limit: 10 },
    sink: { type: "clickhouse_connect", host: "ch", password_env: "CH_PASSWORD" },
    batch: { max_rows: 20_000, max_interval_ms: 500 },
    spool: { dir: "/var/spool/x", max_bytes: 1_000_000 },
    metrics: { port: 9100 },
  });
  assert.equal(config.batch.max_rows, 20_000);
  assert.equal(resolvePassword(config, { CH_PASSWORD: "from-the-environment" }), "from-the-environment");
  assert.throws(() => resolvePassword(config, {}), /sink\.password_env names CH_PASSWORD, but that environment variable is not set/);
  const replay = parseConfig({ source: { type: "replay", path: "x.ndjson", speed: "recorded" } });
  assert.equal(replay.source.type === "replay" && replay.source.speed, "recorded");
  assert.match(errorOf({ source: { type: "replay", path: "x", speed: "fast" } }), /source\.speed: expected "max" or "recorded", got "fast"/);
});

test("password and password_env together are refused; the password never appears in the logged config", () => {
  assert.match(errorOf({ sink: { type: "clickhouse", host: "h", password: "a-long-secret-value", password_env: "X" } }), /set only one of password and password_env/);
  const config = parseConfig({ sink: { type: "clickhouse", host: "h", password: "a-long-secret-value" } });
  assert.doesNotMatch(JSON.stringify(redactedConfig(config)), /a-long-secret-value/);
});

test("a YAML syntax error names the file", () => {
  const dir = tempDir("cfg");
  const file = join(dir, "bad.yaml");
  writeFileSync(file, "source: [unclosed\n");
  assert.throws(() => loadConfigFile(file), (err: Error) => err instanceof ConfigError && err.message.includes(file) && /not valid YAML/.test(err.message));
});
