// The dashboard: one full-width row per chart, a Product native filter on the (trade) VWAP dataset
// (one product at a time, the first one by default), and a 10 s auto-refresh.
import type { ChartAsset, DatasetAsset, YamlAsset } from "./types";
import { assetUuid } from "./uuid";

export const DASHBOARD_SLUG = "streamstack-markets";
export const DASHBOARD_TITLE = "streamstack: markets";
export const REFRESH_SECONDS = 10;

/** Grid units (8 px each) per chart, top to bottom: the three price charts tall, trades shorter. */
const CHART_HEIGHTS = [50, 50, 50, 38];

/** The layout (position_json): header, then one row holding one chart per chart, in order. */
function dashboardPosition(charts: readonly ChartAsset[]): Record<string, unknown> {
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
      meta: { width: 12, height: CHART_HEIGHTS[i] ?? 50, chartId: i + 1, uuid: chart.yaml.uuid, sliceName: chart.yaml.slice_name },
    };
  });
  return position;
}

/**
 * The Product native filter over `dataset`'s product_id, scoped to the whole dashboard: one product
 * at a time (prices of different products are orders of magnitude apart, so they cannot share a
 * readable linear axis), required, and the first product in alphabetical order until someone picks
 * another. The product list is not known when the bundle is built (it is whatever ClickHouse has),
 * so the default is "first option", not a name. `requiredFirst` is what Superset's filter editor
 * saves with `defaultToFirstItem`: the charts wait for the filter's value instead of loading every
 * product first.
 */
function productFilter(dataset: DatasetAsset): Record<string, unknown> {
  return {
    id: "NATIVE_FILTER-streamstack-product",
    name: "Product",
    filterType: "filter_select",
    type: "NATIVE_FILTER",
    description: "The Coinbase product every chart shows, one at a time; the first product (alphabetically) by default.",
    targets: [{ datasetUuid: dataset.yaml.uuid, column: { name: "product_id" } }],
    controlValues: {
      enableEmptyFilter: true,
      defaultToFirstItem: true,
      multiSelect: false,
      searchAllOptions: false,
      inverseSelection: false,
      sortAscending: true,
    },
    requiredFirst: true,
    defaultDataMask: { extraFormData: {}, filterState: {}, ownState: {} },
    cascadeParentIds: [],
    scope: { rootPath: ["ROOT_ID"], excluded: [] },
    chartsInScope: [],
    tabsInScope: [],
  };
}

export function dashboardAsset(charts: readonly ChartAsset[], filterDataset: DatasetAsset): YamlAsset {
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
      position: dashboardPosition(charts),
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
        native_filter_configuration: [productFilter(filterDataset)],
        chart_configuration: {},
        global_chart_configuration: { scope: { rootPath: ["ROOT_ID"], excluded: [] }, chartsInScope: [] },
        default_filters: "{}",
        filter_scopes: {},
      },
      version: "1.0.0",
    },
  };
}
