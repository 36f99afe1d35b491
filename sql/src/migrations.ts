// Reads numbered migration files (`001_what_it_does.sql`) from disk.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { splitStatements } from "./statements";

export const MIGRATIONS_DIR = resolve(__dirname, "..", "migrations");
export const ACCESS_FILE = resolve(__dirname, "..", "access", "roles_and_profiles.sql");

/** `{{backfill_cutoff}}`: the moment that splits rows between a new materialized view and its backfill. */
export const BACKFILL_CUTOFF = "{{backfill_cutoff}}";

export interface Migration {
  /** The number the file starts with. */
  readonly version: number;
  /** The file name without `.sql`. */
  readonly name: string;
  readonly file: string;
  /** sha256 of the file as committed, taken before any substitution. */
  readonly checksum: string;
  /** The file's statements, in order, with `{{…}}` placeholders still in place. */
  readonly statements: readonly string[];
  /** True when the migration backfills a new rollup and needs a cutoff. */
  readonly usesBackfillCutoff: boolean;
}

const FILE_PATTERN = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export function checksumOf(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match) {
      throw new Error(`Migration file ${join(dir, file)} is not named NNN_lower_snake_case.sql (e.g. 006_add_hourly_rollup.sql)`);
    }
    const text = readFileSync(join(dir, file), "utf8");
    const statements = splitStatements(text);
    if (statements.length === 0) throw new Error(`Migration file ${join(dir, file)} has no statements`);
    migrations.push({
      version: Number(match[1]),
      name: file.replace(/\.sql$/, ""),
      file: join(dir, file),
      checksum: checksumOf(text),
      statements,
      usesBackfillCutoff: text.includes(BACKFILL_CUTOFF),
    });
  }
  const seen = new Map<number, string>();
  for (const m of migrations) {
    const other = seen.get(m.version);
    if (other) throw new Error(`Migrations ${other} and ${m.name} share version ${m.version}: give each file its own number`);
    seen.set(m.version, m.name);
  }
  return migrations;
}

/** Replaces `{{backfill_cutoff}}` with a DateTime64 literal. */
export function substituteCutoff(statement: string, cutoffIso: string): string {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/.test(cutoffIso)) {
    throw new Error(`Backfill cutoff "${cutoffIso}" is not a 'YYYY-MM-DD hh:mm:ss.ffffff' UTC time`);
  }
  return statement.split(BACKFILL_CUTOFF).join(`toDateTime64('${cutoffIso}', 6, 'UTC')`);
}
