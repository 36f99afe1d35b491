// House defaults for streamstack's dashboards: every panel is described once as a PanelSpec
// (what it shows and which sql/queries file feeds it), and built from that with the SDK.
import * as candlestick from "@grafana/grafana-foundation-sdk/candlestick";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { ClickHouseFormat, ClickHouseQueryBuilder, clickHouseDatasource } from "../clickhouseQuery";
import { PRODUCT_VARIABLE, renderForDashboard, type RenderOptions, type RenderedQuery } from "../sql";

export type PanelKind = "timeseries" | "bars" | "candlestick" | "table";

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
  /** Units of single columns (field overrides), e.g. seconds columns in a table. */
  readonly columnUnits?: Readonly<Record<string, string>>;
  /** The panel's own relative time ("3h": the last 3 hours whatever the dashboard's range), shown in its header. */
  readonly timeFrom?: string;
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
  readonly columnUnits?: PanelSpec["columnUnits"];
  readonly timeFrom?: string;
}

const LABEL_COLUMNS = new Set(["product_id", "instance"]);

export function panelSpec(input: PanelInput): PanelSpec {
  const query = renderForDashboard(input.queryName, input.render);
  const perLabel = input.kind !== "table" && query.columns.some((c) => LABEL_COLUMNS.has(c.name));
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
    columnUnits: input.columnUnits,
    timeFrom: input.timeFrom,
  };
}

/** The plugin format a panel's target asks for (see ClickHouseFormat for why per-label data is a table). */
export function formatOf(spec: PanelSpec): ClickHouseFormat {
  return spec.kind === "table" || spec.perLabel ? ClickHouseFormat.Table : ClickHouseFormat.TimeSeries;
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
  for (const [column, unit] of Object.entries(spec.columnUnits ?? {})) {
    if (!spec.query.columns.some((c) => c.name === column)) throw new Error(`Panel "${spec.title}": columnUnits names ${column}, which its query does not return`);
    builder.overrideByName(column, [{ id: "unit", value: unit }]);
  }
  return builder;
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
      return new timeseries.PanelBuilder().lineWidth(1).fillOpacity(10).spanNulls(false).showPoints(common.VisibilityMode.Never).legend(legend());
    case "bars":
      return new timeseries.PanelBuilder().drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80).legend(legend());
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
  }
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
