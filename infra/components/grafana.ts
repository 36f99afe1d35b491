import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { checkArg, exactVersion } from "../rules";
import { checkPinnedImage, checkPort, dataVolume, publishedUrl, pulledImage, serviceContainer, type ServiceBaseArgs, type ServiceContainerSpec } from "./common";

export const GRAFANA_ALIAS = "grafana";
export const GRAFANA_INTERNAL_PORT = 3000;
export const CLICKHOUSE_PLUGIN_ID = "grafana-clickhouse-datasource";
/** The datasource's fixed uid: dashboards and alert rules refer to it. */
export const DATASOURCE_UID = "streamstack-clickhouse";

/** A dashboard as built by grafana/ (the JSON model; `uid` must be set in it). */
export interface DashboardSpec {
  readonly uid: string;
  /** Dashboard JSON model (object or JSON text). */
  readonly model: object | string;
}

/** One alert rule group as built by grafana/, in @pulumiverse/grafana's shape (`datas`, not `data`). */
export interface AlertRuleGroupSpec {
  readonly name: string;
  readonly intervalSeconds: number;
  readonly rules: grafana.types.input.alerting.RuleGroupRule[];
}

/** Where alerts go (built by grafana/src/notifications.ts). */
export interface GrafanaAlertRouting {
  readonly contactPoint: Omit<grafana.alerting.ContactPointArgs, "orgId" | "disableProvenance"> & { readonly name: string };
  /** The whole policy tree; its root contactPoint is replaced by the created contact point's name. */
  readonly notificationPolicy: grafana.alerting.NotificationPolicyArgs;
}

export interface GrafanaServerArgs extends ServiceBaseArgs {
  /** Image with an exact tag, e.g. grafana/grafana:13.3.0. */
  readonly image: string;
  /** Exact version of grafana-clickhouse-datasource, installed before the server starts. */
  readonly clickhousePluginVersion: string;
  /** Host port for the UI and API. */
  readonly port: number;
  readonly adminUser: string;
  /** Admin password (secret). Grafana applies it only when its database is first created. */
  readonly adminPassword: pulumi.Input<string>;
  /**
   * Grafana's secret_key (secret): encrypts the secrets Grafana stores, the datasource password
   * among them. Without it Grafana uses the published default of its conf/defaults.ini.
   */
  readonly secretKey: pulumi.Input<string>;
  /** ClickHouse as seen from inside the stack network. */
  readonly clickhouse: {
    readonly host: pulumi.Input<string>;
    readonly httpPort: pulumi.Input<number>;
    /** TLS to ClickHouse (an external https:// server). */
    readonly secure: boolean;
    readonly database: string;
    /** A read-only user. */
    readonly user: pulumi.Input<string>;
    readonly password: pulumi.Input<string>;
  };
  /** Dashboards to provision in the folder. */
  readonly dashboards: readonly DashboardSpec[];
  /** Alert rule groups to provision in the folder. */
  readonly alertRuleGroups: readonly AlertRuleGroupSpec[];
  /** Contact point and notification policy; absent = neither is made and nothing external is contacted. */
  readonly alertRouting?: GrafanaAlertRouting;
  /** Resources that must exist before the datasource is made (e.g. the schema with the reader user). */
  readonly datasourceDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Grafana in a container with the ClickHouse plugin, then (once healthy) its content through the
 * Grafana API: a ClickHouse datasource with the read-only user, a folder, dashboards, alert rules,
 * and a contact point + notification policy when an alert contact is configured.
 */
export class GrafanaServer extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly dataVolume: docker.Volume;
  public readonly provider: grafana.Provider;
  public readonly datasource: grafana.oss.DataSource;
  public readonly folder: grafana.oss.Folder;
  public readonly dashboards: grafana.oss.Dashboard[];
  public readonly ruleGroups: grafana.alerting.RuleGroup[];
  public readonly contactPoint?: grafana.alerting.ContactPoint;
  public readonly notificationPolicy?: grafana.alerting.NotificationPolicy;
  /** URL from this machine. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: GrafanaServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("streamstack:infra:Grafana", name, {}, opts);
    checkGrafanaArgs(args);
    const image = pulledImage(this, `${name}-image`, args.image);
    this.dataVolume = dataVolume(this, `${name}-data`, `${args.namePrefix}-grafana-data`, args.keepData ?? false);
    this.container = serviceContainer(this, `${name}-server`, args, grafanaContainer(args, image.imageId, this.dataVolume), opts);
    this.url = publishedUrl(args, args.port);

    // The provider talks to Grafana only after the container reports healthy.
    this.provider = new grafana.Provider(
      `${name}-api`,
      {
        url: this.url,
        auth: pulumi.secret(pulumi.interpolate`${args.adminUser}:${args.adminPassword}`),
        retries: 10,
        retryWait: 3,
      },
      { parent: this, dependsOn: [this.container] },
    );
    const inGrafana: pulumi.CustomResourceOptions = { parent: this, provider: this.provider, dependsOn: [this.container] };

    // What Grafana encrypted with one key it cannot decrypt with another (and its AES-CFB does not
    // notice: it decrypts to garbage), so the datasource is made again, its password encrypted
    // anew, whenever the key changes. The trigger is a fingerprint of the key, kept secret.
    this.datasource = new grafana.oss.DataSource(
      `${name}-clickhouse`,
      clickhouseDatasource(args.clickhouse),
      {
        ...inGrafana,
        dependsOn: [this.container, ...(args.datasourceDependsOn ?? [])],
        replacementTrigger: pulumi.secret(pulumi.output(args.secretKey).apply(keyFingerprint)),
        // The uid is fixed, so the old datasource must go before the new one is made.
        deleteBeforeReplace: true,
      },
    );

    this.folder = new grafana.oss.Folder(`${name}-folder`, { title: "Streamstack", uid: "streamstack" }, inGrafana);

    this.dashboards = args.dashboards.map(
      (d) =>
        new grafana.oss.Dashboard(
          `${name}-dashboard-${d.uid}`,
          {
            folder: this.folder.uid,
            configJson: typeof d.model === "string" ? d.model : JSON.stringify(d.model),
            overwrite: true,
          },
          { ...inGrafana, dependsOn: [this.container, this.datasource] },
        ),
    );

    this.ruleGroups = args.alertRuleGroups.map(
      (group) =>
        new grafana.alerting.RuleGroup(
          `${name}-rules-${slug(group.name)}`,
          { name: group.name, folderUid: this.folder.uid, intervalSeconds: group.intervalSeconds, rules: group.rules },
          { ...inGrafana, dependsOn: [this.container, this.datasource] },
        ),
    );

    if (args.alertRouting) {
      this.contactPoint = new grafana.alerting.ContactPoint(`${name}-contact`, { ...args.alertRouting.contactPoint }, inGrafana);
      // The policy owns Grafana's whole routing tree (it replaces the default one).
      this.notificationPolicy = new grafana.alerting.NotificationPolicy(
        `${name}-policy`,
        { ...args.alertRouting.notificationPolicy, contactPoint: this.contactPoint.name },
        inGrafana,
      );
    }

    this.registerOutputs({ url: this.url, datasourceUid: DATASOURCE_UID });
  }
}

function checkGrafanaArgs(args: GrafanaServerArgs): void {
  checkPinnedImage(args.image, "image");
  checkPort(args.port, "port");
  checkArg(exactVersion, args.clickhousePluginVersion, "clickhousePluginVersion");
  const uids = new Set<string>();
  for (const d of args.dashboards) {
    if (uids.has(d.uid)) throw new Error(`[dashboards] uid "${d.uid}" appears twice: give each dashboard its own uid`);
    uids.add(d.uid);
  }
}

/** Grafana's container: admin from the stack's secrets, the ClickHouse plugin pinned and installed before start, no phoning home. */
function grafanaContainer(args: GrafanaServerArgs, image: pulumi.Input<string>, volume: docker.Volume): ServiceContainerSpec {
  return {
    service: "grafana",
    alias: GRAFANA_ALIAS,
    image,
    envs: [
      pulumi.interpolate`GF_SECURITY_ADMIN_USER=${args.adminUser}`,
      pulumi.secret(pulumi.interpolate`GF_SECURITY_ADMIN_PASSWORD=${args.adminPassword}`),
      // [security] secret_key; the default is public (conf/defaults.ini, and Grafana's own advisor
      // flags it: apps/advisor/.../security_config_step.go).
      pulumi.secret(pulumi.interpolate`GF_SECURITY_SECRET_KEY=${args.secretKey}`),
      // [auth.anonymous] enabled: off by default; stated so no image or ini change turns it on.
      "GF_AUTH_ANONYMOUS_ENABLED=false",
      // Installed before the server starts, so the datasource works on first boot (FACTS.md).
      `GF_PLUGINS_PREINSTALL_SYNC=${CLICKHOUSE_PLUGIN_ID}@${args.clickhousePluginVersion}`,
      // Keep the pinned version. Not GF_PLUGINS_PREINSTALL_DISABLED: it turns off
      // preinstall_sync as well, so the ClickHouse plugin would never be installed
      // (grafana/grafana pkg/setting/setting_plugins.go, readPluginSettings).
      "GF_PLUGINS_PREINSTALL_AUTO_UPDATE=false",
      "GF_USERS_ALLOW_SIGN_UP=false",
      "GF_ANALYTICS_REPORTING_ENABLED=false",
      "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
      "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES=false",
      "GF_NEWS_NEWS_FEED_ENABLED=false",
    ],
    volume: { volume, containerPath: "/var/lib/grafana" },
    port: { internal: GRAFANA_INTERNAL_PORT, external: args.port },
    // The image runs as uid 472 from its first instruction (grafana/grafana Dockerfile: USER
    // "$GF_UID"), on port 3000: it needs no capability.
    cpus: "1",
    healthcheck: {
      tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", `http://localhost:${GRAFANA_INTERNAL_PORT}/api/health`],
      interval: "5s",
      timeout: "3s",
      retries: 12,
      // The first boot downloads the plugin before the server listens.
      startPeriod: "60s",
    },
    defaultWaitSeconds: 300,
  };
}

/** The ClickHouse datasource as the plugin reads it, with the read-only user. */
function clickhouseDatasource(ch: GrafanaServerArgs["clickhouse"]): grafana.oss.DataSourceArgs {
  return {
    type: CLICKHOUSE_PLUGIN_ID,
    name: "ClickHouse",
    uid: DATASOURCE_UID,
    isDefault: true,
    // Field names as the plugin's backend reads them (pkg/plugin/settings.go): defaultDatabase, not database.
    jsonDataEncoded: pulumi.jsonStringify({
      host: ch.host,
      port: ch.httpPort,
      protocol: "http",
      secure: ch.secure,
      username: ch.user,
      defaultDatabase: ch.database,
    }),
    secureJsonDataEncoded: pulumi.secret(pulumi.jsonStringify({ password: ch.password })),
  };
}

/** 16 hex characters of the key's SHA-256: changes with the key, reveals nothing usable about it. */
function keyFingerprint(key: string): string {
  return createHash("sha256").update(`streamstack-grafana-secret-key:${key}`).digest("hex").slice(0, 16);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
