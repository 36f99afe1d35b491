// Shared test helpers: realistic feed data (from the recorded session sample), a config
// builder, fault injection on the ClickHouse connection, and small query helpers.
import type { ClickHouseClient } from "@clickhouse/client";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../src/config/load";
import type { IngestConfig } from "../src/config/schema";
import type { SinkClient } from "../src/sinks/clickhouse";


const LOCAL_SAMPLE = join(__dirname, "fixtures", "session-sample.ndjson");

/** The recorded session: subscriptions ack, tickers with real-style sequence jumps, heartbeats, an error. */
export function sampleLines(): string[] {
  return readFileSync(LOCAL_SAMPLE, "utf8").split("\n").filter((l) => l.length > 0);
}

export function sampleTickers(): Array<Record<string, unknown>> {
  return sampleLines()
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => m.type === "ticker");
}

/**
 * `count` tickers shaped like the sample's, continuing its numbering per product: sequence
 * jumps by 1-40 between tickers (as on the real feed), trade_id by 1-3, time by ~0.1 s.
 */
export function realisticTickers(count: number, options: { startMs?: number; products?: string[] } = {}): string[] {
  const templates = sampleTickers();
  const products = options.products ?? ["BTC-USD", "ETH-USD"];
  const state = new Map<string, { sequence: number; tradeId: number; template: Record<string, unknown> }>();
  for (const p of products) {
    const t = [...templates].reverse().find((m) => m.product_id === p) ?? templates[0]!;
    state.set(p, { sequence: Number(t.sequence), tradeId: Number(t.trade_id), template: t });
  }
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const start = options.startMs ?? Date.parse("2026-11-24T21:01:00Z");
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = products[i % products.length]!;
    const s = state.get(p)!;
    s.sequence += 1 + Math.floor(rnd() * 40);
    s.tradeId += 1 + Math.floor(rnd() * 3);
    const time = new Date(start + i * 100).toISOString().replace("Z", `${String(i % 1000).padStart(3, "0")}Z`);
    out.push(JSON.stringify({ ...s.template, sequence: s.sequence, trade_id: s.tradeId, time }));
  }
  return out;
}

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

const INGEST_TABLES = ["coinbase_ticker", "ingest_dead_letters", "sequence_gaps", "ingest_stats", "trades_per_minute", "vwap_5m", "ohlcv_1m"];

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
