// The shapes of the Superset assets, as the import bundle's YAML files hold them (Superset's
// ImportV1*Schema field names), and where Superset reaches ClickHouse.

/** Where Superset reaches ClickHouse (from inside Superset's network, e.g. the container name). */
export interface ClickHouseConnection {
  readonly host: string;
  readonly port: number;
  /** The read-only user, e.g. streamstack_superset. Its password is sent at import, never stored here. */
  readonly username: string;
  readonly database?: string;
  /** https instead of http (port 8443 on ClickHouse Cloud-style setups). */
  readonly secure?: boolean;
}

export interface DatasetColumn {
  readonly column_name: string;
  readonly type: string;
  readonly is_dttm: boolean;
  readonly groupby: boolean;
  readonly filterable: boolean;
  readonly is_active: boolean;
  readonly verbose_name: string | null;
  readonly description: string | null;
  readonly expression: string | null;
  readonly python_date_format: string | null;
  readonly extra: Record<string, unknown>;
}

export interface DatasetMetric {
  readonly metric_name: string;
  readonly verbose_name: string;
  readonly metric_type: string | null;
  readonly expression: string;
  readonly description: string;
  readonly d3format: string | null;
  readonly warning_text: string | null;
  readonly extra: Record<string, unknown>;
}

export interface DatasetAsset {
  readonly file: string;
  /** The sql/queries file the dataset's SQL comes from. */
  readonly query: string;
  readonly yaml: {
    readonly table_name: string;
    readonly main_dttm_col: string;
    readonly description: string;
    readonly default_endpoint: null;
    readonly offset: 0;
    readonly cache_timeout: null;
    readonly schema: string;
    readonly sql: string;
    readonly params: null;
    readonly template_params: null;
    readonly filter_select_enabled: true;
    readonly fetch_values_predicate: null;
    readonly extra: null;
    readonly normalize_columns: false;
    readonly always_filter_main_dttm: false;
    readonly uuid: string;
    readonly metrics: readonly DatasetMetric[];
    readonly columns: readonly DatasetColumn[];
    readonly version: "1.0.0";
    readonly database_uuid: string;
  };
}

export interface ChartAsset {
  readonly file: string;
  readonly datasetFile: string;
  readonly yaml: {
    readonly slice_name: string;
    readonly description: string;
    readonly certified_by: null;
    readonly certification_details: null;
    readonly viz_type: string;
    readonly params: Record<string, unknown>;
    /** What the chart data API runs for GET /api/v1/chart/<id>/data (JSON string, as exports store it). */
    readonly query_context: string;
    readonly cache_timeout: null;
    readonly uuid: string;
    readonly version: "1.0.0";
    readonly dataset_uuid: string;
  };
}

/** A bundle file whose YAML is free-form (the database connection, the dashboard). */
export interface YamlAsset {
  readonly file: string;
  readonly yaml: Record<string, unknown>;
}

export interface Assets {
  readonly database: YamlAsset;
  readonly datasets: readonly DatasetAsset[];
  readonly charts: readonly ChartAsset[];
  readonly dashboard: YamlAsset;
}
