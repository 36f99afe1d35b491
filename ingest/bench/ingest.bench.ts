// The ingester's benchmark (issue 3): one run, one table.
//   node --import tsx ingest/bench/ingest.bench.ts [--quick]
// 0. the ingester alone: same path with a sink that acknowledges inserts without executing them
// 1. throughput: local ws server at maximum rate → rows committed into the embedded engine
// 2. latency p50/p99, receive → committed, at a fixed moderate rate
// 3. RSS during a 60 s ClickHouse outage at 20k msg/s (inserts fail), then the drain
// 4. baseline: one insert per message (the walk-through's design)
// 5. ceiling: JSON.parse alone, and JSON.parse + validation/mapping (decode), on one core
// Each phase runs in its own process, so RSS numbers do not carry over between phases. RSS is
// sampled every 100 ms. The embedded engine runs inside the ingester's process here, so its
// memory is part of that RSS (with a ClickHouse server, as in the container, it is not): each
// phase also reports the RSS with the engine open and idle, and the ingester's JS memory.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { cpus } from "node:os";
import { join } from "node:path";
import { openMigratedEngine, type TestEngine } from "../../sql/testing/engine";
import { parseConfig } from "../src/config/load";
import { startIngester } from "../src/main";
import { decode, tickerRowOf } from "../src/pipeline/decode";
import type { SinkClient } from "../src/sinks/clickhouse";
import { TickerGenerator } from "../src/sources/synthetic";
import { tempDir } from "../test/helpers";

const QUICK = process.argv.includes("--quick");
/** Heap cap for the phase processes, as the container sets it (Dockerfile: NODE_OPTIONS). */
const NODE_FLAGS = ["--max-old-space-size=" + (process.env.BENCH_MAX_OLD_SPACE_MB ?? "160")];
const THROUGHPUT_MESSAGES = QUICK ? 100_000 : 500_000;
const LATENCY_RATE = 2_000;
const LATENCY_SECONDS = QUICK ? 8 : 20;
const OUTAGE_RATE = 20_000;
const OUTAGE_SECONDS = QUICK ? 10 : 60;
const BASELINE_SECONDS = QUICK ? 3 : 10;

interface Row {
  measure: string;
  result: string;
  target?: string;
  note?: string;
}
const results: Row[] = [];
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

// Memory sampler: peak RSS and peak JS memory (heap + external + array buffers) of the phase.
let phasePeak = 0;
let jsPeak = 0;
let engineIdleRss = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  phasePeak = Math.max(phasePeak, m.rss);
  jsPeak = Math.max(jsPeak, m.heapUsed + m.external + m.arrayBuffers);
}, 100);
sampler.unref();

/** Opens the engine and notes the RSS with it open and idle, before any ingesting. */
async function engineOpen(): Promise<TestEngine> {
  const engine = await openMigratedEngine();
  await new Promise((r) => setTimeout(r, 300));
  engineIdleRss = process.memoryUsage.rss();
  phasePeak = 0;
  jsPeak = 0;
  return engine;
}
const memoryNote = () => `peak RSS ${mb(phasePeak)} with the engine in-process (engine open and idle: ${mb(engineIdleRss)}); ingester JS memory peak ${mb(jsPeak)}`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function exchange(args: string[]): Promise<{ port: number; child: ChildProcess; sent: Promise<number> }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "exchange-server.ts"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let resolveSent!: (n: number) => void;
  const sent = new Promise<number>((r) => (resolveSent = r));
  return new Promise((resolve) => {
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        const msg = JSON.parse(line) as { port?: number; sent?: number };
        if (msg.port) resolve({ port: msg.port, child, sent });
        if (msg.sent !== undefined) resolveSent(msg.sent);
      }
    });
  });
}

function config(port: number, extra: Record<string, unknown> = {}) {
  return parseConfig({
    source: { type: "coinbase", wss_url: `ws://127.0.0.1:${port}`, subscription: { product_ids: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"], channels: ["ticker"] }, watchdog_seconds: 30 },
    sink: { type: "embedded", path: "(in process)", retry: { initial_ms: 200, max_ms: 2_000 } },
    spool: { dir: tempDir("bench-spool") },
    metrics: { enabled: false },
    log_level: "error",
    ...extra,
  });
}

async function storedCount(engine: TestEngine): Promise<number> {
  const r = await engine.client.query({ query: "SELECT count() AS c FROM coinbase_demo.coinbase_ticker", format: "JSONEachRow" });
  return Number(((await r.json()) as Array<{ c: string }>)[0]!.c);
}

async function uniqueCount(engine: TestEngine): Promise<number> {
  const r = await engine.client.query({ query: "SELECT uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker", format: "JSONEachRow" });
  return Number(((await r.json()) as Array<{ u: string }>)[0]!.u);
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function throughput(): Promise<void> {
  const engine = await engineOpen();
  const server = await exchange(["--count", String(THROUGHPUT_MESSAGES)]);
  let stored = 0;
  let firstCommitAt = 0;
  let lastCommitAt = 0;
  const ingester = await startIngester(config(server.port, { batch: { max_rows: 50_000, max_interval_ms: 1_000 } }), {
    clickhouse: { client: engine.client, kind: "embedded", close: async () => undefined },
    defaultMetrics: false,
    onCommit: (_block, at) => {
      if (!firstCommitAt) firstCommitAt = at;
      lastCommitAt = at;
      stored = ingester.metrics.totals.stored;
    },
  });
  const started = Date.now();
  let receivedAllAt = 0;
  while (ingester.metrics.totals.stored < THROUGHPUT_MESSAGES) {
    if (!receivedAllAt && ingester.metrics.totals.received >= THROUGHPUT_MESSAGES) receivedAllAt = Date.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!receivedAllAt) receivedAllAt = Date.now();
  const seconds = (lastCommitAt - started) / 1000;
  const receiveRate = THROUGHPUT_MESSAGES / ((receivedAllAt - started) / 1000);
  await ingester.stop("bench");
  const count = await storedCount(engine);
  server.child.kill();
  await engine.close();
  const rate = THROUGHPUT_MESSAGES / seconds;
  log(`throughput: ${count} rows in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} msg/s (stored ${stored})`);
  results.push({
    measure: `End-to-end throughput (local ws server at max rate → rows committed, ${THROUGHPUT_MESSAGES.toLocaleString("en")} msgs, batches ≤ 50k rows)`,
    result: `${Math.round(rate).toLocaleString("en")} msg/s (${count.toLocaleString("en")} rows in ${seconds.toFixed(1)} s)`,
    target: "≥ 100,000 msg/s",
    note: memoryNote(),
  });
  results.push({
    measure: "… of which: received, decoded, deduplicated and written to the spool",
    result: `${Math.round(receiveRate).toLocaleString("en")} msg/s`,
    note: "the committer trails behind, limited by the engine's insert speed (next row)",
  });
}

/**
 * The ingester's own sustained rate with the sink out of the picture: the same source, decode,
 * dedup and spool as `throughput`, but every INSERT is acknowledged without being executed (the
 * engine is open only for the start-up schema check and sequence seeding), so the committer never
 * holds the pipeline back. Nothing reaches ClickHouse in this phase.
 */
async function ingesterOnly(): Promise<void> {
  const engine = await engineOpen();
  const ackOnly = (client: SinkClient): SinkClient => ({
    query: client.query.bind(client),
    exec: async (params) => {
      if (!/^INSERT/i.test(params.query)) return client.exec(params);
      if ("values" in params) (params.values as Readable).destroy();
      return { stream: Readable.from([]), query_id: "ack-only", response_headers: {} } as unknown as Awaited<ReturnType<SinkClient["exec"]>>;
    },
  });
  const server = await exchange(["--count", String(THROUGHPUT_MESSAGES)]);
  const ingester = await startIngester(config(server.port, { batch: { max_rows: 50_000, max_interval_ms: 1_000 } }), {
    clickhouse: { client: engine.client, kind: "embedded", close: async () => undefined },
    wrapClient: ackOnly,
    defaultMetrics: false,
  });
  const started = Date.now();
  while (ingester.metrics.totals.stored < THROUGHPUT_MESSAGES) await new Promise((r) => setTimeout(r, 5));
  const seconds = (Date.now() - started) / 1000;
  const { received, duplicates } = ingester.metrics.totals;
  await ingester.stop("bench");
  server.child.kill();
  await engine.close();
  const rate = THROUGHPUT_MESSAGES / seconds;
  log(`ingester only: ${THROUGHPUT_MESSAGES} in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} msg/s (received ${received}, duplicates ${duplicates})`);
  results.push({
    measure: `The ingester alone, sink acknowledging without inserting (NOT stored in ClickHouse): local ws server at max rate → received, decoded, deduplicated, spooled, blocks sealed and acknowledged, ${THROUGHPUT_MESSAGES.toLocaleString("en")} msgs`,
    result: `${Math.round(rate).toLocaleString("en")} msg/s (${THROUGHPUT_MESSAGES.toLocaleString("en")} ticks in ${seconds.toFixed(1)} s)`,
    target: "≥ 100,000 msg/s",
    note: `load generator in its own process on the same 2 cores; ${memoryNote()}`,
  });
}

async function engineInsertAlone(): Promise<void> {
  const engine = await engineOpen();
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"], 9);
  let rows = 0;
  let ms = 0;
  for (let b = 0; b < 4; b++) {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const d = decode(gen.ticker());
      if (d.kind === "ticker") lines.push(d.line);
    }
    const started = performance.now();
    const result = await engine.client.exec({
      query: "INSERT INTO coinbase_demo.coinbase_ticker FORMAT JSONEachRow",
      values: Readable.from([lines.join("\n") + "\n"], { objectMode: false }),
      clickhouse_settings: { async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1, insert_deduplication_token: `bench-${b}` },
    });
    result.stream.destroy();
    ms += performance.now() - started;
    rows += lines.length;
  }
  await engine.close();
  results.push({
    measure: "Ceiling: the embedded engine alone, 50k-row JSONEachRow inserts (3 materialized views behind the table)",
    result: `${Math.round((rows / ms) * 1000).toLocaleString("en")} rows/s`,
  });
}

async function latency(): Promise<void> {
  const engine = await engineOpen();
  const server = await exchange(["--rate", String(LATENCY_RATE), "--seconds", String(LATENCY_SECONDS)]);
  const samples: number[] = [];
  const commitTimes: number[] = [];
  const ingester = await startIngester(config(server.port), {
    clickhouse: { client: engine.client, kind: "embedded", close: async () => undefined },
    defaultMetrics: false,
    onCommit: (block, at) => {
      if (block.receivedAt) for (const t of block.receivedAt) samples.push(at - t);
      if (block.sealedAt) commitTimes.push(at - block.sealedAt);
    },
  });
  const sent = await server.sent;
  while (ingester.metrics.totals.stored < sent) await new Promise((r) => setTimeout(r, 50));
  await ingester.stop("bench");
  server.child.kill();
  await engine.close();
  const sorted = Float64Array.from(samples).sort();
  const p50 = percentile(sorted, 0.5);
  const p99 = percentile(sorted, 0.99);
  const commits = Float64Array.from(commitTimes).sort();
  log(`latency: ${samples.length} samples p50 ${p50} ms p99 ${p99} ms max ${sorted[sorted.length - 1]}`);
  results.push({
    measure: `Latency receive → committed at ${LATENCY_RATE.toLocaleString("en")} msg/s for ${LATENCY_SECONDS} s (flush interval 1,000 ms)`,
    result: `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (max ${sorted[sorted.length - 1]!.toFixed(0)} ms, ${samples.length.toLocaleString("en")} ticks)`,
    target: "p99 ≤ 1,250 ms",
    note: memoryNote(),
  });
  results.push({
    measure: "… of which: block sealed → committed (the engine's insert, per 1 s block)",
    result: `p50 ${percentile(commits, 0.5).toFixed(0)} ms, p99 ${percentile(commits, 0.99).toFixed(0)} ms, max ${commits[commits.length - 1]!.toFixed(0)} ms over ${commits.length} blocks`,
  });
}

async function outage(): Promise<void> {
  const engine = await engineOpen();
  let down = true;
  const wrap = (client: SinkClient): SinkClient => ({
    query: client.query.bind(client),
    exec: async (params) => {
      if (down && /^INSERT/i.test(params.query)) throw Object.assign(new Error("connect ECONNREFUSED (benchmark outage)"), { code: "ECONNREFUSED" });
      return client.exec(params);
    },
  });
  const server = await exchange(["--rate", String(OUTAGE_RATE), "--seconds", String(OUTAGE_SECONDS)]);
  const ingester = await startIngester(config(server.port, { batch: { max_rows: 20_000, max_interval_ms: 1_000 } }), {
    clickhouse: { client: engine.client, kind: "embedded", close: async () => undefined },
    wrapClient: wrap,
    defaultMetrics: false,
  });
  const sent = await server.sent;
  const outagePeak = phasePeak;
  const outageJsPeak = jsPeak;
  // What the ingester really holds at the end of the outage, once garbage is collected.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const retainedJs = process.memoryUsage().heapUsed;
  const spoolBytes = Number((await ingester.metrics.registry.getSingleMetric("ingest_spool_bytes")!.get()).values[0]?.value ?? 0);
  down = false;
  phasePeak = 0;
  const drainStart = Date.now();
  while (ingester.metrics.totals.stored < sent) await new Promise((r) => setTimeout(r, 100));
  const drainSeconds = (Date.now() - drainStart) / 1000;
  await ingester.stop("bench");
  const count = await storedCount(engine);
  const unique = await uniqueCount(engine);
  server.child.kill();
  await engine.close();
  log(`outage: sent ${sent}, stored ${count}, outage peak ${mb(outagePeak)}, drain ${drainSeconds}s peak ${mb(phasePeak)}`);
  results.push({
    measure: `RSS during a ${OUTAGE_SECONDS} s ClickHouse outage at ${OUTAGE_RATE.toLocaleString("en")} msg/s (every insert fails)`,
    result: `peak RSS ${mb(outagePeak)} with the engine in-process (engine open and idle: ${mb(engineIdleRss)}), so the ingester's share ≈ ${mb(outagePeak - engineIdleRss)}; ingester JS memory peak ${mb(outageJsPeak)}${gc ? `, live JS heap after a forced GC ${mb(retainedJs)}` : ""}; spool ${mb(spoolBytes)} on disk at the end`,
    target: "≤ 200 MB",
  });
  results.push({
    measure: "… then ClickHouse back: drain of the spool",
    result: `${count.toLocaleString("en")} of ${sent.toLocaleString("en")} ticks stored (${count === sent && unique === sent ? "count and uniqExact(product_id, sequence) both equal the number sent: none lost, none twice" : `MISMATCH: ${unique} unique`}) in ${drainSeconds.toFixed(1)} s; peak RSS while draining ${mb(phasePeak)}`,
    target: "no loss, ≤ 200 MB",
  });
}

async function baseline(): Promise<void> {
  const engine = await engineOpen();
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD"], 3);
  let n = 0;
  const until = Date.now() + BASELINE_SECONDS * 1000;
  const started = Date.now();
  while (Date.now() < until) {
    const d = decode(gen.ticker());
    if (d.kind !== "ticker") throw new Error("generator broke");
    await engine.client.insert({ table: "coinbase_demo.coinbase_ticker", values: [tickerRowOf(d.line)], format: "JSONEachRow" });
    n++;
  }
  const rate = n / ((Date.now() - started) / 1000);
  await engine.close();
  log(`baseline: ${rate.toFixed(0)} msg/s`);
  results.push({ measure: `Baseline: one insert per message (the walk-through's design), same engine, ${BASELINE_SECONDS} s`, result: `${Math.round(rate).toLocaleString("en")} msg/s` });
}

function parseCeiling(): void {
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD"], 5);
  const messages = Array.from({ length: 200_000 }, () => gen.ticker());
  const bytes = messages.reduce((s, m) => s + m.length, 0) / messages.length;
  for (const m of messages.slice(0, 20_000)) decode(m); // warm-up
  let t = performance.now();
  for (const m of messages) JSON.parse(m);
  const parseRate = messages.length / ((performance.now() - t) / 1000);
  t = performance.now();
  for (const m of messages) {
    decode(m); // a ticker's decode includes its row's JSONEachRow line
  }
  const decodeRate = messages.length / ((performance.now() - t) / 1000);
  log(`parse: ${parseRate.toFixed(0)} / decode+encode ${decodeRate.toFixed(0)} msg/s`);
  results.push({ measure: `Ceiling: JSON.parse alone (${bytes.toFixed(0)}-byte ticker, one core)`, result: `${Math.round(parseRate).toLocaleString("en")} msg/s` });
  results.push({ measure: "Ceiling: JSON.parse + validation + row encoding (the ingester's per-message work)", result: `${Math.round(decodeRate).toLocaleString("en")} msg/s` });
}

const PHASES: Record<string, () => Promise<void> | void> = {
  parse: parseCeiling,
  engine: engineInsertAlone,
  ingesterOnly,
  throughput,
  latency,
  outage,
  baseline,
};

async function runPhase(name: string): Promise<Row[]> {
  const args = ["--expose-gc", ...NODE_FLAGS, "--import", "tsx", __filename, "--phase", name, ...(QUICK ? ["--quick"] : [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? 1)));
  const line = out.split("\n").find((l) => l.startsWith("{\"phase\""));
  if (code !== 0 || !line) throw new Error(`bench phase ${name} failed (exit ${code})`);
  return (JSON.parse(line) as { rows: Row[] }).rows;
}

async function main(): Promise<void> {
  const phaseArg = process.argv.indexOf("--phase");
  if (phaseArg > 0) {
    const name = process.argv[phaseArg + 1]!;
    await PHASES[name]!();
    console.log(JSON.stringify({ phase: name, rows: results }));
    process.exit(0);
  }
  const started = Date.now();
  const rows: Row[] = [];
  for (const name of Object.keys(PHASES)) {
    log(`phase ${name}`);
    rows.push(...(await runPhase(name)));
  }
  const header = `Ingest benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}${QUICK ? " (--quick)" : ""}, ${((Date.now() - started) / 1000).toFixed(0)} s`;
  const table = [
    "| Measure | Result | Target |",
    "|---|---|---|",
    ...rows.map((r) => `| ${r.measure} | ${r.result}${r.note ? ` (${r.note})` : ""} | ${r.target ?? ""} |`),
  ].join("\n");
  console.log(`${header}\n\n${table}`);
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify({ header, rows }, null, 2));
  process.exit(0);
}

void main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
