// A generated password with no provider plugin (see randomSecretProvider.ts).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { lazyProvider } from "./lazyProvider";

export interface RandomSecretArgs {
  /** Characters in the value (16–256, default 32). */
  readonly length?: pulumi.Input<number>;
  /** Change any value here to generate a new secret. */
  readonly keepers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export class RandomSecret extends pulumi.dynamic.Resource {
  /** The generated value; secret in the state and in every output derived from it. */
  public declare readonly result: pulumi.Output<string>;

  constructor(name: string, args: RandomSecretArgs = {}, opts: pulumi.CustomResourceOptions = {}) {
    super(
      lazyProvider(path.join(__dirname, "randomSecretProvider.ts")),
      name,
      { length: args.length ?? 32, keepers: args.keepers ?? {}, result: undefined },
      { ...opts, additionalSecretOutputs: ["result", ...(opts.additionalSecretOutputs ?? [])] },
      "streamstack",
      "RandomSecret",
    );
  }
}
