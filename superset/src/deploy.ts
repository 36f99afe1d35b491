// One call per lifecycle step, shared by the Pulumi dynamic provider and the tests:
// deploy = build the bundle, import it (overwrite), delete what an earlier bundle had and this
// one dropped; remove = delete every object of a bundle.
import type { ClickHouseConnection } from "./assets";
import { buildBundle, type AssetUuids } from "./bundle";
import { removedUuids, SupersetClient, type SupersetClientOptions, type SupersetLogin } from "./importer";

export interface DeployRequest {
  readonly superset: SupersetLogin;
  /** How Superset reaches ClickHouse (host as seen from Superset's container). */
  readonly clickhouse: ClickHouseConnection;
  /** Password of clickhouse.username; sent in the import's `passwords` field, never stored in the bundle. */
  readonly clickhousePassword: string;
}

export interface DeployResult {
  readonly checksum: string;
  readonly uuids: AssetUuids;
  readonly deletedUuids: readonly string[];
}

export async function deployAssets(request: DeployRequest, previous?: AssetUuids, options: SupersetClientOptions = {}): Promise<DeployResult> {
  if (!request.clickhousePassword) {
    throw new Error(`The ClickHouse password for "${request.clickhouse.username}" is empty: Superset would fail to connect; pass the read-only user's password`);
  }
  const bundle = buildBundle(request.clickhouse);
  const client = await SupersetClient.connect(request.superset, options);
  await client.importBundle(bundle.zip, { [bundle.databaseFile]: request.clickhousePassword });
  const deletedUuids = previous ? await client.deleteAssets(removedUuids(previous, bundle.uuids)) : [];
  return { checksum: bundle.checksum, uuids: bundle.uuids, deletedUuids };
}

export async function removeAssets(superset: SupersetLogin, uuids: AssetUuids, options: SupersetClientOptions = {}): Promise<string[]> {
  const client = await SupersetClient.connect(superset, options);
  return client.deleteAssets(uuids);
}
