// Shared test helpers of the ingester's suites: a config builder, fault injection on the
// ClickHouse connection, and small query helpers. Feed data (the recorded session, generated
// tickers) comes from the one test-data module, sql/testing/ticks.ts.
import type { ClickHouseClient } from "@clickhouse/client";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach } from "node:test";
import type { ClickHouseHandle } from "../../sql/src/client";
import { openMigratedEngine, suiteEngine } from "../../sql/testing/engine";
import { parseConfig } from "../src/config/load";
import type { IngestConfig } from "../src/config/schema";
import type { SinkClient } from "../src/sinks/clickhouse";


export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ingest-${prefix}-`));
}

/** A config for tests: metrics on a free port, fast batches, a fresh spool dir. */
export function testConfig(overrides: Record<string, unknown>): IngestConfig {
  return parseConfig({
    sink: { type: "embedded", path: "(injected)", retry: { initial_ms: 20, max_ms: 200 } },
    spool: { dir: tempDir("spool") },
    metrics: { port: 0, host: "127.0.0.1" },
    batch: { max_rows: 500, max_interval_ms: 100 },
    stats: { interval_ms: 60_000 },
    log_level: process.env.INGEST_TEST_LOG ?? "error",
    ...overrides,
  });
}

export interface Faults {
  /** The next N inserts fail with a network-style error. */
  failNext: number;
  /** The next N inserts never answer (the sink's timeout must fire). */
  hangNext: number;
  /** Every insert waits this long before reaching the engine. */
  delayMs: number;
  /** The next N inserts reach the engine and succeed, but the answer is lost (an error is returned). */
  loseAnswerNext: number;
  /** Count of inserts that reached the engine. */
  delivered: number;
  /** Count of insert calls seen. */
  calls: number;
}

/** Wraps the client the ingester writes through, injecting faults into INSERT calls only. */
export function faultyClient(client: ClickHouseClient, faults: Faults): SinkClient {
  return {
    query: (params) => client.query(params as never) as never,
    exec: async (params) => {
      faults.calls++;
      if (!/^INSERT/i.test(params.query)) return client.exec(params);
      if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
      if (faults.failNext > 0) {
        faults.failNext--;
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123 (injected)"), { code: "ECONNREFUSED" });
      }
      if (faults.hangNext > 0) {
        faults.hangNext--;
        return new Promise<never>(() => undefined);
      }
      const result = await client.exec(params);
      faults.delivered++;
      if (faults.loseAnswerNext > 0) {
        faults.loseAnswerNext--;
        result.stream.destroy();
        throw Object.assign(new Error("socket hang up (injected after the insert was stored)"), { code: "ECONNRESET" });
      }
      return result;
    },
  };
}

export function noFaults(): Faults {
  return { failNext: 0, hangNext: 0, delayMs: 0, loseAnswerNext: 0, delivered: 0, calls: 0 };
}

export async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: "JSONEachRow" });
  return result.json<T>();
}

export async function one<T>(client: ClickHouseClient, query: string): Promise<T> {
  const r = await rows<T>(client, query);
  return r[0]!;
}

const INGEST_TABLES = [
  "coinbase_ticker", "ingest_dead_letters", "sequence_gaps", "ingest_stats", "trades_per_minute", "vwap_5m", "ohlcv_1m",
  "trades", "backfill_gaps", "trade_ohlcv_1m", "trade_vwap_5m",
];

export async function truncateAll(client: ClickHouseClient): Promise<void> {
  for (const t of INGEST_TABLES) await client.command({ query: `TRUNCATE TABLE coinbase_demo.${t}` });
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Writes a config file for a CLI run (runCli) and returns its path. JSON is YAML, so the object is
 * written as it is: an embedded engine at <dir>/data and a spool at <dir>/spool unless given.
 */
export function writeCliConfig(dir: string, config: Record<string, unknown>): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  const full = {
    sink: { type: "embedded", path: join(dir, "data") },
    spool: { dir: join(dir, "spool") },
    batch: { max_rows: 1000, max_interval_ms: 200 },
    metrics: { port: 0, host: "127.0.0.1" },
    ...config,
  };
  writeFileSync(path, JSON.stringify(full, null, 2));
  return path;
}

/** A counter or gauge read from a running ingester's /metrics (0 when absent). */
export async function metricValue(port: unknown, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text();
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

export interface SharedEngine {
  readonly client: ClickHouseClient;
  /** The engine as an already open ClickHouse for startIngester (not closed by the ingester). */
  readonly handle: ClickHouseHandle;
}

/**
 * The embedded engine a test file's tests share: migrated before the first test, its ingest
 * tables emptied before each, closed after the last. Call at the top level of the file.
 */
export function sharedEngine(): SharedEngine {
  const engine = suiteEngine(openMigratedEngine);
  beforeEach(() => truncateAll(engine.client));
  return {
    get client() {
      return engine.client;
    },
    get handle() {
      return { client: engine.client, kind: "embedded" as const, close: async () => undefined };
    },
  };
}
