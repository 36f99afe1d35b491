// npm run query -- <name> [--from 1h] [--to now] [--products BTC-USD,ETH-USD] [--format table|csv|json]
// npm run query -- --list
//
// Runs one named query from sql/queries (the files Grafana, Superset and the tests use) against
// the embedded engine `npm run ingest` writes (./data by default) or any ClickHouse server, and
// prints the result.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { lineLogger, openClickHouse } from "./client";
import { loadQueries, type NamedQuery } from "./queries";
import { dateTimeParam, formatCsv, formatJson, formatTable, parseTime, runQuery, type QueryWindow } from "./queryRun";
import { TARGET_OPTIONS, targetFrom } from "./targetOptions";
import { runCli } from "./cliExit";

/** Where `npm run ingest` keeps its embedded engine when no config says otherwise (ingest/src/config/schema.ts). */
const DEFAULT_EMBEDDED_DIR = "./data";

const USAGE = `Usage:
  npm run query -- <name> [--from <time>] [--to <time>] [--products A,B] [--format table|csv|json] [--limit N]
  npm run query -- --list
  (target: --embedded <dir> (default ${DEFAULT_EMBEDDED_DIR}, where npm run ingest writes), or --url <url> --user <name> --password-env <VAR>)

Options:
  --from, --to      the query's time window: now, a time ago (30m, 6h, 2d), or a UTC time
                    (2026-11-30T10:00:00Z); default: the last 15 minutes (--from 15m --to now)
  --products A,B    product ids (default: every product)
  --format          table (default), csv or json (one object per line)
  --limit N         rows shown in a table (default 50; 0 = all); csv and json print every row
  --embedded <dir>  an embedded ClickHouse directory (a running npm run ingest holds it: stop it first)
  --url <url>       ClickHouse's HTTP interface, with --user and --password-env <VAR> (never the password itself)
  --list            the queries and what each answers

Exit codes: 0 printed; 1 the query failed or ClickHouse could not be reached; 2 bad arguments.`;

const EXIT = { ok: 0, failed: 1, badArguments: 2 } as const;
/** The default window: recent enough that a few minutes of npm run ingest fill a screen. */
const DEFAULT_FROM = "15m";
const PRODUCT_ID = /^[A-Z0-9]{2,10}-[A-Z0-9]{2,10}$/;

function listing(queries: Map<string, NamedQuery>): string {
  const width = Math.max(...[...queries.keys()].map((n) => n.length));
  return [...queries.values()].map((q) => `${q.name.padEnd(width)}  ${q.description}`).join("\n");
}

/**
 * The process holding an embedded engine's directory, from the status file the engine keeps
 * there while it runs ("PID: <n>" on its first line), when that process is alive.
 */
export function embeddedHolder(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(/^PID: (\d+)/.exec(readFileSync(join(dir, "status"), "utf8"))?.[1]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

/** An embedded directory another process holds, told as what to do. */
function lockedMessage(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  const pid = embeddedHolder(dir);
  if (pid === undefined) return undefined;
  return (
    `${dir} is in use by process ${pid} (a running npm run ingest?): the embedded engine allows one process per directory. ` +
    `Stop it (Ctrl-C flushes and exits) and run the query again.`
  );
}

/** A query must not create an empty engine where the user expected data. */
function missingEmbedded(dir: string): string | undefined {
  if (existsSync(dir)) return undefined;
  return `No embedded ClickHouse at ${dir}: npm run ingest creates it (see README, "Without Docker"), or name another with --embedded <dir>.`;
}

interface Parsed {
  readonly name: string;
  readonly window: QueryWindow;
  readonly format: "table" | "csv" | "json";
  readonly limit: number;
}

/** The query and how to run it, or the problem with the arguments. */
function parseQueryArgs(values: Record<string, string | boolean | undefined>, positionals: string[], queries: Map<string, NamedQuery>): Parsed | string {
  if (positionals.length !== 1) return positionals.length === 0 ? "Name one query (npm run query -- --list shows them)." : `Name one query, not ${positionals.length}: ${positionals.join(" ")}`;
  const name = positionals[0]!;
  if (!queries.has(name)) return `No query named "${name}". The queries:\n${listing(queries)}`;
  const nowMs = Date.now();
  let fromMs: number;
  let toMs: number;
  try {
    fromMs = parseTime(String(values.from ?? DEFAULT_FROM), "--from", nowMs);
    toMs = parseTime(String(values.to ?? "now"), "--to", nowMs);
  } catch (err) {
    return (err as Error).message;
  }
  if (fromMs >= toMs) return `--from must be before --to (got ${new Date(fromMs).toISOString()} and ${new Date(toMs).toISOString()})`;
  const products = values.products === undefined ? [] : String(values.products).split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  const badProduct = products.find((p) => !PRODUCT_ID.test(p));
  if (badProduct !== undefined) return `--products: "${badProduct}" is not a product id such as BTC-USD`;
  const format = String(values.format ?? "table");
  if (format !== "table" && format !== "csv" && format !== "json") return `--format ${format}: expected table, csv or json`;
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) return `--limit ${String(values.limit)}: expected a whole number of rows (0 = all)`;
  return { name, window: { fromMs, toMs, products }, format, limit };
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...TARGET_OPTIONS,
        from: { type: "string" },
        to: { type: "string" },
        products: { type: "string" },
        format: { type: "string" },
        limit: { type: "string" },
        list: { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return EXIT.badArguments;
  }
  const queries = loadQueries();
  if (args.values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (args.values.list) {
    console.log(listing(queries));
    return EXIT.ok;
  }
  const parsed = parseQueryArgs(args.values, args.positionals, queries);
  if (typeof parsed === "string") {
    console.error(parsed);
    return EXIT.badArguments;
  }
  const target = targetFrom(args.values, process.env, DEFAULT_EMBEDDED_DIR);
  if ("problem" in target) {
    console.error(target.showUsage ? `${target.problem}\n\n${USAGE}` : target.problem);
    return EXIT.badArguments;
  }
  // Checked before opening: the engine would otherwise create an empty directory, or print its
  // own lock error.
  const unusable = target.embeddedDir !== undefined ? (missingEmbedded(target.embeddedDir) ?? lockedMessage(target.embeddedDir)) : undefined;
  if (unusable !== undefined) {
    console.error(unusable);
    return EXIT.failed;
  }
  let handle;
  try {
    handle = await openClickHouse({ url: target.url, username: target.username, password: target.password, application: "streamstack-query", logger: lineLogger() });
  } catch (err) {
    console.error(lockedMessage(target.embeddedDir) ?? `cannot open ClickHouse at ${target.url}: ${(err as Error).message}`);
    return EXIT.failed;
  }
  try {
    const result = await runQuery(handle.client, queries.get(parsed.name)!, parsed.window);
    const text = parsed.format === "csv" ? formatCsv(result) : parsed.format === "json" ? formatJson(result) : formatTable(result, parsed.limit);
    if (text.length > 0) console.log(text);
    if (parsed.format === "table") console.log(`window: ${dateTimeParam(parsed.window.fromMs)} to ${dateTimeParam(parsed.window.toMs)} UTC (--from / --to)`);
    return EXIT.ok;
  } catch (err) {
    console.error(lockedMessage(target.embeddedDir) ?? `query ${parsed.name} failed: ${(err as Error).message.split("\n")[0]}`);
    return EXIT.failed;
  } finally {
    await handle.close();
  }
}

if (require.main === module) runCli(main, "query");
