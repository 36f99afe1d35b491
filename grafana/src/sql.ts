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

export interface RenderOptions {
  /** Keep only these columns of the query, in this order (the query runs as a subquery). */
  readonly select?: readonly string[];
  /** Reduce the query to one row: `fn(column) AS name` over all its rows (alerts). */
  readonly aggregate?: { readonly fn: "sum" | "max" | "min"; readonly column: string; readonly as?: string };
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
  if (options.select) {
    const columns = options.select.map((c) => columnOf(query, c));
    return { query, columns, sql: `SELECT ${options.select.join(", ")}\nFROM\n(\n${sql}\n)` };
  }
  if (options.aggregate) {
    const { fn, column } = options.aggregate;
    const as = options.aggregate.as ?? column;
    const source = columnOf(query, column);
    return { query, columns: [{ name: as, type: aggregateType(fn, source.type) }], sql: `SELECT ${fn}(${column}) AS ${as}\nFROM\n(\n${sql}\n)` };
  }
  return { query, columns: query.columns, sql };
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
