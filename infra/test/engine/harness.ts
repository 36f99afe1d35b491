// Runs programs under the real Pulumi engine: the pinned CLI (scripts/pulumi-cli.sh), the
// Automation API's inline mode (the language runtime is this process), a fresh file backend and
// passphrase per stack, and dynamic providers served by pulumi-resource-pulumi-nodejs from
// node_modules/@pulumi/pulumi.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type EngineEvent, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";

export const REPO = resolve(__dirname, "..", "..", "..");
export const PROJECT = "streamstack";

/** Why the engine tests cannot run here, or undefined when they can. In CI a missing CLI is a failure, not a skip. */
export function cliUnavailable(): string | undefined {
  try {
    pulumiRoot();
    return undefined;
  } catch (err) {
    const reason = `no Pulumi CLI: ${(err as Error).message.split("\n").slice(-3).join(" ")}`;
    if (process.env.CI === "true") throw new Error(`${reason}. CI must run the engine tests: run "bash scripts/pulumi-cli.sh" first (needs Go >= 1.26 and the Go module proxy).`);
    return reason;
  }
}

let cachedRoot: string | undefined;

/** The pinned CLI's install root (`<root>/bin/pulumi`), from STREAMSTACK_PULUMI_ROOT or scripts/pulumi-cli.sh. */
export function pulumiRoot(): string {
  if (cachedRoot) return cachedRoot;
  const fromEnv = process.env.STREAMSTACK_PULUMI_ROOT;
  const root = fromEnv && fromEnv.length > 0
    ? fromEnv
    : execFileSync("bash", [join(REPO, "scripts", "pulumi-cli.sh"), "--root"], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim();
  if (!existsSync(join(root, "bin", "pulumi"))) {
    throw new Error(`${join(root, "bin", "pulumi")} does not exist (from ${fromEnv ? "STREAMSTACK_PULUMI_ROOT" : "scripts/pulumi-cli.sh --root"})`);
  }
  cachedRoot = root;
  return root;
}

/**
 * A copy of the repository as `git clone` gives it (the files git tracks, plus new files it does
 * not ignore, as they are in the work tree), with the installed node_modules linked in: README's
 * first command, `npm ci`, already ran in the repository (.ci/run), from the same lock file.
 */
export function cleanCopy(prefix = "streamstack-clone-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO, encoding: "utf8" })
    .split("\0")
    .filter((f) => f.length > 0 && existsSync(join(REPO, f))); // a file deleted in the work tree is not in the clone either
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO, file), join(dir, file));
  }
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** The test-only Node.js language host (infra/test/cli): the official one is not on the Go module proxy. */
export const LANGUAGE_HOST_DIR = join(REPO, "infra", "test", "cli", "bin");

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}
export type NpmRun = (script: string, args?: string[], extraEnv?: NodeJS.ProcessEnv) => Promise<Ran>;

/**
 * `npm run <script> [-- args]` in `project`, as a user types it, with what this machine lacks put
 * where a user's install has it: the pinned CLI on PATH (Pulumi's installer puts it there), the
 * test language host, and the SDK's dynamic-provider host (the installer puts it next to the CLI).
 * Asynchronous, so a server in the test's own process (the embedded ClickHouse) keeps answering.
 */
export function npmRunner(project: string, pulumiHome: string, { withCli = true, withLanguageHost = true } = {}): NpmRun {
  return (script, args = [], extraEnv = {}) => {
    const sdkDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
    const path = [...(withCli ? [join(pulumiRoot(), "bin")] : []), ...(withLanguageHost ? [LANGUAGE_HOST_DIR] : []), sdkDir, process.env.PATH].join(":");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: path,
      PULUMI_HOME: pulumiHome,
      // No network here: do not try to download the docker/grafana/random plugins the program's
      // packages declare (none of their resources is made in the external-services configuration).
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      ...extraEnv,
    };
    for (const key of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE", "STREAMSTACK_STACK"]) if (!(key in extraEnv)) delete env[key];
    const argv = ["run", "--silent", script, ...(args.length > 0 ? ["--", ...args] : [])];
    return new Promise((resolve, reject) => {
      const child = spawn("npm", argv, { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
  };
}

/** Asserts that a command succeeded, showing its output when it did not. */
export function ok(ran: Ran, what: string): Ran {
  assert.equal(ran.status, 0, `${what} failed:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

export function pinnedVersion(): string {
  return readFileSync(join(REPO, "scripts", "pulumi-version.txt"), "utf8").trim();
}

export interface EngineStack {
  readonly stack: Stack;
  /** The file backend's folder: the state and its backups live here. */
  readonly backendDir: string;
  readonly passphrase: string;
  /** Every step event seen by the last operation run through `run`. */
  readonly events: EngineEvent[];
  /** Deletes the backend folder and the workspace (after destroy/removeStack). */
  dispose(): Promise<void>;
}

/** A fresh stack of the inline `program` with its own file backend and passphrase. */
export async function createEngineStack(program: PulumiFn, stackName = `test-${randomBytes(3).toString("hex")}`): Promise<EngineStack> {
  const root = pulumiRoot();
  const pulumiCommand = await PulumiCommand.get({ root });
  const backendDir = mkdtempSync(join(tmpdir(), "streamstack-pulumi-backend-"));
  const pulumiHome = mkdtempSync(join(tmpdir(), "streamstack-pulumi-home-"));
  const passphrase = randomBytes(24).toString("base64url");
  // pulumi-resource-pulumi-nodejs (the dynamic provider host) ships inside @pulumi/pulumi.
  const sdkDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_HOME: pulumiHome,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PATH: `${sdkDir}:${join(root, "bin")}:${process.env.PATH ?? ""}`,
    // That script finds the SDK with require.resolve from its working directory, which for an
    // inline program is a temporary folder outside the repository.
    NODE_PATH: join(REPO, "node_modules"),
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: PROJECT, program },
    { pulumiCommand, envVars, projectSettings: { name: PROJECT, runtime: "nodejs", backend: { url: `file://${backendDir}` } } },
  );
  const events: EngineEvent[] = [];
  return {
    stack,
    backendDir,
    passphrase,
    events,
    dispose: async () => {
      rmSync(backendDir, { recursive: true, force: true });
      rmSync(pulumiHome, { recursive: true, force: true });
      rmSync(stack.workspace.workDir, { recursive: true, force: true });
    },
  };
}

/** The contents of every file in the backend (current state, backups, history). */
export function backendFiles(backendDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(full, readFileSync(full, "latin1"));
    }
  };
  walk(backendDir);
  return out;
}

export interface StepSummary {
  readonly op: string;
  readonly type: string;
  readonly name: string;
}

/** The steps an operation reported, from its engine events (resourcePreEvent), without the stack itself. */
export function stepsOf(events: readonly EngineEvent[]): StepSummary[] {
  return events
    .flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []))
    .filter((m) => m.type !== "pulumi:pulumi:Stack")
    .map((m) => ({ op: m.op, type: m.type, name: m.urn.split("::").pop() ?? m.urn }));
}

/** Steps that change something (anything but "same"/"read"). */
export function changingSteps(events: readonly EngineEvent[]): StepSummary[] {
  return stepsOf(events).filter((s) => s.op !== "same" && s.op !== "read");
}

/**
 * The post-deploy checks' [check, status] in the external-services configuration (users not
 * managed, Grafana and the ingester off): Superset's own connection to ClickHouse is "ok" when
 * Superset can reach it (ClickHouse over HTTP), "skipped" for the engine inside the Pulumi process.
 */
export function externalServicesChecks(databaseUuid: string, supersetConnection: "ok" | "skipped"): Array<[string, string]> {
  return [
    ["clickhouse users", "skipped"],
    ["grafana", "skipped"],
    ["superset health", "ok"],
    [`superset database ${databaseUuid}`, "ok"],
    ["superset database connection", supersetConnection],
    ["ticks arrive", "skipped"],
    ["trades arrive", "skipped"],
  ];
}
