// Panel and alert SQL, always taken from sql/queries via renderQuery: the placeholders become
// Grafana macros, and a panel that needs fewer columns (or one number, for an alert) wraps the
// rendered query instead of copying it, so each question stays in one file.
import { loadQuery, renderQuery, type NamedQuery, type QueryColumn, type QueryParamName } from "../../sql/src/queries";

/** The dashboard variable every product-filtered panel reads. */
export const PRODUCT_VARIABLE = "product";

/**
 * Dashboards: the time picker through the plugin's macros, products through the variable.
 * `${product:singlequote}` gives 'BTC-USD','ETH-USD' (and every option's value for "All", since the
 * variable has no custom all value), so `[${product:singlequote}]` is the Array(String) the query's
 * has() needs (docs/grafana.md).
 */
export const DASHBOARD_REPLACEMENTS: Readonly<Record<QueryParamName, string>> = {
  from: "$__fromTime",
  to: "$__toTime",
  products: `[\${${PRODUCT_VARIABLE}:singlequote}]`,
};

/**
 * Alerts: no dashboard, so no variables. The rule's relativeTimeRange gives the plugin the time
 * range behind $__fromTime/$__toTime; products is the empty array, which the queries read as
 * "every product".
 */
export const ALERT_REPLACEMENTS: Readonly<Record<QueryParamName, string>> = {
  from: "$__fromTime",
  to: "$__toTime",
  products: "[]",
};

export interface RenderedQuery {
  /** The sql/queries file the SQL comes from. */
  readonly query: NamedQuery;
  readonly sql: string;
  /** The columns (with their declared ClickHouse types) the SQL returns, in order. */
  readonly columns: readonly QueryColumn[];
}

export interface Aggregate {
  readonly fn: "sum" | "max" | "min";
  readonly column: string;
  readonly as?: string;
}

export interface RenderOptions {
  /** Keep only these columns of the query, in this order (the query runs as a subquery). */
  readonly select?: readonly string[];
  /** Reduce the query to one row: `fn(column) AS name` over all its rows (alerts: exactly one; stats: one or more). */
  readonly aggregate?: Aggregate | readonly Aggregate[];
  /** Keep only the rows whose `column` (a label, e.g. a state) is one of `in`; with select or aggregate. */
  readonly where?: { readonly column: string; readonly in: readonly string[] };
}

export function renderForDashboard(name: string, options: RenderOptions = {}): RenderedQuery {
  return render(name, DASHBOARD_REPLACEMENTS, options);
}

export function renderForAlert(name: string, options: RenderOptions = {}): RenderedQuery {
  return render(name, ALERT_REPLACEMENTS, options);
}

function render(name: string, replacements: Readonly<Record<QueryParamName, string>>, options: RenderOptions): RenderedQuery {
  const query = loadQuery(name);
  const sql = renderQuery(query, replacements);
  if (options.select && options.aggregate) throw new Error(`Query ${name}: give either select or aggregate, not both`);
  const where = whereClause(query, options.where);
  if (options.select) {
    const columns = options.select.map((c) => columnOf(query, c));
    return { query, columns, sql: `SELECT ${options.select.join(", ")}\nFROM\n(\n${sql}\n)${where}` };
  }
  if (options.aggregate) {
    const aggregates: readonly Aggregate[] = "fn" in options.aggregate ? [options.aggregate as Aggregate] : (options.aggregate as readonly Aggregate[]);
    if (aggregates.length === 0) throw new Error(`Query ${name}: aggregate lists no column`);
    const columns = aggregates.map(({ fn, column, as }) => ({ name: as ?? column, type: aggregateType(fn, columnOf(query, column).type) }));
    const list = aggregates.map(({ fn, column }, i) => `${fn}(${column}) AS ${columns[i]!.name}`).join(", ");
    return { query, columns, sql: `SELECT ${list}\nFROM\n(\n${sql}\n)${where}` };
  }
  if (options.where) throw new Error(`Query ${name}: where needs select or aggregate`);
  return { query, columns: query.columns, sql };
}

/**
 * `WHERE column IN ('a', 'b')` over a string column of the query. The values are fixed words of
 * our own code (states, sources), never user input; anything else is refused rather than quoted.
 */
function whereClause(query: NamedQuery, where: RenderOptions["where"]): string {
  if (!where) return "";
  const column = columnOf(query, where.column);
  if (!/String/.test(column.type)) throw new Error(`Query ${query.name}: where needs a string column, ${column.name} is ${column.type}`);
  if (where.in.length === 0) throw new Error(`Query ${query.name}: where ${column.name} lists no value`);
  for (const v of where.in) if (!/^[a-z_]+$/.test(v)) throw new Error(`Query ${query.name}: where value "${v}" must be a lower-case word`);
  return `\nWHERE ${column.name} IN (${where.in.map((v) => `'${v}'`).join(", ")})`;
}

function columnOf(query: NamedQuery, name: string): QueryColumn {
  const column = query.columns.find((c) => c.name === name);
  if (!column) throw new Error(`Query ${query.name} has no column "${name}": it returns ${query.columns.map((c) => c.name).join(", ")}`);
  return column;
}

/** ClickHouse's result type of sum/max/min over a column of `type` (sum widens integers to 64 bits). */
function aggregateType(fn: "sum" | "max" | "min", type: string): string {
  const inner = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(type)?.[1] ?? type;
  if (fn !== "sum") return type;
  if (/^UInt/.test(inner)) return type.replace(inner, "UInt64");
  if (/^Int/.test(inner)) return type.replace(inner, "Int64");
  if (/^Float/.test(inner)) return type.replace(inner, "Float64");
  return type;
}
