// Test helper: a real Superset (the PyPI wheel, same version as the image) on a loopback port.
// The venv is created once under .cache/ and reused while the constraints file is unchanged;
// each start gets a fresh SQLite metadata dir, a random SECRET_KEY and admin password, and runs
// the project's own bootstrap.sh (db upgrade, create-admin, init) before gunicorn.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { dirname, join, resolve } from "node:path";
import { PipProgress, pinnedCount } from "./pipProgress";

export const SUPERSET_VERSION = "6.1.0";
const SUPERSET_DIR = resolve(__dirname, "..");
const REPO_ROOT = resolve(SUPERSET_DIR, "..");
export const CONSTRAINTS_FILE = join(SUPERSET_DIR, `constraints-${SUPERSET_VERSION}-py311.txt`);
/** The cached venv (git-ignored). STREAMSTACK_SUPERSET_VENV moves it, e.g. to a CI cache directory. */
export const VENV_DIR = process.env.STREAMSTACK_SUPERSET_VENV || join(REPO_ROOT, ".cache", `superset-venv-${SUPERSET_VERSION}`);
/**
 * What the venv gets. rich, cachetools and Flask-Caching 2.3.1 are pinned by the constraints
 * file; named here too because a resolver left alone drops or upgrades them and Superset breaks
 * (FACTS.md, Superset, "Tried here").
 */
export const REQUIREMENTS = [`apache-superset==${SUPERSET_VERSION}`, "clickhouse-connect>=0.13.0,<1.0", "rich", "cachetools", "flask-caching==2.3.1"];

export interface SupersetServer {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** The installed apache-superset version. */
  readonly version: string;
  /** Superset's stdout+stderr (gunicorn and app log): where import errors are explained. */
  readonly logFile: string;
  readLog(): string;
  /** Runs bootstrap.sh again (server command `true`) against the same metadata database. */
  rerunBootstrap(): { status: number | null; output: string };
  stop(): Promise<void>;
}

export type Availability = { readonly ok: true; readonly python: string } | { readonly ok: false; readonly reason: string };

/** Whether this machine can run the real-Superset tests: a Python 3 with venv and pip. */
export function supersetAvailability(): Availability {
  for (const python of ["python3.11", "python3"]) {
    const version = spawnSync(python, ["--version"], { encoding: "utf8" });
    if (version.status !== 0) continue;
    const venv = spawnSync(python, ["-c", "import venv, ensurepip"], { encoding: "utf8" });
    if (venv.status !== 0) {
      return { ok: false, reason: `${python} has no venv/ensurepip module (on Debian/Ubuntu: apt-get install python3-venv)` };
    }
    return { ok: true, python };
  }
  return { ok: false, reason: "python3 is not installed (the real-Superset tests need Python 3.11 with venv and pip)" };
}

function installFingerprint(python: string): string {
  const pythonVersion = spawnSync(python, ["--version"], { encoding: "utf8" }).stdout.trim();
  return createHash("sha256")
    .update(readFileSync(CONSTRAINTS_FILE))
    .update(REQUIREMENTS.join("\n"))
    .update(pythonVersion)
    .digest("hex");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Creates or reuses the cached venv; returns its bin directory. Serialised across processes by a lock dir. */
export async function ensureSupersetVenv(log: (line: string) => void = console.log): Promise<string> {
  const availability = supersetAvailability();
  if (!availability.ok) throw new Error(`Cannot install Superset: ${availability.reason}`);
  const bin = join(VENV_DIR, "bin");
  const marker = join(VENV_DIR, ".streamstack-installed");
  const fingerprint = installFingerprint(availability.python);
  if (existsSync(marker) && readFileSync(marker, "utf8") === fingerprint) return bin;

  mkdirSync(dirname(VENV_DIR), { recursive: true });
  const lock = `${VENV_DIR}.lock`;
  const lockDeadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > lockDeadline) throw new Error(`${lock} has existed for 15 minutes: another install hung or crashed; delete it and retry`);
      await sleep(2_000);
    }
  }
  try {
    if (existsSync(marker) && readFileSync(marker, "utf8") === fingerprint) return bin;
    log(`Installing apache-superset ${SUPERSET_VERSION} into ${VENV_DIR} (first run or constraints changed; about 2 minutes)…`);
    rmSync(VENV_DIR, { recursive: true, force: true });
    run(availability.python, ["-m", "venv", VENV_DIR]);
    await pipInstall(join(bin, "pip"), ["install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "-c", CONSTRAINTS_FILE, ...REQUIREMENTS], log);
    writeFileSync(marker, fingerprint);
    return bin;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Runs pip, telling its phase and how far it got every 10 s (PipProgress); throws with its last lines on failure. */
export async function pipInstall(pip: string, args: string[], log: (line: string) => void): Promise<void> {
  const progress = new PipProgress(pinnedCount(readFileSync(CONSTRAINTS_FILE, "utf8")), Date.now());
  const tail: string[] = [];
  const child = spawn(pip, args, { stdio: ["ignore", "pipe", "pipe"] });
  const onLine = (line: string) => {
    progress.feed(line);
    tail.push(line);
    if (tail.length > 40) tail.shift();
    const message = progress.message(Date.now());
    if (message) log(message);
  };
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on("line", onLine);
  const timer = setInterval(() => {
    const message = progress.message(Date.now());
    if (message) log(message);
  }, 2_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (code !== 0) throw new Error(`${pip} ${args.join(" ")} failed (exit ${code}):\n${tail.join("\n")}`);
  } finally {
    clearInterval(timer);
  }
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { encoding: "utf8", env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}\n${result.stderr ?? ""}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
  return result.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts Superset on 127.0.0.1:<free port> and resolves once /health answers. */
export async function startSuperset(options: { readonly log?: (line: string) => void; readonly startTimeoutMs?: number } = {}): Promise<SupersetServer> {
  const log = options.log ?? console.log;
  const bin = await ensureSupersetVenv(log);
  const version = run(join(bin, "python"), ["-c", "import importlib.metadata as m; print(m.version('apache-superset'))"]).trim();
  const home = mkdtempSync(join(tmpdir(), "streamstack-superset-"));
  const port = await freePort();
  const username = "streamstack_admin";
  const password = randomBytes(18).toString("base64url");
  const logFile = join(home, "superset.log");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    VIRTUAL_ENV: VENV_DIR,
    SUPERSET_HOME: home,
    SUPERSET_CONFIG_PATH: join(SUPERSET_DIR, "superset_config.py"),
    SUPERSET_SECRET_KEY: randomBytes(42).toString("base64"),
    SUPERSET_ADMIN_USER: username,
    SUPERSET_ADMIN_PASSWORD: password,
    SUPERSET_ADMIN_EMAIL: "admin@streamstack.invalid",
    PYTHONUNBUFFERED: "1",
    // Superset turns relative time ranges ("now") into naive datetimes in the process's zone;
    // the image runs in UTC, and so do the ClickHouse rollups.
    TZ: "UTC",
  };
  delete env.PYTHONPATH;
  const out = createWriteStream(logFile);
  const gunicorn = ["gunicorn", "--bind", `127.0.0.1:${port}`, "--workers", "1", "--worker-class", "gthread", "--threads", "4", "--timeout", "120", "superset.app:create_app()"];
  const child: ChildProcess = spawn("bash", [join(SUPERSET_DIR, "bootstrap.sh"), ...gunicorn], {
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");

  const stop = async () => {
    if (exited === undefined && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 50 && exited === undefined; i++) await sleep(200);
      if (exited === undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
    out.end();
    rmSync(home, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 240_000);
  const started = Date.now();
  for (;;) {
    if (exited !== undefined) {
      const tail = readLog().split("\n").slice(-40).join("\n");
      await stop();
      throw new Error(`Superset exited (code ${exited}) before answering /health. Last log lines:\n${tail}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      const tail = readLog().split("\n").slice(-40).join("\n");
      await stop();
      throw new Error(`Superset did not answer ${url}/health in time. Last log lines:\n${tail}`);
    }
    await sleep(500);
  }
  log(`Superset ${version} (apache-superset from PyPI) answering at ${url} after ${Math.round((Date.now() - started) / 1000)} s`);
  const rerunBootstrap = () => {
    const result = spawnSync("bash", [join(SUPERSET_DIR, "bootstrap.sh"), "true"], { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
  };
  return { url, username, password, version, logFile, readLog, rerunBootstrap, stop };
}
