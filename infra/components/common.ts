// Small pieces every service component shares.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

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

/** Validates a port number up front, naming the argument. */
export function checkPort(value: number, argument: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`[${argument}] is ${value}: expected a port number from 1 to 65535`);
  }
}

export function checkNotLatest(image: string, argument: string): void {
  const tag = image.includes(":") ? image.slice(image.lastIndexOf(":") + 1) : "";
  if (tag === "" || tag === "latest") {
    throw new Error(`[${argument}] is "${image}": pin an exact tag (e.g. repo:1.2.3); a missing or latest tag changes under you`);
  }
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
