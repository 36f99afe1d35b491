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
// Phases (one file each in phases/, run in this order): parse, engine, ingesterOnly, throughput,
// completeness (matches + ticker beside ticker only), latency, outage, embedded, baseline. What
// they share is in harness.ts (processes, /proc, queries, polling, the table) and max-rate.ts (the
// max-rate run of four of them).
import { log, printResults, type Row } from "./harness";
import { baseline } from "./phases/baseline";
import { completeness } from "./phases/completeness";
import { embedded } from "./phases/embedded";
import { engineAlone } from "./phases/engine";
import { ingesterOnly } from "./phases/ingester-only";
import { latency } from "./phases/latency";
import { outage } from "./phases/outage";
import { parse } from "./phases/parse";
import { throughput } from "./phases/throughput";

const PHASES: Record<string, () => Promise<Row[]> | Row[]> = { parse, engine: engineAlone, ingesterOnly, throughput, completeness, latency, outage, embedded, baseline };

async function main(): Promise<void> {
  const only = process.argv.includes("--phase") ? process.argv[process.argv.indexOf("--phase") + 1]! : undefined;
  if (only && !PHASES[only]) throw new Error(`unknown phase ${only}; phases: ${Object.keys(PHASES).join(", ")}`);
  const started = Date.now();
  const results: Row[] = [];
  for (const [name, phase] of Object.entries(PHASES)) {
    if (only && name !== only) continue;
    log(`phase ${name}`);
    results.push(...(await phase()));
  }
  printResults(results, started);
  process.exit(0);
}

void main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
