// Every password and key of the stack: taken from config secrets when set, generated otherwise,
// and always held as Pulumi secrets. With containers the generator is @pulumi/random; with no
// container at all (external-services mode) it is RandomSecret (infra/dynamic), so no provider plugin is needed.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { SecretKey } from "./config";
import { RandomSecret } from "./dynamic/randomSecret";

/** 32 characters from [A-Za-z0-9]: no quoting trouble in env vars, URLs or YAML. */
const PASSWORD_LENGTH = 32;

export type PasswordGenerator = "random" | "builtin";

export interface StackSecretsArgs {
  /** Values given in stack config; the rest are generated. */
  readonly given: Partial<Record<SecretKey, pulumi.Output<string>>>;
  readonly generator: PasswordGenerator;
}

export class StackSecrets extends pulumi.ComponentResource {
  private readonly cache = new Map<SecretKey, pulumi.Output<string>>();

  constructor(
    name: string,
    private readonly args: StackSecretsArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("streamstack:infra:Secrets", name, {}, opts);
    this.registerOutputs({});
  }

  /** The secret for `key`, generating it (once) when config does not give it. */
  get(key: SecretKey): pulumi.Output<string> {
    const known = this.cache.get(key);
    if (known) return known;
    const given = this.args.given[key];
    const value = pulumi.secret(given ?? this.generate(key));
    this.cache.set(key, value);
    return value;
  }

  private generate(key: SecretKey): pulumi.Output<string> {
    if (this.args.generator === "builtin") {
      return new RandomSecret(key, { length: PASSWORD_LENGTH }, { parent: this }).result;
    }
    return new random.RandomPassword(key, { length: PASSWORD_LENGTH, special: false, minUpper: 2, minLower: 2, minNumeric: 2 }, { parent: this }).result;
  }
}
