// The Superset assets as code: one ClickHouse database connection, one virtual dataset per
// sql/queries file we chart (trade-based for the dashboard, ticker-based for Explore and the
// comparison), four charts and the dashboard. Pure data, no I/O: bundle.ts
// serializes it, importer.ts sends it. UUIDs are derived from stable names so re-imports
// overwrite the same objects (Superset's import matches on uuid).
import { DATABASE } from "../../../sql/src/names";
import { buildCharts } from "./charts";
import { dashboardAsset } from "./dashboard";
import { databaseAsset } from "./database";
import { buildDatasets } from "./datasets";
import type { Assets, ClickHouseConnection } from "./types";
import { assetUuid } from "./uuid";

export { LAST_24_HOURS, LAST_3_HOURS } from "./charts";
export { DASHBOARD_SLUG, DASHBOARD_TITLE, REFRESH_SECONDS } from "./dashboard";
export { DATABASE_FILE, DATABASE_NAME, PASSWORD_MASK, sqlalchemyUri } from "./database";
export type { DatasetKey, Datasets } from "./datasets";
export type { Assets, ChartAsset, ClickHouseConnection, DatasetAsset, DatasetColumn, DatasetMetric, YamlAsset } from "./types";
export { assetUuid } from "./uuid";

function checkConnection(connection: ClickHouseConnection): void {
  if (!connection.host) throw new Error("ClickHouse host is empty: give the host Superset reaches ClickHouse at (e.g. the container name)");
  if (!Number.isInteger(connection.port) || connection.port <= 0 || connection.port > 65535) {
    throw new Error(`ClickHouse port ${connection.port} is not a TCP port: use the HTTP port, 8123 by default`);
  }
  if (!connection.username) throw new Error("ClickHouse username is empty: use the read-only user, streamstack_superset");
}

export function buildAssets(connection: ClickHouseConnection): Assets {
  checkConnection(connection);
  const databaseUuid = assetUuid("database:clickhouse");
  const database = databaseAsset(connection, databaseUuid);
  const datasets = buildDatasets(databaseUuid, connection.database ?? DATABASE);
  const charts = buildCharts(datasets);
  return { database, datasets: Object.values(datasets), charts, dashboard: dashboardAsset(charts, datasets.tradeVwap) };
}
