// The value rules the stack's settings (infra/config.ts) and the components' arguments
// (infra/components/*) share, written once with one wording: a setting and a component argument
// that break the same rule get the same explanation.
import { z } from "zod";

export const port = z.number({ error: "expected number: a port from 1 to 65535" }).int("expected a whole port number").min(1, "expected a port number from 1 to 65535").max(65535, "expected a port number from 1 to 65535");

/** An image reference with an exact version tag (and optionally a digest); `latest` and names without a version float. */
export const imageRef = z
  .string()
  .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$/, "expected repository:tag (pin an exact tag, e.g. grafana/grafana:13.3.0)")
  .refine((ref) => !/:latest(@|$)/.test(ref), "the tag `latest` floats: pin an exact version")
  .refine((ref) => /:[^:@]*\d+\.\d+/.test(ref), "expected an exact version tag (major.minor[.patch]), not a floating name");

/** An exact x.y.z version (e.g. a Grafana plugin's). */
export const exactVersion = z.string().regex(/^\d+\.\d+\.\d+$/, "expected an exact version such as 4.20.0");

/** An environment variable name. */
export const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name (A-Z, 0-9, _)");

/** Throws `[argument] is <value>: <what the rule expects>` when `value` breaks `rule` (a component's argument check). */
export function checkArg(rule: z.ZodType, value: unknown, argument: string): void {
  const result = rule.safeParse(value);
  if (!result.success) throw new Error(`[${argument}] is ${JSON.stringify(value)}: ${result.error.issues.map((i) => i.message).join("; ")}`);
}
