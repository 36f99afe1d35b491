// Writes rows to ClickHouse with the same @clickhouse/client calls for a server and for the
// embedded engine. Rows arrive already encoded (from the spool) and are sent as they are: tickers
// as TabSeparated lines (the cheapest text format for ClickHouse to read, and half the bytes of
// JSON), dead letters and gaps as JSONEachRow (free text that JSON escapes for us). Every insert
// carries its settings explicitly: the embedded engine applies settings as session-wide SETs, so
// one left out would silently inherit the previous insert's value.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import type { LogFields, Logger } from "../observability/log";
import type { IngestMetrics } from "../observability/metrics";
import { TABLES } from "../../../sql/src/names";
import { TICKER_COLUMNS, TRADE_COLUMNS } from "../../../sql/src/rows";
import { backoffDelay, sleep, type BackoffPolicy } from "../pipeline/backoff";
import { linesOf, rowText, type RowText, type TableKey } from "../pipeline/block-text";
import { InsertAborted, type BlockSink } from "../pipeline/sink";
import { nowClickhouse, type TrackerSeed, type TradeSeed } from "../pipeline/tracker";
import { classifyInsertError, type ClassifiedError } from "./errors";
import { withoutStored, type IdentityKey } from "./identities";

/** The part of the client the sink uses; tests wrap it to inject faults. */
export type SinkClient = Pick<ClickHouseClient, "exec" | "query">;

export interface SinkTables {
  readonly ticker: string;
  readonly trade: string;
  readonly dead: string;
  readonly gap: string;
  readonly backfill: string;
  readonly stats: string;
}

export function sinkTables(database: string, tickerTable: string): SinkTables {
  return {
    ticker: `${database}.${tickerTable}`,
    trade: `${database}.${TABLES.trades}`,
    dead: `${database}.${TABLES.deadLetters}`,
    gap: `${database}.${TABLES.sequenceGaps}`,
    backfill: `${database}.${TABLES.backfillGaps}`,
    stats: `${database}.${TABLES.stats}`,
  };
}

export interface SinkOptions {
  readonly tables: SinkTables;
  /** Extra settings from the config; the four below always win. */
  readonly settings: Record<string, string | number | boolean>;
  readonly timeoutMs: number;
  readonly retry: BackoffPolicy;
  readonly log: Logger;
  readonly metrics: IngestMetrics;
  /**
   * Keeps a row no table takes (a dead letter ClickHouse refuses) somewhere it is not lost (the
   * spool's quarantine folder); returns where. Without it such a row is logged and dropped.
   */
  readonly quarantine?: (table: string, line: string, reason: string) => string;
}

/** What follows the table name in each table's INSERT: the columns sent and their format. */
/** The identity column of each deduplicated table (its first two columns are time and product_id). */
const IDENTITY: Record<"ticker" | "trade", IdentityKey> = {
  ticker: { column: "sequence", timeBounded: true },
  trade: { column: "trade_id", timeBounded: false },
};

const INSERT_FORMAT: Record<TableKey | "stats", string> = {
  ticker: `(${TICKER_COLUMNS.join(", ")}) FORMAT TabSeparated`,
  trade: `(${TRADE_COLUMNS.join(", ")}) FORMAT TabSeparated`,
  dead: "FORMAT JSONEachRow",
  gap: "FORMAT JSONEachRow",
  backfill: "FORMAT JSONEachRow",
  stats: "FORMAT JSONEachRow",
};

/** What retrying() says about one kind of request. */
interface Attempts {
  /** Names it in the shutdown error: `<what> <table> abandoned at shutdown`. */
  readonly what: string;
  /** The log line of a failed attempt, before "; retrying". */
  readonly failed: string;
  /** The log line once it succeeds after failures. */
  readonly recovered: string;
  /** A refusal (the rows themselves are wrong) ends the retries and is returned. */
  readonly refusedEnds: boolean;
}

const INSERT_ATTEMPTS: Attempts = { what: "insert into", failed: "insert failed", recovered: "ClickHouse accepts inserts again", refusedEnds: true };
const LOOKUP_ATTEMPTS: Attempts & { readonly refusedEnds: false } = { what: "looking up stored rows of", failed: "looking up stored rows failed", recovered: "ClickHouse answers again", refusedEnds: false };

type Outcome<T> = { readonly done: T } | { readonly refused: ClassifiedError };

export interface SinkProblem extends ClassifiedError {
  readonly at: number;
  readonly attempts: number;
}

export class ClickHouseSink implements BlockSink {
  /** The last failed attempt while it is still failing; cleared by a success. */
  problem: SinkProblem | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Highest stored id per product of the deduplicated tables, read by newestTickers/newestTrades
   * at start and raised by every insert: a block whose ids are all above it needs no lookup.
   */
  private readonly storedMax: Partial<Record<"ticker" | "trade", Map<string, number>>> = {};

  constructor(
    private readonly client: SinkClient,
    private readonly options: SinkOptions,
  ) {}

  /**
   * Stores rows with retries until they are in, or until `abort` fires (they stay in the spool).
   * Tickers and trades already in their table (same identity) are left out first, so a row is
   * never stored twice whatever the dedup window held. Only transient errors are retried; rows
   * ClickHouse refuses are found by halving the batch and go to dead letters with the refusal as
   * the reason.
   */
  async store(key: TableKey, text: RowText, token: string, abort: AbortSignal): Promise<void> {
    if (text.rows === 0) return;
    if (key !== "ticker" && key !== "trade") return this.storeRows(key, text, token, abort, token);
    const table = this.options.tables[key];
    const lookup = { key: IDENTITY[key], table, stored: this.storedMax[key], query: (sql: string) => this.lookupRows(sql) };
    const { done: fresh } = await this.retrying(LOOKUP_ATTEMPTS, table, abort, () => withoutStored(text, lookup));
    if (fresh.skipped > 0) {
      for (let i = 0; i < fresh.skipped; i++) this.options.metrics.duplicate(key === "ticker" ? "ticker" : "matches");
      this.options.log.debug("rows already stored were left out of the insert", { table, rows: fresh.skipped });
    }
    // Other rows, other token: the block's own token may already name an insert of all its rows.
    await this.storeRows(key, fresh.text, fresh.skipped > 0 ? `${token}~${fresh.digest}` : token, abort, token);
    const stored = this.storedMax[key];
    if (stored) for (const [product, id] of fresh.highest) if (id > (stored.get(product) ?? -1)) stored.set(product, id);
  }

  /**
   * `blockToken` is the block's own token, whatever rows were left out or split off: a refused
   * row's dead letter is named by it and the row, so storing the block again (after a later
   * table's failure) does not store the dead letter twice.
   */
  private async storeRows(key: TableKey, text: RowText, token: string, abort: AbortSignal, blockToken: string): Promise<void> {
    if (text.rows === 0) return;
    const refused = await this.insertRetrying(key, text.chunks, text.rows, token, abort);
    if (!refused) {
      this.options.metrics.rowsStored(key, text.rows);
      return;
    }
    const table = this.options.tables[key];
    // The rare path: the batch is split into lines and each half stored the same way.
    const lines = linesOf(text);
    if (lines.length > 1) {
      if (!token.includes(".")) this.options.log.warn("ClickHouse refused a batch; splitting it to find the refused rows", { table, rows: lines.length, reason: refused.summary });
      const mid = lines.length >> 1;
      await this.storeRows(key, rowText(lines.slice(0, mid)), `${token}.0`, abort, blockToken);
      await this.storeRows(key, rowText(lines.slice(mid)), `${token}.1`, abort, blockToken);
      return;
    }
    const line = lines[0]!;
    if (key === "dead") {
      const where = this.options.quarantine?.(table, line, refused.summary);
      this.options.log.error(where ? "ClickHouse refused a dead letter; it is kept in the spool's quarantine" : "ClickHouse refused a dead letter; it is dropped", {
        reason: refused.summary,
        quarantined: where,
        raw: line.slice(0, 500),
      });
      this.options.metrics.rowDropped();
      return;
    }
    this.options.log.warn("ClickHouse refused a row; dead-lettered", { table, reason: refused.summary });
    const dead = JSON.stringify({ received_at: nowClickhouse(), source: "clickhouse", reason: `${table} refused the row: ${refused.summary}`, raw: line });
    const deadToken = `${blockToken}.dead.${createHash("sha256").update(line).digest("hex").slice(0, 16)}`;
    await this.storeRows("dead", rowText([dead]), deadToken, abort, deadToken);
    this.options.metrics.deadLettered("clickhouse");
  }

  /** One ingest_stats row; a failure is logged and skipped (the next row carries the totals). */
  async insertStats(row: Record<string, unknown>, token: string): Promise<boolean> {
    try {
      await this.insertOnce("stats", [`${JSON.stringify(row)}\n`], token);
      return true;
    } catch (err) {
      this.options.log.warn(`could not write ${TABLES.stats}`, { reason: classifyInsertError(err).summary });
      return false;
    }
  }

  /** Newest stored ticker per product, so a restart does not store a tick twice. */
  async newestTickers(): Promise<TrackerSeed[]> {
    const rows = await this.queryRows<{ product_id: string; max_sequence: string | number; last_time: string }>(
      `SELECT product_id, max(sequence) AS max_sequence, toString(argMax(time, sequence)) AS last_time FROM ${this.options.tables.ticker} GROUP BY product_id`,
    );
    this.storedMax.ticker = new Map(rows.map((r) => [r.product_id, Number(r.max_sequence)]));
    return rows.map((r) => ({ productId: r.product_id, sequence: Number(r.max_sequence), time: r.last_time }));
  }

  /** Newest stored trade per product: a jump from it to the first trade of this run is a gap to backfill. */
  async newestTrades(): Promise<TradeSeed[]> {
    const rows = await this.queryRows<{ product_id: string; max_trade_id: string | number; last_time: string }>(
      `SELECT product_id, max(trade_id) AS max_trade_id, toString(argMax(time, trade_id)) AS last_time FROM ${this.options.tables.trade} GROUP BY product_id`,
    );
    this.storedMax.trade = new Map(rows.map((r) => [r.product_id, Number(r.max_trade_id)]));
    return rows.map((r) => ({ productId: r.product_id, tradeId: Number(r.max_trade_id), time: r.last_time }));
  }

  /** A lookup's rows, abandoned (and retried by the caller) when slower than the insert timeout. */
  private lookupRows(query: string): Promise<Array<{ product_id: string; id: string | number }>> {
    return this.exclusive(async () => {
      const abort = new AbortController();
      const call = this.client.query({ query, format: "JSONEachRow", abort_signal: abort.signal }).then((r) => r.json<{ product_id: string; id: string | number }>());
      return withTimeout(call, this.options.timeoutMs, () => abort.abort(), `a lookup of stored rows took longer than ${this.options.timeoutMs} ms`);
    });
  }

  /**
   * Runs `attempt` until it succeeds, or until `abort` fires (InsertAborted); with
   * `kind.refusedEnds`, a refusal ends it too and is returned (the caller splits the batch). Every
   * failure is classified, counted and kept as the sink's problem (/healthz) while it lasts.
   */
  private retrying<T>(kind: Attempts & { readonly refusedEnds: false }, table: string, abort: AbortSignal, attempt: () => Promise<T>): Promise<{ readonly done: T }>;
  private retrying<T>(kind: Attempts, table: string, abort: AbortSignal, attempt: () => Promise<T>, fields?: LogFields): Promise<Outcome<T>>;
  private async retrying<T>(kind: Attempts, table: string, abort: AbortSignal, attempt: () => Promise<T>, fields: LogFields = {}): Promise<Outcome<T>> {
    for (let n = 0; ; n++) {
      if (abort.aborted) throw new InsertAborted(`${kind.what} ${table} abandoned at shutdown; the rows stay in the spool`);
      try {
        const done = await attempt();
        if (this.problem) this.options.log.info(kind.recovered, { table, after_attempts: n + 1 });
        this.problem = undefined;
        return { done };
      } catch (err) {
        const classified = classifyInsertError(err);
        this.options.metrics.insertError(classified.class);
        if (kind.refusedEnds && classified.class === "refused") return { refused: classified };
        this.problem = { ...classified, at: Date.now(), attempts: n + 1 };
        const delay = backoffDelay(this.options.retry, n);
        const log = classified.needsOperator ? this.options.log.error : this.options.log.warn;
        if (n < 3 || n % 10 === 0) {
          log(classified.needsOperator ? `${kind.failed} and needs an operator (schema, grants or credentials); retrying` : `${kind.failed}; retrying`, {
            table,
            ...fields,
            attempt: n + 1,
            retry_in_ms: Math.round(delay),
            reason: classified.summary,
          });
        }
        await sleep(delay, abort);
      }
    }
  }

  /** Rows of a query (one request at a time, like every other). */
  async queryRows<T>(query: string): Promise<T[]> {
    const result = await this.exclusive(() => this.client.query({ query, format: "JSONEachRow" }));
    return result.json<T>();
  }

  /** Tables the ingester writes that the server does not have (the schema is the migrator's job). */
  async missingTables(): Promise<string[]> {
    const missing: string[] = [];
    for (const table of Object.values(this.options.tables)) {
      const result = await this.exclusive(() => this.client.query({ query: `EXISTS TABLE ${table}`, format: "JSONEachRow" }));
      const rows = await result.json<{ result: number | string }>();
      if (Number(rows[0]?.result) !== 1) missing.push(table);
    }
    return missing;
  }

  /**
   * `body` is whole lines in chunks, streamed chunk by chunk on each attempt, so a 50,000-row
   * insert never exists as one string or one buffer of its own next to the block.
   */
  private async insertRetrying(key: TableKey, body: readonly string[], rows: number, token: string, abort: AbortSignal): Promise<ClassifiedError | undefined> {
    const table = this.options.tables[key];
    const outcome = await this.retrying(
      INSERT_ATTEMPTS,
      table,
      abort,
      async () => {
        const started = performance.now();
        await this.insertOnce(key, body, token);
        this.options.metrics.insertTook(table.split(".").pop()!, (performance.now() - started) / 1000);
      },
      { rows },
    );
    return "refused" in outcome ? outcome.refused : undefined;
  }

  private insertOnce(key: TableKey | "stats", body: readonly string[], token: string): Promise<void> {
    const table = this.options.tables[key];
    return this.exclusive(async () => {
      const abort = new AbortController();
      const call = this.client
        .exec({
          query: `INSERT INTO ${table} ${INSERT_FORMAT[key]}`,
          values: Readable.from(body, { objectMode: false }),
          clickhouse_settings: {
            ...this.options.settings,
            async_insert: 0,
            insert_deduplicate: 1,
            deduplicate_blocks_in_dependent_materialized_views: 1,
            insert_deduplication_token: token,
          },
          abort_signal: abort.signal,
        })
        .then(async (result) => {
          // An INSERT answers with an empty body. Reading it to its end (not destroying the
          // stream) hands the socket back to the keep-alive pool for the next insert.
          for await (const _ of result.stream) void _;
        });
      await withTimeout(call, this.options.timeoutMs, () => abort.abort(), `insert into ${table} took longer than ${this.options.timeoutMs} ms`);
    });
  }

  /** One request at a time: the embedded engine's session settings must not interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export class InsertTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new InsertTimeout(message));
    }, ms);
  });
  promise.catch(() => undefined); // a late failure after the timeout is not an unhandled rejection
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
