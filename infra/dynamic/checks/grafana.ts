// Grafana is up, its ClickHouse datasource answers, and the dashboards and alert rules the stack
// made exist. Endpoints (Grafana HTTP API, docs/testing.md cites them): GET /api/health,
// GET /api/datasources/uid/:uid/health, GET /api/dashboards/uid/:uid,
// GET /api/v1/provisioning/alert-rules/:uid.
import { basicAuth, httpGet, parseJson, reason } from "./http";
import { failed, ok, type CheckResult } from "./result";

export interface GrafanaCheck {
  readonly url: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly datasourceUid: string;
  readonly dashboardUids: readonly string[];
  readonly alertRuleUids: readonly string[];
}

export async function checkGrafana(args: GrafanaCheck): Promise<CheckResult[]> {
  const base = args.url.replace(/\/+$/, "");
  const auth = basicAuth(args.adminUser, args.adminPassword);
  const results: CheckResult[] = [];

  try {
    const health = await httpGet(`${base}/api/health`);
    if (health.status !== 200) {
      return [failed("grafana health", `${base}/api/health answered ${health.status}: ${health.body.slice(0, 200)}`, "check the Grafana container's logs (docker logs <prefix>-grafana); 503 means its database is not reachable")];
    }
    results.push(ok("grafana health", `${base}/api/health answered 200`));
  } catch (err) {
    return [failed("grafana health", `cannot reach ${base}/api/health: ${reason(err)}`, "check that the Grafana container runs and its port is published, then npm run up again")];
  }

  const get = async (check: string, path: string, found: (body: string) => string | undefined, fix: string) => {
    try {
      const answer = await httpGet(`${base}${path}`, auth);
      if (answer.status === 401 || answer.status === 403) {
        results.push(failed(check, `${base}${path} answered ${answer.status}`, "the admin password in the stack does not match Grafana's (GF_SECURITY_ADMIN_PASSWORD applies only on first start): reset it with grafana cli admin reset-admin-password, or set streamstack:grafanaAdminPassword to the current one"));
        return;
      }
      const problem = answer.status === 200 ? found(answer.body) : `${base}${path} answered ${answer.status}: ${answer.body.slice(0, 200)}`;
      results.push(problem ? failed(check, problem, fix) : ok(check, `${path} answered 200`));
    } catch (err) {
      results.push(failed(check, `cannot reach ${base}${path}: ${reason(err)}`, fix));
    }
  };

  await get(
    `grafana datasource ${args.datasourceUid}`,
    `/api/datasources/uid/${encodeURIComponent(args.datasourceUid)}/health`,
    (body) => {
      const parsed = parseJson<{ status?: string; message?: string }>(body);
      return parsed?.status === "OK" ? undefined : `health check says ${parsed?.status ?? "?"}: ${parsed?.message ?? body.slice(0, 200)}`;
    },
    "Grafana cannot query ClickHouse with the datasource's settings: check the ClickHouse container is healthy and the streamstack_grafana user exists (SchemaMigrations), then npm run up again",
  );
  for (const uid of args.dashboardUids) {
    await get(`grafana dashboard ${uid}`, `/api/dashboards/uid/${encodeURIComponent(uid)}`, () => undefined, "the dashboard resource did not land in Grafana: npm run pulumi -- refresh, then npm run up");
  }
  for (const uid of args.alertRuleUids) {
    await get(`grafana alert rule ${uid}`, `/api/v1/provisioning/alert-rules/${encodeURIComponent(uid)}`, () => undefined, "the alert rule group did not land in Grafana: npm run pulumi -- refresh, then npm run up");
  }
  return results;
}
