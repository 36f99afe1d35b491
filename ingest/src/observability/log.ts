// Structured logs on stdout, one event per line: a JSON object (containers, files, pipes) or, on a
// terminal, a readable line with the same fields. Callers pass fields, never secrets.
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const LOG_FORMATS = ["auto", "json", "text"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function createLogger(
  level: LogLevel = "info",
  write: (line: string) => void = (line) => process.stdout.write(line),
  format: Exclude<LogFormat, "auto"> = "json",
): Logger {
  const min = RANK[level];
  const render = format === "text" ? textLine : jsonLine;
  const emit = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    write(`${render(new Date(), lvl, msg, fields ?? {})}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** `auto`: readable lines on a terminal, JSON anywhere else (a container's log, a pipe, a file). */
export function resolveLogFormat(format: LogFormat, isTerminal: boolean): Exclude<LogFormat, "auto"> {
  return format === "auto" ? (isTerminal ? "text" : "json") : format;
}

function jsonLine(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  return JSON.stringify({ time: time.toISOString(), level, msg, ...fields }, errorReplacer);
}

/** `12:00:05 info  progress received=1200 stored=1188 source="connected"` (UTC time of day). */
function textLine(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined) // as JSON.stringify leaves them out of a json line
    .map(([key, value]) => {
    const text = typeof value === "string" && /^[\w.:/@+-]*$/.test(value) ? value : JSON.stringify(value, errorReplacer);
    return `${key}=${text}`;
  });
  return [time.toISOString().slice(11, 19), level.padEnd(5), msg, ...parts].join(" ");
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/**
 * The lowest level of @clickhouse/client's own events worth passing to this log at `level`: its
 * info events only announce its log level, so `info` passes its warnings and errors.
 */
export function clientLibraryLevel(level: LogLevel): "debug" | "warn" | "error" {
  return level === "debug" ? "debug" : level === "error" ? "error" : "warn";
}
