// The Superset assets as code: one ClickHouse database connection, one virtual dataset per
// sql/queries file we chart, three charts and the dashboard. Pure data, no I/O: bundle.ts
// serializes it, importer.ts sends it. UUIDs are derived from stable names so re-imports
// overwrite the same objects (Superset's import matches on uuid).
import { createHash } from "node:crypto";
import { loadQuery, type NamedQuery } from "../../sql/src/queries";
import { supersetSql } from "./jinja";

/** Namespace for this project's asset UUIDs (UUID v5, RFC 9562 §5.5). */
const UUID_NAMESPACE = "6f1d3c2e-9a57-4c1b-8e0b-2f6a9d4c7b10";

export function assetUuid(name: string): string {
  const ns = Buffer.from(UUID_NAMESPACE.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Where Superset reaches ClickHouse (from inside Superset's network, e.g. the container name). */
export interface ClickHouseConnection {
  readonly host: string;
  readonly port: number;
  /** The read-only user, e.g. streamstack_superset. Its password is sent at import, never stored here. */
  readonly username: string;
  readonly database?: string;
  /** https instead of http (port 8443 on ClickHouse Cloud-style setups). */
  readonly secure?: boolean;
}

export const DATABASE_NAME = "streamstack ClickHouse";
export const DATABASE_FILE = "databases/streamstack_clickhouse.yaml";
/** What Superset's exports put where the password was; the real one arrives in `passwords`. */
export const PASSWORD_MASK = "XXXXXXXXXX";
export const DASHBOARD_SLUG = "streamstack-markets";
export const DASHBOARD_TITLE = "streamstack: markets";
export const REFRESH_SECONDS = 10;
/** The walk-through's "last 24 hours", in Superset's advanced time-range syntax (utils/date_parser.py). */
export const LAST_24_HOURS = 'DATEADD(DATETIME("now"), -24, hour) : now';

export function sqlalchemyUri(connection: ClickHouseConnection): string {
  const database = connection.database ?? "coinbase_demo";
  const user = encodeURIComponent(connection.username);
  const query = connection.secure ? "?secure=true" : "";
  return `clickhousedb://${user}:${PASSWORD_MASK}@${connection.host}:${connection.port}/${database}${query}`;
}

export interface DatasetColumn {
  readonly column_name: string;
  readonly type: string;
  readonly is_dttm: boolean;
  readonly groupby: boolean;
  readonly filterable: boolean;
  readonly is_active: boolean;
  readonly verbose_name: string | null;
  readonly description: string | null;
  readonly expression: string | null;
  readonly python_date_format: string | null;
  readonly extra: Record<string, unknown>;
}

export interface DatasetMetric {
  readonly metric_name: string;
  readonly verbose_name: string;
  readonly metric_type: string | null;
  readonly expression: string;
  readonly description: string;
  readonly d3format: string | null;
  readonly warning_text: string | null;
  readonly extra: Record<string, unknown>;
}

export interface DatasetAsset {
  readonly file: string;
  /** The sql/queries file the dataset's SQL comes from. */
  readonly query: string;
  readonly yaml: {
    readonly table_name: string;
    readonly main_dttm_col: string;
    readonly description: string;
    readonly default_endpoint: null;
    readonly offset: 0;
    readonly cache_timeout: null;
    readonly schema: string;
    readonly sql: string;
    readonly params: null;
    readonly template_params: null;
    readonly filter_select_enabled: true;
    readonly fetch_values_predicate: null;
    readonly extra: null;
    readonly normalize_columns: false;
    readonly always_filter_main_dttm: false;
    readonly uuid: string;
    readonly metrics: readonly DatasetMetric[];
    readonly columns: readonly DatasetColumn[];
    readonly version: "1.0.0";
    readonly database_uuid: string;
  };
}

export interface ChartAsset {
  readonly file: string;
  readonly datasetFile: string;
  readonly yaml: {
    readonly slice_name: string;
    readonly description: string;
    readonly certified_by: null;
    readonly certification_details: null;
    readonly viz_type: string;
    readonly params: Record<string, unknown>;
    /** What the chart data API runs for GET /api/v1/chart/<id>/data (JSON string, as exports store it). */
    readonly query_context: string;
    readonly cache_timeout: null;
    readonly uuid: string;
    readonly version: "1.0.0";
    readonly dataset_uuid: string;
  };
}

export interface Assets {
  readonly database: { readonly file: string; readonly yaml: Record<string, unknown> };
  readonly datasets: readonly DatasetAsset[];
  readonly charts: readonly ChartAsset[];
  readonly dashboard: { readonly file: string; readonly yaml: Record<string, unknown> };
}

function column(name: string, type: string): DatasetColumn {
  const temporal = /^(Nullable\()?DateTime/.test(type) || /^(Nullable\()?Date\b/.test(type);
  return {
    column_name: name,
    type,
    is_dttm: temporal,
    groupby: true,
    filterable: true,
    is_active: true,
    verbose_name: null,
    description: null,
    expression: null,
    python_date_format: null,
    extra: {},
  };
}

function metric(name: string, label: string, expression: string, description: string, d3format: string | null = null): DatasetMetric {
  return { metric_name: name, verbose_name: label, metric_type: null, expression, description, d3format, warning_text: null, extra: {} };
}

interface DatasetSpec {
  readonly query: string;
  readonly tableName: string;
  readonly timeColumn: string;
  readonly metrics: readonly DatasetMetric[];
}

// Metrics re-aggregate the query's rows correctly at any time grain at least as coarse as the
// query's own buckets: VWAP as sum(vwap*volume)/sum(volume) (= Σ price·size / Σ size), open as the
// earliest minute's open, and so on. A plain AVG(vwap) would weight quiet buckets like busy ones.
const DATASETS: readonly DatasetSpec[] = [
  {
    query: "vwap_5m",
    tableName: "streamstack_vwap_5m",
    timeColumn: "bucket",
    metrics: [
      metric("vwap", "VWAP", "sum(vwap * volume) / nullIf(sum(volume), 0)", "Volume-weighted average price over the grain (from 5-minute buckets).", ",.2f"),
      metric("volume", "Volume", "sum(volume)", "Traded size (base currency)."),
      metric("trades", "Trades", "sum(num_trades)", "Ticks with a traded size."),
    ],
  },
  {
    query: "ohlcv_1m",
    tableName: "streamstack_ohlcv_1m",
    timeColumn: "minute",
    metrics: [
      metric("open", "Open", "argMin(open, minute)", "First price of the grain.", ",.2f"),
      metric("high", "High", "max(high)", "Highest price of the grain.", ",.2f"),
      metric("low", "Low", "min(low)", "Lowest price of the grain.", ",.2f"),
      metric("close", "Close", "argMax(close, minute)", "Last price of the grain.", ",.2f"),
      metric("volume", "Volume", "sum(volume)", "Traded size (base currency)."),
    ],
  },
  {
    query: "ingestion_rate_per_minute",
    tableName: "streamstack_trades_per_minute",
    timeColumn: "minute",
    metrics: [
      metric("trades", "Trades", "sum(num_trades)", "Ticks with a traded size (the walk-through's trades per minute)."),
      metric("ticks", "Ticks", "sum(num_ticks)", "Every ticker message stored."),
      metric("volume", "Volume", "sum(volume)", "Traded size (base currency)."),
    ],
  },
];

function datasetAsset(spec: DatasetSpec, databaseUuid: string, schema: string): DatasetAsset {
  const query: NamedQuery = loadQuery(spec.query);
  const columns = query.columns.map((c) => column(c.name, c.type));
  if (!columns.some((c) => c.column_name === spec.timeColumn && c.is_dttm)) {
    throw new Error(`sql/queries/${spec.query}.sql declares no DateTime column "${spec.timeColumn}": the dataset needs it as its time column`);
  }
  if (!columns.some((c) => c.column_name === "product_id")) {
    throw new Error(`sql/queries/${spec.query}.sql returns no product_id column: the dashboard's product filter needs it`);
  }
  return {
    file: `datasets/streamstack_clickhouse/${spec.tableName}.yaml`,
    query: spec.query,
    yaml: {
      table_name: spec.tableName,
      main_dttm_col: spec.timeColumn,
      description: `${query.description} Generated from sql/queries/${spec.query}.sql; edit that file, not this dataset.`,
      default_endpoint: null,
      offset: 0,
      cache_timeout: null,
      schema,
      sql: supersetSql(query),
      params: null,
      template_params: null,
      filter_select_enabled: true,
      fetch_values_predicate: null,
      extra: null,
      normalize_columns: false,
      always_filter_main_dttm: false,
      uuid: assetUuid(`dataset:${spec.tableName}`),
      metrics: spec.metrics,
      columns,
      version: "1.0.0",
      database_uuid: databaseUuid,
    },
  };
}

interface TimeseriesSpec {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly vizType: "echarts_timeseries_line" | "echarts_timeseries_bar";
  readonly dataset: DatasetAsset;
  readonly timeGrain: "PT1M" | "PT5M";
  readonly metrics: readonly string[];
  readonly extraParams?: Record<string, unknown>;
}

/**
 * A time-series chart's form data (`params`) and the query context the front end would build
 * from it (buildQuery of the ECharts timeseries plugin): x axis = the dataset's time column at
 * the grain, one series per product, the last 24 h.
 */
function timeseriesChart(spec: TimeseriesSpec): ChartAsset {
  const timeColumn = spec.dataset.yaml.main_dttm_col;
  const params: Record<string, unknown> = {
    viz_type: spec.vizType,
    x_axis: timeColumn,
    time_grain_sqla: spec.timeGrain,
    x_axis_sort_asc: true,
    metrics: [...spec.metrics],
    groupby: ["product_id"],
    adhoc_filters: [
      { clause: "WHERE", subject: timeColumn, operator: "TEMPORAL_RANGE", comparator: LAST_24_HOURS, expressionType: "SIMPLE" },
    ],
    order_desc: true,
    row_limit: 10000,
    truncate_metric: true,
    show_empty_columns: true,
    comparison_type: "values",
    annotation_layers: [],
    forecastPeriods: 10,
    forecastInterval: 0.8,
    x_axis_title_margin: 15,
    y_axis_title_margin: 15,
    y_axis_title_position: "Left",
    sort_series_type: "sum",
    color_scheme: "supersetColors",
    show_legend: true,
    legendType: "scroll",
    legendOrientation: "top",
    x_axis_time_format: "smart_date",
    rich_tooltip: true,
    tooltipTimeFormat: "smart_date",
    y_axis_format: "SMART_NUMBER",
    truncateXAxis: true,
    y_axis_bounds: [null, null],
    extra_form_data: {},
    dashboards: [],
    ...spec.extraParams,
  };
  const queryContext = {
    datasource: { id: 0, type: "table" },
    force: false,
    queries: [
      {
        filters: [{ col: timeColumn, op: "TEMPORAL_RANGE", val: LAST_24_HOURS }],
        extras: { time_grain_sqla: spec.timeGrain, having: "", where: "" },
        applied_time_extras: {},
        columns: [
          { timeGrain: spec.timeGrain, columnType: "BASE_AXIS", sqlExpression: timeColumn, label: timeColumn, expressionType: "SQL" },
          "product_id",
        ],
        metrics: [...spec.metrics],
        orderby: [[spec.metrics[0], false]],
        annotation_layers: [],
        row_limit: 10000,
        series_columns: ["product_id"],
        series_limit: 0,
        order_desc: true,
        url_params: {},
        custom_params: {},
        custom_form_data: {},
        time_offsets: [],
        post_processing: [
          {
            operation: "pivot",
            options: {
              index: [timeColumn],
              columns: ["product_id"],
              aggregates: Object.fromEntries(spec.metrics.map((m) => [m, { operator: "mean" }])),
              drop_missing_columns: false,
            },
          },
          // One metric: drop its name from the series labels ("vwap, BTC-USD" → "BTC-USD"),
          // as the ECharts plugin's renameOperator does.
          ...(spec.metrics.length === 1 ? [{ operation: "rename", options: { columns: { [spec.metrics[0]!]: null }, level: 0, inplace: true } }] : []),
          { operation: "flatten" },
        ],
      },
    ],
    form_data: params,
    result_format: "json",
    result_type: "full",
  };
  return {
    file: `charts/${spec.key}.yaml`,
    datasetFile: spec.dataset.file,
    yaml: {
      slice_name: spec.name,
      description: spec.description,
      certified_by: null,
      certification_details: null,
      viz_type: spec.vizType,
      params,
      query_context: JSON.stringify(queryContext),
      cache_timeout: null,
      uuid: assetUuid(`chart:${spec.key}`),
      version: "1.0.0",
      dataset_uuid: spec.dataset.yaml.uuid,
    },
  };
}

function dashboardAsset(charts: readonly ChartAsset[], filterDataset: DatasetAsset): { file: string; yaml: Record<string, unknown> } {
  const position: Record<string, unknown> = {
    DASHBOARD_VERSION_KEY: "v2",
    ROOT_ID: { type: "ROOT", id: "ROOT_ID", children: ["GRID_ID"] },
    GRID_ID: { type: "GRID", id: "GRID_ID", children: [] as string[], parents: ["ROOT_ID"] },
    HEADER_ID: { id: "HEADER_ID", type: "HEADER", meta: { text: DASHBOARD_TITLE } },
  };
  const grid = position.GRID_ID as { children: string[] };
  charts.forEach((chart, i) => {
    const rowId = `ROW-streamstack-${i + 1}`;
    const chartKey = `CHART-streamstack-${i + 1}`;
    grid.children.push(rowId);
    position[rowId] = {
      type: "ROW",
      id: rowId,
      children: [chartKey],
      parents: ["ROOT_ID", "GRID_ID"],
      meta: { background: "BACKGROUND_TRANSPARENT" },
    };
    position[chartKey] = {
      type: "CHART",
      id: chartKey,
      children: [],
      parents: ["ROOT_ID", "GRID_ID", rowId],
      // chartId is a placeholder the import replaces with the real id (matched by uuid).
      meta: { width: 12, height: 50, chartId: i + 1, uuid: chart.yaml.uuid, sliceName: chart.yaml.slice_name },
    };
  });
  const productFilter = {
    id: "NATIVE_FILTER-streamstack-product",
    name: "Product",
    filterType: "filter_select",
    type: "NATIVE_FILTER",
    description: "Coinbase product(s) to show; empty shows every product.",
    targets: [{ datasetUuid: filterDataset.yaml.uuid, column: { name: "product_id" } }],
    controlValues: {
      enableEmptyFilter: false,
      defaultToFirstItem: false,
      multiSelect: true,
      searchAllOptions: false,
      inverseSelection: false,
    },
    defaultDataMask: { extraFormData: {}, filterState: {}, ownState: {} },
    cascadeParentIds: [],
    scope: { rootPath: ["ROOT_ID"], excluded: [] },
    chartsInScope: [],
    tabsInScope: [],
  };
  return {
    file: "dashboards/streamstack_markets.yaml",
    yaml: {
      dashboard_title: DASHBOARD_TITLE,
      description: null,
      css: "",
      slug: DASHBOARD_SLUG,
      certified_by: null,
      certification_details: null,
      published: true,
      uuid: assetUuid("dashboard:markets"),
      position,
      metadata: {
        refresh_frequency: REFRESH_SECONDS,
        timed_refresh_immune_slices: [],
        expanded_slices: {},
        color_scheme: "supersetColors",
        label_colors: {},
        shared_label_colors: [],
        map_label_colors: {},
        color_scheme_domain: [],
        cross_filters_enabled: true,
        native_filter_configuration: [productFilter],
        chart_configuration: {},
        global_chart_configuration: { scope: { rootPath: ["ROOT_ID"], excluded: [] }, chartsInScope: [] },
        default_filters: "{}",
        filter_scopes: {},
      },
      version: "1.0.0",
    },
  };
}

export function buildAssets(connection: ClickHouseConnection): Assets {
  if (!connection.host) throw new Error("ClickHouse host is empty: give the host Superset reaches ClickHouse at (e.g. the container name)");
  if (!Number.isInteger(connection.port) || connection.port <= 0 || connection.port > 65535) {
    throw new Error(`ClickHouse port ${connection.port} is not a TCP port: use the HTTP port, 8123 by default`);
  }
  if (!connection.username) throw new Error("ClickHouse username is empty: use the read-only user, streamstack_superset");
  const databaseUuid = assetUuid("database:clickhouse");
  const schema = connection.database ?? "coinbase_demo";
  const database = {
    file: DATABASE_FILE,
    yaml: {
      database_name: DATABASE_NAME,
      sqlalchemy_uri: sqlalchemyUri(connection),
      cache_timeout: null,
      expose_in_sqllab: true,
      allow_run_async: false,
      allow_ctas: false,
      allow_cvas: false,
      allow_dml: false,
      allow_csv_upload: false,
      extra: { allows_virtual_table_explore: true, metadata_params: {}, engine_params: {}, schemas_allowed_for_csv_upload: [] },
      uuid: databaseUuid,
      version: "1.0.0",
    },
  };
  const [vwap, ohlc, trades] = DATASETS.map((d) => datasetAsset(d, databaseUuid, schema)) as [DatasetAsset, DatasetAsset, DatasetAsset];
  const charts = [
    timeseriesChart({
      key: "vwap_5m_last_24h",
      name: "VWAP, 5 minutes, last 24 h",
      description: "Volume-weighted average price per product in 5-minute buckets (the walk-through's chart).",
      vizType: "echarts_timeseries_line",
      dataset: vwap,
      timeGrain: "PT5M",
      metrics: ["vwap"],
      // Products trade at prices orders of magnitude apart (BTC ~10^4–10^5, SOL ~10^2): on a
      // linear axis every line but the dearest is flat.
      extraParams: { logAxis: true },
    }),
    timeseriesChart({
      key: "ohlc_1m",
      name: "OHLC, 1 minute",
      description: "Open, high, low and close per product and minute.",
      vizType: "echarts_timeseries_line",
      dataset: ohlc,
      timeGrain: "PT1M",
      metrics: ["open", "high", "low", "close"],
      extraParams: { logAxis: true },
    }),
    timeseriesChart({
      key: "trades_per_minute",
      name: "Trades per minute",
      description: "Ticks with a traded size per product and minute.",
      vizType: "echarts_timeseries_bar",
      dataset: trades,
      timeGrain: "PT1M",
      metrics: ["trades"],
      extraParams: { stack: "Stack" },
    }),
  ];
  return { database, datasets: [vwap, ohlc, trades], charts, dashboard: dashboardAsset(charts, vwap) };
}
