// npm run ingest -- [--config <file.yaml>]
// No config: Coinbase BTC-USD into an embedded ClickHouse at ./data. Exit codes: 0 stopped or
// finished cleanly, 1 fatal error, 2 bad command line or config, 130/143 a second SIGINT/SIGTERM
// ended the flush early (what was not stored stays in the spool).
import { constants } from "node:os";
import { setDefaultClickHouseLogger } from "../../sql/src/client";
import { ConfigError, loadConfigFile, parseConfig } from "./config/load";
import { clientLibraryLevel, createLogger, resolveLogFormat } from "./observability/log";
import { startIngester, type RunningIngester } from "./main";

const USAGE = `Usage: npm run ingest -- [--config <file.yaml>]

Streams the Coinbase Exchange feed (or a replay file, or a synthetic stream) into ClickHouse.
Without --config: Coinbase BTC-USD tickers into an embedded ClickHouse at ./data.
Config keys: docs/ingester.md. Example: ingest/examples/demo_config.yaml

Ctrl-C (SIGINT) or SIGTERM: stop reading, store what was received (up to shutdown_timeout_ms),
print a summary, exit 0. A repeat within 1 s is the same request (one Ctrl-C reaches the
process more than once); a signal after that exits at once, leaving the rest in the spool for the
next start.

Exit codes: 0 stopped or finished cleanly; 1 fatal error (ClickHouse, spool, port, replay file);
2 bad command line or config; 130 (SIGINT) / 143 (SIGTERM) stopped at once by a second signal.`;

/**
 * One Ctrl-C reaches this process more than once: the terminal signals the whole foreground
 * process group (npm, its shell, this process) and npm forwards its own copy to its child, a
 * millisecond apart. A repeat within this window is the same request, not "abort the flush".
 */
const REPEAT_WINDOW_MS = 1_000;

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

  // Readable lines on a terminal, JSON lines in a container or a pipe (log_format: auto).
  const log = createLogger(config.log_level, undefined, resolveLogFormat(config.log_format, process.stdout.isTTY === true));
  // @clickhouse/client's own events (a failed request, …) as JSON lines of this log, not its
  // default multi-line stack traces on stderr. A request the library reports as an error is a
  // warning here: the sink retries it and logs at error what needs an operator. Set as the
  // process default because the clients are opened in runtime/connect.ts; passing
  // { logger, logLevel } to openClickHouse there would do the same.
  setDefaultClickHouseLogger({ debug: log.debug, warn: log.warn, error: log.warn }, clientLibraryLevel(config.log_level));
  // Signals are handled from here on, start-up included: until the ingester runs, nothing has
  // been read from the source, so a stop request exits at once (the spool stays as it is, and a
  // commit cut short is idempotent); afterwards it stops reading and flushes.
  let running: RunningIngester | undefined;
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (running === undefined) {
      log.warn("stopping during start-up: nothing was read from the source yet; the spool stays as it is", { signal });
      process.exit(128 + constants.signals[signal]);
    }
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      log.info("flushing before exit; a second Ctrl-C (or signal) exits at once, leaving the rest in the spool", {
        signal,
        shutdown_timeout_ms: config.shutdown_timeout_ms,
      });
      void running.stop(`received ${signal}`);
    } else if (now - firstSignalAt < REPEAT_WINDOW_MS) {
      log.debug("the same stop request again (a terminal's Ctrl-C reaches every process of the group); still flushing", { signal });
    } else {
      log.warn("second signal: exiting now; the spool keeps what was not stored and the next start stores it", { signal });
      process.exit(128 + constants.signals[signal]);
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    running = await startIngester(config, { log });
  } catch (err) {
    log.error("cannot start", { error: (err as Error).message });
    return err instanceof ConfigError ? 2 : 1;
  }
  return running.done;
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
