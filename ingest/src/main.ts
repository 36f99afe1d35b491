// Builds the ingester from a validated config and runs it: ClickHouse (schema check, or
// migrations for the embedded engine) → spool recovery → dedup state → source → pipeline →
// committer, plus stats rows, /metrics and /healthz. Library code: it returns an exit code and
// never calls process.exit (cli.ts does).
import { hostname } from "node:os";
import { embeddedUrl, openClickHouse, type ClickHouseHandle } from "../../sql/src/client";
import { migrate } from "../../sql/src/runner";
import { redactedConfig, resolvePassword } from "./config/load";
import type { IngestConfig } from "./config/schema";
import { startHttp, type HealthReport, type HttpEndpoint } from "./observability/http";
import { createLogger, type Logger } from "./observability/log";
import { IngestMetrics } from "./observability/metrics";
import { Committer, type QueuedBlock } from "./pipeline/committer";
import { Pipeline } from "./pipeline/pipeline";
import { Spool } from "./pipeline/spool";
import { FeedTracker, toClickhouseTime, type TrackerSeed } from "./pipeline/tracker";
import { ClickHouseSink, sinkTables, type SinkClient } from "./sinks/clickhouse";
import { CoinbaseSource } from "./sources/coinbase";
import { ReplaySource } from "./sources/replay";
import type { Source } from "./sources/source";
import { SyntheticSource } from "./sources/synthetic";

/** A problem no retry can fix (bad config, missing schema): the CLI exits non-zero. */
export class FatalError extends Error {}

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
  const instance = config.stats.instance ?? hostname();
  log.info("starting", { config: redactedConfig(config) });

  const handle = deps.clickhouse ?? (await openSink(config, deps.env ?? process.env, log));
  const ownsHandle = deps.clickhouse === undefined;
  const cleanups: Array<() => Promise<void> | void> = [];
  if (ownsHandle) cleanups.push(() => handle.close());
  try {
    const metrics = new IngestMetrics({ defaultMetrics: deps.defaultMetrics });
    const tables = sinkTables(config.sink.database, config.sink.table);
    const client = deps.wrapClient ? deps.wrapClient(handle.client) : handle.client;
    const sink = new ClickHouseSink(client, {
      tables,
      settings: config.sink.settings,
      timeoutMs: config.sink.request_timeout_ms,
      retry: config.sink.retry,
      log,
      metrics,
    });
    let missing: string[];
    try {
      missing = await sink.missingTables();
    } catch (err) {
      throw new FatalError(`Cannot check the schema in ClickHouse (${describeSink(config)}): ${(err as Error).message}. Is the server up, and are sink.host, sink.port, sink.user and the password right?`);
    }
    if (missing.length > 0) {
      throw new FatalError(`ClickHouse has no table ${missing.join(", ")}: run the migrations first (npm run migrate), then start the ingester`);
    }

    const { spool, recovered } = Spool.open(config.spool.dir, { segmentBytes: config.spool.segment_bytes, fsync: config.spool.fsync });
    cleanups.push(() => spool.close());
    const recoveredRows = recovered.blocks.reduce((n, b) => n + b.rows, 0);
    if (recoveredRows > 0 || recovered.openLines.ticker.length > 0) {
      log.info("replaying the spool", { blocks: recovered.blocks.length, rows: recoveredRows, open_rows: recovered.openLines.ticker.length + recovered.openLines.dead.length + recovered.openLines.gap.length });
    }

    const tracker = new FeedTracker();
    const seeds: TrackerSeed[] = await sink.newestTickers();
    for (const [productId, t] of recovered.newestTicker) seeds.push({ productId, sequence: t.sequence, time: t.time });
    tracker.seed(seeds, { recordRestartGap: config.source.type === "coinbase" });

    const source = createSource(config, log, metrics);
    let paused = false;
    const committer = new Committer({
      spool,
      sink,
      maxBufferedRows: config.batch.max_buffered_rows,
      metrics,
      log,
      onCommit: (block, at) => {
        if (paused && spool.uncommittedBytes < config.spool.max_bytes * 0.8) {
          paused = false;
          source.resume();
          log.info("spool below its limit again; reading resumed", { spool_bytes: spool.uncommittedBytes });
        }
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

    const health = (): HealthReport => {
      const problems: string[] = [];
      const s = source.health();
      if (!s.ok) problems.push(`source: ${s.detail}`);
      const waiting = committer.pendingRows;
      const sinceCommit = Date.now() - committer.lastCommitAt;
      let sinkDetail = waiting === 0 ? "idle, nothing waiting" : `${waiting} rows waiting, last commit ${sinceCommit} ms ago`;
      if (sink.problem) sinkDetail += `; failing since ${new Date(sink.problem.at).toISOString()}: ${sink.problem.summary}`;
      if (waiting > 0 && sinceCommit > config.health.sink_stuck_ms) problems.push(`sink: no commit for ${Math.round(sinceCommit / 1000)} s with ${waiting} rows waiting`);
      if (sink.problem?.needsOperator) problems.push(`sink: ${sink.problem.summary}`);
      return { ok: problems.length === 0, source: s.detail, sink: sinkDetail, problems };
    };

    let http: HttpEndpoint | undefined;
    if (config.metrics.enabled) {
      http = await startHttp({ host: config.metrics.host, port: config.metrics.port, metrics, health });
      cleanups.push(() => http!.close());
      log.info("serving /metrics and /healthz", { port: http.port });
    }

    let statsSeq = 0;
    const writeStats = async () => {
      const now = Date.now();
      const row = {
        reported_at: toClickhouseTime(now),
        instance,
        started_at: toClickhouseTime(startedAt),
        ...metrics.totals,
        buffer_depth: committer.pendingRows + spool.openRowCount,
        spool_bytes: spool.uncommittedBytes,
      };
      await sink.insertStats(row, `stats:${instance}:${startedAt}:${statsSeq++}`);
    };
    const gauges = () => {
      metrics.spoolBytes.set(spool.uncommittedBytes);
      metrics.bufferedRows.set(committer.pendingRows + spool.openRowCount);
    };
    const ticker = setInterval(() => {
      pipeline.tick();
      gauges();
    }, Math.min(250, Math.max(10, config.batch.max_interval_ms / 4)));
    let statsBusy = false;
    const statsTimer = setInterval(() => {
      if (statsBusy) return;
      statsBusy = true;
      void writeStats().finally(() => (statsBusy = false));
    }, config.stats.interval_ms);
    cleanups.push(() => {
      clearInterval(ticker);
      clearInterval(statsTimer);
    });

    source.start({
      handle: (raw, receivedAt) => {
        const decoded = pipeline.handle(raw, receivedAt);
        if (!paused && spool.uncommittedBytes >= config.spool.max_bytes) {
          paused = true;
          source.pause();
          log.warn("spool full: reading paused until ClickHouse catches up", { spool_bytes: spool.uncommittedBytes, max_bytes: config.spool.max_bytes });
        }
        return decoded;
      },
      connectionLost: () => pipeline.connectionLost(),
    });

    let resolveDone!: (code: number) => void;
    const done = new Promise<number>((resolve) => (resolveDone = resolve));
    let stopping: Promise<number> | undefined;
    // The flush deadline starts with a stop request (signal), also when a finished replay is
    // already draining: a SIGTERM must end the process within Docker's grace either way.
    let deadlineTimer: NodeJS.Timeout | undefined;
    let startDeadline!: () => void;
    const deadlineReached = new Promise<boolean>((resolve) => {
      startDeadline = () => {
        if (!deadlineTimer) deadlineTimer = setTimeout(() => resolve(false), config.shutdown_timeout_ms);
      };
    });

    const shutdown = (reason: string, options: { drainAll: boolean; exitCode: number }): Promise<number> => {
      if (stopping) return stopping;
      stopping = (async () => {
        log.info("stopping", { reason });
        await source.stop();
        pipeline.seal();
        pipeline.close();
        if (!options.drainAll) startDeadline();
        const drained = await Promise.race([committer.idle().then(() => true), deadlineReached]);
        clearTimeout(deadlineTimer);
        if (!drained) {
          const left = committer.pendingRows;
          await committer.abandon();
          log.warn("shutdown deadline reached; the rest stays in the spool and is stored on the next start", { rows_left: left, spool_dir: config.spool.dir });
        } else if (!sink.problem) {
          await writeStats();
        }
        for (const cleanup of cleanups.reverse()) await cleanup();
        log.info("stopped", { ...metrics.totals, exit_code: options.exitCode });
        resolveDone(options.exitCode);
        return options.exitCode;
      })();
      return stopping;
    };

    source.finished?.then(
      () => void shutdown("the source has no more messages", { drainAll: true, exitCode: 0 }),
      (err: Error) => {
        log.error("the source failed", { error: err.message });
        void shutdown(`source failed: ${err.message}`, { drainAll: false, exitCode: 1 });
      },
    );

    return {
      metrics,
      httpPort: http?.port,
      done,
      health,
      stop: (reason) => {
        startDeadline();
        return shutdown(reason, { drainAll: false, exitCode: 0 });
      },
    };
  } catch (err) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw err;
  }
}

async function openSink(config: IngestConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<ClickHouseHandle> {
  const sink = config.sink;
  if (sink.type === "embedded") {
    const handle = await openClickHouse({ url: embeddedUrl(sink.path) });
    try {
      // The embedded engine has no other migrator: bring its schema up to date here.
      const result = await migrate(handle.client, { manageAccess: false, backfillGuardMs: 0, backfillSettleMs: 0, log: (line) => log.info(line) });
      if (result.applied.length > 0) log.info("embedded ClickHouse migrated", { path: sink.path, applied: result.applied });
    } catch (err) {
      await handle.close();
      throw new FatalError(`Cannot prepare the embedded ClickHouse at ${sink.path} (sink.path): ${(err as Error).message}`);
    }
    return handle;
  }
  const url = `${sink.secure ? "https" : "http"}://${sink.host}:${sink.port}`;
  if (sink.password !== undefined && sink.password_env === undefined) {
    log.warn("sink.password is written in the config file; prefer sink.password_env so no secret sits in a file");
  }
  return openClickHouse({
    url,
    username: sink.user,
    password: resolvePassword(config, env),
    requestTimeoutMs: sink.request_timeout_ms,
    application: "streamstack-ingest",
  });
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

function describeSink(config: IngestConfig): string {
  const sink = config.sink;
  return sink.type === "embedded" ? `embedded at ${sink.path}` : `${sink.secure ? "https" : "http"}://${sink.host}:${sink.port} as ${sink.user}`;
}
