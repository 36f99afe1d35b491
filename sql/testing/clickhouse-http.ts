// Test helper: the embedded ClickHouse engine (chdb) behind ClickHouse's HTTP interface, on a
// loopback port. Two users: a real Superset (clickhouse-connect) reading the data a test wrote —
// Superset 6.1 opens a connection even to build a chart's SQL (models/helpers.py get_from_clause →
// database.get_default_schema) — and the ingester's benchmark, whose production sink
// (@clickhouse/client over HTTP) writes into an engine running in another process, as a server
// would (serve-clickhouse-http.ts).
//
// Statements run unchanged on the real engine; only the HTTP envelope is ours: the `query` URL
// parameter and/or the body as the statement, `param_<name>` URL parameters bound as query
// parameters (the engine parses each text value as its declared type, as a server does), the query's own FORMAT or TabSeparated (the HTTP
// interface's default), HTTP Basic or X-ClickHouse-User/Key auth checked against one user.
// An `INSERT INTO t [(columns)] FORMAT f` in the URL with the rows in the body goes to the
// engine's raw insert (the body handed over as bytes, parsed by ClickHouse's parallel parser, as
// a server does), with the URL's settings (insert_deduplication_token, …) applied to that insert.
// Other statements ignore URL settings (session_id, client_protocol_version, …); clickhouse-connect
// checks for that case itself and falls back (driver/client.py _init_common_settings).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ClickHouseHttpEndpoint {
  readonly host: string;
  readonly port: number;
  /** Every statement received, in order (auth failures included as "<auth failed>"). */
  readonly statements: string[];
  close(): Promise<void>;
}

interface ChdbSession {
  queryAsync(query: string, opts?: { format?: string }): Promise<{ bytes(): Uint8Array }>;
  queryBindAsync(query: string, params: Record<string, string>, opts?: { format?: string }): Promise<{ bytes(): Uint8Array }>;
  insert(params: { table: string; columns?: string[]; format: string; values: Buffer; settings: Record<string, string> }): Promise<{ rowsWritten: number; bytesWritten: number; elapsed: number }>;
  close(): void;
}

/** URL parameters of the HTTP interface itself; every other parameter is a setting. */
const INTERFACE_PARAMS = new Set([
  "query", "database", "query_id", "session_id", "session_timeout", "session_check", "user", "password", "default_format", "compress",
  "decompress", "enable_http_compression", "wait_end_of_query", "buffer_size", "role", "quota_key", "client_protocol_version",
]);
const INSERT_WITH_BODY = /^\s*INSERT\s+INTO\s+([A-Za-z0-9_.]+)\s*(?:\(([^)]*)\))?\s*FORMAT\s+(TabSeparated|TSV|JSONEachRow|JSONCompactEachRow|CSV)\s*$/i;

/** Query parameters (`param_<name>=<value>` in the URL, as the HTTP interface takes them), values as text. */
function urlParams(url: URL): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) if (key.startsWith("param_")) params[key.slice("param_".length)] = value;
  return params;
}

function urlSettings(url: URL): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [key, value] of url.searchParams) if (!INTERFACE_PARAMS.has(key) && !key.startsWith("param_")) settings[key] = value;
  return settings;
}

function credentials(req: IncomingMessage, url: URL): { user: string; password: string } {
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const user = (req.headers["x-clickhouse-user"] as string | undefined) ?? url.searchParams.get("user") ?? "default";
  const password = (req.headers["x-clickhouse-key"] as string | undefined) ?? url.searchParams.get("password") ?? "";
  return { user, password };
}

/** An engine error as the HTTP interface reports it: status 500, the code in a header and in the text. */
function failed(res: ServerResponse, err: unknown): void {
  const e = err as Error & { clickhouseCode?: number; code?: number };
  const code = e.clickhouseCode ?? (typeof e.code === "number" ? e.code : undefined) ?? codeInMessage(e.message) ?? 1000;
  res.writeHead(500, { "X-ClickHouse-Exception-Code": String(code) }).end(`Code: ${code}. DB::Exception: ${e.message}\n`);
}

function codeInMessage(message: string): number | undefined {
  const m = /Code: (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

function formatOf(statement: string): string {
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(statement)?.[1] ?? "TabSeparated";
}

export interface ServeOptions {
  readonly dir: string;
  readonly user: string;
  readonly password: string;
  /** More logins (name → password), all with the same rights: the engine itself has no accounts. */
  readonly moreUsers?: Readonly<Record<string, string>>;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /**
   * Answer INSERTs with rows in the body as stored without storing them (the body is still read
   * to its end). For measuring a client without the engine's cost; nothing is kept.
   */
  readonly discardInserts?: boolean;
}

/** Serves the engine whose data directory is `dir` (opened as a second session: chdb allows that for one path). */
export async function serveClickHouseHttp(options: ServeOptions): Promise<ClickHouseHttpEndpoint> {
  const chdb = (await import("chdb")) as unknown as { Session: new (path: string) => ChdbSession };
  const session = new chdb.Session(options.dir);
  const statements: string[] = [];
  const logins = new Map<string, string>([[options.user, options.password], ...Object.entries(options.moreUsers ?? {})]);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const queryId = url.searchParams.get("query_id") ?? "";
    if (url.pathname === "/ping") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("Ok.\n");
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.headers["content-encoding"]) {
      res.writeHead(400).end(`Code: 1. DB::Exception: this test endpoint takes no compressed request bodies (${req.headers["content-encoding"]}). (UNSUPPORTED_METHOD)`);
      return;
    }
    const { user, password } = credentials(req, url);
    if (logins.get(user) !== password) {
      statements.push("<auth failed>");
      res
        .writeHead(403, { "X-ClickHouse-Exception-Code": "516" })
        .end(`Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n`);
      return;
    }
    const insert = INSERT_WITH_BODY.exec(url.searchParams.get("query") ?? "");
    if (insert && chunks.length > 0) {
      statements.push(`${insert[0]} <${chunks.reduce((n, c) => n + c.length, 0)} bytes>`);
      if (options.discardInserts) {
        res.writeHead(200, { "X-ClickHouse-Query-Id": queryId }).end();
        return;
      }
      try {
        const summary = await session.insert({
          table: insert[1]!,
          columns: insert[2]?.split(",").map((c) => c.trim()),
          format: insert[3]!,
          values: Buffer.concat(chunks),
          settings: urlSettings(url),
        });
        res
          .writeHead(200, {
            "X-ClickHouse-Query-Id": queryId,
            "X-ClickHouse-Summary": JSON.stringify({ written_rows: String(summary.rowsWritten), written_bytes: String(summary.bytesWritten) }),
          })
          .end();
      } catch (err) {
        failed(res, err);
      }
      return;
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const statement = [url.searchParams.get("query") ?? "", body].filter((s) => s.trim().length > 0).join("\n");
    statements.push(statement);
    const format = formatOf(statement);
    try {
      const params = urlParams(url);
      const result = Object.keys(params).length > 0 ? await session.queryBindAsync(statement, params, { format }) : await session.queryAsync(statement, { format });
      res
        .writeHead(200, {
          "Content-Type": format.startsWith("JSON") ? "application/json; charset=UTF-8" : "application/octet-stream",
          "X-ClickHouse-Format": format,
          "X-ClickHouse-Timezone": "UTC",
          "X-ClickHouse-Query-Id": queryId,
        })
        .end(Buffer.from(result.bytes()));
    } catch (err) {
      failed(res, err);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(`Code: 1000. DB::Exception: ${err.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: "127.0.0.1",
    port,
    statements,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      session.close();
    },
  };
}
