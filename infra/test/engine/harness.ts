// Runs programs under the real Pulumi engine: the pinned CLI (scripts/pulumi-cli.sh), the
// Automation API's inline mode (the language runtime is this process), a fresh file backend and
// passphrase per stack, and dynamic providers served by pulumi-resource-pulumi-nodejs from
// node_modules/@pulumi/pulumi.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
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
