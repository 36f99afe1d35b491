// What the ingester benchmark's phases share (ingest.bench.ts runs them): the settings read from the
// command line and ingest/Dockerfile, the processes it starts (ClickHouse behind its HTTP
// interface, the load generator, the ingester), their memory and CPU from /proc, the queries and
// polling the phases measure with, and the table printed at the end.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { stringify } from "yaml";
import { tempDir } from "../test/helpers";

export const QUICK = process.argv.includes("--quick");
const REPO = join(__dirname, "..", "..");
export const PRODUCTS = ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD"];
/** The heap flags the image runs the ingester with (ingest/Dockerfile, ENV NODE_OPTIONS). */
export const IMAGE_NODE_OPTIONS = /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(join(__dirname, "..", "Dockerfile"), "utf8"))?.[1] ?? "";
if (!IMAGE_NODE_OPTIONS) throw new Error('ingest/Dockerfile has no ENV NODE_OPTIONS="…": the benchmark runs the ingester with the image\'s flags');

/** One row of the results table; each phase returns its rows. */
export interface Row {
  measure: string;
  result: string;
  target?: string;
}
export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const int = (n: number) => Math.round(n).toLocaleString("en");

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

export interface Engine {
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
export async function startEngine(options: { dir?: string; port?: number; discardInserts?: boolean } = {}): Promise<Engine> {
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

/** What a --count stream holds: messages in all, tickers, trades (matches). */
export interface StreamCounts {
  readonly messages: number;
  readonly tickers: number;
  readonly trades: number;
}

/** The load generator. */
export async function startExchange(args: string[]) {
  const p = spawnJsonLines(["--import", "tsx", join(__dirname, "exchange-server.ts"), ...args]);
  const ready = await p.waitFor((l) => typeof l.port === "number", "exchange server");
  return {
    stats: new ProcStats(p.child.pid!),
    port: Number(ready.port),
    /** The prebuilt stream's counts (--count). */
    counts: { messages: Number(ready.messages), tickers: Number(ready.tickers), trades: Number(ready.trades) } as StreamCounts,
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
/**
 * The ingester as the image runs it: bundle.mjs's esbuild bundle of ingest/src/cli.ts.
 * BENCH_INGESTER_BUNDLE=<file> runs that bundle instead (another commit's, for an A/B run).
 */
async function ingesterBundle(): Promise<string> {
  if (process.env.BENCH_INGESTER_BUNDLE) return process.env.BENCH_INGESTER_BUNDLE;
  if (bundlePath) return bundlePath;
  const out = join(REPO, ".cache", "bench", "ingest.js"); // inside the repository: `require("chdb")` resolves for sink.type embedded
  mkdirSync(join(REPO, ".cache", "bench"), { recursive: true });
  const { bundle } = (await import(join(__dirname, "..", "bundle.mjs"))) as { bundle: (outfile: string) => Promise<unknown> };
  await bundle(out);
  return (bundlePath = out);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

export interface IngesterProcess {
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
export async function startIngesterProcess(config: Record<string, unknown>, options: { asNpmRunIngest?: boolean } = {}): Promise<IngesterProcess> {
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

// ---------------------------------------------------------------------------------------------
// Configuration, queries and polling

export const httpSink = (engine: Engine) => ({ type: "clickhouse_connect", host: engine.host, port: engine.port, user: ENGINE_USER, password_env: "BENCH_CLICKHOUSE_PASSWORD" });
/**
 * The coinbase source on the load generator. With `matches`, the trade backfill is off: the
 * generator's trade_ids are contiguous (no gap to fill) and it serves no REST API, so nothing may
 * reach for Coinbase's.
 */
export const coinbaseSource = (port: number, options: { matches?: boolean } = {}) => ({
  type: "coinbase",
  wss_url: `ws://127.0.0.1:${port}`,
  subscription: { product_ids: PRODUCTS, channels: options.matches ? ["ticker", "matches"] : ["ticker"] },
  ...(options.matches ? { backfill: { enabled: false } } : {}),
});
export const STORED = 'ingest_rows_stored_total{table="ticker"}';

export async function one<T>(client: ClickHouseClient, query: string): Promise<T> {
  const r = await client.query({ query, format: "JSONEachRow" });
  return ((await r.json()) as T[])[0]!;
}
export const storedCount = async (client: ClickHouseClient) => Number((await one<{ c: string }>(client, "SELECT count() AS c FROM coinbase_demo.coinbase_ticker")).c);
export const uniqueCount = async (client: ClickHouseClient) => Number((await one<{ u: string }>(client, "SELECT uniqExact(product_id, sequence) AS u FROM coinbase_demo.coinbase_ticker")).u);

/**
 * Polls `check` every 50 ms. Each poll is a query to ClickHouse or a /metrics scrape of the
 * ingester, so polling faster would load the processes being measured; 50 ms is 0.25 % of a
 * 20 s run.
 */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// The results table

/** Prints the header and the table to stdout and, with BENCH_OUT set, writes both there as JSON. */
export function printResults(results: Row[], startedAt: number): void {
  const header = `Ingest benchmark, ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ingester NODE_OPTIONS=${IMAGE_NODE_OPTIONS}${QUICK ? " (--quick)" : ""}, ${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
  const table = ["| Measure | Result | Target |", "|---|---|---|", ...results.map((r) => `| ${r.measure} | ${r.result} | ${r.target ?? ""} |`)].join("\n");
  console.log(`${header}\n\n${table}`);
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify({ header, rows: results }, null, 2));
}
