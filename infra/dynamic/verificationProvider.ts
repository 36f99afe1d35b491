// Runs the post-deploy checks in the provider process. A failed check fails the resource (and so
// the `up`) with one line per problem and what to do; warnings are returned in `warnings`.
// Checks rerun whenever an input changes (a new deploy of anything they look at) or `trigger` does.
import type * as pulumi from "@pulumi/pulumi";
import { checkUsers, type ProbedUser } from "./checks/clickhouseUsers";
import { checkGrafana, type GrafanaCheck } from "./checks/grafana";
import { describeProblems, skipped, type CheckResult } from "./checks/result";
import { checkSuperset, type SupersetCheck } from "./checks/superset";
import { checkTicks, checkTrades } from "./checks/ticks";

export interface VerificationInputs {
  readonly clickhouse: {
    readonly url: string;
    readonly adminUser: string;
    readonly adminPassword: string;
    /** Users to log in as; empty when the stack does not manage users. */
    readonly users: readonly ProbedUser[];
  };
  /** Seconds to wait for a fresh tick; null when the ingester is disabled. */
  readonly tickWaitSeconds: number | null;
  /** Seconds to wait for a fresh trade; null when the ingester is disabled or not subscribed to matches (absent in older state). */
  readonly tradeWaitSeconds?: number | null;
  /** null when Grafana is disabled. */
  readonly grafana: GrafanaCheck | null;
  /** null when Superset is disabled. */
  readonly superset: SupersetCheck | null;
  /** Anything that should rerun the checks when it changes (e.g. ids of what they verify). */
  readonly trigger: string;
}

export interface VerificationOutputs extends VerificationInputs {
  readonly results: readonly CheckResult[];
  readonly warnings: readonly string[];
  readonly verifiedAt: string;
}

export async function runChecks(inputs: VerificationInputs): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  results.push(...(await checkUsers(inputs.clickhouse.url, inputs.clickhouse.users)));
  results.push(...(inputs.grafana ? await checkGrafana(inputs.grafana) : [skipped("grafana", "Grafana is disabled in this stack")]));
  results.push(...(inputs.superset ? await checkSuperset(inputs.superset) : [skipped("superset", "Superset is disabled in this stack")]));
  results.push(
    inputs.tickWaitSeconds === null
      ? skipped("ticks arrive", "the ingester is disabled in this stack")
      : await checkTicks({ url: inputs.clickhouse.url, user: inputs.clickhouse.adminUser, password: inputs.clickhouse.adminPassword, waitSeconds: inputs.tickWaitSeconds }),
  );
  const tradeWait = inputs.tradeWaitSeconds ?? null;
  results.push(
    tradeWait === null
      ? skipped("trades arrive", "the ingester is disabled or not subscribed to the matches channel")
      : await checkTrades({ url: inputs.clickhouse.url, user: inputs.clickhouse.adminUser, password: inputs.clickhouse.adminPassword, waitSeconds: tradeWait }),
  );
  return results;
}

async function verify(inputs: VerificationInputs): Promise<VerificationOutputs> {
  const results = await runChecks(inputs);
  const failures = describeProblems(results, "failed");
  if (failures) {
    throw new Error(`PostDeployVerification: ${results.filter((r) => r.status === "failed").length} check(s) failed:\n${failures}`);
  }
  const warnings = results.filter((r) => r.status === "warning").map((r) => `${r.check}: ${r.detail}. What to do: ${r.fix}`);
  return { ...inputs, results, warnings, verifiedAt: new Date().toISOString() };
}

const INPUT_KEYS = ["clickhouse", "tickWaitSeconds", "tradeWaitSeconds", "grafana", "superset", "trigger"] as const;

export function changedKeys(olds: Partial<VerificationInputs>, news: Partial<VerificationInputs>): string[] {
  return INPUT_KEYS.filter((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds: VerificationOutputs, news: VerificationInputs) {
    return { changes: changedKeys(olds, news).length > 0 };
  },
  async create(inputs: VerificationInputs) {
    return { id: `verification-${Date.now()}`, outs: await verify(inputs) };
  },
  async update(_id, _olds, news: VerificationInputs) {
    return { outs: await verify(news) };
  },
};
