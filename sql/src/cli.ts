// npm run migrate -- --embedded <dir>
// npm run migrate -- --url http://host:8123 --user U --password-env VAR
//
// Applies pending migrations, then roles, profiles and users. User passwords come from the
// environment (STREAMSTACK_INGESTER_PASSWORD, STREAMSTACK_GRAFANA_PASSWORD,
// STREAMSTACK_SUPERSET_PASSWORD); a user whose variable is unset is left alone.
import { parseArgs } from "node:util";
import { DEFAULT_USERS, type UserSpec } from "./access";
import { embeddedUrl, openClickHouse } from "./client";
import { migrate } from "./runner";

const USAGE = `Usage:
  npm run migrate -- --embedded <dir>
  npm run migrate -- --url http://host:8123 --user <admin> --password-env <VAR> [--retention-days N] [--no-users]

Options:
  --embedded <dir>        apply to an embedded ClickHouse (chdb) stored in <dir>; users are skipped
                          (the embedded engine refuses CREATE USER)
  --url <url>             ClickHouse HTTP interface, e.g. http://127.0.0.1:8123 or https://x.clickhouse.cloud:8443
  --user <name>           admin user allowed to run DDL and CREATE USER (default: default)
  --password-env <VAR>    environment variable holding that user's password (never pass it on the command line)
  --retention-days <N>    keep raw ticks N days (TTL); 0 removes the TTL (default 0)
  --no-users              do not touch roles, profiles or users (e.g. a managed service that forbids CREATE USER)
User passwords: STREAMSTACK_INGESTER_PASSWORD, STREAMSTACK_GRAFANA_PASSWORD, STREAMSTACK_SUPERSET_PASSWORD.`;

export function usersFromEnv(env: NodeJS.ProcessEnv): UserSpec[] {
  const users: UserSpec[] = [];
  for (const user of DEFAULT_USERS) {
    const variable = `STREAMSTACK_${user.name.replace(/^streamstack_/, "").toUpperCase()}_PASSWORD`;
    const password = env[variable];
    if (password) users.push({ name: user.name, role: user.role, password });
  }
  return users;
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        embedded: { type: "string" },
        url: { type: "string" },
        user: { type: "string" },
        "password-env": { type: "string" },
        "retention-days": { type: "string" },
        "no-users": { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const o = args.values;
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  if ((o.embedded === undefined) === (o.url === undefined)) {
    console.error(`Give exactly one of --embedded <dir> and --url <url>.\n\n${USAGE}`);
    return 2;
  }
  let password: string | undefined;
  if (o["password-env"] !== undefined) {
    password = process.env[o["password-env"]];
    if (password === undefined) {
      console.error(`--password-env ${o["password-env"]}: that environment variable is not set`);
      return 2;
    }
  }
  const retention = o["retention-days"] === undefined ? 0 : Number(o["retention-days"]);
  if (!Number.isInteger(retention) || retention < 0) {
    console.error(`--retention-days ${o["retention-days"]}: expected a whole number of days (0 = keep forever)`);
    return 2;
  }
  const embedded = o.embedded !== undefined;
  const manageAccess = !embedded && !o["no-users"];
  const users = manageAccess ? usersFromEnv(process.env) : [];
  const url = embedded ? embeddedUrl(o.embedded!) : o.url!;

  const handle = await openClickHouse({ url, username: o.user, password, application: "streamstack-migrate" });
  try {
    const result = await migrate(handle.client, {
      users,
      manageAccess,
      rawRetentionDays: retention,
      log: (line) => console.log(line),
    });
    console.log(
      `schema up to date: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied` +
        (manageAccess ? `; users updated: ${result.users.join(", ") || "none (no STREAMSTACK_*_PASSWORD set)"}` : "; users skipped") +
        `; raw retention: ${result.rawRetentionDays === 0 ? "forever" : `${result.rawRetentionDays} days`}`,
    );
    return 0;
  } finally {
    await handle.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`migrate failed: ${err.message}`);
      process.exit(1);
    },
  );
}
