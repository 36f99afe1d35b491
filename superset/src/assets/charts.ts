// The dashboard's charts (ECharts plugin), one series per product (the dashboard's Product filter
// shows one product at a time), all from every trade (the exact rollups) except the comparison:
// VWAP 5 min over 24 h; the walk-through's ticker VWAP beside the trade VWAP, with the difference
// in bps on a second axis; high/low/close per minute over 3 h; trades per minute over 24 h. Price
// charts use a linear y axis fitted to the product's own range, so a product's movement fills the
// chart whatever its price level. Each chart carries its form data and the query context the front
// end would build from it, so the chart data API answers before anyone opens the chart.
import type { Datasets } from "./datasets";
import type { ChartAsset, DatasetAsset } from "./types";
import { assetUuid } from "./uuid";

/** The walk-through's "last 24 hours", in Superset's advanced time-range syntax (utils/date_parser.py). */
export const LAST_24_HOURS = 'DATEADD(DATETIME("now"), -24, hour) : now';
/** The minute-level price chart's window: 180 one-minute points stay readable across the chart. */
export const LAST_3_HOURS = 'DATEADD(DATETIME("now"), -3, hour) : now';

/**
 * A price axis (ECharts timeseries form data, plugin-chart-echarts Timeseries/transformProps.ts):
 * linear, `truncateYAxis` → ECharts `yAxis.scale: true` (the axis spans the data, not 0..max),
 * no fixed bounds, prices with two decimals (SMART_NUMBER would print 64.1k twice on a narrow range).
 */
const PRICE_AXIS = { logAxis: false, truncateYAxis: true, y_axis_bounds: [null, null], y_axis_format: ",.2f" } as const;

interface TimeseriesSpec {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly vizType: "echarts_timeseries_line" | "echarts_timeseries_bar";
  readonly dataset: DatasetAsset;
  readonly timeGrain: "PT1M" | "PT5M";
  /** Superset time range (advanced syntax), e.g. LAST_24_HOURS. */
  readonly timeRange: string;
  readonly metrics: readonly string[];
  readonly extraParams?: Record<string, unknown>;
}

/** A time-series chart's form data (`params`): x axis = the dataset's time column at the grain, one series per product, over the chart's time range. */
function timeseriesParams(spec: TimeseriesSpec, timeColumn: string): Record<string, unknown> {
  return {
    viz_type: spec.vizType,
    x_axis: timeColumn,
    time_grain_sqla: spec.timeGrain,
    x_axis_sort_asc: true,
    metrics: [...spec.metrics],
    groupby: ["product_id"],
    adhoc_filters: [
      { clause: "WHERE", subject: timeColumn, operator: "TEMPORAL_RANGE", comparator: spec.timeRange, expressionType: "SIMPLE" },
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
    // One product at a time means at most three series: a plain legend shows them all (a
    // "scroll" legend pages once the names outgrow the width).
    legendType: "plain",
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
}

interface QuerySpec {
  readonly timeGrain: TimeseriesSpec["timeGrain"];
  readonly timeRange: string;
  readonly metrics: readonly string[];
  /** Series columns: ["product_id"] (one series per product and metric) or [] (one per metric). */
  readonly groupby: readonly string[];
  /** Drop the metric's name from a single metric's series labels ("vwap, BTC-USD" → "BTC-USD"). */
  readonly truncateMetric: boolean;
}

/** One query object as the ECharts timeseries plugins' buildQuery makes it: time at the grain, one series per group (product) and metric. */
function timeseriesQuery(spec: QuerySpec, timeColumn: string): Record<string, unknown> {
  return {
    filters: [{ col: timeColumn, op: "TEMPORAL_RANGE", val: spec.timeRange }],
    extras: { time_grain_sqla: spec.timeGrain, having: "", where: "" },
    applied_time_extras: {},
    columns: [{ timeGrain: spec.timeGrain, columnType: "BASE_AXIS", sqlExpression: timeColumn, label: timeColumn, expressionType: "SQL" }, ...spec.groupby],
    metrics: [...spec.metrics],
    orderby: [[spec.metrics[0], false]],
    annotation_layers: [],
    row_limit: 10000,
    series_columns: [...spec.groupby],
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
          columns: [...spec.groupby],
          aggregates: Object.fromEntries(spec.metrics.map((m) => [m, { operator: "mean" }])),
          drop_missing_columns: false,
        },
      },
      // One metric: drop its name from the series labels ("vwap, BTC-USD" → "BTC-USD"),
      // as the ECharts plugin's renameOperator does (when truncate_metric is on).
      ...(spec.metrics.length === 1 && spec.groupby.length > 0 && spec.truncateMetric ? [{ operation: "rename", options: { columns: { [spec.metrics[0]!]: null }, level: 0, inplace: true } }] : []),
      { operation: "flatten" },
    ],
  };
}

/** The query context the front end would build from `params`: one query object per query of the chart. */
function queryContext(queries: readonly Record<string, unknown>[], params: Record<string, unknown>): string {
  return JSON.stringify({
    datasource: { id: 0, type: "table" },
    force: false,
    queries,
    form_data: params,
    result_format: "json",
    result_type: "full",
  });
}

function chartAsset(spec: { key: string; name: string; description: string; dataset: DatasetAsset }, vizType: string, params: Record<string, unknown>, context: string): ChartAsset {
  return {
    file: `charts/${spec.key}.yaml`,
    datasetFile: spec.dataset.file,
    yaml: {
      slice_name: spec.name,
      description: spec.description,
      certified_by: null,
      certification_details: null,
      viz_type: vizType,
      params,
      query_context: context,
      cache_timeout: null,
      uuid: assetUuid(`chart:${spec.key}`),
      version: "1.0.0",
      dataset_uuid: spec.dataset.yaml.uuid,
    },
  };
}

function timeseriesChart(spec: TimeseriesSpec): ChartAsset {
  const timeColumn = spec.dataset.yaml.main_dttm_col;
  const params = timeseriesParams(spec, timeColumn);
  const query = timeseriesQuery({ ...spec, groupby: ["product_id"], truncateMetric: true }, timeColumn);
  return chartAsset(spec, spec.vizType, params, queryContext([query], params));
}

interface MixedSpec {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly dataset: DatasetAsset;
  readonly timeGrain: TimeseriesSpec["timeGrain"];
  readonly timeRange: string;
  /** Query A: lines on the left (price) axis. */
  readonly metrics: readonly string[];
  /** Query B: bars on the right axis. */
  readonly metricsB: readonly string[];
  readonly formatB: string;
}

/**
 * A mixed time-series chart (viz mixed_timeseries; plugin-chart-echarts MixedTimeseries): query A
 * as lines on a price axis, query B as bars on a second axis at the right. Form data keys with the
 * `_b` / `B` suffix are query B's (its buildQuery splits them with removeFormDataSuffix /
 * retainFormDataSuffix); both queries share the x axis, grain and time range.
 *
 * No group-by: one series per metric, named by the metric's verbose name. Superset 6.1's mixed
 * chart names grouped series "<first metric's label>, <series>" (transformProps: `${label of
 * metrics[0]}, ${name}` unless the name contains it), which mislabels a query with two metrics per
 * product. Without a product series the metrics themselves must not blend products: the dataset's
 * metrics are NULL unless the rows hold exactly one product (datasets.ts), which the dashboard's
 * required one-product filter guarantees.
 */
function mixedChart(spec: MixedSpec): ChartAsset {
  const timeColumn = spec.dataset.yaml.main_dttm_col;
  const base = timeseriesParams({ ...spec, vizType: "echarts_timeseries_line", extraParams: PRICE_AXIS }, timeColumn);
  const params: Record<string, unknown> = {
    ...base,
    viz_type: "mixed_timeseries",
    groupby: [],
    metrics_b: [...spec.metricsB],
    groupby_b: [],
    adhoc_filters_b: base.adhoc_filters,
    order_desc_b: true,
    row_limit_b: 10000,
    seriesType: "line",
    seriesTypeB: "bar",
    yAxisIndex: 0,
    yAxisIndexB: 1,
    opacityB: 0.6,
    logAxisSecondary: false,
    truncateYAxisSecondary: true,
    y_axis_bounds_secondary: [null, null],
    y_axis_format_secondary: spec.formatB,
    showQueryIdentifiers: false,
  };
  const queries = [spec.metrics, spec.metricsB].map((metrics) => timeseriesQuery({ ...spec, metrics, groupby: [], truncateMetric: true }, timeColumn));
  return chartAsset(spec, "mixed_timeseries", params, queryContext(queries, params));
}

/** The dashboard's charts, top to bottom, on the datasets of buildDatasets. */
export function buildCharts(datasets: Datasets): ChartAsset[] {
  return [
    timeseriesChart({
      key: "vwap_5m_last_24h",
      name: "5-minute VWAP, every trade (exact), last 24 h",
      description:
        "Volume-weighted average price of the selected product in 5-minute buckets (the walk-through's chart), from every trade: the matches channel plus trades backfilled from the REST API, summed exactly. The y axis spans the product's own range.",
      vizType: "echarts_timeseries_line",
      dataset: datasets.tradeVwap,
      timeGrain: "PT5M",
      timeRange: LAST_24_HOURS,
      metrics: ["vwap"],
      extraParams: PRICE_AXIS,
    }),
    mixedChart({
      key: "vwap_methods_5m",
      name: "VWAP: ticker method vs every trade, last 24 h",
      description:
        "The walk-through's VWAP from ticker messages (a ticker carries only the last fill of a batch of matches) beside the VWAP of every trade, and how far the ticker method is off: (ticker - trade) / trade in basis points, as bars on the right axis.",
      dataset: datasets.vwapMethods,
      timeGrain: "PT5M",
      timeRange: LAST_24_HOURS,
      metrics: ["ticker_vwap", "trade_vwap"],
      metricsB: ["difference_bps"],
      formatB: ",.1f",
    }),
    timeseriesChart({
      // Key kept from the earlier four-line OHLC chart: the same chart, edited in place.
      key: "ohlc_1m",
      name: "High, low and close per minute, every trade, last 3 h",
      description: "Each minute's high and low (the band) and close of the selected product, from every trade (the exact 1-minute rollup).",
      vizType: "echarts_timeseries_line",
      dataset: datasets.tradeOhlcv,
      timeGrain: "PT1M",
      timeRange: LAST_3_HOURS,
      // Top to bottom as drawn: the legend reads like the chart.
      metrics: ["high", "close", "low"],
      extraParams: PRICE_AXIS,
    }),
    timeseriesChart({
      key: "trades_per_minute",
      name: "Trades per minute",
      description: "Trades per product and minute: every trade, from the matches channel and the REST backfill.",
      vizType: "echarts_timeseries_bar",
      dataset: datasets.tradeOhlcv,
      timeGrain: "PT1M",
      timeRange: LAST_24_HOURS,
      metrics: ["trades"],
      extraParams: { stack: "Stack" },
    }),
  ];
}
