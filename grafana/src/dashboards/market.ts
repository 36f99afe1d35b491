// The Market dashboard: one row per selected product (the row repeats over the product variable),
// so every product's prices get their own auto-scaled y axes: 1-minute candles with volume over
// the last 3 h (180 candles across the row stay readable; 24 h of them would be 1 px each), the
// 5-minute VWAP and 5-minute volume over the dashboard's range (24 h).
import { PRODUCT_VARIABLE } from "../sql";
import { panelSpec } from "./common";
import type { DashboardSection } from "./ingestion";

export const MARKET_DASHBOARD_UID = "streamstack-market";
/** The candles panel's own time range (a Grafana relative time). */
export const CANDLES_WINDOW = "3h";

export function marketSections(): DashboardSection[] {
  return [
    {
      rowId: 200,
      title: `$${PRODUCT_VARIABLE}`,
      repeat: PRODUCT_VARIABLE,
      panels: [
        panelSpec({
          id: 11,
          title: "1-minute candles, last 3 h: $product",
          description: "Open, high, low, close and volume per minute from the ohlcv_1m rollup, over the last 3 hours whatever the dashboard's range (1-minute candles over 24 h would be too thin to read); minutes without ticks have no candle.",
          kind: "candlestick",
          queryName: "ohlcv_1m",
          render: { select: ["minute", "open", "high", "low", "close", "volume"] },
          ohlc: { open: "open", high: "high", low: "low", close: "close", volume: "volume" },
          width: 24,
          height: 10,
          timeFrom: CANDLES_WINDOW,
        }),
        panelSpec({
          id: 12,
          title: "5-minute VWAP: $product",
          description: "Volume-weighted average price in 5-minute buckets (from tickers, so approximate: docs/grafana.md).",
          kind: "timeseries",
          queryName: "vwap_5m",
          render: { select: ["bucket", "vwap"] },
          unit: "none",
        }),
        panelSpec({
          id: 13,
          title: "Volume per 5 minutes: $product",
          description: "Traded size in 5-minute buckets, from the VWAP rollup.",
          kind: "bars",
          queryName: "vwap_5m",
          render: { select: ["bucket", "volume"] },
          unit: "short",
        }),
      ],
    },
  ];
}
