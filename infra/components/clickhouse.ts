import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkPinnedImage, checkPort, dataVolume, publishedUrl, pulledImage, serviceContainer, type ServiceBaseArgs } from "./common";

/** Alias on the stack network and the HTTP port other containers use. */
export const CLICKHOUSE_ALIAS = "clickhouse";
export const CLICKHOUSE_HTTP_PORT = 8123;

export interface ClickHouseServerArgs extends ServiceBaseArgs {
  /** Image with an exact tag, e.g. clickhouse/clickhouse-server:26.8.10.6. */
  readonly image: string;
  /** Host port for the HTTP interface (the migration runner and you connect here). */
  readonly httpPort: number;
  /** The admin user the image's entrypoint creates (replaces `default`). */
  readonly adminUser: string;
  /** The admin's password (secret). */
  readonly adminPassword: pulumi.Input<string>;
}

/**
 * ClickHouse in a container: data in a named volume, an admin with access management (so the
 * migration runner can create users and grants), the recommended open-files limit, a /ping
 * healthcheck, and `pulumi up` waits until it is healthy.
 */
export class ClickHouseServer extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly dataVolume: docker.Volume;
  /** URL from this machine (for the migration runner and verification). */
  public readonly hostUrl: pulumi.Output<string>;
  /** Host name and HTTP port inside the stack network. */
  public readonly internalHost: string = CLICKHOUSE_ALIAS;
  public readonly internalHttpPort: number = CLICKHOUSE_HTTP_PORT;
  /** Resolves once the container is healthy (use as a dependency). */
  public readonly ready: pulumi.Output<string>;

  constructor(name: string, args: ClickHouseServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("streamstack:infra:ClickHouse", name, {}, opts);
    checkPinnedImage(args.image, "image");
    checkPort(args.httpPort, "httpPort");
    if (!/^[a-z][a-z0-9_]*$/.test(args.adminUser) || args.adminUser === "default") {
      throw new Error(`[adminUser] "${args.adminUser}": use lower-case letters, digits and _ and not "default"`);
    }
    const image = pulledImage(this, `${name}-image`, args.image);
    this.dataVolume = dataVolume(this, `${name}-data`, `${args.namePrefix}-clickhouse-data`, args.keepData ?? false);

    this.container = serviceContainer(this, `${name}-server`, args, {
      service: "clickhouse",
      alias: CLICKHOUSE_ALIAS,
      image: image.imageId,
      envs: [
        pulumi.interpolate`CLICKHOUSE_USER=${args.adminUser}`,
        pulumi.secret(pulumi.interpolate`CLICKHOUSE_PASSWORD=${args.adminPassword}`),
        "CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1",
      ],
      ulimits: [{ name: "nofile", soft: 262144, hard: 262144 }],
      volume: { volume: this.dataVolume, containerPath: "/var/lib/clickhouse" },
      port: { internal: CLICKHOUSE_HTTP_PORT, external: args.httpPort },
      healthcheck: {
        tests: ["CMD", "wget", "--spider", "-q", `http://127.0.0.1:${CLICKHOUSE_HTTP_PORT}/ping`],
        interval: "5s",
        timeout: "3s",
        retries: 10,
        startPeriod: "10s",
      },
      defaultWaitSeconds: 120,
      // Give merges a moment to finish on `docker stop` before SIGKILL.
      destroyGraceSeconds: 30,
    }, opts);

    this.hostUrl = publishedUrl(args, args.httpPort);
    this.ready = this.container.id;
    this.registerOutputs({ hostUrl: this.hostUrl, internalHost: this.internalHost, internalHttpPort: this.internalHttpPort });
  }
}
