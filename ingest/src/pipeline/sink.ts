// What the committer needs from a sink. The pipeline owns this contract and sinks/ implement it,
// so the arrow points from sinks to the pipeline only; main.ts plugs the ClickHouse sink in.
import type { RowText, TableKey } from "./block-text";

export interface BlockSink {
  /**
   * Stores one table's rows of a block, retrying until they are in. `token` is the same for the
   * same rows in this run and after a crash, so a retry of rows already stored is a no-op. When
   * `abort` fires, it rejects with InsertAborted and the rows stay in the spool.
   */
  store(key: TableKey, text: RowText, token: string, abort: AbortSignal): Promise<void>;
}

/** A store given up at shutdown (its abort signal fired): not an error, the spool keeps the rows. */
export class InsertAborted extends Error {}
