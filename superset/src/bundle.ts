// Serializes the assets into the ZIP bundle POST /api/v1/assets/import/ takes: one top-level
// folder (Superset strips the first path part), metadata.yaml, then databases/ datasets/ charts/
// dashboards/. Deterministic bytes: the checksum changes only when an asset changes.
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { buildAssets, DATABASE_FILE, type Assets, type ClickHouseConnection } from "./assets";
import { createZip } from "./zip";

export const BUNDLE_ROOT = "streamstack_assets";

/** The UUIDs a bundle creates; the importer deletes exactly these. */
export interface AssetUuids {
  readonly database: string;
  readonly datasets: readonly string[];
  readonly charts: readonly string[];
  readonly dashboards: readonly string[];
}

export interface Bundle {
  readonly zip: Buffer;
  /** sha256 of the zip, hex. */
  readonly checksum: string;
  /** Path inside the bundle (without the top-level folder) → YAML text. */
  readonly files: ReadonlyMap<string, string>;
  readonly uuids: AssetUuids;
  /** The key of the `passwords` form field for the ClickHouse database. */
  readonly databaseFile: string;
  readonly assets: Assets;
}

function toYaml(value: unknown): string {
  // lineWidth 0: never fold long lines, so SQL and JSON strings stay as written.
  return stringify(value, { lineWidth: 0, minContentWidth: 0, sortMapEntries: false });
}

export function buildBundle(connection: ClickHouseConnection): Bundle {
  const assets = buildAssets(connection);
  const files = new Map<string, string>();
  // No timestamp: it would change the checksum on every build (MetadataSchema makes it optional).
  files.set("metadata.yaml", toYaml({ version: "1.0.0", type: "assets" }));
  files.set(assets.database.file, toYaml(assets.database.yaml));
  for (const d of assets.datasets) files.set(d.file, toYaml(d.yaml));
  for (const c of assets.charts) files.set(c.file, toYaml(c.yaml));
  files.set(assets.dashboard.file, toYaml(assets.dashboard.yaml));
  const zip = createZip([...files].map(([path, content]) => ({ path: `${BUNDLE_ROOT}/${path}`, content })));
  return {
    zip,
    checksum: createHash("sha256").update(zip).digest("hex"),
    files,
    uuids: {
      database: assets.database.yaml.uuid as string,
      datasets: assets.datasets.map((d) => d.yaml.uuid),
      charts: assets.charts.map((c) => c.yaml.uuid),
      dashboards: [assets.dashboard.yaml.uuid as string],
    },
    databaseFile: DATABASE_FILE,
    assets,
  };
}

/**
 * sha256 of the asset definitions alone (connection-independent): changes when a chart, dataset,
 * query file or the dashboard changes. SupersetAssets' default bundleChecksum (a new value re-imports).
 */
export function assetsChecksum(): string {
  const { files } = buildBundle({ host: "clickhouse", port: 8123, username: "streamstack_superset" });
  const hash = createHash("sha256");
  for (const [path, text] of files) hash.update(path).update("\0").update(text).update("\0");
  return hash.digest("hex");
}
