// Test helper: the embedded ClickHouse engine (chdb) behind ClickHouse's HTTP interface, on a
// loopback port, so a real Superset (clickhouse-connect) can connect to the same data the test
// wrote. Superset 6.1 opens a connection even to build a chart's SQL (models/helpers.py
// get_from_clause → database.get_default_schema), so without an answering ClickHouse not even
// result_type "query" works.
//
// Queries run unchanged on the real engine; only the HTTP envelope is ours: the `query` URL
// parameter and/or the body as the statement, the query's own FORMAT or TabSeparated (the HTTP
// interface's default), HTTP Basic or X-ClickHouse-User/Key auth checked against one user.
// URL settings (session_id, client_protocol_version, …) are ignored; clickhouse-connect checks
// for that case itself and falls back (driver/client.py _init_common_settings).
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
  close(): void;
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

function formatOf(statement: string): string {
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(statement)?.[1] ?? "TabSeparated";
}

/** Serves the engine whose data directory is `dir` (opened as a second session: chdb allows that for one path). */
export async function serveClickHouseHttp(options: { dir: string; user: string; password: string }): Promise<ClickHouseHttpEndpoint> {
  const chdb = (await import("chdb")) as unknown as { Session: new (path: string) => ChdbSession };
  const session = new chdb.Session(options.dir);
  const statements: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
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
    if (user !== options.user || password !== options.password) {
      statements.push("<auth failed>");
      res
        .writeHead(403, { "X-ClickHouse-Exception-Code": "516" })
        .end(`Code: 516. DB::Exception: ${user}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n`);
      return;
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const statement = [url.searchParams.get("query") ?? "", body].filter((s) => s.trim().length > 0).join("\n");
    statements.push(statement);
    const format = formatOf(statement);
    try {
      const result = await session.queryAsync(statement, { format });
      res
        .writeHead(200, {
          "Content-Type": format.startsWith("JSON") ? "application/json; charset=UTF-8" : "application/octet-stream",
          "X-ClickHouse-Format": format,
          "X-ClickHouse-Timezone": "UTC",
          "X-ClickHouse-Query-Id": url.searchParams.get("query_id") ?? "",
        })
        .end(Buffer.from(result.bytes()));
    } catch (err) {
      const e = err as Error & { clickhouseCode?: number };
      res
        .writeHead(500, { "X-ClickHouse-Exception-Code": String(e.clickhouseCode ?? 1000) })
        .end(`Code: ${e.clickhouseCode ?? 1000}. DB::Exception: ${e.message}\n`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(`Code: 1000. DB::Exception: ${err.message}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
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
