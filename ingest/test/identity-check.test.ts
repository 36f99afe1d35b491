// The sink's insert-time identity check on its own (sinks/identities.ts through ClickHouseSink):
// a refused row's dead letter is stored once when its block is stored again after rows of it
// were (a crash between the two); a failing lookup is retried like an insert and shows as the
// sink's problem meanwhile; a block above the highest stored ids asks the table nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClickHouseClient } from "@clickhouse/client";
import { realisticTickers } from "../../sql/testing/ticks";
import { rowText } from "../src/pipeline/block-text";
import { decode } from "../src/pipeline/decode";
import { IngestMetrics } from "../src/observability/metrics";
import { silentLogger } from "../src/observability/log";
import { ClickHouseSink, sinkTables, type SinkClient } from "../src/sinks/clickhouse";
import { one, sharedEngine } from "./helpers";

const engine = sharedEngine();

function sinkOver(client: SinkClient): ClickHouseSink {
  return new ClickHouseSink(client, {
    tables: sinkTables("coinbase_demo", "coinbase_ticker"),
    settings: {},
    timeoutMs: 10_000,
    retry: { initial_ms: 10, max_ms: 50 },
    log: silentLogger,
    metrics: new IngestMetrics({ defaultMetrics: false }),
  });
}

function tickerLines(n: number): string[] {
  return realisticTickers(n).map((raw) => {
    const d = decode(raw);
    if (d.kind !== "ticker") throw new Error("not a ticker");
    return d.line;
  });
}

/** Counts the lookups (SELECTs with an IN list) and can fail the next ones. */
function lookupCounting(client: ClickHouseClient, failures = { next: 0 }) {
  const seen = { lookups: 0 };
  const wrapped: SinkClient = {
    exec: (params) => client.exec(params),
    query: async (params) => {
      if (/ IN \(/.test(params.query)) {
        seen.lookups++;
        if (failures.next > 0) {
          failures.next--;
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123 (injected)"), { code: "ECONNREFUSED" });
        }
      }
      return client.query(params as never) as never;
    },
  };
  return { wrapped, seen };
}

test("a block stored again after part of it was (a crash before the checkpoint): its refused row is dead-lettered once", async () => {
  const lines = tickerLines(20);
  const fields = lines[7]!.split("\t");
  fields[4] = "not-a-price"; // ClickHouse refuses the row; its identity is valid
  lines[7] = fields.join("\t");
  const sink = sinkOver(engine.client);
  const abort = new AbortController().signal;
  await sink.store("ticker", rowText(lines), "block-token-1", abort);
  await sink.store("ticker", rowText(lines), "block-token-1", abort); // the next start's retry of the same block
  const ticks = await one<{ c: string }>(engine.client, "SELECT count() AS c FROM coinbase_demo.coinbase_ticker");
  const dead = await one<{ c: string }>(engine.client, "SELECT count() AS c FROM coinbase_demo.ingest_dead_letters");
  assert.equal(Number(ticks.c), 19);
  assert.equal(Number(dead.c), 1, "the second store leaves the 19 stored rows out and keeps the refused one: same dead letter, same token");
});

test("a failing lookup is retried like an insert and is the sink's problem until it answers; the rows are stored once", async () => {
  const failures = { next: 0 };
  const { wrapped } = lookupCounting(engine.client, failures);
  const sink = sinkOver(wrapped);
  const lines = tickerLines(50);
  const abort = new AbortController().signal;
  await sink.store("ticker", rowText(lines.slice(0, 10)), "t1", abort);
  failures.next = 3;
  let done = false;
  const stored = sink.store("ticker", rowText(lines), "t2", abort).then(() => (done = true)); // overlaps t1: a lookup is needed
  let problem = "";
  while (!done && problem === "") {
    problem = sink.problem?.summary ?? "";
    await new Promise((r) => setImmediate(r));
  }
  assert.match(problem, /ECONNREFUSED/, "the lookup's failure is visible while it is retried");
  await stored;
  assert.equal(sink.problem, undefined);
  assert.equal(failures.next, 0);
  const ticks = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
  assert.deepEqual([Number(ticks.c), Number(ticks.u)], [50, 50]);
});

test("once the highest stored ids are known, a block above them asks the table nothing; one below them is looked up", async () => {
  const { wrapped, seen } = lookupCounting(engine.client);
  const sink = sinkOver(wrapped);
  const lines = tickerLines(300);
  const abort = new AbortController().signal;
  await sink.newestTickers(); // at start: the table is empty
  await sink.store("ticker", rowText(lines.slice(0, 100)), "a", abort);
  await sink.store("ticker", rowText(lines.slice(100, 200)), "b", abort);
  assert.equal(seen.lookups, 0, "live order: every id above what is stored");
  await sink.store("ticker", rowText([...lines.slice(150, 160), ...lines.slice(200)]), "c", abort);
  assert.ok(seen.lookups > 0, "a block reaching below the highest stored ids is looked up");
  const ticks = await one<{ c: string; u: string }>(engine.client, "SELECT count() AS c, uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker");
  assert.deepEqual([Number(ticks.c), Number(ticks.u)], [300, 300]);
});
