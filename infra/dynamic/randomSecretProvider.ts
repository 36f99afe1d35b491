// Generates a password in the provider process, for the plugin-free configuration (no
// @pulumi/random plugin). The value lives only in the state, encrypted: the resource marks
// `result` secret through additionalSecretOutputs.
import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export interface RandomSecretInputs {
  /** Characters in the generated value (URL-safe base64 alphabet). */
  readonly length: number;
  /** Any change here generates a new value (rotation). */
  readonly keepers?: Record<string, string>;
}

export interface RandomSecretOutputs extends RandomSecretInputs {
  readonly result: string;
}

export const MIN_LENGTH = 16;
export const MAX_LENGTH = 256;

export function validateLength(length: unknown): string | undefined {
  if (typeof length !== "number" || !Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH) {
    return `length is ${JSON.stringify(length)}: expected a whole number from ${MIN_LENGTH} to ${MAX_LENGTH}`;
  }
  return undefined;
}

/** URL-safe (A-Z a-z 0-9 - _), so it fits connection strings and env vars without escaping. */
export function generate(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 3).toString("base64url").slice(0, length);
}

function sameKeepers(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news: RandomSecretInputs) {
    const problem = validateLength(news.length);
    return problem ? { inputs: news, failures: [{ property: "length", reason: problem }] } : { inputs: news };
  },
  async diff(_id, olds: RandomSecretOutputs, news: RandomSecretInputs) {
    const replaces: string[] = [];
    if (olds.length !== news.length) replaces.push("length");
    if (!sameKeepers(olds.keepers, news.keepers)) replaces.push("keepers");
    return { changes: replaces.length > 0, replaces };
  },
  async create(inputs: RandomSecretInputs) {
    const outs: RandomSecretOutputs = { ...inputs, result: generate(inputs.length) };
    return { id: randomBytes(8).toString("hex"), outs };
  },
  async update(_id, olds: RandomSecretOutputs, news: RandomSecretInputs) {
    // diff replaces on every input change, so an update only ever carries the same inputs.
    return { outs: { ...news, result: olds.result } };
  },
};
