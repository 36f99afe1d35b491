// The ingester's configuration: the walk-through's demo_config.yaml keys plus optional extensions.
// Every object is strict, so a misspelt key is reported instead of silently ignored.
import { z } from "zod";

const positiveInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const positiveMs = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const port = z
  .number({ error: "expected a number 1-65535" })
  .int({ error: "expected a number 1-65535" })
  .min(1, { error: "expected a number 1-65535" })
  .max(65535, { error: "expected a number 1-65535" });
const productId = z.string().regex(/^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$/, { error: 'expected a product id such as "BTC-USD"' });

/** Channels whose messages this ingester uses. `heartbeat` is always added (silence detection). */
export const CHANNELS = ["ticker", "matches", "heartbeat"] as const;

export const backoffSchema = z.strictObject({
  /** First delay after a failure. */
  initial_ms: positiveMs("a delay in milliseconds > 0").default(500),
  /** Cap of the exponential growth. */
  max_ms: positiveMs("a delay in milliseconds > 0").default(30_000),
});
export type BackoffConfig = z.infer<typeof backoffSchema>;

const coinbaseSource = z.strictObject({
  type: z.literal("coinbase"),
  wss_url: z.string().regex(/^wss?:\/\/\S+$/, { error: "expected a websocket URL (wss://… or ws://…)" }).default("wss://ws-feed.exchange.coinbase.com"),
  subscription: z
    .strictObject({
      product_ids: z.array(productId, { error: "expected a list of product ids" }).min(1, { error: "expected at least one product id" }),
      channels: z
        .array(z.enum(CHANNELS, { error: `expected one of ${CHANNELS.join(", ")} (level2 and full are not stored by this ingester)` }))
        .min(1, { error: "expected at least one channel" })
        .default(["ticker"]),
    })
    .default({ product_ids: ["BTC-USD"], channels: ["ticker"] }),
  /** The subscriptions ack must arrive within this time, or the connection is retried. */
  subscribe_timeout_ms: positiveMs("a timeout in milliseconds > 0").default(5_000),
  /** No message for this long → reconnect. Heartbeats arrive every second per product. */
  watchdog_seconds: positiveMs("a number of seconds > 0").default(10),
  backoff: backoffSchema.default({ initial_ms: 500, max_ms: 30_000 }),
});

const replaySource = z.strictObject({
  type: z.literal("replay"),
  /** NDJSON file of raw websocket messages, one per line, as received. */
  path: z.string({ error: "expected the path of an NDJSON file" }).min(1, { error: "expected the path of an NDJSON file" }),
  /** `max`: as fast as the pipeline takes them; `recorded`: paced by the messages' `time`. */
  speed: z.enum(["max", "recorded"], { error: 'expected "max" or "recorded"' }).default("max"),
});

const syntheticSource = z.strictObject({
  type: z.literal("synthetic"),
  /** Messages per second (all products together). */
  rate: positiveMs("a rate in messages per second > 0").default(100),
  products: z.array(productId).min(1, { error: "expected at least one product id" }).default(["BTC-USD", "ETH-USD"]),
  /** Stop (and exit 0 once stored) after this many ticks; absent = run until stopped. */
  limit: positiveInt("a whole number > 0").optional(),
  /** Seed of the generator, so runs can be repeated. */
  seed: z.number().int().default(1),
});

export const sourceSchema = z.discriminatedUnion("type", [coinbaseSource, replaySource, syntheticSource], {
  error: 'expected "coinbase", "replay" or "synthetic"',
});

const retrySchema = backoffSchema.default({ initial_ms: 500, max_ms: 30_000 });

const httpSink = z.strictObject({
  type: z.enum(["clickhouse_connect", "clickhouse"]),
  host: z.string().min(1, { error: "expected a host name" }),
  port: port.default(8123),
  secure: z.boolean().default(false),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected a database name" }).default("coinbase_demo"),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected a table name" }).default("coinbase_ticker"),
  user: z.string().min(1).default("default"),
  /** Plain password (the walk-through's demo file has one). Prefer password_env. */
  password: z.string().optional(),
  /** Name of the environment variable holding the password. */
  password_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }).optional(),
  /** Extra ClickHouse settings for inserts; the dedup and async-insert settings are always ours. */
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  request_timeout_ms: positiveMs("a timeout in milliseconds > 0").default(30_000),
  retry: retrySchema,
});

const embeddedSink = z.strictObject({
  type: z.literal("embedded"),
  /** Data directory of the embedded engine (chdb). Migrations run there at start. */
  path: z.string().min(1, { error: "expected a directory path" }).default("./data"),
  database: z.literal("coinbase_demo", { error: 'the embedded engine holds the project schema: database must be "coinbase_demo"' }).default("coinbase_demo"),
  table: z.literal("coinbase_ticker", { error: 'the embedded engine holds the project schema: table must be "coinbase_ticker"' }).default("coinbase_ticker"),
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** The embedded engine has no socket timeout of its own: an insert slower than this is retried. */
  request_timeout_ms: positiveMs("a timeout in milliseconds > 0").default(30_000),
  retry: retrySchema,
});

export const sinkSchema = z.discriminatedUnion("type", [httpSink, embeddedSink], {
  error: 'expected "clickhouse_connect" (or "clickhouse") for a server, or "embedded"',
});

export const configSchema = z.strictObject({
  source: sourceSchema.default({
    type: "coinbase",
    wss_url: "wss://ws-feed.exchange.coinbase.com",
    subscription: { product_ids: ["BTC-USD"], channels: ["ticker"] },
    subscribe_timeout_ms: 5_000,
    watchdog_seconds: 10,
    backoff: { initial_ms: 500, max_ms: 30_000 },
  }),
  sink: sinkSchema.default({
    type: "embedded",
    path: "./data",
    database: "coinbase_demo",
    table: "coinbase_ticker",
    settings: {},
    request_timeout_ms: 30_000,
    retry: { initial_ms: 500, max_ms: 30_000 },
  }),
  batch: z
    .strictObject({
      /** A block is sealed and inserted at this many rows… */
      max_rows: positiveInt("a whole number of rows > 0").default(10_000),
      /** …or when its oldest row is this old. */
      max_interval_ms: positiveMs("a time in milliseconds > 0").default(1_000),
      /** Sealed rows kept in memory waiting for ClickHouse; the rest wait on disk only. */
      max_buffered_rows: positiveInt("a whole number of rows > 0").default(50_000),
    })
    .default({ max_rows: 10_000, max_interval_ms: 1_000, max_buffered_rows: 50_000 }),
  spool: z
    .strictObject({
      dir: z.string().min(1).default("./spool"),
      /** Uncommitted bytes on disk at which the source is paused. */
      max_bytes: positiveInt("a number of bytes > 0").default(1024 ** 3),
      /** A segment file is closed once it is this large (at a block boundary). */
      segment_bytes: positiveInt("a number of bytes > 0").default(64 * 1024 ** 2),
      /** fsync each sealed block (survives power loss, not only a process crash). */
      fsync: z.boolean().default(false),
    })
    .default({ dir: "./spool", max_bytes: 1024 ** 3, segment_bytes: 64 * 1024 ** 2, fsync: false }),
  metrics: z
    .strictObject({
      /** HTTP port for /metrics and /healthz; 0 picks a free port. */
      port: z.union([z.literal(0), port]).default(9464),
      host: z.string().default("0.0.0.0"),
      enabled: z.boolean().default(true),
    })
    .default({ port: 9464, host: "0.0.0.0", enabled: true }),
  stats: z
    .strictObject({
      interval_ms: positiveMs("a time in milliseconds > 0").default(5_000),
      /** Name of this process in ingest_stats (default: host name). */
      instance: z.string().min(1).optional(),
    })
    .default({ interval_ms: 5_000 }),
  health: z
    .strictObject({
      /** /healthz turns 503 when rows have waited this long without a commit. */
      sink_stuck_ms: positiveMs("a time in milliseconds > 0").default(60_000),
    })
    .default({ sink_stuck_ms: 60_000 }),
  /** SIGTERM: time allowed to flush before exiting 0 (Docker's default grace is 10 s). */
  shutdown_timeout_ms: positiveMs("a time in milliseconds > 0").default(8_000),
  log_level: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type IngestConfig = z.infer<typeof configSchema>;
export type SourceConfig = IngestConfig["source"];
export type SinkConfig = IngestConfig["sink"];
export type CoinbaseSourceConfig = Extract<SourceConfig, { type: "coinbase" }>;
export type ReplaySourceConfig = Extract<SourceConfig, { type: "replay" }>;
export type SyntheticSourceConfig = Extract<SourceConfig, { type: "synthetic" }>;
