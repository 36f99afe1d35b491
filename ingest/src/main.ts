// Builds the ingester from a validated config and runs it: ClickHouse (schema check, or
// migrations for the embedded engine) → spool recovery → dedup state → source → pipeline →
// committer, plus stats rows, /metrics and /healthz. The composition root: each part lives in its
// own module (runtime/ holds the ones only a running ingester needs); here they are made and
// connected in start order. Library code: it returns an exit code and never calls process.exit
// (cli.ts does).
import { hostname } from "node:os";
import type { ClickHouseHandle } from "../../sql/src/client";
import { redactedConfig } from "./config/load";
import type { IngestConfig } from "./config/schema";
import { startHttp, type HealthReport, type HttpEndpoint } from "./observability/http";
import { createLogger, type Logger } from "./observability/log";
import { IngestMetrics } from "./observability/metrics";
import { Committer, type QueuedBlock } from "./pipeline/committer";
import { Pipeline } from "./pipeline/pipeline";
import { Spool, type Recovered } from "./pipeline/spool";
import { FeedTracker, type TrackerSeed } from "./pipeline/tracker";
import { SpoolBackpressure } from "./runtime/backpressure";
import { openConfiguredClickHouse, requireSchema } from "./runtime/connect";
import { healthReport } from "./runtime/health";
import { Heartbeat } from "./runtime/heartbeat";
import { Cleanups, Shutdown } from "./runtime/shutdown";
import { ClickHouseSink, sinkTables, type SinkClient } from "./sinks/clickhouse";
import { CoinbaseSource } from "./sources/coinbase";
import { ReplaySource } from "./sources/replay";
import type { Source } from "./sources/source";
import { SyntheticSource } from "./sources/synthetic";

export { FatalError } from "./runtime/connect";

export interface IngesterDeps {
  readonly log?: Logger;
  /** An already open ClickHouse (tests): used as is and not closed by the ingester. */
  readonly clickhouse?: ClickHouseHandle;
  /** Wraps the client the sink writes through (fault injection in tests). */
  readonly wrapClient?: (client: SinkClient) => SinkClient;
  readonly onCommit?: (block: QueuedBlock, committedAt: number) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Process metrics (CPU, heap) in /metrics; off in tests that start many ingesters. */
  readonly defaultMetrics?: boolean;
}

export interface RunningIngester {
  readonly metrics: IngestMetrics;
  /** Port of /metrics and /healthz (undefined when disabled). */
  readonly httpPort: number | undefined;
  /** Resolves with the exit code when the ingester has stopped. */
  readonly done: Promise<number>;
  health(): HealthReport;
  /** Graceful stop: stop reading, flush within shutdown_timeout_ms, resolve with the exit code. */
  stop(reason: string): Promise<number>;
}

export async function startIngester(config: IngestConfig, deps: IngesterDeps = {}): Promise<RunningIngester> {
  const log = deps.log ?? createLogger(config.log_level);
  const startedAt = Date.now();
  log.info("starting", { config: redactedConfig(config) });

  const handle = deps.clickhouse ?? (await openConfiguredClickHouse(config, deps.env ?? process.env, log));
  const cleanups = new Cleanups();
  if (deps.clickhouse === undefined) cleanups.add(() => handle.close());
  try {
    return await assemble(config, deps, { log, startedAt, handle, cleanups });
  } catch (err) {
    await cleanups.run();
    throw err;
  }
}

interface Started {
  readonly log: Logger;
  readonly startedAt: number;
  readonly handle: ClickHouseHandle;
  /** Everything opened from here on adds its release. */
  readonly cleanups: Cleanups;
}

/** Makes the parts in start order, connects them and starts reading. */
async function assemble(config: IngestConfig, deps: IngesterDeps, { log, startedAt, handle, cleanups }: Started): Promise<RunningIngester> {
  const metrics = new IngestMetrics({ defaultMetrics: deps.defaultMetrics });
  const sink = new ClickHouseSink(deps.wrapClient ? deps.wrapClient(handle.client) : handle.client, {
    tables: sinkTables(config.sink.database, config.sink.table),
    settings: config.sink.settings,
    timeoutMs: config.sink.request_timeout_ms,
    retry: config.sink.retry,
    log,
    metrics,
  });
  await requireSchema(sink, config);
  const { spool, recovered } = openSpool(config, log);
  cleanups.add(() => spool.close());
  const tracker = await seededTracker(config, sink, recovered);

  const source = createSource(config, log, metrics);
  const backpressure = new SpoolBackpressure(spool, source, config.spool.max_bytes, log);
  const committer = new Committer({
    spool,
    sink,
    maxBufferedRows: config.batch.max_buffered_rows,
    metrics,
    log,
    onCommit: (block, at) => {
      backpressure.afterCommit();
      deps.onCommit?.(block, at);
    },
  });
  for (const block of recovered.blocks) committer.enqueue({ ...block });
  const pipeline = new Pipeline({
    spool,
    tracker,
    committer,
    metrics,
    log,
    sourceName: source.name,
    maxRows: config.batch.max_rows,
    maxIntervalMs: config.batch.max_interval_ms,
    recoveredOpen: recovered.openLines,
  });

  const health = () => healthReport({ source, committer, sink, sinkStuckMs: config.health.sink_stuck_ms });
  const http = await serveHttp(config, { metrics, health, log, cleanups });
  const heartbeat = new Heartbeat({
    instance: config.stats.instance ?? hostname(),
    startedAt,
    metrics,
    spool,
    committer,
    sink,
    statsIntervalMs: config.stats.interval_ms,
    batchIntervalMs: config.batch.max_interval_ms,
  });
  heartbeat.start();
  cleanups.add(() => heartbeat.stop());

  source.start({
    handle: (raw, receivedAt) => {
      const decoded = pipeline.handle(raw, receivedAt);
      backpressure.afterMessage();
      return decoded;
    },
    connectionLost: () => pipeline.connectionLost(),
  });

  const shutdown = new Shutdown({ source, pipeline, committer, sink, heartbeat, cleanups, metrics, log, timeoutMs: config.shutdown_timeout_ms, spoolDir: config.spool.dir });
  shutdown.followSource();
  return { metrics, httpPort: http?.port, done: shutdown.done, health, stop: (reason) => shutdown.requested(reason) };
}

/** Opens the spool and reads back what the last run left uncommitted. */
function openSpool(config: IngestConfig, log: Logger): { spool: Spool; recovered: Recovered } {
  const opened = Spool.open(config.spool.dir, { segmentBytes: config.spool.segment_bytes, fsync: config.spool.fsync });
  const { blocks, openLines } = opened.recovered;
  const recoveredRows = blocks.reduce((n, b) => n + b.rows, 0);
  if (recoveredRows > 0 || openLines.ticker.length > 0) {
    log.info("replaying the spool", { blocks: blocks.length, rows: recoveredRows, open_rows: openLines.ticker.length + openLines.dead.length + openLines.gap.length });
  }
  return opened;
}

/** Dedup state from the newest tickers stored in ClickHouse and still waiting in the spool. */
async function seededTracker(config: IngestConfig, sink: ClickHouseSink, recovered: Recovered): Promise<FeedTracker> {
  const tracker = new FeedTracker();
  const seeds: TrackerSeed[] = await sink.newestTickers();
  for (const [productId, t] of recovered.newestTicker) seeds.push({ productId, sequence: t.sequence, time: t.time });
  tracker.seed(seeds, { recordRestartGap: config.source.type === "coinbase" });
  return tracker;
}

async function serveHttp(
  config: IngestConfig,
  { metrics, health, log, cleanups }: { metrics: IngestMetrics; health: () => HealthReport; log: Logger; cleanups: Cleanups },
): Promise<HttpEndpoint | undefined> {
  if (!config.metrics.enabled) return undefined;
  const http = await startHttp({ host: config.metrics.host, port: config.metrics.port, metrics, health });
  cleanups.add(() => http.close());
  log.info("serving /metrics and /healthz", { port: http.port });
  return http;
}

function createSource(config: IngestConfig, log: Logger, metrics: IngestMetrics): Source {
  const source = config.source;
  switch (source.type) {
    case "coinbase":
      return new CoinbaseSource(source, log, metrics);
    case "replay":
      return new ReplaySource(source);
    case "synthetic":
      return new SyntheticSource(source);
  }
}
