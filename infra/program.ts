// streamstack on one Docker host, in dependency order:
//   secrets → network → ClickHouse (healthy) → schema: migrations + users (SchemaMigrations)
//   → Grafana (healthy) → datasource, folder, dashboards, alert rules, contact point
//   → Superset (healthy) → assets import → ingester (after the schema) → post-deploy verification.
// Each service can be external (ClickHouse, Superset) or disabled; with everything external the
// stack makes only our own dynamic resources and needs no provider plugin.
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_USERS, type UserRole } from "../sql/src/access";
import { isEmbeddedUrl, parseClickHouseUrl } from "../sql/src/client";
import { DATABASE } from "../sql/src/names";
import { buildBundle } from "../superset/src/bundle";
import { SupersetAssets } from "./dynamic/supersetAssets";
import { adminPasswordProblem, ClickHouseServer, CLICKHOUSE_ALIAS, CLICKHOUSE_HTTP_PORT } from "./components/clickhouse";
import type { ServiceBaseArgs } from "./components/common";
import { DATASOURCE_UID, GrafanaServer } from "./components/grafana";
import { IngesterService } from "./components/ingester";
import { StreamstackNetwork } from "./components/network";
import { SupersetServer } from "./components/superset";
import { formatProblems, loadStackConfig, PROJECT, StackConfigError, type StackConfig } from "./config";
import { PostDeployVerification, type PostDeployVerificationArgs } from "./dynamic/postDeployVerification";
import { SchemaMigrations } from "./dynamic/schemaMigrations";
import { grafanaContent } from "./grafanaContent";
import { INGESTER_PASSWORD_ENV, renderIngesterConfig } from "./ingesterConfig";
import { StackSecrets } from "./secrets";

export const REPO_ROOT = resolve(__dirname, "..");
/** Built images' contexts are staged here (git-ignored), holding only what each Dockerfile copies. */
const BUILD_CONTEXTS = resolve(REPO_ROOT, ".cache", "build-contexts");
/** The ingester's /metrics and /healthz port inside its container (ingest's config default). */
const INGESTER_METRICS_PORT = 9464;

/** What `pulumi stack output` shows. Passwords are secrets: visible only with --show-secrets. */
export interface StackOutputs {
  clickhouseUrl: pulumi.Output<string>;
  clickhouseAdminUser: string;
  clickhouseAdminPassword: pulumi.Output<string>;
  clickhouseUsers: Record<string, string>;
  database: pulumi.Output<string>;
  migrations: pulumi.Output<string[]>;
  grafanaUrl?: pulumi.Output<string>;
  grafanaAdminUser?: string;
  grafanaAdminPassword?: pulumi.Output<string>;
  supersetUrl?: pulumi.Output<string>;
  supersetDashboardUrl?: pulumi.Output<string>;
  supersetAdminUser?: string;
  supersetAdminPassword?: pulumi.Output<string>;
  ingesterMetricsUrl?: pulumi.Output<string>;
  /** Post-deploy check warnings (e.g. no ticks yet), each with what to do. */
  verificationWarnings?: pulumi.Output<string[]>;
}

/** The whole stack from `new pulumi.Config("streamstack")`; config errors throw before any resource. */
export async function streamstack(): Promise<StackOutputs> {
  const config = loadStackConfig();
  await checkClickHouseAdminPassword(config);
  return deployStack(config);
}

/**
 * A configured admin password our ClickHouse container's entrypoint cannot take (empty, a control
 * character, or <, & or ]]> for an image that writes it into its users XML unescaped) stops the
 * program before any resource is declared, naming the setting and never the value. Generated
 * passwords are [A-Za-z0-9] and need no check; an external server never sees the entrypoint.
 */
export async function checkClickHouseAdminPassword(cfg: StackConfig): Promise<void> {
  const given = cfg.secrets.clickhouseAdminPassword;
  if (cfg.clickhouseUrl !== undefined || given === undefined) return;
  const problem = await new Promise<string | undefined>((resolve) => given.apply((password) => resolve(adminPasswordProblem(password, cfg.clickhouseImage))));
  if (problem) {
    throw new StackConfigError(formatProblems([`${PROJECT}:clickhouseAdminPassword ${problem}; set it with: npm run config -- set --secret clickhouseAdminPassword <password>`]));
  }
}

interface ClickHouseEndpoint {
  /** From the Pulumi process (migrations, verification). */
  readonly hostUrl: pulumi.Output<string>;
  /** From containers on the stack network (Grafana, Superset, ingester). */
  readonly internal: { readonly host: string; readonly port: number; readonly secure: boolean };
  readonly adminPassword: pulumi.Output<string>;
  readonly server?: ClickHouseServer;
}

/** What every service's function gets: the settings, the secrets, ClickHouse, its users and schema. */
interface Stack {
  readonly cfg: StackConfig;
  readonly secrets: StackSecrets;
  /** ServiceBaseArgs of a container, from the stack's settings. */
  readonly base: (memoryMb: number, waitTimeoutSeconds: number) => ServiceBaseArgs;
  readonly clickhouse: ClickHouseEndpoint;
  readonly users: PlannedUser[];
  readonly schema: SchemaMigrations;
}

/** What a service adds to the stack: what the verification waits for, looks at and reruns on, and outputs. */
interface DeployedService {
  readonly resources: pulumi.Resource[];
  /** Ids that change when something the checks look at is replaced: they rerun the checks. */
  readonly triggers: pulumi.Output<string>[];
  readonly checks: VerificationChecks;
  readonly outputs: Partial<StackOutputs>;
}

export function deployStack(cfg: StackConfig): StackOutputs {
  const secrets = new StackSecrets("secrets", { given: cfg.secrets, generator: cfg.externalOnly ? "builtin" : "random" });
  const network = cfg.externalOnly ? undefined : new StreamstackNetwork("network", { name: `${cfg.namePrefix}-net` });
  const base = (memoryMb: number, waitTimeoutSeconds: number): ServiceBaseArgs => ({
    namePrefix: cfg.namePrefix,
    networkName: network?.name ?? "",
    bindAddress: cfg.bindAddress,
    keepData: cfg.keepDataOnDestroy,
    memoryMb,
    waitTimeoutSeconds,
  });
  const clickhouse = clickhouseEndpoint(cfg, secrets, () => clickhouseServer(cfg, secrets, base));
  const users = clickhouseUsers(cfg, secrets);
  const schema = schemaMigrations(cfg, clickhouse, users);
  const stack: Stack = { cfg, secrets, base, clickhouse, users, schema };

  const services = [
    cfg.grafanaEnabled ? deployGrafana(stack) : undefined,
    cfg.supersetEnabled ? deploySuperset(stack) : undefined,
    cfg.ingesterEnabled ? deployIngester(stack) : undefined,
  ].filter((s): s is DeployedService => s !== undefined);

  const outputs: StackOutputs = {
    clickhouseUrl: clickhouse.hostUrl,
    clickhouseAdminUser: cfg.clickhouseAdminUser,
    clickhouseAdminPassword: clickhouse.adminPassword,
    clickhouseUsers: Object.fromEntries(users.map((u) => [u.purpose, u.name])),
    database: schema.database,
    migrations: schema.migrations,
    ...Object.assign({}, ...services.map((s) => s.outputs)),
  };
  if (cfg.verificationEnabled) outputs.verificationWarnings = deployVerification(stack, services).warnings;
  return outputs;
}

function clickhouseServer(cfg: StackConfig, secrets: StackSecrets, base: Stack["base"]): ClickHouseServer {
  return new ClickHouseServer("clickhouse", {
    ...base(cfg.clickhouseMemoryMb, cfg.clickhouseWaitSeconds),
    image: cfg.clickhouseImage,
    httpPort: cfg.clickhouseHttpPort,
    adminUser: cfg.clickhouseAdminUser,
    adminPassword: secrets.get("clickhouseAdminPassword"),
    adminPasswordName: `${PROJECT}:clickhouseAdminPassword`,
  });
}

/** Schema and users, once ClickHouse answers. Only users of enabled services are made. */
function schemaMigrations(cfg: StackConfig, clickhouse: ClickHouseEndpoint, users: PlannedUser[]): SchemaMigrations {
  return new SchemaMigrations(
    "schema",
    {
      clickhouseUrl: clickhouse.hostUrl,
      adminUser: cfg.clickhouseAdminUser,
      adminPassword: clickhouse.adminPassword,
      users: managedUsers(cfg, users),
      manageAccess: cfg.manageClickhouseUsers,
      rawRetentionDays: cfg.rawRetentionDays,
      // Our own container's data goes with its volume; an external server's data is never dropped by us.
      dropData: false,
    },
    { dependsOn: clickhouse.server ? [clickhouse.server] : [] },
  );
}

function managedUsers(cfg: StackConfig, users: PlannedUser[]): Array<{ name: string; role: UserRole; password: pulumi.Output<string> }> {
  return cfg.manageClickhouseUsers ? users.map((u) => ({ name: u.name, role: u.role, password: u.password })) : [];
}

function userOf(stack: Stack, purpose: Purpose): PlannedUser {
  const user = stack.users.find((u) => u.purpose === purpose);
  if (!user) throw new Error(`no ClickHouse user planned for ${purpose}: clickhouseUsers() and the enabled services disagree`);
  return user;
}

/** Grafana with the datasource (reader user), dashboards, alert rules and routing. */
function deployGrafana(stack: Stack): DeployedService {
  const { cfg, secrets, base, clickhouse, schema } = stack;
  const reader = userOf(stack, "grafana");
  const content = grafanaContent({ datasourceUid: DATASOURCE_UID, alertWebhookUrl: cfg.alertWebhookUrl, alertEmail: cfg.alertEmail });
  const server = new GrafanaServer("grafana", {
    ...base(cfg.grafanaMemoryMb, cfg.grafanaWaitSeconds),
    image: cfg.grafanaImage,
    clickhousePluginVersion: cfg.grafanaClickhousePluginVersion,
    port: cfg.grafanaPort,
    adminUser: cfg.grafanaAdminUser,
    adminPassword: secrets.get("grafanaAdminPassword"),
    secretKey: secrets.get("grafanaSecretKey"),
    clickhouse: { host: clickhouse.internal.host, httpPort: clickhouse.internal.port, secure: clickhouse.internal.secure, database: DATABASE, user: reader.name, password: reader.password },
    dashboards: content.dashboards,
    alertRuleGroups: content.alertRuleGroups,
    alertRouting: content.alertRouting,
    datasourceDependsOn: [schema],
  });
  return {
    resources: [server],
    triggers: [server.container.id, ...server.dashboards.map((d) => d.version.apply(String))],
    checks: {
      grafana: {
        url: server.url,
        adminUser: cfg.grafanaAdminUser,
        adminPassword: secrets.get("grafanaAdminPassword"),
        datasourceUid: DATASOURCE_UID,
        dashboardUids: content.dashboards.map((d) => d.uid),
        alertRuleUids: content.alertRuleGroups.flatMap((g) => g.rules.map((r) => r.uid).filter((uid): uid is string => typeof uid === "string")),
      },
    },
    outputs: { grafanaUrl: server.url, grafanaAdminUser: cfg.grafanaAdminUser, grafanaAdminPassword: secrets.get("grafanaAdminPassword") },
  };
}

/** Superset (our container, or the one at supersetUrl) and the assets imported into it. */
function deploySuperset(stack: Stack): DeployedService {
  const { cfg, secrets, clickhouse, schema } = stack;
  const server = cfg.supersetUrl === undefined ? supersetServer(stack) : undefined;
  const supersetUrl = server ? server.url : pulumi.output(cfg.supersetUrl!.replace(/\/+$/, ""));
  const reader = userOf(stack, "superset");
  // The connection, datasets, charts and dashboard (superset/), once Superset is healthy and
  // the reader user exists. Superset reaches ClickHouse as the containers do.
  const assets = new SupersetAssets(
    "superset-assets",
    {
      supersetUrl,
      adminUser: cfg.supersetAdminUser,
      adminPassword: secrets.get("supersetAdminPassword"),
      clickhouseHost: clickhouse.internal.host,
      clickhousePort: clickhouse.internal.port,
      clickhouseUser: reader.name,
      clickhousePassword: reader.password,
      clickhouseDatabase: DATABASE,
    },
    { dependsOn: server ? [schema, server] : [schema] },
  );
  return {
    resources: server ? [server, assets] : [assets],
    triggers: server ? [server.container.id] : [],
    checks: {
      superset: {
        url: supersetUrl,
        adminUser: cfg.supersetAdminUser,
        adminPassword: secrets.get("supersetAdminPassword"),
        // Derived from asset names, not from the connection: known before the import runs, so an
        // assets update does not make the verification's inputs unknown in a preview.
        databaseUuid: buildBundle({ host: CLICKHOUSE_ALIAS, port: CLICKHOUSE_HTTP_PORT, username: reader.name }).uuids.database,
        checkConnection: !(cfg.clickhouseUrl !== undefined && isEmbeddedUrl(cfg.clickhouseUrl)),
      },
    },
    outputs: {
      supersetUrl,
      supersetDashboardUrl: assets.dashboardUrl,
      supersetAdminUser: cfg.supersetAdminUser,
      supersetAdminPassword: secrets.get("supersetAdminPassword"),
    },
  };
}

function supersetServer({ cfg, secrets, base }: Stack): SupersetServer {
  return new SupersetServer("superset", {
    ...base(cfg.supersetMemoryMb, cfg.supersetWaitSeconds),
    buildContext: resolve(REPO_ROOT, "superset"),
    dockerfile: resolve(REPO_ROOT, "superset", "Dockerfile"),
    // What superset/Dockerfile COPYs; tests and scratch files there do not change the image.
    sources: ["bootstrap.sh", "superset_config.py"],
    stageUnder: BUILD_CONTEXTS,
    port: cfg.supersetPort,
    secretKey: secrets.get("supersetSecretKey"),
    adminUser: cfg.supersetAdminUser,
    adminPassword: secrets.get("supersetAdminPassword"),
    adminEnv: { user: "SUPERSET_ADMIN_USER", password: "SUPERSET_ADMIN_PASSWORD" },
  });
}

/** The Coinbase ingester: our image, its YAML config, the writer user, once the schema exists. */
function deployIngester(stack: Stack): DeployedService {
  const { cfg, base, clickhouse, schema } = stack;
  const writer = userOf(stack, "ingester");
  // Paths of ingest/Dockerfile: its ENTRYPOINT and CMD (this config); /var/lib/ingest is its volume, owned by `node`.
  const spoolDir = "/var/lib/ingest/spool";
  const configPath = "/etc/ingest/config.yaml";
  const ingester = new IngesterService(
    "ingester",
    {
      ...base(cfg.ingesterMemoryMb, cfg.ingesterWaitSeconds),
      buildContext: REPO_ROOT,
      dockerfile: resolve(REPO_ROOT, "ingest", "Dockerfile"),
      // What ingest/Dockerfile COPYs: they decide the image tag and are all its build context holds.
      sources: ["package.json", "package-lock.json", "ingest/package.json", "ingest/bundle.mjs", "ingest/src", "sql/src"],
      stageUnder: BUILD_CONTEXTS,
      configYaml: renderIngesterConfig({
        products: cfg.products,
        channels: cfg.channels,
        clickhouse: { ...clickhouse.internal, user: writer.name },
        metricsPort: INGESTER_METRICS_PORT,
        spoolDir,
        instance: `${cfg.namePrefix}-ingester`,
      }),
      configPath,
      command: ["--config", configPath],
      imageEntrypoint: ["node", "/app/ingest.js"],
      dataDir: "/var/lib/ingest",
      passwordEnv: INGESTER_PASSWORD_ENV,
      password: writer.password,
      metricsPort: INGESTER_METRICS_PORT,
      hostMetricsPort: cfg.ingesterMetricsPort,
    },
    { dependsOn: [schema] },
  );
  return {
    resources: [ingester],
    triggers: [ingester.container.id],
    checks: {
      tickWaitSeconds: cfg.verificationTickWaitSeconds,
      ...(cfg.channels.includes("matches") ? { tradeWaitSeconds: cfg.verificationTickWaitSeconds } : {}),
    },
    outputs: { ingesterMetricsUrl: ingester.metricsUrl },
  };
}

/** The post-deploy checks, last: after every service, rerun whenever anything they look at was redeployed. */
function deployVerification({ cfg, clickhouse, users, schema }: Stack, services: DeployedService[]): PostDeployVerification {
  const triggers = [schema.migrationsChecksum, ...services.flatMap((s) => s.triggers), ...(clickhouse.server ? [clickhouse.server.container.id] : [])];
  return new PostDeployVerification(
    "verification",
    {
      clickhouse: { url: clickhouse.hostUrl, adminUser: cfg.clickhouseAdminUser, adminPassword: clickhouse.adminPassword },
      users: managedUsers(cfg, users),
      ...Object.assign({}, ...services.map((s) => s.checks)),
      trigger: pulumi.all(triggers).apply((ids) => ids.join(",")),
    },
    { dependsOn: [schema, ...services.flatMap((s) => s.resources)] },
  );
}

type Purpose = "ingester" | "grafana" | "superset";
type VerificationChecks = { -readonly [K in "grafana" | "superset" | "tickWaitSeconds" | "tradeWaitSeconds"]?: PostDeployVerificationArgs[K] };

interface PlannedUser {
  readonly purpose: Purpose;
  readonly name: string;
  readonly role: UserRole;
  readonly password: pulumi.Output<string>;
}

/** The ClickHouse users of the enabled services, with their passwords (secret). */
function clickhouseUsers(cfg: StackConfig, secrets: StackSecrets): PlannedUser[] {
  const plan: Array<[Purpose, boolean, "ingesterPassword" | "grafanaReaderPassword" | "supersetReaderPassword"]> = [
    ["ingester", cfg.ingesterEnabled, "ingesterPassword"],
    ["grafana", cfg.grafanaEnabled, "grafanaReaderPassword"],
    ["superset", cfg.supersetEnabled, "supersetReaderPassword"],
  ];
  const users: PlannedUser[] = [];
  for (const [purpose, enabled, secretKey] of plan) {
    if (!enabled) continue;
    const spec = DEFAULT_USERS.find((u) => u.name === `streamstack_${purpose}`);
    if (!spec) throw new Error(`sql/src/access.ts DEFAULT_USERS has no streamstack_${purpose}: the program and the access file disagree`);
    users.push({ purpose, name: spec.name, role: spec.role, password: secrets.get(secretKey) });
  }
  return users;
}

function clickhouseEndpoint(cfg: StackConfig, secrets: StackSecrets, makeServer: () => ClickHouseServer): ClickHouseEndpoint {
  if (cfg.clickhouseUrl === undefined) {
    const server = makeServer();
    return {
      hostUrl: server.hostUrl,
      internal: { host: CLICKHOUSE_ALIAS, port: CLICKHOUSE_HTTP_PORT, secure: false },
      adminPassword: secrets.get("clickhouseAdminPassword"),
      server,
    };
  }
  const url = cfg.clickhouseUrl;
  const parsed = parseClickHouseUrl(url);
  if (parsed.kind === "embedded") {
    // The embedded engine has no accounts; a configured admin password is only passed along.
    const given = cfg.secrets.clickhouseAdminPassword;
    // Containers cannot reach an engine inside the Pulumi process; this address only fills
    // Superset's connection form (the verification skips its connection test in this mode).
    return { hostUrl: pulumi.output(url), internal: { host: "localhost", port: CLICKHOUSE_HTTP_PORT, secure: false }, adminPassword: given ? pulumi.secret(given) : pulumi.secret("") };
  }
  return {
    hostUrl: pulumi.output(url.replace(/\/+$/, "")),
    internal: { host: parsed.host, port: parsed.port, secure: parsed.secure },
    adminPassword: secrets.get("clickhouseAdminPassword"),
  };
}
