// Turns a sql/queries file into the SQL of a Superset virtual dataset: each ClickHouse query
// parameter becomes a Jinja expression Superset fills per chart request.
//
// Jinja context names, read from the apache-superset 6.1.0 wheel (docs/superset.md):
// - models/helpers.py get_sqla_query: template_kwargs "from_dttm"/"to_dttm" are
//   `datetime.isoformat()` strings (e.g. "2026-11-24T12:00:00"), or None without a time filter.
// - jinja_context.py: `filter_values(column)` is the list of values the chart's filters (native
//   filters included) give for that column; the `where_in` filter renders a list as a
//   dialect-quoted "('a', 'b')" (or "()" when empty).
// Templating only runs with FEATURE_FLAGS["ENABLE_TEMPLATE_PROCESSING"] (superset_config.py).
import { loadQuery, renderQuery, type NamedQuery, type QueryParamName } from "../../sql/src/queries";

/** Window a dataset covers when the chart sets no time range (SQL Lab previews, filter options). */
export const DEFAULT_WINDOW_HOURS = 24;

export const SUPERSET_PARAM_SQL: Record<QueryParamName, string> = {
  from:
    "{% if from_dttm %}parseDateTimeBestEffort('{{ from_dttm }}', 'UTC')" +
    `{% else %}(now() - INTERVAL ${DEFAULT_WINDOW_HOURS} HOUR){% endif %}`,
  to: "{% if to_dttm %}parseDateTimeBestEffort('{{ to_dttm }}', 'UTC'){% else %}now(){% endif %}",
  // ClickHouse's array(...) function: array() is the empty array, which the queries read as
  // "every product"; where_in quotes each value with the database dialect's literal rules.
  products: "array{{ filter_values('product_id') | where_in }}",
};

/** The query's SQL with Superset Jinja in place of its `{param:Type}` placeholders. */
export function supersetSql(query: NamedQuery): string {
  return renderQuery(query, SUPERSET_PARAM_SQL);
}

export function supersetSqlFor(name: string): string {
  return supersetSql(loadQuery(name));
}
