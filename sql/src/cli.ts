// npm run migrate -- --embedded <dir>
// npm run migrate -- --url http://host:8123 --user U --password-env VAR
//
// Applies pending migrations, then roles, profiles and users. User passwords come from the
// environment (STREAMSTACK_INGESTER_PASSWORD, STREAMSTACK_GRAFANA_PASSWORD,
// STREAMSTACK_SUPERSET_PASSWORD); a user whose variable is unset is left alone.
import { parseArgs } from "node:util";
import { DEFAULT_USERS, type UserSpec } from "./access";
import { lineLogger, openClickHouse } from "./client";
import { migrate } from "./runner";
import { TARGET_OPTIONS, targetFrom } from "./targetOptions";
import { runCli } from "./cliExit";

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
User passwords: STREAMSTACK_INGESTER_PASSWORD, STREAMSTACK_GRAFANA_PASSWORD, STREAMSTACK_SUPERSET_PASSWORD.

Exit codes:
  0  the schema is up to date
  1  ClickHouse could not be reached, refused a statement, or a migration failed ("migrate failed: …")
  2  bad arguments: an unknown option, a --url that is not http(s)://host:port, an --embedded path
     that is not a writable directory, an unset --password-env variable (the message names the option)`;

/** Exit codes, as in USAGE. */
const EXIT = { ok: 0, failed: 1, badArguments: 2 } as const;

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
        ...TARGET_OPTIONS,
        "retention-days": { type: "string" },
        "no-users": { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return EXIT.badArguments;
  }
  const o = args.values;
  if (o.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const target = targetFrom(o, process.env);
  if ("problem" in target) {
    console.error(target.showUsage ? `${target.problem}\n\n${USAGE}` : target.problem);
    return EXIT.badArguments;
  }
  const retention = o["retention-days"] === undefined ? 0 : Number(o["retention-days"]);
  if (!Number.isInteger(retention) || retention < 0) {
    console.error(`--retention-days ${o["retention-days"]}: expected a whole number of days (0 = keep forever)`);
    return EXIT.badArguments;
  }
  const embedded = target.embeddedDir !== undefined;
  const manageAccess = !embedded && !o["no-users"];
  const users = manageAccess ? usersFromEnv(process.env) : [];

  // The client library's own events (a failed request, …): one line each on stderr, no stack.
  const handle = await openClickHouse({ url: target.url, username: target.username, password: target.password, application: "streamstack-migrate", logger: lineLogger() });
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
    return EXIT.ok;
  } finally {
    await handle.close();
  }
}

if (require.main === module) runCli(main, "migrate");
