import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkPinnedImage, checkPort, dataVolume, publishedUrl, pulledImage, serviceContainer, type ServiceBaseArgs } from "./common";

/** Alias on the stack network and the HTTP port other containers use. */
export const CLICKHOUSE_ALIAS = "clickhouse";
export const CLICKHOUSE_HTTP_PORT = 8123;
/** What the image's entrypoint needs as root before it drops to the clickhouse user. */
export const CLICKHOUSE_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID"];

export interface ClickHouseServerArgs extends ServiceBaseArgs {
  /** Image with an exact tag, e.g. clickhouse/clickhouse-server:26.8.10.6. */
  readonly image: string;
  /** Host port for the HTTP interface (the migration runner and you connect here). */
  readonly httpPort: number;
  /** The admin user the image's entrypoint creates (replaces `default`). */
  readonly adminUser: string;
  /** The admin's password (secret). */
  readonly adminPassword: pulumi.Input<string>;
  /** How errors about the password name it (the stack passes its setting, streamstack:clickhouseAdminPassword). */
  readonly adminPasswordName?: string;
}

/**
 * Why the image's entrypoint cannot take `password` as CLICKHOUSE_PASSWORD, or undefined when it
 * can. The entrypoint writes it into users.d/default-user.xml for a user reachable from ::/0; since
 * ClickHouse 24.9 (PR #69301, "CLICKHOUSE_PASSWORD is escaped for XML") inside a CDATA section with
 * "]]>" split (ClickHouse/docker-library server/<version>/entrypoint.sh), so <, & and ]]> are safe
 * there and escaping them here would change the password. Older images, and images pinned by
 * digest alone (version unknown), write it as it is. Never returns the password itself.
 */
export function adminPasswordProblem(password: string, image: string): string | undefined {
  if (password.length === 0) return "is empty: the image's entrypoint would create the admin without a password, reachable from any address";
  // XML 1.0 has no representation for these, not even in CDATA: the server could not read its users file.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(password)) return "contains a control character, which the image's users XML cannot hold: choose another password";
  if (/[<&]|\]\]>/.test(password) && !entrypointEscapesPassword(image)) {
    return `contains <, & or ]]>, which the entrypoint of ${image} writes into its users XML unescaped (CDATA wrapping came with ClickHouse 24.9): choose another password or a newer exact image`;
  }
  return undefined;
}

/** Whether the image's version (from its tag) is 24.9 or later, whose entrypoint CDATA-wraps the password. */
function entrypointEscapesPassword(image: string): boolean {
  const tag = image.split("@")[0]!.split(":")[1] ?? "";
  const version = /^(\d+)\.(\d+)\./.exec(tag);
  if (!version) return false;
  const [major, minor] = [Number(version[1]), Number(version[2])];
  return major > 24 || (major === 24 && minor >= 9);
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
    const passwordName = args.adminPasswordName ?? "[adminPassword]";
    // Checked where the value is known, inside the secret: the error names the setting, never the value.
    const adminPassword = pulumi.output(args.adminPassword).apply((password) => {
      const problem = adminPasswordProblem(password, args.image);
      if (problem) throw new Error(`${passwordName} ${problem}`);
      return password;
    });
    const image = pulledImage(this, `${name}-image`, args.image);
    this.dataVolume = dataVolume(this, `${name}-data`, `${args.namePrefix}-clickhouse-data`, args.keepData ?? false);

    this.container = serviceContainer(this, `${name}-server`, args, {
      service: "clickhouse",
      alias: CLICKHOUSE_ALIAS,
      image: image.imageId,
      envs: [
        pulumi.interpolate`CLICKHOUSE_USER=${args.adminUser}`,
        pulumi.secret(pulumi.interpolate`CLICKHOUSE_PASSWORD=${adminPassword}`),
        "CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1",
      ],
      ulimits: [{ name: "nofile", soft: 262144, hard: 262144 }],
      // The entrypoint runs as root: it creates and chowns the server's directories (CHOWN, and
      // DAC_OVERRIDE to enter ones the clickhouse user owns), writes users.d/default-user.xml,
      // then `clickhouse su` switches to the clickhouse user (SETGID, SETUID). The server then
      // holds no capability; SYS_NICE, NET_ADMIN and IPC_LOCK are optional extras it does without
      // (ClickHouse docker-library server/26.7.3.19/entrypoint.sh, docker/server/README.md).
      capabilities: CLICKHOUSE_CAPABILITIES,
      // No CPU limit: ClickHouse is the workload the others wait on; its memory is limited.
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
