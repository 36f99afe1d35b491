// streamstack on one Docker host, in dependency order:
//   secrets → network → ClickHouse (healthy) → schema: migrations + users (SchemaMigrations)
//   → Grafana (healthy) → datasource, folder, dashboards, alert rules, contact point
//   → Superset (healthy) → assets import → ingester (after the schema) → post-deploy verification.
// Each service can be external (ClickHouse, Superset) or disabled; with everything external the
// stack makes only our own dynamic resources and needs no provider plugin.
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_USERS, type UserRole } from "../sql/src/access";
import { DATABASE } from "../sql/src/names";
import { buildBundle } from "../superset/src/bundle";
import { SupersetAssets } from "./dynamic/supersetAssets";
import { ClickHouseServer, CLICKHOUSE_ALIAS, CLICKHOUSE_HTTP_PORT } from "./components/clickhouse";
import { DATASOURCE_UID, GrafanaServer } from "./components/grafana";
import { IngesterService } from "./components/ingester";
import { StreamstackNetwork } from "./components/network";
import { SupersetServer } from "./components/superset";
import { loadStackConfig, type StackConfig } from "./config";
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
  return deployStack(config);
}

interface ClickHouseEndpoint {
  /** From the Pulumi process (migrations, verification). */
  readonly hostUrl: pulumi.Output<string>;
  /** From containers on the stack network (Grafana, Superset, ingester). */
  readonly internal: { readonly host: string; readonly port: number; readonly secure: boolean };
  readonly adminPassword: pulumi.Output<string>;
  readonly server?: ClickHouseServer;
}

export function deployStack(cfg: StackConfig): StackOutputs {
  const secrets = new StackSecrets("secrets", { given: cfg.secrets, generator: cfg.externalOnly ? "builtin" : "random" });
  const network = cfg.externalOnly ? undefined : new StreamstackNetwork("network", { name: `${cfg.namePrefix}-net` });
  const base = (memoryMb: number, waitTimeoutSeconds: number) => ({
    namePrefix: cfg.namePrefix,
    networkName: network?.name ?? "",
    bindAddress: cfg.bindAddress,
    keepData: cfg.keepDataOnDestroy,
    memoryMb,
    waitTimeoutSeconds,
  });

  // ClickHouse: our container, or the one at clickhouseUrl.
  const clickhouse = clickhouseEndpoint(cfg, secrets, () =>
    new ClickHouseServer("clickhouse", {
      ...base(cfg.clickhouseMemoryMb, cfg.clickhouseWaitSeconds),
      image: cfg.clickhouseImage,
      httpPort: cfg.clickhouseHttpPort,
      adminUser: cfg.clickhouseAdminUser,
      adminPassword: secrets.get("clickhouseAdminPassword"),
    }),
  );

  // Schema and users, once ClickHouse answers. Only users of enabled services are made.
  const users = clickhouseUsers(cfg, secrets);
  const schema = new SchemaMigrations(
    "schema",
    {
      clickhouseUrl: clickhouse.hostUrl,
      adminUser: cfg.clickhouseAdminUser,
      adminPassword: clickhouse.adminPassword,
      users: cfg.manageClickhouseUsers ? users.map((u) => ({ name: u.name, role: u.role, password: u.password })) : [],
      manageAccess: cfg.manageClickhouseUsers,
      rawRetentionDays: cfg.rawRetentionDays,
      // Our own container's data goes with its volume; an external server's data is never dropped by us.
      dropData: false,
    },
    { dependsOn: clickhouse.server ? [clickhouse.server] : [] },
  );
  const userOf = (purpose: Purpose) => users.find((u) => u.purpose === purpose);
  // What the post-deploy verification waits for and looks at.
  const deployed: pulumi.Resource[] = [schema];
  const checks: VerificationChecks = {};
  // Ids that change when something the checks look at is replaced: they rerun the checks.
  const triggers: pulumi.Output<string>[] = [schema.migrationsChecksum];

  const outputs: StackOutputs = {
    clickhouseUrl: clickhouse.hostUrl,
    clickhouseAdminUser: cfg.clickhouseAdminUser,
    clickhouseAdminPassword: clickhouse.adminPassword,
    clickhouseUsers: Object.fromEntries(users.map((u) => [u.purpose, u.name])),
    database: schema.database,
    migrations: schema.migrations,
  };

  if (cfg.grafanaEnabled) {
    const reader = userOf("grafana")!;
    const content = grafanaContent({ datasourceUid: DATASOURCE_UID, alertWebhookUrl: cfg.alertWebhookUrl, alertEmail: cfg.alertEmail });
    const grafanaServer = new GrafanaServer("grafana", {
      ...base(cfg.grafanaMemoryMb, cfg.grafanaWaitSeconds),
      image: cfg.grafanaImage,
      clickhousePluginVersion: cfg.grafanaClickhousePluginVersion,
      port: cfg.grafanaPort,
      adminUser: cfg.grafanaAdminUser,
      adminPassword: secrets.get("grafanaAdminPassword"),
      clickhouse: { host: clickhouse.internal.host, httpPort: clickhouse.internal.port, secure: clickhouse.internal.secure, database: DATABASE, user: reader.name, password: reader.password },
      dashboards: content.dashboards,
      alertRuleGroups: content.alertRuleGroups,
      alertRouting: content.alertRouting,
      datasourceDependsOn: [schema],
    });
    deployed.push(grafanaServer);
    triggers.push(grafanaServer.container.id, ...grafanaServer.dashboards.map((d) => d.version.apply(String)));
    checks.grafana = {
      url: grafanaServer.url,
      adminUser: cfg.grafanaAdminUser,
      adminPassword: secrets.get("grafanaAdminPassword"),
      datasourceUid: DATASOURCE_UID,
      dashboardUids: content.dashboards.map((d) => d.uid),
      alertRuleUids: content.alertRuleGroups.flatMap((g) => g.rules.map((r) => r.uid).filter((uid): uid is string => typeof uid === "string")),
    };
    outputs.grafanaUrl = grafanaServer.url;
    outputs.grafanaAdminUser = cfg.grafanaAdminUser;
    outputs.grafanaAdminPassword = secrets.get("grafanaAdminPassword");
  }

  if (cfg.supersetEnabled) {
    let supersetUrl: pulumi.Output<string>;
    const waitFor: pulumi.Resource[] = [schema];
    if (cfg.supersetUrl === undefined) {
      const server = new SupersetServer("superset", {
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
      supersetUrl = server.url;
      deployed.push(server);
      waitFor.push(server);
      triggers.push(server.container.id);
    } else {
      supersetUrl = pulumi.output(cfg.supersetUrl.replace(/\/+$/, ""));
    }
    const reader = userOf("superset")!;
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
      { dependsOn: waitFor },
    );
    deployed.push(assets);
    checks.superset = {
      url: supersetUrl,
      adminUser: cfg.supersetAdminUser,
      adminPassword: secrets.get("supersetAdminPassword"),
      // Derived from asset names, not from the connection: known before the import runs, so an
      // assets update does not make the verification's inputs unknown in a preview.
      databaseUuid: buildBundle({ host: CLICKHOUSE_ALIAS, port: CLICKHOUSE_HTTP_PORT, username: reader.name }).uuids.database,
      checkConnection: !cfg.clickhouseUrl?.startsWith("chdb:"),
    };
    outputs.supersetUrl = supersetUrl;
    outputs.supersetDashboardUrl = assets.dashboardUrl;
    outputs.supersetAdminUser = cfg.supersetAdminUser;
    outputs.supersetAdminPassword = secrets.get("supersetAdminPassword");
  }

  if (cfg.ingesterEnabled) {
    const writer = userOf("ingester")!;
    // Paths of ingest/Dockerfile: its CMD reads this config; /var/lib/ingest is its volume, owned by `node`.
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
        dataDir: "/var/lib/ingest",
        passwordEnv: INGESTER_PASSWORD_ENV,
        password: writer.password,
        metricsPort: INGESTER_METRICS_PORT,
        hostMetricsPort: cfg.ingesterMetricsPort,
      },
      { dependsOn: [schema] },
    );
    deployed.push(ingester);
    triggers.push(ingester.container.id);
    checks.tickWaitSeconds = cfg.verificationTickWaitSeconds;
    outputs.ingesterMetricsUrl = ingester.metricsUrl;
  }

  if (cfg.verificationEnabled) {
    const verification = new PostDeployVerification(
      "verification",
      {
        clickhouse: { url: clickhouse.hostUrl, adminUser: cfg.clickhouseAdminUser, adminPassword: clickhouse.adminPassword },
        users: cfg.manageClickhouseUsers ? users.map((u) => ({ name: u.name, role: u.role, password: u.password })) : [],
        ...checks,
        // Rerun the checks whenever anything they look at was redeployed.
        trigger: pulumi.all([...triggers, ...(clickhouse.server ? [clickhouse.server.container.id] : [])]).apply((ids) => ids.join(",")),
      },
      { dependsOn: deployed },
    );
    outputs.verificationWarnings = verification.warnings;
  }

  return outputs;
}

type Purpose = "ingester" | "grafana" | "superset";
type VerificationChecks = { -readonly [K in "grafana" | "superset" | "tickWaitSeconds"]?: PostDeployVerificationArgs[K] };

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
  if (url.startsWith("chdb:")) {
    // The embedded engine has no accounts; a configured admin password is only passed along.
    const given = cfg.secrets.clickhouseAdminPassword;
    // Containers cannot reach an engine inside the Pulumi process; this address only fills
    // Superset's connection form (the verification skips its connection test in this mode).
    return { hostUrl: pulumi.output(url), internal: { host: "localhost", port: CLICKHOUSE_HTTP_PORT, secure: false }, adminPassword: given ? pulumi.secret(given) : pulumi.secret("") };
  }
  const parsed = new URL(url);
  const secure = parsed.protocol === "https:";
  return {
    hostUrl: pulumi.output(url.replace(/\/+$/, "")),
    internal: { host: parsed.hostname, port: Number(parsed.port || (secure ? 8443 : 8123)), secure },
    adminPassword: secrets.get("clickhouseAdminPassword"),
  };
}
