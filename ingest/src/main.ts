// Builds the ingester from a validated config and runs it: ClickHouse (schema check, or
// migrations for the embedded engine) → spool recovery → dedup state → source → pipeline →
// committer, plus stats rows, /metrics and /healthz. The composition root: each part lives in its
// own module (runtime/ holds the ones only a running ingester needs); here they are made and
// connected in start order. Library code: it returns an exit code and never calls process.exit
// (cli.ts does).
import { statSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { ClickHouseHandle } from "../../sql/src/client";
import { redactedConfig } from "./config/load";
import type { IngestConfig, SourceConfig } from "./config/schema";
import { startHttp, type HealthReport, type HttpEndpoint } from "./observability/http";
import { createLogger, type Logger } from "./observability/log";
import { IngestMetrics } from "./observability/metrics";
import { rowCount } from "./pipeline/block-text";
import { Committer, type QueuedBlock } from "./pipeline/committer";
import { MAX_DAYS_PER_BLOCK, Pipeline } from "./pipeline/pipeline";
import { Spool, type Recovered } from "./pipeline/spool";
import { FeedTracker, type TrackerOptions, type TrackerSeed, type TradeSeed } from "./pipeline/tracker";
import { startBackfill } from "./runtime/backfill";
import type { Backfiller } from "./backfill/backfiller";
import { SpoolBackpressure } from "./runtime/backpressure";
import { openConfiguredClickHouse, requireSchema } from "./runtime/connect";
import { healthReport } from "./runtime/health";
import { Heartbeat } from "./runtime/heartbeat";
import { ProgressReport } from "./runtime/progress";
import { Cleanups, Shutdown } from "./runtime/shutdown";
import { SpoolLock } from "./runtime/spool-lock";
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

  // One ingester per spool directory, checked before anything else is opened (the embedded
  // engine's directory included): a second one exits naming the holder.
  const lock = await SpoolLock.acquire(config.spool.dir, (detail) => log.error("the spool lock was lost", { detail }));
  const cleanups = new Cleanups();
  cleanups.add(() => lock.release());
  try {
    const handle = deps.clickhouse ?? (await openConfiguredClickHouse(config, deps.env ?? process.env, log));
    if (deps.clickhouse === undefined) cleanups.add(() => handle.close());
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
  const { spool, recovered } = openSpool(config, log);
  cleanups.add(() => spool.close());
  const sink = createSink(config, deps, { handle, spool, log, metrics });
  await requireSchema(sink, config);
  let backfill: Backfiller | undefined;
  const tracker = await seededTracker(config, sink, recovered, {
    onTradeGap: (gap) => backfill?.detected(gap),
    onForeignNumbering: (productId, storedTradeId, firstTradeId) =>
      log.warn("the newest stored trade is above this feed's first one (stored by another source?): trade gaps are found from this feed's trades", {
        product_id: productId,
        stored_trade_id: storedTradeId,
        first_trade_id: firstTradeId,
      }),
  });

  const source = createSource(config, log, metrics);
  const backpressure = new SpoolBackpressure(spool, source, config.spool.max_bytes, log);
  const progress = new ProgressReport({ metrics, spool, source, log, intervalMs: config.progress.interval_ms });
  const committer = new Committer({
    spool,
    sink,
    maxBufferedRows: config.batch.max_buffered_rows,
    metrics,
    log,
    onCommit: (block, at) => {
      backpressure.afterCommit();
      progress.committed(at);
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
    maxDaysPerBlock: maxDaysPerBlock(config.sink.settings),
    ...resumePoint(config.source, recovered, log),
  });

  backfill = startBackfill(config, { pipeline, committer, sink, log, metrics, spool });

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
  progress.start();
  cleanups.add(() => progress.stop());

  source.start({
    handle: (raw, receivedAt) => {
      const decoded = pipeline.handle(raw, receivedAt);
      backpressure.afterMessage();
      return decoded;
    },
    connectionLost: () => pipeline.connectionLost(),
  });

  const shutdown = new Shutdown({ source, backfill, pipeline, committer, sink, heartbeat, cleanups, metrics, log, timeoutMs: config.shutdown_timeout_ms, spoolDir: config.spool.dir });
  shutdown.followSource();
  return { metrics, httpPort: http?.port, done: shutdown.done, health, stop: (reason) => shutdown.requested(reason) };
}

function createSink(
  config: IngestConfig,
  deps: IngesterDeps,
  { handle, spool, log, metrics }: { handle: ClickHouseHandle; spool: Spool; log: Logger; metrics: IngestMetrics },
): ClickHouseSink {
  return new ClickHouseSink(deps.wrapClient ? deps.wrapClient(handle.client) : handle.client, {
    tables: sinkTables(config.sink.database, config.sink.table),
    settings: config.sink.settings,
    timeoutMs: config.sink.request_timeout_ms,
    retry: config.sink.retry,
    log,
    metrics,
    quarantine: (table, line) => spool.quarantine(`refused-by-${table}`, line),
  });
}

/**
 * Opens the spool and reads back what the last run left uncommitted. A damaged part is logged in
 * one line (file, offset, reason, where it went) and moved to quarantine/; the rest is delivered.
 */
function openSpool(config: IngestConfig, log: Logger): { spool: Spool; recovered: Recovered } {
  const opened = Spool.open(config.spool.dir, {
    segmentBytes: config.spool.segment_bytes,
    fsync: config.spool.fsync,
    onDamage: (damage) => log.error("damaged spool: the unreadable part is moved to quarantine/ and the rest is delivered", { ...damage }),
  });
  const { blocks, openLines, cutTurn } = opened.recovered;
  if (cutTurn) {
    log.warn("the last write before the crash was cut short: its rows are cut off, and the replay reads those messages again", { ...cutTurn });
  }
  const recoveredRows = blocks.reduce((n, b) => n + b.rows, 0);
  if (recoveredRows > 0 || rowCount(openLines) > 0) {
    log.info("replaying the spool", { blocks: blocks.length, rows: recoveredRows, open_rows: rowCount(openLines) });
  }
  return opened;
}

/** The day limit of a block: ours, or the insert setting when sink.settings sets it lower. */
function maxDaysPerBlock(settings: Record<string, unknown>): number {
  const configured = Number(settings.max_partitions_per_insert_block);
  return configured > 0 ? Math.min(MAX_DAYS_PER_BLOCK, configured) : MAX_DAYS_PER_BLOCK;
}

/**
 * A replay file is read from its start by every run; the spool records how many of its messages
 * reached the spool, so a run after a crash skips those instead of storing their dead letters
 * and gaps again. The file is known by path, inode, size and modification time: a changed file is
 * read in full (its ticks are still deduplicated by sequence).
 */
function resumePoint(source: SourceConfig, recovered: Recovered, log: Logger): { sourceIdentity?: string; resumeAfter?: number } {
  if (source.type !== "replay") return {};
  let sourceIdentity: string;
  try {
    const stat = statSync(source.path);
    sourceIdentity = `replay:${resolve(source.path)}:${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return {}; // the source reports a missing file itself
  }
  const position = recovered.position;
  if (position?.source !== sourceIdentity || position.n === 0) return { sourceIdentity };
  log.info("resuming the replay after the messages an earlier run already spooled", { path: source.path, skipped_messages: position.n });
  return { sourceIdentity, resumeAfter: position.n };
}

/**
 * Feed state from the newest tickers and trades stored in ClickHouse and still waiting in the
 * spool: outage windows and trade gaps start there.
 */
async function seededTracker(config: IngestConfig, sink: ClickHouseSink, recovered: Recovered, events: Pick<TrackerOptions, "onTradeGap" | "onForeignNumbering">): Promise<FeedTracker> {
  const tracker = new FeedTracker({ recentIds: config.dedup.recent_ids, ...events });
  const seeds: TrackerSeed[] = await sink.newestTickers();
  for (const [productId, t] of recovered.newestTicker) seeds.push({ productId, sequence: t.sequence, time: t.time });
  const trades: TradeSeed[] = await sink.newestTrades();
  for (const [productId, t] of recovered.newestTrade) trades.push({ productId, tradeId: t.tradeId, time: t.time });
  tracker.seed(seeds, { recordRestartGap: config.source.type === "coinbase" }, trades);
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
