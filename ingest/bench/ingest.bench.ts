// The ingester's benchmark (issue 3): one run, one table.
//   npm run bench -- ingest [--quick] [--phase <name>]
//
// What runs, each in its own process, sharing the machine's cores:
// - the ingester as the container runs it: the esbuild bundle of ingest/ (bundle.mjs, as in the
//   image), started with its CLI and a YAML config, with the image's NODE_OPTIONS heap cap;
// - ClickHouse: the real engine (chdb) behind ClickHouse's HTTP interface
//   (sql/testing/serve-clickhouse-http.ts); the ingester writes with its production sink,
//   @clickhouse/client over HTTP. Stopping that process is a real outage;
// - the load generator: a local websocket server (exchange-server.ts) sending Coinbase-shaped
//   tickers, at maximum rate or at a fixed rate.
// The ingester's memory and CPU are read from /proc: peak RSS is the kernel's own high-water mark
// (VmHWM, reset between stages), not a sample. Latency is what ClickHouse records per row:
// ingested_at (set by the server when the insert runs) − time (stamped by the load generator
// when it sends the message) — the same measure the Grafana dashboard shows.
//
// Phases: parse, engine, ingesterOnly, throughput, latency, outage, embedded, baseline.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { stringify } from "yaml";
import { TICKER_COLUMNS } from "../../sql/src/rows";
import { decode, decodeParsed, tickerRowOf } from "../src/pipeline/decode";
import { TickerGenerator } from "../src/sources/synthetic";
import { tempDir } from "../test/helpers";

const QUICK = process.argv.includes("--quick");
const REPO = join(__dirname, "..", "..");
const THROUGHPUT_MESSAGES = QUICK ? 200_000 : 2_000_000;
const THROUGHPUT_RUNS = QUICK ? 1 : 3;
const LATENCY_RATE = 2_000;
const LATENCY_SECONDS = QUICK ? 8 : 20;
const OUTAGE_RATE = 20_000;
const OUTAGE_SECONDS = QUICK ? 10 : 60;
const BASELINE_SECONDS = QUICK ? 3 : 10;
const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"];
/** The heap flags the image runs the ingester with (ingest/Dockerfile, ENV NODE_OPTIONS). */
const IMAGE_NODE_OPTIONS = /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(join(__dirname, "..", "Dockerfile"), "utf8"))?.[1] ?? "";
if (!IMAGE_NODE_OPTIONS) throw new Error('ingest/Dockerfile has no ENV NODE_OPTIONS="…": the benchmark runs the ingester with the image\'s flags');

interface Row {
  measure: string;
  result: string;
  target?: string;
}
const results: Row[] = [];
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const int = (n: number) => Math.round(n).toLocaleString("en");

// ---------------------------------------------------------------------------------------------
// Processes

/** A child's memory and CPU, from /proc. */
class ProcStats {
  constructor(private readonly pid: number) {}
  private status(field: string): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  }
  /** Peak RSS since start or since resetPeak(). */
  peakRss(): number {
    return this.status("VmHWM");
  }
  rss(): number {
    return this.status("VmRSS");
  }
  /** Starts a new peak (writes 5 to clear_refs, which resets VmHWM). */
  resetPeak(): void {
    writeFileSync(`/proc/${this.pid}/clear_refs`, "5");
  }
  /** User + system CPU seconds so far. */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  }
}

/** Spawns a node process whose stdout is JSON lines; resolves on the first line `ready` accepts. */
function spawnJsonLines(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ test: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let buffer = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const part of parts) {
      if (!part.startsWith("{")) continue;
      const line = JSON.parse(part) as Record<string, unknown>;
      lines.push(line);
      for (const w of waiters.filter((x) => x.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const waitFor = (test: (l: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> => {
    const seen = lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ test, resolve });
      void exited.then((code) => reject(new Error(`${what}: process exited (${code}) first. stderr: ${stderr}`)));
    });
  };
  const output = () => `${lines.slice(-5).map((l) => JSON.stringify(l)).join("\n")}\n${stderr}`;
  return { child, waitFor, exited, stderr: () => stderr, output };
}

interface Engine {
  readonly stats: ProcStats;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly client: ClickHouseClient;
  stop(): Promise<void>;
}

const ENGINE_USER = "bench";
const ENGINE_PASSWORD = randomBytes(12).toString("hex");

/** ClickHouse in its own process, behind the HTTP interface. */
async function startEngine(options: { dir?: string; port?: number; discardInserts?: boolean } = {}): Promise<Engine> {
  const args = ["--import", "tsx", join(REPO, "sql", "testing", "serve-clickhouse-http.ts"), "--user", ENGINE_USER, "--password", ENGINE_PASSWORD];
  if (options.dir) args.push("--dir", options.dir);
  if (options.port) args.push("--port", String(options.port));
  if (options.discardInserts) args.push("--discard-inserts");
  const p = spawnJsonLines(args);
  const ready = await p.waitFor((l) => typeof l.port === "number", "ClickHouse");
  const client = createClient({ url: `http://${String(ready.host)}:${String(ready.port)}`, username: ENGINE_USER, password: ENGINE_PASSWORD });
  return {
    stats: new ProcStats(p.child.pid!),
    host: String(ready.host),
    port: Number(ready.port),
    dir: String(ready.dir),
    client,
    stop: async () => {
      await client.close();
      p.child.kill("SIGTERM");
      await p.exited;
    },
  };
}

/** The load generator. */
async function startExchange(args: string[]) {
  const p = spawnJsonLines(["--import", "tsx", join(__dirname, "exchange-server.ts"), ...args]);
  const { port } = await p.waitFor((l) => typeof l.port === "number", "exchange server");
  return {
    stats: new ProcStats(p.child.pid!),
    port: Number(port),
    /** performance.now() when the subscribe arrived and the stream began. */
    streaming: p.waitFor((l) => l.streaming === true, "exchange server").then(() => performance.now()),
    sent: p.waitFor((l) => typeof l.sent === "number", "exchange server").then((l) => Number(l.sent)),
    stop: async () => {
      p.child.kill("SIGTERM");
      await p.exited;
    },
  };
}

let bundlePath: string | undefined;
/** The ingester as the image runs it: bundle.mjs's esbuild bundle of ingest/src/cli.ts. */
async function ingesterBundle(): Promise<string> {
  if (bundlePath) return bundlePath;
  const out = join(REPO, ".cache", "bench", "ingest.js"); // inside the repository: `require("chdb")` resolves for sink.type embedded
  mkdirSync(join(REPO, ".cache", "bench"), { recursive: true });
  const { bundle } = (await import(join(__dirname, "..", "bundle.mjs"))) as { bundle: (outfile: string) => Promise<unknown> };
  await bundle(out);
  return (bundlePath = out);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

interface IngesterProcess {
  readonly stats: ProcStats;
  /** A counter or gauge from /metrics (first series matching `series`). */
  metric(series: string): Promise<number>;
  stop(): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/**
 * Starts the ingester with `config` (YAML on disk, the password in the environment): the bundle
 * with the image's NODE_OPTIONS, or — `asNpmRunIngest`, for sink.type embedded, which the image
 * does not carry — from the sources as `npm run ingest` runs it.
 */
async function startIngesterProcess(config: Record<string, unknown>, options: { asNpmRunIngest?: boolean } = {}): Promise<IngesterProcess> {
  const dir = tempDir("bench-ingest");
  const metricsPort = await freePort();
  const file = join(dir, "config.yaml");
  writeFileSync(file, stringify({ ...config, spool: { dir: join(dir, "spool") }, metrics: { port: metricsPort, host: "127.0.0.1" }, log_level: "warn" }));
  const env = { ...process.env, NODE_OPTIONS: options.asNpmRunIngest ? "" : IMAGE_NODE_OPTIONS, BENCH_CLICKHOUSE_PASSWORD: ENGINE_PASSWORD };
  // BENCH_INGESTER_NODE_ARGS adds node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the ingester.
  const extra = (process.env.BENCH_INGESTER_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0);
  const entry = options.asNpmRunIngest ? ["--import", "tsx", join(__dirname, "..", "src", "cli.ts")] : [await ingesterBundle()];
  const p = spawnJsonLines([...extra, ...entry, "--config", file], env);
  const metricsText = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  // Starting includes opening the engine and migrating it for sink.type embedded (seconds).
  for (const deadline = Date.now() + 60_000; ; ) {
    try {
      await metricsText();
      break;
    } catch {
      if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`the ingester did not start:\n${p.output()}`);
      await sleep(20);
    }
  }
  return {
    stats: new ProcStats(p.child.pid!),
    metric: async (series) => {
      const text = await metricsText();
      const line = text.split("\n").find((l) => l.startsWith(series));
      return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
    },
    stop: async () => {
      p.child.kill("SIGTERM");
      return p.exited;
    },
    exited: p.exited,
  };
}

const httpSink = (engine: Engine) => ({ type: "clickhouse_connect", host: engine.host, port: engine.port, user: ENGINE_USER, password_env: "BENCH_CLICKHOUSE_PASSWORD" });
const coinbaseSource = (port: number) => ({ type: "coinbase", wss_url: `ws://127.0.0.1:${port}`, subscription: { product_ids: PRODUCTS, channels: ["ticker"] } });
const STORED = 'ingest_rows_stored_total{table="ticker"}';

async function one<T>(client: ClickHouseClient, query: string): Promise<T> {
  const r = await client.query({ query, format: "JSONEachRow" });
  return ((await r.json()) as T[])[0]!;
}
const storedCount = async (client: ClickHouseClient) => Number((await one<{ c: string }>(client, "SELECT count() AS c FROM coinbase_demo.coinbase_ticker")).c);
const uniqueCount = async (client: ClickHouseClient) => Number((await one<{ u: string }>(client, "SELECT uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker")).u);

/**
 * Polls `check` every 50 ms. Each poll is a query to ClickHouse or a /metrics scrape of the
 * ingester, so polling faster would load the processes being measured; 50 ms is 0.25 % of a
 * 20 s run.
 */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

/** Max-rate stream → committed; `done` says when every message is in. */
async function maxRate(sinkConfig: Record<string, unknown>, done: (ingester: IngesterProcess) => Promise<boolean>, engine?: Engine) {
  const exchange = await startExchange(["--count", String(THROUGHPUT_MESSAGES)]);
  const ingester = await startIngesterProcess(
    { source: coinbaseSource(exchange.port), sink: sinkConfig, batch: { max_rows: 50_000, max_interval_ms: 1_000, max_buffered_rows: 100_000 } },
    { asNpmRunIngest: sinkConfig.type === "embedded" },
  );
  const startRss = ingester.stats.rss();
  const started = await exchange.streaming;
  const cpuBefore = ingester.stats.cpuSeconds();
  const engineCpuBefore = engine?.stats.cpuSeconds() ?? 0;
  const exchangeCpuBefore = exchange.stats.cpuSeconds();
  let receivedAllAt = 0;
  await until(async () => {
    if (!receivedAllAt && (await ingester.metric('ingest_messages_received_total{kind="ticker"}')) >= THROUGHPUT_MESSAGES) receivedAllAt = performance.now();
    return done(ingester);
  }, "all rows committed");
  const seconds = (performance.now() - started) / 1000;
  const cpu = ingester.stats.cpuSeconds() - cpuBefore;
  const engineCores = engine ? (engine.stats.cpuSeconds() - engineCpuBefore) / seconds : undefined;
  const exchangeCores = (exchange.stats.cpuSeconds() - exchangeCpuBefore) / seconds;
  const peak = ingester.stats.peakRss();
  const code = await ingester.stop();
  await exchange.stop();
  if (code !== 0) throw new Error(`the ingester exited with ${code}`);
  return {
    rate: THROUGHPUT_MESSAGES / seconds,
    seconds,
    receiveRate: THROUGHPUT_MESSAGES / ((receivedAllAt - started) / 1000),
    cpuMicros: (cpu * 1e6) / THROUGHPUT_MESSAGES,
    cores: cpu / seconds,
    peak,
    startRss,
    split: `CPU in cores while it ran: ingester ${(cpu / seconds).toFixed(2)}${engineCores === undefined ? "" : `, ClickHouse ${engineCores.toFixed(2)}`}, load generator ${exchangeCores.toFixed(2)} (of ${cpus().length})`,
  };
}

const processNote = (r: { peak: number; startRss: number; cpuMicros: number; cores: number }) =>
  `ingester process: peak RSS ${mb(r.peak)} (${mb(r.startRss)} at start), CPU ${r.cpuMicros.toFixed(1)} µs per message (${r.cores.toFixed(2)} cores)`;

/**
 * Three runs, each into a fresh ClickHouse (the machine's speed varies by ±10 % from run to run):
 * the median rate is the result, every run is listed.
 */
async function throughput(): Promise<void> {
  const runs: Array<Awaited<ReturnType<typeof maxRate>> & { exact: boolean }> = [];
  for (let i = 0; i < THROUGHPUT_RUNS; i++) {
    const engine = await startEngine();
    const r = await maxRate(httpSink(engine), async () => (await storedCount(engine.client)) >= THROUGHPUT_MESSAGES, engine);
    const stored = await storedCount(engine.client);
    const unique = await uniqueCount(engine.client);
    await engine.stop();
    log(`throughput run ${i + 1}: ${int(r.rate)} msg/s; ${processNote(r)}; ${r.split}`);
    runs.push({ ...r, exact: stored === THROUGHPUT_MESSAGES && unique === THROUGHPUT_MESSAGES });
  }
  const byRate = [...runs].sort((x, y) => x.rate - y.rate);
  const median = byRate[Math.floor(byRate.length / 2)]!;
  results.push({
    measure: `End-to-end throughput: local ws server at max rate → rows committed in ClickHouse (${int(THROUGHPUT_MESSAGES)} msgs, batches ≤ 50k rows; median of ${runs.length} runs)`,
    result:
      `${int(median.rate)} msg/s (runs: ${runs.map((r) => int(r.rate)).join(", ")}; ` +
      `${runs.every((r) => r.exact) ? `every run: all ${int(THROUGHPUT_MESSAGES)} stored, each once` : "MISMATCH in a run: count or uniqExact differs"}); ` +
      `ingester peak RSS ${runs.map((r) => mb(r.peak)).join(", ")}; median run: ${processNote(median)}; ${median.split}`,
    target: "≥ 100,000 msg/s; RSS ≤ 200 MB",
  });
  results.push({ measure: "… of which: received, decoded, deduplicated and written to the spool (median run)", result: `${int(median.receiveRate)} msg/s` });
}

/** The ingester with a ClickHouse that acknowledges inserts without storing them. */
async function ingesterOnly(): Promise<void> {
  const engine = await startEngine({ discardInserts: true });
  const r = await maxRate(httpSink(engine), async (ingester) => (await ingester.metric(STORED)) >= THROUGHPUT_MESSAGES, engine);
  await engine.stop();
  log(`ingester only: ${int(r.rate)} msg/s; ${processNote(r)}; ${r.split}`);
  results.push({
    measure: `The ingester alone: same run, but ClickHouse acknowledges each insert without storing it (NOT stored; ${int(THROUGHPUT_MESSAGES)} msgs)`,
    result: `${int(r.rate)} msg/s; ${processNote(r)}; ${r.split}`,
  });
}

/** The same into the embedded engine inside the ingester's process (sink.type: embedded). */
async function embedded(): Promise<void> {
  const path = join(tempDir("bench-embedded"), "data");
  const r = await maxRate({ type: "embedded", path }, async (ingester) => (await ingester.metric(STORED)) >= THROUGHPUT_MESSAGES);
  log(`embedded: ${int(r.rate)} msg/s; ${processNote(r)}`);
  results.push({
    measure: `End-to-end throughput into the embedded engine inside the ingester's process (sink.type: embedded, for running without Docker, started as npm run ingest does; ${int(THROUGHPUT_MESSAGES)} msgs)`,
    result: `${int(r.rate)} msg/s; ${processNote(r)} — the engine's memory and CPU included; chdb's @clickhouse/client connection sends each insert as one SQL text, which the engine parses on one thread`,
  });
}

async function engineAlone(): Promise<void> {
  const engine = await startEngine();
  const gen = new TickerGenerator(PRODUCTS, 9);
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
  await engine.stop();
  results.push({
    measure: "Ceiling: ClickHouse alone, 50k-row TabSeparated inserts over HTTP into the raw table (3 materialized views behind it), nothing else running",
    result: `${int((rows / ms) * 1000)} rows/s`,
  });
}

async function latency(): Promise<void> {
  const engine = await startEngine();
  const exchange = await startExchange(["--rate", String(LATENCY_RATE), "--seconds", String(LATENCY_SECONDS)]);
  const ingester = await startIngesterProcess({ source: coinbaseSource(exchange.port), sink: httpSink(engine) }); // default batching
  const sent = await exchange.sent;
  await until(async () => (await storedCount(engine.client)) >= sent, "all rows committed");
  const peak = ingester.stats.peakRss();
  await ingester.stop();
  await exchange.stop();
  const q = await one<{ p50: number; p99: number; max: number; n: string }>(
    engine.client,
    `SELECT quantileExact(0.5)(d) / 1000 AS p50, quantileExact(0.99)(d) / 1000 AS p99, max(d) / 1000 AS max, count() AS n
     FROM (SELECT dateDiff('microsecond', time, ingested_at) AS d FROM coinbase_demo.coinbase_ticker)`,
  );
  await engine.stop();
  log(`latency: p50 ${q.p50} ms p99 ${q.p99} ms max ${q.max} ms (${q.n} rows)`);
  results.push({
    measure: `Latency at ${int(LATENCY_RATE)} msg/s for ${LATENCY_SECONDS} s, default batching (10,000 rows or 1,000 ms): ingested_at − time per row, as ClickHouse records it`,
    result: `p50 ${Math.round(q.p50)} ms, p99 ${Math.round(q.p99)} ms (max ${Math.round(q.max)} ms, ${int(Number(q.n))} rows); ingester peak RSS ${mb(peak)}`,
    target: "p99 ≤ 1,250 ms (flush interval + 250 ms)",
  });
}

/** ClickHouse stopped for the whole stream (a real outage), then started again on the same data. */
async function outage(): Promise<void> {
  const dir = join(tempDir("bench-outage"), "clickhouse");
  const port = await freePort();
  let engine = await startEngine({ dir, port });
  const exchange = await startExchange(["--rate", String(OUTAGE_RATE), "--seconds", String(OUTAGE_SECONDS)]);
  const ingester = await startIngesterProcess({
    source: coinbaseSource(exchange.port),
    sink: { ...httpSink(engine), retry: { initial_ms: 200, max_ms: 2_000 } },
    batch: { max_rows: 20_000, max_interval_ms: 1_000 },
  });
  await exchange.streaming;
  await engine.stop(); // before the first block is sealed: no insert is in flight
  ingester.stats.resetPeak();
  const sent = await exchange.sent;
  const outagePeak = ingester.stats.peakRss();
  const spoolBytes = await ingester.metric("ingest_spool_bytes");
  ingester.stats.resetPeak();
  const drainStart = performance.now();
  engine = await startEngine({ dir, port });
  await until(async () => (await storedCount(engine.client)) >= sent, "the spool drained");
  const drainSeconds = (performance.now() - drainStart) / 1000;
  const drainPeak = ingester.stats.peakRss();
  await ingester.stop();
  await exchange.stop();
  const count = await storedCount(engine.client);
  const unique = await uniqueCount(engine.client);
  await engine.stop();
  log(`outage: sent ${sent}, stored ${count}, outage peak ${mb(outagePeak)}, drain ${drainSeconds.toFixed(1)} s peak ${mb(drainPeak)}`);
  results.push({
    measure: `RSS during a ${OUTAGE_SECONDS} s ClickHouse outage (the server process stopped) at ${int(OUTAGE_RATE)} msg/s`,
    result: `ingester peak RSS ${mb(outagePeak)}; spool ${mb(spoolBytes)} on disk at the end`,
    target: "≤ 200 MB",
  });
  results.push({
    measure: "… then ClickHouse started again on the same data: drain of the spool",
    result: `${int(count)} of ${int(sent)} ticks stored (${count === sent && unique === sent ? "count and uniqExact(product_id, sequence) both equal the number sent: none lost, none twice" : `MISMATCH: ${unique} unique`}) in ${drainSeconds.toFixed(1)} s (engine start included); ingester peak RSS while draining ${mb(drainPeak)}`,
    target: "no loss, ≤ 200 MB",
  });
}

async function baseline(): Promise<void> {
  const engine = await startEngine();
  const gen = new TickerGenerator(["BTC-USD", "ETH-USD"], 3);
  let n = 0;
  const started = Date.now();
  const deadline = started + BASELINE_SECONDS * 1000;
  while (Date.now() < deadline) {
    const d = decode(gen.ticker());
    if (d.kind !== "ticker") throw new Error("generator broke");
    await engine.client.insert({ table: "coinbase_demo.coinbase_ticker", values: [tickerRowOf(d.line)], format: "JSONEachRow" });
    n++;
  }
  const rate = n / ((Date.now() - started) / 1000);
  await engine.stop();
  log(`baseline: ${rate.toFixed(0)} msg/s`);
  results.push({ measure: `Baseline: one insert per message (the walk-through's design), same ClickHouse over HTTP, ${BASELINE_SECONDS} s`, result: `${int(rate)} msg/s` });
}

function parse(): void {
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
  log(`parse: ${int(parseRate)} / reference ${int(referenceRate)} / decode ${int(decodeRate)} msg/s`);
  results.push({ measure: `Ceiling: JSON.parse alone (${bytes.toFixed(0)}-byte ticker, one core, best of 3 × 200k)`, result: `${int(parseRate)} msg/s` });
  results.push({ measure: "Ceiling: the reference decoder (JSON.parse + validation + TabSeparated line)", result: `${int(referenceRate)} msg/s` });
  results.push({ measure: "Ceiling: decode as the ingester runs it (Coinbase-shaped tickers take the one-expression fast path)", result: `${int(decodeRate)} msg/s` });
}

const PHASES: Record<string, () => Promise<void> | void> = { parse, engine: engineAlone, ingesterOnly, throughput, latency, outage, embedded, baseline };

async function main(): Promise<void> {
  const only = process.argv.includes("--phase") ? process.argv[process.argv.indexOf("--phase") + 1]! : undefined;
  if (only && !PHASES[only]) throw new Error(`unknown phase ${only}; phases: ${Object.keys(PHASES).join(", ")}`);
  const started = Date.now();
  for (const [name, phase] of Object.entries(PHASES)) {
    if (only && name !== only) continue;
    log(`phase ${name}`);
    await phase();
  }
  const header = `Ingest benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ingester NODE_OPTIONS=${IMAGE_NODE_OPTIONS}${QUICK ? " (--quick)" : ""}, ${((Date.now() - started) / 1000).toFixed(0)} s`;
  const table = ["| Measure | Result | Target |", "|---|---|---|", ...results.map((r) => `| ${r.measure} | ${r.result} | ${r.target ?? ""} |`)].join("\n");
  console.log(`${header}\n\n${table}`);
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify({ header, rows: results }, null, 2));
  process.exit(0);
}

void main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
