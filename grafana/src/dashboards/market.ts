// The Market dashboard: one row per selected product (the row repeats over the product variable),
// each with 1-minute candles with volume, the 5-minute VWAP and 5-minute volume.
import { PRODUCT_VARIABLE } from "../sql";
import { panelSpec } from "./common";
import type { DashboardSection } from "./ingestion";

export const MARKET_DASHBOARD_UID = "streamstack-market";

export function marketSections(): DashboardSection[] {
  return [
    {
      rowId: 200,
      title: `$${PRODUCT_VARIABLE}`,
      repeat: PRODUCT_VARIABLE,
      panels: [
        panelSpec({
          id: 11,
          title: "1-minute candles: $product",
          description: "Open, high, low, close and volume per minute from the ohlcv_1m rollup; minutes without ticks have no candle.",
          kind: "candlestick",
          queryName: "ohlcv_1m",
          render: { select: ["minute", "open", "high", "low", "close", "volume"] },
          ohlc: { open: "open", high: "high", low: "low", close: "close", volume: "volume" },
          width: 24,
          height: 10,
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
