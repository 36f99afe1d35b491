// The ingester's benchmark (issue 3): one run, one table.
//   node --import tsx ingest/bench/ingest.bench.ts [--quick] [--phase <name>]
// Phases (each in its own process, so memory does not carry over; RSS sampled every 100 ms):
//   parse         ceilings on one core: JSON.parse alone, the reference decoder, decode (fast path)
//   engine        the engine alone: 50k-row TabSeparated inserts over HTTP
//   ingesterOnly  the ingester with a sink that acknowledges inserts without sending them
//   throughput    local ws server at maximum rate → rows committed in ClickHouse
//   latency       p50/p99 receive → committed, at a fixed moderate rate
//   outage        RSS through a 60 s ClickHouse outage at 20k msg/s, then the drain
//   embedded      throughput into the embedded engine inside the ingester's process (sink.type: embedded)
//   baseline      one insert per message (the walk-through's design)
// "ClickHouse" is the real engine (chdb) in a process of its own behind ClickHouse's HTTP
// interface (sql/testing/serve-clickhouse-http.ts), and the ingester writes to it with its
// production sink, @clickhouse/client over HTTP — as in the container, where the engine is a
// server and not part of the ingester's memory or event loop. The load generator
// (exchange-server.ts) is a third process; all three share the machine's cores.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { cpus } from "node:os";
import { join } from "node:path";
import { openMigratedEngine, type TestEngine } from "../../sql/testing/engine";
import { parseConfig } from "../src/config/load";
import { startIngester, type IngesterDeps } from "../src/main";
import { decode, decodeParsed, TICKER_COLUMNS, tickerRowOf } from "../src/pipeline/decode";
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

// Memory sampler: peak RSS and peak JS memory (heap + external + array buffers) of this process.
let phasePeak = 0;
let jsPeak = 0;
let engineIdleRss = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  phasePeak = Math.max(phasePeak, m.rss);
  jsPeak = Math.max(jsPeak, m.heapUsed + m.external + m.arrayBuffers);
}, 100);
sampler.unref();
function resetPeaks(): void {
  phasePeak = 0;
  jsPeak = 0;
}
const memoryNote = () => `ingester peak RSS ${mb(phasePeak)}, JS memory peak ${mb(jsPeak)}`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Opens the embedded engine in this process and notes the RSS with it open and idle. */
async function engineOpen(): Promise<TestEngine> {
  const engine = await openMigratedEngine();
  await new Promise((r) => setTimeout(r, 300));
  engineIdleRss = process.memoryUsage.rss();
  resetPeaks();
  return engine;
}
const embeddedMemoryNote = () => `peak RSS ${mb(phasePeak)} with the engine in-process (engine open and idle: ${mb(engineIdleRss)}); ingester JS memory peak ${mb(jsPeak)}`;

interface EngineServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** For the benchmark's own queries (counts); the ingester opens its own client. */
  readonly client: ClickHouseClient;
  close(): Promise<void>;
}

/** A fresh, migrated engine in its own process, behind ClickHouse's HTTP interface. */
async function engineServer(): Promise<EngineServer> {
  const user = "bench";
  const password = randomBytes(12).toString("hex");
  const script = join(__dirname, "..", "..", "sql", "testing", "serve-clickhouse-http.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, "--user", user, "--password", password], { stdio: ["ignore", "pipe", "inherit"] });
  const { host, port } = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`serve-clickhouse-http exited with ${code}`)));
    child.stdout!.once("data", (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as { host: string; port: number }));
  });
  child.removeAllListeners("exit");
  const client = createClient({ url: `http://${host}:${port}`, username: user, password });
  process.env.BENCH_CLICKHOUSE_PASSWORD = password;
  resetPeaks();
  return {
    host,
    port,
    user,
    password,
    client,
    close: async () => {
      await client.close();
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

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

function config(port: number, sink: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parseConfig({
    source: { type: "coinbase", wss_url: `ws://127.0.0.1:${port}`, subscription: { product_ids: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"], channels: ["ticker"] }, watchdog_seconds: 30 },
    sink: { retry: { initial_ms: 200, max_ms: 2_000 }, ...sink },
    spool: { dir: tempDir("bench-spool") },
    metrics: { enabled: false },
    log_level: "error",
    ...extra,
  });
}

/** The production sink: ClickHouse over HTTP, password from the environment. */
const httpSink = (server: EngineServer) => ({ type: "clickhouse_connect", host: server.host, port: server.port, user: server.user, password_env: "BENCH_CLICKHOUSE_PASSWORD" });
const embeddedSink = { type: "embedded", path: "(in process)" };

async function storedCount(client: ClickHouseClient): Promise<number> {
  const r = await client.query({ query: "SELECT count() AS c FROM coinbase_demo.coinbase_ticker", format: "JSONEachRow" });
  return Number(((await r.json()) as Array<{ c: string }>)[0]!.c);
}

async function uniqueCount(client: ClickHouseClient): Promise<number> {
  const r = await client.query({ query: "SELECT uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker", format: "JSONEachRow" });
  return Number(((await r.json()) as Array<{ u: string }>)[0]!.u);
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * Messages / (first message → last commit), with the sink given. The ws server sends as fast
 * as the socket takes the frames; batches of up to 50,000 rows.
 */
async function runThroughput(sink: Record<string, unknown>, deps: Pick<IngesterDeps, "clickhouse">, count: () => Promise<number>) {
  const server = await exchange(["--count", String(THROUGHPUT_MESSAGES)]);
  let lastCommitAt = 0;
  const ingester = await startIngester(config(server.port, sink, { batch: { max_rows: 50_000, max_interval_ms: 1_000, max_buffered_rows: 100_000 } }), {
    ...deps,
    defaultMetrics: false,
    onCommit: (_block, at) => {
      lastCommitAt = at;
    },
  });
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  let receivedAllAt = 0;
  while (ingester.metrics.totals.stored < THROUGHPUT_MESSAGES) {
    if (!receivedAllAt && ingester.metrics.totals.received >= THROUGHPUT_MESSAGES) receivedAllAt = Date.now();
    await new Promise((r) => setTimeout(r, 5));
  }
  if (!receivedAllAt) receivedAllAt = Date.now();
  const seconds = (lastCommitAt - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMicrosPerMessage = (cpu.user + cpu.system) / THROUGHPUT_MESSAGES;
  await ingester.stop("bench");
  server.child.kill();
  const stored = await count();
  return { rate: THROUGHPUT_MESSAGES / seconds, seconds, stored, receiveRate: THROUGHPUT_MESSAGES / ((receivedAllAt - started) / 1000), cpuMicrosPerMessage };
}

async function throughput(): Promise<void> {
  const engine = await engineServer();
  const r = await runThroughput(httpSink(engine), {}, () => storedCount(engine.client));
  const unique = await uniqueCount(engine.client);
  await engine.close();
  log(`throughput: ${r.stored} rows in ${r.seconds.toFixed(1)} s = ${r.rate.toFixed(0)} msg/s, ingester CPU ${r.cpuMicrosPerMessage.toFixed(1)} µs/msg`);
  results.push({
    measure: `End-to-end throughput: local ws server at max rate → rows committed in ClickHouse (${THROUGHPUT_MESSAGES.toLocaleString("en")} msgs, batches ≤ 50k rows)`,
    result: `${Math.round(r.rate).toLocaleString("en")} msg/s (${r.stored.toLocaleString("en")} rows in ${r.seconds.toFixed(1)} s; ${r.stored === THROUGHPUT_MESSAGES && unique === r.stored ? "each stored once" : `MISMATCH: ${unique} unique`})`,
    target: "≥ 100,000 msg/s",
    note: `${memoryNote()}; ingester CPU ${r.cpuMicrosPerMessage.toFixed(1)} µs per message`,
  });
  results.push({
    measure: "… of which: received, decoded, deduplicated and written to the spool",
    result: `${Math.round(r.receiveRate).toLocaleString("en")} msg/s`,
  });
}

/** The same, into the embedded engine running inside the ingester's process (sink.type: embedded). */
async function embedded(): Promise<void> {
  const engine = await engineOpen();
  const r = await runThroughput(embeddedSink, { clickhouse: { client: engine.client, kind: "embedded", close: async () => undefined } }, async () => {
    const q = await engine.client.query({ query: "SELECT count() AS c FROM coinbase_demo.coinbase_ticker", format: "JSONEachRow" });
    return Number(((await q.json()) as Array<{ c: string }>)[0]!.c);
  });
  await engine.close();
  log(`embedded: ${r.stored} rows in ${r.seconds.toFixed(1)} s = ${r.rate.toFixed(0)} msg/s`);
  results.push({
    measure: `End-to-end throughput into the embedded engine inside the ingester's process (sink.type: embedded; ${THROUGHPUT_MESSAGES.toLocaleString("en")} msgs)`,
    result: `${Math.round(r.rate).toLocaleString("en")} msg/s (${r.stored.toLocaleString("en")} rows in ${r.seconds.toFixed(1)} s)`,
    note: `${embeddedMemoryNote()}; chdb's @clickhouse/client connection sends each insert as one SQL string, which the engine parses on one thread`,
  });
}

/**
 * The ingester's own sustained rate with the sink out of the picture: the same source, decode,
 * dedup and spool, but every INSERT is acknowledged without being sent (the engine answers the
 * start-up schema check and sequence seeding only), so the committer never holds anything back.
 */
async function ingesterOnly(): Promise<void> {
  const engine = await engineServer();
  const ackOnly = (client: SinkClient): SinkClient => ({
    query: client.query.bind(client),
    exec: async (params) => {
      if (!/^INSERT/i.test(params.query)) return client.exec(params);
      if ("values" in params) (params.values as Readable).destroy();
      return { stream: Readable.from([]), query_id: "ack-only", response_headers: {} } as unknown as Awaited<ReturnType<SinkClient["exec"]>>;
    },
  });
  const server = await exchange(["--count", String(THROUGHPUT_MESSAGES)]);
  const ingester = await startIngester(config(server.port, httpSink(engine), { batch: { max_rows: 50_000, max_interval_ms: 1_000 } }), { wrapClient: ackOnly, defaultMetrics: false });
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
    measure: `The ingester alone, inserts acknowledged without being sent (NOT stored): local ws server at max rate → received, decoded, deduplicated, spooled, blocks sealed (${THROUGHPUT_MESSAGES.toLocaleString("en")} msgs)`,
    result: `${Math.round(rate).toLocaleString("en")} msg/s (${THROUGHPUT_MESSAGES.toLocaleString("en")} ticks in ${seconds.toFixed(1)} s)`,
    note: memoryNote(),
  });
}

async function engineInsertAlone(): Promise<void> {
  const engine = await engineServer();
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"], 9);
  let rows = 0;
  let ms = 0;
  for (let b = 0; b < 6; b++) {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      const d = decode(gen.ticker());
      if (d.kind === "ticker") lines.push(d.line);
    }
    const started = performance.now();
    const result = await engine.client.exec({
      query: `INSERT INTO coinbase_demo.coinbase_ticker (${TICKER_COLUMNS.join(", ")}) FORMAT TabSeparated`,
      values: Readable.from([lines.join("\n") + "\n"], { objectMode: false }),
      clickhouse_settings: { async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1, insert_deduplication_token: `bench-${b}` },
    });
    for await (const _ of result.stream) void _;
    ms += performance.now() - started;
    rows += lines.length;
  }
  await engine.close();
  results.push({
    measure: "Ceiling: ClickHouse alone, 50k-row TabSeparated inserts over HTTP into the raw table (3 materialized views behind it)",
    result: `${Math.round((rows / ms) * 1000).toLocaleString("en")} rows/s`,
  });
}

async function latency(): Promise<void> {
  const engine = await engineServer();
  const server = await exchange(["--rate", String(LATENCY_RATE), "--seconds", String(LATENCY_SECONDS)]);
  const samples: number[] = [];
  const commitTimes: number[] = [];
  const ingester = await startIngester(config(server.port, httpSink(engine)), {
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
    measure: `Latency receive → committed at ${LATENCY_RATE.toLocaleString("en")} msg/s for ${LATENCY_SECONDS} s (default batching: 10,000 rows or 1,000 ms)`,
    result: `p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (max ${sorted[sorted.length - 1]!.toFixed(0)} ms, ${samples.length.toLocaleString("en")} ticks)`,
    target: "p99 ≤ 1,250 ms (flush interval + 250 ms)",
    note: memoryNote(),
  });
  results.push({
    measure: "… of which: block sealed → committed (the insert, per 1 s block)",
    result: `p50 ${percentile(commits, 0.5).toFixed(0)} ms, p99 ${percentile(commits, 0.99).toFixed(0)} ms, max ${commits[commits.length - 1]!.toFixed(0)} ms over ${commits.length} blocks`,
  });
}

async function outage(): Promise<void> {
  const engine = await engineServer();
  let down = true;
  const wrap = (client: SinkClient): SinkClient => ({
    query: client.query.bind(client),
    exec: async (params) => {
      if (down && /^INSERT/i.test(params.query)) {
        if ("values" in params) (params.values as Readable).destroy();
        throw Object.assign(new Error("connect ECONNREFUSED (benchmark outage)"), { code: "ECONNREFUSED" });
      }
      return client.exec(params);
    },
  });
  const server = await exchange(["--rate", String(OUTAGE_RATE), "--seconds", String(OUTAGE_SECONDS)]);
  const ingester = await startIngester(config(server.port, httpSink(engine), { batch: { max_rows: 20_000, max_interval_ms: 1_000 } }), { wrapClient: wrap, defaultMetrics: false });
  const sent = await server.sent;
  const outagePeak = phasePeak;
  const outageJsPeak = jsPeak;
  // What the ingester really holds at the end of the outage, once garbage is collected.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const retainedJs = process.memoryUsage().heapUsed;
  const spoolBytes = Number((await ingester.metrics.registry.getSingleMetric("ingest_spool_bytes")!.get()).values[0]?.value ?? 0);
  down = false;
  resetPeaks();
  const drainStart = Date.now();
  while (ingester.metrics.totals.stored < sent) await new Promise((r) => setTimeout(r, 100));
  const drainSeconds = (Date.now() - drainStart) / 1000;
  await ingester.stop("bench");
  const count = await storedCount(engine.client);
  const unique = await uniqueCount(engine.client);
  server.child.kill();
  await engine.close();
  log(`outage: sent ${sent}, stored ${count}, outage peak ${mb(outagePeak)}, drain ${drainSeconds}s peak ${mb(phasePeak)}`);
  results.push({
    measure: `RSS during a ${OUTAGE_SECONDS} s ClickHouse outage at ${OUTAGE_RATE.toLocaleString("en")} msg/s (every insert fails)`,
    result: `ingester peak RSS ${mb(outagePeak)}; JS memory peak ${mb(outageJsPeak)}${gc ? `, live JS heap after a forced GC ${mb(retainedJs)}` : ""}; spool ${mb(spoolBytes)} on disk at the end`,
    target: "≤ 200 MB",
  });
  results.push({
    measure: "… then ClickHouse back: drain of the spool",
    result: `${count.toLocaleString("en")} of ${sent.toLocaleString("en")} ticks stored (${count === sent && unique === sent ? "count and uniqExact(product_id, sequence) both equal the number sent: none lost, none twice" : `MISMATCH: ${unique} unique`}) in ${drainSeconds.toFixed(1)} s; ingester peak RSS while draining ${mb(phasePeak)}`,
    target: "no loss, ≤ 200 MB",
  });
}

async function baseline(): Promise<void> {
  const engine = await engineServer();
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
  results.push({ measure: `Baseline: one insert per message (the walk-through's design), same ClickHouse over HTTP, ${BASELINE_SECONDS} s`, result: `${Math.round(rate).toLocaleString("en")} msg/s` });
}

function parseCeiling(): void {
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD"], 5);
  // As received from a socket: flat strings (the generator's are built with `+`).
  const messages = Array.from({ length: 200_000 }, () => Buffer.from(gen.ticker()).toString());
  const bytes = messages.reduce((s, m) => s + m.length, 0) / messages.length;
  const rate = (fn: (m: string) => unknown) => {
    for (const m of messages.slice(0, 20_000)) fn(m); // warm-up
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      for (const m of messages) fn(m);
      best = Math.min(best, performance.now() - t);
    }
    return messages.length / (best / 1000);
  };
  const parseRate = rate((m) => JSON.parse(m));
  const referenceRate = rate(decodeParsed);
  const decodeRate = rate(decode);
  log(`parse: ${parseRate.toFixed(0)} / reference ${referenceRate.toFixed(0)} / decode ${decodeRate.toFixed(0)} msg/s`);
  results.push({ measure: `Ceiling: JSON.parse alone (${bytes.toFixed(0)}-byte ticker, one core, best of 3 × 200k)`, result: `${Math.round(parseRate).toLocaleString("en")} msg/s` });
  results.push({ measure: "Ceiling: the reference decoder (JSON.parse + validation + TabSeparated line)", result: `${Math.round(referenceRate).toLocaleString("en")} msg/s` });
  results.push({ measure: "Ceiling: decode as the ingester runs it (Coinbase-shaped tickers take the one-regex fast path)", result: `${Math.round(decodeRate).toLocaleString("en")} msg/s` });
}

const PHASES: Record<string, () => Promise<void> | void> = {
  parse: parseCeiling,
  engine: engineInsertAlone,
  ingesterOnly,
  throughput,
  latency,
  outage,
  embedded,
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
