// The Market dashboard: one row per selected product (the row repeats over the product variable),
// so every product's prices get their own auto-scaled y axes. By default everything comes from
// every trade (the matches channel plus the REST backfill, exact decimal rollups): 1-minute candles
// with volume over the last 3 h (180 candles across the row stay readable; 24 h of them would be
// 1 px each), the 5-minute VWAP and volume over the dashboard's range (24 h), and one panel that
// puts the walk-through's ticker-based VWAP beside the trade VWAP with the difference in bps. The
// walk-through's own ticker-based panels stay in a second, collapsed row per product.
import { PRODUCT_VARIABLE } from "../sql";
import { panelSpec, type PanelSpec } from "./common";
import type { DashboardSection } from "./ingestion";

export const MARKET_DASHBOARD_UID = "streamstack-market";
/** The candles panels' own time range (a Grafana relative time). */
export const CANDLES_WINDOW = "3h";

/** Panel ids: the default (trade-based) panels keep the ids the ticker-based ones had before issue 14. */
export const MARKET_PANEL = {
  candles: 11,
  vwap: 12,
  volume: 13,
  vwapMethods: 14,
  tickerCandles: 15,
  tickerVwap: 16,
  tickerVolume: 17,
} as const;

/** The ticker-based row's title (before the product). */
export const WALK_THROUGH_ROW = "Walk-through method (ticker-based, approximate)";

export function marketSections(): DashboardSection[] {
  return [
    { rowId: 200, title: `$${PRODUCT_VARIABLE}`, repeat: PRODUCT_VARIABLE, panels: tradePanels() },
    { rowId: 201, title: `${WALK_THROUGH_ROW}: $${PRODUCT_VARIABLE}`, repeat: PRODUCT_VARIABLE, collapsed: true, panels: tickerPanels() },
  ];
}

/** Candles, VWAP and volume from every trade (exact), and how far the ticker method is off. */
function tradePanels(): PanelSpec[] {
  const P = MARKET_PANEL;
  return [
    candlesPanel(
      P.candles,
      "trade_ohlcv_1m",
      "1-minute candles from every trade (exact), last 3 h: $product",
      "Open, high, low, close and volume per minute from every trade (matches channel and REST backfill; the trade_ohlcv_1m rollup, exact decimals), over the last 3 hours whatever the dashboard's range (1-minute candles over 24 h would be too thin to read); minutes without trades have no candle.",
    ),
    vwapPanel(
      P.vwap,
      "trade_vwap_5m",
      "5-minute VWAP from every trade (exact): $product",
      "Volume-weighted average price in 5-minute buckets, Σ price·size / Σ size over every trade (trade_vwap_5m rollup, exact decimals; the panel draws them as floats).",
    ),
    volumePanel(P.volume, "trade_vwap_5m", "Volume per 5 minutes, every trade: $product", "Traded size in 5-minute buckets, summed over every trade (trade_vwap_5m rollup)."),
    panelSpec({
      id: P.vwapMethods,
      title: "VWAP: ticker method vs every trade ($product)",
      description:
        "The walk-through's VWAP (from ticker messages, which carry only the last fill of a batch) beside the VWAP of every trade, and how far the ticker method is off: (ticker - trade) / trade in basis points, on the right axis.",
      kind: "timeseries",
      queryName: "vwap_methods_5m",
      render: { select: ["bucket", "ticker_vwap", "trade_vwap", "difference_bps"] },
      unit: "none",
      width: 24,
      columns: {
        ticker_vwap: { displayName: "ticker method (walk-through)" },
        trade_vwap: { displayName: "every trade (exact)" },
        difference_bps: { displayName: "ticker - trade (bps)", unit: "suffix: bps", rightAxis: true, bars: true },
      },
    }),
  ];
}

/** The walk-through's method, from ticker messages (approximate: a ticker reports only the last match of a batch). */
function tickerPanels(): PanelSpec[] {
  const P = MARKET_PANEL;
  return [
    candlesPanel(
      P.tickerCandles,
      "ohlcv_1m",
      "1-minute candles from tickers, last 3 h: $product",
      "Open, high, low, close and volume per minute from ticker messages (the ohlcv_1m rollup, the walk-through's method): approximate, a ticker carries only the last fill of a batch of matches.",
    ),
    vwapPanel(
      P.tickerVwap,
      "vwap_5m",
      "5-minute VWAP from tickers: $product",
      "The walk-through's VWAP: price × last_size of ticker messages in 5-minute buckets (approximate: docs/grafana.md).",
    ),
    volumePanel(
      P.tickerVolume,
      "vwap_5m",
      "Volume per 5 minutes from tickers: $product",
      "Traded size in 5-minute buckets as the tickers report it (the vwap_5m rollup; misses the fills a ticker batches away).",
    ),
  ];
}

/** 1-minute candles with volume, full width, over CANDLES_WINDOW (an ohlcv query's columns). */
function candlesPanel(id: number, queryName: string, title: string, description: string): PanelSpec {
  return panelSpec({
    id,
    title,
    description,
    kind: "candlestick",
    queryName,
    render: { select: ["minute", "open", "high", "low", "close", "volume"] },
    ohlc: { open: "open", high: "high", low: "low", close: "close", volume: "volume" },
    width: 24,
    height: 10,
    timeFrom: CANDLES_WINDOW,
  });
}

/** The 5-minute VWAP line (a vwap query's columns). */
function vwapPanel(id: number, queryName: string, title: string, description: string): PanelSpec {
  return panelSpec({ id, title, description, kind: "timeseries", queryName, render: { select: ["bucket", "vwap"] }, unit: "none" });
}

/** The traded size per 5 minutes as bars (a vwap query's columns). */
function volumePanel(id: number, queryName: string, title: string, description: string): PanelSpec {
  return panelSpec({ id, title, description, kind: "bars", queryName, render: { select: ["bucket", "volume"] }, unit: "short" });
}
