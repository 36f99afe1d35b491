// tsconfig resolves modules the "node" (node10) way, which ignores package.json "exports", and
// @grafana/grafana-foundation-sdk publishes its entry points only there (./dashboard →
// ./dist/dashboard/index.js). These declarations point the type checker at the same files Node
// loads at run time. A tsconfig "paths" entry ("@grafana/grafana-foundation-sdk/*" →
// node_modules/@grafana/grafana-foundation-sdk/dist/*) would make this file unnecessary.
declare module "@grafana/grafana-foundation-sdk/candlestick" {
  export * from "@grafana/grafana-foundation-sdk/dist/candlestick";
}
declare module "@grafana/grafana-foundation-sdk/cog" {
  export * from "@grafana/grafana-foundation-sdk/dist/cog";
}
declare module "@grafana/grafana-foundation-sdk/common" {
  export * from "@grafana/grafana-foundation-sdk/dist/common";
}
declare module "@grafana/grafana-foundation-sdk/dashboard" {
  export * from "@grafana/grafana-foundation-sdk/dist/dashboard";
}
declare module "@grafana/grafana-foundation-sdk/table" {
  export * from "@grafana/grafana-foundation-sdk/dist/table";
}
declare module "@grafana/grafana-foundation-sdk/timeseries" {
  export * from "@grafana/grafana-foundation-sdk/dist/timeseries";
}
