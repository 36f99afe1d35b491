// One virtual dataset per sql/queries file we chart: the query's SQL with Superset Jinja in place
// of its parameters (jinja.ts), its declared columns, and metrics that re-aggregate correctly.
import { loadQuery, type NamedQuery } from "../../../sql/src/queries";
import { supersetSql } from "../jinja";
import type { DatasetAsset, DatasetColumn, DatasetMetric } from "./types";
import { assetUuid } from "./uuid";

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

/** Σ price·size / Σ size re-aggregated from a query's per-bucket VWAP and volume. */
const vwapOf = (vwap: string, volume: string) => `sum(${vwap} * ${volume}) / nullIf(sum(${volume}), 0)`;

/** An expression that is NULL unless the grain's rows are one product's. */
const oneProduct = (expression: string) => `if(uniqExact(product_id) = 1, ${expression}, NULL)`;

/** The datasets, by what the charts call them. */
export type DatasetKey = "tradeVwap" | "tradeOhlcv" | "vwapMethods" | "tickerVwap" | "tickerOhlcv" | "tickerTrades";

// Metrics re-aggregate the query's rows correctly at any time grain at least as coarse as the
// query's own buckets: VWAP as sum(vwap*volume)/sum(volume) (= Σ price·size / Σ size), open as the
// earliest minute's open, and so on. A plain AVG(vwap) would weight quiet buckets like busy ones.
// The trade-based datasets (every trade, exact rollups) feed the dashboard; the ticker-based ones
// (the walk-through's method) stay for Explore and feed the comparison through vwap_methods_5m.
const DATASETS: Readonly<Record<DatasetKey, DatasetSpec>> = {
  tradeVwap: {
    query: "trade_vwap_5m",
    tableName: "streamstack_trade_vwap_5m",
    timeColumn: "bucket",
    metrics: [
      metric("vwap", "VWAP", vwapOf("vwap", "volume"), "Volume-weighted average price of every trade over the grain (from exact 5-minute buckets).", ",.2f"),
      metric("volume", "Volume", "sum(volume)", "Traded size of every trade (base currency)."),
      metric("trades", "Trades", "sum(num_trades)", "Trades (matches channel and REST backfill)."),
    ],
  },
  tradeOhlcv: {
    query: "trade_ohlcv_1m",
    tableName: "streamstack_trade_ohlcv_1m",
    timeColumn: "minute",
    metrics: [
      metric("open", "Open", "argMin(open, minute)", "First trade's price of the grain.", ",.2f"),
      metric("high", "High", "max(high)", "Highest trade price of the grain.", ",.2f"),
      metric("low", "Low", "min(low)", "Lowest trade price of the grain.", ",.2f"),
      metric("close", "Close", "argMax(close, minute)", "Last trade's price of the grain.", ",.2f"),
      metric("volume", "Volume", "sum(volume)", "Traded size of every trade (base currency)."),
      metric("trades", "Trades", "sum(num_trades)", "Trades (matches channel and REST backfill)."),
    ],
  },
  vwapMethods: {
    query: "vwap_methods_5m",
    tableName: "streamstack_vwap_methods_5m",
    timeColumn: "bucket",
    // NULL unless the rows are one product's: the comparison chart draws one series per metric
    // (charts.ts mixedChart), and a VWAP blended across BTC and SOL would be a meaningless number.
    metrics: [
      metric("ticker_vwap", "Ticker VWAP (walk-through)", oneProduct(vwapOf("ticker_vwap", "ticker_volume")), "The walk-through's VWAP, from ticker messages (approximate); NULL over several products.", ",.2f"),
      metric("trade_vwap", "Trade VWAP (every trade)", oneProduct(vwapOf("trade_vwap", "trade_volume")), "The VWAP of every trade (exact rollup); NULL over several products.", ",.2f"),
      metric(
        "difference_bps",
        "Ticker - trade (bps)",
        oneProduct(`(${vwapOf("ticker_vwap", "ticker_volume")} - ${vwapOf("trade_vwap", "trade_volume")}) / (${vwapOf("trade_vwap", "trade_volume")}) * 10000`),
        "How far the ticker method is off: (ticker VWAP - trade VWAP) / trade VWAP in basis points; NULL over several products.",
        ",.1f",
      ),
    ],
  },
  tickerVwap: {
    query: "vwap_5m",
    tableName: "streamstack_vwap_5m",
    timeColumn: "bucket",
    metrics: [
      metric("vwap", "VWAP", vwapOf("vwap", "volume"), "Volume-weighted average price over the grain, from ticker messages (the walk-through's method).", ",.2f"),
      metric("volume", "Volume", "sum(volume)", "Traded size as the tickers report it (base currency)."),
      metric("trades", "Trades", "sum(num_trades)", "Ticks with a traded size."),
    ],
  },
  tickerOhlcv: {
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
  tickerTrades: {
    query: "ingestion_rate_per_minute",
    tableName: "streamstack_trades_per_minute",
    timeColumn: "minute",
    metrics: [
      metric("trades", "Trades", "sum(num_trades)", "Ticks with a traded size (the walk-through's trades per minute)."),
      metric("ticks", "Ticks", "sum(num_ticks)", "Every ticker message stored."),
      metric("volume", "Volume", "sum(volume)", "Traded size (base currency)."),
    ],
  },
};

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

export type Datasets = Readonly<Record<DatasetKey, DatasetAsset>>;

/** Every dataset on the database `databaseUuid`: the trade-based ones first, then the ticker-based ones. */
export function buildDatasets(databaseUuid: string, schema: string): Datasets {
  const entries = (Object.keys(DATASETS) as DatasetKey[]).map((key): [DatasetKey, DatasetAsset] => [key, datasetAsset(DATASETS[key], databaseUuid, schema)]);
  return Object.fromEntries(entries) as Record<DatasetKey, DatasetAsset>;
}
