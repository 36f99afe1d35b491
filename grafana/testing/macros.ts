// What a panel's or alert's SQL becomes before ClickHouse sees it, reproduced so tests can run
// exactly that text on the embedded engine (docs/grafana.md, "Macro expansion"):
//   1. in the browser, Grafana replaces dashboard variables (`${product:singlequote}`);
//   2. in the plugin backend, grafana-clickhouse-datasource 4.20.0 expands `$__` macros with
//      pkg/macros/macros.go (tag v4.20.0, commit 973c4a50), which runs github.com/grafana/macropro
//      v1.0.1 (parser.go, macropro.go, defaults.go). This file ports both, line for line where it
//      matters: comment stripping, greedy macro names, nested macros expanded innermost first,
//      argument splitting, and the ClickHouse handlers.
// Alert rules skip step 1: they have no dashboard, so their SQL must not contain variables.

/** The query context the plugin builds from a Grafana request (macros.go contextFrom). */
export interface MacroContext {
  readonly from: Date;
  readonly to: Date;
  /** The panel's interval (Grafana's intervalMs); alert queries send their model's intervalMs. */
  readonly intervalMs: number;
  readonly table?: string;
  readonly column?: string;
}

/** A dashboard variable's current value: one value, or the list a multi-value/"All" selection gives. */
export type VariableValue = string | readonly string[];

export interface ExpandOptions extends MacroContext {
  /** Dashboard variables by name; omit for alert queries (they have none). */
  readonly variables?: Readonly<Record<string, VariableValue>>;
}

/** Step 1 then step 2: the SQL text the plugin sends to ClickHouse for this panel or alert query. */
export function expandMacros(sql: string, options: ExpandOptions): string {
  const withVariables = options.variables ? interpolateVariables(sql, options.variables) : sql;
  return interpolateMacros(withVariables, options);
}

// ---------------------------------------------------------------------------------------------
// Step 1: Grafana's variable interpolation (the parts our dashboards use).
// `${name:singlequote}` uses Scenes' formatRegistry (grafana/scenes
// packages/scenes/src/variables/interpolation/formatRegistry.ts): each value wrapped in single
// quotes, a ' inside escaped as \', joined by ','. A variable without a format uses the ClickHouse
// plugin's own formatter (src/data/CHDatasource.ts `format`): arrays as 'a','b', strings as-is.
// "All" without a custom all value is the list of every option's value (Scenes
// MultiValueVariable.getValue), so callers pass that list.

// Scenes' VARIABLE_REGEX (packages/scenes/src/variables/constants.ts): $var, [[var:fmt]], ${var.path:fmt}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)((?:\.[^:^{}\[\]]+|\["[^"]*"\]|\['[^']*'\]|\[[^\]"']*\])*)(?::([^}]+))?\}/g;

export function interpolateVariables(sql: string, variables: Readonly<Record<string, VariableValue>>): string {
  return sql.replace(VARIABLE, (match, plain?: string, bracket?: string, bracketFormat?: string, braced?: string, _path?: string, bracedFormat?: string) => {
    const name = plain ?? bracket ?? braced!;
    const format = bracketFormat ?? bracedFormat;
    const value = variables[name];
    // Unknown names (including the plugin's $__ macros) are left for the backend, as Grafana does.
    if (value === undefined) return match;
    return formatVariable(name, value, format);
  });
}

function formatVariable(name: string, value: VariableValue, format: string | undefined): string {
  switch (format) {
    case undefined:
      return typeof value === "string" ? value : `'${value.join("','")}'`;
    case "singlequote": {
      const quote = (v: string) => `'${v.replace(/'/g, "\\'")}'`;
      return typeof value === "string" ? quote(value) : value.map(quote).join(",");
    }
    case "raw":
      return typeof value === "string" ? value : value.join(",");
    default:
      throw new Error(`Variable ${name} uses format "${format}", which this interpolator does not implement: use :singlequote (or none)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Step 2: macropro.Interpolate with the ClickHouse macro map and comment styles
// LineComment | BlockComment | BackslashEscape (macros.go clickHouseComments).

const PREFIX = "$__";

type MacroHandler = (ctx: MacroContext, args: string[]) => string;

class MacroError extends Error {}

/** macropro.Interpolate(rawSQL, ClickHouseMacros, ctx, WithComments(Line|Block|BackslashEscape)). */
export function interpolateMacros(query: string, ctx: MacroContext): string {
  // No prefix anywhere: the query comes back untouched (comments included).
  if (!query.includes(PREFIX)) return query;
  const work = stripComments(query);
  // The prefix only appeared inside comments: the stripped copy is returned.
  if (!work.includes(PREFIX)) return work;
  return expandAll(work, ctx);
}

function expandAll(work: string, ctx: MacroContext): string {
  let out = "";
  let i = 0;
  while (i < work.length) {
    const rel = work.indexOf(PREFIX, i);
    if (rel < 0) {
      out += work.slice(i);
      break;
    }
    out += work.slice(i, rel);
    i = rel;
    const nameStart = i + PREFIX.length;
    let nameEnd = nameStart;
    while (nameEnd < work.length && isNameChar(work.charCodeAt(nameEnd))) nameEnd++;
    if (nameStart === nameEnd) {
      out += PREFIX;
      i = nameStart;
      continue;
    }
    const name = work.slice(nameStart, nameEnd);
    const handler = Object.prototype.hasOwnProperty.call(CLICKHOUSE_MACROS, name) ? CLICKHOUSE_MACROS[name] : undefined;
    if (!handler) {
      // Unknown macro (e.g. $__conditionalAll, expanded only in the browser): copied through.
      out += work.slice(i, nameEnd);
      i = nameEnd;
      continue;
    }
    let raw = "";
    let after = nameEnd;
    if (after < work.length && work[after] === "(") {
      const end = findClosingParen(work, after);
      if (end >= 0) {
        raw = work.slice(after + 1, end);
        after = end + 1;
      }
      // Unbalanced parentheses: a zero-argument call, the text after it is scanned on.
    }
    // macropro v1.0.1 (#20): macros inside the arguments expand first, innermost first.
    if (raw.includes(PREFIX)) raw = expandAll(raw, ctx);
    const args = parseArgs(raw, name);
    let replacement: string;
    try {
      replacement = handler(ctx, args);
    } catch (err) {
      throw new MacroError(`macro ${PREFIX}${name}(${args.join(", ")}): ${(err as Error).message}`);
    }
    out += replacement;
    i = after;
  }
  return out;
}

function isNameChar(c: number): boolean {
  return c === 95 /* _ */ || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}

/** Index of the ')' closing the '(' at `open`, skipping quoted strings; -1 when unbalanced. */
function findClosingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; ) {
    const c = s[i];
    if (c === "'" || c === '"') {
      i = scanStringLiteral(s, i);
      continue;
    }
    if (c === "(") depth++;
    if (c === ")") {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  return -1;
}

/** Top-level comma split of a macro's argument text, each argument trimmed. */
function parseArgs(rawText: string, macro: string): string[] {
  const raw = rawText.trim();
  if (raw === "") return [];
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < raw.length; ) {
    const c = raw[i];
    if (c === "'" || c === '"') {
      i = scanStringLiteral(raw, i);
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0) throw new MacroError(`macro ${PREFIX}${macro}: unexpected ')' at position ${i}`);
      depth--;
    } else if (c === "," && depth === 0) {
      args.push(raw.slice(start, i).trim());
      start = i + 1;
    }
    i++;
  }
  if (depth !== 0) throw new MacroError(`macro ${PREFIX}${macro}: unbalanced parentheses in arguments`);
  args.push(raw.slice(start).trim());
  return args;
}

/** Past a quoted literal starting at `pos` ('' and "" are escapes); the end of input when unterminated. */
function scanStringLiteral(s: string, pos: number): number {
  const quote = s[pos];
  let j = pos + 1;
  while (j < s.length) {
    if (s[j] === quote) {
      if (j + 1 < s.length && s[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return j;
}

/** As scanStringLiteral, plus backslash escapes (BackslashEscape), used while stripping comments. */
function scanStringLiteralBackslash(s: string, pos: number): number {
  const quote = s[pos];
  let j = pos + 1;
  while (j < s.length) {
    if (s[j] === "\\" && j + 1 < s.length) {
      j += 2;
      continue;
    }
    if (s[j] === quote) {
      if (j + 1 < s.length && s[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return j;
}

/**
 * macropro.StripComments(query, LineComment|BlockComment|BackslashEscape): `--` and `/* *\/`
 * comments outside quoted strings become spaces of the same length (so positions stay right); an
 * unterminated block comment blanks the rest of the query.
 */
export function stripComments(query: string): string {
  // Fast path: nothing that could start a comment.
  if (!/[-/]/.test(query)) return query;
  let out = "";
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (c === "'" || c === '"') {
      const j = scanStringLiteralBackslash(query, i);
      out += query.slice(i, j);
      i = j;
    } else if (c === "-" && query[i + 1] === "-") {
      const j = scanToLineEnd(query, i);
      out += " ".repeat(j - i);
      i = j;
    } else if (c === "/" && query[i + 1] === "*") {
      let j = i + 2;
      while (j < query.length) {
        if (j + 1 < query.length && query[j] === "*" && query[j + 1] === "/") {
          j += 2;
          break;
        }
        j++;
      }
      out += " ".repeat(j - i);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function scanToLineEnd(s: string, start: number): number {
  let j = start;
  while (j < s.length && s[j] !== "\n" && s[j] !== "\r") j++;
  return j;
}

// ---------------------------------------------------------------------------------------------
// The handlers: macropro.DefaultMacros merged with the ClickHouse overrides (macros.go
// ClickHouseMacros). The plugin process formats dates in its local zone (time.Unix); the
// official Grafana image runs in UTC, which is what this uses.

const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);
const toDateTime = (d: Date) => `toDateTime(${unixSeconds(d)})`;
const toDateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const toDate = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;
/** Go's int(math.Max(d.Seconds(), 1)): whole seconds, at least 1. */
const intervalSeconds = (ms: number) => Math.trunc(Math.max(ms / 1000, 1));

function expectArgs(macro: string, want: number, args: string[]): void {
  if (args.length !== want) throw new Error(`bad argument count: ${PREFIX}${macro} expected ${want} argument(s), received ${args.length}`);
}

/** Go's time.ParseDuration (what $__timeGroup's period goes through), in seconds. */
function parseGoDurationSeconds(text: string): number {
  if (/^[-+]?0$/.test(text)) return 0;
  const m = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$/.exec(text);
  if (!m) throw new Error(`$__timeGroup: invalid interval "${text}": time: invalid duration "${text}"`);
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g)) total += Number(part[1]) * units[part[2]!]!;
  return m[1] === "-" ? -total : total;
}

/** Go's FormatDuration in macropro defaults.go ($__interval): largest whole unit. */
function formatDuration(ms: number): string {
  let d = Math.abs(ms);
  if (d === 0) return "0s";
  if (d % 3_600_000 === 0) return `${d / 3_600_000}h`;
  if (d % 60_000 === 0) return `${d / 60_000}m`;
  if (d % 1000 === 0) return `${d / 1000}s`;
  d = Math.trunc(d);
  return `${d}ms`;
}

export const CLICKHOUSE_MACROS: Readonly<Record<string, MacroHandler>> = {
  // macropro defaults kept as-is by the plugin
  interval: (ctx) => formatDuration(ctx.intervalMs),
  interval_ms: (ctx) => String(Math.trunc(ctx.intervalMs)),
  table: (ctx) => {
    if (!ctx.table) throw new Error("$__table: no table name in query context");
    return ctx.table;
  },
  column: (ctx) => {
    if (!ctx.column) throw new Error("$__column: no column name in query context");
    return ctx.column;
  },
  // ClickHouse overrides and extensions (macros.go)
  timeFilter: (ctx, args) => {
    expectArgs("timeFilter", 1, args);
    const col = args[0]!;
    return `${col} >= ${toDateTime(ctx.from)} AND ${col} <= ${toDateTime(ctx.to)}`;
  },
  timeFrom: (ctx, args) => {
    expectArgs("timeFrom", 1, args);
    return `${args[0]} >= ${toDateTime(ctx.from)}`;
  },
  timeTo: (ctx, args) => {
    expectArgs("timeTo", 1, args);
    return `${args[0]} <= ${toDateTime(ctx.to)}`;
  },
  timeGroup: (_ctx, args) => {
    expectArgs("timeGroup", 2, args);
    const col = args[0]!.trim();
    const period = args[1]!.trim().replace(/^['"]+|['"]+$/g, "");
    const secs = Math.round(parseGoDurationSeconds(period));
    if (secs <= 0) throw new Error(`$__timeGroup: interval must be positive, got "${period}"`);
    return `toStartOfInterval(toDateTime(${col}), INTERVAL ${secs} second)`;
  },
  fromTime: (ctx) => toDateTime(ctx.from),
  toTime: (ctx) => toDateTime(ctx.to),
  fromTime_ms: (ctx) => toDateTime64(ctx.from),
  toTime_ms: (ctx) => toDateTime64(ctx.to),
  timeFilter_ms: (ctx, args) => {
    expectArgs("timeFilter_ms", 1, args);
    const col = args[0]!;
    return `${col} >= ${toDateTime64(ctx.from)} AND ${col} <= ${toDateTime64(ctx.to)}`;
  },
  dateFilter: (ctx, args) => {
    expectArgs("dateFilter", 1, args);
    const col = args[0]!;
    return `${col} >= ${toDate(ctx.from)} AND ${col} <= ${toDate(ctx.to)}`;
  },
  dateTimeFilter: (ctx, args) => dateTimeFilter("dateTimeFilter", ctx, args),
  dt: (ctx, args) => dateTimeFilter("dateTimeFilter", ctx, args),
  timeInterval: (ctx, args) => {
    expectArgs("timeInterval", 1, args);
    return `toStartOfInterval(toDateTime(${args[0]}), INTERVAL ${intervalSeconds(ctx.intervalMs)} second)`;
  },
  timeInterval_ms: (ctx, args) => {
    expectArgs("timeInterval_ms", 1, args);
    return `toStartOfInterval(toDateTime64(${args[0]}, 3), INTERVAL ${Math.trunc(Math.max(ctx.intervalMs, 1))} millisecond)`;
  },
  interval_s: (ctx) => String(intervalSeconds(ctx.intervalMs)),
};

function dateTimeFilter(macro: string, ctx: MacroContext, args: string[]): string {
  expectArgs(macro, 2, args);
  const [dateCol, timeCol] = args as [string, string];
  const dateFilter = `(${dateCol} >= ${toDate(ctx.from)} AND ${dateCol} <= ${toDate(ctx.to)})`;
  const timeFilter = `(${timeCol} >= ${toDateTime(ctx.from)} AND ${timeCol} <= ${toDateTime(ctx.to)})`;
  return `${dateFilter} AND ${timeFilter}`;
}
