import { posix } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkArg, envName } from "../rules";
import { checkPort, dataVolume, publishedUrl, serviceContainer, type ServiceBaseArgs } from "./common";
import { LocalImage } from "./localImage";

export const INGESTER_ALIAS = "ingester";
/** The image's `node` user (ingest/Dockerfile: "The image's non-root user (uid 1000)"). */
const INGESTER_UID = 1000;
/** Environment variable that carries the rendered YAML config (no secret in it) into the container. */
export const INGESTER_CONFIG_ENV = "STREAMSTACK_INGEST_CONFIG";

/**
 * The container's entrypoint: write the config from the environment to configPath (a tmpfs: the
 * root filesystem is read-only), then exec the image's own entrypoint with the container's
 * command as its arguments, so the ingester is PID 1 and gets SIGTERM itself. The config is not
 * uploaded: the provider copies uploads as a tar to "/", which Docker refuses on a read-only root
 * (kreuzwerker/terraform-provider-docker resource_docker_container_funcs.go; moby
 * daemon/archive.go, ErrRootFSReadOnly).
 */
export function ingesterEntrypoint(configPath: string, imageEntrypoint: readonly string[]): string[] {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const script = `umask 022 && printf '%s\\n' "$${INGESTER_CONFIG_ENV}" > ${quote(configPath)} && exec ${imageEntrypoint.map(quote).join(" ")} "$@"`;
  return ["/bin/sh", "-c", script, "ingest"];
}

/** The container healthcheck's script: exit 0 on 200, or on 503 whose problems all concern the source. */
export function ingesterHealthProbe(port: number): string {
  return (
    `fetch('http://127.0.0.1:${port}/healthz').then((r) => r.json().then((b) => ` +
    `process.exit(r.status === 200 || (r.status === 503 && (b.problems || []).every((p) => String(p).startsWith('source:'))) ? 0 : 1)), ` +
    `() => process.exit(1))`
  );
}

export interface IngesterServiceArgs extends ServiceBaseArgs {
  /** Build context (absolute path; the repository root). */
  readonly buildContext: string;
  /** ingest/Dockerfile (absolute path). */
  readonly dockerfile: string;
  /** Files and folders of the context the image is made from (they decide its tag). */
  readonly sources: readonly string[];
  /** Folder where only those files are staged as the build context (see LocalImage). */
  readonly stageUnder?: string;
  /** The rendered YAML config (no secrets in it). */
  readonly configYaml: string;
  /** Where the config file is placed in the container. */
  readonly configPath: string;
  /** Command that runs the ingester with that config (the arguments of the image's entrypoint). */
  readonly command?: string[];
  /** The image's ENTRYPOINT (ingest/Dockerfile), exec'd once the config file is written. */
  readonly imageEntrypoint: readonly string[];
  /** Environment variable the config's sink.password_env names, and the writer's password (secret). */
  readonly passwordEnv: string;
  readonly password: pulumi.Input<string>;
  /** Metrics and /healthz port inside the container, and on the host. */
  readonly metricsPort: number;
  readonly hostMetricsPort: number;
  /** The image's data folder, where the named volume is mounted (the spool lives under it, so a restart loses nothing). */
  readonly dataDir: string;
}

/** The Coinbase ingester: locally built image, read-only root, YAML config and writer password via env, spool on a volume. */
export class IngesterService extends pulumi.ComponentResource {
  public readonly image: LocalImage;
  public readonly container: docker.Container;
  public readonly spoolVolume: docker.Volume;
  /** /metrics from this machine. */
  public readonly metricsUrl: pulumi.Output<string>;

  constructor(name: string, args: IngesterServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("streamstack:infra:Ingester", name, {}, opts);
    checkPort(args.metricsPort, "metricsPort");
    checkPort(args.hostMetricsPort, "hostMetricsPort");
    checkArg(envName, args.passwordEnv, "passwordEnv");
    if (!args.configPath.startsWith("/") || !args.dataDir.startsWith("/") || posix.dirname(args.configPath) === "/") {
      throw new Error(`[configPath] and [dataDir] must be absolute paths in the container, the config in a folder of its own (a tmpfs is mounted there; got ${args.configPath}, ${args.dataDir})`);
    }
    this.image = new LocalImage(
      `${name}-image`,
      { repository: `${args.namePrefix}-ingester`, context: args.buildContext, dockerfile: args.dockerfile, sources: args.sources, stageUnder: args.stageUnder },
      { parent: this },
    );
    this.spoolVolume = dataVolume(this, `${name}-spool`, `${args.namePrefix}-ingester-spool`, args.keepData ?? false);
    this.container = serviceContainer(this, `${name}-server`, args, {
      service: "ingester",
      alias: INGESTER_ALIAS,
      image: this.image.imageId,
      entrypoint: ingesterEntrypoint(args.configPath, args.imageEntrypoint),
      command: args.command,
      envs: [pulumi.secret(pulumi.interpolate`${args.passwordEnv}=${args.password}`), `${INGESTER_CONFIG_ENV}=${args.configYaml}`],
      volume: { volume: this.spoolVolume, containerPath: args.dataDir },
      // Read-only root: the process writes only its spool (the volume), the config file and temp
      // files (tmpfs, noexec). It runs as the image's `node` user and needs no capability; one
      // CPU is what a single Node.js event loop uses.
      // Modes stated: whether a tmpfs starts root-owned 755 or 1777 has differed between Docker
      // versions, and the process is `node` (uid 1000, ingest/Dockerfile).
      readOnlyRoot: {
        tmpfs: {
          [posix.dirname(args.configPath)]: `rw,noexec,nosuid,nodev,size=1m,uid=${INGESTER_UID},gid=${INGESTER_UID},mode=0700`,
          "/tmp": "rw,noexec,nosuid,nodev,size=16m,mode=1777",
        },
      },
      cpus: "1",
      port: { internal: args.metricsPort, external: args.hostMetricsPort },
      // Healthy = the process serves /healthz and its sink is not stuck. A source problem
      // (Coinbase unreachable, e.g. offline) alone still counts as healthy, so `pulumi up`
      // does not fail offline; the verification reports missing ticks as a warning instead.
      // Node is in every ingester image; curl/wget may not be.
      healthcheck: {
        tests: ["CMD", "node", "-e", ingesterHealthProbe(args.metricsPort)],
        interval: "10s",
        timeout: "5s",
        retries: 6,
        startPeriod: "20s",
      },
      defaultWaitSeconds: 120,
      // Time to flush batches on SIGTERM (the ingester's shutdown_timeout_ms is 8 s).
      destroyGraceSeconds: 15,
    }, opts);
    this.metricsUrl = publishedUrl(args, args.hostMetricsPort, "/metrics");
    this.registerOutputs({ metricsUrl: this.metricsUrl, imageName: this.image.imageName });
  }
}
