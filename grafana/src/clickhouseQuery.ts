// The ClickHouse plugin's panel query, as a foundation-SDK Dataquery (the SDK ships no ClickHouse
// type; field names are the plugin's own, src/types/sql.ts in grafana/clickhouse-datasource 4.20.0).
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as common from "@grafana/grafana-foundation-sdk/common";

export const CLICKHOUSE_PLUGIN_ID = "grafana-clickhouse-datasource";

/**
 * The plugin's `format` (sqlds FormatQueryOption, src/data/utils.ts): how the backend shapes the
 * frame. TimeSeries turns long data into wide with LongToWide, which needs rows sorted by time;
 * our per-product queries sort by product then time, so they use Table plus the
 * prepareTimeSeries transformation instead (the plugin's own dashboards do the same).
 */
export enum ClickHouseFormat {
  TimeSeries = 0,
  Table = 1,
  Logs = 2,
  Traces = 3,
}

export interface ClickHouseSqlQuery {
  refId?: string;
  hide?: boolean;
  datasource?: common.DataSourceRef;
  editorType: "sql";
  rawSql: string;
  format: ClickHouseFormat;
  _implementsDataqueryVariant(): void;
}

export function clickHouseDatasource(uid: string): common.DataSourceRef {
  return { type: CLICKHOUSE_PLUGIN_ID, uid };
}

export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: ClickHouseSqlQuery;

  constructor(datasourceUid: string, rawSql: string, format: ClickHouseFormat) {
    this.internal = {
      datasource: clickHouseDatasource(datasourceUid),
      editorType: "sql",
      rawSql,
      format,
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  build(): ClickHouseSqlQuery {
    return this.internal;
  }
}
