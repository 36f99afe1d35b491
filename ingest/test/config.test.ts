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

test("without a subscription, the live feed is BTC-USD's tickers and every trade (matches)", () => {
  const config = parseConfig({ source: { type: "coinbase" } });
  assert.equal(config.source.type, "coinbase");
  if (config.source.type !== "coinbase") return;
  assert.deepEqual(config.source.subscription, { product_ids: ["BTC-USD"], channels: ["ticker", "matches"] });
  assert.equal(config.source.backfill.enabled, true);
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

// Issue 13, item 7a: an empty file used to run every default (live Coinbase, ./data, metrics open).
test("an empty config file (0 bytes, only comments, only whitespace) is refused, naming the file and what to put in it", () => {
  const dir = tempDir("cfg-empty");
  const contents = { "zero.yaml": "", "comments.yaml": "# nothing here yet\n   # still nothing\n", "blank.yaml": "  \n\n\t\n", "only-doc-marker.yaml": "---\n# comment\n" };
  for (const [name, text] of Object.entries(contents)) {
    const file = join(dir, name);
    writeFileSync(file, text);
    assert.throws(
      () => loadConfigFile(file),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.includes(file) &&
        /holds no settings/.test(err.message) &&
        /source:/.test(err.message) &&
        /sink:/.test(err.message) &&
        /without --config/.test(err.message),
      `${name} must be refused`,
    );
  }
  // A file holding something other than a mapping is refused with the same naming.
  const list = join(dir, "list.yaml");
  writeFileSync(list, "- source\n- sink\n");
  assert.throws(() => loadConfigFile(list), (err: Error) => err instanceof ConfigError && err.message.includes(list) && /expected a mapping of keys/.test(err.message));
});

// Issue 13, item 7b: the standalone CLI's /metrics and /healthz listen on loopback unless told otherwise.
test("metrics bind to 127.0.0.1 by default; the container example sets 0.0.0.0 itself", () => {
  assert.equal(parseConfig({}).metrics.host, "127.0.0.1");
  assert.equal(parseConfig({ metrics: { port: 9100 } }).metrics.host, "127.0.0.1");
  assert.equal(loadConfigFile(join(__dirname, "..", "examples", "container_config.yaml")).metrics.host, "0.0.0.0");
});

// Issue 13, item 7c: Node clamps timer delays above 2^31-1 ms to 1 ms, so 1e12 became a 1 ms deadline.
test("every millisecond (and seconds) setting has an upper bound, at most 2^31-1 ms, with a clear message", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["source.subscribe_timeout_ms", { source: { type: "coinbase", subscribe_timeout_ms: 1e12 } }, "600000"],
    ["source.watchdog_seconds", { source: { type: "coinbase", watchdog_seconds: 1e12 } }, "3600"],
    ["source.backoff.initial_ms", { source: { type: "coinbase", backoff: { initial_ms: 1e12 } } }, "3600000"],
    ["source.backoff.max_ms", { source: { type: "coinbase", backoff: { max_ms: 1e12 } } }, "3600000"],
    ["sink.request_timeout_ms", { sink: { type: "embedded", request_timeout_ms: 1e12 } }, "3600000"],
    ["sink.request_timeout_ms", { sink: { type: "clickhouse", host: "h", request_timeout_ms: 1e12 } }, "3600000"],
    ["sink.retry.initial_ms", { sink: { type: "embedded", retry: { initial_ms: 1e12 } } }, "3600000"],
    ["sink.retry.max_ms", { sink: { type: "embedded", retry: { max_ms: 1e12 } } }, "3600000"],
    ["batch.max_interval_ms", { batch: { max_interval_ms: 1e12 } }, "3600000"],
    ["stats.interval_ms", { stats: { interval_ms: 1e12 } }, "86400000"],
    ["health.sink_stuck_ms", { health: { sink_stuck_ms: 1e12 } }, "86400000"],
    ["shutdown_timeout_ms", { shutdown_timeout_ms: 1e12 }, "600000"],
  ];
  for (const [key, input, max] of cases) {
    const message = errorOf(input);
    assert.match(message, new RegExp(`${key.replace(/\./g, "\\.")}: expected .* at most ${max} \\(.+\\), got 1000000000000`), message);
  }
  // 2^31 ms is the first value Node's timers turn into 1 ms: refused even where no smaller bound applied.
  assert.match(errorOf({ shutdown_timeout_ms: 2 ** 31 }), /shutdown_timeout_ms: expected .*at most 600000/);
  // The bounds themselves are accepted.
  const edge = parseConfig({
    source: { type: "coinbase", subscribe_timeout_ms: 600_000, watchdog_seconds: 3_600, backoff: { initial_ms: 3_600_000, max_ms: 3_600_000 } },
    sink: { type: "embedded", request_timeout_ms: 3_600_000, retry: { initial_ms: 3_600_000, max_ms: 3_600_000 } },
    batch: { max_interval_ms: 3_600_000 },
    stats: { interval_ms: 86_400_000 },
    health: { sink_stuck_ms: 86_400_000 },
    shutdown_timeout_ms: 600_000,
  });
  assert.equal(edge.shutdown_timeout_ms, 600_000);
});
