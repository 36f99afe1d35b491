import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkArg, envName } from "../rules";
import { checkPort, dataVolume, publishedUrl, serviceContainer, type ServiceBaseArgs } from "./common";
import { LocalImage } from "./localImage";

export const SUPERSET_ALIAS = "superset";
export const SUPERSET_INTERNAL_PORT = 8088;
/** SUPERSET_HOME in the official image: the SQLite metadata database lives here. */
export const SUPERSET_HOME = "/app/superset_home";

export interface SupersetServerArgs extends ServiceBaseArgs {
  /** Build context of the derived image (absolute path; the Dockerfile's folder). */
  readonly buildContext: string;
  /** The Dockerfile (absolute path). */
  readonly dockerfile: string;
  /** Files of the context the image is made from (they decide its tag); default: the whole context. */
  readonly sources?: readonly string[];
  /** Folder where only those files are staged as the build context (see LocalImage). */
  readonly stageUnder?: string;
  /** Host port for the UI and API. */
  readonly port: number;
  /** SUPERSET_SECRET_KEY (secret): signs sessions and encrypts stored database passwords. */
  readonly secretKey: pulumi.Input<string>;
  readonly adminUser: string;
  /** Admin password (secret), applied by the image's bootstrap on first start. */
  readonly adminPassword: pulumi.Input<string>;
  /** Environment variable names the image's bootstrap reads for the admin account. */
  readonly adminEnv: { readonly user: string; readonly password: string };
  /** Command of the container (the image's bootstrap), when the image's default is not it. */
  readonly command?: string[];
}

/**
 * Superset from the derived image in superset/ (ClickHouse driver, config, bootstrap that runs
 * db upgrade / create-admin / init before gunicorn), metadata in a named volume, /health
 * healthcheck, and a long wait: the first boot runs every metadata migration.
 */
export class SupersetServer extends pulumi.ComponentResource {
  public readonly image: LocalImage;
  public readonly container: docker.Container;
  public readonly dataVolume: docker.Volume;
  /** URL from this machine. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: SupersetServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("streamstack:infra:Superset", name, {}, opts);
    checkPort(args.port, "port");
    for (const [key, value] of Object.entries(args.adminEnv)) checkArg(envName, value, `adminEnv.${key}`);
    this.image = new LocalImage(
      `${name}-image`,
      { repository: `${args.namePrefix}-superset`, context: args.buildContext, dockerfile: args.dockerfile, sources: args.sources, stageUnder: args.stageUnder },
      { parent: this },
    );
    this.dataVolume = dataVolume(this, `${name}-data`, `${args.namePrefix}-superset-home`, args.keepData ?? false);
    this.container = serviceContainer(this, `${name}-server`, args, {
      service: "superset",
      alias: SUPERSET_ALIAS,
      image: this.image.imageId,
      command: args.command,
      envs: [
        pulumi.secret(pulumi.interpolate`SUPERSET_SECRET_KEY=${args.secretKey}`),
        `${args.adminEnv.user}=${args.adminUser}`,
        pulumi.secret(pulumi.interpolate`${args.adminEnv.password}=${args.adminPassword}`),
      ],
      volume: { volume: this.dataVolume, containerPath: SUPERSET_HOME },
      port: { internal: SUPERSET_INTERNAL_PORT, external: args.port },
      // superset/Dockerfile ends with USER superset and serves on 8088: no capability needed.
      cpus: "1",
      healthcheck: {
        tests: ["CMD", "curl", "-fsS", "-o", "/dev/null", `http://localhost:${SUPERSET_INTERNAL_PORT}/health`],
        interval: "10s",
        timeout: "5s",
        retries: 10,
        startPeriod: "120s",
      },
      defaultWaitSeconds: 600,
    }, opts);
    this.url = publishedUrl(args, args.port);
    this.registerOutputs({ url: this.url, imageName: this.image.imageName });
  }
}
