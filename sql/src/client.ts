// The one place that turns "where is ClickHouse" into a @clickhouse/client client.
// Production talks HTTP; tests and the no-Docker mode use the embedded engine (chdb) through the
// same client API, so every query and insert runs the same code in both.
import {
  ClickHouseLogLevel,
  createClient,
  type ClickHouseClient,
  type ClickHouseSettings,
  type ErrorLogParams,
  type Logger as LibraryLogger,
  type LogParams,
  type WarnLogParams,
} from "@clickhouse/client";

/** Fields of one log event: plain values (strings, numbers), never an Error or a stack. */
export type ClickHouseLogFields = Record<string, unknown>;

/**
 * Where @clickhouse/client's own log events go (its default prints ~17 lines with a stack trace
 * to stderr per failed request). One call per event; the ingester's JSON logger fits as is.
 */
export interface ClickHouseLogger {
  debug(message: string, fields?: ClickHouseLogFields): void;
  warn(message: string, fields?: ClickHouseLogFields): void;
  error(message: string, fields?: ClickHouseLogFields): void;
}

/** The lowest level of the library's events passed on: `warn` (the default) passes warn and error. */
export type ClickHouseLogLevelName = "debug" | "warn" | "error" | "off";

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
  /** Receives the client library's log events; default: the process default (see setDefaultClickHouseLogger). */
  readonly logger?: ClickHouseLogger;
  /** Lowest level of the library's events passed to the logger (default `warn`). */
  readonly logLevel?: ClickHouseLogLevelName;
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

/** One line per event on stderr: `error: ClickHouse client: <what>: <cause> (code=… type=… operation=… query_id=…)`. */
export function lineLogger(write: (line: string) => void = (line) => process.stderr.write(line)): ClickHouseLogger {
  const emit = (level: string) => (message: string, fields: ClickHouseLogFields = {}) => {
    const { error, ...rest } = fields;
    const details = Object.entries(rest)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k}=${oneLine(String(v))}`)
      .join(" ");
    write(`${level}: ${oneLine(message)}${error !== undefined ? `: ${oneLine(String(error))}` : ""}${details ? ` (${details})` : ""}\n`);
  };
  return { debug: emit("debug"), warn: emit("warn"), error: emit("error") };
}

let defaultLogger: { logger: ClickHouseLogger; level: ClickHouseLogLevelName } = { logger: lineLogger(), level: "warn" };

/**
 * The logger (and level) of clients opened without one: a process that has its own log format
 * (the ingester's CLI: JSON lines) sets it once at start. Without a call: `lineLogger()` at `warn`.
 */
export function setDefaultClickHouseLogger(logger: ClickHouseLogger, level: ClickHouseLogLevelName = "warn"): void {
  defaultLogger = { logger, level };
}

const LIBRARY_LEVEL = { debug: ClickHouseLogLevel.DEBUG, warn: ClickHouseLogLevel.WARN, error: ClickHouseLogLevel.ERROR, off: ClickHouseLogLevel.OFF } as const;
const MAX_ERROR_CHARS = 1_000;

/** The `log` option of createClient: the library instantiates `LoggerClass` itself (no arguments). */
function libraryLog(target: ClickHouseTarget): { LoggerClass: new () => LibraryLogger; level: ClickHouseLogLevel } {
  const logger = target.logger ?? defaultLogger.logger;
  const level = target.logLevel ?? (target.logger ? "warn" : defaultLogger.level);
  class Routed implements LibraryLogger {
    trace(params: LogParams): void {
      logger.debug(messageOf(params), fieldsOf(params));
    }
    debug(params: LogParams): void {
      logger.debug(messageOf(params), fieldsOf(params));
    }
    info(params: LogParams): void {
      logger.debug(messageOf(params), fieldsOf(params));
    }
    warn(params: WarnLogParams): void {
      logger.warn(messageOf(params), fieldsOf(params));
    }
    error(params: ErrorLogParams): void {
      logger.error(messageOf(params), fieldsOf(params));
    }
  }
  return { LoggerClass: Routed, level: LIBRARY_LEVEL[level] };
}

function messageOf(params: LogParams): string {
  return `ClickHouse client: ${params.message.trim().replace(/\.$/, "")}`;
}

/** The cause (message, code, ClickHouse error type) and the request's identity; no stack, no settings, no secrets. */
function fieldsOf(params: LogParams & { err?: Error }): ClickHouseLogFields {
  const fields: ClickHouseLogFields = {};
  const err = params.err as (Error & { code?: unknown; type?: unknown }) | undefined;
  if (err) {
    const message = (err.message || String(err)).trim();
    fields.error = message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message;
    if (typeof err.code === "string" || typeof err.code === "number") fields.code = String(err.code);
    if (typeof err.type === "string") fields.type = err.type;
  }
  const args = params.args ?? {};
  if (typeof args.operation === "string") fields.operation = args.operation;
  if (typeof args.query_id === "string") fields.query_id = args.query_id;
  fields.module = params.module;
  return fields;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

export async function openClickHouse(target: ClickHouseTarget): Promise<ClickHouseHandle> {
  validateClickHouseUrl(target.url);
  if (isEmbeddedUrl(target.url)) return openEmbedded(embeddedPath(target.url), target);
  const client = createClient({
    log: libraryLog(target),
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

async function openEmbedded(path: string, target: ClickHouseTarget): Promise<ClickHouseHandle> {
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
  const client = createClient({ connection: connection as never, clickhouse_settings: target.settings, log: libraryLog(target) });
  return {
    client,
    kind: "embedded",
    close: async () => {
      await client.close();
      await chdb.drainPending();
    },
  };
}
