// Superset answers /health, the admin can log in, the stack's ClickHouse database exists (by its
// uuid) and, when asked, Superset can connect through it. Endpoints read from the apache-superset
// 6.1.0 wheel (superset/databases/api.py: list filter on `uuid`, GET /<pk>/schemas/ with
// force=true opens a connection, 500 "There was an error connecting to the database").
import { httpGet, parseJson, reason } from "./http";
import { failed, ok, skipped, type CheckResult } from "./result";
import { DATABASE } from "../../../sql/src/names";

export interface SupersetCheck {
  readonly url: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  /** uuid of the database connection the stack imports; empty skips the database checks. */
  readonly databaseUuid: string;
  /** Ask Superset to connect to ClickHouse (off when ClickHouse is the embedded engine, which Superset cannot reach). */
  readonly checkConnection: boolean;
}

export async function supersetLogin(base: string, user: string, password: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/security/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: user, password, provider: "db", refresh: false }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = await response.text();
  const token = parseJson<{ access_token?: string }>(body)?.access_token;
  if (response.status !== 200 || !token) throw new Error(`login as ${user} answered ${response.status}`);
  return token;
}

export async function checkSuperset(args: SupersetCheck): Promise<CheckResult[]> {
  const base = args.url.replace(/\/+$/, "");
  const results: CheckResult[] = [];
  try {
    const health = await httpGet(`${base}/health`);
    if (health.status !== 200) return [failed("superset health", `${base}/health answered ${health.status}`, "check the Superset container's logs; it must finish `superset db upgrade` and `superset init` before serving")];
    results.push(ok("superset health", `${base}/health answered 200`));
  } catch (err) {
    return [failed("superset health", `cannot reach ${base}/health: ${reason(err)}`, "check that Superset runs and its port is published, then npm run up again")];
  }
  if (!args.databaseUuid) return [...results, skipped("superset database", "no database uuid given")];

  let token: string;
  try {
    token = await supersetLogin(base, args.adminUser, args.adminPassword);
  } catch (err) {
    return [...results, failed("superset login", `${(err as Error).message} at ${base}`, "the admin password in the stack does not match Superset's: reset it with `superset fab reset-password`, or set streamstack:supersetAdminPassword to the current one")];
  }
  const auth = { Authorization: `Bearer ${token}` };
  const check = `superset database ${args.databaseUuid}`;
  const q = encodeURIComponent(`(filters:!((col:uuid,opr:eq,value:'${args.databaseUuid}')))`);
  let id: number | undefined;
  try {
    const listed = await httpGet(`${base}/api/v1/database/?q=${q}`, auth);
    id = parseJson<{ result?: { id: number }[] }>(listed.body)?.result?.[0]?.id;
    if (listed.status !== 200 || id === undefined) {
      return [...results, failed(check, `not found in ${base} (GET /api/v1/database/ answered ${listed.status})`, "the Superset assets import did not run or failed: npm run up again and read the SupersetAssets error")];
    }
    results.push(ok(check, `exists as database id ${id}`));
  } catch (err) {
    return [...results, failed(check, `cannot list databases at ${base}: ${reason(err)}`, "check that Superset is up, then npm run up again")];
  }
  if (!args.checkConnection) return [...results, skipped("superset database connection", "ClickHouse is not reachable from Superset in this configuration (embedded engine)")];
  try {
    const schemas = await httpGet(`${base}/api/v1/database/${id}/schemas/?q=${encodeURIComponent("(force:!t)")}`, auth, 30_000);
    const list = parseJson<{ result?: string[]; message?: string }>(schemas.body);
    if (schemas.status !== 200) {
      results.push(failed("superset database connection", `Superset cannot connect to ClickHouse (${schemas.status}: ${list?.message ?? schemas.body.slice(0, 200)})`, "check the ClickHouse url and the streamstack_superset user's password in the imported database, and that ClickHouse is reachable from the Superset container"));
    } else if (!list?.result?.includes(DATABASE)) {
      results.push(failed("superset database connection", `connected, but database ${DATABASE} is not visible (saw ${JSON.stringify(list?.result ?? [])})`, "check that SchemaMigrations ran and streamstack_superset has the reader role"));
    } else {
      results.push(ok("superset database connection", `Superset connects to ClickHouse and sees ${DATABASE}`));
    }
  } catch (err) {
    results.push(failed("superset database connection", `request failed: ${reason(err)}`, "check Superset's logs"));
  }
  return results;
}
