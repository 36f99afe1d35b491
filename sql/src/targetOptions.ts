// The options that say which ClickHouse a command-line tool talks to, shared by `npm run migrate`
// (cli.ts) and `npm run query` (queryCli.ts): --embedded <dir>, or --url with --user and
// --password-env (a password is never an argument: it would show in the process list).
import { mkdtempSync, rmdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { embeddedUrl, isEmbeddedUrl } from "./client";

export const TARGET_OPTIONS = {
  embedded: { type: "string" },
  url: { type: "string" },
  user: { type: "string" },
  "password-env": { type: "string" },
} as const;

export interface TargetValues {
  readonly embedded?: string;
  readonly url?: string;
  readonly user?: string;
  readonly "password-env"?: string;
}

export interface TargetProblem {
  readonly problem: string;
  /** The options were not used as documented: print the usage too. */
  readonly showUsage?: boolean;
}

export interface Target {
  readonly url: string;
  /** The embedded engine's directory as given; undefined for a server (--url). */
  readonly embeddedDir?: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * The ClickHouse the options name, or the one problem with them as a line naming the option.
 * `fallbackEmbedded`: the directory to use when neither --embedded nor --url is given (none =
 * one of them is required).
 */
export function targetFrom(values: TargetValues, env: NodeJS.ProcessEnv, fallbackEmbedded?: string): Target | TargetProblem {
  const embeddedDir = values.embedded ?? (values.url === undefined ? fallbackEmbedded : undefined);
  if ((embeddedDir === undefined) === (values.url === undefined)) return { problem: "Give exactly one of --embedded <dir> and --url <url>.", showUsage: true };
  let password: string | undefined;
  if (values["password-env"] !== undefined) {
    password = env[values["password-env"]];
    if (password === undefined) return { problem: `--password-env ${values["password-env"]}: that environment variable is not set` };
  }
  if (values.url !== undefined) {
    const problem = urlProblem(values.url);
    return problem === undefined ? { url: values.url, username: values.user, password } : { problem: `--url ${values.url}: ${problem}` };
  }
  const problem = embeddedDirProblem(embeddedDir!);
  // One line, naming the option and the value as given.
  return problem === undefined ? { url: embeddedUrl(embeddedDir!), embeddedDir } : { problem: `--embedded${embeddedDir ? ` ${embeddedDir}` : ""}: ${problem}` };
}

/** What is wrong with --url, or undefined when it is an http(s) URL of a host. */
export function urlProblem(url: string): string | undefined {
  if (isEmbeddedUrl(url)) return `for the embedded engine use --embedded ${url.slice("chdb:".length) || "<dir>"} (users are skipped there)`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a URL; expected http://host:8123 or https://host:8443 (ClickHouse's HTTP interface)";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `protocol "${parsed.protocol.replace(/:$/, "")}" is not supported; expected http://host:8123 or https://host:8443 (ClickHouse's HTTP interface)`;
  }
  if (parsed.hostname === "") return "no host; expected http://host:8123 or https://host:8443";
  return undefined;
}

/**
 * What is wrong with --embedded <dir>, or undefined when the engine can keep its data there: an
 * existing directory it can create entries in, or a path it can create (chdb creates missing
 * directories). Checked by creating (and removing) a temporary directory, as the engine would.
 */
export function embeddedDirProblem(dir: string): string | undefined {
  if (dir.trim() === "") return "expected a directory path, e.g. --embedded ./data";
  let existing = resolve(dir);
  for (;;) {
    let stat;
    try {
      stat = statSync(existing);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return `cannot be used: ${(err as Error).message}`;
      const parent = dirname(existing);
      if (parent === existing) return "cannot be created: no existing parent directory";
      existing = parent;
      continue;
    }
    const named = existing === resolve(dir);
    if (!stat.isDirectory()) return named ? "exists and is not a directory" : `cannot be created: ${existing} is not a directory`;
    try {
      rmdirSync(mkdtempSync(join(existing, ".streamstack-write-check-")));
    } catch (err) {
      const reason = (err as Error).message;
      return named ? `directory is not writable (${reason})` : `cannot be created: ${existing} is not writable (${reason})`;
    }
    return undefined;
  }
}
