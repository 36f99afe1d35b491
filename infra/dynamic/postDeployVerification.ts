// The last resource of a deploy: checks what cannot be tested on the developer's machine (see
// verificationProvider.ts and checks/). Each service's block is optional: a disabled service
// is skipped, not failed.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { UserRole } from "../../sql/src/access";
import type { CheckResult } from "./checks/result";
import { lazyProvider } from "./lazyProvider";

type In<T> = { readonly [K in keyof T]: pulumi.Input<T[K]> };

export interface PostDeployVerificationArgs {
  /** ClickHouse as the deploy sees it (http(s) URL from this machine, or chdb:<dir>), with an admin login for the tick check. */
  readonly clickhouse: pulumi.Input<In<{ url: string; adminUser: string; adminPassword: string }>>;
  /** Users to log in as and probe (each must do what its role needs and nothing more). Empty: skipped. */
  readonly users?: pulumi.Input<pulumi.Input<In<{ name: string; role: UserRole; password: string }>>[]>;
  /** Wait this many seconds for a fresh tick (a warning if none). Omit when the ingester is disabled. */
  readonly tickWaitSeconds?: pulumi.Input<number>;
  /** Wait this many seconds for a fresh trade (a warning if none). Omit when the ingester is disabled or not subscribed to matches. */
  readonly tradeWaitSeconds?: pulumi.Input<number>;
  /** Omit when Grafana is disabled. */
  readonly grafana?: pulumi.Input<
    In<{ url: string; adminUser: string; adminPassword: string; datasourceUid: string; dashboardUids: string[]; alertRuleUids: string[] }>
  >;
  /** Omit when Superset is disabled. `checkConnection`: ask Superset to reach ClickHouse (not possible with the embedded engine). */
  readonly superset?: pulumi.Input<In<{ url: string; adminUser: string; adminPassword: string; databaseUuid: string; checkConnection: boolean }>>;
  /** Rerun the checks when this changes; pass ids/checksums of what they verify so a redeploy of those reruns them. */
  readonly trigger?: pulumi.Input<string>;
}

export class PostDeployVerification extends pulumi.dynamic.Resource {
  /** Every check with its status (ok, warning, skipped). */
  public declare readonly results: pulumi.Output<CheckResult[]>;
  /** Warnings (e.g. no ticks yet), each with what to do. */
  public declare readonly warnings: pulumi.Output<string[]>;
  public declare readonly verifiedAt: pulumi.Output<string>;

  constructor(name: string, args: PostDeployVerificationArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      lazyProvider(path.join(__dirname, "verificationProvider.ts")),
      name,
      {
        clickhouse: pulumi.secret(pulumi.all([args.clickhouse, args.users ?? []]).apply(([c, users]) => ({ ...c, users }))),
        tickWaitSeconds: args.tickWaitSeconds ?? null,
        tradeWaitSeconds: args.tradeWaitSeconds ?? null,
        grafana: args.grafana ? pulumi.secret(args.grafana) : null,
        superset: args.superset ? pulumi.secret(args.superset) : null,
        trigger: args.trigger ?? "",
        results: undefined,
        warnings: undefined,
        verifiedAt: undefined,
      },
      { ...opts, additionalSecretOutputs: ["clickhouse", "grafana", "superset", ...(opts.additionalSecretOutputs ?? [])] },
      "streamstack",
      "PostDeployVerification",
    );
  }
}

