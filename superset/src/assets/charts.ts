// The three time-series charts (ECharts plugin), one series per product (the dashboard's Product
// filter shows one product at a time): VWAP 5 min over 24 h, high/low/close per minute over 3 h,
// trades per minute over 24 h. Price charts use a linear y axis fitted to the product's own range,
// so a product's movement fills the chart whatever its price level. Each chart carries its form
// data and the query context the front end would build from it, so the chart data API answers
// before anyone opens the chart.
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

/** The query context the front end would build from `params` (buildQuery of the ECharts timeseries plugin). */
function timeseriesQueryContext(spec: TimeseriesSpec, timeColumn: string, params: Record<string, unknown>): Record<string, unknown> {
  return {
    datasource: { id: 0, type: "table" },
    force: false,
    queries: [
      {
        filters: [{ col: timeColumn, op: "TEMPORAL_RANGE", val: spec.timeRange }],
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
}

function timeseriesChart(spec: TimeseriesSpec): ChartAsset {
  const timeColumn = spec.dataset.yaml.main_dttm_col;
  const params = timeseriesParams(spec, timeColumn);
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
      query_context: JSON.stringify(timeseriesQueryContext(spec, timeColumn, params)),
      cache_timeout: null,
      uuid: assetUuid(`chart:${spec.key}`),
      version: "1.0.0",
      dataset_uuid: spec.dataset.yaml.uuid,
    },
  };
}

/** The dashboard's charts, top to bottom, on the datasets of buildDatasets. */
export function buildCharts(vwap: DatasetAsset, ohlc: DatasetAsset, trades: DatasetAsset): ChartAsset[] {
  return [
    timeseriesChart({
      key: "vwap_5m_last_24h",
      name: "VWAP, 5 minutes, last 24 h",
      description: "Volume-weighted average price of the selected product in 5-minute buckets (the walk-through's chart); the y axis spans the product's own range.",
      vizType: "echarts_timeseries_line",
      dataset: vwap,
      timeGrain: "PT5M",
      timeRange: LAST_24_HOURS,
      metrics: ["vwap"],
      extraParams: PRICE_AXIS,
    }),
    timeseriesChart({
      // Key kept from the earlier four-line OHLC chart: the same chart, edited in place.
      key: "ohlc_1m",
      name: "High, low and close per minute, last 3 h",
      description: "Each minute's high and low (the band) and close of the selected product, from the 1-minute OHLC rollup.",
      vizType: "echarts_timeseries_line",
      dataset: ohlc,
      timeGrain: "PT1M",
      timeRange: LAST_3_HOURS,
      // Top to bottom as drawn: the legend reads like the chart.
      metrics: ["high", "close", "low"],
      extraParams: PRICE_AXIS,
    }),
    timeseriesChart({
      key: "trades_per_minute",
      name: "Trades per minute",
      description: "Ticks with a traded size per product and minute.",
      vizType: "echarts_timeseries_bar",
      dataset: trades,
      timeGrain: "PT1M",
      timeRange: LAST_24_HOURS,
      metrics: ["trades"],
      extraParams: { stack: "Stack" },
    }),
  ];
}
