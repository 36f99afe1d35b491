// Runs one named query (sql/queries) with its parameters and returns ClickHouse's columns and
// rows, and prints results as a person reads them: an aligned table, CSV or JSON. Used by
// `npm run query` (queryCli.ts); the query files stay the one source of truth.
import type { ClickHouseClient } from "@clickhouse/client";
import type { NamedQuery, QueryParamName } from "./queries";

export interface QueryWindow {
  /** Epoch ms. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Product ids; empty = every product. */
  readonly products: readonly string[];
}

export interface QueryResult {
  readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  readonly rows: ReadonlyArray<readonly unknown[]>;
}

/** `15m`, `6h`, `2d` ago (`-15m` too, written `--from=-15m`: a bare leading dash reads as an option). */
const RELATIVE = /^-?(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A time argument: `now`, a time ago (`30m`, `6h`, `2d` before `nowMs`), or an ISO time
 * (`2026-11-30T10:00:00Z`, `2026-11-30 10:00`, read as UTC without a zone). Throws naming the option.
 */
export function parseTime(text: string, option: string, nowMs: number): number {
  if (text === "now") return nowMs;
  const relative = RELATIVE.exec(text);
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  const iso = ISO_TIME.exec(text);
  const ms = iso ? Date.parse(`${iso[1]}T${iso[2] ?? "00:00"}${iso[3] ?? ""}${iso[4] ?? "Z"}`) : NaN;
  if (Number.isNaN(ms)) throw new Error(`${option} "${text}": expected now, a time ago such as 30m, 6h or 2d, or a UTC time such as 2026-11-30T10:00:00Z`);
  return ms;
}

/** date, [T or space + hh:mm], [:ss[.fff]], [zone]. */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** ClickHouse's DateTime text (UTC, whole seconds) for a query parameter. */
export function dateTimeParam(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().slice(0, 19).replace("T", " ");
}

/** The query's parameters from a window: only those it declares. */
export function paramsFor(query: NamedQuery, window: QueryWindow): Record<string, unknown> {
  const all: Record<QueryParamName, unknown> = { from: dateTimeParam(window.fromMs), to: dateTimeParam(window.toMs), products: [...window.products] };
  return Object.fromEntries(query.params.map((p) => [p, all[p]]));
}

export async function runQuery(client: ClickHouseClient, query: NamedQuery, window: QueryWindow): Promise<QueryResult> {
  const result = await client.query({
    query: query.sql,
    query_params: paramsFor(query, window),
    format: "JSONCompactEachRowWithNamesAndTypes",
    // The window's text is UTC; without this the server (and the embedded engine: the process's
    // TZ) would read it in its own time zone.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, session_timezone: "UTC" },
  });
  const lines = (await result.text()).split("\n").filter((l) => l.length > 0);
  const [names, types, ...rows] = lines.map((l) => JSON.parse(l) as unknown[]);
  return { columns: (names ?? []).map((n, i) => ({ name: String(n), type: String(types?.[i] ?? "") })), rows };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(10)));
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

const NUMERIC = /^(Nullable\()?(U?Int|Float|Decimal)/;

/** An aligned text table, numbers right-aligned; at most `limit` rows (0 = all), the rest counted below it. */
export function formatTable(result: QueryResult, limit = 0): string {
  const shown = limit > 0 ? result.rows.slice(0, limit) : result.rows;
  const cells = shown.map((row) => row.map(cellText));
  const widths = result.columns.map((c, i) => Math.max(c.name.length, ...cells.map((r) => r[i]!.length)));
  const right = result.columns.map((c) => NUMERIC.test(c.type));
  const line = (values: string[]) => values.map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ").trimEnd();
  const out = [line(result.columns.map((c) => c.name)), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  const hidden = result.rows.length - shown.length;
  out.push(hidden > 0 ? `(${result.rows.length} rows, ${hidden} not shown: --limit 0 shows all)` : `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`);
  return out.join("\n");
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "number" ? String(value) : JSON.stringify(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header row. */
export function formatCsv(result: QueryResult): string {
  return [result.columns.map((c) => csvCell(c.name)), ...result.rows.map((r) => r.map(csvCell))].map((r) => r.join(",")).join("\n");
}

/** One JSON object per row (keys = column names), one per line. */
export function formatJson(result: QueryResult): string {
  return result.rows.map((r) => JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c.name, r[i]])))).join("\n");
}
