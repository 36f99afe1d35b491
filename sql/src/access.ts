// Users as code: roles and profiles come from sql/access/, users are made here with the
// passwords handed in (never read from a file). Passwords go to the server as SHA-256 hashes,
// so they never appear in query text, query_log or errors.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { ACCESS_FILE } from "./migrations";
import { splitStatements } from "./statements";

export type UserRole = "writer" | "reader";

export interface UserSpec {
  /** ClickHouse user name, e.g. `streamstack_ingester`. */
  readonly name: string;
  readonly role: UserRole;
  /** Plain password; only its SHA-256 leaves this process. */
  readonly password: string;
  /**
   * Client hosts allowed to log in (default: any). The stack leaves it unset on purpose: its
   * service users are used by containers on the stack network *and* by the post-deploy checks on
   * the host, whose connections through the published port arrive from the network's gateway
   * (Docker's userland proxy), an address inside the same subnet; see docs/deploy.md, "Security
   * settings".
   */
  readonly hostIp?: string;
}

/** The platform's default users and their roles; passwords are supplied at run time. */
export const DEFAULT_USERS: ReadonlyArray<{ name: string; role: UserRole; purpose: string }> = [
  { name: "streamstack_ingester", role: "writer", purpose: "the ingester" },
  { name: "streamstack_grafana", role: "reader", purpose: "Grafana's datasource" },
  { name: "streamstack_superset", role: "reader", purpose: "Superset's database connection" },
];

const ROLE = { writer: "streamstack_writer", reader: "streamstack_reader" } as const;
const PROFILE = { writer: "streamstack_writer_profile", reader: "streamstack_reader_profile" } as const;
const USER_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MIN_PASSWORD_LENGTH = 16;

export function accessStatements(file: string = ACCESS_FILE): string[] {
  return splitStatements(readFileSync(file, "utf8"));
}

export function validateUser(user: UserSpec): void {
  if (!USER_NAME.test(user.name)) {
    throw new Error(`User name "${user.name}" is not valid: use lower-case letters, digits and _ (starting with a letter)`);
  }
  if (user.role !== "writer" && user.role !== "reader") {
    throw new Error(`User ${user.name} has role "${String(user.role)}": expected "writer" or "reader"`);
  }
  if (typeof user.password !== "string" || user.password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`The password for user ${user.name} is shorter than ${MIN_PASSWORD_LENGTH} characters: pass a generated one`);
  }
  if (user.hostIp !== undefined && !/^[0-9a-fA-F:./]+$/.test(user.hostIp)) {
    throw new Error(`User ${user.name} has hostIp "${user.hostIp}": expected an IP or CIDR such as 172.16.0.0/12`);
  }
}

export function sha256Hex(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("hex");
}

/**
 * Statements that create the user if missing and otherwise bring it to the given password, role
 * and profile. Safe to run on every deploy.
 */
export function userStatements(user: UserSpec): string[] {
  validateUser(user);
  const hash = sha256Hex(user.password);
  const host = user.hostIp ? `HOST IP '${user.hostIp}'` : "HOST ANY";
  const identified = `IDENTIFIED WITH sha256_hash BY '${hash}'`;
  return [
    `CREATE USER IF NOT EXISTS ${user.name} ${identified} ${host} SETTINGS PROFILE '${PROFILE[user.role]}'`,
    `ALTER USER ${user.name} ${identified} ${host} SETTINGS PROFILE '${PROFILE[user.role]}'`,
    `GRANT ${ROLE[user.role]} TO ${user.name}`,
    `REVOKE ${ROLE[user.role === "writer" ? "reader" : "writer"]} FROM ${user.name}`,
    `ALTER USER ${user.name} DEFAULT ROLE ${ROLE[user.role]}`,
  ];
}
