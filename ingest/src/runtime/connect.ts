// The ClickHouse the config names, opened and checked before anything is read. The embedded
// engine is migrated here (nothing else migrates it); a server must already hold the schema.
import { clickhouseHttpUrl, embeddedUrl, openClickHouse, type ClickHouseHandle } from "../../../sql/src/client";
import { migrate } from "../../../sql/src/runner";
import { resolvePassword } from "../config/load";
import type { IngestConfig } from "../config/schema";
import type { Logger } from "../observability/log";
import type { ClickHouseSink } from "../sinks/clickhouse";

/** A problem no retry can fix (bad config, missing schema): the CLI exits non-zero. */
export class FatalError extends Error {}

export async function openConfiguredClickHouse(config: IngestConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<ClickHouseHandle> {
  const sink = config.sink;
  if (sink.type === "embedded") {
    const handle = await openClickHouse({ url: embeddedUrl(sink.path) });
    try {
      // The embedded engine has no other migrator: bring its schema up to date here.
      const result = await migrate(handle.client, { manageAccess: false, backfillGuardMs: 0, backfillSettleMs: 0, log: (line) => log.info(line) });
      if (result.applied.length > 0) log.info("embedded ClickHouse migrated", { path: sink.path, applied: result.applied });
    } catch (err) {
      await handle.close();
      throw new FatalError(`Cannot prepare the embedded ClickHouse at ${sink.path} (sink.path): ${(err as Error).message}`);
    }
    return handle;
  }
  if (sink.password !== undefined && sink.password_env === undefined) {
    log.warn("sink.password is written in the config file; prefer sink.password_env so no secret sits in a file");
  }
  return openClickHouse({
    url: clickhouseHttpUrl(sink),
    username: sink.user,
    password: resolvePassword(config, env),
    requestTimeoutMs: sink.request_timeout_ms,
    application: "streamstack-ingest",
  });
}

/** Throws a FatalError when ClickHouse cannot be asked, or lacks a table the sink writes. */
export async function requireSchema(sink: ClickHouseSink, config: IngestConfig): Promise<void> {
  let missing: string[];
  try {
    missing = await sink.missingTables();
  } catch (err) {
    throw new FatalError(`Cannot check the schema in ClickHouse (${describeSink(config)}): ${(err as Error).message}. Is the server up, and are sink.host, sink.port, sink.user and the password right?`);
  }
  if (missing.length > 0) {
    throw new FatalError(`ClickHouse has no table ${missing.join(", ")}: run the migrations first (npm run migrate), then start the ingester`);
  }
}

function describeSink(config: IngestConfig): string {
  const sink = config.sink;
  return sink.type === "embedded" ? `embedded at ${sink.path}` : `${clickhouseHttpUrl(sink)} as ${sink.user}`;
}
