// The value rules the stack's settings (infra/config.ts) and the components' arguments
// (infra/components/*) share, written once with one wording: a setting and a component argument
// that break the same rule get the same explanation.
import { z } from "zod";

export const port = z.number({ error: "expected number: a port from 1 to 65535" }).int("expected a whole port number").min(1, "expected a port number from 1 to 65535").max(65535, "expected a port number from 1 to 65535");

const IMAGE_NAME = String.raw`[a-z0-9]+(?:[._/-][a-z0-9]+)*`;
const IMAGE_DIGEST = String.raw`@sha256:[a-f0-9]{64}`;
/**
 * An exact release: x.y.z with optional further numeric parts (ClickHouse's 26.8.10.6), optionally
 * the `-alpine` variant (ClickHouse docker/server/README.md: "Each tag has optional `-alpine`
 * suffix"). `26.8` or `13.3` is a branch tag that moves with every patch release.
 */
const EXACT_TAG = /^\d+(?:\.\d+){2,}(?:-alpine)?$/;

/**
 * An image reference pinned to one image: repository:<exact version> or repository[:tag]@sha256:<digest>.
 * The one rule for the stack config (infra/config.ts) and the components (infra/components/common.ts).
 */
export const imageRef = z.string().superRefine((ref, ctx) => {
  const match = new RegExp(`^${IMAGE_NAME}(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(${IMAGE_DIGEST})?$`).exec(ref);
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    ctx.addIssue({ code: "custom", message: "expected repository:tag or repository@sha256:<digest> (pin an exact tag, e.g. grafana/grafana:13.3.0)" });
    return;
  }
  const [, tag, digest] = match;
  if (tag === "latest") ctx.addIssue({ code: "custom", message: "the tag `latest` floats: pin an exact version" });
  else if (digest === undefined && !EXACT_TAG.test(tag!)) {
    ctx.addIssue({ code: "custom", message: "expected an exact version tag (x.y.z such as 26.8.10.6, optionally -alpine) or an @sha256 digest: a tag like 26.8 or 13.3 moves with every release" });
  }
});

/** An exact x.y.z version (e.g. a Grafana plugin's). */
export const exactVersion = z.string().regex(/^\d+\.\d+\.\d+$/, "expected an exact version such as 4.20.0");

/** An environment variable name. */
export const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "expected an environment variable name (A-Z, 0-9, _)");

/** Throws `[argument] is <value>: <what the rule expects>` when `value` breaks `rule` (a component's argument check). */
export function checkArg(rule: z.ZodType, value: unknown, argument: string): void {
  const result = rule.safeParse(value);
  if (!result.success) throw new Error(`[${argument}] is ${JSON.stringify(value)}: ${result.error.issues.map((i) => i.message).join("; ")}`);
}
