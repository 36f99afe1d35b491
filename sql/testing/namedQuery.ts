// Runs a named query (sql/queries) with raw parameters and returns its column names, types and
// rows as objects: what the tests of the queries compare.
import type { ClickHouseClient } from "@clickhouse/client";
import type { NamedQuery } from "../src/queries";

export interface NamedQueryRows {
  readonly names: string[];
  readonly types: string[];
  readonly rows: Array<Record<string, unknown>>;
}

export async function runNamedQuery(client: ClickHouseClient, query: NamedQuery, params: Record<string, unknown>): Promise<NamedQueryRows> {
  const r = await client.query({
    query: query.sql,
    query_params: params,
    format: "JSONCompactEachRowWithNamesAndTypes",
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const lines = (await r.text()).trim().split("\n").map((l) => JSON.parse(l) as unknown[]);
  const [names, types, ...data] = lines;
  const rows = data.map((d) => Object.fromEntries((names as string[]).map((n, i) => [n, d[i]])));
  return { names: names as string[], types: types as string[], rows };
}
