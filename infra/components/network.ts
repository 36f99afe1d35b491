import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface StreamstackNetworkArgs {
  /** Docker network name on the host. */
  readonly name: string;
}

/** The bridge network the services talk over, by their aliases (clickhouse, grafana, superset, ingester). */
export class StreamstackNetwork extends pulumi.ComponentResource {
  public readonly network: docker.Network;
  /** Network name to join. */
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: StreamstackNetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("streamstack:infra:Network", name, {}, opts);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(args.name)) {
      throw new Error(`[name] "${args.name}" is not a valid Docker network name`);
    }
    this.network = new docker.Network(`${name}-bridge`, { name: args.name, driver: "bridge", attachable: true }, { parent: this, deleteBeforeReplace: true });
    this.name = this.network.name;
    this.registerOutputs({ name: this.name });
  }
}
