// House defaults for streamstack's dashboards: every panel is described once as a PanelSpec
// (what it shows and which sql/queries file feeds it), and built from that with the SDK.
import * as candlestick from "@grafana/grafana-foundation-sdk/candlestick";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { ClickHouseFormat, ClickHouseQueryBuilder, clickHouseDatasource } from "../clickhouseQuery";
import { PRODUCT_VARIABLE, renderForDashboard, type RenderOptions, type RenderedQuery } from "../sql";

export type PanelKind = "timeseries" | "bars" | "candlestick" | "table" | "stat";

/** How one column of a panel's query is shown (a field override by name). */
export interface ColumnStyle {
  readonly unit?: string;
  /** Legend / header name instead of the column's name. */
  readonly displayName?: string;
  /** Time series: on a second y axis at the right (a quantity of another scale, e.g. bps beside prices). */
  readonly rightAxis?: boolean;
  /** Time series: drawn as bars while the panel's other columns are lines. */
  readonly bars?: boolean;
}

/** A stat's colour from a value on (Grafana threshold steps; the first starts at -Infinity). */
export interface ThresholdStep {
  readonly from: number | null;
  readonly color: string;
}

export interface PanelSpec {
  /** Stable panel id (alerts link to it through __panelId__). */
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly kind: PanelKind;
  readonly query: RenderedQuery;
  /** Data has a label column (product_id, instance): fetched as a table and split into one series per label. */
  readonly perLabel: boolean;
  readonly unit?: string;
  readonly width: number;
  readonly height: number;
  /** Candlestick only: the price columns. */
  readonly ohlc?: { open: string; high: string; low: string; close: string; volume?: string };
  /** Styles of single columns (field overrides): units, names, a right axis, bars among lines. */
  readonly columns?: Readonly<Record<string, ColumnStyle>>;
  /** The panel's own relative time ("3h": the last 3 hours whatever the dashboard's range), shown in its header. */
  readonly timeFrom?: string;
  /** Bars or lines of several series stacked on each other (e.g. trades per source adding up to all trades). */
  readonly stacked?: boolean;
  /** Stat only: colour steps by value. */
  readonly thresholds?: readonly ThresholdStep[];
}

export interface PanelInput {
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly kind: PanelKind;
  readonly queryName: string;
  readonly render?: RenderOptions;
  readonly unit?: string;
  readonly width?: number;
  readonly height?: number;
  readonly ohlc?: PanelSpec["ohlc"];
  readonly columns?: PanelSpec["columns"];
  readonly timeFrom?: string;
  readonly stacked?: boolean;
  readonly thresholds?: PanelSpec["thresholds"];
}

const LABEL_COLUMNS = new Set(["product_id", "instance", "source"]);

export function panelSpec(input: PanelInput): PanelSpec {
  const query = renderForDashboard(input.queryName, input.render);
  const perLabel = input.kind !== "table" && input.kind !== "stat" && query.columns.some((c) => LABEL_COLUMNS.has(c.name));
  return {
    id: input.id,
    title: input.title,
    description: `${input.description} Query: sql/queries/${query.query.name}.sql.`,
    kind: input.kind,
    query,
    perLabel,
    unit: input.unit,
    width: input.width ?? 12,
    height: input.height ?? 8,
    ohlc: input.ohlc,
    columns: input.columns,
    timeFrom: input.timeFrom,
    stacked: input.stacked,
    thresholds: input.thresholds,
  };
}

/** The plugin format a panel's target asks for (see ClickHouseFormat for why per-label data is a table). */
export function formatOf(spec: PanelSpec): ClickHouseFormat {
  return spec.kind === "table" || spec.kind === "stat" || spec.perLabel ? ClickHouseFormat.Table : ClickHouseFormat.TimeSeries;
}

/**
 * Long (time, label, value) rows into one series per label, in the browser. Grafana's
 * prepareTimeSeries transformer: "multi" (called "many" before Grafana 10) splits by the string
 * columns; the plugin's own dashboards use it for the same purpose.
 */
const SPLIT_BY_LABEL: dashboard.DataTransformerConfig = { id: "prepareTimeSeries", options: { format: "multi" } };

export function buildPanel(spec: PanelSpec, datasourceUid: string): cog.Builder<dashboard.Panel> {
  const target = new ClickHouseQueryBuilder(datasourceUid, spec.query.sql, formatOf(spec)).refId("A");
  const builder = panelBuilder(spec)
    .id(spec.id)
    .title(spec.title)
    .description(spec.description)
    .datasource(clickHouseDatasource(datasourceUid))
    .withTarget(target)
    .height(spec.height)
    .span(spec.width);
  if (spec.perLabel) {
    builder.withTransformation(SPLIT_BY_LABEL);
    builder.displayName(seriesName(spec));
  }
  if (spec.unit) builder.unit(spec.unit);
  if (spec.timeFrom) builder.timeFrom(spec.timeFrom);
  for (const [column, style] of Object.entries(spec.columns ?? {})) {
    if (!spec.query.columns.some((c) => c.name === column)) throw new Error(`Panel "${spec.title}": columns names ${column}, which its query does not return`);
    builder.overrideByName(column, columnOverride(style));
  }
  return builder;
}

/** A column's field-override properties (Grafana's field config ids; time series' own under custom.). */
function columnOverride(style: ColumnStyle): dashboard.DynamicConfigValue[] {
  const properties: dashboard.DynamicConfigValue[] = [];
  if (style.unit) properties.push({ id: "unit", value: style.unit });
  if (style.displayName) properties.push({ id: "displayName", value: style.displayName });
  if (style.rightAxis) properties.push({ id: "custom.axisPlacement", value: common.AxisPlacement.Right });
  if (style.bars) properties.push({ id: "custom.drawStyle", value: common.GraphDrawStyle.Bars }, { id: "custom.fillOpacity", value: 60 });
  return properties;
}

/** Legend names for split series: the label value, prefixed by the value column when there are several. */
function seriesName(spec: PanelSpec): string {
  const label = spec.query.columns.find((c) => LABEL_COLUMNS.has(c.name))!.name;
  const values = spec.query.columns.filter((c, i) => i > 0 && !LABEL_COLUMNS.has(c.name));
  return values.length > 1 ? `\${__field.name} \${__field.labels.${label}}` : `\${__field.labels.${label}}`;
}

function panelBuilder(spec: PanelSpec) {
  switch (spec.kind) {
    case "timeseries":
      return stacking(spec, new timeseries.PanelBuilder().lineWidth(1).fillOpacity(10).spanNulls(false).showPoints(common.VisibilityMode.Never).legend(legend()));
    case "bars":
      return stacking(spec, new timeseries.PanelBuilder().drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80).legend(legend()));
    case "candlestick": {
      if (!spec.ohlc) throw new Error(`Panel "${spec.title}" is a candlestick: give its ohlc columns`);
      const fields = new candlestick.CandlestickFieldMapBuilder().open(spec.ohlc.open).high(spec.ohlc.high).low(spec.ohlc.low).close(spec.ohlc.close);
      if (spec.ohlc.volume) fields.volume(spec.ohlc.volume);
      return new candlestick.PanelBuilder()
        .mode(spec.ohlc.volume ? candlestick.VizDisplayMode.CandlesVolume : candlestick.VizDisplayMode.Candles)
        .candleStyle(candlestick.CandleStyle.Candles)
        .colorStrategy(candlestick.ColorStrategy.OpenClose)
        .fields(fields)
        .includeAllFields(false)
        .legend(legend());
    }
    case "table":
      return new table.PanelBuilder().showHeader(true);
    case "stat":
      return statPanel(spec);
  }
}

function stacking(spec: PanelSpec, builder: timeseries.PanelBuilder): timeseries.PanelBuilder {
  return spec.stacked ? builder.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)) : builder;
}

/** One big number per numeric column of a one-row query (its name under it), coloured by the thresholds. */
function statPanel(spec: PanelSpec): stat.PanelBuilder {
  const builder = new stat.PanelBuilder()
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(false).calcs(["lastNotNull"]).fields(""));
  if (spec.thresholds) {
    const steps = spec.thresholds.map((s) => ({ value: s.from, color: s.color }));
    builder.thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
  }
  return builder;
}

function legend() {
  return new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom);
}

/** The product picker: multi-value with All; All means "every option", never a custom value. */
export function productVariable(datasourceUid: string, optionsSql: string): cog.Builder<dashboard.VariableModel> {
  return new dashboard.QueryVariableBuilder(PRODUCT_VARIABLE)
    .label("Product")
    .datasource(clickHouseDatasource(datasourceUid))
    .query({ refId: PRODUCT_VARIABLE, queryType: "sql", rawSql: optionsSql })
    .definition(optionsSql)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: ["All"], value: ["$__all"] });
}
