// What one post-deploy check found. "failed" stops the deploy; "warning" is reported in the
// outputs and does not (e.g. no ticks because the exchange is unreachable).
export type CheckStatus = "ok" | "warning" | "failed" | "skipped";

export interface CheckResult {
  /** e.g. `clickhouse user streamstack_grafana`, `grafana dashboard streamstack-overview`. */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do about it (failed and warning only). */
  readonly fix?: string;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, status: "ok", detail });
export const skipped = (check: string, detail: string): CheckResult => ({ check, status: "skipped", detail });
export const failed = (check: string, detail: string, fix: string): CheckResult => ({ check, status: "failed", detail, fix });
export const warning = (check: string, detail: string, fix: string): CheckResult => ({ check, status: "warning", detail, fix });

/** One line per failed/warning check: what, found, fix. */
export function describeProblems(results: readonly CheckResult[], status: "failed" | "warning"): string {
  return results
    .filter((r) => r.status === status)
    .map((r) => `- ${r.check}: ${r.detail}. What to do: ${r.fix ?? "see the detail"}`)
    .join("\n");
}
