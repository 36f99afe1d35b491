// Runs the whole program under Pulumi mocks and records every resource: type, name, inputs as
// the engine would receive them (secrets still wrapped), parent and dependsOn.
import * as pulumi from "@pulumi/pulumi";

/** Marks a secret value in mock inputs (the SDK's secret signature, FACTS.md). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly resource: pulumi.Resource;
  readonly parent?: pulumi.Resource;
  readonly dependsOn: pulumi.Resource[];
  readonly provider?: pulumi.ProviderResource;
  readonly opts: pulumi.CustomResourceOptions & pulumi.ComponentResourceOptions;
  /** Set once the mock monitor has seen the resource (custom resources only). */
  inputs?: Record<string, unknown>;
}

export const recorded: Recorded[] = [];
let mockCalls = 0;

/** Password-like values our mocks generate; a test searches plain inputs for them. */
export const generatedSecrets = new Set<string>();

export function isSecretWrapped(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "random:index/randomPassword:RandomPassword": {
      const result = `rp-${args.name}-${"x".repeat(24)}`;
      generatedSecrets.add(result);
      return { ...inputs, result };
    }
    case "pulumi-nodejs:dynamic/streamstack:RandomSecret": {
      {
        const result = `rs-${args.name}-${"y".repeat(24)}`;
        generatedSecrets.add(result);
        return { ...inputs, result };
      }
    }
    case "pulumi-nodejs:dynamic/streamstack:SchemaMigrations":
      return { ...inputs, database: "coinbase_demo", migrations: ["001_create_database_and_raw_ticker"], userNames: [] };
    case "pulumi-nodejs:dynamic/streamstack:SupersetAssets":
      return { ...inputs, uuids: { database: "db-uuid", datasets: [], charts: [], dashboards: [] }, importedChecksum: inputs["bundleChecksum"], dashboardUrl: `${String(inputs["supersetUrl"])}/superset/dashboard/streamstack-markets/` };
    case "pulumi-nodejs:dynamic/streamstack:PostDeployVerification":
      return { ...inputs, results: [], warnings: [], verifiedAt: "2026-01-01T00:00:00Z" };
    case "docker:index/remoteImage:RemoteImage":
      return { ...inputs, imageId: `sha256:${args.name}`, repoDigest: `${String(inputs["name"])}@sha256:0` };
    case "docker:index/image:Image":
      return { ...inputs, repoDigest: `sha256:${args.name}` };
    case "docker:index/volume:Volume":
    case "docker:index/network:Network":
      return { ...inputs, name: inputs["name"] ?? args.name };
    default:
      return inputs;
  }
}

let installed = false;

/** Installs the mocks (once per process) and a transform that records every resource. */
export async function installMocks(stack = "dev"): Promise<void> {
  if (installed) return;
  installed = true;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        mockCalls++;
        const entry = recorded.find((r) => r.name === args.name && r.type === args.type && r.inputs === undefined);
        if (entry) entry.inputs = args.inputs as Record<string, unknown>;
        return { id: `${args.name}-id`, state: mockState(args) };
      },
      call(args) {
        return args.inputs;
      },
    },
    "streamstack",
    stack,
    false,
  );
}

/** Records resources constructed from now on (resource options are what the program passed). */
export function recordingOptions(): void {
  // Transformations see every resource with its options before registration.
  pulumi.runtime.registerStackTransformation((args) => {
    const opts = args.opts as Recorded["opts"];
    recorded.push({
      type: args.type,
      name: args.name,
      resource: args.resource,
      parent: opts.parent,
      dependsOn: toList(opts.dependsOn),
      provider: opts.provider,
      opts,
    });
    return undefined;
  });
}

function toList(value: unknown): pulumi.Resource[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]) as pulumi.Resource[];
}

/** Waits until the mock monitor has been quiet for a while (all registrations resolved). */
export async function settle(quietMs = 300): Promise<void> {
  let last = -1;
  while (last !== mockCalls) {
    last = mockCalls;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

export function find(type: string, name: string): Recorded {
  const hit = recorded.find((r) => r.type === type && r.name === name);
  if (!hit) throw new Error(`no ${type} named ${name}; recorded: ${recorded.map((r) => `${r.type} ${r.name}`).join(", ")}`);
  return hit;
}

export function ofType(type: string): Recorded[] {
  return recorded.filter((r) => r.type === type);
}

/** True when `r` depends on `target`, directly or through an ancestor component of target. */
export function dependsOn(r: Recorded, target: pulumi.Resource): boolean {
  const ancestors = (res: pulumi.Resource): pulumi.Resource[] => {
    const rec = recorded.find((x) => x.resource === res);
    return rec?.parent ? [rec.parent, ...ancestors(rec.parent)] : [];
  };
  const candidates = new Set([target, ...ancestors(target)]);
  return r.dependsOn.some((d) => candidates.has(d));
}

/** Every plain (not secret-wrapped) string inside a value. */
export function plainStrings(value: unknown, out: string[] = []): string[] {
  if (isSecretWrapped(value)) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) plainStrings(v, out);
  else if (typeof value === "object" && value !== null) for (const v of Object.values(value)) plainStrings(v, out);
  return out;
}

/** Sets the project's config for the next run (keys without the `streamstack:` prefix). */
export function setStackConfig(values: Record<string, string | number | boolean | string[]>, secretKeys: string[] = []): void {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) all[`streamstack:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(all, secretKeys.map((k) => `streamstack:${k}`));
}

export function reset(): void {
  recorded.length = 0;
}
