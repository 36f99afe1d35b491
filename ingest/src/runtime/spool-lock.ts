// One ingester per spool directory. Two on one spool append to the same segments with their own
// idea of the offsets, so blocks, tokens and the checkpoint stop matching the file (rows stored
// twice, a checkpoint pointing into the middle of a line).
//
// The lock is flock(2) on <spool.dir>/lock, held by a small child process, because Node has no
// flock of its own: `sh` opens the file on fd 9, `flock -n 9` (util-linux) locks it or exits at
// once, then `exec cat` keeps fd 9 open while it waits on a pipe from this process. The kernel
// drops the lock when the last holder of that file description exits, so a holder that dies in
// any way (kill -9, OOM, a crash) frees the directory: this process's end of the pipe closes,
// `cat` reads end-of-file and exits. No pid to check for liveness, so no pid reuse, no stale-lock
// guess, and it works between containers that share the volume (their pid namespaces differ). The
// child is in its own process group, so a terminal's Ctrl-C does not end it before this process
// has finished its flush; it is this process's direct child (sh execs cat), so nothing is left for
// PID 1 to reap. The holder writes its pid, host and start time into the file for the refusal.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Socket } from "node:net";
import { FatalError } from "./connect";

export const LOCK_FILE = "lock";
/** sh's exit code when another process holds the lock. */
const HELD = 75;
const SCRIPT = `exec 9>>"$1" || exit 73; flock -n 9 || exit ${HELD}; echo locked; exec cat`;
const START_TIMEOUT_MS = 10_000;

interface Holder {
  pid: number;
  host: string;
  started_at: string;
}

const RELEASE_TIMEOUT_MS = 2_000;

export class SpoolLock {
  private released = false;
  /** Resolves once the holding child has exited (the lock is free). */
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly path: string,
  ) {
    this.exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
  }

  /**
   * Takes the directory's lock, or throws a FatalError naming the directory and the holder's pid.
   * `onLost` is told if the holding child ends while the lock is still wanted.
   */
  static async acquire(dir: string, onLost: (detail: string) => void): Promise<SpoolLock> {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new FatalError(`Cannot create the spool directory ${dir} (spool.dir): ${(err as Error).message}`);
    }
    const path = join(dir, LOCK_FILE);
    const child = spawn("sh", ["-c", SCRIPT, "spool-lock", path], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    child.stdin!.on("error", () => undefined); // the pipe of a child that is gone: nothing to do
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const outcome = await new Promise<"locked" | { code: number | null; error?: Error }>((resolve) => {
      const timer = setTimeout(() => resolve({ code: null, error: new Error(`no answer within ${START_TIMEOUT_MS} ms`) }), START_TIMEOUT_MS);
      child.stdout!.once("data", () => {
        clearTimeout(timer);
        resolve("locked");
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        resolve({ code: null, error });
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve({ code });
      });
    });
    if (outcome !== "locked") {
      child.kill("SIGKILL");
      if (outcome.code === HELD) throw new FatalError(refusal(dir, path));
      const why = outcome.error?.message ?? `exit code ${outcome.code}${stderr ? `: ${stderr.trim()}` : ""}`;
      throw new FatalError(`Cannot lock the spool directory ${dir} (spool.dir) through ${path}: ${why}. The lock needs sh and flock(1) (util-linux) and a writable spool.dir`);
    }
    const lock = new SpoolLock(child, path);
    child.once("exit", (code, signal) => {
      if (!lock.released) onLost(`the process holding ${path} ended (${signal ?? `exit code ${code}`}); another ingester could now take the spool`);
    });
    // The lock must not keep this process alive: it ends with it.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket | null)?.unref();
    const holder: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
    writeFileSync(path, `${JSON.stringify(holder)}\n`);
    return lock;
  }

  /**
   * Frees the directory: the child reads end-of-file and exits. Resolves once it has, so a next
   * start in this process (tests) finds the directory free.
   */
  async release(): Promise<void> {
    if (this.released) return this.exited;
    this.released = true;
    try {
      if (this.child.exitCode === null) writeFileSync(this.path, "");
    } catch {
      // The holder's details are a courtesy; the lock itself goes with the child.
    }
    this.child.stdin?.end();
    this.child.ref(); // waiting for its exit must keep this process up until then
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        resolve();
      }, RELEASE_TIMEOUT_MS);
    });
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
  }
}

function refusal(dir: string, path: string): string {
  let holder = `its pid is not recorded in ${path} yet`;
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as Partial<Holder>;
    if (typeof h.pid === "number") holder = `pid ${h.pid} on host ${h.host ?? "?"}, running since ${h.started_at ?? "?"}`;
  } catch {
    // Empty or being written: the holder has just started.
  }
  return (
    `The spool directory ${dir} (spool.dir) is in use by another ingester (${holder}). Two ingesters on one spool would store rows twice ` +
    `and corrupt its checkpoint: stop the other one first, or give this one its own spool.dir`
  );
}
