// Test helper: a fresh embedded ClickHouse (chdb) behind a @clickhouse/client client.
// chdb allows one data directory per process at a time, so engines open one after another:
// close the previous one (await engine.close()) before opening the next.
import type { ClickHouseClient } from "@clickhouse/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
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

/**
 * A suite's engine: opened by `before` and closed by `after` of the describe block it is called
 * in. Use it inside tests (`engine.client`); before the hook ran it throws, naming the mistake.
 *   const engine = suiteEngine(openMigratedEngine);
 */
export function suiteEngine(open: () => Promise<TestEngine> = openTestEngine): TestEngine {
  let engine: TestEngine | undefined;
  before(async () => {
    engine = await open();
  });
  after(async () => {
    await engine?.close();
  });
  const current = (): TestEngine => {
    if (!engine) throw new Error("the suite's engine opens in its before() hook: use it inside a test or a later hook");
    return engine;
  };
  return {
    get client() {
      return current().client;
    },
    get dir() {
      return current().dir;
    },
    get url() {
      return current().url;
    },
    close: (options) => current().close(options),
  };
}

/** Opens the engine at `dir` for `f` and closes it again, keeping the directory (chdb allows one process per directory: a provider process may need it next). */
export async function withEngineAt<T>(dir: string, f: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const engine = await openTestEngine({ dir });
  try {
    return await f(engine.client);
  } finally {
    await engine.close({ keepDir: true });
  }
}

/**
 * Writes one row every `everyMs` (`write(i)`, i = 0, 1, …, at most `count`) from 300 ms before
 * `during` starts until 300 ms after it ends, as a live ingester would; returns how many it wrote.
 */
export async function whileWriting(count: number, write: (i: number) => Promise<void>, during: () => Promise<unknown>, everyMs = 100): Promise<number> {
  let i = 0;
  let stop = false;
  const writer = (async () => {
    while (!stop && i < count) {
      await write(i);
      i += 1;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  await during();
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await writer;
  return i;
}
