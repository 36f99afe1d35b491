// npm run ingest -- [--config <file.yaml>]
// No config: Coinbase BTC-USD into an embedded ClickHouse at ./data. Exit codes: 0 stopped or
// finished cleanly, 1 fatal error, 2 bad command line or config.
import { ConfigError, loadConfigFile, parseConfig } from "./config/load";
import { createLogger } from "./observability/log";
import { startIngester } from "./main";

const USAGE = `Usage: npm run ingest -- [--config <file.yaml>]

Streams the Coinbase Exchange feed (or a replay file, or a synthetic stream) into ClickHouse.
Without --config: Coinbase BTC-USD tickers into an embedded ClickHouse at ./data.
Config keys: docs/ingester.md. Example: ingest/examples/demo_config.yaml`;

async function main(argv: string[]): Promise<number> {
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      return 0;
    }
    if (arg === "--config" || arg === "-c") configPath = argv[++i];
    else if (arg.startsWith("--config=")) configPath = arg.slice("--config=".length);
    else {
      console.error(`Unknown argument ${JSON.stringify(arg)}.\n\n${USAGE}`);
      return 2;
    }
    if (configPath === undefined || configPath === "") {
      console.error(`--config needs a file path.\n\n${USAGE}`);
      return 2;
    }
  }

  let config;
  try {
    config = configPath ? loadConfigFile(configPath) : parseConfig({}, "default config");
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }

  const log = createLogger(config.log_level);
  let ingester;
  try {
    ingester = await startIngester(config, { log });
  } catch (err) {
    log.error("cannot start", { error: (err as Error).message });
    return err instanceof ConfigError ? 2 : 1;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn("second signal: exiting now; the spool keeps what was not stored", { signal });
      process.exit(1);
    }
    void ingester.stop(`received ${signal}`);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return ingester.done;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Timers of libraries (sockets, the engine) must not keep a stopped ingester alive.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: Error) => {
    console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: err.message }));
    process.exit(1);
  },
);
