// `npm run up`'s first step (scripts/up.sh): the stack's settings as `pulumi config --json` prints
// them (on stdin), validated by the program's own rules before Pulumi or Docker is started.
// Prints "docker" when the settings make containers, "no-docker" when every service is external
// or off; exits 1 with the program's error (each bad key and its fix) when a setting is wrong.
//   pulumi config --json | node --import tsx infra/preflight.ts <stack>
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, PROJECT, StackConfigError, type ConfigSource, type StackConfig } from "./config";

/** One entry of `pulumi config --json`: secrets have no value unless --show-secrets. */
interface CliConfigEntry {
  readonly value?: string;
  readonly secret: boolean;
}

/** A ConfigSource over `pulumi config --json` output (secret values stand in as a placeholder). */
export function cliConfigSource(json: string): ConfigSource {
  const entries = JSON.parse(json) as Record<string, CliConfigEntry>;
  const entry = (key: string) => entries[`${PROJECT}:${key}`];
  return {
    get: (key) => entry(key)?.value,
    getSecret: (key) => (entry(key) ? pulumi.secret(entry(key)!.value ?? "[secret]") : undefined),
    keys: () => Object.keys(entries).filter((k) => k.startsWith(`${PROJECT}:`)).map((k) => k.slice(PROJECT.length + 1)),
    isSecret: (key) => entry(key)?.secret === true,
  };
}

export function needsDocker(config: StackConfig): boolean {
  return !config.externalOnly;
}

function main(): void {
  const stack = process.argv[2] ?? "dev";
  try {
    const config = loadStackConfig(cliConfigSource(readFileSync(0, "utf8")), stack);
    process.stdout.write(needsDocker(config) ? "docker\n" : "no-docker\n");
  } catch (err) {
    if (!(err instanceof StackConfigError)) throw err;
    process.stderr.write(`streamstack: ${err.message}\n`);
    process.exit(1);
  }
}

if (require.main === module) main();
