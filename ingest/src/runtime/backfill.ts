// The trade backfill of a running ingester: made when the source is Coinbase with `matches`
// subscribed and backfill enabled. Gaps the websocket shows are handed to it as they are found;
// gaps an earlier run left open are loaded once the rows that run left in the spool are committed
// (their newest state may be among them), and continued from their cursor.
import type { IngestConfig } from "../config/schema";
import type { Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import { Backfiller } from "../backfill/backfiller";
import type { BackfillGapRow } from "../backfill/gap-state";
import type { Committer } from "../pipeline/committer";
import type { Pipeline } from "../pipeline/pipeline";
import { backoffDelay, sleep } from "../pipeline/backoff";
import { InsertAborted } from "../pipeline/sink";
import type { Spool } from "../pipeline/spool";
import { sinkTables, type ClickHouseSink } from "../sinks/clickhouse";
import { CoinbaseRest } from "../sources/coinbase-rest";

export interface BackfillParts {
  readonly pipeline: Pipeline;
  readonly committer: Committer;
  readonly sink: ClickHouseSink;
  readonly log: Logger;
  readonly metrics: IngestMetrics;
  /** The spool: its write offset at start (everything before it was left by earlier runs) and its size (backpressure). */
  readonly spool: Pick<Spool, "writeOffset" | "uncommittedBytes">;
}

export function startBackfill(config: IngestConfig, parts: BackfillParts): Backfiller | undefined {
  const source = config.source;
  if (source.type !== "coinbase" || !source.backfill.enabled) return undefined;
  const { pipeline, committer, sink, log, metrics } = parts;
  if (!source.subscription.channels.includes("matches")) {
    log.warn("trade backfill is on but the matches channel is not subscribed: no trades, no gaps to fill", { channels: source.subscription.channels });
    return undefined;
  }
  const settings = source.backfill;
  const rest = new CoinbaseRest({
    restUrl: settings.rest_url,
    requestsPerSecond: settings.requests_per_second,
    burst: settings.burst,
    requestTimeoutMs: settings.request_timeout_ms,
    retry: settings.retry,
    giveUpAfterMs: settings.give_up_after_ms,
    log,
    onRequest: (outcome) => metrics.restRequest(outcome),
  });
  const backfiller = new Backfiller({
    rest,
    target: pipeline,
    log,
    pageSize: settings.page_size,
    maxTradesPerGap: settings.max_trades_per_gap,
    onState: (row) => metrics.backfillState(row.state),
    spoolFull: () => parts.spool.uncommittedBytes > config.spool.max_bytes,
  });
  resumeOpenGaps(backfiller, sinkTables(config.sink.database, config.sink.table).backfill, parts.spool.writeOffset, parts).catch((err: Error) =>
    log.error("could not continue the trade gaps of earlier runs; they stay open until the next start", { error: err }),
  );
  return backfiller;
}

/**
 * Loads the gaps earlier runs left open, once the rows they left in the spool are committed; a
 * failed query is retried with backoff until it answers or the ingester stops.
 */
async function resumeOpenGaps(backfiller: Backfiller, table: string, startOffset: number, { committer, sink, log }: BackfillParts): Promise<void> {
  try {
    await committer.committedThrough(startOffset);
  } catch (err) {
    if (err instanceof InsertAborted) return; // stopped first
    throw err;
  }
  for (let attempt = 0; !backfiller.stopSignal.aborted; attempt++) {
    try {
      const open = (await sink.queryRows<BackfillGapRow>(openGapsQuery(table))).map(numbers);
      if (open.length > 0) log.info("continuing trade gaps an earlier run left open", { gaps: open.length });
      backfiller.resume(open);
      return;
    } catch (err) {
      const delay = backoffDelay(RESUME_RETRY, attempt);
      log.warn("could not load the open trade gaps of earlier runs; retrying", { attempt: attempt + 1, retry_in_ms: Math.round(delay), error: err as Error });
      await sleep(delay, backfiller.stopSignal);
    }
  }
}

const RESUME_RETRY = { initial_ms: 1_000, max_ms: 60_000 };

/** Each gap's newest state (highest revision), where it is still open. */
const openGapsQuery = (table: string) => `
SELECT product_id, first_trade_id,
       argMax(last_trade_id, revision) AS last_trade_id, argMax(state, revision) AS newest_state, max(revision) AS newest_revision,
       argMax(missing, revision) AS missing, argMax(backfilled, revision) AS backfilled, argMax(cursor, revision) AS cursor,
       argMax(reason, revision) AS reason, toString(argMax(gap_start, revision)) AS gap_start, toString(argMax(gap_end, revision)) AS gap_end,
       toString(min(detected_at)) AS detected_at, toString(max(updated_at)) AS updated_at
FROM ${table}
GROUP BY product_id, first_trade_id
HAVING newest_state IN ('detected', 'filling')
ORDER BY detected_at`;

/** UInt64 columns arrive as strings in JSON. */
function numbers(row: BackfillGapRow & { newest_state?: string; newest_revision?: string | number }): BackfillGapRow {
  return {
    product_id: row.product_id,
    first_trade_id: Number(row.first_trade_id),
    last_trade_id: Number(row.last_trade_id),
    state: row.newest_state as BackfillGapRow["state"],
    revision: Number(row.newest_revision),
    missing: Number(row.missing),
    backfilled: Number(row.backfilled),
    cursor: Number(row.cursor),
    reason: row.reason,
    gap_start: row.gap_start,
    gap_end: row.gap_end,
    detected_at: row.detected_at,
    updated_at: row.updated_at,
  };
}
