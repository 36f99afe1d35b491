// The one place that turns "where is ClickHouse" into a @clickhouse/client client.
// Production talks HTTP; tests and the no-Docker mode use the embedded engine (chdb) through the
// same client API, so every query and insert runs the same code in both.
import { createClient, type ClickHouseClient, type ClickHouseSettings } from "@clickhouse/client";

/** Where ClickHouse is. `url` is `http(s)://host:port` or `chdb:<dir>` for the embedded engine. */
export interface ClickHouseTarget {
  /** `http://host:8123`, `https://…:8443`, or `chdb:/path/to/dir` (embedded engine in this process). */
  readonly url: string;
  /** User name for HTTP targets (ignored by the embedded engine). */
  readonly username?: string;
  /** Password for HTTP targets (ignored by the embedded engine). */
  readonly password?: string;
  /** Settings sent with every query from this client. */
  readonly settings?: ClickHouseSettings;
  /** Per-request timeout in milliseconds (HTTP only). */
  readonly requestTimeoutMs?: number;
  /** Application name shown in system.query_log (HTTP only). */
  readonly application?: string;
}

export type ClickHouseKind = "http" | "embedded";

export interface ClickHouseHandle {
  readonly client: ClickHouseClient;
  readonly kind: ClickHouseKind;
  /** Closes the client; for the embedded engine also frees the data directory for another open. */
  close(): Promise<void>;
}

const EMBEDDED_PREFIX = "chdb:";

export function isEmbeddedUrl(url: string): boolean {
  return url.startsWith(EMBEDDED_PREFIX);
}

/** `chdb:/tmp/x` → `/tmp/x`. */
export function embeddedPath(url: string): string {
  const path = url.slice(EMBEDDED_PREFIX.length);
  if (path.length === 0) throw new Error(`ClickHouse url "${url}" names no directory: use chdb:<dir>, e.g. chdb:./data`);
  return path;
}

export function embeddedUrl(dir: string): string {
  return `${EMBEDDED_PREFIX}${dir}`;
}

/** A ClickHouse url, parsed once: the embedded engine's directory, or an HTTP server's address. */
export type ParsedClickHouseUrl =
  | { readonly kind: "embedded"; readonly path: string }
  | {
      readonly kind: "http";
      readonly host: string;
      readonly port: number;
      readonly secure: boolean;
      /** `http(s)://host:port`, the default port written out. */
      readonly origin: string;
      /** The url as given, less any `user:password@` (for ids and messages). */
      readonly withoutCredentials: string;
      /** Whether the url itself carries a user or password. */
      readonly hasCredentials: boolean;
    };

/** Parses `http(s)://host[:port]` or `chdb:<dir>`; throws a clear error for anything else. */
export function parseClickHouseUrl(url: string): ParsedClickHouseUrl {
  if (isEmbeddedUrl(url)) return { kind: "embedded", path: embeddedPath(url) };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`ClickHouse url "${url}" is not a URL: expected http://host:8123, https://host:8443 or chdb:<dir>`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`ClickHouse url "${url}" has protocol "${parsed.protocol.replace(/:$/, "")}"; expected http:// or https:// (the HTTP interface) or chdb:<dir>`);
  }
  const secure = parsed.protocol === "https:";
  // The HTTP interface's default ports: 8123, and 8443 with TLS.
  const port = Number(parsed.port || (secure ? 8443 : 8123));
  return {
    kind: "http",
    host: parsed.hostname,
    port,
    secure,
    origin: clickhouseHttpUrl({ host: parsed.hostname, port, secure }),
    withoutCredentials: `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`,
    hasCredentials: parsed.username !== "" || parsed.password !== "",
  };
}

/** `http(s)://host:port` from its parts (e.g. the walk-through's sink.host / sink.port). */
export function clickhouseHttpUrl(address: { readonly host: string; readonly port: number; readonly secure?: boolean }): string {
  const host = address.host.includes(":") && !address.host.startsWith("[") ? `[${address.host}]` : address.host;
  return `${address.secure ? "https" : "http"}://${host}:${address.port}`;
}

/** Throws a clear error for a url that is neither http(s) nor chdb:. */
export function validateClickHouseUrl(url: string): void {
  parseClickHouseUrl(url);
}

export async function openClickHouse(target: ClickHouseTarget): Promise<ClickHouseHandle> {
  validateClickHouseUrl(target.url);
  if (isEmbeddedUrl(target.url)) return openEmbedded(embeddedPath(target.url), target.settings);
  const client = createClient({
    url: target.url,
    username: target.username ?? "default",
    password: target.password ?? "",
    application: target.application ?? "streamstack",
    request_timeout: target.requestTimeoutMs ?? 30_000,
    clickhouse_settings: target.settings,
    // Below the server's 3 s keep-alive timeout, or a reused socket can be closed under us
    // ("socket hang up", ClickHouse/clickhouse-js#150).
    keep_alive: { enabled: true, idle_socket_ttl: 2_500 },
  });
  return { client, kind: "http", close: () => client.close() };
}

async function openEmbedded(path: string, settings: ClickHouseSettings | undefined): Promise<ClickHouseHandle> {
  let chdbConnection: typeof import("chdb/connection");
  let chdb: typeof import("chdb");
  try {
    chdbConnection = await import("chdb/connection");
    chdb = await import("chdb");
  } catch (err) {
    throw new Error(
      `The embedded ClickHouse (chdb:${path}) needs the npm package "chdb", which is not installed here ` +
        `(the ingester's container image leaves it out on purpose). Run from the repository after "npm ci", ` +
        `or point at a ClickHouse server with an http:// url. Cause: ${(err as Error).message}`,
    );
  }
  const connection = chdbConnection.createChdbConnection({ path });
  // chdb implements @clickhouse/client-common's Connection; the two packages carry their own
  // copies of that type, so the cast only bridges identical declarations.
  const client = createClient({ connection: connection as never, clickhouse_settings: settings });
  return {
    client,
    kind: "embedded",
    close: async () => {
      await client.close();
      await chdb.drainPending();
    },
  };
}
