// Reads a YAML config file (or none), validates it, and resolves secrets from the environment.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { configSchema, type IngestConfig } from "./schema";

export class ConfigError extends Error {}

/** Parses and validates a config object; throws ConfigError naming each bad key path. */
export function parseConfig(input: unknown, origin = "config"): IngestConfig {
  const result = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw new ConfigError(`Invalid ${origin}:\n${formatIssues(result.error.issues)}`);
  const config = result.data;
  if (config.sink.type !== "embedded" && config.sink.password !== undefined && config.sink.password_env !== undefined) {
    throw new ConfigError(`Invalid ${origin}:\n  sink: set only one of password and password_env`);
  }
  if (config.source.type === "coinbase" && !config.source.subscription.channels.includes("ticker") && !config.source.subscription.channels.includes("matches")) {
    throw new ConfigError(`Invalid ${origin}:\n  source.subscription.channels: expected "ticker" and/or "matches" (heartbeat alone stores nothing)`);
  }
  return config;
}

export function loadConfigFile(path: string): IngestConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  // An empty file (or only comments) would otherwise run every default: the live Coinbase feed,
  // ./data and ./spool in the working directory. A file given on purpose must say something.
  if (data === null || data === undefined) {
    throw new ConfigError(
      `Config file ${path} holds no settings (it is empty, or only comments). Put at least a source: and a sink: in it, e.g.\n` +
        `  source: { type: coinbase, subscription: { product_ids: [BTC-USD] } }\n` +
        `  sink: { type: embedded, path: ./data }\n` +
        `Examples: ingest/examples/demo_config.yaml; every key: docs/ingester.md. ` +
        `To run with all defaults (Coinbase BTC-USD into an embedded ClickHouse at ./data), start without --config.`,
    );
  }
  if (!isObject(data)) {
    throw new ConfigError(`Config file ${path}: expected a mapping of keys (source:, sink:, …), found ${Array.isArray(data) ? "a list" : `the ${typeof data} ${JSON.stringify(data)}`}`);
  }
  return parseConfig(data, `config file ${path}`);
}

/** The sink password: from password_env if named (must be set), else the plain value, else empty. */
export function resolvePassword(config: IngestConfig, env: NodeJS.ProcessEnv = process.env): string {
  const sink = config.sink;
  if (sink.type === "embedded") return "";
  if (sink.password_env !== undefined) {
    const value = env[sink.password_env];
    if (value === undefined || value === "") {
      throw new ConfigError(`sink.password_env names ${sink.password_env}, but that environment variable is not set: export it or set sink.password`);
    }
    return value;
  }
  return sink.password ?? "";
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  ${describe(issue)}`).join("\n");
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.join(", ");
    return `${path}: unknown key${issue.keys.length > 1 ? "s" : ""} ${keys} (check the spelling; see docs/ingester.md for the keys)`;
  }
  if (issue.code === "invalid_union" && isObject(issue.input) && "type" in issue.input) {
    // A discriminated union whose `type` matched no branch: name the key that picks the branch.
    const at = issue.path[issue.path.length - 1] === "type" ? path : `${path}.type`;
    return `${at}: ${issue.message}, got ${JSON.stringify(issue.input.type)}`;
  }
  const got = "input" in issue && issue.input !== undefined ? `, got ${JSON.stringify(issue.input)}` : issue.code === "invalid_type" ? ", got nothing" : "";
  return `${path}: ${issue.message}${got}`;
}

/** The config with secrets masked, for logging. */
export function redactedConfig(config: IngestConfig): unknown {
  if (config.sink.type === "embedded" || config.sink.password === undefined) return config;
  return { ...config, sink: { ...config.sink, password: "***" } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
