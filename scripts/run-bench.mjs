#!/usr/bin/env node
// `npm run bench`: every *.bench.ts under sql/ and ingest/ (or the folders given), one after
// another so they do not compete for the machine's cores. Prints each benchmark's table.
// npm run bench -- ingest --quick
import { spawnSync } from "node:child_process";
import { findFiles, repoRoot } from "./find-files.mjs";

// Folders or files select benchmarks; flags (e.g. --quick) are passed on to each of them.
const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith("--"));
const flags = args.filter((a) => a.startsWith("--"));
const files = findFiles(roots.length > 0 ? roots : ["sql", "ingest"], ".bench.ts");
let failed = 0;
for (const file of files) {
  console.log(`\n## ${file}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", file, ...flags], { cwd: repoRoot, stdio: "inherit", env: process.env });
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
