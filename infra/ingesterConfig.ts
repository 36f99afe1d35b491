// The ingester's YAML config, rendered from stack settings in the ingester's own format
// (ingest/src/config/schema.ts) and checked with its own parser, so a mismatch fails the
// deploy before any resource is made rather than crash-looping the container.
import { stringify } from "yaml";
import { parseConfig } from "../ingest/src/config/load";
import { DATABASE } from "../sql/src/names";

/** Environment variable the container gets the writer password in (never in the YAML). */
export const INGESTER_PASSWORD_ENV = "STREAMSTACK_CLICKHOUSE_PASSWORD";

export interface IngesterConfigInput {
  readonly products: readonly string[];
  readonly channels: readonly string[];
  readonly clickhouse: { readonly host: string; readonly port: number; readonly secure: boolean; readonly user: string };
  readonly metricsPort: number;
  /** Folder (inside the container) for the on-disk spool; a volume is mounted there. */
  readonly spoolDir: string;
  /** Name reported in ingest_stats. */
  readonly instance: string;
}

export function renderIngesterConfig(input: IngesterConfigInput): string {
  const document = {
    source: {
      type: "coinbase",
      wss_url: "wss://ws-feed.exchange.coinbase.com",
      subscription: { product_ids: [...input.products], channels: [...input.channels] },
    },
    sink: {
      type: "clickhouse_connect",
      host: input.clickhouse.host,
      port: input.clickhouse.port,
      secure: input.clickhouse.secure,
      database: DATABASE,
      table: "coinbase_ticker",
      user: input.clickhouse.user,
      password_env: INGESTER_PASSWORD_ENV,
    },
    spool: { dir: input.spoolDir },
    metrics: { port: input.metricsPort, host: "0.0.0.0", enabled: true },
    stats: { instance: input.instance },
  };
  parseConfig(document, "ingester config rendered from the stack settings (streamstack:products, streamstack:channels)");
  return `# Rendered by infra/ingesterConfig.ts from the Pulumi stack config; edit the stack config, not this file.\n${stringify(document)}`;
}
