// The ingester's configuration: the walk-through's demo_config.yaml keys plus optional extensions.
// Every object is strict, so a misspelt key is reported instead of silently ignored. Each default
// is written once, on its key: an object left out is parsed from {} (`prefault`), so it gets the
// same defaults as an object given with its keys left out.
import { z } from "zod";
import { DATABASE, TABLES } from "../../../sql/src/names";
import { LOG_FORMATS, LOG_LEVELS } from "../observability/log";
import { PRODUCT_ID_PATTERN } from "../pipeline/fields";

const positiveInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
/**
 * Node's timers turn a delay above 2^31-1 ms (about 24.8 days) into 1 ms, so an unbounded setting
 * (1e12 as a flush deadline) silently became "at once". Every duration therefore has a sensible
 * upper bound of its own, and none is above this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Bounds of the duration settings (ms, except watchdog_seconds), with how they read. */
export const DURATION_LIMITS = {
  subscribeTimeoutMs: { max: 10 * MINUTE_MS, reads: "10 minutes" },
  watchdogSeconds: { max: HOUR_MS / 1000, reads: "1 hour" },
  backoffMs: { max: HOUR_MS, reads: "1 hour" },
  requestTimeoutMs: { max: HOUR_MS, reads: "1 hour" },
  batchIntervalMs: { max: HOUR_MS, reads: "1 hour" },
  statsIntervalMs: { max: DAY_MS, reads: "1 day" },
  progressIntervalMs: { max: DAY_MS, reads: "1 day" },
  sinkStuckMs: { max: DAY_MS, reads: "1 day" },
  restGiveUpMs: { max: DAY_MS, reads: "1 day" },
  shutdownTimeoutMs: { max: 10 * MINUTE_MS, reads: "10 minutes" },
} as const;

/** A duration > 0 and at most `limit.max` (itself at most MAX_TIMER_MS once in ms). */
const duration = (what: string, limit: { readonly max: number; readonly reads: string }) => {
  const expected = `expected ${what} > 0 and at most ${limit.max} (${limit.reads})`;
  return z.number({ error: expected }).positive({ error: expected }).max(Math.min(limit.max, MAX_TIMER_MS), { error: expected });
};
const port = z
  .number({ error: "expected a number 1-65535" })
  .int({ error: "expected a number 1-65535" })
  .min(1, { error: "expected a number 1-65535" })
  .max(65535, { error: "expected a number 1-65535" });
const productId = z.string().regex(new RegExp(`^${PRODUCT_ID_PATTERN}$`), { error: 'expected a product id such as "BTC-USD"' });
/** A database, table or environment variable name. */
const identifier = (what: string) => z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: `expected ${what}` });

/** Channels whose messages this ingester uses. `heartbeat` is always added (silence detection). */
export const CHANNELS = ["ticker", "matches", "heartbeat"] as const;

export const backoffSchema = z.strictObject({
  /** First delay after a failure. */
  initial_ms: duration("a delay in milliseconds", DURATION_LIMITS.backoffMs).default(500),
  /** Cap of the exponential growth. */
  max_ms: duration("a delay in milliseconds", DURATION_LIMITS.backoffMs).default(30_000),
});
export type BackoffConfig = z.infer<typeof backoffSchema>;
const backoffOrDefault = backoffSchema.prefault({});

/**
 * Filling trade_id gaps from Coinbase's REST API. Its public endpoints allow 10 requests/s per IP,
 * bursts of 15 (docs.cdp.coinbase.com/exchange/rest-api/rate-limits); the defaults use half, so
 * other tools on the same address keep room.
 */
const backfillSchema = z.strictObject({
  enabled: z.boolean().default(true),
  rest_url: z.string().regex(/^https?:\/\/\S+$/, { error: "expected an http(s) URL such as https://api.exchange.coinbase.com" }).default("https://api.exchange.coinbase.com"),
  requests_per_second: z.number({ error: "expected requests per second > 0 and at most 10 (Coinbase's public limit)" }).positive({ error: "expected requests per second > 0 and at most 10 (Coinbase's public limit)" }).max(10, { error: "expected requests per second > 0 and at most 10 (Coinbase's public limit)" }).default(5),
  burst: positiveInt("a whole number of requests > 0").max(15, { error: "expected at most 15 (Coinbase's public burst)" }).default(5),
  /** Trades per request (Coinbase allows at most 1000). */
  page_size: positiveInt("a whole number 1-1000").max(1000, { error: "expected a whole number 1-1000 (Coinbase's limit)" }).default(1000),
  request_timeout_ms: duration("a timeout in milliseconds", DURATION_LIMITS.requestTimeoutMs).default(10_000),
  /** REST failing (429, 5xx, network) without a break for this long abandons the gap, reported in backfill_gaps. */
  give_up_after_ms: duration("a time in milliseconds", DURATION_LIMITS.restGiveUpMs).default(5 * MINUTE_MS),
  /** A larger gap is abandoned at once (1,000 requests at the default page size). */
  max_trades_per_gap: positiveInt("a whole number of trades > 0").default(1_000_000),
  retry: backoffSchema.prefault({ initial_ms: 1_000 }),
});
export type BackfillConfig = z.infer<typeof backfillSchema>;

const coinbaseSource = z.strictObject({
  type: z.literal("coinbase"),
  wss_url: z.string().regex(/^wss?:\/\/\S+$/, { error: "expected a websocket URL (wss://… or ws://…)" }).default("wss://ws-feed.exchange.coinbase.com"),
  subscription: z
    .strictObject({
      product_ids: z.array(productId, { error: "expected a list of product ids" }).min(1, { error: "expected at least one product id" }),
      channels: z
        .array(z.enum(CHANNELS, { error: `expected one of ${CHANNELS.join(", ")} (level2 and full are not stored by this ingester)` }))
        .min(1, { error: "expected at least one channel" })
        // matches: every trade (the trades table, exact VWAP, gap backfill); ticker: the walk-through's table.
        .default(["ticker", "matches"]),
    })
    // Without a subscription: BTC-USD. A subscription given must name its products.
    .prefault({ product_ids: ["BTC-USD"] }),
  /** The subscriptions ack must arrive within this time, or the connection is retried. */
  subscribe_timeout_ms: duration("a timeout in milliseconds", DURATION_LIMITS.subscribeTimeoutMs).default(5_000),
  /** No message for this long → reconnect. Heartbeats arrive every second per product. */
  watchdog_seconds: duration("a number of seconds", DURATION_LIMITS.watchdogSeconds).default(10),
  backoff: backoffOrDefault,
  /** Fills gaps in `matches` trade_ids (needs the matches channel). */
  backfill: backfillSchema.prefault({}),
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
  /** Tickers per second (all products together); with `matches`, each comes after its 1–3 trades. */
  rate: z.number({ error: "expected a rate in messages per second > 0" }).positive({ error: "expected a rate in messages per second > 0" }).default(100),
  products: z.array(productId).min(1, { error: "expected at least one product id" }).default(["BTC-USD", "ETH-USD"]),
  /** Stop (and exit 0 once stored) after this many ticks; absent = run until stopped. */
  limit: positiveInt("a whole number > 0").optional(),
  /** Seed of the generator, so runs can be repeated. */
  seed: z.number().int().default(1),
  /** Also generate every trade as a `match` message (the trades table and exact VWAP). */
  matches: z.boolean().default(true),
});

export const sourceSchema = z.discriminatedUnion("type", [coinbaseSource, replaySource, syntheticSource], {
  error: 'expected "coinbase", "replay" or "synthetic"',
});

/** The keys both sinks have: how inserts are sent and retried. */
const insertKeys = {
  /** Extra ClickHouse settings for inserts; the dedup and async-insert settings are always ours. */
  settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** An insert slower than this is retried (the embedded engine has no socket timeout of its own). */
  request_timeout_ms: duration("a timeout in milliseconds", DURATION_LIMITS.requestTimeoutMs).default(30_000),
  retry: backoffOrDefault,
};

const httpSink = z.strictObject({
  type: z.enum(["clickhouse_connect", "clickhouse"]),
  host: z.string().min(1, { error: "expected a host name" }),
  port: port.default(8123),
  secure: z.boolean().default(false),
  database: identifier("a database name").default(DATABASE),
  table: identifier("a table name").default(TABLES.ticker),
  user: z.string().min(1).default("default"),
  /** Plain password (the walk-through's demo file has one). Prefer password_env. */
  password: z.string().optional(),
  /** Name of the environment variable holding the password. */
  password_env: identifier("an environment variable name").optional(),
  ...insertKeys,
});

const embeddedSink = z.strictObject({
  type: z.literal("embedded"),
  /** Data directory of the embedded engine (chdb). Migrations run there at start. */
  path: z.string().min(1, { error: "expected a directory path" }).default("./data"),
  database: z.literal(DATABASE, { error: `the embedded engine holds the project schema: database must be "${DATABASE}"` }).default(DATABASE),
  table: z.literal(TABLES.ticker, { error: `the embedded engine holds the project schema: table must be "${TABLES.ticker}"` }).default(TABLES.ticker),
  ...insertKeys,
});

export const sinkSchema = z.discriminatedUnion("type", [httpSink, embeddedSink], {
  error: 'expected "clickhouse_connect" (or "clickhouse") for a server, or "embedded"',
});

export const configSchema = z.strictObject({
  source: sourceSchema.prefault({ type: "coinbase" }),
  sink: sinkSchema.prefault({ type: "embedded" }),
  batch: z
    .strictObject({
      /** A block is sealed and inserted at this many rows… */
      max_rows: positiveInt("a whole number of rows > 0").default(10_000),
      /** …or when its oldest row is this old. */
      max_interval_ms: duration("a time in milliseconds", DURATION_LIMITS.batchIntervalMs).default(1_000),
      /** Sealed rows kept in memory waiting for ClickHouse; the rest wait on disk only. */
      max_buffered_rows: positiveInt("a whole number of rows > 0").default(50_000),
    })
    .prefault({}),
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
    .prefault({}),
  metrics: z
    .strictObject({
      /** HTTP port for /metrics and /healthz; 0 picks a free port. */
      port: z.union([z.literal(0), port]).default(9464),
      /** Loopback unless told otherwise; a container (Prometheus scraping it) sets 0.0.0.0 itself. */
      host: z.string().min(1, { error: "expected a host name or address to listen on, e.g. 127.0.0.1 or 0.0.0.0" }).default("127.0.0.1"),
      enabled: z.boolean().default(true),
    })
    .prefault({}),
  stats: z
    .strictObject({
      interval_ms: duration("a time in milliseconds", DURATION_LIMITS.statsIntervalMs).default(5_000),
      /** Name of this process in ingest_stats (default: host name). */
      instance: z.string().min(1).optional(),
    })
    .prefault({}),
  dedup: z
    .strictObject({
      /**
       * Identities (sequence, trade_id) remembered per product and channel to drop repeats before
       * the spool. A repeat of an older one is still left out at insert time (asked of the table).
       */
      recent_ids: positiveInt("a whole number > 0").max(10_000_000, { error: "expected at most 10000000 (memory: about 60 bytes each)" }).default(16_384),
    })
    .prefault({}),
  health: z
    .strictObject({
      /** /healthz turns 503 when rows have waited this long without a commit. */
      sink_stuck_ms: duration("a time in milliseconds", DURATION_LIMITS.sinkStuckMs).default(60_000),
    })
    .prefault({}),
  /** SIGTERM: time allowed to flush before exiting 0 (Docker's default grace is 10 s). */
  shutdown_timeout_ms: duration("a time in milliseconds", DURATION_LIMITS.shutdownTimeoutMs).default(8_000),
  log_level: z.enum(LOG_LEVELS).default("info"),
  /** json: one JSON object per line; text: readable lines; auto: text on a terminal, json elsewhere (a container's log). */
  log_format: z.enum(LOG_FORMATS).default("auto"),
  progress: z
    .strictObject({
      /** How often a "progress" line reports received, stored, rate, spool and the source's state. */
      interval_ms: duration("a time in milliseconds", DURATION_LIMITS.progressIntervalMs).default(10_000),
    })
    .prefault({}),
});

export type IngestConfig = z.infer<typeof configSchema>;
export type SourceConfig = IngestConfig["source"];
export type SinkConfig = IngestConfig["sink"];
export type CoinbaseSourceConfig = Extract<SourceConfig, { type: "coinbase" }>;
export type ReplaySourceConfig = Extract<SourceConfig, { type: "replay" }>;
export type SyntheticSourceConfig = Extract<SourceConfig, { type: "synthetic" }>;
