// One sha256 over every file that decides what the schema step does (sql/migrations, sql/access),
// so editing or adding a file changes SchemaMigrations' inputs and the next `up` updates it.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const SQL_DIR = resolve(__dirname, "..", "..", "sql");
export const SCHEMA_INPUT_DIRS: readonly string[] = [join(SQL_DIR, "migrations"), join(SQL_DIR, "access")];

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const full = join(dir, entry);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    })
    .filter((file) => file.endsWith(".sql"));
}

/** sha256 over (relative path, content) of every .sql file under `dirs`, in sorted order. */
export function schemaChecksum(dirs: readonly string[] = SCHEMA_INPUT_DIRS, base: string = SQL_DIR): string {
  const hash = createHash("sha256");
  const files = dirs.flatMap(filesUnder).sort();
  if (files.length === 0) throw new Error(`No .sql files under ${dirs.join(", ")}: the schema checksum would cover nothing`);
  for (const file of files) {
    hash.update(relative(base, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}
