// Small pieces every service component shares.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkArg, imageRef, port } from "../rules";

/** Docker restart policy of every long-running service: back after a crash or a host reboot, not after `docker stop`. */
export const RESTART_POLICY = "unless-stopped";

/** What the caller decides for every container it publishes: where ports bind and the network. */
export interface ServiceBaseArgs {
  /** Prefix of every name on the Docker host (containers, volumes, images). */
  readonly namePrefix: string;
  /** The stack's Docker network; the service joins it under a fixed alias. */
  readonly networkName: pulumi.Input<string>;
  /** Host address that published ports bind to (default 127.0.0.1: not reachable from other machines). */
  readonly bindAddress?: string;
  /** Keep named data volumes when the stack is destroyed. */
  readonly keepData?: boolean;
  /** Memory limit in MB. */
  readonly memoryMb?: number;
  /** Seconds `pulumi up` waits for the container's healthcheck to pass. */
  readonly waitTimeoutSeconds?: number;
}

export const DEFAULT_BIND_ADDRESS = "127.0.0.1";

/** The address to reach a port bound to `bindAddress` from this machine. */
export function hostAddress(bindAddress: string): string {
  if (bindAddress === "0.0.0.0") return "127.0.0.1";
  if (bindAddress === "::") return "[::1]";
  return bindAddress.includes(":") ? `[${bindAddress}]` : bindAddress;
}

/** A named volume for a service's data; `keepData` leaves it on the host on destroy. */
export function dataVolume(parent: pulumi.Resource, resourceName: string, dockerName: string, keepData: boolean): docker.Volume {
  return new docker.Volume(resourceName, { name: dockerName }, { parent, retainOnDelete: keepData });
}

/** A pulled image that stays on the host on destroy (it may serve other projects; only images we build are removed). */
export function pulledImage(parent: pulumi.Resource, resourceName: string, image: string): docker.RemoteImage {
  return new docker.RemoteImage(resourceName, { name: image, keepLocally: true }, { parent });
}

/** Validates a port number up front, naming the argument (the rule of infra/rules.ts). */
export function checkPort(value: number, argument: string): void {
  checkArg(port, value, argument);
}

/** Validates an image reference up front: an exact version tag, never a floating one (infra/rules.ts). */
export function checkPinnedImage(image: string, argument: string): void {
  checkArg(imageRef, image, argument);
}

/** What differs between the services' containers; the rest is the same for every one (serviceContainer). */
export interface ServiceContainerSpec {
  /** The container's name is `<namePrefix>-<service>`. */
  readonly service: string;
  /** Its alias on the stack network. */
  readonly alias: string;
  readonly image: pulumi.Input<string>;
  /** The named volume and where it is mounted. */
  readonly volume: { readonly volume: docker.Volume; readonly containerPath: string };
  /** The port inside the container and the host port it is published on (bound to bindAddress). */
  readonly port: { readonly internal: number; readonly external: number };
  readonly healthcheck: docker.types.input.ContainerHealthcheck;
  /** Seconds `pulumi up` waits for healthy when the caller gave no waitTimeoutSeconds. */
  readonly defaultWaitSeconds: number;
  readonly envs?: pulumi.Input<pulumi.Input<string>[]>;
  readonly command?: string[];
  readonly uploads?: docker.types.input.ContainerUpload[];
  readonly ulimits?: docker.types.input.ContainerUlimit[];
  /** Seconds between SIGTERM and SIGKILL on `docker stop` (Docker's default when unset). */
  readonly destroyGraceSeconds?: number;
  /** Replaces the image's ENTRYPOINT (the command above becomes its arguments). */
  readonly entrypoint?: string[];
  /**
   * Linux capabilities the image's own start needs back; every other one is dropped (Docker's
   * default set: docs.docker.com run reference, "Runtime privilege and Linux capabilities").
   */
  readonly capabilities?: readonly string[];
  /** CPU limit in CPUs (Docker refuses more than the host has, so at most "1" here); unset = none. */
  readonly cpus?: string;
  /** A read-only root filesystem, with these tmpfs mounts (path → mount options) where the process writes. */
  readonly readOnlyRoot?: { readonly tmpfs: Readonly<Record<string, string>> };
}

/** Every container: no process in it can gain privileges through setuid binaries or file capabilities. */
export const SECURITY_OPTS = ["no-new-privileges:true"];

/**
 * A long-running service container as every component makes one: named after the stack, on the
 * stack network under its alias, its port published on bindAddress only, its data volume
 * mounted, restarted unless stopped, memory-limited (and CPU-limited where the spec says),
 * no-new-privileges with every capability dropped but the spec's, and `pulumi up` waits for its
 * healthcheck.
 * Replaced by delete-then-create: the name and host port cannot be held by two containers.
 */
export function serviceContainer(
  parent: pulumi.ComponentResource,
  resourceName: string,
  base: ServiceBaseArgs,
  spec: ServiceContainerSpec,
  componentOpts: pulumi.ComponentResourceOptions,
): docker.Container {
  return new docker.Container(
    resourceName,
    {
      name: `${base.namePrefix}-${spec.service}`,
      image: spec.image,
      command: spec.command,
      envs: spec.envs,
      uploads: spec.uploads,
      ulimits: spec.ulimits,
      volumes: [{ volumeName: spec.volume.volume.name, containerPath: spec.volume.containerPath }],
      ports: [{ internal: spec.port.internal, external: spec.port.external, ip: base.bindAddress ?? DEFAULT_BIND_ADDRESS }],
      networksAdvanced: [{ name: base.networkName, aliases: [spec.alias] }],
      healthcheck: spec.healthcheck,
      restart: RESTART_POLICY,
      memory: base.memoryMb,
      cpus: spec.cpus,
      entrypoints: spec.entrypoint,
      securityOpts: SECURITY_OPTS,
      capabilities: { drops: ["ALL"], adds: [...(spec.capabilities ?? [])] },
      readOnly: spec.readOnlyRoot ? true : undefined,
      tmpfs: spec.readOnlyRoot ? { ...spec.readOnlyRoot.tmpfs } : undefined,
      wait: true,
      waitTimeout: base.waitTimeoutSeconds ?? spec.defaultWaitSeconds,
      destroyGraceSeconds: spec.destroyGraceSeconds,
    },
    { parent, dependsOn: [spec.volume.volume, ...componentDependsOn(componentOpts)], deleteBeforeReplace: true },
  );
}

/** `http://<address to reach bindAddress>:<port><path>`: a published service's URL from this machine. */
export function publishedUrl(base: ServiceBaseArgs, port: number, path = ""): pulumi.Output<string> {
  return pulumi.output(`http://${hostAddress(base.bindAddress ?? DEFAULT_BIND_ADDRESS)}:${port}${path}`);
}

/**
 * The component's own `dependsOn`, for its containers: Pulumi does not pass a component's
 * dependsOn on to its children (@pulumi/pulumi runtime/resource.js reads only the resource's own
 * options), so a container must list it itself to really start after those resources.
 */
export function componentDependsOn(opts: pulumi.ComponentResourceOptions): pulumi.Input<pulumi.Resource>[] {
  const deps = opts.dependsOn;
  if (deps === undefined) return [];
  return Array.isArray(deps) ? [...(deps as pulumi.Input<pulumi.Resource>[])] : [deps as pulumi.Input<pulumi.Resource>];
}
