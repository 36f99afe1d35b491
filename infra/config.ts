// The stack's settings, read once at the program's entry and validated before any resource is
// declared. Every key is documented in Pulumi.yaml: the ones with a default under `config:` (the
// defaults here must match them: infra/test/config.test.ts checks that, because the Automation
// API's inline mode does not read Pulumi.yaml), the optional ones in the comment block above it
// (Pulumi treats a declared key without a default as required).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CHANNELS } from "../ingest/src/config/schema";
import { isEmbeddedUrl, parseClickHouseUrl } from "../sql/src/client";
import { exactVersion, imageRef, port } from "./rules";

export const PROJECT = "streamstack";


const memoryMb = z.number().int().min(64, "expected at least 64 (MB)");
const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" });
const clickhouseUrl = z
  .string()
  .superRefine((url, ctx) => {
    try {
      parseClickHouseUrl(url);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  });
const productId = z.string().regex(/^[A-Z0-9]{2,10}-[A-Z0-9]{2,10}$/, "expected Coinbase product ids such as BTC-USD");
const userName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "expected lower-case letters, digits and _ (starting with a letter)");

/** Plain (non-secret) settings with their defaults. Keys are `streamstack:<key>` in stack config. */
export const settingsSchema = z
  .object({
    /** Host address every published port binds to. */
    bindAddress: z.union([z.ipv4(), z.ipv6()], { error: "expected an IP address such as 127.0.0.1" }).default("127.0.0.1"),
    /** Prefix of container, volume, network and image names on the Docker host (default: streamstack-<stack>). */
    namePrefix: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,40}$/, "expected lower-case letters, digits, '.', '_' or '-'").optional(),
    clickhouseHttpPort: port.default(8123),
    grafanaPort: port.default(3000),
    supersetPort: port.default(8088),
    ingesterMetricsPort: port.default(9464),
    clickhouseImage: imageRef.default("clickhouse/clickhouse-server:26.8.10.6"),
    grafanaImage: imageRef.default("grafana/grafana:13.3.0"),
    grafanaClickhousePluginVersion: exactVersion.default("4.20.0"),
    products: z.array(productId).min(1, "list at least one product id").default(["BTC-USD", "ETH-USD"]),
    channels: z.array(z.enum(CHANNELS)).min(1, "list at least one channel").default(["ticker", "matches", "heartbeat"]),
    rawRetentionDays: z.number().int().min(0, "expected 0 (keep forever) or a number of days").default(30),
    alertWebhookUrl: httpUrl.optional(),
    alertEmail: z.email({ error: "expected an e-mail address" }).optional(),
    keepDataOnDestroy: z.boolean().default(false),
    clickhouseMemoryMb: memoryMb.default(4096),
    grafanaMemoryMb: memoryMb.default(512),
    supersetMemoryMb: memoryMb.default(2048),
    ingesterMemoryMb: memoryMb.default(512),
    clickhouseWaitSeconds: z.number().int().min(10).default(120),
    grafanaWaitSeconds: z.number().int().min(10).default(300),
    supersetWaitSeconds: z.number().int().min(10).default(600),
    ingesterWaitSeconds: z.number().int().min(10).default(120),
    /** External ClickHouse: no ClickHouse container is made. */
    clickhouseUrl: clickhouseUrl.optional(),
    clickhouseAdminUser: userName.default("streamstack_admin"),
    manageClickhouseUsers: z.boolean().default(true),
    /** External Superset: no Superset container is made. */
    supersetUrl: httpUrl.optional(),
    supersetEnabled: z.boolean().default(true),
    supersetAdminUser: z.string().min(1).default("admin"),
    grafanaEnabled: z.boolean().default(true),
    grafanaAdminUser: z.string().min(1).default("admin"),
    ingesterEnabled: z.boolean().default(true),
    verificationEnabled: z.boolean().default(true),
    verificationTickWaitSeconds: z.number().int().min(0).default(120),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

/** Secret settings: optional; a missing one is generated (or required, see `requiredSecrets`). */
export const SECRET_KEYS = [
  "clickhouseAdminPassword",
  "ingesterPassword",
  "grafanaReaderPassword",
  "supersetReaderPassword",
  "grafanaAdminPassword",
  "grafanaSecretKey",
  "supersetAdminPassword",
  "supersetSecretKey",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** Where the stack's settings come from: `new pulumi.Config()` in a deployment, a map in tests. */
export interface ConfigSource {
  /** The raw string value of a plain key, undefined when unset. */
  get(key: string): string | undefined;
  /** A secret key's value as a secret Output, undefined when unset. */
  getSecret(key: string): pulumi.Output<string> | undefined;
  /** Every key set in the project's namespace (to reject unknown ones), when the source can list them. */
  keys?(): string[];
  /** Whether a key's value is stored encrypted (`config set --secret`), when the source knows. */
  isSecret?(key: string): boolean;
}

export interface StackConfig extends Omit<Settings, "namePrefix"> {
  readonly stack: string;
  readonly namePrefix: string;
  /** Secrets given in config (already secret Outputs); the rest are generated by the program. */
  readonly secrets: Partial<Record<SecretKey, pulumi.Output<string>>>;
  /** True when no container is made at all: external ClickHouse, external or no Superset, no Grafana, no ingester. */
  readonly externalOnly: boolean;
}

export class StackConfigError extends Error {}

/** The SDK's own record of which config keys were stored as secrets (runtime/config.js; not in its typings). */
const sdkRuntimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (key: string) => boolean };

export function pulumiConfigSource(config: pulumi.Config = new pulumi.Config(PROJECT)): ConfigSource {
  const isConfigSecret = sdkRuntimeConfig.isConfigSecret;
  return {
    get: (key) => config.get(key),
    getSecret: (key) => config.getSecret(key),
    keys: () =>
      Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(`${PROJECT}:`))
        .map((k) => k.slice(PROJECT.length + 1)),
    isSecret: isConfigSecret ? (key) => isConfigSecret(`${PROJECT}:${key}`) : undefined,
  };
}

/** Reads and validates every setting; throws StackConfigError naming each bad key and the fix. */
export function loadStackConfig(source: ConfigSource = pulumiConfigSource(), stack: string = pulumi.getStack()): StackConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  const shape = settingsSchema.shape as Record<string, z.ZodType>;

  for (const key of source.keys?.() ?? []) {
    if (!(key in shape) && !(SECRET_KEYS as readonly string[]).includes(key)) {
      problems.push(`${PROJECT}:${key}: unknown setting; the settings are declared in Pulumi.yaml (check the spelling)`);
    }
  }
  for (const key of Object.keys(shape)) {
    const value = source.get(key);
    if (value === undefined) continue;
    raw[key] = isStringSetting(shape[key]!) ? value : parseJsonish(value);
  }

  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "?");
      const at = issue.path.length > 1 ? ` (item ${issue.path.slice(1).join(".")})` : "";
      problems.push(`${PROJECT}:${key}: ${issue.message}${at}; got ${JSON.stringify(raw[key])}`);
    }
  }

  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  for (const key of SECRET_KEYS) {
    const value = source.getSecret(key);
    if (value === undefined) continue;
    secrets[key] = value;
    if (source.isSecret?.(key) === false) {
      problems.push(
        `${PROJECT}:${key}: stored in plain text in the stack's config file; store it encrypted with: ` +
          `npm run config -- set --secret ${key} <value>`,
      );
    }
  }
  if (problems.length > 0 || !parsed.success) throw new StackConfigError(formatProblems(problems));

  const settings = parsed.data;
  problems.push(...crossChecks(settings, secrets));
  if (problems.length > 0) throw new StackConfigError(formatProblems(problems));

  const externalOnly =
    settings.clickhouseUrl !== undefined &&
    (settings.supersetUrl !== undefined || !settings.supersetEnabled) &&
    !settings.grafanaEnabled &&
    !settings.ingesterEnabled;

  return { ...settings, stack, namePrefix: settings.namePrefix ?? defaultPrefix(stack), secrets, externalOnly };
}

/** Rules between keys; each message names the keys and what to set. */
export function crossChecks(s: Settings, secrets: Partial<Record<SecretKey, unknown>>): string[] {
  const problems: string[] = [];
  const ports: Array<[string, number, boolean]> = [
    ["clickhouseHttpPort", s.clickhouseHttpPort, s.clickhouseUrl === undefined],
    ["grafanaPort", s.grafanaPort, s.grafanaEnabled],
    ["supersetPort", s.supersetPort, s.supersetEnabled && s.supersetUrl === undefined],
    ["ingesterMetricsPort", s.ingesterMetricsPort, s.ingesterEnabled],
  ];
  const used = new Map<number, string>();
  for (const [key, value, active] of ports) {
    if (!active) continue;
    const other = used.get(value);
    if (other) problems.push(`${PROJECT}:${key}: port ${value} is also ${PROJECT}:${other}; give each service its own host port`);
    used.set(value, key);
  }
  if (s.clickhouseUrl !== undefined && !isEmbeddedUrl(s.clickhouseUrl) && secrets.clickhouseAdminPassword === undefined) {
    problems.push(
      `${PROJECT}:clickhouseAdminPassword: required with ${PROJECT}:clickhouseUrl (an external ClickHouse); ` +
        `set it with: npm run config -- set --secret clickhouseAdminPassword <password>`,
    );
  }
  if (s.supersetUrl !== undefined && s.supersetEnabled && secrets.supersetAdminPassword === undefined) {
    problems.push(
      `${PROJECT}:supersetAdminPassword: required with ${PROJECT}:supersetUrl (an external Superset); ` +
        `set it with: npm run config -- set --secret supersetAdminPassword <password>`,
    );
  }
  const embedded = s.clickhouseUrl !== undefined && isEmbeddedUrl(s.clickhouseUrl);
  if (embedded && s.manageClickhouseUsers) {
    problems.push(
      `${PROJECT}:manageClickhouseUsers: must be false with an embedded engine (${PROJECT}:clickhouseUrl=${s.clickhouseUrl}), ` +
        `which refuses CREATE USER; set it with: npm run config -- set manageClickhouseUsers false`,
    );
  }
  if (embedded && (s.grafanaEnabled || s.ingesterEnabled || (s.supersetEnabled && s.supersetUrl === undefined))) {
    problems.push(
      `${PROJECT}:clickhouseUrl: ${s.clickhouseUrl} is an engine inside the Pulumi process, which containers cannot reach; ` +
        `disable grafanaEnabled, ingesterEnabled and supersetEnabled (or give supersetUrl), or point clickhouseUrl at a server`,
    );
  }
  return problems;
}

function defaultPrefix(stack: string): string {
  const clean = stack.toLowerCase().replace(/[^a-z0-9_.-]/g, "-").slice(0, 28);
  return `${PROJECT}-${clean}`;
}

function isStringSetting(schema: z.ZodType): boolean {
  let inner: unknown = schema;
  for (;;) {
    const def = (inner as { def?: { type?: string; innerType?: unknown; in?: unknown } }).def;
    if (!def) return false;
    if (def.type === "default" || def.type === "optional") inner = def.innerType;
    else if (def.type === "pipe") inner = def.in;
    else return def.type === "string" || def.type === "union";
  }
}

/** Numbers, booleans and lists arrive as JSON text in stack config (`pulumi config set --path`/`--type`). */
function parseJsonish(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function formatProblems(problems: string[]): string {
  return `Invalid stack configuration (nothing was deployed):\n  - ${problems.join("\n  - ")}`;
}
