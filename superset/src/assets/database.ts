// The ClickHouse database connection: a clickhousedb:// URI (clickhouse-connect's SQLAlchemy
// dialect) as the read-only user, with the password masked; the real one arrives at import time.
import { DATABASE } from "../../../sql/src/names";
import type { ClickHouseConnection, YamlAsset } from "./types";

export const DATABASE_NAME = "streamstack ClickHouse";
export const DATABASE_FILE = "databases/streamstack_clickhouse.yaml";
/** What Superset's exports put where the password was; the real one arrives in `passwords`. */
export const PASSWORD_MASK = "XXXXXXXXXX";

export function sqlalchemyUri(connection: ClickHouseConnection): string {
  const database = connection.database ?? DATABASE;
  const user = encodeURIComponent(connection.username);
  const query = connection.secure ? "?secure=true" : "";
  return `clickhousedb://${user}:${PASSWORD_MASK}@${connection.host}:${connection.port}/${database}${query}`;
}

export function databaseAsset(connection: ClickHouseConnection, databaseUuid: string): YamlAsset {
  return {
    file: DATABASE_FILE,
    yaml: {
      database_name: DATABASE_NAME,
      sqlalchemy_uri: sqlalchemyUri(connection),
      cache_timeout: null,
      expose_in_sqllab: true,
      allow_run_async: false,
      allow_ctas: false,
      allow_cvas: false,
      allow_dml: false,
      allow_csv_upload: false,
      extra: { allows_virtual_table_explore: true, metadata_params: {}, engine_params: {}, schemas_allowed_for_csv_upload: [] },
      uuid: databaseUuid,
      version: "1.0.0",
    },
  };
}
