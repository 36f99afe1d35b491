// Test helper: a fresh embedded ClickHouse (chdb) behind a @clickhouse/client client.
// chdb allows one data directory per process at a time, so engines open one after another:
// close the previous one (await engine.close()) before opening the next.
import type { ClickHouseClient } from "@clickhouse/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedUrl, openClickHouse } from "../src/client";
import { migrate, type MigrateOptions } from "../src/runner";

export interface TestEngine {
  readonly client: ClickHouseClient;
  /** The engine's data directory; `chdb:<dir>` reopens it. */
  readonly dir: string;
  readonly url: string;
  /** Closes the client, frees the engine and deletes the directory (unless keepDir). */
  close(options?: { keepDir?: boolean }): Promise<void>;
}

let open: string | undefined;

export async function openTestEngine(options: { dir?: string } = {}): Promise<TestEngine> {
  if (open) throw new Error(`An embedded engine is still open at ${open}: close it before opening another (chdb allows one per process)`);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "streamstack-ch-"));
  const url = embeddedUrl(dir);
  const handle = await openClickHouse({ url });
  open = dir;
  return {
    client: handle.client,
    dir,
    url,
    close: async ({ keepDir = false } = {}) => {
      await handle.close();
      open = undefined;
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An engine with every migration applied (no users: the embedded engine refuses CREATE USER):
 * fresh, or at `dir` (created if missing, brought up to date if not).
 */
export async function openMigratedEngine(options: Omit<MigrateOptions, "manageAccess"> & { dir?: string } = {}): Promise<TestEngine> {
  const { dir, ...migrateOptions } = options;
  const engine = await openTestEngine({ dir });
  try {
    await migrate(engine.client, { backfillGuardMs: 0, backfillSettleMs: 0, ...migrateOptions, manageAccess: false });
  } catch (err) {
    await engine.close({ keepDir: dir !== undefined }); // a directory it was given is never deleted
    throw err;
  }
  return engine;
}
